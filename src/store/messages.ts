import type { Catalogue } from '../i18n/messages.js';

/** The store's texts: `signet store move` (src/store/move.ts), refusals and results, and its start-up setting. */
export const STORE_MESSAGES = {
  'store.move-source-not-sqlite': {
    'zh-CN': '只能从 SQLite 数据库迁出（当前为 {source}）',
    en: 'Only a SQLite store can be moved (this one is {source})',
  },
  'store.move-target-not-postgres': {
    'zh-CN': '迁移目标必须是 PostgreSQL 地址（postgres://…），而不是 {target}',
    en: 'The target must be a PostgreSQL URL (postgres://…), not {target}',
  },
  'store.move-source-busy': {
    'zh-CN': '仍有服务进程在使用该 SQLite 数据库（{servers}）：请先停止所有 signet serve 再迁移',
    en: 'A server still uses this SQLite store ({servers}): stop every signet serve before moving it',
  },
  'store.move-schema-differs': {
    'zh-CN': '目标数据库缺少这些表：{tables}',
    en: 'The target lacks these tables: {tables}',
  },
  'store.move-target-not-empty': {
    'zh-CN': '目标数据库不是空的（表 {table} 已有 {rows} 行），未写入任何内容',
    en: 'The target is not empty (table {table} holds {rows} rows); nothing was written',
  },
  'store.move-verification-failed': {
    'zh-CN': '校验失败：表 {table} 源有 {sourceRows} 行，目标有 {targetRows} 行或内容不同',
    en: 'Verification failed: table {table} has {sourceRows} rows in the source and {targetRows} in the target, or different content',
  },
  'store.move-audit-broken': {
    'zh-CN': '目标数据库中的审计链校验失败（第 {seq} 条）',
    en: 'The audit chain does not verify on the target (entry {seq})',
  },
  'store.moved': {
    'zh-CN': '已迁移 {tables} 张表共 {rows} 行：{source} → {target}；逐表行数与内容哈希一致，审计链完整（{entries} 条，链头 {head}）。请将 SIGNET_DATABASE_URL 设为新地址后再启动服务。',
    en: 'Moved {rows} rows in {tables} tables: {source} → {target}; every table has the same row count and content hash, and the audit chain verifies ({entries} entries, head {head}). Set SIGNET_DATABASE_URL to the new URL before starting the servers again.',
  },
  'store.move-table': {
    'zh-CN': '已复制 {table}：{rows} 行',
    en: 'Copied {table}: {rows} rows',
  },
  // A malformed environment variable of the store stops the start (src/config/config-error.ts): {value} arrives quoted.
  'store.config.sqlite-synchronous-invalid': {
    'zh-CN': '{variable} 只能是 full（每次提交都写入磁盘）或 normal（只在检查点写入磁盘），而不是 {value}',
    en: '{variable} must be full or normal (sync at every commit, or at checkpoints only), not {value}',
  },
} satisfies Catalogue;
