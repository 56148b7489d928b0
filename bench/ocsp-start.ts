/**
 * OCSP answers per second from the moment `signet serve` answers /healthz on an almost empty PostgreSQL store, as
 * bench:scale's first column meets it (1,200 certificates issued and a CRL published by this process, which stays
 * open beside the server), 32 requests in flight for random serials, 25 s; every 2 s the store's active statements.
 * A PostgreSQL run of bench:scale once saw no answer for 20 s there (docs/performance.md); this looks at that start.
 *
 *   npm run build && npx tsx bench/ocsp-start.ts [--pause] [--close]
 *
 * --pause stops the whole cluster (SIGSTOP, then SIGCONT) from 5 s to 17 s: what a stalled database does to the
 * answers, and whether the server recovers with it. --close closes this process's Signet before the server starts.
 * PostgreSQL: SIGNET_TEST_POSTGRES_URL, else a throwaway cluster as test/global-setup.ts starts.
 * Output: `second:answers/failures/longest ms` per second.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertID, OCSPRequest, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { createHash } from 'node:crypto';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { openSignet } from '../src/signet.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, freePort, postgresPids } from './bench-support.js';

const KEEP_OPEN = !process.argv.includes('--close');
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
const issuer = AsnConvert.parse(h.issuing.der, Certificate);
const nameHash = createHash('sha1').update(new Uint8Array(AsnConvert.serialize(issuer.tbsCertificate.subject))).digest();
const keyHash = createHash('sha1').update(new Uint8Array(issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
const request = (serial: string) => {
  const bytes = Buffer.from(serial, 'hex');
  const integer = bytes[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: new CertID({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }), issuerNameHash: new OctetString(nameHash), issuerKeyHash: new OctetString(keyHash), serialNumber: new Uint8Array(integer).buffer }) })] }) })));
};
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
if (process.argv.includes('--pause')) {
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
const perSecond = new Map<number, { ok: number; bad: number; maxMs: number }>();
let stop = false;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const watch = (async () => {
  while (!stop) {
    await new Promise((r) => setTimeout(r, 2000));
    if (process.argv.includes('--pause')) continue;
    const rows = (await admin.query(`SELECT pid, application_name, state, wait_event_type, wait_event, left(query, 90) AS q, round(extract(epoch from now() - query_start)::numeric, 1) AS secs FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)).rows;
    console.log(`t=${((performance.now() - t0) / 1000).toFixed(0)} s active: ${JSON.stringify(rows)}`);
  }
})();
await Promise.all(Array.from({ length: 32 }, async () => {
  while (performance.now() - t0 < 25_000) {
    const s = performance.now();
    let ok = false;
    try {
      const response = await fetch(`${base}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request(serials[randomInt(serials.length)]!), signal: AbortSignal.timeout(30_000) });
      await response.arrayBuffer();
      ok = response.ok;
    } catch { /* counted bad */ }
    const second = Math.floor((performance.now() - t0) / 1000);
    const slot = perSecond.get(second) ?? { ok: 0, bad: 0, maxMs: 0 };
    if (ok) slot.ok++; else slot.bad++;
    slot.maxMs = Math.max(slot.maxMs, performance.now() - s);
    perSecond.set(second, slot);
  }
}));
stop = true;
await watch;
await admin.end();
console.log([...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([s, v]) => `${s}s:${v.ok}/${v.bad}/${v.maxMs.toFixed(0)}ms`).join(' '));
child.kill('SIGTERM');
if (KEEP_OPEN) await signet.close();
await teardown?.();
