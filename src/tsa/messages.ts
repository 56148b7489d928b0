import type { Catalogue } from '../i18n/messages.js';

/** Texts of the time-stamping authority (RFC 3161) and of the delegated-signer API it opens keys through. */
export const TSA_MESSAGES = {
  'ca.no-delegated-signer': {
    'zh-CN': 'CA {caId} 没有可用的 {purpose} 签名证书，请先运行 signet init',
    en: 'CA {caId} has no active {purpose} signer; run signet init first',
  },
  'tsa.bad-data-format': {
    'zh-CN': '时间戳请求不是有效的 RFC 3161 TimeStampReq：{detail}',
    en: 'The time-stamp request is not a valid RFC 3161 TimeStampReq: {detail}',
  },
  'tsa.bad-version': {
    'zh-CN': '时间戳请求版本 {version} 不受支持，只接受 v1',
    en: 'Time-stamp request version {version} is not supported; only v1 is',
  },
  'tsa.bad-alg': {
    'zh-CN': '不接受摘要算法 {algorithm}（可用：SHA-256、SHA-384、SHA-512）',
    en: 'Hash algorithm {algorithm} is not accepted (accepted: SHA-256, SHA-384, SHA-512)',
  },
  'tsa.bad-imprint-length': {
    'zh-CN': '消息摘要长度 {length} 字节与 {hash} 的 {expected} 字节不符',
    en: 'The message imprint is {length} bytes, but {hash} digests are {expected} bytes',
  },
  'tsa.unaccepted-policy': {
    'zh-CN': '本时间戳服务不支持策略 {policy}（支持：{ours}）',
    en: 'This TSA does not support policy {policy} (supported: {ours})',
  },
  'tsa.unaccepted-extension': {
    'zh-CN': '本时间戳服务不认识请求中的扩展 {extension}',
    en: 'This TSA does not recognise the requested extension {extension}',
  },
  'tsa.negative-nonce': {
    'zh-CN': '随机数（nonce）为负数；RFC 3161 要求正整数',
    en: 'The nonce is negative; RFC 3161 asks for a positive integer',
  },
  'tsa.bad-nonce': {
    'zh-CN': '随机数（nonce）过长：{length} 字节，最多 {max} 字节',
    en: 'The nonce is too long: {length} bytes, at most {max}',
  },
  'tsa.time-not-available': {
    'zh-CN': '时钟比已签发的最晚时间（{highWater}）落后 {behindMs} 毫秒，超出准确度 {accuracyMs} 毫秒：在时钟恢复前不签发时间戳（若此前时钟超前，核对时间后运行 signet tsa reset-clock-guard）',
    en: 'The clock is {behindMs} ms behind the latest time already stamped ({highWater}), more than the accuracy of {accuracyMs} ms: no time-stamps until it recovers (if the clock ran ahead before, check the time and run signet tsa reset-clock-guard)',
  },
  'tsa.clock-skew': {
    'zh-CN': '本节点时钟与数据库服务器时钟相差 {skewMs} 毫秒（数据库时间 {databaseTime}），超过上限 {limitMs} 毫秒：在两者一致前不签发时间戳',
    en: "This node's clock differs from the database server's by {skewMs} ms (database time {databaseTime}), more than the limit of {limitMs} ms: no time-stamps until they agree",
  },
  'tsa.clock-jumped': {
    'zh-CN': '系统时钟比实际经过的时间向前跳了 {stepMs} 毫秒，超过上限 {limitMs} 毫秒：在时钟调回，或操作员核对时间后运行 signet tsa reset-clock-guard 之前，不签发时间戳',
    en: 'The wall clock jumped {stepMs} ms ahead of the elapsed time, more than the limit of {limitMs} ms: no time-stamps until it is set back, or an operator who checked the time runs signet tsa reset-clock-guard',
  },
  'tsa.reset-reason': {
    'zh-CN': '请用 --reason 说明重置时钟保护的原因（1 至 {max} 个字符），它将写入审计日志',
    en: 'Give the reason for resetting the clock guard with --reason (1 to {max} characters); it goes into the audit log',
  },
  'tsa.reset-clock-skew': {
    'zh-CN': '本节点时钟与数据库服务器时钟相差 {skewMs} 毫秒（数据库时间 {databaseTime}），超过上限 {limitMs} 毫秒：先校准时钟（NTP），再重置时钟保护',
    en: "This node's clock differs from the database server's by {skewMs} ms (database time {databaseTime}), more than the limit of {limitMs} ms: set the clocks right (NTP) before resetting the clock guard",
  },
  'tsa.reset-concurrent': {
    'zh-CN': '另一个时钟保护重置刚刚完成，请运行 signet tsa clock 查看后再决定是否重试',
    en: 'Another clock-guard reset has just been recorded; look with signet tsa clock before trying again',
  },
  'tsa.clock-ok': {
    'zh-CN': '时间戳服务可以签发。与数据库时钟偏差 {skewMs} 毫秒（上限 {limitMs} 毫秒{sameHost}），已签发的最晚时间 {highWater}',
    en: 'The TSA can stamp. Skew to the database clock {skewMs} ms (limit {limitMs} ms{sameHost}); latest time stamped {highWater}',
  },
  'tsa.clock-refusing': {
    'zh-CN': '时间戳服务拒绝签发：{detail}',
    en: 'The TSA refuses to stamp: {detail}',
  },
  'tsa.clock-same-host': {
    'zh-CN': '；SQLite 读取本机时钟，此偏差无意义',
    en: '; SQLite reads this host\'s own clock, so this says nothing',
  },
  'tsa.clock-guard-reset': {
    'zh-CN': '时钟保护已重置（第 {seq} 次）。{count} 个时间戳晚于 {resetAt}，系在错误时钟下签发，今后不再计入最晚时间（{first} 至 {last}，仍保存在台账中）。最晚时间由 {previous} 变为 {highWater}',
    en: 'Clock guard reset (number {seq}). {count} tokens were stamped later than {resetAt}, under a wrong clock; they no longer count towards the latest time ({first} to {last}; they stay in the ledger). Latest time {previous} → {highWater}',
  },
  'tsa.certificate-not-valid': {
    'zh-CN': '时间戳证书在 {at} 不在有效期内（{notBefore} 至 {notAfter}）',
    en: 'The TSA certificate is not valid at {at} (valid {notBefore} to {notAfter})',
  },
  'tsa.system-failure': {
    'zh-CN': '时间戳服务内部故障，未签发（参考编号 {reference}）',
    en: 'Time-stamping failed inside the TSA; nothing was issued (reference {reference})',
  },
  'tsa.lint-failed': {
    'zh-CN': '时间戳令牌未通过 RFC 3161 检查，未签发：{detail}',
    en: 'The time-stamp token failed the RFC 3161 checks and was not issued: {detail}',
  },
  'tsa.refused': {
    'zh-CN': '时间戳服务拒绝签发（{failure}）：{detail}',
    en: 'The TSA refused to time-stamp ({failure}): {detail}',
  },
  'tsa.token-not-found': {
    'zh-CN': '找不到序列号为 {serial} 的时间戳',
    en: 'No time-stamp token with serial {serial}',
  },
} satisfies Catalogue;
