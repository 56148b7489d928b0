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
 */

export const COUNTS_TABLE = 'ra_inventory_counts';
const SLOTS = 8;

const FACTS = `
  SELECT c.serial, c.subscriber_id, 'issued' AS kind, substr(c.not_before, 1, 13) AS bucket FROM certificates c
  UNION ALL
  SELECT c.serial, c.subscriber_id, 'live-until' AS kind, substr(c.not_after, 1, 13) AS bucket FROM certificates c
    WHERE NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = c.serial)
  UNION ALL
  SELECT c.serial, c.subscriber_id, 'revoked' AS kind, CAST(r.reason_code AS TEXT) AS bucket FROM certificates c JOIN revocations r ON r.serial = c.serial`;

const UPSERT = `ON CONFLICT (ra_id, kind, bucket, slot) DO UPDATE SET n = ${COUNTS_TABLE}.n + excluded.n`;

/** The statements of each trigger, `slot` being the slot expression. */
function statements(slot: string) {
  const raOf = (subscriber: string) => `coalesce((SELECT s.ra_id FROM ra_subscribers s WHERE s.id = ${subscriber}), '')`;
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

  if (dialect === 'sqlite') {
    // SQLite has one writer at a time: one slot.
    const sqlite = statements('0');
    const trigger = async (name: string, event: string, body: string[]) =>
      sql.raw(`CREATE TRIGGER ${name} AFTER ${event} FOR EACH ROW ${event.startsWith('UPDATE') ? 'WHEN OLD.ra_id <> NEW.ra_id ' : ''}BEGIN ${body.join('; ')}; END`).execute(db);
    await trigger('ra_inventory_on_certificate', 'INSERT ON certificates', sqlite.certificate);
    await trigger('ra_inventory_on_revocation', 'INSERT ON revocations', sqlite.revocation);
    await trigger('ra_inventory_on_subscriber_move', 'UPDATE OF ra_id ON ra_subscribers', sqlite.subscriberMoved);
    return;
  }
  const pg = statements(`floor(random() * ${SLOTS})::int`);
  const trigger = async (name: string, event: string, table: string, body: string[], when = '') => {
    await sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body.join('; ')}; RETURN NULL; END $$`).execute(db);
    await sql.raw(`CREATE TRIGGER ${name} AFTER ${event} ON ${table} FOR EACH ROW ${when} EXECUTE FUNCTION ${name}()`).execute(db);
  };
  await trigger('ra_inventory_on_certificate', 'INSERT', 'certificates', pg.certificate);
  await trigger('ra_inventory_on_revocation', 'INSERT', 'revocations', pg.revocation);
  await trigger('ra_inventory_on_subscriber_move', 'UPDATE OF ra_id', 'ra_subscribers', pg.subscriberMoved, 'WHEN (OLD.ra_id IS DISTINCT FROM NEW.ra_id)');
}

/**
 * Folds the slots of hour buckets before `beforeHour` into slot 0 (PostgreSQL
 * only: SQLite has one slot). Slots spread concurrent writers of the current
 * hour; for past hours they only multiply the rows every dashboard sum reads
 * (eight per hour: 420,000 rows after three years). Each batch deletes the
 * extra slots with RETURNING and adds their sum to slot 0 in one transaction,
 * so the total never changes; a writer that lands on a deleted slot meanwhile
 * waits for the commit and inserts it again, for the next round to fold.
 * Returns the rows removed.
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
