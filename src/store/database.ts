import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase, type SqliteDialectConfig, type SqliteStatement, type Transaction } from 'kysely';
import pg, { type QueryResultRow } from 'pg';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrations.js';
import { configError } from '../config/config-error.js';

export type Dialect = 'sqlite' | 'postgres';


export interface SignetDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where it lives, without credentials: for logs and /healthz. */
  readonly location: string;
  /**
   * A read of at most one row by one statement outside Kysely, for a lookup on a hot path whose builder, driver
   * and result handling cost more than the lookup itself (the OCSP responder's cold questions, issue 22). `sql` is
   * the dialect's text (Kysely's compile() gives it). SQLite: a second, read-only connection, prepared once (it
   * sees committed rows only, as another process would). PostgreSQL: a statement prepared once per pooled
   * connection under `name` (parsed and planned once, not per question). (pg's binary result mode was tried: its
   * protocol reader decodes every field as UTF-8 text first, which mangles bytea; src/store/point-read.test.ts.)
   */
  pointRead<R>(name: string, sql: string): (parameters: readonly unknown[]) => Promise<R | undefined>;
  /** As pointRead, every row the statement returns (a batch of keys in one statement, say `= any($1)` on PostgreSQL). */
  pointReadAll<R>(name: string, sql: string): (parameters: readonly unknown[]) => Promise<R[]>;
  /**
   * PostgreSQL only (absent on SQLite): `use` with a connection of its own from the pool, for what Kysely does not
   * speak (COPY: the CRL publisher's entries and archive pieces, src/status/crl-publisher.ts). A connection that
   * `use` failed on is closed, not pooled again: it may be in the middle of a COPY or a transaction.
   */
  withClient?: <T>(use: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
}

export type Tx = Transaction<Database> | Kysely<Database>;

/**
 * Kysely prepares every query anew; with better-sqlite3 preparing costs more
 * than running. Statements are kept by their SQL text (queries are
 * parameterised, so the set is small and bounded by the code).
 */
function withStatementCache(sqlite: BetterSqlite3.Database, beforeEach: () => void = () => {}): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    // Kysely prepares right before it runs each statement, so this is also the moment before each one runs.
    prepare: (text: string) => {
      beforeEach();
      let statement = statements.get(text);
      if (!statement) {
        statement = sqlite.prepare(text);
        if (statements.size < 1000) statements.set(text, statement);
      }
      return statement as unknown as SqliteStatement;
    },
  };
}

export type SqliteSynchronous = 'full' | 'normal';

export interface OpenDatabaseOptions {
  /**
   * SQLite's commit durability. FULL (the default) syncs the WAL at every
   * commit, so a certificate handed out survives a power cut, not only a
   * process crash; group commits (src/store/group-commit.ts) pay that once per
   * batch. NORMAL only syncs at checkpoints: a power cut can lose the last
   * commits. From SIGNET_SQLITE_SYNCHRONOUS when not given.
   */
  synchronous?: SqliteSynchronous;
}

export function sqliteSynchronousFrom(env: NodeJS.ProcessEnv): SqliteSynchronous {
  const value = (env.SIGNET_SQLITE_SYNCHRONOUS || 'full').toLowerCase();
  if (value !== 'full' && value !== 'normal') throw configError('store.config.sqlite-synchronous-invalid', { variable: 'SIGNET_SQLITE_SYNCHRONOUS', value: env.SIGNET_SQLITE_SYNCHRONOUS });
  return value;
}

/**
 * SQLite transactions that take the write lock when they begin. A deferred transaction that reads, then writes
 * after another process committed, fails at once with SQLITE_BUSY (its snapshot is stale, and busy_timeout does
 * not apply); an immediate one waits for the lock under busy_timeout instead. Within one process Kysely already
 * runs one transaction at a time, so this changes only how processes beside each other share the file (issue 14).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** How old (ms) a shared read snapshot may get before the next point read takes a fresh one. */
export const READ_SNAPSHOT_MAX_MS = 5;

/**
 * The SQLite reader's point reads in one turn of the event loop share one read transaction. On its own each read
 * is a transaction of its own: a shared lock taken and released on the file (two fcntl calls), an fstat and the
 * WAL index consulted, which cost more than the read of a row in cache (in process, 1M answers: 11-14 µs a read
 * alone, 3 µs in a shared transaction; cold rows 18-21 → 14 µs). The snapshot never outlives the turn (let go in
 * setImmediate), is never older than READ_SNAPSHOT_MAX_MS (another process's commit is seen at most that late,
 * far inside the OCSP responder's revocation poll, 1 s), and is let go before any statement of this process's
 * writer runs (withStatementCache), so what this process committed is seen by its next read, as before.
 */
class ReadSnapshot {
  #begin: BetterSqlite3.Statement | null = null;
  #commit: BetterSqlite3.Statement | null = null;
  #openedAt = 0;
  #open = false;
  readonly #endSoon = () => this.end();

  attach(reader: BetterSqlite3.Database): void {
    this.#begin = reader.prepare('BEGIN');
    this.#commit = reader.prepare('COMMIT');
  }

  begin(): void {
    if (!this.#begin) return;
    if (this.#open) {
      if (performance.now() - this.#openedAt <= READ_SNAPSHOT_MAX_MS) return;
      this.end();
    }
    // A deferred BEGIN: the snapshot is taken by the read that follows.
    this.#begin.run();
    this.#open = true;
    this.#openedAt = performance.now();
    setImmediate(this.#endSoon);
  }

  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#commit!.run();
  }
}

/**
 * A point read's statement, prepared on first use, returning each row as an array: better-sqlite3 builds a row
 * object by looking every column's name up in V8's string table again for each row, which cost 3–6 µs of a
 * 15–20 µs cold read (in process, 1M answers, docs/performance.md "fourth pass"); rowOf names them from one list.
 */
function rawStatement(connection: () => BetterSqlite3.Database, text: string): () => { statement: BetterSqlite3.Statement; names: string[] } {
  let prepared: { statement: BetterSqlite3.Statement; names: string[] } | null = null;
  return () => {
    if (prepared) return prepared;
    const statement = connection().prepare(text);
    prepared = { names: statement.columns().map((column) => column.name), statement: statement.raw(true) };
    return prepared;
  };
}

function rowOf(names: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
  return row;
}

/** postgres://… selects PostgreSQL; anything else is a SQLite file path. */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<SignetDatabase> {
  const isPostgres = /^postgres(ql)?:\/\//.test(url);
  let db: Kysely<Database>;
  let location: string;
  let pointRead: SignetDatabase['pointRead'];
  let pointReadAll: SignetDatabase['pointReadAll'];
  let closeReader = () => {};
  let withClient: SignetDatabase['withClient'];
  if (isPostgres) {
    // BYTEA arrives as Buffer and our ISO strings stay strings: no type parsers needed.
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const parsed = new URL(url);
    location = `postgres://${parsed.host}${parsed.pathname}`;
    pointRead = <R>(name: string, text: string) => async (parameters: readonly unknown[]) =>
      (await pool.query<R & QueryResultRow>({ name, text, values: [...parameters] })).rows[0];
    pointReadAll = <R>(name: string, text: string) => async (parameters: readonly unknown[]) =>
      (await pool.query<R & QueryResultRow>({ name, text, values: [...parameters] })).rows;
    withClient = async <T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      let result: T;
      try {
        result = await use(client);
      } catch (error) {
        client.release(error instanceof Error ? error : true);
        throw error;
      }
      client.release();
      return result;
    };
  } else {
    const path = url.replace(/^sqlite:(\/\/)?/, '');
    mkdirSync(dirname(path), { recursive: true });
    const sqlite = new BetterSqlite3(path);
    // WAL for concurrent readers; see OpenDatabaseOptions for the durability choice.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${(options.synchronous ?? sqliteSynchronousFrom(process.env)).toUpperCase()}`);
    // The certificate indexes are keyed by random serials and key hashes; 64 MiB of page cache keeps them in memory.
    sqlite.pragma('cache_size = -65536');
    // A multi-row insert inside a transaction keeps a statement journal (to undo just that statement on a
    // constraint error); on disk that was a temporary file written page by page, about a sixth of the store's
    // CPU in a batch of issuance. It never outlives the statement, so it lives in memory. Durability is the WAL's.
    sqlite.pragma('temp_store = MEMORY');
    // Checkpoints copy every page changed since the last one into the database file and sync it. Random-keyed
    // indexes dirty the same pages again and again, so a longer interval copies each of them once instead of
    // many times (40 MiB of WAL instead of SQLite's 4 MiB default; the WAL file stays about that size).
    sqlite.pragma('wal_autocheckpoint = 10000');
    sqlite.pragma('foreign_keys = ON');
    // Another process (a CLI command beside the server) waits for the write lock rather than failing.
    sqlite.pragma('busy_timeout = 15000');
    let reader: BetterSqlite3.Database | null = null;
    const snapshot = new ReadSnapshot();
    // Before anything this process writes runs (a commit included), the reader lets go of its snapshot: the next
    // point read sees it, as it would without sharing. (And the writer never waits on a reader of its own.)
    db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite, () => snapshot.end()) }) });
    location = `sqlite:${path}`;
    const readerOf = (): BetterSqlite3.Database => {
      if (reader) return reader;
      // An in-memory database has no second connection: reads go through the one connection, in Kysely's turn.
      if (path === ':memory:' || path === '') return sqlite;
      reader = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
      reader.pragma('busy_timeout = 15000');
      // Enough for the upper levels of the indexes it reads at millions of rows; the leaves come from the OS's cache.
      // Larger caches and mmap_size were measured and bought nothing (docs/performance.md, "Cold OCSP, fourth pass").
      reader.pragma('cache_size = -16384');
      snapshot.attach(reader);
      return reader;
    };
    pointRead = <R>(_name: string, text: string) => {
      const prepared = rawStatement(readerOf, text);
      return (parameters: readonly unknown[]) => {
        const { statement, names } = prepared();
        snapshot.begin();
        const values = statement.get(...parameters) as unknown[] | undefined;
        return Promise.resolve(values && (rowOf(names, values) as R));
      };
    };
    pointReadAll = <R>(_name: string, text: string) => {
      const prepared = rawStatement(readerOf, text);
      return (parameters: readonly unknown[]) => {
        const { statement, names } = prepared();
        snapshot.begin();
        return Promise.resolve((statement.all(...parameters) as unknown[][]).map((values) => rowOf(names, values) as R));
      };
    };
    closeReader = () => {
      snapshot.end();
      reader?.close();
    };
  }
  const handle: SignetDatabase = {
    db,
    dialect: isPostgres ? 'postgres' : 'sqlite',
    location,
    pointRead,
    pointReadAll,
    ...(withClient ? { withClient } : {}),
    close: async () => {
      closeReader();
      await db.destroy();
    },
  };
  await migrateToLatest(handle);
  return handle;
}
