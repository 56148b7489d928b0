/**
 * Certificates issued per second through the operator API (HTTP, JSON,
 * durable SQLite: every certificate, intent and audit entry committed), beside
 * `openssl speed` for the CA's signing algorithm measured in the same run.
 *
 *   npm run build && npx tsx bench/issuance.ts [count]
 *
 * The server runs in its own process (one core); this process drives it over
 * loopback with 64 keep-alive connections (the other core). Requests carry
 * distinct P-256 keys for distinct subscribers, made beforehand.
 */
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import autocannon from 'autocannon';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { fmt, nodeSignRate, opensslSignRate, processCpuSeconds, startSignetServer } from './bench-support.js';

const COUNT = Number(process.argv[2] ?? 8000);
/** Requests issued before the measurement starts (SIGNET_BENCH_WARM_UP), part of COUNT. */
const WARM_UP = Math.min(Number(process.env.SIGNET_BENCH_WARM_UP ?? 2000), Math.floor(COUNT / 2));
/** Optional comma-separated subset, e.g. `ecdsa-p256,rsa-2048`. */
const ONLY = process.argv[3]?.split(',');
// Enough concurrent clients for group commit to fill its batches (an RA front end or a bulk enrolment).
const CONNECTIONS = Number(process.env.SIGNET_BENCH_CONNECTIONS ?? 64);

/** A PKCS#10 request for a fresh P-256 key, built with the asn1-csr schema and signed by node:crypto. */
async function makeRequest(): Promise<string> {
  const key = generateSoftwareKey('ecdsa-p256');
  const info = new CertificationRequestInfo({
    version: 0,
    subject: new Name(),
    subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo),
  });
  const infoDer = AsnConvert.serialize(info);
  const signature = await key.sign(new Uint8Array(infoDer));
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: key.signatureAlgorithm,
    signature: new Uint8Array(signature).buffer,
  });
  return toPem('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(request)));
}

async function measure(algorithm: string, bodies: string[]): Promise<{ perSecond: number; perCpuSecond: number; clientShare: number; errors: number; p99: number }> {
  const server = await startSignetServer(algorithm);
  try {
    let next = 0;
    let lastResponse = 0;
    const issueMany = (amount: number) =>
      autocannon({
        url: `${server.url}/api/v1/certificates`,
        connections: CONNECTIONS,
        amount,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
            setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
            onResponse: () => {
              lastResponse = performance.now();
            },
          },
        ],
      });
    // The same concurrent load first, until V8 has optimised the hot paths: a CA serves for months, and
    // with 200 sequential requests the optimising compiler still took ~15 % of the measured run's core.
    await issueMany(WARM_UP);
    const pid = server.process.pid!;
    const cpu0 = processCpuSeconds(pid);
    // autocannon stops, and counts its duration, on whole seconds of its ticker: the run lasts until the last response.
    const started = performance.now();
    const client0 = process.cpuUsage();
    const result = await issueMany(bodies.length - WARM_UP);
    const seconds = (lastResponse - started) / 1000;
    const client = process.cpuUsage(client0);
    const cpu = processCpuSeconds(pid) - cpu0;
    const errors = result.non2xx + result.errors;
    return {
      perSecond: result.requests.total / seconds,
      // Shows the load generator is not what limits the rate.
      clientShare: (client.user + client.system) / 1e6 / seconds,
      perCpuSecond: result.requests.total / Math.max(cpu, 0.01),
      errors,
      p99: result.latency.p99,
    };
  } finally {
    await server.stop();
  }
}

/**
 * The cycle's own node:crypto work per certificate, nothing else: import the
 * request's key, verify its proof of possession, sign the TBS, verify that
 * signature (the self-check). No issuance on this runtime can beat it.
 */
function cryptoFloor(algorithm: 'ecdsa-p256' | 'rsa-2048' | 'ed25519' | 'ml-dsa-65'): number {
  const requestKeys = Array.from({ length: 200 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const message = Buffer.alloc(300, 0x5c);
  const proofs = requestKeys.map((k) => sign('sha256', message, k.privateKey));
  const jwks = requestKeys.map((k) => k.publicKey.export({ format: 'jwk' }));
  const ca =
    algorithm === 'ecdsa-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : algorithm === 'rsa-2048'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : algorithm === 'ml-dsa-65'
          ? generateKeyPairSync('ml-dsa-65')
          : generateKeyPairSync('ed25519');
  const hash = algorithm === 'ed25519' || algorithm === 'ml-dsa-65' ? null : 'sha256';
  const tbs = Buffer.alloc(600, 0x30);
  const cpu0 = processCpuSeconds();
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 2000) {
    const i = n++ % requestKeys.length;
    verify('sha256', message, createPublicKey({ key: jwks[i]!, format: 'jwk' }), proofs[i]!);
    const signature = sign(hash, tbs, ca.privateKey);
    verify(hash, tbs, ca.publicKey, signature);
  }
  return n / (processCpuSeconds() - cpu0);
}

const rows: string[] = [];
const requests: string[] = [];
for (let i = 0; i < COUNT; i++) {
  requests.push(
    JSON.stringify({ csr: await makeRequest(), profile: 'tls-client', subject: `CN=bench subscriber ${i}`, subscriberId: `bench-${i}` }),
  );
}

for (const [algorithm, speedName] of [
  ['ecdsa-p256', 'ecdsap256'],
  ['rsa-2048', 'rsa2048'],
  ['ed25519', 'ed25519'],
  // Debian's openssl speed (3.0) has no ML-DSA: its raw rate is node:crypto's (OpenSSL 3.5) signing loop on the same core.
  ['ml-dsa-65', 'ml-dsa-65'],
] as const) {
  if (ONLY && !ONLY.includes(algorithm)) continue;
  // This machine's host is noisy: the raw rate is taken on the server's core just before and just after the run, and averaged.
  const rawRate = () => (speedName === 'ml-dsa-65' ? nodeSignRate(speedName, 3, 0) : opensslSignRate(speedName, 3, 0));
  const rawBefore = rawRate();
  const issued = await measure(algorithm, requests);
  const rawAfter = rawRate();
  const raw = (rawBefore + rawAfter) / 2;
  const floor = cryptoFloor(algorithm);
  rows.push(
    `${algorithm.padEnd(11)} ${fmt(issued.perSecond).padStart(6)} certs/s wall  ${fmt(issued.perCpuSecond).padStart(6)} certs/server-CPU-s   ${speedName === 'ml-dsa-65' ? 'node:crypto' : 'openssl speed'} ${speedName.padEnd(9)} ${fmt(raw).padStart(7)} sign/s (${fmt(rawBefore)} before, ${fmt(rawAfter)} after)   ratio ${(issued.perSecond / raw * 100).toFixed(1).padStart(5)}% (wall) ${(issued.perCpuSecond / raw * 100).toFixed(1).padStart(5)}% (CPU)   crypto of the cycle alone ${fmt(floor).padStart(6)}/CPU-s   p99 ${issued.p99} ms   errors ${issued.errors}   load generator ${(issued.clientShare * 100).toFixed(0)}% of a core`,
  );
  console.log(rows.at(-1));
  if (algorithm === 'ecdsa-p256') console.log(`  issue 15 floor ≥ 400 P-256 certificates per server CPU-s over HTTP on durable SQLite: ${issued.perCpuSecond >= 400 ? 'met' : 'NOT met'}`);
}

console.log(`
Issuance through POST /api/v1/certificates (HTTP + JSON + PoP check + lint + intent + sign + self-check + audit), recorded in
SQLite WAL group commits with synchronous=${(process.env.SIGNET_SQLITE_SYNCHRONOUS || 'full').toUpperCase()} (every commit fsynced unless NORMAL);
${COUNT - WARM_UP} requests after ${WARM_UP} of warm-up under the same load, ${CONNECTIONS} keep-alive connections, server pinned to core 0 (taskset), load generator beside it.
"server-CPU-s": the server process's user + system time (/proc/PID/stat), comparable on a shared machine; openssl speed uses one core.
Reproduce: npm run build && npx tsx bench/issuance.ts ${COUNT} [algorithms]   (SIGNET_SQLITE_SYNCHRONOUS=normal, SIGNET_BENCH_CONNECTIONS=N, SIGNET_BENCH_WARM_UP=N)
Peer: taskset -c 0 openssl speed -mr -seconds 3 <alg> (ml-dsa-65: node:crypto's sign loop, OpenSSL ${process.versions.openssl}, pinned the same way), just before and just after each run, averaged. "crypto of the cycle alone": node:crypto importing a P-256 request key (JWK), verifying its
proof of possession, signing with the CA key and verifying that signature, in a loop in this process: the ceiling for any issuance here.`);
