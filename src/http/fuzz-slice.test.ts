import type { FastifyInstance, InjectOptions } from 'fastify';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { documentSigner, signDocument } from '../evidence/cms-signing.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

/**
 * Issue 16 §4, "a seeded fuzz slice in the suite": valid messages of each
 * binary kind the public routes take (a PKCS#10 request on the public
 * download route and the admin API, CMS SignedData on /api/v1/cms/verify, an
 * OCSP request, a time-stamp query) are mutated from a fixed seed (bit flips,
 * truncation, insertions, length-octet damage, repeated slices) and sent;
 * every answer must be a client error or a regular answer, never a 5xx, and
 * OCSP never says internalError. A failure names the seed and the case, so it
 * can be replayed: SIGNET_FUZZ_SEED=<n> SIGNET_FUZZ_CASES=<n> widen the slice.
 */
const SEED = Number(process.env.SIGNET_FUZZ_SEED ?? 16);
const CASES = Number(process.env.SIGNET_FUZZ_CASES ?? 60);

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(input: Buffer, next: () => number): Buffer {
  const at = (n: number) => Math.floor(next() * n);
  const out = Buffer.from(input);
  switch (at(6)) {
    case 0: {
      // A few bit flips.
      for (let i = 0, n = 1 + at(4); i < n; i++) out[at(out.length)]! ^= 1 << at(8);
      return out;
    }
    case 1:
      return out.subarray(0, at(out.length));
    case 2: {
      const where = at(out.length);
      const junk = Buffer.from(Array.from({ length: 1 + at(8) }, () => at(256)));
      return Buffer.concat([out.subarray(0, where), junk, out.subarray(where)]);
    }
    case 3: {
      // A length octet made long, short or indefinite (0x80): the ASN.1 reader's hardest inputs.
      const where = 1 + at(Math.max(1, Math.min(out.length - 1, 64)));
      out[where] = [0x80, 0x81, 0x84, 0xff, 0x00, 0x7f][at(6)]!;
      return out;
    }
    case 4: {
      const from = at(out.length);
      const slice = out.subarray(from, from + 1 + at(32));
      return Buffer.concat([out.subarray(0, from), slice, slice, out.subarray(from + slice.length)]);
    }
    default:
      out[at(out.length)] = [0x00, 0xff, 0x30, 0x05][at(4)]!;
      return out;
  }
}

describe.each(storeBackends)('seeded fuzz slice over the public binary routes on %s (issue 16 §4)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  const admin = { authorization: 'Bearer test-admin-token' };
  const seeds: Record<string, Buffer> = {};

  beforeAll(async () => {
    t = await openTestSignet(backend);
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: process.env.SIGNET_FUZZ_LOG ? { level: 'error' } : false, rateLimits: false });
    const { csrPem, keyPath } = opensslRequest(t.dir, 'ecdsa-p256', 'fuzz');
    seeds.csr = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'individual-signing', subject: 'CN=模糊测试', requestedBy: 'test', reason: 'fuzz seed' });
    const signer = documentSigner(readFileSync(keyPath, 'utf8'), issued.der, [h.issuing.der]);
    seeds.cms = Buffer.from(await signDocument({ content: Buffer.from('合同正文'), signer, detached: false, timeStamper: t.signet.tsa }));
    const issuer = writePem(t.dir, 'issuing', h.issuing.der);
    runTool('openssl', ['ocsp', '-issuer', issuer, '-serial', `0x${issued.serial}`, '-no_nonce', '-reqout', join(t.dir, 'req.der')]);
    seeds.ocsp = readFileSync(join(t.dir, 'req.der'));
    writeFileSync(join(t.dir, 'data.txt'), 'stamped');
    runTool('openssl', ['ts', '-query', '-data', join(t.dir, 'data.txt'), '-sha256', '-cert', '-out', join(t.dir, 'q.tsq')]);
    seeds.tsq = readFileSync(join(t.dir, 'q.tsq'));
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  const targets: Array<[string, string, (bytes: Buffer) => InjectOptions]> = [
    ['a PKCS#10 request on the public download route', 'csr', (b) => ({ method: 'POST', url: '/api/v1/ra/downloads', payload: { referenceNumber: '0000000000000000', authorizationCode: 'ABCDEFGHJKMN', csr: b.toString('base64') } })],
    ['a PKCS#10 request on the admin API', 'csr', (b) => ({ method: 'POST', url: '/api/v1/certificates', headers: admin, payload: { csr: b.toString('base64'), profile: 'individual-signing', subject: 'CN=模糊测试' } })],
    ['CMS SignedData on /api/v1/cms/verify', 'cms', (b) => ({ method: 'POST', url: '/api/v1/cms/verify', payload: { signature: b.toString('base64') } })],
    ['an OCSP request over POST', 'ocsp', (b) => ({ method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: b })],
    ['an OCSP request over GET', 'ocsp', (b) => ({ method: 'GET', url: `/ocsp/${encodeURIComponent(b.toString('base64'))}` })],
    ['a time-stamp query', 'tsq', (b) => ({ method: 'POST', url: '/tsa', headers: { 'content-type': 'application/timestamp-query' }, payload: b })],
  ];

  it.each(targets)('never answers %s with a 5xx', async (_name, kind, request) => {
    const next = random(SEED + kind.length * 7919);
    const unmutated = await app.inject(request(seeds[kind]!));
    expect(unmutated.statusCode, `the unmutated ${kind}: ${unmutated.body.slice(0, 300)}`).toBeLessThan(500);
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const bytes = mutate(seeds[kind]!, next);
      const answer = await app.inject(request(bytes));
      const ocspInternalError = kind === 'ocsp' && answer.rawPayload.equals(Buffer.from('30030a0102', 'hex'));
      if (answer.statusCode >= 500 || ocspInternalError) failures.push(`case ${i} (${bytes.toString('hex').slice(0, 120)}…): ${answer.statusCode} ${answer.body.slice(0, 200)}`);
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
  });
});
