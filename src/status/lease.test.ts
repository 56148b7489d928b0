import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../store/database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { tryTakeLease } from './lease.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);
afterEach(() => vi.useRealTimers());

/**
 * Issue 14: the leases of background work (CRL publication, OCSP pre-signing,
 * service jobs, identity rollover) are judged by the database's clock, so a
 * node's skewed clock can never make two holders at once.
 */
describe.each(storeBackends)('background-work leases on %s', (backend) => {
  it('are held by one node at a time, whatever the nodes\' clocks say, and pass on only once run out by the database\'s clock', async () => {
    const store = await openDatabase(await freshStoreUrl(backend));
    try {
      expect(await tryTakeLease(store, 'status-publisher', 'node-a', 60_000)).toBe(true);
      // Renewing one's own lease succeeds; another node finds it taken.
      expect(await tryTakeLease(store, 'status-publisher', 'node-a', 60_000)).toBe(true);
      expect(await tryTakeLease(store, 'status-publisher', 'node-b', 60_000)).toBe(false);

      // The expiry is the database's now + ttl, in the ISO shape older rows have.
      const row = await statusDb(store).selectFrom('status_leases').select('expires_at').where('name', '=', 'status-publisher').executeTakeFirstOrThrow();
      expect(row.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(row.expires_at) - (Date.now() + 60_000))).toBeLessThan(5_000);

      // A node whose clock runs a day ahead still sees node-a's lease as live (before issue 14 it took it over).
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 86_400_000);
      expect(await tryTakeLease(store, 'status-publisher', 'node-b', 60_000)).toBe(false);
      vi.useRealTimers();

      // Once the lease has run out by the database's clock, another node takes it and the old holder cannot renew.
      expect(await tryTakeLease(store, 'crl-short', 'node-a', 1_000)).toBe(true);
      // A node whose clock runs a day late does not keep node-b out of it for a day.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() - 86_400_000);
      expect(await tryTakeLease(store, 'crl-short', 'node-b', 60_000)).toBe(true);
      vi.useRealTimers();
      expect(await tryTakeLease(store, 'crl-short', 'node-a', 60_000)).toBe(false);

      // Many nodes racing for a free lease: exactly one wins.
      const racers = Array.from({ length: 12 }, (_, i) => `racer-${i}`);
      const won = await Promise.all(racers.map((holder) => tryTakeLease(store, 'race', holder, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
