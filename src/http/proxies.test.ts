import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { trustedProxiesFrom } from './proxies.js';
import { accountKey, DEFAULT_RATE_LIMITS, type RateLimitSettings } from './rate-limits.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

describe('SIGNET_TRUSTED_PROXIES (issue 16 §3)', () => {
  it('believes no proxy when unset, takes addresses, ranges and the named ranges, and stops the start on anything else', () => {
    expect(trustedProxiesFrom({})).toBe(false);
    expect(trustedProxiesFrom({ SIGNET_TRUSTED_PROXIES: ' ' })).toBe(false);
    expect(trustedProxiesFrom({ SIGNET_TRUSTED_PROXIES: '10.0.0.5, 192.168.0.0/16,fd00::/8, loopback' })).toEqual(['10.0.0.5', '192.168.0.0/16', 'fd00::/8', 'loopback']);
    for (const bad of ['10.0.0.256', '10.0.0.0/33', '::/129', 'proxy.example.cn', '10.0.0.0/8/1', 'true', '*']) {
      expect(() => trustedProxiesFrom({ SIGNET_TRUSTED_PROXIES: bad }), bad).toThrow(`SIGNET_TRUSTED_PROXIES: "${bad}" is not an address, an address/prefix, or one of loopback, linklocal, uniquelocal`);
    }
  });

  it('counts an account the way the domain names it: full-width and spaced spellings are one account, and only a string names one', () => {
    expect(accountKey(' ＡＤＭＩＮ ')).toBe('admin');
    expect(accountKey('Ad min')).toBe('admin');
    expect(accountKey(12)).toBe('');
    expect(accountKey({ toString: () => 'admin' })).toBe('');
  });
});

const evidenceOnly = (max: number): RateLimitSettings => ({
  source: { ...DEFAULT_RATE_LIMITS.source, evidence: { max, windowSeconds: 600 } },
  account: DEFAULT_RATE_LIMITS.account,
});

/**
 * The address limits are kept under is the connection's unless the
 * connection comes from a configured proxy: a client cannot spread its
 * guesses over made-up X-Forwarded-For addresses, and behind a real proxy
 * each client has its own allowance rather than all sharing the proxy's.
 */
describe.each(storeBackends)('the client address behind proxies, on %s (issue 16 §3)', (backend) => {
  let t: TestSignet;
  let direct: FastifyInstance;
  let proxied: FastifyInstance;
  // A cheap limited route: an unreadable CMS is a 400 without touching the store.
  const verify = (app: FastifyInstance, remoteAddress: string, forwardedFor?: string) =>
    app.inject({ method: 'POST', url: '/api/v1/cms/verify', remoteAddress, headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) }, payload: { cms: 'AAAA' } });

  beforeAll(async () => {
    t = await openTestSignet(backend);
    direct = await buildServer(t.signet, { logger: false, rateLimits: evidenceOnly(2), trustedProxies: false });
    proxied = await buildServer(t.signet, { logger: false, rateLimits: evidenceOnly(2), trustedProxies: ['10.9.0.0/24'] });
  });

  afterAll(async () => {
    await direct.close();
    await proxied.close();
    await t.signet.close();
  });

  it('ignores X-Forwarded-For when no proxy is configured: forged addresses share the connection\'s allowance', async () => {
    const answers = [];
    for (const forged of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) answers.push((await verify(direct, '198.51.100.7', forged)).statusCode);
    expect(answers[2]).toBe(429);
    expect(answers.slice(0, 2)).not.toContain(429);
  });

  it('believes X-Forwarded-For only from the configured proxy: each client behind it has its own allowance, others cannot forge one', async () => {
    const behind = async (client: string) => (await verify(proxied, '10.9.0.4', client)).statusCode;
    expect([await behind('203.0.113.10'), await behind('203.0.113.10')]).not.toContain(429);
    expect(await behind('203.0.113.10')).toBe(429);
    // Another client behind the same proxy is counted on its own.
    expect(await behind('203.0.113.11')).not.toBe(429);
    // A connection from outside the proxy range is its own address, whatever it writes.
    const outside = [];
    for (const forged of ['203.0.113.20', '203.0.113.21', '203.0.113.22']) outside.push((await verify(proxied, '198.51.100.8', forged)).statusCode);
    expect(outside[2]).toBe(429);
  });
});
