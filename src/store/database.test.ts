import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, sqliteSynchronousFrom, type SignetDatabase } from './database.js';
import type { AuditEntryTable, IssuanceIntentTable } from './schema.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from './test-support/store-backends.js';

const TABLES = [
  'audit_entries',
  'blocked_keys',
  'certificate_authorities',
  'certificates',
  'delegated_signers',
  'issuance_intents',
  'settings',
];

async function withStore<T>(url: string, work: (store: SignetDatabase) => Promise<T>): Promise<T> {
  const store = await openDatabase(url);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function auditEntry(seq: number): AuditEntryTable {
  return {
    seq,
    at: '2026-01-01T00:00:00.000Z',
    actor: 'system',
    action: 'test.append',
    target: `entry-${seq}`,
    details: '{}',
    prev_hash: '0'.repeat(64),
    hash: `${seq}`.padStart(64, 'a'),
  };
}

function issuanceIntent(id: string, serial: string): IssuanceIntentTable {
  return {
    id,
    serial,
    issuer_ca_id: 'ca-1',
    profile_id: 'tls-server',
    tbs_sha256: 'ab'.repeat(32),
    tbs_der: Buffer.from([0x30, 0x00]),
    requested_by: 'operator',
    reason: 'test',
    state: 'pending',
    created_at: '2026-01-01T00:00:00.000Z',
    resolved_at: null,
    owner_instance: null,
  };
}

describe.each(storeBackends)('the store on %s', (backend) => {
  afterAll(dropFreshStores);

  it('creates every table on first open, and opening it again migrates nothing twice and keeps the data', async () => {
    const url = await freshStoreUrl(backend);

    const appliedNames = async (store: SignetDatabase) =>
      (await store.db
        // Kysely's own bookkeeping table, outside our schema type.
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute()).map((row) => (row as { name: string }).name).sort();
    let firstOpen: string[] = [];
    await withStore(url, async (store) => {
      expect(store.dialect).toBe(backend);
      const tables = (await store.db.introspection.getTables()).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(TABLES));
      await store.db.insertInto('settings').values({ key: 'probe', value: 'kept' }).execute();
      firstOpen = await appliedNames(store);
      expect(firstOpen[0]).toBe('0001_ca_core');
      expect(new Set(firstOpen).size).toBe(firstOpen.length);
    });

    await withStore(url, async (store) => {
      const setting = await store.db.selectFrom('settings').select('value').where('key', '=', 'probe').executeTakeFirst();
      expect(setting?.value).toBe('kept');
      expect(await appliedNames(store)).toEqual(firstOpen);
    });
  });

  it('R20: the database itself refuses to UPDATE an audit entry (append-only trigger)', async () => {
    await withStore(await freshStoreUrl(backend), async (store) => {
      await store.db.insertInto('audit_entries').values(auditEntry(1)).execute();

      await expect(
        store.db.updateTable('audit_entries').set({ action: 'rewritten' }).where('seq', '=', 1).execute(),
      ).rejects.toThrow(/append-only/);

      const row = await store.db.selectFrom('audit_entries').select(['action', 'hash']).executeTakeFirstOrThrow();
      expect(row).toEqual({ action: 'test.append', hash: auditEntry(1).hash });
    });
  });

  it('R20: the database itself refuses to DELETE an audit entry, one or all (append-only trigger)', async () => {
    await withStore(await freshStoreUrl(backend), async (store) => {
      await store.db.insertInto('audit_entries').values([auditEntry(1), auditEntry(2)]).execute();

      await expect(store.db.deleteFrom('audit_entries').where('seq', '=', 2).execute()).rejects.toThrow(/append-only/);
      await expect(store.db.deleteFrom('audit_entries').execute()).rejects.toThrow(/append-only/);

      const rows = await store.db.selectFrom('audit_entries').select('target').orderBy('seq').execute();
      expect(rows.map((r) => r.target)).toEqual(['entry-1', 'entry-2']);
    });
  });

  it('appending to the audit log still works: the triggers refuse rewrites, not inserts', async () => {
    await withStore(await freshStoreUrl(backend), async (store) => {
      await store.db.insertInto('audit_entries').values(auditEntry(1)).execute();
      await store.db.insertInto('audit_entries').values(auditEntry(2)).execute();
      const count = await store.db
        .selectFrom('audit_entries')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(2);
    });
  });

  it('a serial reserved by one issuance intent can never be reserved by another', async () => {
    await withStore(await freshStoreUrl(backend), async (store) => {
      const serial = '7f3a9c0e5b2d4f6183a7c9e1b5d3f702';
      await store.db.insertInto('issuance_intents').values(issuanceIntent('intent-1', serial)).execute();

      await expect(
        store.db.insertInto('issuance_intents').values(issuanceIntent('intent-2', serial)).execute(),
      ).rejects.toThrow(/unique/i);

      const rows = await store.db.selectFrom('issuance_intents').select(['id', 'serial']).execute();
      expect(rows).toEqual([{ id: 'intent-1', serial }]);
    });
  });
});

describe('SQLite durability', () => {
  it('syncs every commit (FULL) unless told otherwise, so an issued certificate survives a power cut', async () => {
    expect(sqliteSynchronousFrom({})).toBe('full');
    expect(sqliteSynchronousFrom({ SIGNET_SQLITE_SYNCHRONOUS: 'NORMAL' })).toBe('normal');
    expect(() => sqliteSynchronousFrom({ SIGNET_SQLITE_SYNCHRONOUS: 'off' })).toThrow(/full or normal/);
    const store = await openDatabase(await freshStoreUrl('sqlite'), { synchronous: 'full' });
    try {
      const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(store.db);
      expect(rows[0]?.synchronous).toBe(2);
    } finally {
      await store.close();
    }
  });
});
