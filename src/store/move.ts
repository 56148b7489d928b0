import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { appendAuditEntry, verifyAuditChain } from '../audit/audit-log.js';
import { SignetError } from '../i18n/signet-error.js';
import { openDatabase, type SignetDatabase } from './database.js';
import { databaseNowMs } from './process-instances.js';

/**
 * Tables a fresh migration already fills (reference data and counters). A
 * target holding only these is empty; the move replaces them by the source's.
 * src/store/move.test.ts checks this list against a freshly migrated store.
 */
export const SEEDED_TABLES: readonly string[] = ['service_calendar_years', 'service_liability_caps', 'status_counters'];

/** Bookkeeping of the migrator and of live processes: not part of the deployment's data. */
const NOT_COPIED = new Set(['kysely_migration', 'kysely_migration_lock', 'process_instances']);

const ROWS_PER_STATEMENT = 200;

export interface MovedTable {
  table: string;
  rows: number;
  /** SHA-256 over the table's rows, each written canonically, in sorted order; equal on both sides. */
  sha256: string;
}

export interface MoveReport {
  source: string;
  target: string;
  tables: MovedTable[];
  rows: number;
  auditEntries: number;
  auditHead: string;
}

export interface MoveOptions {
  /** Told after each table is copied. */
  onTable?: (table: string, rows: number) => void;
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Moves a deployment from its SQLite file to an empty PostgreSQL database
 * (issue 14, "outgrowing the embedded store"): the schema (the target is
 * migrated to the same version), every row of every table (certificates, the
 * audit chain, the CRL archive, sealed keys, all of it, byte for byte), then a
 * verification that each table has the same rows on both sides (count and
 * content hash) and that the audit chain verifies on the target. The source is
 * only read. Refused, with nothing written, when the source is not SQLite,
 * the target not PostgreSQL, a server still holds the source, or the target
 * holds anything beyond what a fresh migration puts there.
 */
export async function moveStore(sourceUrl: string, targetUrl: string, options: MoveOptions = {}): Promise<MoveReport> {
  if (/^postgres(ql)?:\/\//.test(sourceUrl)) throw new SignetError('store.move-source-not-sqlite', 400, { source: sourceUrl });
  if (!/^postgres(ql)?:\/\//.test(targetUrl)) throw new SignetError('store.move-target-not-postgres', 400, { target: targetUrl });
  const source = await openDatabase(sourceUrl);
  try {
    const live = await source.db
      .selectFrom('process_instances')
      .select(['id', 'role'])
      .where('role', '=', 'server')
      .where('lease_expires_ms', '>=', databaseNowMs('sqlite'))
      .execute();
    if (live.length > 0) throw new SignetError('store.move-source-busy', 409, { servers: live.map((p) => p.id).join(', ') });
    const target = await openDatabase(targetUrl);
    try {
      const tables = await copyableTables(source);
      const targetTables = new Set(await copyableTables(target));
      const missing = tables.filter((t) => !targetTables.has(t));
      if (missing.length > 0) throw new SignetError('store.move-schema-differs', 409, { tables: missing.join(', ') });
      for (const table of tables) {
        if (SEEDED_TABLES.includes(table)) continue;
        const count = await countRows(target, table);
        if (count > 0) throw new SignetError('store.move-target-not-empty', 409, { table, rows: count });
      }
      const moved: MovedTable[] = [];
      for (const table of tables) {
        const rows = await copyTable(source, target, table);
        options.onTable?.(table, rows);
      }
      // Verification reads both sides afresh: what was copied is compared with what is there, not with what was sent.
      for (const table of tables) {
        const [from, to] = await Promise.all([tableDigest(source, table), tableDigest(target, table)]);
        if (from.rows !== to.rows || from.sha256 !== to.sha256) {
          throw new SignetError('store.move-verification-failed', 500, { table, sourceRows: from.rows, targetRows: to.rows });
        }
        moved.push({ table, ...from });
      }
      const chain = await verifyAuditChain(target);
      if (!chain.ok) throw new SignetError('store.move-audit-broken', 500, { seq: chain.firstBadSeq });
      const report: MoveReport = {
        source: source.location,
        target: target.location,
        tables: moved,
        rows: moved.reduce((sum, t) => sum + t.rows, 0),
        auditEntries: chain.entries,
        auditHead: chain.headHash,
      };
      // The target's chain records where it came from, after the copy was proven whole (R20).
      await target.db.transaction().execute(async (trx) => {
        await appendAuditEntry(
          trx,
          'postgres',
          { actor: 'system:store-move', action: 'store.moved', target: `store:${target.location}`, details: { from: source.location, rows: report.rows, auditEntries: report.auditEntries, auditHead: report.auditHead, tables: moved.map((t) => `${t.table}:${t.rows}:${t.sha256}`) } },
          new Date(),
        );
      });
      return report;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** The deployment's tables, children after the tables they refer to (foreign keys hold during the copy). */
async function copyableTables(store: SignetDatabase): Promise<string[]> {
  const names =
    store.dialect === 'sqlite'
      ? // Ordinary tables only: the inventory's FTS5 search table and its shadow tables are SQLite's own index (migration
        // 2630), which PostgreSQL keeps as a GIN index instead.
        (await sql<{ name: string }>`select name from pragma_table_list where schema = 'main' and type = 'table' and name not like 'sqlite_%' order by name`.execute(store.db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(store.db)).rows.map((r) => r.name);
  const tables = names.filter((n) => !NOT_COPIED.has(n));
  if (store.dialect !== 'sqlite') return tables;
  const parents = new Map<string, Set<string>>();
  for (const table of tables) {
    const keys = (await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table})`.execute(store.db)).rows;
    parents.set(table, new Set(keys.map((k) => k.table).filter((p) => p !== table)));
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  const place = (table: string) => {
    if (placed.has(table)) return;
    placed.add(table);
    for (const parent of parents.get(table) ?? []) if (parents.has(parent)) place(parent);
    ordered.push(table);
  };
  tables.forEach(place);
  return ordered;
}

async function countRows(store: SignetDatabase, table: string): Promise<number> {
  const row = await (store.db as unknown as AnyDb).selectFrom(table).select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Copies one table, a few hundred rows per statement, in one transaction. The source's rows are read in one pass
 * (no paging by rowid: a table may hold rowids of 0 or below, or have none, WITHOUT ROWID), integers exactly
 * (exactRows). A table that refers to itself (a CA's parent, an RA's successor) is copied in one statement, so each
 * row's reference is there by the end of it. Seeded rows in the target give way to the source's, and tables the
 * target's triggers fill from others (inventory counts) are copied as the source has them, not counted a second time.
 */
async function copyTable(source: SignetDatabase, target: SignetDatabase, table: string): Promise<number> {
  const selfReferencing = (await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table})`.execute(source.db)).rows.some((k) => k.table === table);
  let copied = 0;
  await (target.db as unknown as AnyDb).transaction().execute(async (trx) => {
    // The rows are copied as they are: the target's own triggers (derived counts, append-only guards) stay out of it
    // until the table is whole. Foreign keys are still checked. ALTER TABLE is transactional: a failed copy leaves them on.
    await sql`alter table ${sql.table(table)} disable trigger user`.execute(trx);
    if (SEEDED_TABLES.includes(table)) await trx.deleteFrom(table).execute();
    let rows: Record<string, unknown>[] = [];
    const insert = async () => {
      const step = selfReferencing ? rows.length : ROWS_PER_STATEMENT;
      for (let i = 0; i < rows.length; i += step) await trx.insertInto(table).values(rows.slice(i, i + step)).execute();
      copied += rows.length;
      rows = [];
    };
    for await (const row of (await exactRows(source, table)).stream()) {
      rows.push(row);
      if (!selfReferencing && rows.length === 10 * ROWS_PER_STATEMENT) await insert();
    }
    if (rows.length > 0) await insert();
    await sql`alter table ${sql.table(table)} enable trigger user`.execute(trx);
  });
  return copied;
}

/**
 * Every row of a SQLite table, each integer as its decimal text: better-sqlite3 gives integers as JavaScript numbers,
 * which round past 2^53 (the OCSP answers' 63-bit keys, migration 2700). PostgreSQL takes the text for its integer
 * columns as it takes a number's, and the digest below writes both alike.
 */
async function exactRows(store: SignetDatabase, table: string) {
  const columns = (await sql<{ name: string }>`select name from pragma_table_info(${table}) order by cid`.execute(store.db)).rows.map((c) => c.name);
  return (store.db as unknown as AnyDb)
    .selectFrom(table)
    .select(columns.map((c) => sql<unknown>`case when typeof(${sql.ref(c)}) = 'integer' then cast(${sql.ref(c)} as text) else ${sql.ref(c)} end`.as(c)));
}

/** One value as both engines agree on it: bytes as hex, numbers and big integers as their decimal text. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'n';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `b${Buffer.from(value).toString('hex')}`;
  return `v${String(value)}`;
}

/** The table's row count and a SHA-256 over its rows (columns by name, rows sorted), the same on SQLite and PostgreSQL. */
export async function tableDigest(store: SignetDatabase, table: string): Promise<{ rows: number; sha256: string }> {
  const rows = store.dialect === 'sqlite' ? await (await exactRows(store, table)).execute() : await (store.db as unknown as AnyDb).selectFrom(table).selectAll().execute();
  const lines = rows.map((row) =>
    Object.keys(row)
      .sort()
      .map((column) => `${column}=${canonical(row[column])}`)
      .join('\u0001'),
  );
  lines.sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\u0000');
  return { rows: rows.length, sha256: hash.digest('hex') };
}
