import type { Catalogue } from '../i18n/messages.js';

/** What the command line itself says (the domains' commands use their own catalogues). */
export const CLI_MESSAGES = {
  'cli.no-store': {
    'zh-CN': '数据目录 {dataDir} 中没有 Signet 数据库（{database}）。请先运行 `signet init` 或 `npm start` 创建，或用 SIGNET_DATA / SIGNET_DATABASE_URL 指向已有的部署。',
    en: 'There is no Signet database in the data folder {dataDir} ({database}). Create one first with `signet init` or `npm start`, or point SIGNET_DATA / SIGNET_DATABASE_URL at an existing deployment.',
  },
  'cli.serial-twice': {
    'zh-CN': '序列号只需给出一次：写在命令后面（signet cert revoke 序列号），不要同时使用 --serial',
    en: 'Give the serial once: after the command (signet cert revoke SERIAL), not also with --serial',
  },
  'cli.serial-missing': { 'zh-CN': '请给出证书序列号：signet cert revoke 序列号', en: 'Give the certificate serial: signet cert revoke SERIAL' },
  'cli.cert-status-line': { 'zh-CN': '状态', en: 'Status' },
  'cli.more-pages': {
    'zh-CN': '（共 {total} 张，只显示前 {shown} 张；用 --limit 显示更多，或用过滤条件缩小范围）',
    en: '({total} in all, the first {shown} shown; --limit shows more, or narrow the filters)',
  },
  'cli.officer-needed': {
    'zh-CN': '审核由 RA 审核员完成：请用 --officer 用户名 指定以哪位审核员的身份操作（该账户须为启用的 ra-officer）',
    en: 'Reviews are an RA officer\'s work: name the officer to act as with --officer USERNAME (an enabled ra-officer account)',
  },
  'cli.not-an-officer': {
    'zh-CN': '操作员 {username} 不是启用的 RA 审核员（角色 {role}，状态 {status}）',
    en: 'Operator {username} is not an enabled RA officer (role {role}, status {status})',
  },
  'cli.role-list': {
    'zh-CN': 'ca-admin\t管理整个 CA：注册机构、操作员、协议、收费、证书吊销\nra-admin\t管理本注册机构：本机构的操作员、订户\nra-officer\t本注册机构的审核：登记订户、审核申请、签发下载凭证、处理变更与吊销请求\nauditor\t只读：审计日志、清单与统计（可限于一个注册机构）',
    en: 'ca-admin\truns the whole CA: RAs, operators, agreements, fees, revocation\nra-admin\truns one RA: its operators and subscribers\nra-officer\treviews at one RA: registers subscribers, reviews applications, hands out download credentials, handles changes and revocation requests\nauditor\treads only: the audit log, the inventory and statistics (optionally of one RA)',
  },
  'cli.hsm-module-missing': {
    'zh-CN': '--hsm 要把 CA 密钥生成在 PKCS#11 令牌中，但没有设置 SIGNET_PKCS11_MODULE：请设置 SIGNET_PKCS11_MODULE、SIGNET_PKCS11_TOKEN 与 SIGNET_PKCS11_PIN（或 SIGNET_PKCS11_PIN_FILE），或去掉 --hsm',
    en: '--hsm makes the CA keys in a PKCS#11 token, but SIGNET_PKCS11_MODULE is not set: set SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_PIN (or SIGNET_PKCS11_PIN_FILE), or leave out --hsm',
  },
  'cli.empty.ra-orgs': { 'zh-CN': '没有注册机构。用 signet ra org create --name 名称 新建。', en: 'No RAs. Create one with signet ra org create --name NAME.' },
  'cli.empty.operators': { 'zh-CN': '没有操作员。用 signet ra operator create 新建。', en: 'No operators. Create one with signet ra operator create.' },
  'cli.empty.subscribers': { 'zh-CN': '没有订户。', en: 'No subscribers.' },
  'cli.empty.applications': { 'zh-CN': '没有符合条件的申请。', en: 'No applications match.' },
  'cli.empty.certificates': { 'zh-CN': '没有符合条件的证书。', en: 'No certificates match.' },
  'cli.empty.crls': { 'zh-CN': '该 CA 尚未发布 CRL。用 signet crl generate 发布。', en: 'This CA has published no CRL yet. Publish one with signet crl generate.' },
  'cli.empty.profiles': { 'zh-CN': '没有证书模板。', en: 'No certificate profiles.' },
  'cli.empty.cas': { 'zh-CN': '还没有 CA。用 signet init 或 npm start 创建。', en: 'No CA yet. Create one with signet init or npm start.' },
  'cli.empty.list': { 'zh-CN': '（无）', en: '(none)' },
} satisfies Catalogue;
