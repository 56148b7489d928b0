import type { Catalogue } from './messages.js';
import type { Locale } from './locale.js';

/**
 * The input fields a refusal may name, in words: a person reads "请填写证件号码", not
 * "缺少必填项：idNumber". The problem's `field` keeps the code, for forms and clients.
 */
export const FIELD_MESSAGES = {
  'field.name': { 'zh-CN': '姓名或名称', en: 'name' },
  'field.idType': { 'zh-CN': '证件类型', en: 'ID document type' },
  'field.idNumber': { 'zh-CN': '证件号码', en: 'ID number' },
  'field.phone': { 'zh-CN': '手机号码', en: 'mobile phone number' },
  'field.email': { 'zh-CN': '电子邮箱', en: 'e-mail address' },
  'field.uscc': { 'zh-CN': '统一社会信用代码', en: 'Unified Social Credit Code' },
  'field.legalRepresentative': { 'zh-CN': '法定代表人', en: 'legal representative' },
  'field.agent': { 'zh-CN': '经办人', en: 'agent' },
  'field.raId': { 'zh-CN': '注册机构', en: 'registration authority' },
  'field.serial': { 'zh-CN': '证书序列号', en: 'certificate serial number' },
  'field.agentName': { 'zh-CN': '代理人姓名', en: 'agent’s name' },
  'field.changes': { 'zh-CN': '变更内容', en: 'changes' },
  'field.reason': { 'zh-CN': '理由', en: 'reason' },
  'field.complainant': { 'zh-CN': '投诉人', en: 'complainant' },
  'field.contact': { 'zh-CN': '联系方式', en: 'contact details' },
  'field.category': { 'zh-CN': '类别', en: 'category' },
  'field.description': { 'zh-CN': '情况说明', en: 'description' },
  'field.response': { 'zh-CN': '答复', en: 'response' },
  'field.note': { 'zh-CN': '说明', en: 'note' },
} satisfies Catalogue;

const WORDS: Record<string, Record<Locale, string>> = FIELD_MESSAGES;

/**
 * A field path ("legalRepresentative.idNumber") in words, both languages
 * ("法定代表人证件号码"); a path with a part not in the catalogue stays as it is.
 */
export function fieldWords(path: string): Record<Locale, string> | string {
  const parts = path.split('.').map((part) => WORDS[`field.${part}`]);
  if (parts.length === 0 || parts.some((p) => !p)) return path;
  const known = parts as Array<Record<Locale, string>>;
  // A person's name inside a record is their 姓名, not "姓名或名称".
  const zh = known.map((p, i) => (i > 0 && p === WORDS['field.name'] ? '姓名' : p['zh-CN'])).join('');
  return { 'zh-CN': zh, en: known.map((p) => p.en).join(' ') };
}
