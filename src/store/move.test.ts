import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../audit/audit-log.js';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, TEST_PASSPHRASE, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { openSignet } from '../signet.js';
import { openDatabase, type SignetDatabase } from './database.js';
import { moveStore, SEEDED_TABLES, tableDigest } from './move.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from './test-support/store-backends.js';

afterAll(dropFreshStores);

const PG_BIN = '/usr/lib/postgresql/15/bin';
const cliEntry = join(import.meta.dirname, '..', 'cli', 'entry.ts');

/** Every table's row count and content hash, as `signet store move` compares them. */
async function digests(store: SignetDatabase): Promise<Record<string, { rows: number; sha256: string }>> {
  const names = store.dialect === 'sqlite'
    ? // Ordinary tables: not the inventory's FTS5 search table and its shadows (SQLite's own index, a GIN index on PostgreSQL).
      (await store.db.selectFrom(sql`pragma_table_list`.as('t') as never).select('name' as never).where('schema' as never, '=', 'main' as never).where('type' as never, '=', 'table' as never).execute()).map((r) => (r as { name: string }).name)
    : (await store.db.selectFrom('information_schema.tables' as never).select('table_name as name' as never).where('table_schema' as never, '=', 'public' as never).execute()).map((r) => (r as { name: string }).name);
  const result: Record<string, { rows: number; sha256: string }> = {};
  for (const name of names.filter((n) => !n.startsWith('sqlite_') && !n.startsWith('kysely_') && n !== 'process_instances').sort()) result[name] = await tableDigest(store, name);
  return result;
}

describe.each(storeBackends)('a fresh store on %s', (backend) => {
  it('holds rows only in the tables the move treats as seeded', async () => {
    const store = await openDatabase(await freshStoreUrl(backend));
    try {
      const filled = Object.entries(await digests(store)).filter(([, d]) => d.rows > 0).map(([name]) => name);
      expect(filled.sort()).toEqual([...SEEDED_TABLES].sort());
    } finally {
      await store.close();
    }
  });
});

/**
 * Issue 14, item 4: `signet store move` takes a deployment from SQLite to an
 * empty PostgreSQL database: schema, every row, the audit chain, the CRL
 * archive and the sealed keys, verified by row counts, content hashes and the
 * audit chain on the target; and the backups docs/operations.md gives for
 * both engines restore to the same deployment.
 */
describe('moving a deployment from SQLite to PostgreSQL, backup and restore (docs/operations.md)', () => {
  let t: TestSignet;
  let h: Hierarchy;
  let issued: string[];
  const env = () => ({ ...process.env, SIGNET_DATA: t.dir, SIGNET_DATABASE_URL: t.config.databaseUrl, SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE, SIGNET_LANG: 'en' });

  beforeAll(async () => {
    t = await openTestSignet('sqlite');
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    issued = [];
    for (let i = 0; i < 3; i++) {
      const { csrPem } = opensslRequest(t.dir, 'ecdsa-p256', `move-${i}`);
      issued.push((await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=move ${i}`, subscriberId: `move-${i}`, requestedBy: 'test', reason: 'move' })).serial);
    }
    await t.signet.status.revokeCertificate({ serial: issued[0]!, reason: 'keyCompromise', channel: 'ra', requestedBy: 'ra:test' });
    await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    await t.signet.status.ocsp.refreshStale();
    await t.signet.close();
  });

  it('moves every row with a real CLI process, verifies it, and the moved deployment works', { timeout: 120_000 }, async () => {
    const before = await openDatabase(t.config.databaseUrl);
    const sourceDigests = await digests(before);
    await before.close();
    const target = await freshStoreUrl('postgres');

    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, 'store', 'move', '--to', target, '--json'], { env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    const certificates = sourceDigests.certificates!;
    expect(certificates.rows).toBeGreaterThanOrEqual(issued.length);
    expect(run.stderr).toContain(`Copied certificates: ${certificates.rows} rows`);
    const report = JSON.parse(run.stdout) as { rows: number; tables: Array<{ table: string; rows: number; sha256: string }>; auditEntries: number };
    expect(report.tables.find((x) => x.table === 'certificates')).toEqual({ table: 'certificates', ...certificates });
    expect(report.tables.find((x) => x.table === 'crl_archive')!.rows).toBeGreaterThanOrEqual(2);

    const moved = await openDatabase(target);
    try {
      const after = await digests(moved);
      // Every table byte for byte, but the audit log, which gained the move's own entry at its end.
      for (const [table, digest] of Object.entries(sourceDigests)) {
        if (table === 'audit_entries') expect(after[table]!.rows, table).toBe(digest.rows + 1);
        else expect(after[table], table).toEqual(digest);
      }
      const last = await moved.db.selectFrom('audit_entries').select(['action', 'details']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
      expect(last.action).toBe('store.moved');
      expect(JSON.parse(last.details)).toMatchObject({ rows: report.rows, auditEntries: report.auditEntries });
      expect((await verifyAuditChain(moved)).ok).toBe(true);
    } finally {
      await moved.close();
    }

    // The moved deployment runs: its sealed keys open with the same passphrase, revocations and CRLs are there.
    const signet = await openSignet({ ...t.config, databaseUrl: target });
    try {
      expect((await signet.status.revocation(issued[0]!))?.reason).toBe('keyCompromise');
      const { csrPem } = opensslRequest(t.dir, 'ecdsa-p256', 'after-move');
      await expect(signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=after the move', subscriberId: 'after', requestedBy: 'test', reason: 'move' })).resolves.toMatchObject({ issuerCaId: h.issuing.caId });
      const crl = await signet.status.crls.publish(h.issuing.caId, 'full', 'test');
      expect(crl.crlNumber).toBeGreaterThan(1);
    } finally {
      await signet.close();
    }

    // A second move into the same target is refused, and writes nothing there.
    const check = await openDatabase(target);
    const entries = (await check.db.selectFrom('audit_entries').select('seq').execute()).length;
    await check.close();
    await expect(moveStore(t.config.databaseUrl, target)).rejects.toMatchObject({ code: 'store.move-target-not-empty', status: 409 });
    const again = await openDatabase(target);
    expect((await again.db.selectFrom('audit_entries').select('seq').execute()).length).toBe(entries);
    await again.close();
  });

  it('refuses a PostgreSQL source, a SQLite target, and a source a server still holds', async () => {
    const postgres = await freshStoreUrl('postgres');
    await expect(moveStore(postgres, await freshStoreUrl('postgres'))).rejects.toMatchObject({ code: 'store.move-source-not-sqlite', status: 400 });
    await expect(moveStore(t.config.databaseUrl, join(t.dir, 'other.db'))).rejects.toMatchObject({ code: 'store.move-target-not-postgres', status: 400 });
    const server = await openSignet(t.config, { role: 'server' });
    try {
      const target = await freshStoreUrl('postgres');
      await expect(moveStore(t.config.databaseUrl, target)).rejects.toMatchObject({ code: 'store.move-source-busy', status: 409 });
      const untouched = await openDatabase(target);
      expect((await untouched.db.selectFrom('certificates').select('serial').execute()).length).toBe(0);
      await untouched.close();
    } finally {
      await server.close();
    }
  });

  it('restores a SQLite backup made with sqlite3 .backup, and a PostgreSQL one made with pg_dump, to the same deployment', { timeout: 120_000 }, async () => {
    // SQLite, online: `sqlite3 signet.db ".backup backup.db"`; restore: copy the file back in place (server stopped).
    const path = t.config.databaseUrl.replace(/^sqlite:(\/\/)?/, '');
    const backupDir = mkdtempSync(join(tmpdir(), 'signet-backup-'));
    const backup = join(backupDir, 'signet-backup.db');
    const sqlite = spawnSync('sqlite3', [path, `.backup '${backup}'`], { encoding: 'utf8' });
    expect(sqlite.status, sqlite.stderr).toBe(0);
    const restoredPath = join(backupDir, 'restored', 'signet.db');
    const original = await openDatabase(t.config.databaseUrl);
    const expected = await digests(original);
    await original.close();
    spawnSync('mkdir', ['-p', join(backupDir, 'restored')]);
    copyFileSync(backup, restoredPath);
    const restored = await openDatabase(restoredPath);
    try {
      expect(await digests(restored)).toEqual(expected);
      expect((await verifyAuditChain(restored)).ok).toBe(true);
    } finally {
      await restored.close();
    }

    // PostgreSQL: `pg_dump -Fc -f signet.dump URL`; restore into an empty database: `pg_restore --no-owner -d URL signet.dump`.
    const source = await freshStoreUrl('postgres');
    await moveStore(t.config.databaseUrl, source);
    const dump = join(backupDir, 'signet.dump');
    const dumped = spawnSync(join(PG_BIN, 'pg_dump'), ['-Fc', '-f', dump, source], { encoding: 'utf8' });
    expect(dumped.status, dumped.stderr).toBe(0);
    const into = await freshStoreUrl('postgres');
    const restoredPg = spawnSync(join(PG_BIN, 'pg_restore'), ['--no-owner', '--exit-on-error', '-d', into, dump], { encoding: 'utf8' });
    expect(restoredPg.status, restoredPg.stderr).toBe(0);
    const [a, b] = [await openDatabase(source), await openDatabase(into)];
    try {
      expect(await digests(b)).toEqual(await digests(a));
      expect((await verifyAuditChain(b)).ok).toBe(true);
      // The append-only guards came back with the restore.
      await expect(b.db.deleteFrom('audit_entries').execute()).rejects.toThrow();
    } finally {
      await a.close();
      await b.close();
      rmSync(backupDir, { recursive: true, force: true });
    }
  });
});

/**
 * A SQLite row is copied whatever its rowid (0 and below are legal: an INTEGER PRIMARY KEY of 0, a rowid given on
 * insert) and whatever its integers (the OCSP answers' keys are 63-bit: better-sqlite3 rounds them past 2^53 unless
 * read as text), and a table with no rowid (WITHOUT ROWID) is copied too. Before, the copy walked rowids from 1 by
 * numbers: rows at 0 and below were never copied (the verification then failed), and the answers' keys arrived
 * rounded (the verification, reading them rounded on both sides, passed).
 */
describe('signet store move copies every SQLite row exactly', () => {
  it('copies rows at rowid 0 and below, 63-bit integers as they are, and a table without rowids', async () => {
    const sourceUrl = await freshStoreUrl('sqlite');
    const source = await openDatabase(sourceUrl);
    const answer = (id: bigint) =>
      sql`INSERT INTO ocsp_responses (id, cert_id, serial, issuer_ca_id, status, this_update, next_update, der)
          VALUES (${id}, ${`cert-${id}`}, ${`serial-${id}`}, 'ca-1', 'good', '2026-12-06T00:00:00Z', '2026-12-13T00:00:00Z', ${Buffer.from([1, 2, 3])})`;
    const keys = [0n, -7n, 1n, 2n ** 53n + 1n, 2n ** 62n + 3n, 2n ** 63n - 1n];
    try {
      for (const id of keys) await answer(id).execute(source.db);
      await sql`INSERT INTO settings (rowid, key, value) VALUES (0, 'zero', 'at rowid 0'), (-3, 'negative', 'at rowid -3'), (5, 'five', 'at rowid 5')`.execute(source.db);
      await sql`CREATE TABLE move_without_rowid (name text NOT NULL, n integer NOT NULL, PRIMARY KEY (name, n)) WITHOUT ROWID`.execute(source.db);
      await sql`INSERT INTO move_without_rowid VALUES ('a', ${2n ** 60n + 1n}), ('b', -1)`.execute(source.db);
    } finally {
      await source.close();
    }
    const targetUrl = await freshStoreUrl('postgres');
    const prepared = await openDatabase(targetUrl);
    await sql`CREATE TABLE move_without_rowid (name text NOT NULL, n bigint NOT NULL, PRIMARY KEY (name, n))`.execute(prepared.db);
    await prepared.close();

    const report = await moveStore(sourceUrl, targetUrl);
    expect(report.tables.find((t) => t.table === 'ocsp_responses')?.rows).toBe(keys.length);
    const target = await openDatabase(targetUrl);
    try {
      const ids = await sql<{ id: string }>`SELECT cast(id as text) AS id FROM ocsp_responses ORDER BY ocsp_responses.id`.execute(target.db);
      expect(ids.rows.map((r) => r.id)).toEqual([...keys].sort((a, b) => (a < b ? -1 : 1)).map(String));
      const settings = await sql<{ key: string; value: string }>`SELECT key, value FROM settings WHERE key IN ('zero', 'negative', 'five') ORDER BY key`.execute(target.db);
      expect(settings.rows).toEqual([
        { key: 'five', value: 'at rowid 5' },
        { key: 'negative', value: 'at rowid -3' },
        { key: 'zero', value: 'at rowid 0' },
      ]);
      const without = await sql<{ name: string; n: string }>`SELECT name, cast(n as text) AS n FROM move_without_rowid ORDER BY name`.execute(target.db);
      expect(without.rows).toEqual([
        { name: 'a', n: String(2n ** 60n + 1n) },
        { name: 'b', n: '-1' },
      ]);
    } finally {
      await target.close();
    }
  });
});
