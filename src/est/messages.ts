import type { Catalogue } from '../i18n/messages.js';

/** Texts of the EST door (RFC 7030), zh-CN and en: the client's operator reads them in its log. */
export const EST_MESSAGES = {
  'est.body-not-base64': {
    'zh-CN': 'EST 请求体应为 base64 编码的 DER（RFC 7030 §4.2.1）',
    en: 'An EST request body is base64-encoded DER (RFC 7030 §4.2.1)',
  },
  'est.credentials-required': {
    'zh-CN': '请用 HTTP Basic 认证提供注册机构发放的参考号（用户名）和授权码（口令）',
    en: 'Give the reference number (user name) and authorization code (password) from the registration authority with HTTP Basic authentication',
  },
  'est.credentials-refused': {
    'zh-CN': '参考号或授权码不正确，或该凭证已不可用（连续错误 {max} 次后锁定，请联系注册机构）',
    en: 'Wrong reference number or authorization code, or the credential can no longer be used (it locks after {max} wrong codes; ask the registration authority)',
  },
  'est.client-certificate-required': {
    'zh-CN': '重新注册须通过 TLS 客户端认证出示要更新的证书',
    en: 'Re-enrolment needs the certificate being renewed, presented by TLS client authentication',
  },
  'est.client-certificate-unknown': {
    'zh-CN': '出示的 TLS 客户端证书不是本 CA 签发并在册的证书',
    en: 'The TLS client certificate presented is not one this CA issued and holds on record',
  },
  'est.renewal-rejected': {
    'zh-CN': '该证书的更新申请 {application} 已被注册机构驳回：{reason}',
    en: 'The renewal application {application} for this certificate was rejected by the registration authority: {reason}',
  },
  'est.renewal-pending': {
    'zh-CN': '更新申请 {application} 正在等待注册机构审核，请 {seconds} 秒后重试',
    en: 'Renewal application {application} is waiting for the registration authority\'s review; try again in {seconds} seconds',
  },
  'est.tls-required': {
    'zh-CN': 'EST 只在 TLS 上提供（RFC 7030 §3.3）；请配置 SIGNET_TLS_CERT_FILE 和 SIGNET_TLS_KEY_FILE',
    en: 'EST is served over TLS only (RFC 7030 §3.3); configure SIGNET_TLS_CERT_FILE and SIGNET_TLS_KEY_FILE',
  },
} satisfies Catalogue;
