import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { raDb } from '../ra/schema.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

const HOUR = 3_600_000;

describe.each(storeBackends)('operators, sessions, CSRF and lockout on %s (issue 3 §2)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let offset = 0;
  let raId: string;
  let otherRaId: string;
  const admin = { authorization: 'Bearer test-admin-token' };

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url, headers, payload: payload as object });
  const login = (username: string, password: string) => post('/api/v1/ra/login', { username, password });
  const sessionOf = (response: Awaited<ReturnType<typeof login>>) => {
    const cookie = String((response.headers['set-cookie'] as string[]).find((c) => c.startsWith('signet_session='))).split(';')[0]!;
    return { cookie, csrf: (response.json() as { csrfToken: string }).csrfToken };
  };

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => new Date(Date.now() + offset) });
    app = await buildServer(t.signet, { logger: false });
    raId = (await post('/api/v1/ra/organisations', { name: '会话注册机构' }, admin)).json().id;
    otherRaId = (await post('/api/v1/ra/organisations', { name: '其他注册机构' }, admin)).json().id;
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('bootstraps the first CA administrator with the admin token; that administrator then works by session', async () => {
    const created = await post('/api/v1/ra/operators', { username: 'root-admin', role: 'ca-admin', password: 'first ca admin password' }, admin);
    expect(created.statusCode, created.body).toBe(201);
    const stored = await raDb(t.signet.store).selectFrom('ra_operators').select('password_hash').where('username', '=', 'root-admin').executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$15\$8\$1\$/);
    const session = sessionOf(await login('root-admin', 'first ca admin password'));
    const me = await app.inject({ url: '/api/v1/ra/me', headers: { cookie: session.cookie } });
    expect(me.json()).toMatchObject({ role: 'ca-admin', raId: null, via: 'session' });
    const ra = await post('/api/v1/ra/organisations', { name: '会话创建的注册机构' }, { cookie: session.cookie, 'x-csrf-token': session.csrf });
    expect(ra.statusCode, ra.body).toBe(201);
  });

  it('refuses a state change by session cookie without the CSRF token, or with another session\'s token', async () => {
    await post('/api/v1/ra/operators', { username: 'csrf-officer', role: 'ra-officer', raId, password: 'csrf officer password' }, admin);
    const mine = sessionOf(await login('csrf-officer', 'csrf officer password'));
    const theirs = sessionOf(await login('csrf-officer', 'csrf officer password'));
    const tokens = () => raDb(t.signet.store).selectFrom('ra_api_tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const before = Number((await tokens()).n);

    const missing = await post('/api/v1/ra/api-tokens', { label: 'x' }, { cookie: mine.cookie });
    expect([missing.statusCode, missing.json().code]).toEqual([403, 'ra.csrf-mismatch']);
    const crossed = await post('/api/v1/ra/api-tokens', { label: 'x' }, { cookie: mine.cookie, 'x-csrf-token': theirs.csrf });
    expect([crossed.statusCode, crossed.json().code]).toEqual([403, 'ra.csrf-mismatch']);
    expect(Number((await tokens()).n)).toBe(before);

    const ok = await post('/api/v1/ra/api-tokens', { label: 'automation' }, { cookie: mine.cookie, 'x-csrf-token': mine.csrf });
    expect(ok.statusCode, ok.body).toBe(201);
    const token = ok.json().token as string;
    expect((await app.inject({ url: '/api/v1/ra/me', headers: { authorization: `Bearer ${token}` } })).json()).toMatchObject({ role: 'ra-officer', via: 'api-token' });
    const hashes = await raDb(t.signet.store).selectFrom('ra_api_tokens').select('token_sha256').execute();
    expect(hashes.some((h) => h.token_sha256.includes(token))).toBe(false);

    // Logging out ends the session; the cookie is worthless afterwards.
    expect((await post('/api/v1/ra/logout', undefined, { cookie: mine.cookie, 'x-csrf-token': mine.csrf })).statusCode).toBe(200);
    const after = await app.inject({ url: '/api/v1/ra/me', headers: { cookie: mine.cookie } });
    expect([after.statusCode, after.json().code]).toEqual([401, 'ra.session-expired']);
  });

  it('ends a session after its lifetime (injected clock)', async () => {
    await post('/api/v1/ra/operators', { username: 'sleepy', role: 'auditor', password: 'sleepy auditor password' }, admin);
    const session = sessionOf(await login('sleepy', 'sleepy auditor password'));
    expect((await app.inject({ url: '/api/v1/ra/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
    offset = 9 * HOUR;
    try {
      expect((await app.inject({ url: '/api/v1/ra/me', headers: { cookie: session.cookie } })).statusCode).toBe(401);
    } finally {
      offset = 0;
    }
  });

  it('throttles a source after five wrong passwords, answering unknown names alike; the operator\'s known address still gets in, and unlock clears it (issue 16)', async () => {
    const created = await post('/api/v1/ra/operators', { username: 'forgetful', role: 'ra-officer', raId, password: 'the right password' }, admin);
    const from = (address: string, username: string, password: string) =>
      app.inject({ method: 'POST', url: '/api/v1/ra/login', remoteAddress: address, payload: { username, password } });
    // The operator's usual address: one successful login makes it known.
    expect((await from('192.0.2.10', 'forgetful', 'the right password')).statusCode).toBe(200);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await from('198.51.100.7', 'forgetful', 'a wrong password');
      const nobody = await from('198.51.100.7', 'nobody-at-all', 'a wrong password');
      // Unknown users and wrong passwords get the same answer.
      expect([wrong.statusCode, wrong.json().code, nobody.statusCode, nobody.json().code]).toEqual([401, 'ra.login-failed', 401, 'ra.login-failed']);
    }
    const row = () => raDb(t.signet.store).selectFrom('ra_operators').selectAll().where('username', '=', 'forgetful').executeTakeFirstOrThrow();
    const audit = () => t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const [lockedRow, lockedAudit] = [await row(), await audit()];
    // The stranger's address is throttled for both names alike, even with the right password.
    for (const [username, password] of [['forgetful', 'the right password'], ['nobody-at-all', 'whatever password']] as const) {
      const refused = await from('198.51.100.7', username, password);
      expect([refused.statusCode, refused.json().code]).toEqual([429, 'ra.login-throttled']);
    }
    expect(await row()).toEqual(lockedRow);
    expect(await audit()).toEqual(lockedAudit);
    // The stranger did not lock the operator out: their known address, and any other, still work.
    expect((await from('192.0.2.10', 'forgetful', 'the right password')).statusCode).toBe(200);
    expect((await from('203.0.113.5', 'forgetful', 'the right password')).statusCode).toBe(200);
    // The window passes (injected clock), or an administrator unlocks: the throttled address may try again.
    expect((await post(`/api/v1/ra/operators/${created.json().id}/unlock`, undefined, admin)).statusCode).toBe(200);
    expect((await from('198.51.100.7', 'forgetful', 'the right password')).statusCode).toBe(200);
  });

  it('lets an RA administrator staff only their own RA, never with CA administrators', async () => {
    await post('/api/v1/ra/operators', { username: 'ra-boss', role: 'ra-admin', raId, password: 'ra boss password!' }, admin);
    const boss = sessionOf(await login('ra-boss', 'ra boss password!'));
    const headers = { cookie: boss.cookie, 'x-csrf-token': boss.csrf };
    const own = await post('/api/v1/ra/operators', { username: 'new-officer', role: 'ra-officer', password: 'new officer password' }, headers);
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json().raId).toBe(raId);
    const other = await post('/api/v1/ra/operators', { username: 'spy', role: 'ra-officer', raId: otherRaId, password: 'spy officer password' }, headers);
    expect([other.statusCode, other.json().code]).toEqual([403, 'ra.other-ra']);
    const escalate = await post('/api/v1/ra/operators', { username: 'usurper', role: 'ca-admin', password: 'usurper password!!' }, headers);
    expect([escalate.statusCode, escalate.json().code]).toEqual([403, 'ra.role-not-grantable']);
    const weak = await post('/api/v1/ra/operators', { username: 'weakling', role: 'ra-officer', password: 'short' }, headers);
    expect([weak.statusCode, weak.json().code, weak.json().field]).toEqual([400, 'ra.weak-password', 'password']);
  });
});
