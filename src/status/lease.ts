import { sql, type RawBuilder } from 'kysely';
import type { Dialect, SignetDatabase } from '../store/database.js';
import { databaseNowMs } from '../store/process-instances.js';
import { statusDb } from './schema.js';

/**
 * The database's clock plus `ms`, as the ISO text `status_leases.expires_at`
 * holds (`2026-12-05T17:21:54.123Z`, the same shape `toISOString` writes, so
 * rows written before this change compare correctly as text).
 */
function databaseIsoAfter(dialect: Dialect, ms: number): RawBuilder<string> {
  const at = sql`${databaseNowMs(dialect)} + ${ms}`;
  return dialect === 'postgres'
    ? sql<string>`to_char(to_timestamp((${at}) / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', (${at}) / 1000.0, 'unixepoch')`;
}

/**
 * A lease in the database: background work (CRL publication, OCSP
 * pre-signing, service jobs, identity rollover) runs on whichever node holds
 * it, so that nodes behind a load balancer never do it twice at the same
 * moment (docs/architecture.md, scale-out).
 *
 * Taking it is one atomic upsert that only succeeds when the lease is free,
 * expired, or already ours; its RETURNING row says whether it did, so no
 * second read can see another node's later take. Expiry is written and judged
 * by the database's clock alone (issue 14): a node whose clock runs a day
 * ahead cannot see a live holder's lease as run out, and one whose clock runs
 * late cannot keep it longer, so clock skew never makes two holders.
 */
export async function tryTakeLease(store: SignetDatabase, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const db = statusDb(store);
  const expiresAt = databaseIsoAfter(store.dialect, ttlMs);
  const taken = await db
    .insertInto('status_leases')
    .values({ name, holder, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: expiresAt })
        .where((eb) => eb.or([eb('status_leases.expires_at', '<', databaseIsoAfter(store.dialect, 0)), eb('status_leases.holder', '=', holder)])),
    )
    .returning('holder')
    .executeTakeFirst();
  return taken?.holder === holder;
}

