/**
 * OCSP for cold serials (issue 22): the first question about each of --serials certificates, answered by
 * signing on demand (before) and from answers signed ahead by presignCold (after), on SQLite and PostgreSQL.
 * In-process (OcspResponder.respond, one question at a time), so the figure is the responder's own cost
 * without HTTP; bench/scale.ts measures over HTTP.
 *
 *   npx tsx bench/ocsp-cold.ts [--certificates 4000] [--serials 2000] [--stores sqlite,postgres]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertID, OCSPRequest, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { openSignet } from '../src/signet.js';
import { serialOctets } from '../src/status/crl-encoding.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, fmt } from './bench-support.js';

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

/** An RFC 5019 request: one SHA-1 CertID, no nonce. */
function requestFor(issuerDer: Buffer, serial: string): Buffer {
  const issuer = AsnConvert.parse(issuerDer, Certificate);
  const certId = new CertID({
    hashAlgorithm: AsnConvert.parse(Buffer.from('300906052b0e03021a0500', 'hex'), AlgorithmIdentifier),
    issuerNameHash: new OctetString(createHash('sha1').update(Buffer.from(AsnConvert.serialize(issuer.tbsCertificate.subject))).digest()),
    issuerKeyHash: new OctetString(createHash('sha1').update(Buffer.from(issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest()),
    serialNumber: new Uint8Array(serialOctets(serial)).buffer,
  });
  return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) })));
}

function summary(latencies: number[], seconds: number): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
  return `${fmt(latencies.length / seconds)} answers/s, p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`;
}

let teardown: (() => Promise<void>) | undefined;
if (STORES.includes('postgres') && !process.env.SIGNET_TEST_POSTGRES_URL) {
  teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
}
const pool = await csrPool();
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
    const ask = async (chosen: string[]) => {
      const latencies: number[] = [];
      const started = performance.now();
      for (const serial of chosen) {
        const t0 = performance.now();
        await signet.status.ocsp.respond(requestFor(issuer, serial));
        latencies.push(performance.now() - t0);
      }
      return summary(latencies, (performance.now() - started) / 1000);
    };
    const shuffled = [...serials].sort(() => Math.random() - 0.5);
    const before = await ask(shuffled.slice(0, SERIALS));
    const presignStarted = performance.now();
    let presigned = 0;
    for (let n = -1; n !== 0; presigned += n) n = await signet.status.ocsp.presignCold(5_000);
    const presignSeconds = (performance.now() - presignStarted) / 1000;
    // Other serials, never asked: only the answers signed ahead can make them warm.
    const after = await ask(shuffled.slice(SERIALS, 2 * SERIALS));
    lines.push(`${store.padEnd(9)} ${fmt(CERTIFICATES)} certificates; cold serials signed on demand: ${before}`);
    lines.push(`${store.padEnd(9)} signed ahead: ${fmt(presigned)} answers in ${presignSeconds.toFixed(1)} s; then cold serials: ${after}`);
    console.log(lines.slice(-2).join('\n'));
    await signet.close();
  }
} finally {
  await teardown?.();
}
console.log(`\n${lines.join('\n')}\n\nReproduce: npx tsx bench/ocsp-cold.ts --certificates ${CERTIFICATES} --serials ${SERIALS} --stores ${STORES.join(',')}`);
