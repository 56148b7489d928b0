import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, READ_SNAPSHOT_MAX_MS } from './database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from './test-support/store-backends.js';

afterAll(dropFreshStores);

/**
 * Issue 22: pointRead, the one-row read the OCSP responder's cold questions go through outside Kysely (a read-only
 * connection on SQLite, a prepared statement with binary results on PostgreSQL). It must read what Kysely reads:
 * bytes as Buffer, text as text, nothing for no row, and only what is committed.
 */
describe.each(storeBackends)('pointRead on %s', (backend) => {
  it('reads one committed row by its key, bytes as a Buffer and text as strings, and nothing still inside a transaction', async () => {
    const store = await openDatabase(await freshStoreUrl(backend));
    try {
      const row = { key: 'k1', label: 'good — 好', body: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00, 0xff]) };
      const binary = backend === 'postgres' ? sql.raw('bytea') : sql.raw('blob');
      await sql`create table point_read_probe (key text primary key, label text not null, body ${binary} not null, note text)`.execute(store.db);
      await sql`insert into point_read_probe (key, label, body) values (${row.key}, ${row.label}, ${row.body})`.execute(store.db);
      const compiled = store.db
        .selectFrom('point_read_probe' as never)
        .select(['key', 'label', 'body', 'note'] as never[])
        .where('key' as never, '=', '' as never)
        .compile();
      const read = store.pointRead<{ key: string; label: string; body: Buffer; note: string | null }>('point_read_probe_by_key', compiled.sql);

      expect(await read(['k1'])).toEqual({ key: 'k1', label: row.label, body: row.body, note: null });
      expect(Buffer.isBuffer((await read(['k1']))!.body)).toBe(true);
      expect(await read(['absent'])).toBeUndefined();

      // A row written inside a transaction not yet committed is not there for pointRead; once committed it is.
      let seenInside: unknown = 'not asked';
      await store.db.transaction().execute(async (trx) => {
        await sql`insert into point_read_probe (key, label, body) values ('k2', 'later', ${Buffer.from([1])})`.execute(trx);
        seenInside = await read(['k2']);
      });
      expect(seenInside).toBeUndefined();
      expect((await read(['k2']))?.label).toBe('later');

      // pointReadAll: every row of one statement, e.g. a batch of keys (how the OCSP responder batches on PostgreSQL).
      const many = store.pointReadAll<{ key: string; body: Buffer }>(
        'point_read_probe_by_keys',
        backend === 'postgres' ? 'select key, body from point_read_probe where key = any($1::text[]) order by key' : 'select key, body from point_read_probe where key in (?, ?, ?) order by key',
      );
      const keys = ['k2', 'absent', 'k1'];
      const rows = await many(backend === 'postgres' ? [keys] : keys);
      expect(rows).toEqual([{ key: 'k1', body: row.body }, { key: 'k2', body: Buffer.from([1]) }]);
      expect(await many(backend === 'postgres' ? [['absent']] : ['absent', 'none', 'nil'])).toEqual([]);
    } finally {
      await store.close();
    }
  });

  /**
   * On SQLite the point reads of one event-loop turn share a read snapshot (database.ts, ReadSnapshot). What the
   * responder's R7 promise rests on must still hold: this process's own commits are seen by its very next read, and
   * another process's (another node, a CLI revocation) within one turn or READ_SNAPSHOT_MAX_MS at most. PostgreSQL
   * reads each statement afresh; the same expectations hold there.
   */
  it('sees this process\'s commits at its next read, and another process\'s once the turn ends or the snapshot is old', async () => {
    const url = await freshStoreUrl(backend);
    const store = await openDatabase(url);
    const other = await openDatabase(url);
    try {
      await sql`create table point_read_snapshot (key text primary key, label text not null)`.execute(store.db);
      await sql`insert into point_read_snapshot (key, label) values ('a', 'first')`.execute(store.db);
      const read = store.pointRead<{ label: string }>('point_read_snapshot_by_key', store.db.selectFrom('point_read_snapshot' as never).select('label' as never).where('key' as never, '=', '' as never).compile().sql);

      // Read, then this process writes and commits, then reads again: no turn of the event loop in between.
      let turns = 0;
      const counting = setImmediate(() => turns++);
      expect((await read(['a']))?.label).toBe('first');
      await sql`update point_read_snapshot set label = 'second' where key = 'a'`.execute(store.db);
      expect((await read(['a']))?.label).toBe('second');
      await store.db.transaction().execute(async (trx) => {
        await sql`insert into point_read_snapshot (key, label) values ('b', 'in a transaction')`.execute(trx);
      });
      expect((await read(['b']))?.label).toBe('in a transaction');
      await store.db.deleteFrom('point_read_snapshot' as never).where('key' as never, '=', 'b' as never).execute();
      expect(await read(['b'])).toBeUndefined();
      clearImmediate(counting);
      // SQLite: had a turn passed, the snapshot would have been let go anyway and this would prove nothing.
      if (backend === 'sqlite') expect(turns).toBe(0);

      // Another process's commit: seen after the turn ends…
      expect((await read(['a']))?.label).toBe('second');
      await sql`update point_read_snapshot set label = 'third' where key = 'a'`.execute(other.db);
      await new Promise((resolve) => setImmediate(resolve));
      expect((await read(['a']))?.label).toBe('third');

      // …and, within one long turn, once the snapshot is older than READ_SNAPSHOT_MAX_MS.
      expect((await read(['a']))?.label).toBe('third');
      await sql`update point_read_snapshot set label = 'fourth' where key = 'a'`.execute(other.db);
      const since = performance.now();
      while (performance.now() - since <= READ_SNAPSHOT_MAX_MS) {
        // busy: no turn of the event loop
      }
      expect((await read(['a']))?.label).toBe('fourth');
    } finally {
      await other.close();
      await store.close();
    }
  });
});
