import { hash } from 'node:crypto';
import { sql } from 'kysely';
import type { SignetDatabase, Tx } from '../store/database.js';
import { CanonicalText, canonicalJson } from './canonical-json.js';

export interface AuditEvent {
  /** Who: an operator id, a subscriber, or `system:<job>`. */
  actor: string;
  /** What happened, as domain.verb: `certificate.issued`. */
  action: string;
  /** What it happened to: `certificate:<serial>`, `ca:<id>`. */
  target: string;
  details: Record<string, unknown>;
}

export interface AuditEntry extends AuditEvent {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an entry covers its position, content and predecessor (R20). */
export function entryHash(entry: Omit<AuditEntry, 'hash'>, details: Record<string, unknown> | CanonicalText = entry.details): string {
  const body = canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    details,
    prevHash: entry.prevHash,
  });
  return hash('sha256', body, 'hex');
}

/**
 * Appends inside the caller's transaction, so an entry exists exactly when the
 * state change it records does. On PostgreSQL an advisory lock serialises
 * appenders across nodes; SQLite has one writer anyway.
 */
export async function appendAuditEntry(
  trx: Tx,
  dialect: SignetDatabase['dialect'],
  event: AuditEvent,
  at: Date,
): Promise<AuditEntry> {
  const [entry] = await appendAuditEntries(trx, dialect, [{ event, at }]);
  return entry!;
}

/** Several entries in one statement, chained in the given order: for work recorded in batches. */
export async function appendAuditEntries(
  trx: Tx,
  dialect: SignetDatabase['dialect'],
  events: { event: AuditEvent; at: Date }[],
): Promise<AuditEntry[]> {
  if (events.length === 0) return [];
  if (dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(727011)`.execute(trx);
  }
  const last = await trx
    .selectFrom('audit_entries')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  let seq = last ? Number(last.seq) : 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  // Each entry's details are canonicalised once: the same text is hashed (inside the entry) and stored.
  const detailsJson = events.map(({ event }) => new CanonicalText(canonicalJson(event.details)));
  const entries = events.map(({ event, at }, i): AuditEntry => {
    const unsigned = {
      seq: ++seq,
      at: at.toISOString(),
      actor: event.actor,
      action: event.action,
      target: event.target,
      details: event.details,
      prevHash,
    };
    prevHash = entryHash(unsigned, detailsJson[i]);
    return { ...unsigned, hash: prevHash };
  });
  await trx
    .insertInto('audit_entries')
    .values(
      entries.map((entry, i) => ({
        seq: entry.seq,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        details: detailsJson[i]!.json,
        prev_hash: entry.prevHash,
        hash: entry.hash,
      })),
    )
    .execute();
  return entries;
}

export type ChainVerification =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; firstBadSeq: number; problem: string };

/** Walks the whole chain in order, recomputing every hash; names the first entry that does not fit. */
export async function verifyAuditChain(store: SignetDatabase, pageSize = 5000): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const rows = await store.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq', 'asc')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return { ok: true, entries: expectedSeq - 1, headHash: prevHash };
    for (const row of rows) {
      const seq = Number(row.seq);
      const fail = (problem: string, at = seq): ChainVerification => ({ ok: false, entries: expectedSeq - 1, firstBadSeq: at, problem });
      if (seq !== expectedSeq) return fail(`entry ${expectedSeq} is missing`, expectedSeq);
      if (row.prev_hash !== prevHash) return fail('it does not point at the hash of its predecessor');
      let details: Record<string, unknown>;
      try {
        details = JSON.parse(row.details) as Record<string, unknown>;
      } catch {
        return fail('its details are not JSON');
      }
      const recomputed = entryHash({
        seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        target: row.target,
        details,
        prevHash: row.prev_hash,
      });
      if (recomputed !== row.hash) return fail('its content does not match its hash');
      prevHash = row.hash;
      expectedSeq += 1;
    }
  }
}
