/**
 * OCSP for cold serials (issue 22): the first question about each of --serials certificates, answered by
 * signing on demand (and storing the answer), the same number of questions with a nonce (signed on demand,
 * never stored: what `openssl ocsp` sends by default), and then other serials answered from what presignCold
 * signed ahead, on SQLite and PostgreSQL. In-process (OcspResponder.respond, one question at a time), so the
 * figure is the responder's own cost without HTTP; bench/scale.ts measures over HTTP. Beside each rate: CPU
 * milliseconds per answer of this process and (PostgreSQL) of the cluster, and the load average, since the
 * machine is shared.
 *
 *   npx tsx bench/ocsp-cold.ts [--certificates 4000] [--serials 2000] [--stores sqlite,postgres]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertID, OCSPRequest, Request, TBSRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, Extension, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { openSignet } from '../src/signet.js';
import { serialOctets } from '../src/status/crl-encoding.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, cpuBetween, cpuOf, fmt, postgresPids, processCpuSeconds } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const CERTIFICATES = Number(argument('certificates', '4000'));
const SERIALS = Number(argument('serials', '2000'));
const STORES = argument('stores', 'sqlite,postgres').split(',') as Array<'sqlite' | 'postgres'>;
const KEYS = 200;

async function csrPool(): Promise<string[]> {
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

/** An RFC 5019 request: one SHA-1 CertID; with `nonce`, a 16-octet nonce as `openssl ocsp` sends by default (RFC 8954). */
function requestFor(issuerDer: Buffer, serial: string, nonce = false): Buffer {
  const issuer = AsnConvert.parse(issuerDer, Certificate);
  const certId = new CertID({
    hashAlgorithm: AsnConvert.parse(Buffer.from('300906052b0e03021a0500', 'hex'), AlgorithmIdentifier),
    issuerNameHash: new OctetString(createHash('sha1').update(Buffer.from(AsnConvert.serialize(issuer.tbsCertificate.subject))).digest()),
    issuerKeyHash: new OctetString(createHash('sha1').update(Buffer.from(issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest()),
    serialNumber: new Uint8Array(serialOctets(serial)).buffer,
  });
  const requestExtensions = nonce
    ? [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(randomBytes(16)))) })]
    : undefined;
  return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })], requestExtensions }) })));
}

function summary(latencies: number[], seconds: number, cpu: { own: number; cluster?: number }): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
  const perAnswer = (cpuSeconds: number) => ((cpuSeconds * 1000) / latencies.length).toFixed(2);
  const cluster = cpu.cluster === undefined ? '' : ` + PostgreSQL ${perAnswer(cpu.cluster)}`;
  return (
    `${fmt(latencies.length / seconds)} answers/s, p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` +
    `CPU ms/answer ${perAnswer(cpu.own)}${cluster}; load ${loadavg()[0]!.toFixed(1)}`
  );
}

let teardown: (() => Promise<void>) | undefined;
if (STORES.includes('postgres') && !process.env.SIGNET_TEST_POSTGRES_URL) {
  teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
}
const pool = await csrPool();
const clusterPids = STORES.includes('postgres') ? await postgresPids() : undefined;
const lines: string[] = [];
try {
  for (const store of STORES) {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-ocsp-cold-'));
    const signet = await openSignet(
      loadConfig({ SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: await benchDatabaseUrl(store, dataDir, 'signet_bench_ocsp'), SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_LOG_LEVEL: 'warn' }),
    );
    const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
    const serials: string[] = [];
    for (let i = 0; i < CERTIFICATES; i += 32) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(32, CERTIFICATES - i) }, (_, j) =>
          signet.ca.issue({ csr: pool[(i + j) % KEYS]!, profileId: 'tls-client', subject: `CN=cold ${i + j}`, subscriberId: `s${(i + j) % KEYS}`, requestedBy: 'bench', reason: 'bench' }),
        ),
      );
      serials.push(...batch.map((c) => c.serial));
    }
    const issuer = Buffer.from(h.issuing.der);
    const ask = async (chosen: string[], nonce = false) => {
      const requests = chosen.map((serial) => requestFor(issuer, serial, nonce));
      const latencies: number[] = [];
      const clusterBefore = store === 'postgres' ? cpuOf(clusterPids!()) : undefined;
      const cpuBefore = processCpuSeconds();
      const started = performance.now();
      for (const request of requests) {
        const t0 = performance.now();
        const reply = await signet.status.ocsp.respond(request);
        if (reply.responseStatus !== 0) throw new Error(`OCSP answered ${reply.responseStatus}`);
        latencies.push(performance.now() - t0);
      }
      const seconds = (performance.now() - started) / 1000;
      const own = processCpuSeconds() - cpuBefore;
      return summary(latencies, seconds, { own, cluster: clusterBefore && cpuBetween(clusterBefore, cpuOf(clusterPids!())) });
    };
    const shuffled = [...serials].sort(() => Math.random() - 0.5);
    const before = await ask(shuffled.slice(0, SERIALS));
    // Questions with a nonce about the same serials: each is signed for its asker and never stored or cached.
    const withNonce = await ask(shuffled.slice(0, SERIALS), true);
    const presignStarted = performance.now();
    let presigned = 0;
    for (let n = -1; n !== 0; presigned += n) n = await signet.status.ocsp.presignCold(5_000);
    const presignSeconds = (performance.now() - presignStarted) / 1000;
    // Other serials, never asked: only the answers signed ahead can make them warm.
    const after = await ask(shuffled.slice(SERIALS, 2 * SERIALS));
    lines.push(`${store.padEnd(9)} ${fmt(CERTIFICATES)} certificates; cold serials signed on demand: ${before}`);
    lines.push(`${store.padEnd(9)} the same serials asked with a nonce: ${withNonce}`);
    lines.push(`${store.padEnd(9)} signed ahead: ${fmt(presigned)} answers in ${presignSeconds.toFixed(1)} s; then cold serials: ${after}`);
    console.log(lines.slice(-3).join('\n'));
    await signet.close();
  }
} finally {
  await teardown?.();
}
console.log(`\n${lines.join('\n')}\n\nReproduce: npx tsx bench/ocsp-cold.ts --certificates ${CERTIFICATES} --serials ${SERIALS} --stores ${STORES.join(',')}`);
