import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from './database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from './test-support/store-backends.js';

afterAll(dropFreshStores);

/**
 * Domains number their migrations on their own and branches land in any order: on 2026-12-06 the CA's
 * 2610_ca_certificates_names_ocsp reached main before the RA's 2610_ra_inventory_rollups, so a store migrated on
 * the RA's branch had run a later-named migration without the earlier-named one. Such a store must still open,
 * running what it lacks, rather than be refused as "corrupted migrations".
 */
describe.each(storeBackends)('a store that ran a later-named migration but not an earlier-named one on %s', (backend) => {
  it('opens and runs the one it lacks', async () => {
    const url = await freshStoreUrl(backend);
    const first = await openDatabase(url);
    // As the RA's branch left it: 2610_ra… ran, 2610_ca… never did.
    await sql`DELETE FROM kysely_migration WHERE name = '2610_ca_certificates_names_ocsp'`.execute(first.db);
    await sql`ALTER TABLE certificates DROP COLUMN names_ocsp`.execute(first.db);
    await first.close();
    const again = await openDatabase(url);
    try {
      const ran = await sql<{ name: string }>`SELECT name FROM kysely_migration WHERE name = '2610_ca_certificates_names_ocsp'`.execute(again.db);
      expect(ran.rows).toHaveLength(1);
      await sql`SELECT names_ocsp FROM certificates`.execute(again.db);
    } finally {
      await again.close();
    }
  });
});
