/**
 * What the database drivers say, by their error codes rather than their
 * wording (which changes between versions and languages: PostgreSQL
 * translates its messages with lc_messages).
 *
 * better-sqlite3 raises SqliteError with SQLite's extended result code as a
 * string (https://www.sqlite.org/rescode.html); node-postgres raises
 * DatabaseError with the SQLSTATE (PostgreSQL appendix A).
 */

const SQLITE_UNIQUE_CODES: ReadonlySet<string> = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
/** SQLSTATE unique_violation. */
const POSTGRES_UNIQUE_VIOLATION = '23505';

/** A unique or primary-key constraint refused the row: someone else holds that value. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return SQLITE_UNIQUE_CODES.has(code) || code === POSTGRES_UNIQUE_VIOLATION;
}
