/**
 * OCSP answers per second from the moment `signet serve` answers /healthz on an almost empty PostgreSQL store, as
 * bench:scale's first column meets it (1,200 certificates issued and a CRL published by this process, which stays
 * open beside the server), 32 requests in flight for random serials, 25 s; every 2 s the store's active statements.
 * A PostgreSQL run of bench:scale once saw no answer for 20 s there (docs/performance.md); this looks at that start.
 *
 *   npm run build && npx tsx bench/ocsp-start.ts [--pause | --lock] [--unissued] [--clients N] [--close]
 *
 * --pause stops the whole cluster (SIGSTOP, then SIGCONT) from 5 s to 17 s: what a stalled database does to the
 * answers, and whether the server recovers with it. --lock instead holds ocsp_responses in access exclusive mode
 * for those 12 s (an upgrade's table swap): the revocation look goes on, cold reads wait. --unissued asks about
 * random serials never issued (every question distinct and cold) instead of the 1,200 issued. --clients: requests
 * in flight (32). --close closes this process's Signet before the server starts.
 * PostgreSQL: SIGNET_TEST_POSTGRES_URL, else a throwaway cluster as test/global-setup.ts starts.
 * Output: `second:answers/tryLater/failures/longest ms/server RSS MB` per second, the server's heap in use each second
 * (from /metrics, when it answers), its OCSP store figures at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { openSignet } from '../src/signet.js';
import { ocspQuestions } from '../src/status/test-support/ocsp-question.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, freePort, postgresPids } from './bench-support.js';

const KEEP_OPEN = !process.argv.includes('--close');
const PAUSE = process.argv.includes('--pause');
const LOCK = process.argv.includes('--lock');
const UNISSUED = process.argv.includes('--unissued');
const CLIENTS = Number(process.argv[process.argv.indexOf('--clients') + 1] ?? 32) || 32;
const teardown = process.env.SIGNET_TEST_POSTGRES_URL ? undefined : ((await setupPostgres({ provide: () => undefined } as never)) ?? undefined);
const dataDir = mkdtempSync(join(tmpdir(), 'signet-start-probe-'));
const url = await benchDatabaseUrl('postgres', dataDir, 'signet_start_probe');
const env = { SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: url, SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_ADMIN_TOKEN: 'bench-admin-token', SIGNET_LOG_LEVEL: 'warn' };
const signet = await openSignet(loadConfig(env));
const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
const serials: string[] = [];
const pool: string[] = [];
for (let i = 0; i < 200; i++) {
  const key = generateSoftwareKey('ecdsa-p256');
  const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
  const signature = await key.sign(new Uint8Array(AsnConvert.serialize(info)));
  pool.push(toPem('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: new Uint8Array(signature).buffer })))));
}
let next = 0;
await Promise.all(Array.from({ length: 32 }, async () => {
  for (;;) {
    const i = next++;
    if (i >= 1200) return;
    const k = i % 200;
    serials.push((await signet.ca.issue({ csr: pool[k]!, profileId: 'tls-client', subject: `CN=probe ${i}`, subscriberId: `probe-${k}`, requestedBy: 'bench', reason: 'probe' })).serial);
  }
}));
await signet.status.crls.publish(h.issuing.caId, 'full', 'bench');
if (!KEEP_OPEN) await signet.close();
const questions = ocspQuestions(h.issuing.der);
const request = (serial: string) => questions.about(Buffer.from(serial, 'hex'));
const port = await freePort();
const started = performance.now();
const child = spawn('taskset', ['-c', '0', process.execPath, 'bin/signet.js', 'serve'], { env: { ...process.env, ...env, SIGNET_PORT: String(port), SIGNET_RATE_LIMITS: 'off' }, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
for (;;) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`healthz after ${((performance.now() - started) / 1000).toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}`);
const t0 = performance.now();
// --pause: the whole cluster stopped (SIGSTOP) from 5 s to 17 s, as a stalled database server would be.
if (PAUSE) {
  const cluster = await postgresPids();
  setTimeout(() => {
    for (const pid of cluster()) process.kill(pid, 'SIGSTOP');
    console.log('cluster stopped');
  }, 5000);
  setTimeout(() => {
    for (const pid of cluster()) process.kill(pid, 'SIGCONT');
    console.log('cluster continued');
  }, 17000);
}
// --lock: ocsp_responses locked from 5 s to 17 s by a transaction of its own.
const locker = new pg.Client({ connectionString: url });
await locker.connect();
const locked = LOCK
  ? (async () => {
      await new Promise((r) => setTimeout(r, 5000));
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE ocsp_responses IN ACCESS EXCLUSIVE MODE');
      console.log('ocsp_responses locked');
      await new Promise((r) => setTimeout(r, 12_000));
      await locker.query('COMMIT');
      console.log('ocsp_responses released');
    })()
  : Promise.resolve();
/** The server's resident set (VmRSS), MB. */
const serverRss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const rssBySecond = new Map<number, number>();
const rssTimer = setInterval(() => rssBySecond.set(Math.floor((performance.now() - t0) / 1000), serverRss()), 250);
/** Each second, the server's JavaScript heap in use and its OCSP store reads out, from /metrics (none while it cannot answer). */
const heapBySecond = new Map<number, string>();
const metricsTimer = setInterval(() => {
  const second = Math.floor((performance.now() - t0) / 1000);
  fetch(`${base}/metrics`, { headers: { authorization: 'Bearer bench-admin-token' }, signal: AbortSignal.timeout(900) })
    .then((response) => response.text())
    .then((text) => {
      const heap = Number(/^signet_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? 0) / 2 ** 20;
      const reads = /^signet_ocsp_store_reads (\S+)/m.exec(text)?.[1];
      heapBySecond.set(second, `${heap.toFixed(0)}MB${reads === undefined ? '' : ` ${reads} reads`}`);
    })
    .catch(() => undefined);
}, 1000);
/** An unsigned OCSPResponse saying tryLater (RFC 6960 §4.2.1). */
const TRY_LATER = Buffer.from('30030a0103', 'hex');
const perSecond = new Map<number, { ok: number; later: number; bad: number; maxMs: number }>();
let stop = false;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const watch = (async () => {
  while (!stop) {
    await new Promise((r) => setTimeout(r, 2000));
    if (PAUSE) continue;
    const rows = (await admin.query(`SELECT pid, application_name, state, wait_event_type, wait_event, left(query, 90) AS q, round(extract(epoch from now() - query_start)::numeric, 1) AS secs FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)).rows;
    console.log(`t=${((performance.now() - t0) / 1000).toFixed(0)} s active: ${JSON.stringify(rows)}`);
  }
})();
await Promise.all(Array.from({ length: CLIENTS }, async () => {
  while (performance.now() - t0 < 25_000) {
    const s = performance.now();
    let outcome: 'ok' | 'later' | 'bad' = 'bad';
    try {
      const body = UNISSUED ? questions.aboutUnissued() : request(serials[randomInt(serials.length)]!);
      const response = await fetch(`${base}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body, signal: AbortSignal.timeout(30_000) });
      const der = Buffer.from(await response.arrayBuffer());
      if (response.ok) outcome = der.equals(TRY_LATER) ? 'later' : 'ok';
    } catch { /* counted bad */ }
    const second = Math.floor((performance.now() - t0) / 1000);
    const slot = perSecond.get(second) ?? { ok: 0, later: 0, bad: 0, maxMs: 0 };
    slot[outcome]++;
    slot.maxMs = Math.max(slot.maxMs, performance.now() - s);
    perSecond.set(second, slot);
  }
}));
stop = true;
clearInterval(rssTimer);
clearInterval(metricsTimer);
await watch;
await locked;
await locker.end();
await admin.end();
console.log([...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([s, v]) => `${s}s:${v.ok}/${v.later}/${v.bad}/${v.maxMs.toFixed(0)}ms/${rssBySecond.get(s)?.toFixed(0) ?? '-'}MB`).join(' '));
console.log(`heap in use: ${[...heapBySecond.entries()].sort((a, b) => a[0] - b[0]).map(([s, v]) => `${s}s:${v}`).join(' ')}`);
const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer bench-admin-token' } })).text();
console.log(metrics.split('\n').filter((line) => /^signet_ocsp_(store|cache_responses)/.test(line)).join(' '));
console.log(`peak server RSS ${Math.max(...rssBySecond.values()).toFixed(0)} MB, load at the end ${loadavg()[0]!.toFixed(1)}, ${CLIENTS} clients${UNISSUED ? ', unissued serials' : ''}`);
// Gone before the cluster is stopped (otherwise its pool loses its connections mid-exit and it prints the error).
const exited = new Promise((resolve) => child.once('exit', resolve));
child.kill('SIGTERM');
await exited;
if (KEEP_OPEN) await signet.close();
await teardown?.();
