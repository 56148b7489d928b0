import type { Kysely } from 'kysely';
import type { SignetDatabase } from '../store/database.js';
import { isUniqueViolation } from '../store/driver-errors.js';
import type { Database } from '../store/schema.js';
import type { TimestampTokenTable, TsaTables } from './migrations.js';

export type TsaDatabase = Kysely<Database & TsaTables>;

export function tsaDatabase(store: SignetDatabase): TsaDatabase {
  // The TSA's tables live in its own migrations; the core schema type does not list them.
  return store.db as unknown as TsaDatabase;
}

export class DuplicateSerial extends Error {}

interface Pending {
  row: TimestampTokenTable;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const ROWS_PER_STATEMENT = 500;

/**
 * Records issued tokens before they leave the TSA. Recording is grouped:
 * every token signed in the same turn of the event loop is written by one
 * INSERT, and each caller waits for the statement that carries its row. A
 * token is only ever returned once its row (and so its serial) is stored.
 */
export class TokenLedger {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly store: SignetDatabase) {}

  record(row: TimestampTokenTable): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    const db = tsaDatabase(this.store);
    for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
      const chunk = batch.slice(i, i + ROWS_PER_STATEMENT);
      try {
        await db.insertInto('timestamp_tokens').values(chunk.map((p) => p.row)).execute();
        for (const p of chunk) p.resolve();
      } catch {
        // One bad row (a serial collision) must not fail its neighbours: retry them one by one.
        for (const p of chunk) {
          try {
            await db.insertInto('timestamp_tokens').values(p.row).execute();
            p.resolve();
          } catch (error) {
            p.reject(isUniqueViolation(error) ? new DuplicateSerial(p.row.serial) : error);
          }
        }
      }
    }
  }
}
