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
    'zh-CN': '时钟回拨 {behindMs} 毫秒，超出准确度 {accuracyMs} 毫秒：在时钟恢复前不签发时间戳',
    en: 'The clock stepped back {behindMs} ms, more than the accuracy of {accuracyMs} ms: no time-stamps until it recovers',
  },
  'tsa.certificate-not-valid': {
    'zh-CN': '时间戳证书在 {at} 不在有效期内（{notBefore} 至 {notAfter}）',
    en: 'The TSA certificate is not valid at {at} (valid {notBefore} to {notAfter})',
  },
  'tsa.system-failure': {
    'zh-CN': '时间戳服务内部故障，未签发（参考编号 {reference}）',
    en: 'Time-stamping failed inside the TSA; nothing was issued (reference {reference})',
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
