import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from './database.js';
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
});
