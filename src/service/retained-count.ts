import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../store/database.js';

/**
 * The retention report's `retained` figure as a counter (issue 22): counting
 * every subscriber with a certificate on each run read the whole
 * `certificates` table (0.8 s at a million on PostgreSQL), while the rest of
 * the run reads only what became due since the last one.
 *
 * `service_retained_counts` holds the subscribers who have had a certificate
 * and whose personal data has not been purged, summed over slots. A trigger
 * on the CA's `certificates` adds one when a subscriber's first certificate
 * is recorded, in that very transaction (as the RA's inventory counters do,
 * so the issuance cycle need not know); the retention job takes one off in
 * each purge's transaction. `service_certified_subscribers` remembers who
 * has been counted: its primary key makes "first" exact when two
 * transactions record a subscriber's first certificates at once on
 * PostgreSQL (the second waits for the first's row, then finds it and adds
 * nothing), where a look at `certificates` would see neither. A purged
 * subscriber stays remembered, so a later certificate does not count them
 * again (the report never counted purged subscribers).
 *
 * On PostgreSQL a transaction adds to one of eight slots (by its id), so
 * issuances of new subscribers do not queue on one row. Slots are 1-8 (a
 * rowid of 0 was once passed over by src/store/move.ts; no longer).
 * On PostgreSQL the trigger is a statement's since migration 2710 (below).
 */

export const RETAINED_COUNTS = 'service_retained_counts';
export const CERTIFIED_SUBSCRIBERS = 'service_certified_subscribers';
const SLOTS = 8;

/** What the counter stands for, counted from the tables: the report's figure before issue 22. */
export const RETAINED_RECOUNT = sql<{ n: number | string }>`
  SELECT COUNT(DISTINCT c.subscriber_id) AS n FROM certificates c
  WHERE c.subscriber_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM service_retention_purges p WHERE p.subscriber_id = c.subscriber_id)`;

export async function retainedCountUp(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.createTable(CERTIFIED_SUBSCRIBERS).addColumn('subscriber_id', 'text', (c) => c.primaryKey()).execute();
  await db.schema
    .createTable(RETAINED_COUNTS)
    .addColumn('slot', 'integer', (c) => c.primaryKey())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .execute();
  // What was there before the counter: counted once, here, in the migration's transaction.
  await sql.raw(`INSERT INTO ${CERTIFIED_SUBSCRIBERS} (subscriber_id) SELECT DISTINCT subscriber_id FROM certificates WHERE subscriber_id IS NOT NULL`).execute(db);
  // No row for nothing: a freshly migrated store holds no rows here (src/store/move.ts needs an empty target).
  await sql
    .raw(
      `INSERT INTO ${RETAINED_COUNTS} (slot, n) SELECT 1, x.n FROM (SELECT (SELECT count(*) FROM ${CERTIFIED_SUBSCRIBERS}) - (SELECT count(*) FROM service_retention_purges) AS n) x WHERE x.n <> 0`,
    )
    .execute(db);

  if (dialect === 'sqlite') {
    // One writer at a time: one slot, and the look-up before the insert is exact.
    await sql
      .raw(
        `CREATE TRIGGER service_retained_on_certificate AFTER INSERT ON certificates FOR EACH ROW
         WHEN NEW.subscriber_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${CERTIFIED_SUBSCRIBERS} s WHERE s.subscriber_id = NEW.subscriber_id)
         BEGIN
           INSERT INTO ${CERTIFIED_SUBSCRIBERS} (subscriber_id) VALUES (NEW.subscriber_id);
           INSERT INTO ${RETAINED_COUNTS} (slot, n) VALUES (1, 1) ON CONFLICT (slot) DO UPDATE SET n = n + 1;
         END`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION service_retained_on_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO ${CERTIFIED_SUBSCRIBERS} (subscriber_id) VALUES (NEW.subscriber_id) ON CONFLICT DO NOTHING;
         IF FOUND THEN
           INSERT INTO ${RETAINED_COUNTS} (slot, n) VALUES ((txid_current() % ${SLOTS})::int + 1, 1)
             ON CONFLICT (slot) DO UPDATE SET n = ${RETAINED_COUNTS}.n + 1;
         END IF;
         RETURN NULL;
       END $$`,
    )
    .execute(db);
  await sql
    .raw(`CREATE TRIGGER service_retained_on_certificate AFTER INSERT ON certificates FOR EACH ROW WHEN (NEW.subscriber_id IS NOT NULL) EXECUTE FUNCTION service_retained_on_certificate()`)
    .execute(db);
}

/**
 * PostgreSQL (migration 2710): the subscribers of one INSERT into `certificates` remembered in key order, by one
 * statement-level trigger, instead of row by row in the order the rows came. Row by row, two transactions recording
 * the first certificates of the same two new subscribers in opposite order (two nodes' issuance batches) each held
 * one subscriber's key and waited for the other's: PostgreSQL aborted one as a deadlock (40P01). In key order, the
 * later one waits for the first at their lowest shared key, holding none of its keys, and goes on once it commits.
 * (The issuance cycle retries a batch it could not record one order at a time, so an aborted batch loses nothing;
 * now none is aborted this way.) The slot is taken after every key, so it closes no cycle either: a transaction
 * holding a slot takes no subscriber key after it. src/service/retention.test.ts provokes the opposite order.
 */
export async function retainedCountInKeyOrder(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') return; // One writer at a time: no two transactions interleave.
  await sql.raw(`DROP TRIGGER service_retained_on_certificate ON certificates`).execute(db);
  await sql.raw(`DROP FUNCTION service_retained_on_certificate()`).execute(db);
  await sql
    .raw(
      `CREATE FUNCTION service_retained_on_certificates() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE added bigint;
       BEGIN
         WITH remembered AS (
           INSERT INTO ${CERTIFIED_SUBSCRIBERS} (subscriber_id)
             SELECT DISTINCT subscriber_id FROM new_certificates WHERE subscriber_id IS NOT NULL ORDER BY subscriber_id
             ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*) INTO added FROM remembered;
         IF added > 0 THEN
           INSERT INTO ${RETAINED_COUNTS} (slot, n) VALUES ((txid_current() % ${SLOTS})::int + 1, added)
             ON CONFLICT (slot) DO UPDATE SET n = ${RETAINED_COUNTS}.n + excluded.n;
         END IF;
         RETURN NULL;
       END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER service_retained_on_certificates AFTER INSERT ON certificates REFERENCING NEW TABLE AS new_certificates
       FOR EACH STATEMENT EXECUTE FUNCTION service_retained_on_certificates()`,
    )
    .execute(db);
}

/** Subscribers with a certificate whose data has not been purged: a sum over at most eight rows. */
export async function retainedCount(db: Kysely<unknown>): Promise<number> {
  const row = await sql<{ n: number | string | null }>`SELECT SUM(n) AS n FROM ${sql.table(RETAINED_COUNTS)}`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

/** A purge takes its subscriber off the count, in the purge's own transaction. */
export async function countPurge(trx: Kysely<unknown>): Promise<void> {
  await sql`INSERT INTO ${sql.table(RETAINED_COUNTS)} (slot, n) VALUES (1, -1) ON CONFLICT (slot) DO UPDATE SET n = ${sql.table(RETAINED_COUNTS)}.n - 1`.execute(trx);
}
