import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { SignetError } from '../i18n/signet-error.js';
import { loadConfig } from '../config/settings.js';
import { moveStore } from '../store/move.js';
import { print, say } from './command-support.js';

/** `signet store move`: thin over src/store/move.ts. */
export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('the deployment\'s database / 部署的数据库');
  store
    .command('move')
    .description('move this deployment from its SQLite file to an empty PostgreSQL database, and verify the copy (stop every server first) / 从 SQLite 迁移到 PostgreSQL 并校验')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user@host/db (must be empty)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { to: string; json?: boolean }) => {
      const config = loadConfig();
      const path = config.databaseUrl.replace(/^sqlite:(\/\/)?/, '');
      // Moving a folder that has no store would create an empty one and move nothing.
      if (!/^postgres(ql)?:\/\//.test(config.databaseUrl) && !existsSync(path)) throw new SignetError('cli.no-store', 404, { dataDir: config.dataDir, database: path });
      // Progress on stderr, so --json on stdout stays one document.
      const report = await moveStore(config.databaseUrl, opts.to, { onTable: (table, rows) => process.stderr.write(`${say('store.move-table', { table, rows })}\n`) });
      print(
        !!opts.json,
        report,
        say('store.moved', { tables: report.tables.length, rows: report.rows, source: report.source, target: report.target, entries: report.auditEntries, head: report.auditHead }),
      );
    });
}
