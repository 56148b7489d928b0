import { afterAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from './database.js';
import { lazyInsert } from './lazy-commit.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from './test-support/store-backends.js';

afterAll(dropFreshStores);

interface Probe {
  lazy_probe: { key: string; body: Buffer };
}

/**
 * Issue 22: the OCSP responder stores the answers it signs on demand without waiting for the disk (lazyInsert),
 * since every one of them can be signed again from rows committed durably. What must hold: the row is committed
 * at once (another connection, another node reads it), and nothing else this process commits loses its
 * durability — on SQLite no other statement runs while the connection's synchronous setting is lowered, and the
 * setting is put back even when the insert fails; on PostgreSQL the setting lasts for that statement's own
 * transaction only. (That PostgreSQL then skips the WAL flush was measured on a cluster with fsync on, not here:
 * the test cluster runs with fsync off; see docs/performance.md.)
 */
describe.each(storeBackends)('lazyInsert on %s', (backend) => {
  it('commits the row at once for every connection and leaves every other commit as durable as before', async () => {
    const store = await openDatabase(await freshStoreUrl(backend), { synchronous: 'full' });
    try {
      const binary = backend === 'postgres' ? sql.raw('bytea') : sql.raw('blob');
      await sql`create table lazy_probe (key text primary key, body ${binary} not null)`.execute(store.db);
      const durability = async () =>
        backend === 'postgres'
          ? (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(store.db)).rows[0]!.synchronous_commit
          : String((await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows[0]!.synchronous);
      const before = await durability();
      if (backend === 'sqlite') expect(before).toBe('2');

      // A statement this process issues while the lazy insert is under way (here: as it is being built): on SQLite it
      // must not run in between (it would commit without syncing too), so it waits and then sees the setting put back.
      let meanwhile: Promise<string> | undefined;
      await lazyInsert(store, (db: Kysely<Probe>) => {
        meanwhile = durability();
        return db.insertInto('lazy_probe').values({ key: 'a', body: Buffer.from([1, 2, 3]) });
      });
      expect(await meanwhile).toBe(before);
      expect(await durability()).toBe(before);

      // Committed: a read through the other connection (SQLite's reader, a pooled PostgreSQL one) sees it.
      const read = store.pointRead<{ key: string; body: Buffer }>('lazy_probe_by_key', backend === 'postgres' ? 'select key, body from lazy_probe where key = $1' : 'select key, body from lazy_probe where key = ?');
      expect(await read(['a'])).toEqual({ key: 'a', body: Buffer.from([1, 2, 3]) });

      // A failing insert (the key taken, no ON CONFLICT) fails, writes nothing and still puts the setting back.
      await expect(lazyInsert(store, (db: Kysely<Probe>) => db.insertInto('lazy_probe').values({ key: 'a', body: Buffer.from([9]) }))).rejects.toThrow();
      expect(await durability()).toBe(before);
      expect(await read(['a'])).toEqual({ key: 'a', body: Buffer.from([1, 2, 3]) });

      // An upsert, as the responder writes its answers.
      await lazyInsert(store, (db: Kysely<Probe>) =>
        db
          .insertInto('lazy_probe')
          .values({ key: 'a', body: Buffer.from([4]) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ body: Buffer.from([4]) })),
      );
      expect(await read(['a'])).toEqual({ key: 'a', body: Buffer.from([4]) });
      expect(await durability()).toBe(before);
    } finally {
      await store.close();
    }
  });

  it.runIf(backend === 'sqlite')('on a store already set to synchronous NORMAL, changes nothing', async () => {
    const store = await openDatabase(await freshStoreUrl(backend), { synchronous: 'normal' });
    try {
      await sql`create table lazy_probe (key text primary key, body blob not null)`.execute(store.db);
      await lazyInsert(store, (db: Kysely<Probe>) => db.insertInto('lazy_probe').values({ key: 'b', body: Buffer.from([5]) }));
      expect((await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows[0]!.synchronous).toBe(1);
    } finally {
      await store.close();
    }
  });
});
