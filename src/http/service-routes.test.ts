import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('service, publication and audit over HTTP on %s (R9, R11, R12, R17, R19, R20)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let now = new Date('2026-09-24T02:00:00.000Z');
  const admin = { authorization: 'Bearer test-admin-token' };

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, type, text, json: type.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('files a complaint with its deadline, refuses an unknown year with a 409 problem and client garbage with 400, changing nothing', async () => {
    expect((await call('POST', '/api/v1/service/complaints', {}, {})).status).toBe(401);
    const complaint = { channel: 'web', complainant: { name: '张三', contact: 'z@example.cn' }, category: 'download', description: '下载失败' };
    const filed = await call('POST', '/api/v1/service/complaints', complaint);
    expect(filed.status).toBe(201);
    expect(filed.json).toMatchObject({ receivedDay: '2026-09-24', dueDay: '2026-10-12', dueShown: '2026-10-12 23:59:59 +08:00' });

    const unknown = await call('POST', '/api/v1/service/complaints', { ...complaint, receivedAt: '2025-12-30T10:00:00+08:00' }, { ...admin, 'accept-language': 'en' });
    expect(unknown.status).toBe(409);
    expect(unknown.type).toContain('application/problem+json');
    expect(unknown.json).toMatchObject({ code: 'service.calendar-unknown-year', field: 'receivedAt' });
    expect((unknown.json.messages as Record<string, string>)['zh-CN']).toContain('2025');
    expect((await call('POST', '/api/v1/service/complaints', { ...complaint, extra: 1 })).status).toBe(400);
    expect((await call('POST', '/api/v1/service/complaints', { ...complaint, receivedAt: 'yesterday' })).status).toBe(400);
    const list = await call('GET', '/api/v1/service/complaints');
    expect(JSON.parse(list.text)).toHaveLength(1);
    expect(list.text).not.toContain('张三');
  });

  it('serves the fee standard publicly and refuses money that is not integer fen', async () => {
    const created = await call('POST', '/api/v1/service/fees/schedules', { raId: 'ra-1', profileId: 'individual-signing', validityDays: 365, amountFen: 5000 });
    expect(created.status).toBe(201);
    const standard = await call('GET', '/api/v1/service/fees/schedules?raId=ra-1', undefined, {});
    expect(standard.status).toBe(200);
    expect(JSON.parse(standard.text)).toMatchObject([{ profileId: 'individual-signing', amountFen: 5000, amountShown: '¥50.00' }]);
    expect((await call('POST', '/api/v1/service/fees/schedules', { raId: 'ra-1', profileId: 'individual-signing', validityDays: 730, amountFen: 50.5 })).status).toBe(400);
    expect((await call('POST', '/api/v1/service/liability/claims', { certificateSerial: '01', amountFen: -1, claimant: { name: 'a', contact: 'b' }, description: 'c' })).status).toBe(400);
  });

  it('publishes the CPS and an agreement version at stable public URLs, in the reader\'s language', async () => {
    const fallback = await call('GET', '/cps', undefined, {});
    expect(fallback.status).toBe(200);
    expect(fallback.text).toContain(t.config.policyOid);

    const cps = await call('POST', '/api/v1/publication/documents', { kind: 'cps', version: '1.0', title: { 'zh-CN': '电子认证业务规则', en: 'Certification Practice Statement' }, text: { 'zh-CN': '第一章 总则', en: 'Chapter 1 General' } });
    expect(cps.status).toBe(201);
    expect((await call('GET', '/cps', undefined, {})).text).toContain('第一章 总则');
    expect((await call('GET', '/cps?lang=en', undefined, {})).text).toContain('Chapter 1 General');
    expect((await call('GET', '/cps/1.0', undefined, { accept: 'application/json' })).json).toMatchObject({ kind: 'cps', version: '1.0' });
    expect((await call('GET', '/cps/9.9', undefined, {})).status).toBe(404);

    const agreement = await call('POST', '/api/v1/publication/agreements', { id: '2026-09', title: { 'zh-CN': '订户协议', en: 'Subscriber Agreement' }, text: { 'zh-CN': '甲方与乙方', en: 'The parties' } });
    expect(agreement.status).toBe(201);
    const english = await call('GET', '/agreements/2026-09', undefined, { 'accept-language': 'en-GB,en;q=0.9' });
    expect(english.type).toContain('text/plain');
    expect(english.text).toContain('The parties');
    expect((await call('GET', '/agreements/2026-09', undefined, {})).text).toContain('甲方与乙方');
    expect(JSON.parse((await call('GET', '/agreements', undefined, {})).text)).toMatchObject([{ id: '2026-09' }]);
    // The RA's own route still answers as before.
    expect((await call('GET', '/api/v1/agreements/current', undefined, {})).json).toMatchObject({ id: '2026-09', text: '甲方与乙方' });
    expect((await call('POST', '/api/v1/publication/agreements', { id: '2026-09', title: { 'zh-CN': 'x', en: 'x' }, text: { 'zh-CN': 'x', en: 'x' } })).status).toBe(409);
  });

  it('signs an audit checkpoint and reports chain and checkpoints as valid', async () => {
    now = new Date('2026-09-24T03:00:00.000Z');
    expect((await call('POST', '/api/v1/audit/checkpoints')).status).toBe(201);
    const verification = await call('GET', '/api/v1/audit/verification');
    expect(verification.json).toMatchObject({ chain: { ok: true }, checkpoints: { ok: true, checkpoints: 1, timeStamped: 1 } });
    // Each verdict in words in both languages, for the console (no export file configured here).
    expect(verification.json.texts).toMatchObject({
      'zh-CN': { chain: null, checkpoints: null, unpinned: null, heads: expect.stringContaining('未给出库外导出的检查点') },
      en: { chain: null, checkpoints: null, unpinned: null, heads: expect.stringContaining('No exported heads given') },
    });
  });

  it('lists the notification outbox without the bodies, which stay sealed (R2)', async () => {
    await t.signet.store.db.transaction().execute((trx) =>
      t.signet.service.outbox.enqueue(
        trx as never,
        { recipient: 'subscriber:sub-notice', kind: 'dispute' as never, dedupeKey: 'test:notice', subject: { 'zh-CN': '通知', en: 'Notice' }, body: { 'zh-CN': '张三的争议', en: 'the dispute of 张三' } },
        now,
      ),
    );
    const listed = await call('GET', '/api/v1/service/notifications');
    expect(listed.status).toBe(200);
    const items = listed.json as unknown as Array<Record<string, unknown>>;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item).toHaveProperty('subject');
      expect(item).not.toHaveProperty('body');
    }
    expect(listed.text).not.toContain('张三');
  });

  it('names a deleted checkpoint in zh-CN and en (R20)', async () => {
    const { sql } = await import('kysely');
    const [checkpoint] = await t.signet.auditCheckpoints.list();
    await sql.raw(backend === 'sqlite' ? 'DROP TRIGGER audit_checkpoints_no_delete' : 'DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints').execute(t.signet.store.db);
    await sql`DELETE FROM audit_checkpoints WHERE id = ${checkpoint!.id}`.execute(t.signet.store.db);
    const verification = await call('GET', '/api/v1/audit/verification');
    expect(verification.json).toMatchObject({ ok: false, checkpoints: { ok: false, code: 'audit.checkpoint-problem.missing', checkpointId: checkpoint!.id } });
    const texts = verification.json.texts as Record<string, { checkpoints: string }>;
    expect(texts.en!.checkpoints).toMatch(new RegExp(`^checkpoint ${checkpoint!.id}, announced in entry \\d+, is missing$`));
    expect(texts['zh-CN']!.checkpoints).toMatch(new RegExp(`^第 \\d+ 条记录宣告的检查点 ${checkpoint!.id} 已缺失$`));
  });
});
