import type { Catalogue } from '../i18n/messages.js';

export const AUDIT_MESSAGES = {
  // Issue 20: the audit-log search.
  'audit.search-bad-time': { 'zh-CN': '时间格式不正确，请给出带时区的时间，例如 2026-12-06T09:00+08:00', en: 'The time is not valid: give it with its offset, e.g. 2026-12-06T09:00+08:00' },
  'audit.search-bad-range': { 'zh-CN': '结束时间早于开始时间', en: 'The end of the range is before its start' },
  'audit.search-bad-text': { 'zh-CN': '搜索内容最多 {limit} 个字符，且不能含控制字符', en: 'A search term has at most {limit} characters and no control characters' },
  'audit.search-bad-cursor': { 'zh-CN': '翻页位置无效，请从第一页重新查询', en: 'The page position is not valid; search again from the first page' },
  'audit.search-bad-limit': { 'zh-CN': '每页条数须在 1 到 {max} 之间', en: 'A page holds 1 to {max} entries' },
  'audit.no-entries': { 'zh-CN': '审计日志为空，没有可签名的检查点', en: 'The audit log is empty: there is nothing to checkpoint' },
  'audit.checkpoint-created': {
    'zh-CN': '已签名检查点 {id}：截至第 {seq} 条，链头 {head}{stamped}',
    en: 'Signed checkpoint {id}: up to entry {seq}, head {head}{stamped}',
  },
  'audit.checkpoints-ok': { 'zh-CN': '{count} 个签名检查点均有效（最新截至第 {seq} 条）', en: '{count} signed checkpoints are valid (the latest covers entry {seq})' },
  'audit.checkpoints-broken': { 'zh-CN': '签名检查点 {id}（截至第 {seq} 条）无效：{problem}', en: 'Signed checkpoint {id} (up to entry {seq}) is invalid: {problem}' },
  'audit.key-created': { 'zh-CN': '已创建审计签名密钥 {id}（{algorithm}，公钥 SHA-256 {fingerprint}）', en: 'Created audit signing key {id} ({algorithm}, public key SHA-256 {fingerprint})' },
  'audit.problem.position-not-integer': {
    'zh-CN': '该记录的序号 {stored} 不是整数（此处应为第 {expected} 条）',
    en: 'its position {stored} is not a whole number (entry {expected} belongs here)',
  },
  'audit.problem.position-before-start': {
    'zh-CN': '序号 {seq} 不在 1、2、3…… 的序列中（此处应为第 {expected} 条）：有人插入了记录',
    en: 'position {seq} is not in the sequence 1, 2, 3, … (entry {expected} belongs here): a row was slipped in',
  },
  'audit.problem.position-missing': {
    'zh-CN': '第 {seq} 条记录缺失（下一条是第 {next} 条）',
    en: 'entry {seq} is missing (the next one stored is {next})',
  },
  'audit.problem.predecessor-mismatch': { 'zh-CN': '它没有指向前一条记录的哈希', en: 'it does not point at the hash of its predecessor' },
  'audit.problem.details-not-json': { 'zh-CN': '它的详情不是 JSON', en: 'its details are not JSON' },
  'audit.problem.hash-mismatch': { 'zh-CN': '它的内容与其哈希不符', en: 'its content does not match its hash' },
  'audit.problem.anchor-mismatch': {
    'zh-CN': '第 {to} 条记录的哈希与库外导出的检查点 {checkpoint}（签于 {signedAt}）不符：第 {from} 至 {to} 条之间的记录被改写过',
    en: 'entry {to} no longer has the hash exported outside the database in checkpoint {checkpoint} (signed {signedAt}): entries {from} to {to} were rewritten',
  },
  'audit.problem.truncated': {
    'zh-CN': '审计链止于第 {end} 条，但库外导出的检查点 {checkpoint}（签于 {signedAt}）覆盖到第 {covered} 条：其后的记录被截掉了',
    en: 'the chain ends at entry {end}, but checkpoint {checkpoint} exported outside the database (signed {signedAt}) covers entry {covered}: the tail was cut off',
  },
  'audit.trusted-key-unreadable': {
    'zh-CN': '{value} 既不是 SHA-256 指纹（64 位十六进制），也不是可读的公钥文件（PEM 或 DER）',
    en: '{value} is neither a SHA-256 fingerprint (64 hex digits) nor a readable public key file (PEM or DER)',
  },
  'audit.head-export.missing': { 'zh-CN': '导出的检查点文件 {file} 不存在', en: 'The exported-head file {file} does not exist' },
  'audit.head-export.unreadable': { 'zh-CN': '{file} 第 {line} 行不是导出的检查点', en: 'Line {line} of {file} is not an exported head' },
  'audit.head-export.untrusted-key': {
    'zh-CN': '{file} 第 {line} 行由未被信任的审计密钥签名（公钥 SHA-256 {fingerprint}）',
    en: 'Line {line} of {file} is signed by an audit key that is not trusted (public key SHA-256 {fingerprint})',
  },
  'audit.head-export.bad-signature': { 'zh-CN': '{file} 第 {line} 行的签名无效：{reason}', en: 'The signature on line {line} of {file} does not verify: {reason}' },
  'audit.head-export.bad-time-stamp': { 'zh-CN': '{file} 第 {line} 行的时间戳无效：{reason}', en: 'The time-stamp token on line {line} of {file} is invalid: {reason}' },
  'audit.head-export.out-of-order': {
    'zh-CN': '{file} 第 {line} 行截至第 {seq} 条，不晚于前一行的第 {previous} 条：文件被改动过',
    en: 'Line {line} of {file} covers entry {seq}, not beyond the previous line\'s {previous}: the file was altered',
  },
  'audit.heads-ok': {
    'zh-CN': '库外导出的 {count} 个检查点均有效（{pinned}），最新的截至第 {seq} 条；其后 {unanchored} 条尚未被导出的检查点覆盖',
    en: '{count} heads exported outside the database are valid ({pinned}); the latest covers entry {seq}; {unanchored} entries after it are not yet covered by an exported head',
  },
  'audit.heads-pinned': { 'zh-CN': '签名密钥已被固定', en: 'signed by a pinned key' },
  'audit.heads-not-pinned': { 'zh-CN': '签名密钥未固定：请用 --trusted-key 指定', en: 'the signing key is not pinned: give --trusted-key' },
  'audit.heads-broken': { 'zh-CN': '库外导出的检查点无效：{problem}', en: 'The exported heads are invalid: {problem}' },
  'audit.progress': {
    'zh-CN': '审计链校验中：已校验 {entries} / {total} 条（{percent}%）',
    en: 'Verifying the audit chain: {entries} of {total} entries ({percent}%)',
  },
  'audit.heads-none': {
    'zh-CN': '未给出库外导出的检查点（--heads 或 SIGNET_AUDIT_HEAD_EXPORT）：最后一个检查点之后的截断或改写无法被发现',
    en: 'No exported heads given (--heads or SIGNET_AUDIT_HEAD_EXPORT): a truncated or rewritten tail after the last checkpoint cannot be detected',
  },
  'audit.heads-exported': { 'zh-CN': '已将 {count} 个检查点追加到 {file}', en: 'Appended {count} heads to {file}' },
  'audit.unpinned-in-production': {
    'zh-CN': '生产模式要求固定审计密钥：请用 --trusted-key 或 SIGNET_AUDIT_TRUSTED_KEYS 给出 signet audit keys 显示的指纹',
    en: 'Production mode requires pinned audit keys: give the fingerprints signet audit keys shows with --trusted-key or SIGNET_AUDIT_TRUSTED_KEYS',
  },
  'audit.checkpoint-problem.payload-not-json': { 'zh-CN': '其签名内容不是 JSON', en: 'its signed payload is not JSON' },
  'audit.checkpoint-problem.columns-mismatch': { 'zh-CN': '其各列与签名内容不符', en: 'its columns do not match what was signed' },
  'audit.checkpoint-problem.entry-missing': { 'zh-CN': '它覆盖的第 {seq} 条记录缺失', en: 'entry {seq} it covers is missing' },
  'audit.checkpoint-problem.entry-rewritten': {
    'zh-CN': '第 {seq} 条记录的哈希已不是签名时的哈希：截至该条的审计链被改写过',
    en: 'entry {seq} no longer has the hash that was signed: the chain up to it was rewritten',
  },
  'audit.checkpoint-problem.key-missing': { 'zh-CN': '其审计密钥 {key} 缺失', en: 'its audit key {key} is missing' },
  'audit.checkpoint-problem.key-untrusted': { 'zh-CN': '其审计密钥 {key} 不在被信任（固定）的密钥之列', en: 'its audit key {key} is not among the trusted keys' },
  'audit.checkpoint-problem.key-not-in-chain': {
    'zh-CN': '审计链中没有以此公钥创建审计密钥 {key} 的记录',
    en: 'the chain does not record the creation of audit key {key} with this public key',
  },
  'audit.checkpoint-problem.algorithm-unreadable': { 'zh-CN': '其签名算法无法读取', en: 'its signature algorithm is unreadable' },
  'audit.checkpoint-problem.bad-signature': { 'zh-CN': '其签名验证失败：{reason}', en: 'its signature does not verify: {reason}' },
  'audit.checkpoint-problem.bad-time-stamp': { 'zh-CN': '其时间戳无效：{reason}', en: 'its time-stamp token is invalid: {reason}' },
  'audit.checkpoint-problem.missing': { 'zh-CN': '第 {seq} 条记录宣告的检查点 {id} 已缺失', en: 'checkpoint {id}, announced in entry {seq}, is missing' },
} satisfies Catalogue;
