import { afterAll, describe, expect, it } from 'vitest';
import { openTestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { AttemptCounter } from './attempts.js';
import { raDb } from './schema.js';

afterAll(dropFreshStores);

/** Issue 16: ra_secret_attempts keeps only rows that still mean something. */
describe.each(storeBackends)('pruning attempt counts on %s (issue 16)', (backend) => {
  it('forgets passed login windows and cleared counts, keeps the counts of live secrets, and changes no answer', async () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const t = await openTestSignet(backend, { clock: () => now });
    try {
      const counter = new AttemptCounter(raDb(t.signet.store), () => now);
      const login = { limit: 5, windowMs: 30 * 60_000 };
      for (let i = 0; i < 3; i++) await counter.take('login:alice@10.0.0.1', login);
      await counter.take('login:bob@10.0.0.2', login);
      for (let i = 0; i < 2; i++) await counter.take('credential:c1', { limit: 5 });
      await counter.take('portal:1234', { limit: 5 });
      await counter.clear('portal:1234');
      const keys = async () => (await raDb(t.signet.store).selectFrom('ra_secret_attempts').select('key').orderBy('key').execute()).map((r) => r.key);
      // Inside the window nothing goes.
      now = new Date(now.getTime() + 10 * 60_000);
      await counter.take('login:bob@10.0.0.2', login);
      expect(await counter.prune('login:', login.windowMs)).toBe(0);
      // Two days on: the login windows have passed and the cleared count is idle; the credential's count stays.
      now = new Date(now.getTime() + 2 * 86_400_000);
      const before = [await counter.count('login:alice@10.0.0.1', login), await counter.count('credential:c1', { limit: 5 }), await counter.count('portal:1234', { limit: 5 })];
      expect(await counter.prune('login:', login.windowMs)).toBe(3);
      expect(await keys()).toEqual(['credential:c1']);
      expect([await counter.count('login:alice@10.0.0.1', login), await counter.count('credential:c1', { limit: 5 }), await counter.count('portal:1234', { limit: 5 })]).toEqual(before);
      expect(before).toEqual([0, 2, 0]);
      expect((await counter.take('login:alice@10.0.0.1', login))?.attempt).toBe(1);
    } finally {
      await t.signet.close();
    }
  });
});
