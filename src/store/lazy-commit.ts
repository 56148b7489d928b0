import { sql, type InsertQueryBuilder, type InsertResult, type Kysely } from 'kysely';
import type { SignetDatabase } from './database.js';

/**
 * An insert whose loss in a crash costs work, never a promise: a copy of what can be made again from rows that
 * were committed durably (a signed OCSP answer, made from the certificates and revocations tables). It commits
 * like any other statement (atomic, and visible to every connection and node at once) but does not wait for the
 * disk: after a power cut (SQLite) or a database server crash (PostgreSQL) the last such rows may be missing, and
 * the next reader makes them again. Never for a row whose loss would change what anyone was told (a certificate,
 * a revocation, an audit entry): those keep the store's durable commit.
 *
 * SQLite: the one connection is held, so no other statement of this process runs in between, while its
 * synchronous setting is NORMAL for this one commit and then put back: in WAL mode a NORMAL commit is not synced,
 * and the next FULL commit syncs the WAL up to itself, this row included. PostgreSQL: the statement sets
 * synchronous_commit off for its own transaction (set_config(…, true) is SET LOCAL), which the documentation gives
 * as the way to let one transaction commit without waiting for the WAL flush ("the behavior for any one
 * transaction is determined by the setting in effect when it commits"); in RETURNING, so it costs no round trip.
 */
export async function lazyInsert<DB, Table extends keyof DB & string>(
  store: SignetDatabase,
  insert: (db: Kysely<DB>) => InsertQueryBuilder<DB, Table, InsertResult>,
): Promise<void> {
  const typed = (db: unknown) => insert(db as Kysely<DB>);
  if (store.dialect === 'postgres') {
    await typed(store.db).returning(sql<string>`set_config('synchronous_commit', 'off', true)`.as('lazy_commit')).execute();
    return;
  }
  await store.db.connection().execute(async (db) => {
    const setting = Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous);
    // 0 OFF and 1 NORMAL already do not wait for the disk; 2 FULL and 3 EXTRA are lowered for this commit only.
    if (!(setting >= 2)) {
      await typed(db).execute();
      return;
    }
    await sql`pragma synchronous = normal`.execute(db);
    try {
      await typed(db).execute();
    } finally {
      await sql`pragma synchronous = ${sql.raw(String(setting))}`.execute(db);
    }
  });
}
