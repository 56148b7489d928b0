import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { countersAndRecount } from '../ra/test-support/inventory-recount.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

const AGREEMENT = readFileSync(new URL('../../test/fixtures/subscriber-agreement-2022-08.zh.txt', import.meta.url), 'utf8');
const DAY = 86_400_000;

interface Answer {
  status: number;
  json: Record<string, unknown> & { code?: string; field?: string; messages?: Record<string, string>; items?: Array<Record<string, unknown>>; total?: number };
}

describe.each(storeBackends)('the certificate inventory and dashboard figures over HTTP on %s (issue 7; R7, R16, R18)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let dir: string;
  const day0 = new Date('2026-09-24T02:00:00.000Z'); // 10:00 in Beijing
  let now = day0;
  const admin = 'test-admin-token';
  let raA: string;
  let raB: string;
  let officerA: string;
  let officerB: string;
  const serials: Record<string, string> = {};

  async function call(token: string | null, method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Answer['json'] };
  }

  async function ok(token: string | null, method: string, path: string, body?: unknown): Promise<Answer['json']> {
    const answer = await call(token, method, path, body);
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.json)}`).toBeLessThan(300);
    return answer.json;
  }

  async function officerOf(raId: string, username: string): Promise<string> {
    const operator = await ok(admin, 'POST', '/api/v1/ra/operators', { username, role: 'ra-officer', raId, password: 'a long enough password' });
    return String((await ok(admin, 'POST', '/api/v1/ra/api-tokens', { label: 'test', operatorId: operator.id })).token);
  }

  /** Register, apply, approve, download: a certificate in the subscriber's own key (R4, R5). */
  async function certificateFor(officer: string, name: string, idNumber: string): Promise<string> {
    const consent = { agreementVersion: '2022-08', accepted: true };
    const subscriber = await ok(officer, 'POST', '/api/v1/ra/subscribers', { type: 'individual', name, idType: 'resident-id', idNumber, phone: '13800138000', email: 'x@example.cn', consent });
    const application = await ok(officer, 'POST', '/api/v1/ra/applications', { subscriberId: subscriber.id, purpose: 'signing' });
    await ok(officer, 'POST', `/api/v1/ra/applications/${String(application.id)}/review`);
    const credential = (await ok(officer, 'POST', `/api/v1/ra/applications/${String(application.id)}/approve`, {})).credential as Record<string, string>;
    const download = await ok(null, 'POST', '/api/v1/ra/downloads', { referenceNumber: credential.referenceNumber, authorizationCode: credential.authorizationCode, csr: opensslRequest(dir, 'ecdsa-p256', name).csrPem });
    return String(download.serial);
  }

  const page = async (token: string, query = '') =>
    (await ok(token, 'GET', `/api/v1/ra/inventory/certificates${query}`)) as { items: Array<Record<string, unknown>>; total: number; totalExact: boolean; page: number; pages: number; next: string | null; previous: string | null };
  const serialsOf = (p: { items: Array<Record<string, unknown>> }) => p.items.map((i) => i.serial);

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = mkdtempSync(join(tmpdir(), 'signet-inventory-'));
    await ok(admin, 'POST', '/api/v1/agreements', { id: '2022-08', title: 'CFCA 数字证书服务协议', text: AGREEMENT });
    raA = String((await ok(admin, 'POST', '/api/v1/ra/organisations', { name: '北京注册机构' })).id);
    raB = String((await ok(admin, 'POST', '/api/v1/ra/organisations', { name: '上海注册机构' })).id);
    officerA = await officerOf(raA, 'officer-a');
    officerB = await officerOf(raB, 'officer-b');

    serials.zhang = await certificateFor(officerA, '张三', '110101199003077571');
    now = new Date(day0.getTime() + DAY);
    serials.wang = await certificateFor(officerA, '王五', '11010519491231002X');
    serials.li = await certificateFor(officerB, '李四', '110101199001011237');
    await ok(officerA, 'POST', `/api/v1/ra/certificates/${serials.wang}/revocations`, { reason: 'keyCompromise' });
  });
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  it("shows an RA officer their own RA's certificates with status, subscriber and RA, newest first, and nothing of another RA (R18)", async () => {
    const mine = await page(officerA);
    expect(mine.total).toBe(2);
    expect(mine.items).toMatchObject([
      { serial: serials.wang, subscriberName: '王*', raId: raA, status: 'revoked', reason: 'keyCompromise', profileId: 'individual-signing' },
      { serial: serials.zhang, subscriberName: '张*', raId: raA, status: 'good', reason: null, revokedAt: null },
    ]);
    expect(String(mine.items[1]!.applicationId)).toMatch(/^app-/);
    expect(String(mine.items[1]!.subject)).toContain('张三');
    expect(serialsOf(await page(officerB))).toEqual([serials.li]);
    const elsewhere = await call(officerB, 'GET', `/api/v1/ra/inventory/certificates?raId=${raA}`);
    expect([elsewhere.status, elsewhere.json.code]).toEqual([403, 'ra.other-ra']);
    // The CA's administrator sees every certificate, the CA's own service certificates included.
    const all = await page(admin, '?pageSize=200');
    expect(serialsOf(all)).toEqual(expect.arrayContaining([serials.zhang, serials.wang, serials.li]));
    expect(serialsOf(await page(admin, `?raId=${raB}`))).toEqual([serials.li]);
  });

  it('filters by status, reason, search text (serial with colons, subject, name), day of issue in Beijing and expiry, in the database', async () => {
    expect(serialsOf(await page(officerA, '?status=revoked'))).toEqual([serials.wang]);
    expect(serialsOf(await page(officerA, '?status=good'))).toEqual([serials.zhang]);
    expect(serialsOf(await page(officerA, '?reason=keyCompromise'))).toEqual([serials.wang]);
    expect(serialsOf(await page(officerA, '?reason=superseded'))).toEqual([]);
    expect(serialsOf(await page(officerA, `?q=${encodeURIComponent('张三')}`))).toEqual([serials.zhang]);
    const colons = serials.zhang!.slice(0, 12).toUpperCase().match(/../g)!.join(':');
    expect(serialsOf(await page(officerA, `?q=${encodeURIComponent(colons)}`))).toEqual([serials.zhang]);
    expect(serialsOf(await page(officerA, '?q=%25'))).toEqual([]);
    expect(serialsOf(await page(officerA, '?issuedOn=2026-09-24'))).toEqual([serials.zhang]);
    expect(serialsOf(await page(officerA, '?issuedOn=2026-09-25'))).toEqual([serials.wang]);
    expect(serialsOf(await page(officerA, '?expiringWithinDays=365'))).toEqual([serials.zhang]);
    expect(serialsOf(await page(officerA, '?expiringWithinDays=30'))).toEqual([]);
  });

  it('pages: a page of one, the second of as many pages as certificates', async () => {
    const first = await page(admin, '?pageSize=1');
    const second = await page(admin, '?pageSize=1&page=2');
    expect(first.items).toHaveLength(1);
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.serial).not.toBe(first.items[0]!.serial);
    expect(second.pages).toBe(second.total);
    expect((await page(admin, `?pageSize=1&page=${second.total + 1}`)).items).toEqual([]);
  });

  it('refuses a page number past the first 2,000 rows with 400 naming the cursor to use instead, in both languages; a cursor goes on at any depth (issue 22)', async () => {
    // The deepest page by number at each page size still answers (an OFFSET of at most 2,000 rows).
    expect((await call(officerA, 'GET', '/api/v1/ra/inventory/certificates?pageSize=200&page=10')).status).toBe(200);
    expect((await call(officerA, 'GET', '/api/v1/ra/inventory/certificates?page=40')).status).toBe(200);
    for (const query of ['?pageSize=200&page=11', '?page=41', '?pageSize=1&page=2001', '?status=good&page=999999']) {
      const refused = await call(officerA, 'GET', `/api/v1/ra/inventory/certificates${query}`);
      expect([refused.status, refused.json.code, refused.json.field], query).toEqual([400, 'inventory.page-too-deep', 'page']);
      expect(refused.json.messages!.en).toContain('after=');
      expect(refused.json.messages!['zh-CN']).toContain('after');
      expect(refused.json.messages!['zh-CN']).toContain('游标');
    }
    const deepest = await call(officerA, 'GET', '/api/v1/ra/inventory/certificates?pageSize=200&page=11');
    expect(deepest.json.messages!.en).toContain('page 10 at 200 a page');
    // With a cursor the page number is not an offset: the same deep number pages on from the cursor.
    const first = await page(admin, '?pageSize=1');
    const second = await page(admin, `?pageSize=1&page=999999&after=${encodeURIComponent(first.next!)}`);
    expect(serialsOf(second)).toEqual(serialsOf(await page(admin, '?pageSize=1&page=2')));
  });

  it('refuses a filter it does not understand with 400 naming the field, in both languages, and a caller without credentials with 401', async () => {
    for (const [query, field] of [
      ['?status=lost', 'status'],
      ['?reason=stolen', 'reason'],
      ['?issuedOn=2026-02-30', 'issuedOn'],
      ['?expiringWithinDays=-1', 'expiringWithinDays'],
      ['?page=0', 'page'],
      ['?pageSize=1000', 'pageSize'],
    ] as const) {
      const refused = await call(officerA, 'GET', `/api/v1/ra/inventory/certificates${query}`);
      expect([refused.status, refused.json.code, refused.json.field], query).toEqual([400, 'inventory.bad-filter', field]);
      expect(refused.json.messages!['zh-CN']).toContain(field);
      expect(refused.json.messages!.en).toContain('not valid');
    }
    expect((await call(null, 'GET', '/api/v1/ra/inventory/certificates')).status).toBe(401);
    expect((await call(null, 'GET', '/api/v1/ra/inventory/statistics')).status).toBe(401);
    expect((await call(officerA, 'GET', '/api/v1/ra/inventory/statistics?days=0')).json.field).toBe('days');
  });

  it('counts what the dashboard charts in the database: by status, issued per Beijing day, expiring in 30/60/90 days, revocations by reason; and moves with the clock', async () => {
    const stats = (await ok(officerA, 'GET', '/api/v1/ra/inventory/statistics')) as Record<string, unknown> & { issuedPerDay: Array<{ day: string; count: number }> };
    expect(stats).toMatchObject({
      total: 2,
      byStatus: { good: 1, revoked: 1, expired: 0, 'not-yet-valid': 0 },
      expiring: [
        { days: 30, count: 0 },
        { days: 60, count: 0 },
        { days: 90, count: 0 },
      ],
      revocationsByReason: [{ reason: 'keyCompromise', count: 1 }],
    });
    expect(stats.issuedPerDay).toHaveLength(30);
    expect(stats.issuedPerDay.slice(-2)).toEqual([
      { day: '2026-09-24', count: 1 },
      { day: '2026-09-25', count: 1 },
    ]);
    expect(stats.issuedPerDay.slice(0, -2).every((d) => d.count === 0)).toBe(true);

    // Eleven months on, 张三's certificate is due within 30 days; a year and more on, it has expired. The revoked one stays revoked.
    now = new Date(day0.getTime() + 340 * DAY);
    expect(await ok(officerA, 'GET', '/api/v1/ra/inventory/statistics?days=7')).toMatchObject({ byStatus: { good: 1, revoked: 1 }, expiring: [{ days: 30, count: 1 }, { days: 60, count: 1 }, { days: 90, count: 1 }] });
    now = new Date(day0.getTime() + 400 * DAY);
    expect(await ok(officerA, 'GET', '/api/v1/ra/inventory/statistics?days=7')).toMatchObject({ byStatus: { good: 0, revoked: 1, expired: 1 }, issuedPerDay: [{ count: 0 }, { count: 0 }, { count: 0 }, { count: 0 }, { count: 0 }, { count: 0 }, { count: 0 }] });
    expect(serialsOf(await page(officerA, '?status=expired'))).toEqual([serials.zhang]);
    now = new Date(day0.getTime() + DAY);
  });

  /** The counters as kept, against a recount of the tables themselves (the ra_inventory_facts view). */
  async function countersAgreeWithFacts(): Promise<void> {
    const { kept, recounted } = await countersAndRecount(t.signet.store.db as unknown as Kysely<never>);
    expect(kept).toEqual(recounted);
    expect(kept.length).toBeGreaterThan(0);
  }

  it('pages by keyset (?after= the previous next) through every certificate, newest first, the same rows as by page number (issue 22)', async () => {
    const all = await page(admin, '?pageSize=200');
    expect(all.totalExact).toBe(true);
    const walked: unknown[] = [];
    let next: string | null = null;
    do {
      const step: { items: Array<Record<string, unknown>>; next: string | null } = await page(admin, `?pageSize=2${next ? `&after=${encodeURIComponent(next)}` : ''}`);
      walked.push(...serialsOf(step));
      next = step.next;
    } while (next);
    expect(walked).toEqual(serialsOf(all));
    expect(new Set(walked).size).toBe(all.total);
    const refused = await call(admin, 'GET', '/api/v1/ra/inventory/certificates?after=yesterday');
    expect([refused.status, refused.json.code, refused.json.field]).toEqual([400, 'inventory.bad-filter', 'after']);
  });

  it('pages back by keyset (?before= the following page’s previous) to the first page, which has no previous (issue 22)', async () => {
    type Step = { items: Array<Record<string, unknown>>; next: string | null; previous: string | null };
    const all = serialsOf(await page(admin, '?pageSize=200'));
    expect(all.length).toBeGreaterThanOrEqual(5);
    const forward: Step[] = [(await page(admin, '?pageSize=2')) as Step];
    expect(forward[0]!.previous).toBeNull();
    while (forward.at(-1)!.next) forward.push((await page(admin, `?pageSize=2&after=${encodeURIComponent(forward.at(-1)!.next!)}`)) as Step);
    expect(forward.at(-1)!.previous).not.toBeNull();
    // From the last page back: each step shows the page the walk forward showed before it, and the first has no previous.
    let at = forward.length - 1;
    let step = forward[at]!;
    while (step.previous) {
      step = (await page(admin, `?pageSize=2&before=${encodeURIComponent(step.previous)}`)) as Step;
      at -= 1;
      expect(serialsOf(step)).toEqual(serialsOf(forward[at]!));
      expect(step.next).not.toBeNull();
    }
    expect(at).toBe(0);
    // Both directions at once is not a page.
    const both = await call(admin, 'GET', `/api/v1/ra/inventory/certificates?after=${encodeURIComponent(forward[0]!.next!)}&before=${encodeURIComponent(forward[0]!.next!)}`);
    expect([both.status, both.json.code, both.json.field]).toEqual([400, 'inventory.bad-filter', 'before']);
  });

  it('walks a filtered list by the index of its filter, newest first in its own time, with an exact total from the counters (issue 22)', async () => {
    const lists = [
      ['status=revoked', 'revokedAt'],
      ['reason=keyCompromise', 'revokedAt'],
      ['status=good', 'issuedAt'],
      ['status=expired', 'notAfter'],
      ['expiringWithinDays=400', 'notAfter'],
      ['status=not-yet-valid', 'notBefore'],
    ] as const;
    for (const moment of [day0.getTime() + DAY, day0.getTime() + 400 * DAY]) {
      now = new Date(moment);
      const stats = (await ok(admin, 'GET', '/api/v1/ra/inventory/statistics')) as { byStatus: Record<string, number> };
      for (const [query, field] of lists) {
        const all = await page(admin, `?pageSize=200&${query}`);
        expect([all.total, all.totalExact], query).toEqual([all.items.length, true]);
        const times = all.items.map((i) => String(i[field]));
        expect(times, query).toEqual([...times].sort().reverse());
        const walked: unknown[] = [];
        let next: string | null = null;
        do {
          const step: { items: Array<Record<string, unknown>>; next: string | null } = await page(admin, `?pageSize=1&${query}${next ? `&after=${encodeURIComponent(next)}` : ''}`);
          walked.push(...serialsOf(step));
          next = step.next;
        } while (next);
        expect(walked, query).toEqual(serialsOf(all));
        const status = /^status=(.*)$/.exec(query)?.[1];
        if (status) expect(all.total, query).toBe(stats.byStatus[status]);
      }
      // An officer's list of their own RA's: the same exact counts within the RA.
      expect((await page(officerA, '?status=revoked')).total).toBe(1);
      expect((await page(officerA, `?raId=${raA}&status=good`)).total).toBe(moment === day0.getTime() + DAY ? 1 : 0);
    }
    now = new Date(day0.getTime() + DAY);
  });

  it('finds subject text through a trigram index with exactly the rows a plain LIKE gives: any case, % and _ and quotes taken literally (issue 22)', async () => {
    const all = await page(admin, '?pageSize=200');
    const db = t.signet.store.db as unknown as Kysely<never>;
    const subjects = (await sql<{ serial: string; subject: string }>`SELECT serial, subject FROM certificates`.execute(db)).rows;
    const zhang = subjects.find((r) => r.serial === serials.zhang)!.subject;
    const probes = [zhang.slice(3, 9).toUpperCase(), zhang.slice(-5), '张三', 'CN=', 'cn=', '%%%', '___', '"a"', 'no such subject'];
    for (const q of probes) {
      const found = serialsOf(await page(admin, `?pageSize=200&q=${encodeURIComponent(q)}`));
      // What the subjects themselves say (the names of these subscribers are masked and never contain the probe).
      const expected = serialsOf(all).filter((serial) => subjects.find((r) => r.serial === serial)!.subject.toLowerCase().includes(q.toLowerCase()));
      expect(found, q).toEqual(expected);
    }
    expect(serialsOf(await page(admin, `?q=${encodeURIComponent(zhang.slice(3, 9).toUpperCase())}`))).toContain(serials.zhang);
  });

  it('finds a certificate by its whole serial, or its first digits with colons, through the index and nothing else', async () => {
    expect(serialsOf(await page(admin, `?q=${serials.li}`))).toEqual([serials.li]);
    expect(serialsOf(await page(admin, `?q=${encodeURIComponent(serials.li!.slice(0, 10).toUpperCase().match(/../g)!.join(':'))}`))).toEqual([serials.li]);
    expect(serialsOf(await page(officerA, `?q=${serials.li}`))).toEqual([]);
    expect(serialsOf(await page(admin, '?q=00000000000000000000'))).toEqual([]);
  });

  it('keeps the dashboard counters in the transaction of the change: a rolled-back revocation counts nowhere, and counters equal a recount (issue 22)', async () => {
    await countersAgreeWithFacts();
    const before = await ok(admin, 'GET', '/api/v1/ra/inventory/statistics');
    const db = t.signet.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await expect(
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto('revocations')
          .values({ serial: serials.zhang, issuer_ca_id: 'x', reason_code: 1, ground: null, revoked_at: now.toISOString(), invalidity_date: null, requested_by: 'test', justification: null, channel: 'ca', not_after: now.toISOString() })
          .execute();
        throw new Error('the rest of the revocation failed');
      }),
    ).rejects.toThrow(/failed/);
    expect(await ok(admin, 'GET', '/api/v1/ra/inventory/statistics')).toEqual(before);
    await countersAgreeWithFacts();
  });

  it("moves an RA's counts to its successor when it merges (R18), and they still equal a recount", async () => {
    await ok(admin, 'POST', `/api/v1/ra/organisations/${raB}/merge`, { into: raA, reason: 'consolidation' });
    const merged = await ok(officerA, 'GET', '/api/v1/ra/inventory/statistics');
    expect(merged).toMatchObject({ total: 3, byStatus: { good: 2, revoked: 1 } });
    expect((await page(officerA)).total).toBe(3);
    await countersAgreeWithFacts();
  });

  it('folds the slots of past hours into one row each, the sums unchanged (issue 22: 8 rows an hour on PostgreSQL)', async () => {
    const db = t.signet.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    // Two concurrent writers' slots of a past hour that cancel out, beside the trigger's own rows.
    const past = (await sql<{ bucket: string }>`SELECT min(bucket) AS bucket FROM ra_inventory_counts WHERE kind = 'issued'`.execute(db)).rows[0]!.bucket;
    if (backend === 'postgres') {
      await sql`INSERT INTO ra_inventory_counts (ra_id, kind, bucket, slot, n) VALUES (${raA}, 'issued', ${past}, 3, 1), (${raA}, 'issued', ${past}, 5, -1)
        ON CONFLICT (ra_id, kind, bucket, slot) DO UPDATE SET n = ra_inventory_counts.n + excluded.n`.execute(db);
    }
    const statistics = await ok(admin, 'GET', '/api/v1/ra/inventory/statistics');
    now = new Date(day0.getTime() + 10 * DAY);
    const removed = await t.signet.ra.inventory.compactCounters();
    if (backend === 'postgres') expect(removed).toBeGreaterThanOrEqual(2);
    else expect(removed).toBe(0);
    const left = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ra_inventory_counts WHERE kind IN ('issued', 'live-until') AND bucket <= ${past} AND slot <> 0`.execute(db);
    expect(Number(left.rows[0]!.n)).toBe(0);
    expect(await t.signet.ra.inventory.compactCounters()).toBe(0);
    await countersAgreeWithFacts();
    now = new Date(day0.getTime() + DAY);
    expect(await ok(admin, 'GET', '/api/v1/ra/inventory/statistics')).toEqual(statistics);
  });
});
