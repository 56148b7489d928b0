import type { Catalogue } from '../i18n/messages.js';

/** What the command line itself says (the domains' commands use their own catalogues). */
export const CLI_MESSAGES = {
  'cli.no-store': {
    'zh-CN': '数据目录 {dataDir} 中没有 Signet 数据库（{database}）。请先运行 `signet init` 或 `npm start` 创建，或用 SIGNET_DATA / SIGNET_DATABASE_URL 指向已有的部署。',
    en: 'There is no Signet database in the data folder {dataDir} ({database}). Create one first with `signet init` or `npm start`, or point SIGNET_DATA / SIGNET_DATABASE_URL at an existing deployment.',
  },
} satisfies Catalogue;
