import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { appendAuditEntry, type AuditEvent } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import type { SignetDatabase, Tx } from '../store/database.js';
import type { PersonalDataCipher } from './personal-data.js';
import type { ServiceDb, ServiceTx } from './schema.js';

/** What every part of the service domain works with. */
export interface ServiceContext {
  store: SignetDatabase;
  db: ServiceDb;
  ca: CertificateAuthority;
  personalData: PersonalDataCipher;
  clock: () => Date;
}

/** Every state change and every full read of personal data is an audit entry in the same transaction (R20). */
export function audit(context: ServiceContext, trx: ServiceTx, event: AuditEvent, at: Date): Promise<unknown> {
  return appendAuditEntry(trx as unknown as Tx, context.store.dialect, event, at);
}

/** PostgreSQL returns bigint columns as strings; money stays an exact integer either way. */
export function fen(value: number | string | bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`amount ${String(value)} is not an exact integer of fen`);
  return n;
}

/** Parses an amount given by a person or a client: integer fen only, never a float. */
export function parseFen(value: unknown, field: string, { allowZero = false } = {}): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || (!allowZero && n === 0)) {
    return badAmount(field, value);
  }
  return n;
}



function badAmount(field: string, value: unknown): never {
  throw new SignetError('service.bad-amount', 400, { value: String(value) }, field);
}

/** ¥1,234.56 from 123456 fen, for people. */
export function formatYuan(amountFen: number): string {
  const yuan = Math.floor(amountFen / 100);
  const cents = String(amountFen % 100).padStart(2, '0');
  return `¥${yuan.toLocaleString('en-US')}.${cents}`;
}

export function requiredText(value: unknown, field: string, limit = 4000): string {
  if (typeof value !== 'string' || !value.trim()) throw new SignetError('service.field-required', 400, { field: fieldWords(field) }, field);
  const trimmed = value.normalize('NFC').trim();
  if ([...trimmed].length > limit) throw new SignetError('service.field-too-long', 400, { field: fieldWords(field), limit }, field);
  return trimmed;
}

export function optionalText(value: unknown, field: string, limit = 256): string | null {
  if (value === undefined || value === null || value === '') return null;
  return requiredText(value, field, limit);
}

export function parseInstant(value: unknown, field: string): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const at = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(at.getTime())) throw new SignetError('service.bad-date', 400, { value: String(value) }, field);
  return at;
}

/**
 * Takes the write lock first, before anything is read: on SQLite a
 * transaction that reads and then writes cannot wait for another writer (it
 * fails with SQLITE_BUSY at once), while one that starts by writing waits its
 * turn. On PostgreSQL it locks the row for the rest of the transaction. A
 * no-op UPDATE of the row about to be decided on does both.
 */
export async function lockRow(trx: ServiceTx, table: 'service_liability_claims' | 'service_charges' | 'service_complaints', id: string): Promise<void> {
  await trx.updateTable(table).set({ id }).where('id', '=', id).execute();
}
