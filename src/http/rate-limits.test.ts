import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { raDb } from '../ra/schema.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { DEFAULT_RATE_LIMITS, limitedRoutes, rateLimitsFrom, WindowCounts, type LimitClass, type RateLimitSettings } from './rate-limits.js';
import { buildServer } from './server.js';
import { signJws, testKey } from '../acme/test-support/test-client.js';

afterAll(dropFreshStores);

const tight = (max: number): RateLimitSettings => ({
  source: Object.fromEntries(Object.keys(DEFAULT_RATE_LIMITS.source).map((name) => [name, { max, windowSeconds: 60 }])) as RateLimitSettings['source'],
  account: { login: { max: 5, windowSeconds: 60 }, 'portal-sign-in': { max: 5, windowSeconds: 60 }, download: { max: 5, windowSeconds: 60 } },
});

describe('SIGNET_RATE_LIMITS (issue 16 §3)', () => {
  it('keeps the defaults when unset, turns limits off with "off", and changes single classes', () => {
    expect(rateLimitsFrom({})).toEqual(DEFAULT_RATE_LIMITS);
    expect(rateLimitsFrom({ SIGNET_RATE_LIMITS: 'off' })).toBe(false);
    const changed = rateLimitsFrom({ SIGNET_RATE_LIMITS: 'status=6000/60, login.account=10/600' });
    expect(changed && [changed.source.status, changed.account.login, changed.source.tsa]).toEqual([{ max: 6000, windowSeconds: 60 }, { max: 10, windowSeconds: 600 }, DEFAULT_RATE_LIMITS.source.tsa]);
    for (const bad of ['status=0/60', 'ocsp=10/60', 'status=10', 'tsa.account=5/60', 'login=10/60;rm']) {
      const expected = bad === 'tsa.account=5/60'
        ? 'SIGNET_RATE_LIMITS: in "tsa.account=5/60", the class tsa names no account, so it has no per-account limit'
        : `SIGNET_RATE_LIMITS: "${bad}" is not class=max/seconds or class.account=max/seconds with 1 to 86400 seconds (classes: `;
      expect(() => rateLimitsFrom({ SIGNET_RATE_LIMITS: bad }), bad).toThrow(expected);
    }
  });
});

/**
 * Issue 16 §3: login, portal sign-in, downloads, registration, OCSP, TSA and
 * evidence verification are limited per source and (where the request names
 * an account) per account; over the limit a 429 with Retry-After in both
 * languages, and the request is not evaluated.
 */
describe('the per-process counts (WindowCounts: status, TSA, evidence, enrolment doors; issue 22)', () => {
  const WINDOW = 60_000;
  function counts(keptKeys: number) {
    let now = 1_000_000;
    const store = new WindowCounts({ keptKeys, clockMs: () => now });
    const hit = (key: string) => {
      let answer: { current: number; ttl: number } | undefined;
      store.incr(key, (error, result) => (answer = error ? undefined : result), WINDOW);
      return answer!;
    };
    return { store, hit, advance: (ms: number) => (now += ms) };
  }

  it('never holds more than its bound under a stream of distinct sources, and counts each from one', () => {
    const { store, hit } = counts(1000);
    for (let i = 0; i < 20_000; i++) {
      expect(hit(`10.0.${i >> 8}.${i & 255}`).current).toBe(1);
      expect(store.size).toBeLessThanOrEqual(1000);
    }
  });

  it('keeps the count of a source counted at least once per half-bound of other sources, however many pass', () => {
    const { hit } = counts(1000);
    for (let round = 1; round <= 40; round++) {
      expect(hit('203.0.113.7').current).toBe(round);
      for (let i = 0; i < 499; i++) hit(`198.51.${round}.${i}`);
    }
  });

  it('forgets nothing live when a window ends: a source counted just before keeps its count until its own window ends', () => {
    const { hit, advance } = counts(1000);
    hit('a');
    advance(WINDOW - 1);
    expect(hit('b').current).toBe(1);
    expect(hit('a').current).toBe(2);
    // A new generation begins here (a window since the last began); 'b' was counted in the last one, its window runs on.
    advance(WINDOW / 2);
    expect(hit('b')).toEqual({ current: 2, ttl: WINDOW / 2 });
    // 'a''s window (from its first count) has ended: it starts again at one.
    expect(hit('a')).toEqual({ current: 1, ttl: WINDOW });
    // Two quiet windows: everything forgotten, every source at one.
    advance(3 * WINDOW);
    expect(hit('b').current).toBe(1);
  });
});

describe.each(storeBackends)('rate limits on %s (issue 16 §3)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  const attempts = async () => Number((await raDb(t.signet.store).selectFrom('ra_secret_attempts').where('key', 'not like', 'rate:%').select((eb) => eb.fn.sum<number>('attempts').as('n')).executeTakeFirstOrThrow()).n ?? 0);
  const audits = async () => Number((await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const from = (remoteAddress: string, options: InjectOptions) => app.inject({ ...options, remoteAddress });

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false, rateLimits: tight(3) });
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('covers routes that exist: the table cannot drift from the routes', () => {
    for (const { method, url } of limitedRoutes()) expect(app.hasRoute({ method: method as 'GET', url }), `${method} ${url}`).toBe(true);
  });

  it('limits operator login per source, then per account across sources, before any password is checked', async () => {
    const login = { method: 'POST' as const, url: '/api/v1/ra/login', payload: { username: 'nobody', password: 'wrong password' }, headers: { 'accept-language': 'en' } };
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.1', login)).statusCode).toBe(401);
    const counted = await attempts();
    const before = await audits();
    const limited = await from('10.0.0.1', login);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('request.rate-limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json().messages['zh-CN']).toMatch(/秒后重试/);
    expect(limited.json().messages.en).toMatch(/try again in \d+ seconds/);
    expect([await attempts(), await audits()]).toEqual([counted, before]);
    // Another address is its own source: two more guesses at the same account pass the door (5 per account) ...
    for (let i = 0; i < 2; i++) expect((await from('10.0.0.2', login)).statusCode).toBe(401);
    // ... and then the account's own limit holds, from any address, whatever the spelling of the name.
    const counted2 = await attempts();
    const spread = await from('10.0.0.3', { ...login, payload: { username: ' NoBody ', password: 'x' } });
    expect([spread.statusCode, spread.json().code]).toEqual([429, 'request.rate-limited']);
    expect(await attempts()).toBe(counted2);
    // Another account from a fresh address is not affected.
    expect((await from('10.0.0.3', { ...login, payload: { username: 'someone-else', password: 'x' } })).statusCode).toBe(401);
    expect(await attempts()).toBeGreaterThan(counted2);
  });

  it('limits registration, portal sign-in, downloads, OCSP, the TSA and evidence verification per source, and changes nothing when refusing', async () => {
    const requests: Array<[LimitClass, InjectOptions]> = [
      ['registration', { method: 'POST', url: '/api/v1/portal/registrations', payload: { raId: 'none' } }],
      ['portal-sign-in', { method: 'POST', url: '/api/v1/portal/sessions', payload: { trackingNumber: '1', trackingCode: 'x' } }],
      ['download', { method: 'POST', url: '/api/v1/ra/downloads', payload: {} }],
      ['status', { method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload: Buffer.from([0x30, 0x00]) }],
      ['status', { method: 'GET', url: '/api/v1/status/01' }],
      ['tsa', { method: 'POST', url: '/tsa', headers: { 'content-type': 'application/timestamp-query' }, payload: Buffer.from([0x30, 0x00]) }],
      ['evidence', { method: 'POST', url: '/api/v1/cms/verify', payload: {} }],
    ];
    let address = 20;
    for (const [name, request] of requests) {
      const source = `10.0.1.${address++}`;
      for (let i = 0; i < 3; i++) {
        const passed = await from(source, request);
        expect(passed.statusCode, `${name} ${request.url} #${i}: ${passed.body.slice(0, 200)}`).not.toBe(429);
        expect(passed.statusCode, `${name} ${request.url}`).toBeLessThan(500);
      }
      const before = await audits();
      const limited = await from(source, request);
      // OCSP clients get an OCSP answer (tryLater, RFC 6960 §4.2.1); everyone else a problem document.
      const ocsp = request.url === '/ocsp';
      expect([limited.statusCode, limited.headers['content-type']?.toString().split(';')[0]], `${name} ${request.url}`).toEqual([429, ocsp ? 'application/ocsp-response' : 'application/problem+json']);
      if (ocsp) expect(limited.rawPayload.toString('hex')).toBe('30030a0103');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(await audits()).toBe(before);
      // The same request from elsewhere still passes.
      expect((await from('10.0.2.1', request)).statusCode, `${name} from elsewhere`).not.toBe(429);
    }
  });

  it('limits ACME new-account, new-order, finalize, challenge and revoke-cert per source, as rateLimited problems (RFC 8555 §6.6)', async () => {
    const acme = (url: string, payload: unknown = {}): InjectOptions => ({ method: 'POST', url, headers: { host: 'acme.test', 'content-type': 'application/jose+json' }, payload: JSON.stringify(payload) });
    let address = 40;
    for (const url of ['/acme/new-account', '/acme/new-order', '/acme/order/some-order/finalize', '/acme/chall/some-challenge', '/acme/revoke-cert']) {
      const source = `10.0.1.${address++}`;
      // An unsigned body: the door lets it through to ACME's own refusal, three times.
      for (let i = 0; i < 3; i++) expect((await from(source, acme(url))).json().type, `${url} #${i}`).toBe('urn:ietf:params:acme:error:malformed');
      const limited = await from(source, acme(url));
      expect([limited.statusCode, limited.headers['content-type']?.toString().split(';')[0]], url).toEqual([429, 'application/problem+json']);
      expect(limited.json()).toMatchObject({ type: 'urn:ietf:params:acme:error:rateLimited', status: 429 });
      expect(limited.json().detail).toMatch(/try again in \d+ seconds/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // RFC 8555 §6.5: a fresh nonce on error answers too, so the client can go on after Retry-After.
      expect(limited.headers['replay-nonce']).toBeTruthy();
    }
    // One allowance per source across the five: the class is counted once, whichever of them is asked.
    const mixed = '10.0.1.50';
    for (const url of ['/acme/new-account', '/acme/new-order', '/acme/revoke-cert']) expect((await from(mixed, acme(url))).statusCode).toBe(400);
    expect((await from(mixed, acme('/acme/chall/x'))).statusCode).toBe(429);
    // Polling an order or authorization is not counted: clients poll every few seconds.
    for (let i = 0; i < 6; i++) expect((await from(mixed, acme('/acme/order/some-order'))).statusCode).toBe(400);

    // Nothing is evaluated when refusing: the signed request's nonce is not used up, so the same request from
    // another source is judged on its merits (not badNonce).
    const nonce = (await app.inject({ method: 'HEAD', url: '/acme/new-nonce', headers: { host: 'acme.test' } })).headers['replay-nonce'] as string;
    const key = testKey();
    const signed = signJws(key, { nonce, url: 'http://acme.test/acme/new-account', jwk: key.jwk }, { termsOfServiceAgreed: true });
    const refused = await from(mixed, acme('/acme/new-account', signed));
    expect(refused.json().type).toBe('urn:ietf:params:acme:error:rateLimited');
    const judged = await from('10.0.1.51', acme('/acme/new-account', signed));
    expect(judged.statusCode).not.toBe(429);
    expect(judged.json().type).not.toBe('urn:ietf:params:acme:error:badNonce');
  });

  it('lets a burst of parallel requests through up to the limit and refuses only the rest, per process as in the store', async () => {
    const requests: InjectOptions[] = [
      { method: 'POST', url: '/api/v1/cms/verify', payload: {} },
      { method: 'POST', url: '/api/v1/portal/registrations', payload: { raId: 'none' } },
    ];
    let address = 60;
    for (const request of requests) {
      const source = `10.0.1.${address++}`;
      const codes = (await Promise.all(Array.from({ length: 7 }, () => from(source, request)))).map((r) => r.statusCode);
      expect(codes.filter((c) => c === 429), `${request.url}: ${codes.join(' ')}`).toHaveLength(4);
    }
  });

  it('leaves routes outside the table alone', async () => {
    for (let i = 0; i < 6; i++) expect((await from('10.0.3.1', { method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
