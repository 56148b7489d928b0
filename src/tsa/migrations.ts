import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';

/** Every time-stamp token the TSA ever issued: its serial is unique for ever (RFC 3161 §2.4.2). */
export interface TimestampTokenTable {
  /** Lowercase hex of the TSTInfo serialNumber; the primary key is the uniqueness guarantee. */
  serial: string;
  tsa_signer_id: string;
  /** genTime, ISO-8601 UTC with milliseconds: the high-water mark of the clock guard is max(gen_time). */
  gen_time: string;
  hash_algorithm: string;
  /** Hex of the hashed message the token covers. */
  message_imprint: string;
  policy: string;
  nonce: string | null;
  /** The whole TimeStampToken (ContentInfo DER), so it can be produced as evidence later. */
  token_der: Buffer;
}

/** One operator recovery of a tripped clock guard (`signet tsa reset-clock-guard`); append-only. */
export interface TsaClockGuardResetTable {
  /** 1, 2, 3, …: nodes notice a new reset by this number growing; unique, so two resets cannot race. */
  seq: number;
  /** The TSA's clock when the operator vouched for it (ISO). */
  reset_at: string;
  /** The database server's clock at that moment (ISO), as a second witness. */
  database_time: string;
  skew_ms: number;
  /** The guard's high-water mark before the reset (ISO), null when no token existed. */
  previous_high_water: string | null;
  /** Tokens stamped later than reset_at: issued under a wrong clock, left out of the high-water mark from now on. */
  tokens_disregarded: number;
  actor: string;
  reason: string;
}

/** Tokens a reset found stamped ahead of the true time: they stay in the ledger (they were issued) but no longer set the guard. */
export interface TsaDisregardedTokenTable {
  serial: string;
  reset_seq: number;
}

export interface TsaTables {
  timestamp_tokens: TimestampTokenTable;
  tsa_clock_guard_resets: TsaClockGuardResetTable;
  tsa_disregarded_tokens: TsaDisregardedTokenTable;
}

export function tsaMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0200_tsa_timestamp_tokens': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('timestamp_tokens')
          .addColumn('serial', 'text', (c) => c.primaryKey())
          .addColumn('tsa_signer_id', 'text', (c) => c.notNull())
          .addColumn('gen_time', 'text', (c) => c.notNull())
          .addColumn('hash_algorithm', 'text', (c) => c.notNull())
          .addColumn('message_imprint', 'text', (c) => c.notNull())
          .addColumn('policy', 'text', (c) => c.notNull())
          .addColumn('nonce', 'text')
          .addColumn('token_der', binary, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('timestamp_tokens_gen_time').on('timestamp_tokens').columns(['tsa_signer_id', 'gen_time']).execute();
        await db.schema.createIndex('timestamp_tokens_imprint').on('timestamp_tokens').column('message_imprint').execute();
      },
    },
    '0201_tsa_ledger_indexes': {
      // The imprint index was read by nothing and cost half of every row's INSERT: a random 64-character key
      // lands on a random B-tree page (bench/tsa.ts: 7,500 → 9,000+ tokens per CPU-second on SQLite without it).
      // Finding the token for a document is a rare operator question a scan can answer. The clock guard's
      // max(gen_time), read at each start, gets an index whose first column is gen_time (append-only, cheap to keep)
      // instead of scanning the whole (tsa_signer_id, gen_time) index.
      async up(db: Kysely<unknown>) {
        await db.schema.dropIndex('timestamp_tokens_imprint').execute();
        await db.schema.createIndex('timestamp_tokens_latest').on('timestamp_tokens').column('gen_time').execute();
      },
    },
    '0202_tsa_clock_guard_resets': {
      // Recovery from a clock that ran ahead (issue 13): the tokens it stamped stay, but stop holding the guard up.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('tsa_clock_guard_resets')
          .addColumn('seq', 'integer', (c) => c.primaryKey())
          .addColumn('reset_at', 'text', (c) => c.notNull())
          .addColumn('database_time', 'text', (c) => c.notNull())
          .addColumn('skew_ms', 'integer', (c) => c.notNull())
          .addColumn('previous_high_water', 'text')
          .addColumn('tokens_disregarded', 'integer', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('tsa_disregarded_tokens')
          .addColumn('serial', 'text', (c) => c.primaryKey())
          .addColumn('reset_seq', 'integer', (c) => c.notNull())
          .execute();
      },
    },
  };
}
