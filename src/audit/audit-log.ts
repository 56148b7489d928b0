import { hash } from 'node:crypto';
import { sql } from 'kysely';
import type { SignetDatabase, Tx } from '../store/database.js';
import { CanonicalText, canonicalJson } from './canonical-json.js';
import { translate } from '../i18n/messages.js';

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

/** An entry as the store holds it: seq is whatever the column gives back (a number, a bigint's text, even a REAL on SQLite). */
export interface AuditEntryRow {
  seq: number | string | bigint;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** A head known from outside the database (an exported checkpoint): entry `upToSeq` had hash `headHash`. */
export interface AuditAnchor {
  upToSeq: number;
  headHash: string;
  /** When it was signed, and by which checkpoint: only for the report. */
  at: string;
  checkpointId: string;
}

/** Why an entry does not fit; each has a text in both languages (audit/messages.ts). */
export type ChainProblem =
  | 'audit.problem.position-not-integer'
  | 'audit.problem.position-before-start'
  | 'audit.problem.position-missing'
  | 'audit.problem.predecessor-mismatch'
  | 'audit.problem.details-not-json'
  | 'audit.problem.hash-mismatch'
  | 'audit.problem.anchor-mismatch'
  | 'audit.problem.truncated';

export type ChainVerification =
  | {
      ok: true;
      entries: number;
      headHash: string;
      /** The last entry an exported head vouches for (0: none given), and how many entries follow it unvouched. */
      anchoredUpTo: number;
      unanchored: number;
    }
  | {
      ok: false;
      entries: number;
      /** The first position that is wrong: the stored seq of a misplaced row, or the position that should hold what is missing or rewritten. */
      firstBadSeq: number;
      code: ChainProblem;
      params: Record<string, unknown>;
      /** The problem in English, for logs and JSON readers. */
      problem: string;
    };

export interface ChainVerificationOptions {
  /** Heads exported outside the database (head-export.ts), already verified as signed by a trusted key. */
  anchors?: readonly AuditAnchor[];
  /** Called after every `progressEvery` entries (default 100,000) with how many are verified: tens of millions take minutes. */
  onProgress?: (entries: number) => void;
  progressEvery?: number;
}

/** Reads a stored seq strictly: only a whole number written as one counts as a position. */
function positionOf(raw: AuditEntryRow['seq']): number | null {
  if (typeof raw === 'bigint') return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : null;
  if (typeof raw === 'string') return /^-?\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : null;
  return Number.isSafeInteger(raw) ? raw : null;
}

/**
 * R20: the rules every audit chain must satisfy, over entries in ascending
 * seq order from any source (the paged store reader below, or a streaming
 * one). Positions are exactly 1, 2, 3, … with nothing before, between or
 * beside them; every entry points at its predecessor's hash and hashes to
 * its own; every exported head still matches the entry it signed, and no
 * exported head lies beyond the end (truncation). Names the first entry
 * that does not fit. Memory is bounded by the anchors, not the chain.
 */
export async function verifyAuditEntries(rows: AsyncIterable<AuditEntryRow> | Iterable<AuditEntryRow>, options: ChainVerificationOptions = {}): Promise<ChainVerification> {
  const anchors = [...(options.anchors ?? [])].sort((a, b) => a.upToSeq - b.upToSeq);
  let nextAnchor = 0;
  let lastGoodAnchor = 0;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  const progressEvery = Math.max(1, options.progressEvery ?? 100_000);
  const fail = (firstBadSeq: number, code: ChainProblem, params: Record<string, unknown> = {}): ChainVerification => ({
    ok: false,
    entries: expectedSeq - 1,
    firstBadSeq,
    code,
    params,
    problem: translate(code, 'en', { seq: firstBadSeq, ...params }),
  });
  for await (const row of rows) {
    const seq = positionOf(row.seq);
    if (seq === null) return fail(Number(row.seq), 'audit.problem.position-not-integer', { stored: String(row.seq), expected: expectedSeq });
    if (seq < expectedSeq) return fail(seq, 'audit.problem.position-before-start', { expected: expectedSeq });
    if (seq > expectedSeq) return fail(expectedSeq, 'audit.problem.position-missing', { next: seq });
    if (row.prev_hash !== prevHash) return fail(seq, 'audit.problem.predecessor-mismatch');
    let details: Record<string, unknown>;
    try {
      details = JSON.parse(row.details) as Record<string, unknown>;
    } catch {
      return fail(seq, 'audit.problem.details-not-json');
    }
    const recomputed = entryHash({ seq, at: row.at, actor: row.actor, action: row.action, target: row.target, details, prevHash: row.prev_hash });
    if (recomputed !== row.hash) return fail(seq, 'audit.problem.hash-mismatch');
    while (nextAnchor < anchors.length && anchors[nextAnchor]!.upToSeq === seq) {
      const anchor = anchors[nextAnchor]!;
      // A chain rehashed from some entry on: it differs somewhere after the last head that still matched.
      if (anchor.headHash !== row.hash) {
        return fail(lastGoodAnchor + 1, 'audit.problem.anchor-mismatch', { from: lastGoodAnchor + 1, to: seq, checkpoint: anchor.checkpointId, signedAt: anchor.at });
      }
      lastGoodAnchor = seq;
      nextAnchor += 1;
    }
    prevHash = row.hash;
    expectedSeq += 1;
    if (options.onProgress && seq % progressEvery === 0) options.onProgress(seq);
  }
  const end = expectedSeq - 1;
  const beyond = anchors.at(-1);
  if (beyond && beyond.upToSeq > end) {
    return fail(end + 1, 'audit.problem.truncated', { end, covered: beyond.upToSeq, checkpoint: beyond.checkpointId, signedAt: beyond.at });
  }
  return { ok: true, entries: end, headHash: prevHash, anchoredUpTo: lastGoodAnchor, unanchored: anchors.length > 0 ? end - lastGoodAnchor : end };
}

/**
 * Every row of audit_entries in seq order, a page at a time. Keyset paging on
 * the stored value itself, so rows at 0, negative or fractional positions
 * are read too (a filter from the expected position would skip them).
 */
export async function* auditEntryRows(store: SignetDatabase, pageSize = 5000): AsyncGenerator<AuditEntryRow> {
  let after: AuditEntryRow['seq'] | undefined;
  for (;;) {
    let query = store.db.selectFrom('audit_entries').selectAll().orderBy('seq', 'asc').limit(pageSize);
    if (after !== undefined) query = query.where('seq', '>', after as number);
    const rows = await query.execute();
    for (const row of rows) yield row as AuditEntryRow;
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.seq;
  }
}

/** Walks the whole stored chain (see verifyAuditEntries). */
export function verifyAuditChain(store: SignetDatabase, options: ChainVerificationOptions & { pageSize?: number } = {}): Promise<ChainVerification> {
  return verifyAuditEntries(auditEntryRows(store, options.pageSize), options);
}
