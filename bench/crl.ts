/**
 * A CRL of 1,000,000 revoked certificates: wall time and peak memory of
 * `signet crl generate` (a process of its own, measured by /usr/bin/time)
 * beside `openssl ca -gencrl` over the same entries (serials, revocation
 * times, reasons) in an index file, same key type (ECDSA P-256), same run.
 *
 *   npm run build && npx tsx bench/crl.ts [entries]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { fmt } from './bench-support.js';

const ENTRIES = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'signet-bench-crl-'));
const env = { ...process.env, SIGNET_DATA: dir, SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_LOG_LEVEL: 'warn', SIGNET_DATABASE_URL: '' };

function timed(command: string, args: string[]): { seconds: number; peakMb: number; stdout: string } {
  const result = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %M', command, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = /BENCH ([\d.]+) (\d+)/.exec(result.stderr);
  if (result.status !== 0 || !line) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { seconds: Number(line[1]), peakMb: Number(line[2]) / 1024, stdout: result.stdout };
}

// A Signet with its hierarchy (the compiled CLI, as deployed), then the revocations written straight into its
// store: the same rows revokeCertificate writes, without a million certificates to revoke first.
const signetCli = (...args: string[]) => {
  const result = spawnSync(process.execPath, ['bin/signet.js', ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`signet ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
};
const { issuing: issuingId } = JSON.parse(signetCli('init', '--algorithm', 'ecdsa-p256', '--json')) as { root: string; issuing: string };
const authorities = JSON.parse(signetCli('ca', 'list', '--json')) as Array<{ serial: string }>;
const chainPem = authorities.reverse().map((a) => signetCli('cert', 'show', a.serial, '--pem')).join('');

const REASONS: Array<[number, string | null]> = [
  [1, 'keyCompromise'],
  [4, 'superseded'],
  [5, 'cessationOfOperation'],
  [3, 'affiliationChanged'],
  [0, null],
];
const start = Date.UTC(2026, 9, 1);
const notAfter = '2036-01-01T00:00:00.000Z';
const serials = randomBytes(16 * ENTRIES);
const index = createWriteStream(join(dir, 'index.txt'));
const sqlite = new BetterSqlite3(join(dir, 'signet.db'));
sqlite.pragma('journal_mode = WAL');
const insert = sqlite.prepare(
  `insert into revocations (serial, issuer_ca_id, reason_code, ground, revoked_at, invalidity_date, requested_by, justification, channel, not_after, commit_seq)
   values (?, ?, ?, null, ?, null, 'bench', null, 'ra', ?, ?)`,
);
const asIndexTime = (iso: string) => iso.replace(/[-:T]/g, '').slice(2, 14) + 'Z';
const BATCH = 50_000;
for (let from = 0; from < ENTRIES; from += BATCH) {
  const lines: string[] = [];
  sqlite.transaction(() => {
    for (let i = from; i < Math.min(ENTRIES, from + BATCH); i++) {
      const serial = `5c${serials.toString('hex', i * 16, i * 16 + 16)}`;
      const revokedAt = new Date(start + i * 1000).toISOString();
      const [code, name] = REASONS[i % REASONS.length]!;
      // Numbered in the order they were revoked, as the revocation counter numbers them (docs/status.md, commit order).
      insert.run(serial, issuingId, code, revokedAt, notAfter, i + 1);
      lines.push(`R\t${asIndexTime(notAfter)}\t${asIndexTime(revokedAt)}${name ? `,${name}` : ''}\t${serial.toUpperCase()}\tunknown\t/CN=subscriber ${i}\n`);
    }
  })();
  if (!index.write(lines.join(''))) await new Promise<void>((r) => index.once('drain', () => r()));
}
sqlite.prepare(`update status_counters set value = ? where name = 'revocations'`).run(ENTRIES);
// Fold the bulk load into the database file, as openssl's index file is complete on disk before it runs.
sqlite.pragma('wal_checkpoint(TRUNCATE)');
sqlite.close();
await new Promise<void>((r) => index.end(() => r()));

// Signet: the CLI, as an operator would run it.
const ours = timed(process.execPath, ['bin/signet.js', 'crl', 'generate', '--ca', issuingId, '--out', join(dir, 'signet.crl'), '--json']);
const published = (JSON.parse(ours.stdout) as Array<{ entries: number }>)[0]!;
if (published.entries !== ENTRIES) throw new Error(`Signet's CRL has ${published.entries} entries, not ${ENTRIES}`);
writeFileSync(join(dir, 'chain.pem'), chainPem);
const check = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'signet.crl'), '-CAfile', join(dir, 'chain.pem'), '-noout'], { encoding: 'utf8' });
if (!check.stderr.includes('verify OK')) throw new Error(`openssl does not verify Signet's CRL: ${check.stderr}`);

// The publication alone, inside one process that has already started and unsealed the key: what the scheduler pays.
const inProcess = timed(process.execPath, [
  '--input-type=module',
  '-e',
  `const { loadConfig } = await import('./dist/config/settings.js');
   const { openSignet } = await import('./dist/signet.js');
   const signet = await openSignet(loadConfig());
   await signet.ca.issuerContext(${JSON.stringify(issuingId)});
   const t0 = performance.now();
   const crl = await signet.status.crls.publish(${JSON.stringify(issuingId)}, 'full', 'bench');
   const seconds = (performance.now() - t0) / 1000;
   console.log(JSON.stringify({ seconds, entries: crl.entries }));
   await signet.close();`,
]);
const publishOnly = JSON.parse(inProcess.stdout) as { seconds: number; entries: number };

// OpenSSL: `openssl ca -gencrl` over the same entries, its own P-256 CA key.
spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-subj', '/CN=openssl bench CA', '-days', '30', '-out', join(dir, 'ca.pem')]);
writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
writeFileSync(join(dir, 'crlnumber'), '01\n');
writeFileSync(
  join(dir, 'ca.cnf'),
  `[ca]\ndefault_ca = bench\n[bench]\ndatabase = ${dir}/index.txt\ncrlnumber = ${dir}/crlnumber\ncertificate = ${dir}/ca.pem\nprivate_key = ${dir}/ca.key\ndefault_md = sha256\ndefault_crl_days = 1\ncrl_extensions = crl_ext\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n`,
);
const theirs = timed('openssl', ['ca', '-config', join(dir, 'ca.cnf'), '-gencrl', '-out', join(dir, 'openssl.crl')]);

const row = (name: string, r: { seconds: number; peakMb: number }, file: string) =>
  `${name.padEnd(32)} ${r.seconds.toFixed(2).padStart(7)} s   peak RSS ${fmt(r.peakMb).padStart(5)} MB   CRL ${(statSync(join(dir, file)).size / 1e6).toFixed(1)} MB`;
console.log(row('signet crl generate', ours, 'signet.crl'));
console.log(row('openssl ca -gencrl', theirs, 'openssl.crl'));
console.log(`${'signet publish() in a warm process'.padEnd(32)} ${publishOnly.seconds.toFixed(2).padStart(7)} s   (whole process: ${inProcess.seconds.toFixed(2)} s, peak RSS ${fmt(inProcess.peakMb)} MB)`);
console.log(`speed-up ${(theirs.seconds / ours.seconds).toFixed(2)}x (CLI) / ${(theirs.seconds / publishOnly.seconds).toFixed(2)}x (publish), memory ${(ours.peakMb / theirs.peakMb * 100).toFixed(0)}% of OpenSSL's (targets: >= 2x faster, <= 300 MB)`);
console.log(`
${fmt(ENTRIES)} revoked certificates (17-octet serials, 4 of 5 with a reason code), ECDSA P-256, SQLite; openssl crl -CAfile verified Signet's CRL.
All measured with /usr/bin/time -f '%e %M' (wall time, peak RSS) as separate processes; the CLI's time includes Node start-up,
loading every module, migrations and unsealing the CA key (scrypt); publish() is timed inside its process with performance.now().
The CRL is streamed: entry shapes are counted in the store, the CRL buffer allocated once, and the entries paged from a covering
index and encoded straight into their place: never a million objects, never a second copy of the CRL.
Reproduce: npm run build && npx tsx bench/crl.ts ${ENTRIES}`);
