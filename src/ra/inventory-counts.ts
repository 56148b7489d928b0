import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../store/database.js';

/**
 * The dashboard's figures as counters (issue 22), kept by the database in the
 * same transaction as the change they count: counting a million certificates
 * on every view took 8 s. Triggers on the CA's `certificates`, the status
 * domain's `revocations` and the RA's `ra_subscribers` keep them, so neither
 * the issuance cycle nor revocation has to know the RA's dashboard exists,
 * and no path that writes those tables (a bulk import included) can miss one.
 *
 * Per RA (subscribers of no RA under ''), counts by kind and bucket:
 * - `issued`: certificates by the UTC hour their validity begins;
 * - `live-until`: certificates not revoked, by the UTC hour their validity ends
 *   (time decides good vs expired; the hour buckets plus an exact count of the
 *   current hour give both);
 * - `revoked`: revocations by RFC 5280 reason code.
 * On PostgreSQL each change lands in one of eight slots chosen at random, so
 * concurrent issuances do not queue on one row lock; readers sum the slots.
 *
 * `ra_inventory_facts` is the same as a view over the tables themselves: the
 * backfill, a subscriber's move to another RA, and the test that counters and
 * facts agree all read it.
 *
 * `ra_inventory_rollups` holds the same counts over coarser spans, kept by the
 * same triggers in the same statement list (migration 2610): `issued` over all
 * time (the inventory's total), `live-until` by UTC day and month. A sum over
 * any range of hours is then a few months, days and hours (at most ~120 rows
 * after three years), not one row per hour of history (26,000 hours, 119,000
 * rows at a million certificates on PostgreSQL: 0.14-0.28 s a sum).
 */

export const COUNTS_TABLE = 'ra_inventory_counts';
export const ROLLUPS_TABLE = 'ra_inventory_rollups';
const SLOTS = 8;
/** First key of the advisory locks, one per slot, that writers of a slot and the folding take (second key: the slot). */
const SLOT_LOCK = 2610;

/** The folding excludes every writer while it moves counts between slots: all slots' locks, in order, as no writer takes two. */
async function lockAllSlots(trx: Kysely<unknown>): Promise<void> {
  for (let slot = 0; slot < SLOTS; slot++) await sql`SELECT pg_advisory_xact_lock(${sql.lit(SLOT_LOCK)}, ${sql.lit(slot)})`.execute(trx);
}
/** Which coarser spans each kind of hour bucket rolls up into, and the prefix of the hour bucket ('2026-12-06T07') that names it. */
const SPANS = `(SELECT 'issued' AS kind, 'all' AS span, 0 AS len UNION ALL SELECT 'live-until', 'day', 10 UNION ALL SELECT 'live-until', 'month', 7)`;

const FACTS = `
  SELECT c.serial, c.subscriber_id, 'issued' AS kind, substr(c.not_before, 1, 13) AS bucket FROM certificates c
  UNION ALL
  SELECT c.serial, c.subscriber_id, 'live-until' AS kind, substr(c.not_after, 1, 13) AS bucket FROM certificates c
    WHERE NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = c.serial)
  UNION ALL
  SELECT c.serial, c.subscriber_id, 'revoked' AS kind, CAST(r.reason_code AS TEXT) AS bucket FROM certificates c JOIN revocations r ON r.serial = c.serial`;

const UPSERT = `ON CONFLICT (ra_id, kind, bucket, slot) DO UPDATE SET n = ${COUNTS_TABLE}.n + excluded.n`;
const ROLLUP_UPSERT = `ON CONFLICT (ra_id, kind, span, bucket, slot) DO UPDATE SET n = ${ROLLUPS_TABLE}.n + excluded.n`;

/** The statements of each trigger, `slot` being the slot expression; with the roll-ups (migration 2610) or as first built (0720). */
function statements(slot: string, rollups: boolean) {
  const raOf = (subscriber: string) => `coalesce((SELECT s.ra_id FROM ra_subscribers s WHERE s.id = ${subscriber}), '')`;
  const hourly = hourlyStatements(slot, raOf);
  if (!rollups) return hourly;
  const into = `INSERT INTO ${ROLLUPS_TABLE} (ra_id, kind, span, bucket, slot, n)`;
  return {
    certificate: [
      ...hourly.certificate,
      `${into} SELECT ${raOf('NEW.subscriber_id')}, v.kind, v.span, substr(CASE v.kind WHEN 'issued' THEN NEW.not_before ELSE NEW.not_after END, 1, v.len), ${slot}, 1
         FROM ${SPANS} v WHERE true ${ROLLUP_UPSERT}`,
    ],
    revocation: [
      ...hourly.revocation,
      `${into} SELECT coalesce(s.ra_id, ''), v.kind, v.span, substr(c.not_after, 1, v.len), ${slot}, -1
         FROM certificates c LEFT JOIN ra_subscribers s ON s.id = c.subscriber_id CROSS JOIN ${SPANS} v
         WHERE c.serial = NEW.serial AND v.kind = 'live-until' ${ROLLUP_UPSERT}`,
    ],
    subscriberMoved: [
      ...hourly.subscriberMoved,
      ...[
        ['OLD', '-'],
        ['NEW', ''],
      ].map(
        ([ra, sign]) => `${into} SELECT ${ra}.ra_id, v.kind, v.span, substr(f.bucket, 1, v.len), ${slot}, ${sign}count(*)
           FROM ra_inventory_facts f JOIN ${SPANS} v ON v.kind = f.kind WHERE f.subscriber_id = NEW.id
           GROUP BY v.kind, v.span, substr(f.bucket, 1, v.len) ${ROLLUP_UPSERT}`,
      ),
    ],
  };
}

function hourlyStatements(slot: string, raOf: (subscriber: string) => string) {
  return {
    certificate: [
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
         SELECT ${raOf('NEW.subscriber_id')}, 'issued', substr(NEW.not_before, 1, 13), ${slot}, 1 WHERE true ${UPSERT}`,
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
         SELECT ${raOf('NEW.subscriber_id')}, 'live-until', substr(NEW.not_after, 1, 13), ${slot}, 1 WHERE true ${UPSERT}`,
    ],
    // A revocation of a serial the CA never recorded (none in practice) counts nowhere, as the inventory lists certificates.
    revocation: [
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
         SELECT coalesce(s.ra_id, ''), 'revoked', CAST(NEW.reason_code AS TEXT), ${slot}, 1
         FROM certificates c LEFT JOIN ra_subscribers s ON s.id = c.subscriber_id WHERE c.serial = NEW.serial ${UPSERT}`,
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
         SELECT coalesce(s.ra_id, ''), 'live-until', substr(c.not_after, 1, 13), ${slot}, -1
         FROM certificates c LEFT JOIN ra_subscribers s ON s.id = c.subscriber_id WHERE c.serial = NEW.serial ${UPSERT}`,
    ],
    // R18 successions move subscribers between RAs: their certificates' counts move with them.
    subscriberMoved: [
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
         SELECT OLD.ra_id, f.kind, f.bucket, ${slot}, -count(*) FROM ra_inventory_facts f WHERE f.subscriber_id = NEW.id GROUP BY f.kind, f.bucket ${UPSERT}`,
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
         SELECT NEW.ra_id, f.kind, f.bucket, ${slot}, count(*) FROM ra_inventory_facts f WHERE f.subscriber_id = NEW.id GROUP BY f.kind, f.bucket ${UPSERT}`,
    ],
  };
}

export async function inventoryCountsUp(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable(COUNTS_TABLE)
    .addColumn('ra_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('issued', 'live-until', 'revoked')`))
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ra_inventory_counts_pk', ['ra_id', 'kind', 'bucket', 'slot'])
    .execute();
  await sql.raw(`CREATE VIEW ra_inventory_facts AS ${FACTS}`).execute(db);
  // What was there before the counters: counted once, here.
  await sql
    .raw(
      `INSERT INTO ${COUNTS_TABLE} (ra_id, kind, bucket, slot, n)
       SELECT coalesce(s.ra_id, ''), f.kind, f.bucket, 0, count(*) FROM ra_inventory_facts f LEFT JOIN ra_subscribers s ON s.id = f.subscriber_id
       GROUP BY coalesce(s.ra_id, ''), f.kind, f.bucket`,
    )
    .execute(db);

  // The inventory's pages walk (issued_at, serial) backwards; issue-day filters and "not yet valid" read not_before;
  // a subscriber's certificates are found by subscriber (succession, above).
  await db.schema.createIndex('certificates_issued_at').on('certificates').columns(['issued_at', 'serial']).execute();
  await db.schema.createIndex('certificates_not_before').on('certificates').column('not_before').execute();
  await db.schema.createIndex('certificates_subscriber').on('certificates').column('subscriber_id').execute();

  await createTriggers(db, dialect, false);
}

async function createTriggers(db: Kysely<unknown>, dialect: Dialect, rollups: boolean): Promise<void> {
  if (dialect === 'sqlite') {
    // SQLite has one writer at a time: one slot.
    const sqlite = statements('0', rollups);
    const trigger = async (name: string, event: string, body: string[]) => {
      await sql.raw(`DROP TRIGGER IF EXISTS ${name}`).execute(db);
      await sql.raw(`CREATE TRIGGER ${name} AFTER ${event} FOR EACH ROW ${event.startsWith('UPDATE') ? 'WHEN OLD.ra_id <> NEW.ra_id ' : ''}BEGIN ${body.join('; ')}; END`).execute(db);
    };
    await trigger('ra_inventory_on_certificate', 'INSERT ON certificates', sqlite.certificate);
    await trigger('ra_inventory_on_revocation', 'INSERT ON revocations', sqlite.revocation);
    await trigger('ra_inventory_on_subscriber_move', 'UPDATE OF ra_id ON ra_subscribers', sqlite.subscriberMoved);
    return;
  }
  // As first built (0720): a slot at random per row. A transaction writing several rows then locked counters in
  // random order, and two of them could deadlock (a revocation failed so with two nodes writing). Since 2610: one
  // slot per transaction, taken under an advisory lock first, so a transaction waits at most once, for the slot.
  const pg = statements(rollups ? 'slot_of_tx' : `floor(random() * ${SLOTS})::int`, rollups);
  const declare = rollups ? `DECLARE slot_of_tx int := (txid_current() % ${SLOTS})::int;` : '';
  const lock = rollups ? `PERFORM pg_advisory_xact_lock(${SLOT_LOCK}, slot_of_tx); ` : '';
  const trigger = async (name: string, event: string, table: string, body: string[], when = '') => {
    // Replacing the function body changes what the existing trigger runs, from the next row on.
    await sql.raw(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ ${declare} BEGIN ${lock}${body.join('; ')}; RETURN NULL; END $$`).execute(db);
    await sql.raw(`DROP TRIGGER IF EXISTS ${name} ON ${table}`).execute(db);
    await sql.raw(`CREATE TRIGGER ${name} AFTER ${event} ON ${table} FOR EACH ROW ${when} EXECUTE FUNCTION ${name}()`).execute(db);
  };
  await trigger('ra_inventory_on_certificate', 'INSERT', 'certificates', pg.certificate);
  await trigger('ra_inventory_on_revocation', 'INSERT', 'revocations', pg.revocation);
  await trigger('ra_inventory_on_subscriber_move', 'UPDATE OF ra_id', 'ra_subscribers', pg.subscriberMoved, 'WHEN (OLD.ra_id IS DISTINCT FROM NEW.ra_id)');
}

/**
 * Migration 2610: the roll-ups, counted once from the hourly counters (in the
 * migration's transaction, so no change falls between the two), then kept by
 * the triggers.
 */
export async function inventoryRollupsUp(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable(ROLLUPS_TABLE)
    .addColumn('ra_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('issued', 'live-until')`))
    .addColumn('span', 'text', (c) => c.notNull().check(sql`span in ('all', 'month', 'day')`))
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ra_inventory_rollups_pk', ['ra_id', 'kind', 'span', 'bucket', 'slot'])
    .execute();
  // CA-wide sums read one kind and span across RAs; the primary key (ra_id first) serves an RA's own.
  await db.schema.createIndex('ra_inventory_rollups_span').on(ROLLUPS_TABLE).columns(['kind', 'span', 'bucket', 'n']).execute();
  await sql
    .raw(
      `INSERT INTO ${ROLLUPS_TABLE} (ra_id, kind, span, bucket, slot, n)
       SELECT c.ra_id, v.kind, v.span, substr(c.bucket, 1, v.len), 0, sum(c.n) FROM ${COUNTS_TABLE} c JOIN ${SPANS} v ON v.kind = c.kind
       GROUP BY c.ra_id, v.kind, v.span, substr(c.bucket, 1, v.len)`,
    )
    .execute(db);
  await createTriggers(db, dialect, true);
}

/**
 * Folds the slots of hour buckets before `beforeHour` into slot 0 (PostgreSQL
 * only: SQLite has one slot). Slots spread concurrent writers of the current
 * hour; for past hours they only multiply the rows every dashboard sum reads
 * (eight per hour: 420,000 rows after three years). Each batch deletes the
 * extra slots with RETURNING and adds their sum to slot 0 in one transaction,
 * so the total never changes; writers wait for it at their slot's advisory
 * lock (held for a few milliseconds a batch). Returns the rows removed.
 */
export async function compactInventoryCounts(db: Kysely<unknown>, dialect: Dialect, beforeHour: string, batch = 2000): Promise<number> {
  if (dialect === 'sqlite') return 0;
  let removed = 0;
  let after = '';
  for (;;) {
    // Buckets, not rows, per batch: a batch is bounded by buckets x slots.
    const buckets = await sql<{ bucket: string }>`
      SELECT DISTINCT bucket FROM ${sql.table(COUNTS_TABLE)}
      WHERE kind IN ('issued', 'live-until') AND bucket > ${after} AND bucket < ${beforeHour} AND slot <> 0
      ORDER BY bucket LIMIT ${batch}`.execute(db);
    if (buckets.rows.length === 0) return removed;
    const names = buckets.rows.map((r) => r.bucket);
    await db.transaction().execute(async (trx) => {
      await lockAllSlots(trx);
      const gone = await sql<{ ra_id: string; kind: string; bucket: string; n: number | string }>`
        DELETE FROM ${sql.table(COUNTS_TABLE)} WHERE kind IN ('issued', 'live-until') AND bucket IN (${sql.join(names)}) AND slot <> 0
        RETURNING ra_id, kind, bucket, n`.execute(trx);
      const sums = new Map<string, { ra_id: string; kind: string; bucket: string; n: number }>();
      for (const row of gone.rows) {
        const key = `${row.ra_id}\u0000${row.kind}\u0000${row.bucket}`;
        const sum = sums.get(key) ?? { ra_id: row.ra_id, kind: row.kind, bucket: row.bucket, n: 0 };
        sum.n += Number(row.n);
        sums.set(key, sum);
      }
      for (let i = 0; i < sums.size; i += 1000) {
        const rows = [...sums.values()].slice(i, i + 1000);
        await sql`INSERT INTO ${sql.table(COUNTS_TABLE)} (ra_id, kind, bucket, slot, n)
          VALUES ${sql.join(rows.map((r) => sql`(${r.ra_id}, ${r.kind}, ${r.bucket}, 0, ${r.n})`))} ${sql.raw(UPSERT)}`.execute(trx);
      }
      removed += gone.rows.length;
    });
    after = names.at(-1)!;
  }
}

/**
 * Folds the roll-ups' slots into slot 0 (PostgreSQL only), the same way as the
 * hourly counters above: DELETE ... RETURNING and the sum added back in one
 * transaction. Every span is folded, the running total included: a writer
 * that takes a slot again meanwhile only adds a row for the next round.
 */
export async function compactInventoryRollups(db: Kysely<unknown>, dialect: Dialect, batch = 2000): Promise<number> {
  if (dialect === 'sqlite') return 0;
  let removed = 0;
  let after = '';
  for (;;) {
    const buckets = await sql<{ bucket: string }>`
      SELECT DISTINCT bucket FROM ${sql.table(ROLLUPS_TABLE)} WHERE slot <> 0 AND bucket > ${after} ORDER BY bucket LIMIT ${batch}`.execute(db);
    // '' (the running total's bucket) sorts first and is never "> after": taken with the first batch below.
    const names = buckets.rows.map((r) => r.bucket);
    if (after === '') names.push('');
    if (names.length === 0) return removed;
    const gone = await db.transaction().execute(async (trx) => {
      await lockAllSlots(trx);
      const rows = await sql<{ ra_id: string; kind: string; span: string; bucket: string; n: number | string }>`
        DELETE FROM ${sql.table(ROLLUPS_TABLE)} WHERE bucket IN (${sql.join(names)}) AND slot <> 0 RETURNING ra_id, kind, span, bucket, n`.execute(trx);
      const sums = new Map<string, { ra_id: string; kind: string; span: string; bucket: string; n: number }>();
      for (const row of rows.rows) {
        const key = `${row.ra_id}\u0000${row.kind}\u0000${row.span}\u0000${row.bucket}`;
        const sum = sums.get(key) ?? { ra_id: row.ra_id, kind: row.kind, span: row.span, bucket: row.bucket, n: 0 };
        sum.n += Number(row.n);
        sums.set(key, sum);
      }
      const all = [...sums.values()];
      for (let i = 0; i < all.length; i += 1000) {
        await sql`INSERT INTO ${sql.table(ROLLUPS_TABLE)} (ra_id, kind, span, bucket, slot, n)
          VALUES ${sql.join(all.slice(i, i + 1000).map((r) => sql`(${r.ra_id}, ${r.kind}, ${r.span}, ${r.bucket}, 0, ${r.n})`))} ${sql.raw(ROLLUP_UPSERT)}`.execute(trx);
      }
      return rows.rows.length;
    });
    removed += gone;
    if (buckets.rows.length === 0) return removed;
    after = buckets.rows.at(-1)!.bucket;
  }
}

/**
 * Migration 2630: subject text search by trigram index (issue 22). PostgreSQL: pg_trgm's GIN index on
 * lower(subject), which LIKE '%...%' uses (pg_trgm is a trusted extension: the database's owner may create it;
 * it ships in PostgreSQL's contrib). SQLite: an FTS5 table with the trigram tokenizer, kept by triggers; it
 * holds its own copy of the serial and subject rather than pointing at rowids, which VACUUM may renumber.
 * Either only proposes candidates: the inventory applies the same LIKE to them (src/ra/inventory.ts).
 */
export async function subjectSearchUp(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
    await sql`CREATE INDEX certificates_subject_trigrams ON certificates USING gin (lower(subject) gin_trgm_ops)`.execute(db);
    return;
  }
  await sql`CREATE VIRTUAL TABLE ra_inventory_subjects USING fts5(serial UNINDEXED, subject, tokenize = 'trigram')`.execute(db);
  await sql`INSERT INTO ra_inventory_subjects (serial, subject) SELECT serial, subject FROM certificates`.execute(db);
  await sql`CREATE TRIGGER ra_inventory_subject_on_insert AFTER INSERT ON certificates FOR EACH ROW BEGIN
    INSERT INTO ra_inventory_subjects (serial, subject) VALUES (NEW.serial, NEW.subject); END`.execute(db);
  // Certificates are never changed or deleted today; if they ever are, the index follows.
  await sql`CREATE TRIGGER ra_inventory_subject_on_update AFTER UPDATE OF subject ON certificates FOR EACH ROW BEGIN
    DELETE FROM ra_inventory_subjects WHERE serial = OLD.serial; INSERT INTO ra_inventory_subjects (serial, subject) VALUES (NEW.serial, NEW.subject); END`.execute(db);
  await sql`CREATE TRIGGER ra_inventory_subject_on_delete AFTER DELETE ON certificates FOR EACH ROW BEGIN
    DELETE FROM ra_inventory_subjects WHERE serial = OLD.serial; END`.execute(db);
}
