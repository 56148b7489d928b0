import type { Catalogue } from '../i18n/messages.js';

/**
 * Texts an operator reads about ACME (RA officers issuing External Account
 * Bindings, the CLI). ACME clients read problem documents, whose `detail` is
 * English as the RFC's clients expect (problems.ts).
 */
export const ACME_MESSAGES = {
  'acme.binding-subscriber-not-enterprise': {
    'zh-CN': '订户 {subscriber} 不是企业订户：ACME 外部账户绑定只发给经注册机构核验的企业',
    en: 'Subscriber {subscriber} is not an enterprise: ACME external account bindings are only issued to enterprises the RA verified',
  },
  'acme.binding-no-identifiers': {
    'zh-CN': '请至少给出一个允许申请的域名（如 example.com 或 *.example.com）',
    en: 'Give at least one domain the account may order (such as example.com or *.example.com)',
  },
  'acme.binding-bad-identifier': {
    'zh-CN': '“{identifier}”不是有效的域名（写作 example.com，或写作 *.example.com 表示其下所有名称）',
    en: '"{identifier}" is not a valid domain name (write example.com, or *.example.com for every name under it)',
  },
  'acme.binding-bad-profile': {
    'zh-CN': '证书模板 {profile} 不能用于 ACME（需要允许 DNS 名称的订户模板，如 tls-server）',
    en: 'Profile {profile} cannot be used over ACME (it needs a subscriber profile that allows DNS names, such as tls-server)',
  },
  'acme.binding-bad-validity': {
    'zh-CN': '有效期 {days} 天不在 1 到 {max} 天之间（模板 {profile} 的上限）',
    en: 'A validity of {days} days is not between 1 and {max} days (the limit of profile {profile})',
  },
  'acme.binding-bad-lifetime': {
    'zh-CN': '绑定的使用期限 {days} 天不在 1 到 3660 天之间',
    en: 'The binding lifetime of {days} days is not between 1 and 3660 days',
  },
  'acme.binding-unknown': {
    'zh-CN': '没有编号为 {keyId} 的 ACME 外部账户绑定',
    en: 'There is no ACME external account binding {keyId}',
  },
  'acme.binding-issued': {
    'zh-CN':
      '已为订户 {subscriber} 签发 ACME 外部账户绑定\n  密钥编号（EAB kid）：{keyId}\n  HMAC 密钥（只显示这一次）：{macKey}\n  允许的域名：{identifiers}\n  证书模板：{profiles}，证书有效期最长 {validityDays} 天\n  绑定有效至：{expiresAt}',
    en: 'ACME external account binding issued for subscriber {subscriber}\n  key id (EAB kid): {keyId}\n  HMAC key (shown only this once): {macKey}\n  domains: {identifiers}\n  profiles: {profiles}, certificates of at most {validityDays} days\n  binding valid until: {expiresAt}',
  },
  'acme.binding-line': {
    'zh-CN': '{keyId}  订户 {subscriber}  域名 {identifiers}  模板 {profiles}  有效至 {expiresAt}  账户 {account}  {state}',
    en: '{keyId}  subscriber {subscriber}  domains {identifiers}  profiles {profiles}  until {expiresAt}  account {account}  {state}',
  },
  'acme.binding-state.active': { 'zh-CN': '有效', en: 'active' },
  'acme.binding-state.revoked': { 'zh-CN': '已撤销', en: 'revoked' },
  'acme.binding-state.expired': { 'zh-CN': '已过期', en: 'expired' },
  'acme.binding-revoked': {
    'zh-CN': 'ACME 外部账户绑定 {keyId} 已撤销：其账户不能再申请新证书（已签发的证书不受影响，需要时请另行吊销）',
    en: 'ACME external account binding {keyId} revoked: its account can no longer order certificates (certificates already issued stay valid; revoke them separately if needed)',
  },
  'acme.config.limits-invalid': {
    'zh-CN': '{variable} 中的 {value} 格式不对：应为 orders=订单数/秒数 或 pending=待验证授权数，例如 orders=300/3600,pending=300',
    en: '{variable}: {value} is not orders=max/seconds or pending=max, e.g. orders=300/3600,pending=300',
  },
  'acme.config.hosts-invalid': {
    'zh-CN': '{variable} 中的 {value} 格式不对：应为 域名=IP 地址，例如 shop.example.cn=192.0.2.10',
    en: '{variable}: {value} is not name=address, e.g. shop.example.cn=192.0.2.10',
  },
} satisfies Catalogue;
