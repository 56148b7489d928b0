import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { toPem } from '../../src/http/der.js';
import { SignetError } from '../../src/i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { mutate } from './fuzz.js';

afterAll(dropFreshStores);

const GO_X509 = fileURLToPath(new URL('../../src/ca/test-support/go-x509/main.go', import.meta.url));
const SEED = Number(process.env.SIGNET_FUZZ_SEED ?? 1515);
const CASES = Number(process.env.SIGNET_FUZZ_CASES ?? 120);

/** mulberry32, as fuzz.ts: a replayable stream from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | octets.length, ...octets]);
}

/**
 * Issue 15 item 6: a certificate Signet issues from a hostile request must still parse in strict parsers
 * nobody here wrote. The CertificationRequestInfo of real OpenSSL requests is mutated (fuzz.ts's
 * structure-aware mutations: lengths re-encoded around the change) and signed again with the request's own
 * key, so the mutants pass proof of possession and reach the CA. Each is refused with a 4xx or issued; every
 * certificate issued is parsed by Go's crypto/x509 and GnuTLS certtool.
 */
describe.each(storeBackends)('certificates issued from mutated requests parse in Go and GnuTLS, on %s', (backend) => {
  let t: TestSignet;
  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('refuses each mutant with a 4xx or issues a certificate Go and GnuTLS parse', async () => {
    const next = prng(SEED);
    const failures: string[] = [];
    const issued: string[] = [];
    let refused = 0;
    for (const [keySpec, hash] of [['ecdsa-p256', 'sha256'], ['rsa-2048', 'sha256']] as const) {
      const { csrPem, keyPath } = opensslRequest(t.dir, keySpec, `mutant-seed-${keySpec}`);
      const key = createPrivateKey(readFileSync(keyPath));
      const seed = AsnConvert.parse(Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), CertificationRequest);
      const info = Buffer.from(AsnConvert.serialize(seed.certificationRequestInfo));
      const algorithm = Buffer.from(AsnConvert.serialize(seed.signatureAlgorithm));
      // Case -1 is the request as OpenSSL wrote it (re-signed): every run issues at least that one.
      for (let i = -1; i < CASES / 2; i++) {
        const mutated = i < 0 ? info : mutate(info, next);
        const signature = Buffer.concat([Buffer.from([0]), sign(hash, mutated, key)]);
        const body = Buffer.concat([mutated, algorithm, header(0x03, signature.length), signature]);
        const der = Buffer.concat([header(0x30, body.length), body]);
        try {
          const certificate = await t.signet.ca.issue({ csr: toPem('CERTIFICATE REQUEST', der), profileId: 'tls-client', subject: `CN=mutant ${keySpec} ${i}`, subscriberId: `m-${keySpec}-${i}`, requestedBy: 'fuzz', reason: 'fuzz' });
          const file = join(t.dir, `mutant-${keySpec}-${i}.der`);
          writeFileSync(file, certificate.der);
          issued.push(file);
        } catch (error) {
          if (error instanceof SignetError && error.status >= 400 && error.status < 500) refused += 1;
          else failures.push(`${keySpec} case ${i} (${der.toString('base64')}): ${(error as Error).message}`);
        }
      }
    }
    console.log(`[mutant issuance] seed ${SEED}: ${CASES} mutants, ${issued.length} issued, ${refused} refused with a 4xx, ${failures.length} failures`);
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(refused).toBeGreaterThan(0);
    const go = runTool('go', ['run', GO_X509, ...issued]);
    expect(go.stdout + go.stderr, 'Go crypto/x509').not.toMatch(/: (?!ok$).*$/m);
    expect(go.status).toBe(0);
    for (const file of issued) {
      const gnutls = runTool('certtool', ['-i', '--inder', '--infile', file]);
      expect(gnutls.status, `certtool ${file}: ${gnutls.stderr}`).toBe(0);
    }
  }, 600_000);
});
