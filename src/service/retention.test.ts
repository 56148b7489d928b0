import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { revokeCertificate } from '../status/revocation.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { CERTIFIED_SUBSCRIBERS, RETAINED_COUNTS, RETAINED_RECOUNT, retainedCount, retainedCountInKeyOrder, retainedCountUp } from './retained-count.js';
import { issueFor } from './test-support/certificates.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('retention of personal data on %s (R2)', (backend) => {
  let t: TestSignet;
  let now = new Date('2020-01-01T02:00:00.000Z');
  const complaints: Record<string, string> = {};

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    // 2020: three subscribers whose only certificates end in January 2020 (two expire, one is revoked early).
    await issueFor(t.signet, t.dir, 'sub-old', 'individual-signing', 30);
    await issueFor(t.signet, t.dir, 'sub-held', 'individual-signing', 30);
    // Two certificates: the first ended in 2020, the second (below) in 2023: the last one decides.
    await issueFor(t.signet, t.dir, 'sub-two', 'individual-signing', 30);
    const revoked = await issueFor(t.signet, t.dir, 'sub-revoked', 'individual-signing', 365);
    now = new Date('2020-01-20T02:00:00.000Z');
    await revokeCertificate(t.signet.ca, { serial: revoked.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'subscriber:sub-revoked' });
    // 2022: one whose certificate ended in 2023; 2026: one still holding a valid certificate.
    now = new Date('2022-06-01T02:00:00.000Z');
    await issueFor(t.signet, t.dir, 'sub-recent', 'individual-signing', 365);
    await issueFor(t.signet, t.dir, 'sub-two', 'individual-signing', 365);
    now = new Date('2026-02-02T02:00:00.000Z');
    await issueFor(t.signet, t.dir, 'sub-active', 'individual-signing', 365);
    for (const subscriberId of ['sub-old', 'sub-held', 'sub-revoked', 'sub-recent', 'sub-active', 'sub-two']) {
      complaints[subscriberId] = (await t.signet.service.complaints.file('operator:clerk', { channel: 'phone', subscriberId, complainant: { name: `投诉人${subscriberId}`, contact: '13800000000' }, category: 'other', description: `关于 ${subscriberId}` })).id;
    }
  });
  afterAll(() => t.signet.close());

  /** The counter behind `retained` against a count of the tables themselves (issue 22: no longer counted on each run). */
  async function counterAgreesWithRecount(): Promise<number> {
    const db = t.signet.store.db as unknown as Kysely<unknown>;
    const kept = await retainedCount(db);
    expect(kept).toBe(Number((await RETAINED_RECOUNT.execute(db)).rows[0]!.n));
    return kept;
  }

  it('purges a subscriber five years after their last certificate ended and leaves one under legal hold untouched', async () => {
    await t.signet.service.retention.placeHold('operator:legal', { subscriberId: 'sub-held', kind: 'legal-hold', reason: '(2025)京01民初123号 诉讼保全' });
    now = new Date('2026-03-02T02:00:00.000Z');
    // Issue 22: the job reads subscribers a page at a time; pages of one cross every boundary.
    t.signet.service.retention.pageSize = 1;
    const report = await t.signet.service.retention.run();
    expect(report.retentionYears).toBe(5);
    expect(report.purged.map((p) => [p.subscriberId, p.lastCertificateEnd.slice(0, 10), p.records.complaints]).sort()).toEqual([
      ['sub-old', '2020-01-31', 1],
      ['sub-revoked', '2020-01-20', 1],
    ]);
    expect(report.held.map((h) => h.subscriberId)).toEqual(['sub-held']);
    expect(report.retained).toBe(3);
    // Five certified and not purged (sub-held among them); the report takes off sub-held, due but held.
    expect(await counterAgreesWithRecount()).toBe(4);
    const two = await t.signet.service.complaints.get('operator:auditor', complaints['sub-two']!);
    expect(two.complainant?.name).toBe('投诉人sub-two');

    const purged = await t.signet.service.complaints.get('operator:auditor', complaints['sub-old']!);
    expect(purged).toMatchObject({ complainant: null, description: null, anonymised: true, dueDay: '2026-02-11' });
    const held = await t.signet.service.complaints.get('operator:auditor', complaints['sub-held']!);
    expect(held.complainant).toEqual({ name: '投诉人sub-held', contact: '13800000000' });
    const recent = await t.signet.service.complaints.get('operator:auditor', complaints['sub-recent']!);
    expect(recent.complainant?.name).toBe('投诉人sub-recent');
    const audit = await t.signet.store.db.selectFrom('audit_entries').select(['target']).where('action', '=', 'service.personal-data-purged').execute();
    expect(audit.map((a) => a.target).sort()).toEqual(['subscriber:sub-old', 'subscriber:sub-revoked']);
    // A second run purges nothing again.
    expect((await t.signet.service.retention.run()).purged).toEqual([]);
  });

  it('purges the held subscriber once the hold is released, and refuses a hold on data already purged', async () => {
    const [hold] = await t.signet.service.retention.holds({ subscriberId: 'sub-held', active: true });
    await t.signet.service.retention.releaseHold('operator:legal', hold!.id);
    const report = await t.signet.service.retention.run();
    expect(report.purged.map((p) => p.subscriberId)).toEqual(['sub-held']);
    expect([report.held, report.retained]).toEqual([[], 3]);
    // Five years after sub-two's second certificate ended (June 2023, with sub-recent's), both go, with that date.
    now = new Date('2028-06-03T02:00:00.000Z');
    const later = await t.signet.service.retention.run();
    expect(later.purged.map((p) => [p.subscriberId, p.lastCertificateEnd.slice(0, 7)]).sort()).toEqual([
      ['sub-recent', '2023-06'],
      ['sub-two', '2023-06'],
    ]);
    expect(later.retained).toBe(1);
    expect(await counterAgreesWithRecount()).toBe(1);
    await expect(t.signet.service.retention.placeHold('operator:legal', { subscriberId: 'sub-old', reason: 'too late' })).rejects.toMatchObject({ code: 'service.already-purged', status: 409 });
  });

  it('after the first run reads only what became due since its watermark: an expiry, a revocation, one a day short of due at one run and due at the next (issue 22)', async () => {
    const watermark = async () => (await t.signet.store.db.selectFrom('service_retention_watermark' as never).select('cutoff' as never).executeTakeFirstOrThrow()) as { cutoff: string };
    expect((await watermark()).cutoff.slice(0, 10)).toBe('2023-06-05');
    now = new Date('2028-06-04T02:00:00.000Z');
    const edge = await issueFor(t.signet, t.dir, 'sub-edge', 'individual-signing', 30);
    const revoked = await issueFor(t.signet, t.dir, 'sub-revoked-later', 'individual-signing', 365);
    now = new Date('2028-06-05T02:00:00.000Z');
    await revokeCertificate(t.signet.ca, { serial: revoked.serial, reason: 'superseded', channel: 'subscriber', requestedBy: 'subscriber:sub-revoked-later' });
    const end = (await t.signet.store.db.selectFrom('certificates').select('not_after').where('serial', '=', edge.serial).executeTakeFirstOrThrow()).not_after;
    // A day short of five years after sub-edge's end: within the early cutoff, not yet due.
    now = new Date(Date.parse(end.replace(/^2028/, '2033')) - 86_400_000);
    const first = await t.signet.service.retention.run();
    expect(first.purged.map((p) => p.subscriberId).sort()).toEqual(['sub-active', 'sub-revoked-later']);
    expect(first.purged.find((p) => p.subscriberId === 'sub-revoked-later')!.lastCertificateEnd.slice(0, 10)).toBe('2028-06-05');
    // An hour past: the window since the watermark reaches back over the margin, and finds it.
    now = new Date(Date.parse(end.replace(/^2028/, '2033')) + 3_600_000);
    expect((await t.signet.service.retention.run()).purged.map((p) => p.subscriberId)).toEqual(['sub-edge']);
    expect((await watermark()).cutoff > '2028-07').toBe(true);
    expect((await t.signet.service.retention.run()).purged).toEqual([]);
    expect(await counterAgreesWithRecount()).toBe(0);
  });

  it('counts a subscriber once however their certificates arrive: a second, one rolled back, two first ones in parallel transactions (issue 22)', async () => {
    const db = t.signet.store.db as unknown as Kysely<{ certificates: Record<string, unknown>; issuance_intents: Record<string, unknown> }>;
    const before = await counterAgreesWithRecount();
    const template = await db.selectFrom('certificates').selectAll().where('subscriber_id', '=', 'sub-edge').executeTakeFirstOrThrow();
    const intent = await db.selectFrom('issuance_intents').selectAll().where('serial', '=', template.serial as string).executeTakeFirstOrThrow();
    // Copies of a stored certificate under fresh serials (each with its intent, which a certificate row refers to), so
    // the test holds the transactions; the counter's trigger is all that matters here.
    const serials = Array.from({ length: 6 }, (_, i) => `7e${String(i + 1).padStart(30, '0')}`);
    await db.insertInto('issuance_intents').values(serials.map((serial) => ({ ...intent, id: `intent-${serial}`, serial }))).execute();
    let copies = 0;
    const copy = (subscriberId: string) => ({ ...template, serial: serials[copies++]!, subscriber_id: subscriberId });
    // A purged subscriber's new certificate does not bring them back into the count (the report never counted them).
    await db.insertInto('certificates').values(copy('sub-edge')).execute();
    expect(await counterAgreesWithRecount()).toBe(before);
    // A first certificate rolled back counts nowhere.
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('certificates').values(copy('sub-rolled-back')).execute();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await counterAgreesWithRecount()).toBe(before);
    // Two transactions record the first certificates of one new subscriber at once: the second waits for the first
    // (PostgreSQL: on the remembered subscriber's key; SQLite: one writer), then finds them counted.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const first = new Promise<void>((resolve) => (inserted = resolve));
    const one = db.transaction().execute(async (trx) => {
      await trx.insertInto('certificates').values(copy('sub-parallel')).execute();
      inserted();
      await gate;
    });
    await first;
    const two = db.transaction().execute(async (trx) => {
      await trx.insertInto('certificates').values(copy('sub-parallel')).execute();
    });
    if (backend === 'postgres') {
      // The second is waiting on a lock before the first commits: the case a look at `certificates` alone would count twice.
      await expect.poll(async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`.execute(db)).rows[0]!.n), { timeout: 30_000 }).toBeGreaterThan(0);
    }
    release();
    await Promise.all([one, two]);
    expect(await counterAgreesWithRecount()).toBe(before + 1);
    // And a second certificate of a counted subscriber adds nothing.
    await db.insertInto('certificates').values(copy('sub-parallel')).execute();
    expect(await counterAgreesWithRecount()).toBe(before + 1);
  });

  it('records two batches of the same new subscribers in opposite orders at once without a deadlock, counting each once (issue 22, migration 2710)', async () => {
    const before = await counterAgreesWithRecount();
    const db = t.signet.store.db as unknown as Kysely<{ certificates: Record<string, unknown>; issuance_intents: Record<string, unknown> }>;
    const template = await db.selectFrom('certificates').selectAll().where('subscriber_id', 'is not', null).limit(1).executeTakeFirstOrThrow();
    const intent = await db.selectFrom('issuance_intents').selectAll().where('serial', '=', template.serial as string).executeTakeFirstOrThrow();
    const serials = Array.from({ length: 6 }, (_, i) => `7d${String(i + 1).padStart(30, '0')}`);
    await db.insertInto('issuance_intents').values(serials.map((serial) => ({ ...intent, id: `intent-${serial}`, serial }))).execute();
    const columns = Object.keys(template).filter((c) => c !== 'serial' && c !== 'subscriber_id');
    // One INSERT of certificates copied from the template, rows in the order given (as the issuance cycle records a batch).
    const batch = (rows: Array<[string, string]>) =>
      sql`INSERT INTO certificates (serial, subscriber_id, ${sql.join(columns.map((c) => sql.ref(c)))})
          WITH v (i, serial, subscriber_id) AS (VALUES ${sql.join(rows.map(([serial, subscriber], i) => sql`(${i}, ${serial}, ${subscriber})`))})
          SELECT v.serial, v.subscriber_id, ${sql.join(columns.map((c) => sql.ref(`t.${c}`)))}
          FROM v CROSS JOIN (SELECT * FROM certificates WHERE serial = ${template.serial as string}) t ORDER BY v.i`;
    const first: Array<[string, string]> = [[serials[0]!, 'dl-a'], [serials[1]!, 'dl-x'], [serials[2]!, 'dl-b']];
    const second: Array<[string, string]> = [[serials[3]!, 'dl-b'], [serials[4]!, 'dl-y'], [serials[5]!, 'dl-a']];
    if (backend === 'sqlite') {
      // One writer: the batches cannot interleave; each counts its new subscribers once.
      await batch(first).execute(db);
      await batch(second).execute(db);
      expect(await counterAgreesWithRecount()).toBe(before + 4);
      return;
    }
    // PostgreSQL, four connections. Two hold a subscriber key each (dl-x, dl-y), uncommitted, so that each batch stops
    // in the middle: row by row, the first holds dl-a and waits at dl-x, the second holds dl-b and waits at dl-y. When
    // the holders let go, each goes on to the key the other holds: a deadlock, one batch aborted (40P01). In key order,
    // the second waits for the first at dl-a holding nothing, and both go through.
    const url = t.config.databaseUrl;
    const connect = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    };
    const [holdX, holdY, one, two] = await Promise.all([connect(), connect(), connect(), connect()]);
    try {
      for (const [client, subscriber] of [[holdX, 'dl-x'], [holdY, 'dl-y']] as const) {
        await client.query('BEGIN');
        await client.query(`INSERT INTO ${CERTIFIED_SUBSCRIBERS} (subscriber_id) VALUES ($1)`, [subscriber]);
      }
      // Two transactions whose ids differ modulo 8, so that the RA inventory's slot locks (inventory-counts.ts) do not
      // make the second wait for the first at its first row, before any subscriber key.
      const slotOf = async (client: pg.Client) => {
        await client.query('BEGIN');
        return Number((await client.query<{ slot: string }>('SELECT txid_current() % 8 AS slot')).rows[0]!.slot);
      };
      const slotOne = await slotOf(one);
      while ((await slotOf(two)) === slotOne) await two.query('ROLLBACK');
      const pid = async (client: pg.Client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const [pidOne, pidTwo, pidX] = [await pid(one), await pid(two), await pid(holdX)];
      const compiled = (rows: Array<[string, string]>) => batch(rows).compile(db);
      const outcome = (client: pg.Client, rows: Array<[string, string]>) => {
        const query = compiled(rows);
        return client.query(query.sql, [...query.parameters]).then(
          () => 'recorded',
          (error: { code?: string }) => `failed ${error.code}`,
        );
      };
      const blockers = async (pidOf: number) => (await sql<{ pids: number[] }>`SELECT pg_blocking_pids(${pidOf}) AS pids`.execute(db)).rows[0]!.pids;
      let oneDone = false;
      const firstBatch = outcome(one, first).finally(() => (oneDone = true));
      await expect.poll(() => blockers(pidOne), { timeout: 30_000 }).toContain(pidX);
      const secondBatch = outcome(two, second);
      // The second is stopped too: at dl-y (row by row) or at dl-a behind the first (in key order).
      await expect.poll(async () => (await blockers(pidTwo)).length, { timeout: 30_000 }).toBeGreaterThan(0);
      await holdX.query('ROLLBACK');
      // The first goes on: to dl-b, which the second holds (row by row), or to its end (in key order).
      await expect.poll(async () => oneDone || (await blockers(pidOne)).includes(pidTwo), { timeout: 30_000 }).toBe(true);
      await holdY.query('ROLLBACK');
      expect(await firstBatch).toBe('recorded');
      await one.query('COMMIT');
      expect(await secondBatch).toBe('recorded');
      await two.query('COMMIT');
    } finally {
      for (const client of [holdX, holdY, one, two]) await client.end();
    }
    expect(await counterAgreesWithRecount()).toBe(before + 4);
  });

  it('counts what a store already holds when the counter is added (migration 2660 on a populated store)', async () => {
    const db = t.signet.store.db as unknown as Kysely<unknown>;
    const kept = await counterAgreesWithRecount();
    expect(kept).toBeGreaterThan(0);
    if (backend === 'postgres') {
      await sql.raw(`DROP TRIGGER service_retained_on_certificates ON certificates`).execute(db);
      await sql.raw(`DROP FUNCTION service_retained_on_certificates()`).execute(db);
    } else await sql.raw(`DROP TRIGGER service_retained_on_certificate`).execute(db);
    await sql.raw(`DROP TABLE ${RETAINED_COUNTS}`).execute(db);
    await sql.raw(`DROP TABLE ${CERTIFIED_SUBSCRIBERS}`).execute(db);
    await db.transaction().execute(async (trx) => {
      await retainedCountUp(trx, backend);
      await retainedCountInKeyOrder(trx, backend);
    });
    expect(await counterAgreesWithRecount()).toBe(kept);
    // And it goes on counting: a new subscriber's first certificate.
    const rows = t.signet.store.db as unknown as Kysely<{ certificates: Record<string, unknown>; issuance_intents: Record<string, unknown> }>;
    const template = await rows.selectFrom('certificates').selectAll().where('subscriber_id', '=', 'sub-edge').executeTakeFirstOrThrow();
    const intent = await rows.selectFrom('issuance_intents').selectAll().where('serial', '=', template.serial as string).executeTakeFirstOrThrow();
    const serial = `7f${'0'.repeat(30)}`;
    await rows.insertInto('issuance_intents').values({ ...intent, id: `intent-${serial}`, serial }).execute();
    await rows.insertInto('certificates').values({ ...template, serial, subscriber_id: 'sub-after-migration' }).execute();
    expect(await counterAgreesWithRecount()).toBe(kept + 1);
  });
});
