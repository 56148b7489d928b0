import type { Catalogue } from '../i18n/messages.js';

/** The welcome `npm start` prints for a development deployment. */
export const DEPLOYMENT_MESSAGES = {
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
