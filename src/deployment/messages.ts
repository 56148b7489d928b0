import type { Catalogue } from '../i18n/messages.js';

/** The welcome `npm start` prints for a development deployment. */
export const DEPLOYMENT_MESSAGES = {
  'deployment.tls-development-only': {
    'zh-CN': 'SIGNET_TLS=development 只用于开发部署；正式运行请用 SIGNET_TLS_CERT_FILE 和 SIGNET_TLS_KEY_FILE 指定证书和私钥',
    en: 'SIGNET_TLS=development is for development deployments only; in production give the certificate and key with SIGNET_TLS_CERT_FILE and SIGNET_TLS_KEY_FILE',
  },
  'deployment.tls-bad-mode': {
    'zh-CN': 'SIGNET_TLS 只能是 development（由本部署的层级签发监听证书），而不是 {value}；正式证书用 SIGNET_TLS_CERT_FILE 和 SIGNET_TLS_KEY_FILE',
    en: 'SIGNET_TLS can only be development (the listener certificate from this deployment\'s hierarchy), not {value}; a real certificate is given with SIGNET_TLS_CERT_FILE and SIGNET_TLS_KEY_FILE',
  },
  'deployment.tls-both': {
    'zh-CN': 'SIGNET_TLS=development 与 SIGNET_TLS_CERT_FILE/SIGNET_TLS_KEY_FILE 只能选一种',
    en: 'SIGNET_TLS=development and SIGNET_TLS_CERT_FILE/SIGNET_TLS_KEY_FILE cannot be used together',
  },
  'deployment.tls-development-made': {
    'zh-CN': '已由本部署的签发 CA 为 TLS 监听签发开发证书（序列号 {serial}，名称 {names}）：{dir}',
    en: 'Issued a development certificate for the TLS listener from this deployment\'s issuing CA (serial {serial}, names {names}): {dir}',
  },
  'deployment.welcome-title': {
    'zh-CN': 'Signet 开发部署已就绪（仅供开发和演示；正式运行请设置 SIGNET_MODE=production）',
    en: 'The Signet development deployment is ready (for development and demonstration; set SIGNET_MODE=production to run a real CA)',
  },
  'deployment.portal': {
    'zh-CN': '订户门户（申请证书）：{url}',
    en: 'Subscriber portal (apply for a certificate): {url}',
  },
  'deployment.console': {
    'zh-CN': 'RA 控制台（审核、管理）：{url}',
    en: 'RA console (review, administration): {url}',
  },
  'deployment.api-docs': {
    'zh-CN': 'API 文档：{url}',
    en: 'API docs: {url}',
  },
  'deployment.operator': {
    'zh-CN': '{who}：用户名 {username}  密码 {password}',
    en: '{who}: username {username}  password {password}',
  },
  'deployment.who.ca-admin': {
    'zh-CN': 'CA 管理员',
    en: 'CA administrator',
  },
  'deployment.who.ra-officer': {
    'zh-CN': 'RA 审核员（{ra}）',
    en: 'RA officer ({ra})',
  },
  'deployment.passwords-once': {
    'zh-CN': '密码只显示这一次，已保存在 {file}（仅本用户可读）。',
    en: 'The passwords are shown only now; they are kept in {file} (readable by you only).',
  },
  'deployment.passwords-file': {
    'zh-CN': '控制台登录账号和密码见 {file}。',
    en: 'Console sign-in: the usernames and passwords are in {file}.',
  },
  'deployment.admin-token': {
    'zh-CN': 'API 调用（CA 管理员）：Authorization: Bearer $(cat {file})',
    en: 'API calls as CA administrator: Authorization: Bearer $(cat {file})',
  },
  'deployment.next': {
    'zh-CN': '接下来：在门户登记并申请 → 以 officer 登录控制台，受理并批准，记下参考号和授权码 → 在门户“下载证书”页面输入它们，证书就在浏览器中生成。',
    en: 'Next: register and apply in the portal → sign in to the console as officer, take and approve the application, note the reference number and authorization code → enter them on the portal\'s download page, and the certificate is made in the browser.',
  },
} satisfies Catalogue;
