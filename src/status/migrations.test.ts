import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase, type SignetDatabase } from '../store/database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { ocspAnswerKeyOf } from './ocsp-answer-key.js';

afterAll(dropFreshStores);

/** A CertID's hex as the responder stores it (SHA-1 hashes of issuer name and key, then the serial). */
const certIdHex = (serial: string) =>
  `3049300906052b0e03021a0500${'0414' + 'aa'.repeat(20)}${'0414' + 'bb'.repeat(20)}0210${serial}`;

/**
 * The answers table as it was before migration 2700 (keyed by cert_id), holding `rows`; and the migration marked
 * as not run, so the next open runs it. `withoutKey`: cert_id not unique, so that two rows can share a key.
 */
async function storeBefore2700(url: string, rows: Array<{ certId: string; der: Buffer }>, withoutKey = false, also?: (store: SignetDatabase) => Promise<void>): Promise<void> {
  const store = await openDatabase(url);
  try {
    const binary = store.dialect === 'postgres' ? 'bytea' : 'blob';
    await sql`DROP TABLE ocsp_responses`.execute(store.db);
    await sql
      .raw(
        `CREATE TABLE ocsp_responses (cert_id text ${withoutKey ? 'NOT NULL' : 'PRIMARY KEY'}, serial text NOT NULL, issuer_ca_id text NOT NULL,
           status text NOT NULL CHECK (status IN ('good', 'revoked', 'unknown')), this_update text NOT NULL, next_update text NOT NULL, der ${binary} NOT NULL)`,
      )
      .execute(store.db);
    await sql`CREATE INDEX ocsp_responses_serial ON ocsp_responses (serial)`.execute(store.db);
    await sql`CREATE INDEX ocsp_responses_next_update ON ocsp_responses (next_update)`.execute(store.db);
    for (const row of rows) {
      await sql`INSERT INTO ocsp_responses VALUES (${row.certId}, ${row.certId.slice(-32)}, 'ca-1', 'good', '2026-12-06T00:00:00.000Z', '2026-12-13T00:00:00.000Z', ${row.der})`.execute(store.db);
    }
    await sql`DELETE FROM kysely_migration WHERE name = '2700_status_ocsp_answer_key'`.execute(store.db);
    await also?.(store);
  } finally {
    await store.close();
  }
}

async function answers(store: SignetDatabase) {
  // The key read as text: SQLite's driver gives a 63-bit integer as a rounded number.
  const rows = await sql<{ id: string; cert_id: string; etag: string | null; der: Buffer }>`SELECT cast(id as text) AS id, cert_id, etag, der FROM ocsp_responses ORDER BY cert_id`.execute(store.db);
  return rows.rows.map((r) => ({ id: r.id, certId: r.cert_id, etag: r.etag, der: Buffer.from(r.der).toString('hex') }));
}

async function indexesOf(store: SignetDatabase): Promise<string[]> {
  const rows =
    store.dialect === 'postgres'
      ? await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'ocsp_responses'`.execute(store.db)
      : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ocsp_responses' AND sql IS NOT NULL`.execute(store.db);
  return rows.rows.map((r) => r.name).sort();
}

describe.each(storeBackends)('migration 2700 on %s: stored OCSP answers rekeyed by their CertID hash (issue 22)', (backend) => {
  it('upgrades a populated store: every answer under its key, the same bytes, the same indexes as a fresh store', async () => {
    const url = await freshStoreUrl(backend);
    const rows = Array.from({ length: 50 }, (_, i) => ({ certId: certIdHex(`5${i.toString(16).padStart(31, '0')}`), der: randomBytes(40 + i) }));
    await storeBefore2700(url, rows);
    const fresh = await openDatabase(await freshStoreUrl(backend));
    const store = await openDatabase(url);
    try {
      expect(await answers(store)).toEqual(
        rows.map((r) => ({ id: ocspAnswerKeyOf(r.certId), certId: r.certId, etag: null, der: r.der.toString('hex') })).sort((a, b) => a.certId.localeCompare(b.certId)),
      );
      expect(await indexesOf(store)).toEqual(await indexesOf(fresh));
    } finally {
      await store.close();
      await fresh.close();
    }
  });

  it('keeps one answer of two that share a key, and finishes', async () => {
    const url = await freshStoreUrl(backend);
    const certId = certIdHex(`7${'0'.repeat(31)}`);
    const other = certIdHex(`7${'1'.repeat(31)}`);
    // Two rows of one CertID: what two CertIDs of one 63-bit hash would give the new key.
    const rows = [
      { certId, der: randomBytes(30) },
      { certId, der: randomBytes(31) },
      { certId: other, der: randomBytes(32) },
    ];
    await storeBefore2700(url, rows, true);
    const store = await openDatabase(url);
    try {
      const after = await answers(store);
      expect(after.map((r) => [r.id, r.certId])).toEqual([
        [ocspAnswerKeyOf(certId), certId],
        [ocspAnswerKeyOf(other), other],
      ]);
      expect(rows.slice(0, 2).map((r) => r.der.toString('hex'))).toContain(after[0]!.der);
      expect(after[1]!.der).toBe(rows[2]!.der.toString('hex'));
    } finally {
      await store.close();
    }
  });
});

/**
 * PostgreSQL runs the migrations in one transaction; a node of the previous version goes on serving from the old
 * table meanwhile. Once the old table is dropped, everyone reading answers waits for that transaction to end, so
 * the new table must be whole by then: its key and indexes built before the drop, the drop and renames last
 * (docs/operations.md, "Upgrading"). The order of the migration's DDL is recorded by event triggers, no timing.
 */
describe('migration 2700 on postgres: the old table is swapped out last', () => {
  it('builds every index of the new table before it drops the old one', async () => {
    const url = await freshStoreUrl('postgres');
    // Recorded from the next open on: the migration's own DDL, in the order it ran.
    const recordDdl = (store: SignetDatabase) => sql
      .raw(
        `CREATE TABLE ddl_order (n serial PRIMARY KEY, tag text NOT NULL, object text NOT NULL);
         CREATE FUNCTION record_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
         DECLARE c record;
         BEGIN
           FOR c IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
             INSERT INTO ddl_order (tag, object) VALUES (c.command_tag, c.object_identity);
           END LOOP;
         END $$;
         CREATE FUNCTION record_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
         DECLARE c record;
         BEGIN
           FOR c IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table' LOOP
             INSERT INTO ddl_order (tag, object) VALUES ('DROP TABLE', c.object_identity);
           END LOOP;
         END $$;
         CREATE EVENT TRIGGER record_ddl ON ddl_command_end EXECUTE FUNCTION record_ddl();
         CREATE EVENT TRIGGER record_drop ON sql_drop EXECUTE FUNCTION record_drop();`,
      )
      .execute(store.db)
      .then(() => undefined);
    await storeBefore2700(url, [{ certId: certIdHex(`6${'0'.repeat(31)}`), der: randomBytes(40) }], false, recordDdl);
    const upgraded = await openDatabase(url);
    try {
      await sql`DROP EVENT TRIGGER record_ddl`.execute(upgraded.db);
      await sql`DROP EVENT TRIGGER record_drop`.execute(upgraded.db);
      const order = (await sql<{ tag: string; object: string }>`SELECT tag, object FROM ddl_order ORDER BY n`.execute(upgraded.db)).rows;
      const dropped = order.findIndex((r) => r.tag === 'DROP TABLE' && r.object === 'public.ocsp_responses');
      expect(dropped, JSON.stringify(order)).toBeGreaterThan(0);
      const indexes = order.filter((r) => r.tag === 'CREATE INDEX' || (r.tag === 'ALTER TABLE' && r.object.startsWith('public.ocsp_responses_keyed')));
      expect(indexes.length, JSON.stringify(order)).toBeGreaterThanOrEqual(3);
      // Nothing after the drop but renames: no index built, no row copied while the old table is locked.
      expect(order.slice(dropped + 1).map((r) => r.tag), JSON.stringify(order)).toEqual(order.slice(dropped + 1).map(() => expect.stringMatching(/^ALTER (TABLE|INDEX)$/)));
      expect(order.slice(0, dropped).filter((r) => r.tag === 'CREATE INDEX').length, JSON.stringify(order)).toBe(2);
      expect(await indexesOf(upgraded)).toEqual(['ocsp_responses_keyed_pkey', 'ocsp_responses_next_update', 'ocsp_responses_serial']);
    } finally {
      await upgraded.close();
    }
  });
});
