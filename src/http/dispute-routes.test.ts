import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';
import { SignetError } from '../i18n/signet-error.js';
import type { Principal } from '../ra/roles.js';

afterAll(dropFreshStores);

interface Answer {
  status: number;
  type: string;
  json: Record<string, unknown> & { code?: string; field?: string; messages?: Record<string, string> };
}

describe.each(storeBackends)('disputes over HTTP on %s (R10: negotiation → arbitration → closure, by the CA)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let now = new Date('2026-10-10T02:00:00.000Z');
  const admin = { authorization: 'Bearer test-admin-token' };
  let officer: Record<string, string>;
  const subscribers: string[] = [];

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text();
    return { status: response.status, type, json: type.includes('json') ? (JSON.parse(text) as Answer['json']) : {} };
  }

  /** What a refused request must leave as it was: the dispute rows, their history, the notices, the audit chain. */
  async function counts(): Promise<Array<number | string>> {
    const out: Array<number | string> = [];
    for (const table of ['disputes', 'dispute_events', 'service_notifications', 'service_legal_holds', 'audit_entries']) {
      const row = await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)}`.execute(t.signet.store.db);
      out.push(Number(row.rows[0]!.n));
    }
    const states = await sql<{ state: string }>`select state from disputes order by id`.execute(t.signet.store.db);
    return [...out, ...states.rows.map((r) => r.state)];
  }

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const ra = await call('POST', '/api/v1/ra/organisations', { name: '上海注册机构' });
    expect(ra.status).toBe(201);
    const created = await call('POST', '/api/v1/ra/operators', { username: 'officer-sh', role: 'ra-officer', raId: ra.json.id, password: 'a long enough password' });
    expect(created.status).toBe(201);
    const token = await call('POST', '/api/v1/ra/api-tokens', { label: 'officer automation', operatorId: created.json.id });
    expect(token.status, JSON.stringify(token.json)).toBe(201);
    officer = { authorization: `Bearer ${String(token.json.token)}` };
    // Disputes name subscribers the RA knows.
    await t.signet.ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date('2026-01-01T00:00:00Z') });
    const counter: Principal = { operatorId: null, username: 'officer-sh', role: 'ra-officer', raId: String(ra.json.id), via: 'cli' };
    for (const [i, idNumber] of ['11010519491231002X', '110101199003077571'].entries()) {
      const record = { type: 'individual' as const, name: `订户${i + 1}`, idType: 'resident-id', idNumber, phone: '13500135000', email: `s${i}@example.cn` };
      subscribers.push((await t.signet.ra.subscribers.register(counter, { record, consent: { agreementVersion: 'v1', accepted: true } }, null)).id);
    }
  });
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  it('refuses a dispute for a subscriber the RA does not know, in both languages, leaving no hold, row or notice (R10)', async () => {
    const before = await counts();
    const refused = (await t.signet.disputes
      .file({ subscriberId: 'sub-nobody', discoveredOn: '2026-09-20', description: '证书被冒用', filedBy: 'subscriber:sub-nobody' })
      .catch((e: unknown) => e)) as SignetError;
    expect(refused).toBeInstanceOf(SignetError);
    expect(refused.code).toBe('dispute.unknown-subscriber');
    expect(refused.status).toBe(404);
    expect(refused.field).toBe('subscriberId');
    expect(refused.messageIn('zh-CN')).toContain('sub-nobody');
    expect(refused.messageIn('en')).toContain('no subscriber sub-nobody');
    expect(await counts()).toEqual(before);
  });

  it('lets the CA move a dispute through investigation, negotiation and arbitration to closure, each step noted, notified and in the history', async () => {
    const filed = await t.signet.disputes.file({ subscriberId: subscribers[0]!, discoveredOn: '2026-09-20', description: '证书被冒用', filedBy: `subscriber:${subscribers[0]}` });
    const open = await call('GET', '/api/v1/disputes?open=true');
    expect(open.status).toBe(200);
    expect(open.json).toMatchObject([{ id: filed.id, state: 'filed', discoveredOn: '2026-09-20' }]);

    const path = ['investigating', 'negotiation', 'referred-to-arbitration', 'closed'] as const;
    for (const [i, to] of path.entries()) {
      now = new Date(now.getTime() + 86_400_000);
      const moved = await call('POST', `/api/v1/disputes/${filed.id}/advance`, { to, note: `第 ${i + 1} 步` });
      expect(moved.status, JSON.stringify(moved.json)).toBe(200);
      expect(moved.json).toMatchObject({ id: filed.id, state: to });
    }
    const shown = await call('GET', `/api/v1/disputes/${filed.id}`);
    expect(shown.json).toMatchObject({ state: 'closed', outcome: '第 4 步', next: [] });
    expect((shown.json.events as Array<{ to: string; actor: string; note: string }>).map((e) => [e.to, e.actor])).toEqual([
      ['filed', `subscriber:${subscribers[0]}`],
      ['investigating', 'operator:admin-token'],
      ['negotiation', 'operator:admin-token'],
      ['referred-to-arbitration', 'operator:admin-token'],
      ['closed', 'operator:admin-token'],
    ]);
    // Closed is the end: the records are no longer held for it (R2), and it leaves the open list.
    const holds = await call('GET', `/api/v1/service/retention/holds?subscriberId=${subscribers[0]}&active=true`);
    expect(holds.json).toEqual([]);
    expect((await call('GET', '/api/v1/disputes?open=true')).json).toEqual([]);
    expect((await call('GET', '/api/v1/disputes')).json).toMatchObject([{ id: filed.id, state: 'closed' }]);
  });

  it('refuses a skipped step, a missing note, an unknown state or dispute, and anyone but the CA, in both languages and changing nothing', async () => {
    const filed = await t.signet.disputes.file({ subscriberId: subscribers[1]!, discoveredOn: '2026-10-01', description: '收费争议', filedBy: `subscriber:${subscribers[1]}` });
    const before = await counts();

    const skipped = await call('POST', `/api/v1/disputes/${filed.id}/advance`, { to: 'negotiation', note: '直接协商' }, { ...admin, 'accept-language': 'en' });
    expect(skipped.status).toBe(409);
    expect(skipped.type).toContain('application/problem+json');
    expect(skipped.json).toMatchObject({ code: 'dispute.bad-transition', field: 'state' });
    expect(skipped.json.messages!.en).toContain('investigating');
    expect(skipped.json.messages!['zh-CN']).toContain('不能转为');

    const silent = await call('POST', `/api/v1/disputes/${filed.id}/advance`, { to: 'investigating', note: '   ' });
    expect(silent.status).toBe(400);
    expect(silent.json).toMatchObject({ code: 'dispute.note-required', field: 'note' });

    expect((await call('POST', `/api/v1/disputes/${filed.id}/advance`, { to: 'settled', note: 'x' })).status).toBe(400);
    expect((await call('POST', `/api/v1/disputes/${filed.id}/advance`, { to: 'closed', note: 'x', extra: true })).status).toBe(400);
    const unknown = await call('POST', '/api/v1/disputes/dispute-nope/advance', { to: 'investigating', note: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('dispute.not-found');

    expect((await call('GET', '/api/v1/disputes', undefined, {})).status).toBe(401);
    const notTheCa = await call('POST', `/api/v1/disputes/${filed.id}/advance`, { to: 'investigating', note: '我来处理' }, officer);
    expect(notTheCa.status).toBe(403);
    expect(notTheCa.json.code).toBe('ra.role-not-admitted');
    expect((await call('GET', '/api/v1/disputes', undefined, officer)).status).toBe(403);

    expect(await counts()).toEqual(before);
    // What the console offers next comes from the domain's rule, not from a copy in the page.
    expect((await call('GET', `/api/v1/disputes/${filed.id}`)).json).toMatchObject({ state: 'filed', next: ['investigating', 'closed'], events: [{ to: 'filed' }] });
  });

  it('lists the routes in the OpenAPI document, so the console offers only what the server can do', async () => {
    const paths = (await call('GET', '/api/openapi.json')).json.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/v1/disputes/{id}/advance'] ?? {})).toEqual(['post']);
    expect(Object.keys(paths['/api/v1/disputes'] ?? {})).toContain('get');
  });
});
