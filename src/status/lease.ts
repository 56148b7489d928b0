import type { SignetDatabase } from '../store/database.js';
import { statusDb } from './schema.js';

/**
 * A lease in the database: background work (CRL publication, OCSP
 * pre-signing) runs on whichever node holds it, so that nodes behind a load
 * balancer never do it twice at the same moment (docs/architecture.md, scale-out).
 * Taking it is one atomic upsert that only succeeds when the lease is free,
 * expired, or already ours.
 */
export async function tryTakeLease(store: SignetDatabase, name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const db = statusDb(store);
  const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
  await db
    .insertInto('status_leases')
    .values({ name, holder, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: expiresAt })
        .where((eb) => eb.or([eb('status_leases.expires_at', '<', now.toISOString()), eb('status_leases.holder', '=', holder)])),
    )
    .execute();
  const row = await db.selectFrom('status_leases').select('holder').where('name', '=', name).executeTakeFirst();
  return row?.holder === holder;
}
