/**
 * `signet audit verify` over a growing chain (issue 22, R20): memory must not
 * grow with the number of entries, and progress is shown. Appends
 * certificate.issued-shaped entries through appendAuditEntries (the hash chain
 * as issuance writes it) up to each size, then runs the compiled CLI in its own
 * process under /usr/bin/time: peak RSS, wall and CPU seconds, progress lines.
 *
 *   npm run build && npx tsx bench/audit-verify.ts [--sizes 1000000,2000000,4000000] [--store sqlite|postgres]
 *
 * PostgreSQL: SIGNET_TEST_POSTGRES_URL, or the throwaway cluster the tests use.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAuditEntries } from '../src/audit/audit-log.js';
import { loadConfig } from '../src/config/settings.js';
import { openSignet } from '../src/signet.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, fmt } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const SIZES = argument('sizes', '1000000,2000000,4000000').split(',').map(Number);
const STORE = argument('store', 'sqlite') as 'sqlite' | 'postgres';
const BATCH = 2000;
const env = (dataDir: string, databaseUrl: string) => ({ SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: databaseUrl, SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_ADMIN_TOKEN: 'bench-admin-token', SIGNET_LOG_LEVEL: 'warn' });

let teardown: (() => Promise<void>) | undefined;
if (STORE === 'postgres' && !process.env.SIGNET_TEST_POSTGRES_URL) teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'signet-audit-verify-'));
const databaseUrl = await benchDatabaseUrl(STORE, dataDir, 'signet_audit');
const signet = await openSignet(loadConfig(env(dataDir, databaseUrl)));
const rows: string[] = [];
try {
  let written = Number((await signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.max('seq').as('n')).executeTakeFirst())?.n ?? 0);
  const at = new Date();
  for (const size of SIZES) {
    const started = performance.now();
    while (written < size) {
      const n = Math.min(BATCH, size - written);
      const events = Array.from({ length: n }, () => {
        const serial = randomBytes(17).toString('hex');
        return {
          at,
          event: {
            actor: 'ra:bench',
            action: 'certificate.issued',
            target: `certificate:${serial}`,
            details: { issuer: 'issuing-1', profile: 'tls-client', subject: 'CN=bench', subscriber: 'bench', spkiSha256: randomBytes(32).toString('hex'), notBefore: at.toISOString(), notAfter: at.toISOString(), reason: 'bench' },
          },
        };
      });
      await signet.store.db.transaction().execute((trx) => appendAuditEntries(trx, signet.store.dialect, events));
      written += n;
    }
    const appendSeconds = (performance.now() - started) / 1000;
    // The compiled CLI, as an operator runs it; GNU time's %M is the peak RSS in KB.
    const run = spawnSync('/usr/bin/time', ['-f', 'TIME %M %e %U %S', process.execPath, 'bin/signet.js', 'audit', 'verify', '--json'], {
      env: { ...process.env, ...env(dataDir, databaseUrl), SIGNET_LANG: 'en' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const [kb, wall, user, system] = /TIME (\d+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(run.stderr)!.slice(1).map(Number) as [number, number, number, number];
    const progress = run.stderr.split('\n').filter((l) => /\d+%/.test(l));
    const verdict = JSON.parse(run.stdout) as { ok: boolean; entries: number };
    const row = `| ${fmt(written)} | ${verdict.ok ? 'ok' : 'BROKEN'} ${fmt(verdict.entries)} | ${(kb / 1024).toFixed(0)} | ${wall.toFixed(1)} | ${(user + system).toFixed(1)} | ${progress.length} (last: ${progress.at(-1)?.trim() ?? '-'}) | ${appendSeconds.toFixed(0)} |`;
    rows.push(row);
    console.log(row);
  }
} finally {
  await signet.close();
  await teardown?.();
}
console.log(`\n| entries (${STORE}) | verdict | peak RSS MB | wall s | CPU s | progress lines | append s |\n| --- | --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}`);
console.log(`\nReproduce: npm run build && npx tsx bench/audit-verify.ts --sizes ${SIZES.join(',')} --store ${STORE}`);
process.exit(0);
