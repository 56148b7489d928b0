/**
 * Certificates issued per second through the operator API (HTTP, JSON,
 * durable SQLite: every certificate, intent and audit entry committed), beside
 * `openssl speed` for the CA's signing algorithm measured in the same run.
 *
 *   npm run build && npx tsx bench/issuance.ts [count]
 *
 * The server runs in its own process (one core); this process drives it over
 * loopback with keep-alive connections (the other core). Requests carry
 * distinct P-256 keys for distinct subscribers, made beforehand.
 */
import autocannon from 'autocannon';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { fmt, opensslSignRate, startSignetServer } from './bench-support.js';

const COUNT = Number(process.argv[2] ?? 6000);
const CONNECTIONS = 16;

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

async function measure(algorithm: string, bodies: string[]): Promise<{ perSecond: number; errors: number; p99: number }> {
  const server = await startSignetServer(algorithm);
  try {
    let next = 0;
    const warmup = bodies.slice(0, 200);
    for (const body of warmup) {
      await fetch(`${server.url}/api/v1/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
        body,
      });
    }
    next = warmup.length;
    const result = await autocannon({
      url: `${server.url}/api/v1/certificates`,
      connections: CONNECTIONS,
      amount: bodies.length - warmup.length,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
          setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
        },
      ],
    });
    const errors = result.non2xx + result.errors;
    return { perSecond: result.requests.total / (result.duration || 1), errors, p99: result.latency.p99 };
  } finally {
    await server.stop();
  }
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
] as const) {
  const issued = await measure(algorithm, requests);
  const raw = opensslSignRate(speedName);
  rows.push(
    `${algorithm.padEnd(11)} ${fmt(issued.perSecond).padStart(7)} certs/s   openssl speed ${speedName.padEnd(9)} ${fmt(raw).padStart(7)} sign/s   ratio ${(issued.perSecond / raw * 100).toFixed(1).padStart(5)}%   p99 ${issued.p99} ms   errors ${issued.errors}`,
  );
  console.log(rows.at(-1));
}

console.log(`
Issuance through POST /api/v1/certificates (HTTP + JSON + PoP check + lint + intent + sign + self-check + SQLite WAL commit + audit),
${COUNT - 200} requests after 200 warm-up, ${CONNECTIONS} keep-alive connections, server on one core.
Reproduce: npm run build && npx tsx bench/issuance.ts ${COUNT}    peer: openssl speed -mr -seconds 3 <alg>`);
