import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { isUniqueViolation } from './driver-errors.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from './test-support/store-backends.js';

afterAll(dropFreshStores);

/** Issue 14: unique violations are known by the driver's code (SQLITE_CONSTRAINT_*, SQLSTATE 23505), not by its wording. */
describe.each(storeBackends)('driver error codes on %s', (backend) => {
  it('knows a duplicate primary key and a duplicate unique value, and nothing else, by code', async () => {
    const store = await openDatabase(await freshStoreUrl(backend));
    try {
      const setting = { key: 'k', value: 'v' };
      await store.db.insertInto('settings').values(setting).execute();
      const duplicateKey = await store.db.insertInto('settings').values(setting).execute().catch((e: unknown) => e);
      expect(isUniqueViolation(duplicateKey)).toBe(true);

      const intent = {
        id: 'a',
        serial: '01',
        issuer_ca_id: 'ca',
        profile_id: 'p',
        tbs_sha256: '00',
        tbs_der: Buffer.from([0x30, 0x00]),
        requested_by: 't',
        reason: 'r',
        state: 'pending' as const,
        created_at: '2026-01-01T00:00:00.000Z',
        resolved_at: null,
        owner_instance: null,
      };
      await store.db.insertInto('issuance_intents').values(intent).execute();
      const duplicateSerial = await store.db.insertInto('issuance_intents').values({ ...intent, id: 'b' }).execute().catch((e: unknown) => e);
      expect(isUniqueViolation(duplicateSerial)).toBe(true);

      // A CHECK violation mentions neither word's code; nor does an Error whose text merely says "duplicate".
      const badState = await store.db.insertInto('issuance_intents').values({ ...intent, id: 'c', serial: '02', state: 'nonsense' as 'pending' }).execute().catch((e: unknown) => e);
      expect(badState).toBeInstanceOf(Error);
      expect(isUniqueViolation(badState)).toBe(false);
      expect(isUniqueViolation(new Error('duplicate key value violates unique constraint'))).toBe(false);
    } finally {
      await store.close();
    }
  });
});
