import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { buildSubjectName } from '../ca/subject-name.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { OcspResponder } from './ocsp-responder.js';
import { OcspResponseCache, SeenFilter, ocspCacheSizeFrom, type CacheableResponse } from './ocsp-response-cache.js';
import { ocspQuestions } from './test-support/ocsp-question.js';

afterAll(dropFreshStores);

const response = (name: string, certIds = [name], serials = [name]): CacheableResponse & { name: string } => ({ name, requestKeys: new Set(), certIds, serials });

/** Issue 14: the OCSP response cache is one object with a size bound, least-recently-used eviction and figures. */
describe('the OCSP response cache', () => {
  it('evicts the least recently used response, with every index entry leading to it, never all at once', () => {
    const cache = new OcspResponseCache<ReturnType<typeof response>>(2);
    const a = response('a');
    const b = response('b');
    cache.add(a, 'req-a');
    cache.add(b, 'req-b');
    // a is used, so b is the least recently used when c arrives.
    expect(cache.lookup('req-a')).toBe(a);
    cache.add(response('c'), 'req-c');
    expect(cache.lookup('req-b')).toBeUndefined();
    expect(cache.byCertId('b')).toBeUndefined();
    expect(cache.bySerial('b')).toEqual([]);
    expect(cache.lookup('req-a')).toBe(a);
    expect(cache.stats()).toEqual({ responses: 2, limit: 2, requestForms: 2, hits: 2, misses: 1, evictions: 1, firstSights: 0 });
  });

  it('replaces the response to a CertID for every request form that asked for it, and counts a stale one as a miss', () => {
    const cache = new OcspResponseCache<ReturnType<typeof response>>(10);
    const old = response('x');
    cache.add(old, 'get-form');
    cache.add(old, 'post-form');
    const fresh = response('x');
    cache.add(fresh, 'post-form');
    expect(cache.lookup('get-form')).toBe(fresh);
    expect(cache.lookup('post-form')).toBe(fresh);
    expect(cache.bySerial('x')).toEqual([fresh]);
    expect(cache.stats()).toMatchObject({ responses: 1, requestForms: 2 });
    expect(cache.lookup('get-form', () => false)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
    // A response about several CertIDs is found by its request and by each serial, not by CertID.
    const pair = response('pair', ['p1', 'p2'], ['p1', 'p2']);
    cache.add(pair, 'pair-form');
    expect(cache.byCertId('p1')).toBeUndefined();
    expect(cache.bySerial('p2')).toEqual([pair]);
  });

  it('under a long stream of new and repeated requests never holds more than its bound, and evicts exactly as a plain LRU list would', () => {
    // Issue 22: the recency list is linked, not a re-inserted Map; a reference model (an array, most recent last) checks its order.
    const limit = 50;
    const cache = new OcspResponseCache<ReturnType<typeof response>>(limit);
    const model: string[] = [];
    const held = new Map<string, ReturnType<typeof response>>();
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    let evicted = 0;
    for (let i = 0; i < 20_000; i++) {
      const name = `s${next() % 400}`;
      const hit = cache.lookup(`req-${name}`);
      expect(hit?.name).toBe(model.includes(name) ? name : undefined);
      if (hit) {
        model.splice(model.indexOf(name), 1);
        model.push(name);
        continue;
      }
      const entry = response(name);
      cache.add(entry, `req-${name}`);
      held.set(name, entry);
      model.push(name);
      if (model.length > limit) {
        const oldest = model.shift()!;
        evicted += 1;
        expect(cache.byCertId(oldest)).toBeUndefined();
        expect(cache.bySerial(oldest)).toEqual([]);
      }
      expect(cache.stats().responses).toBe(Math.min(model.length, limit));
    }
    expect(cache.stats()).toMatchObject({ responses: limit, requestForms: limit, evictions: evicted });
    for (const name of model) expect(cache.byCertId(name)).toBe(held.get(name));
  });

  it('admits a stored answer from the second question about its key on, in a window of fixed size whatever the stream (issue 22)', () => {
    const cache = new OcspResponseCache<ReturnType<typeof response>>(10);
    const key = (i: number) => Buffer.from(`certid-${i}`);
    expect(cache.firstSight(key(1))).toBe(true);
    expect(cache.firstSight(key(1))).toBe(false);
    expect(cache.firstSight(key(2))).toBe(true);
    expect(cache.stats().firstSights).toBe(2);

    // 2^12 bits: the window ends after 512 keys marked, so 200,000 distinct keys never need more than those bits.
    const filter = new SeenFilter(12);
    let firsts = 0;
    for (let i = 0; i < 200_000; i++) if (filter.add(key(i))) firsts++;
    // Collisions inside a window make some keys look seen (they are then only admitted early), never the reverse.
    expect(firsts).toBeGreaterThan(170_000);
    expect(firsts).toBeLessThanOrEqual(200_000);
    // Within a window, a key seen is remembered; after the window is cleared it counts as first again.
    const fresh = new SeenFilter(12);
    expect(fresh.add(key(7))).toBe(true);
    expect(fresh.add(key(7))).toBe(false);
    let i = 10_000;
    while (fresh.add(key(7)) === false) fresh.add(key(i++));
    expect(i - 10_000).toBeLessThanOrEqual(1024);
  });

  it('takes its size from SIGNET_OCSP_CACHE_SIZE and refuses nonsense', () => {
    expect(ocspCacheSizeFrom({})).toBe(200_000);
    expect(ocspCacheSizeFrom({ SIGNET_OCSP_CACHE_SIZE: '5000' })).toBe(5000);
    for (const bad of ['0', '-3', '1.5', 'many']) expect(() => ocspCacheSizeFrom({ SIGNET_OCSP_CACHE_SIZE: bad })).toThrow(`SIGNET_OCSP_CACHE_SIZE must be a whole number from 1 to 50000000, not "${bad}"`);
    expect(() => new OcspResponseCache(0)).toThrow();
  });
});

describe.each(storeBackends)('an OCSP responder with a small cache on %s (RFC 5019, R7)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  beforeAll(async () => {
    t = await openTestSignet(backend);
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  let n = 0;
  async function leaf(): Promise<string> {
    const profile = t.signet.ca.profiles.get('tls-client');
    n += 1;
    const issued = await t.signet.ca.signCertificate({
      profile,
      issuer: await t.signet.ca.issuerContext(h.issuing.caId),
      subject: buildSubjectName({ commonName: `cache ${n}` }, profile),
      subjectPublicKeyInfo: generateSoftwareKey('ecdsa-p256').publicKeyInfo,
      keyAlgorithm: 'ecdsa-p256',
      holder: `subscriber:cache-${n}`,
      subscriberId: `cache-${n}`,
      requestedBy: 'test',
      reason: 'cache',
    });
    return issued.serial;
  }
  const request = (serial: string) => ocspQuestions(h.issuing.der).about(Buffer.from(serial, 'hex'));
  const statusIn = (der: Buffer) => {
    const single = AsnConvert.parse(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!;
    return single.certStatus.good !== undefined ? 'good' : single.certStatus.revoked ? 'revoked' : 'unknown';
  };

  it('keeps the answers in use past its limit, evicts the others one by one, and still answers "revoked" at once', async () => {
    const responder = new OcspResponder(t.signet.ca, { maxCached: 3 }, t.signet.signers);
    const serials = await Promise.all(Array.from({ length: 6 }, () => leaf()));
    const hot = serials[0]!;
    const first = await responder.respond(request(hot));
    for (const serial of serials.slice(1)) {
      expect(statusIn((await responder.respond(request(serial))).der)).toBe('good');
      // The hot answer is asked for between every new one: it is never the least recently used.
      expect((await responder.respond(request(hot))).der.equals(first.der)).toBe(true);
    }
    expect(responder.cacheStats()).toMatchObject({ responses: 3, limit: 3, evictions: 3, hits: 5 });

    // A revocation of a certificate whose answer is held, and of one whose answer was evicted: both "revoked".
    await t.signet.status.revokeCertificate({ serial: hot, reason: 'superseded', channel: 'ra', requestedBy: 'ra:test' });
    await responder.revoked(hot);
    expect(statusIn((await responder.respond(request(hot))).der)).toBe('revoked');
    await t.signet.status.revokeCertificate({ serial: serials[1]!, reason: 'superseded', channel: 'ra', requestedBy: 'ra:test' });
    await responder.revoked(serials[1]!);
    expect(statusIn((await responder.respond(request(serials[1]!))).der)).toBe('revoked');
  });

  it('shows its figures on /metrics', async () => {
    await t.signet.status.ocsp.respond(request(await leaf()));
    const app = await buildServer(t.signet, { logger: false });
    try {
      const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer test-admin-token' } });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain('# TYPE signet_ocsp_cache_evictions_total counter');
      expect(metrics.body).toMatch(/^signet_ocsp_cache_limit 200000$/m);
      expect(metrics.body).toMatch(/^signet_ocsp_cache_responses [1-9]\d*$/m);
      expect(metrics.body).toMatch(/^signet_ocsp_cache_misses_total [1-9]\d*$/m);
      expect(metrics.body).toMatch(/^signet_ocsp_cache_first_sights_total \d+$/m);
      // The bound on cold reads of a stalled store (ocsp-pending-reads.test.ts).
      expect(metrics.body).toMatch(/^signet_ocsp_store_reads_limit 1000$/m);
      expect(metrics.body).toMatch(/^signet_ocsp_store_refusals_total 0$/m);
    } finally {
      await app.close();
    }
  });
});
