import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { bootstrapPrincipal, type Principal } from '../ra/roles.js';
import { openSignet, type Signet } from '../signet.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './rate-limits.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

/** Registration and ACME limited to 4 per source; sign-in left wide open, so only the attempt counter bounds the guesses. */
const LIMITS: RateLimitSettings = {
  source: { ...DEFAULT_RATE_LIMITS.source, registration: { max: 4, windowSeconds: 600 }, 'portal-sign-in': { max: 1000, windowSeconds: 600 }, acme: { max: 4, windowSeconds: 600 } },
  account: { ...DEFAULT_RATE_LIMITS.account, 'portal-sign-in': { max: 1000, windowSeconds: 600 } },
};

/**
 * Issue 16 §1, §3: two Signet instances on one store (what two `serve`
 * processes behind a load balancer are) share the lockouts and the rate
 * limits of the doors that guard secrets. Guesses sent in parallel to both
 * are counted once between them.
 */
describe.each(storeBackends)('two servers on one %s store share lockouts and rate limits (issue 16)', (backend) => {
  let t: TestSignet;
  let second: Signet;
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    second = await openSignet(t.config);
    a = await buildServer(t.signet, { logger: false, rateLimits: LIMITS });
    b = await buildServer(second, { logger: false, rateLimits: LIMITS });
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    await second.close();
    await t.signet.close();
  });

  it('allows a source its registrations once between the two servers, whichever answers', async () => {
    const register = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/api/v1/portal/registrations', remoteAddress: '198.51.100.40', payload: { raId: 'no-such-ra' } });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => register(i % 2 === 0 ? a : b)));
    const codes = answers.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 429)).toHaveLength(6);
    expect(codes.filter((c) => c !== 429).every((c) => c === 400)).toBe(true);
    // Another source is counted on its own, on either server.
    expect((await b.inject({ method: 'POST', url: '/api/v1/portal/registrations', remoteAddress: '198.51.100.41', payload: { raId: 'no-such-ra' } })).statusCode).toBe(400);
  });

  it('allows a source its ACME requests once between the two servers, sent in parallel to both (RFC 8555 §6.6)', async () => {
    const acme = (app: FastifyInstance, url: string) =>
      app.inject({ method: 'POST', url, remoteAddress: '198.51.100.50', headers: { 'content-type': 'application/jose+json' }, payload: '{}' });
    const urls = ['/acme/new-order', '/acme/new-account', '/acme/order/o/finalize', '/acme/chall/c', '/acme/revoke-cert'];
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => acme(i % 2 === 0 ? a : b, urls[i % urls.length]!)));
    const types = answers.map((r) => r.json().type as string);
    expect(types.filter((type) => type === 'urn:ietf:params:acme:error:rateLimited')).toHaveLength(6);
    expect(types.filter((type) => type !== 'urn:ietf:params:acme:error:rateLimited')).toEqual(Array(4).fill('urn:ietf:params:acme:error:malformed'));
    expect(answers.filter((r) => r.statusCode === 429).every((r) => Number(r.headers['retry-after']) > 0)).toBe(true);
  });

  it('evaluates at most the allowed number of parallel wrong portal codes sent to both servers; then even the right code is refused', async () => {
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
    const org = await t.signet.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '共享计数注册机构' });
    const officer: Principal = { operatorId: null, username: 'officer', role: 'ra-officer', raId: org.id, via: 'cli' };
    const record = { type: 'individual', name: '共享甲', idType: 'resident-id', idNumber: '11010519491231002X', phone: '13500135000', email: 'a@example.cn' };
    const subscriber = await t.signet.ra.subscribers.register(officer, { record, consent: { agreementVersion: 'v1', accepted: true } }, null);
    const access = await t.signet.ra.selfService.issueAccess(officer, subscriber.id);
    const audits = async () =>
      (await t.signet.store.db.selectFrom('audit_entries').select('action').where('action', 'in', ['ra.portal-wrong-code', 'ra.portal-access-locked']).execute()).map((r) => r.action);

    const guess = (app: FastifyInstance, i: number) =>
      app.inject({ method: 'POST', url: '/api/v1/portal/sessions', remoteAddress: `203.0.113.${i}`, payload: { trackingNumber: access.trackingNumber, trackingCode: `WRONG${i}` } });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => guess(i % 2 === 0 ? a : b, i)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(12).fill(403));
    const max = t.signet.ra.settings.credentialMaxAttempts;
    const evaluated = await audits();
    expect(evaluated).toHaveLength(max);
    expect(evaluated.filter((action) => action === 'ra.portal-access-locked')).toHaveLength(1);
    for (const app of [a, b]) {
      const right = await app.inject({ method: 'POST', url: '/api/v1/portal/sessions', payload: access });
      expect([right.statusCode, right.json().code]).toEqual([403, 'ra.portal-access-refused']);
    }
    expect(await audits()).toHaveLength(max);
  }, 120_000);
});
