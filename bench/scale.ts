/**
 * How Signet's costs grow with the population (issue 22): a store seeded with
 * N certificates, 10% of them revoked, through the domain API, then measured
 * against an almost empty store in the same run, on SQLite and on PostgreSQL.
 *
 *   npm run build && npm run bench:scale -- [--size 100000] [--stores sqlite,postgres] [--ocsp-seconds 10]
 *     [--seed api|bulk] [--figures all|console [--quick]] [--span-days 1095]
 *
 * --seed api (the default) issues every certificate through the domain API
 * (~25 min per store for a million on the shared machine); --seed bulk issues
 * 2,000 through the API and copies them with fresh serials and earlier
 * validity, re-signed by the issuing CA, written to the same tables as
 * issuance writes them (bench/bulk-seed.ts), over --span-days of history.
 * With --seed bulk the 10% revocations are written the same way (bulkRevoke). --figures console measures
 * only what the RA console and the audit need (no issuance rate, CRL, evidence
 * or OCSP server).
 *
 * Store-level figures (seeding, issuance rate, CRL generation, inventory,
 * audit verification, evidence, bytes on disk) are taken in this process; the
 * OCSP figures come from `signet serve` on the seeded store in its own
 * process pinned to core 0, beside a bare node:http server on the same core
 * returning the same bytes (the ceiling), driven by autocannon from core 1;
 * then from two `signet serve` processes over the same store (cores 0 and 1,
 * the load generator between them), with the servers' CPU per answer.
 * PostgreSQL is the throwaway cluster the tests use (fsync off: a lower bound
 * for the database's share), or SIGNET_TEST_POSTGRES_URL.
 */
import { randomInt } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { NUMBERED_ROWS } from '../src/ra/inventory.js';
import { bootstrapPrincipal } from '../src/ra/roles.js';
import { openSignet, type Signet } from '../src/signet.js';
import { serialOctets } from '../src/status/crl-encoding.js';
import { ocspQuestions } from '../src/status/test-support/ocsp-question.js';
import { verifyAudit } from '../src/audit/verification.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, fmt, freePort, processCpuSeconds } from './bench-support.js';
import { bulkRevoke, bulkSeed } from './bulk-seed.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const SIZE = Number(argument('size', '100000'));
const STORES = argument('stores', 'sqlite,postgres').split(',') as Array<'sqlite' | 'postgres'>;
const OCSP_SECONDS = Number(argument('ocsp-seconds', '10'));
const SEED = argument('seed', 'api') as 'api' | 'bulk';
const FIGURES = argument('figures', 'all') as 'all' | 'console';
const SPAN_DAYS = Number(argument('span-days', '1095'));
/** Measure again a store an earlier run seeded (its data folder and database URL, printed after seeding). */
const REUSE = argument('reuse', '');
const REUSE_URL = argument('reuse-url', '');
const QUICK = process.argv.includes('--quick');
const CONCURRENCY = 32;
const KEYS = 2000;
const PASSPHRASE = 'bench-passphrase';
const ADMIN = 'bench-admin-token';

/** Requests for a pool of keys; subscriber i always holds key i, so a key is never certified to two holders. */
async function requestPool(): Promise<string[]> {
  const pool: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = generateSoftwareKey('ecdsa-p256');
    const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
    const signature = await key.sign(new Uint8Array(AsnConvert.serialize(info)));
    const request = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: new Uint8Array(signature).buffer });
    pool.push(toPem('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(request))));
  }
  return pool;
}

interface Deployment {
  signet: Signet;
  dataDir: string;
  databaseUrl: string;
  issuingCaId: string;
  issuingDer: Buffer;
  serials: string[];
  revoked: string[];
  /** Bytes the store took with the hierarchy and nothing else: per-certificate figures are above this. */
  baseBytes: number;
}

async function deploy(store: 'sqlite' | 'postgres'): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-scale-'));
  const databaseUrl = await benchDatabaseUrl(store, dataDir, 'signet_bench');
  const signet = await openSignet(
    loadConfig({ SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: databaseUrl, SIGNET_CA_PASSPHRASE: PASSPHRASE, SIGNET_ADMIN_TOKEN: ADMIN, SIGNET_LOG_LEVEL: 'warn' }),
  );
  const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
  const d = { signet, dataDir, databaseUrl, issuingCaId: h.issuing.caId, issuingDer: h.issuing.der, serials: [], revoked: [], baseBytes: 0 };
  d.baseBytes = (await storeBytes(d)).total;
  return d;
}

async function reopen(dataDir: string, databaseUrl: string): Promise<Deployment> {
  const signet = await openSignet(
    loadConfig({ SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: databaseUrl, SIGNET_CA_PASSPHRASE: PASSPHRASE, SIGNET_ADMIN_TOKEN: ADMIN, SIGNET_LOG_LEVEL: 'warn' }),
  );
  const db = signet.store.db;
  const issuing = await db.selectFrom('certificate_authorities').select(['id', 'certificate_der']).where('role', '=', 'issuing').executeTakeFirstOrThrow();
  const serials = (await db.selectFrom('certificates').select('serial').where('issuer_ca_id', '=', issuing.id).orderBy('issued_at').execute()).map((r) => r.serial);
  const revoked = (await sql<{ serial: string }>`SELECT serial FROM revocations`.execute(db)).rows.map((r) => r.serial);
  return { signet, dataDir, databaseUrl, issuingCaId: issuing.id, issuingDer: issuing.certificate_der, serials, revoked, baseBytes: 0 };
}

/** Issues `count` certificates through the domain API, `CONCURRENCY` in flight (the CA batches what arrives together). */
async function issue(d: Deployment, pool: string[], count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const k = (d.serials.length + i) % KEYS;
      const issued = await d.signet.ca.issue({ csr: pool[k]!, profileId: 'tls-client', subject: `CN=scale ${i}`, subscriberId: `scale-${k}`, requestedBy: 'bench', reason: 'scale bench' });
      d.serials.push(issued.serial);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return count / ((performance.now() - started) / 1000);
}

async function revoke(d: Deployment, count: number): Promise<number> {
  const started = performance.now();
  const chosen = d.serials.filter((_, i) => i % Math.round(d.serials.length / count) === 0).slice(0, count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const serial = chosen[next++];
      if (!serial) return;
      await d.signet.status.revokeCertificate({ serial, reason: 'superseded', channel: 'ra', requestedBy: 'bench' });
      d.revoked.push(serial);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return chosen.length / ((performance.now() - started) / 1000);
}

async function median(times: number, work: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

/** Peak RSS of this process while `work` runs (sampled every 20 ms), minus RSS before. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakMb: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { result, ms, peakMb: (peak - before) / 1048576 };
}

async function storeBytes(d: Pick<Deployment, 'signet' | 'databaseUrl'>): Promise<{ total: number; intents: number }> {
  if (d.signet.store.dialect === 'sqlite') {
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(d.signet.store.db);
    const file = d.databaseUrl;
    const total = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    const intents = await sql<{ n: number }>`SELECT sum(pgsize) AS n FROM dbstat WHERE name = 'issuance_intents'`.execute(d.signet.store.db).catch(() => ({ rows: [{ n: NaN }] }));
    return { total, intents: Number(intents.rows[0]?.n) };
  }
  const size = await sql<{ total: string; intents: string }>`SELECT pg_database_size(current_database()) AS total, pg_total_relation_size('issuance_intents') AS intents`.execute(d.signet.store.db);
  return { total: Number(size.rows[0]!.total), intents: Number(size.rows[0]!.intents) };
}

async function bytesOnDisk(d: Deployment): Promise<{ perCertificate: number; intentsPerCertificate: number }> {
  const certificates = d.serials.length;
  const bytes = await storeBytes(d);
  return { perCertificate: (bytes.total - d.baseBytes) / certificates, intentsPerCertificate: bytes.intents / certificates };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

function pinned(args: string[], env: Record<string, string>, core = '0'): ChildProcess {
  return spawn('taskset', ['-c', core, process.execPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** `signet serve` on the seeded store, pinned to `core`; a second one over the same data folder and database is a second node. */
async function serve(d: Deployment, core: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = pinned(
    ['bin/signet.js', 'serve'],
    { SIGNET_DATA: d.dataDir, SIGNET_DATABASE_URL: d.databaseUrl, SIGNET_PORT: String(port), SIGNET_CA_PASSPHRASE: PASSPHRASE, SIGNET_ADMIN_TOKEN: ADMIN, SIGNET_LOG_LEVEL: 'warn', SIGNET_RATE_LIMITS: 'off' },
    core,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`);
  return { child, url };
}

async function waitFor(url: string, body?: Buffer): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const response = body ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body }) : await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} does not answer`);
}

async function load(url: string, bodies: Buffer[], connections = 32): Promise<{ perSecond: number; p99: number; errors: number }> {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration: OCSP_SECONDS,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, setupRequest: (r) => ({ ...r, body: bodies[next++ % bodies.length] }) }],
  });
  return { perSecond: result.requests.total / (result.duration || OCSP_SECONDS), p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * OCSP from `signet serve` on the seeded store: random serials across the population, then one hot serial, beside
 * the bare ceiling; then random serials again (a fresh sample) across two server processes over the same store, one
 * per core, the connections split between them. Server CPU per answer (user + system, /proc) is the figure a shared
 * machine does not move much; the wall rates are the coordinator's to take on the quiet machine.
 */
async function ocsp(d: Deployment): Promise<Record<string, string>> {
  const a = await serve(d, '0');
  const server = a.child;
  const url = a.url;
  let second: ChildProcess | undefined;
  try {
    const rssIdle = rssMb(server.pid!);
    const questions = ocspQuestions(d.issuingDer);
    const sampleOf = () => Array.from({ length: 20_000 }, () => questions.about(serialOctets(d.serials[randomInt(d.serials.length)]!)));
    const sample = sampleOf();
    const cpu0 = processCpuSeconds(server.pid!);
    const random = await load(`${url}/ocsp`, sample);
    const randomCpuMs = ((processCpuSeconds(server.pid!) - cpu0) * 1000) / Math.max(1, random.perSecond * OCSP_SECONDS);
    const rssAfterRandom = rssMb(server.pid!);
    const hot = await load(`${url}/ocsp`, [sample[0]!]);
    const response = Buffer.from(await (await fetch(`${url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: sample[0] })).arrayBuffer());

    // Two server processes over the same store (a second node: same data folder, so the same secrets), one per core.
    const b = await serve(d, '1');
    second = b.child;
    const twoSample = sampleOf();
    const before = [processCpuSeconds(server.pid!), processCpuSeconds(second.pid!)];
    const [ra, rb] = await Promise.all([load(`${url}/ocsp`, twoSample, 16), load(`${b.url}/ocsp`, twoSample.slice().reverse(), 16)]);
    const twoCpu = processCpuSeconds(server.pid!) - before[0]! + (processCpuSeconds(second.pid!) - before[1]!);
    const two = { perSecond: ra.perSecond + rb.perSecond, p99: Math.max(ra.p99, rb.p99), errors: ra.errors + rb.errors };
    const twoCpuMs = (twoCpu * 1000) / Math.max(1, two.perSecond * OCSP_SECONDS);
    const rssTwo = `${rssMb(server.pid!).toFixed(0)} + ${rssMb(second.pid!).toFixed(0)}`;
    await stop(second);
    await stop(server);

    const barePort = await freePort();
    const responseFile = join(d.dataDir, 'response.der');
    writeFileSync(responseFile, response);
    const bare = pinned(
      [
        '-e',
        `const body = require('fs').readFileSync(${JSON.stringify(responseFile)});
         require('http').createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length }); res.end(body); }); }).listen(${barePort}, '127.0.0.1');`,
      ],
      {},
    );
    await waitFor(`http://127.0.0.1:${barePort}/`, sample[0]);
    const ceiling = await load(`http://127.0.0.1:${barePort}/`, [sample[0]!]);
    await stop(bare);
    return {
      'OCSP random serials, one server process (/s, p99 ms)': `${fmt(random.perSecond)}, ${random.p99} (${((random.perSecond / ceiling.perSecond) * 100).toFixed(0)}% of ceiling, ${((random.perSecond / hot.perSecond) * 100).toFixed(0)}% of hot)${random.errors ? ` ${random.errors} errors` : ''}`,
      'OCSP random serials, one server process: server CPU per answer (ms)': randomCpuMs.toFixed(3),
      'OCSP random serials, two server processes (/s, p99 ms, server CPU ms/answer)': `${fmt(two.perSecond)}, ${two.p99}, ${twoCpuMs.toFixed(3)}${two.errors ? ` ${two.errors} errors` : ''}`,
      'server RSS with two processes, after their load (MB)': rssTwo,
      'OCSP one hot serial (/s, p99 ms)': `${fmt(hot.perSecond)}, ${hot.p99}`,
      'bare node:http ceiling, same core (/s)': fmt(ceiling.perSecond),
      'server RSS idle / after random load (MB)': `${rssIdle.toFixed(0)} / ${rssAfterRandom.toFixed(0)}`,
    };
  } finally {
    if (second) await stop(second);
    await stop(server);
  }
}

/** What an RA console does, as the web UI asks it (src/ra/inventory.ts behind /api/v1/ra/inventory/*), median of 5 unless said. */
async function consoleFigures(d: Deployment): Promise<Record<string, string>> {
  const row: Record<string, string> = {};
  const by = bootstrapPrincipal('cli', 'bench');
  const inventory = d.signet.ra.inventory;
  const time = async (label: string, work: () => Promise<{ total?: number; items?: unknown[] }>, times = 5) => {
    let shown = '';
    const ms = await median(times, async () => {
      const result = await work();
      shown = result.items ? ` (${fmt(result.items.length)} rows${result.total !== undefined ? `, total ${fmt(result.total)}` : ''})` : '';
    });
    row[label] = `${ms.toFixed(1)}${shown}`;
  };
  // What the service round does every quarter-hour on a running deployment: past hours' counter slots folded.
  const folded = await withPeakRss(() => inventory.compactCounters());
  row['counter slots folded by the service round (rows, ms)'] = `${fmt(folded.result)}, ${fmt(folded.ms)}`;
  const pageSize = 20; // web/src/console/certificates-page.tsx
  const first = await inventory.page(by, { pageSize });
  await time('inventory first page (ms)', () => inventory.page(by, { pageSize }));
  await time('inventory next page by keyset (ms)', () => inventory.page(by, { pageSize, after: first.next ?? undefined }));
  // A cursor halfway down the list: keyset paging costs the same at any depth.
  const middle = d.serials[Math.floor(d.serials.length / 2)]!;
  const middleRow = await d.signet.store.db.selectFrom('certificates').select(['issued_at', 'serial']).where('serial', '=', middle).executeTakeFirstOrThrow();
  await time('inventory page halfway by keyset (ms)', () => inventory.page(by, { pageSize, after: `${middleRow.issued_at}~${middleRow.serial}` }));
  // Page numbers reach the first NUMBERED_ROWS rows (an OFFSET); the deepest one is the most a number can cost.
  const deepest = Math.floor(NUMBERED_ROWS / pageSize);
  await time(`inventory deepest page by number (page ${fmt(deepest)}, OFFSET ${fmt((deepest - 1) * pageSize)}, ms)`, () => inventory.page(by, { pageSize, page: deepest }));
  const probe = d.serials[Math.floor(d.serials.length / 3)]!;
  await time('inventory exact serial (ms)', () => inventory.page(by, { pageSize, q: probe }));
  await time('inventory serial as colon-separated hex (ms)', () => inventory.page(by, { pageSize, q: probe.match(/../g)!.join(':').toUpperCase() }));
  await time('inventory serial prefix, 8 hex digits (ms)', () => inventory.page(by, { pageSize, q: probe.slice(0, 8) }));
  await time('inventory subject that exists (ms)', () => inventory.page(by, { pageSize, q: 'scale 1234' }));
  await time('inventory subject that does not exist (ms)', () => inventory.page(by, { pageSize, q: 'nobody here' }));
  for (const status of ['good', 'revoked', 'expired'] as const) await time(`inventory status=${status} (ms)`, () => inventory.page(by, { pageSize, status }));
  await time('inventory reason=superseded (ms)', () => inventory.page(by, { pageSize, reason: 'superseded' }));
  await time('inventory expiring within 30 days (ms)', () => inventory.page(by, { pageSize, expiringWithinDays: 30 }));
  const day = new Date(Date.parse(middleRow.issued_at) + 8 * 3_600_000).toISOString().slice(0, 10);
  await time('inventory issued on one day (ms)', () => inventory.page(by, { pageSize, issuedOn: day }));
  row['dashboard statistics (ms)'] = (await median(5, () => inventory.statistics(by))).toFixed(1);
  // --quick: the inventory and dashboard only (audit verify and the retention job take minutes at a million).
  if (QUICK) return row;
  const audit = await withPeakRss(() => verifyAudit(d.signet.store));
  row['audit verify (entries, ms, +RSS MB)'] = `${fmt(audit.result.chain.entries)}, ${fmt(audit.ms)}, ${audit.peakMb.toFixed(0)}`;
  // R2's daily job reads every subscriber's certificates (nothing is five years old here: a pure scan).
  const retention = await withPeakRss(() => d.signet.service.retention.run('bench'));
  row['retention job (purged, ms, +RSS MB)'] = `${fmt(retention.result.purged.length)}, ${fmt(retention.ms)}, ${retention.peakMb.toFixed(0)}`;
  // The next run starts from the watermark the first one left (src/service/retention.ts): what became due since.
  const again = await withPeakRss(() => d.signet.service.retention.run('bench'));
  row['retention job again, from its watermark (purged, ms, +RSS MB)'] = `${fmt(again.result.purged.length)}, ${fmt(again.ms)}, ${again.peakMb.toFixed(0)}`;
  return row;
}

async function measure(d: Deployment, pool: string[]): Promise<Record<string, string>> {
  if (FIGURES === 'console') {
    const row = await consoleFigures(d);
    if (QUICK) return row;
    const disk = await bytesOnDisk(d);
    row['bytes on disk per certificate (all / intents)'] = `${fmt(disk.perCertificate)} / ${Number.isNaN(disk.intentsPerCertificate) ? '-' : fmt(disk.intentsPerCertificate)}`;
    return row;
  }
  const row: Record<string, string> = {};
  row['issuance (certificates/s, 1,000 more)'] = fmt(await issue(d, pool, 1000));
  const crl = await withPeakRss(() => d.signet.status.crls.publish(d.issuingCaId, 'full', 'bench'));
  row['full CRL (entries, ms, MB, +RSS MB)'] = `${fmt(crl.result.entries)}, ${fmt(crl.ms)}, ${(crl.result.der.length / 1048576).toFixed(1)}, ${crl.peakMb.toFixed(0)}`;
  Object.assign(row, await consoleFigures(d));
  const evidenceMs = await median(3, () => d.signet.evidence.produce({ serial: d.revoked[0] ?? d.serials[0]!, at: new Date(), requestedBy: 'bench' }));
  row['evidence package (ms)'] = fmt(evidenceMs);
  const disk = await bytesOnDisk(d);
  row['bytes on disk per certificate (all / intents)'] = `${fmt(disk.perCertificate)} / ${Number.isNaN(disk.intentsPerCertificate) ? '-' : fmt(disk.intentsPerCertificate)}`;
  Object.assign(row, await ocsp(d));
  return row;
}

const loadAtStart = loadavg()[0]!;
let teardown: (() => Promise<void>) | undefined;
if (STORES.includes('postgres') && !process.env.SIGNET_TEST_POSTGRES_URL) {
  teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
}
const pool = await requestPool();
const table: Array<{ store: string; column: string; row: Record<string, string> }> = [];
try {
  if (REUSE) {
    const d = await reopen(REUSE, REUSE_URL || join(REUSE, 'signet.db'));
    // A seeding run that stopped before its revocations: the 10% written now, as --seed bulk writes them.
    const missing = Math.round(d.serials.length / 10) - d.revoked.length;
    if (SEED === 'bulk' && missing > d.serials.length / 100) {
      const revoked = new Set(d.revoked);
      const step = Math.max(1, Math.floor(d.serials.length / missing));
      const chosen = d.serials.filter((s, i) => i % step === 0 && !revoked.has(s)).slice(0, missing);
      await bulkRevoke(d.signet, chosen, 'bench');
      for (const serial of chosen) d.revoked.push(serial);
      console.log(`[reuse] revoked ${fmt(chosen.length)} more`);
    }
    table.push({ store: d.signet.store.dialect, column: `${fmt(d.serials.length)} certificates, ${fmt(d.revoked.length)} revoked (reused)`, row: await measure(d, pool) });
    await d.signet.close();
  }
  for (const store of REUSE ? [] : STORES) {
    const empty = await deploy(store);
    await issue(empty, pool, 200);
    table.push({ store, column: `${fmt(empty.serials.length)} certificates`, row: await measure(empty, pool) });
    console.log(`[${store}] almost empty store measured`);
    await empty.signet.close();

    const full = await deploy(store);
    const seedStarted = performance.now();
    let issueRate: number;
    if (SEED === 'bulk') {
      const templates = Math.min(KEYS, SIZE);
      await issue(full, pool, templates);
      const started = performance.now();
      let shown = 0;
      const copies = await bulkSeed(full.signet, full.issuingCaId, full.serials.slice(), SIZE - templates, SPAN_DAYS, (done) => {
        if (done - shown >= 100_000) console.log(`[${store}] ${fmt((shown = done))} copies written`);
      });
      for (const serial of copies) full.serials.push(serial);
      issueRate = SIZE / ((performance.now() - started) / 1000);
    } else {
      issueRate = await issue(full, pool, SIZE);
    }
    let revokeRate: number;
    if (SEED === 'bulk') {
      const started = performance.now();
      const step = Math.max(1, Math.round(full.serials.length / (SIZE / 10)));
      const chosen = full.serials.filter((_, i) => i % step === 0).slice(0, Math.round(SIZE / 10));
      await bulkRevoke(full.signet, chosen, 'bench');
      full.revoked.push(...chosen);
      revokeRate = chosen.length / ((performance.now() - started) / 1000);
    } else {
      revokeRate = await revoke(full, Math.round(SIZE / 10));
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    console.log(`[${store}] seeded ${fmt(SIZE)} certificates (${fmt(issueRate)}/s) and revoked ${fmt(full.revoked.length)} (${fmt(revokeRate)}/s) in ${fmt(seedSeconds)} s`);
    console.log(`[${store}] to measure it again: --reuse ${full.dataDir} --reuse-url ${full.databaseUrl}`);
    const row = await measure(full, pool);
    row[`seeding, ${SEED === 'bulk' ? 'bulk copies of 2,000 issued' : 'domain API'} (s; issued/s, revoked/s)`] = `${fmt(seedSeconds)}; ${fmt(issueRate)}, ${fmt(revokeRate)}`;
    table.push({ store, column: `${fmt(full.serials.length)} certificates, ${fmt(full.revoked.length)} revoked`, row });
    await full.signet.close();
  }
} finally {
  await teardown?.();
}

const keys = [...new Set(table.flatMap((t) => Object.keys(t.row)))];
const header = `| figure | ${table.map((t) => `${t.store}: ${t.column}`).join(' | ')} |`;
console.log(`\n${header}\n|${' --- |'.repeat(table.length + 1)}`);
for (const key of keys) console.log(`| ${key} | ${table.map((t) => t.row[key] ?? '-').join(' | ')} |`);
console.log(`\nLoad average (1 min): ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (2 cores shared; compare CPU per answer, not wall rates).`);
// A reused store keeps the size it was seeded with: the command names the store, not --size.
const reproduce = REUSE
  ? `--stores ${STORES.join(',')} --seed ${SEED} --figures ${FIGURES}${QUICK ? ' --quick' : ''} --reuse ${REUSE}${REUSE_URL ? ` --reuse-url ${REUSE_URL}` : ''}`
  : `--size ${SIZE} --stores ${STORES.join(',')} --ocsp-seconds ${OCSP_SECONDS} --seed ${SEED} --figures ${FIGURES} --span-days ${SPAN_DAYS}`;
console.log(`\nReproduce: npm run build && npm run bench:scale -- ${reproduce}`);
// Store pools (pg) may hold the loop open.
process.exit(0);
