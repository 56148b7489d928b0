import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { bootstrapPrincipal } from '../ra/roles.js';
import type { Tx } from '../store/database.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { auditActionWords } from './action-names.js';
import { appendAuditEntries } from './audit-log.js';
import { searchAuditLog } from './audit-search.js';

afterAll(dropFreshStores);

const SERIAL = '5a1f00c0ffee0000000000000000abcd';

describe.each(storeBackends)('the audit-log search, on %s (issue 20; R20)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let first = 0;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    const at = (iso: string) => new Date(iso);
    const appended = await t.signet.store.db.transaction().execute((trx) =>
      appendAuditEntries(trx as unknown as Tx, t.signet.store.dialect, [
        { event: { actor: 'operator:clerk', action: 'ra.subscriber-registered', target: 'subscriber:sub-1', details: {} }, at: at('2026-12-01T01:00:00Z') },
        { event: { actor: 'operator:checker', action: 'ra.application-approved', target: 'application:app-1', details: { warnings: [] } }, at: at('2026-12-01T02:00:00Z') },
        { event: { actor: 'system:issuance', action: 'certificate.issued', target: `certificate:${SERIAL}`, details: { application: 'app-1' } }, at: at('2026-12-02T03:00:00Z') },
        { event: { actor: 'operator:clerk', action: 'certificate.revoked', target: `certificate:${SERIAL}`, details: { reason: 'superseded' } }, at: at('2026-12-03T04:00:00Z') },
        { event: { actor: 'operator:50%_off', action: 'acme.something-new', target: 'acme-account:1', details: {} }, at: at('2026-12-04T05:00:00Z') },
      ]),
    );
    first = appended[0]!.seq;
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  const mine = (page: { entries: { seq: number }[] }) => page.entries.filter((e) => e.seq >= first).map((e) => e.seq - first);

  it('filters by Beijing-time range, actor, action and subject (a serial in capitals too), newest first, with words for each action', async () => {
    const store = t.signet.store;
    // 2026-12-01 10:00 to 2026-12-02 12:00 Beijing time is 02:00Z to 04:00Z.
    expect(mine(await searchAuditLog(store, { from: '2026-12-01T10:00+08:00', to: '2026-12-02T12:00+08:00' }))).toEqual([2, 1]);
    expect(mine(await searchAuditLog(store, { actor: 'clerk' }))).toEqual([3, 0]);
    expect(mine(await searchAuditLog(store, { action: 'certificate.revoked' }))).toEqual([3]);
    expect(mine(await searchAuditLog(store, { subject: SERIAL.toUpperCase() }))).toEqual([3, 2]);
    // Found in the details too (the application an issuance belongs to).
    expect(mine(await searchAuditLog(store, { subject: 'app-1' }))).toEqual([2, 1]);
    // LIKE's wildcards are taken literally.
    expect(mine(await searchAuditLog(store, { actor: '50%_' }))).toEqual([4]);
    expect(mine(await searchAuditLog(store, { actor: '%' }))).toEqual([4]);
    const [approved] = (await searchAuditLog(store, { action: 'ra.application-approved' })).entries;
    expect(approved!.actionWords).toEqual({ 'zh-CN': '批准申请', en: 'Application approved', known: true });
    expect(auditActionWords('acme.something-new')).toEqual({ 'zh-CN': 'ACME：其他操作', en: 'ACME: other action', known: false });
  });

  it('pages by position: each page starts below the last one shown, and an entry appended meanwhile shifts nothing', async () => {
    const store = t.signet.store;
    const one = await searchAuditLog(store, { actor: 'operator:', limit: 2 });
    expect(mine(one)).toEqual([4, 3]);
    // An operator acts while the auditor reads page one: page two is still the next two older entries.
    await t.signet.store.db.transaction().execute((trx) =>
      appendAuditEntries(trx as unknown as Tx, t.signet.store.dialect, [{ event: { actor: 'operator:late', action: 'ra.login', target: 'operator:late', details: {} }, at: new Date('2026-12-05T00:00:00Z') }]),
    );
    const two = await searchAuditLog(store, { actor: 'operator:', limit: 2, before: String(one.next) });
    expect(mine(two)).toEqual([1, 0]);
    expect(two.next).toBeNull();
    expect(mine(await searchAuditLog(store, { actor: 'operator:', limit: 2 }))).toEqual([5, 4]);
  });

  it('answers bad input with the field and a 400 over HTTP, and admits only the CA administrator and a CA-wide auditor', async () => {
    const get = async (path: string, headers: Record<string, string> = { authorization: 'Bearer test-admin-token' }) => {
      const response = await fetch(`${base}${path}`, { headers });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    for (const [query, field] of [
      ['from=2026-12-01T10:00', 'from'],
      ['from=yesterday', 'from'],
      ['from=2026-12-02T00:00Z&to=2026-12-01T00:00Z', 'to'],
      ['before=abc', 'before'],
      ['limit=1000', 'limit'],
      [`actor=${'x'.repeat(201)}`, 'actor'],
    ] as const) {
      const answer = await get(`/api/v1/audit/entries?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.json.field, query).toBe(field);
    }
    const found = await get(`/api/v1/audit/entries?subject=${SERIAL}&limit=10`);
    expect(found.status).toBe(200);
    expect((found.json.entries as { action: string }[]).map((e) => e.action)).toEqual(['certificate.revoked', 'certificate.issued']);
    expect((await get('/api/v1/audit/entries', {})).status).toBe(401);

    const admin = bootstrapPrincipal('cli', 'test');
    const ra = await t.signet.ra.organisations.create(admin, { name: '审计查询注册机构' });
    const password = 'correct horse battery staple';
    await t.signet.ra.operators.create(admin, { username: 'ra-auditor', role: 'auditor', raId: ra.id, password });
    await t.signet.ra.operators.create(admin, { username: 'ca-auditor', role: 'auditor', raId: null, password });
    await t.signet.ra.operators.create(admin, { username: 'ra-chief', role: 'ra-admin', raId: ra.id, password });
    const as = async (username: string) => {
      const session = await t.signet.ra.operators.login(username, password, '127.0.0.1');
      return { cookie: `signet_session=${session.sessionToken}` };
    };
    expect((await get('/api/v1/audit/entries', await as('ca-auditor'))).status).toBe(200);
    expect((await get('/api/v1/audit/actions', await as('ca-auditor'))).status).toBe(200);
    expect((await get('/api/v1/audit/entries', await as('ra-auditor'))).status).toBe(403);
    expect((await get('/api/v1/audit/entries', await as('ra-chief'))).status).toBe(403);
  });
});
