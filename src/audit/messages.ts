import type { Catalogue } from '../i18n/messages.js';

export const AUDIT_MESSAGES = {
  'audit.no-entries': { 'zh-CN': '审计日志为空，没有可签名的检查点', en: 'The audit log is empty: there is nothing to checkpoint' },
  'audit.checkpoint-created': {
    'zh-CN': '已签名检查点 {id}：截至第 {seq} 条，链头 {head}{stamped}',
    en: 'Signed checkpoint {id}: up to entry {seq}, head {head}{stamped}',
  },
  'audit.checkpoints-ok': { 'zh-CN': '{count} 个签名检查点均有效（最新截至第 {seq} 条）', en: '{count} signed checkpoints are valid (the latest covers entry {seq})' },
  'audit.checkpoints-broken': { 'zh-CN': '签名检查点 {id}（截至第 {seq} 条）无效：{problem}', en: 'Signed checkpoint {id} (up to entry {seq}) is invalid: {problem}' },
  'audit.key-created': { 'zh-CN': '已创建审计签名密钥 {id}（{algorithm}，公钥 SHA-256 {fingerprint}）', en: 'Created audit signing key {id} ({algorithm}, public key SHA-256 {fingerprint})' },
} satisfies Catalogue;
