import type { Catalogue } from '../i18n/messages.js';

/** The HTTP edge's start-up refusals: rate limits, trusted proxies, the listener's TLS pair. */
export const HTTP_MESSAGES = {
  'http.config.rate-limit-invalid': {
    'zh-CN': '{variable} 中的 {value} 格式不对：应为 类别=次数/秒数 或 类别.account=次数/秒数，秒数为 1 到 {max}（类别：{classes}）',
    en: '{variable}: {value} is not class=max/seconds or class.account=max/seconds with 1 to {max} seconds (classes: {classes})',
  },
  'http.config.rate-limit-no-account': {
    'zh-CN': '{variable} 中的 {value} 有误：类别 {name} 的请求不指明账户，不能按账户限制',
    en: '{variable}: in {value}, the class {name} names no account, so it has no per-account limit',
  },
  'http.config.proxy-invalid': {
    'zh-CN': '{variable} 中的 {value} 既不是地址、地址/前缀长度，也不是 {names} 之一',
    en: '{variable}: {value} is not an address, an address/prefix, or one of {names}',
  },
  'http.config.tls-half-pair': {
    'zh-CN': '只设置了 {variable}（{value}）而没有 {other}：TLS 证书与私钥文件须同时给出，或都不给',
    en: '{variable} ({value}) is set without {other}: the TLS certificate and key files are given together, or neither',
  },
} satisfies Catalogue;
