import { sql, type Expression, type SqlBool } from 'kysely';
import { SignetError } from '../i18n/signet-error.js';
import type { SignetDatabase } from '../store/database.js';
import { auditActionWords } from './action-names.js';

/** What an auditor filters by (issue 20). Every field optional; times are instants with their offset. */
export interface AuditQuery {
  from?: string;
  to?: string;
  /** Part of the actor: a username, `subscriber:…`, `system:…`. */
  actor?: string;
  /** One action code, as the action list offers them. */
  action?: string;
  /** Part of the subject (`certificate:<serial>`, `application:…`) or of the entry's details: a serial, an id. */
  subject?: string;
  /** Keyset cursor: entries before this position (the `next` of the previous page). */
  before?: string;
  limit?: string | number;
}

export interface FoundAuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  /** The action in words, both languages; `known` false when only its domain is named. */
  actionWords: { 'zh-CN': string; en: string; known: boolean };
  target: string;
  details: unknown;
  hash: string;
}

export interface AuditPage {
  entries: FoundAuditEntry[];
  /** Pass as `before` for the next (older) page; null when this is the last. */
  next: number | null;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
const TEXT_LIMIT = 200;

function instant(value: string | undefined, field: string): string | null {
  if (value === undefined || value === '') return null;
  // An instant needs its offset: a bare local time would be read in the server's zone, not Beijing's.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new SignetError('audit.search-bad-time', 400, {}, field);
  }
  return new Date(value).toISOString();
}

function text(value: string | undefined, field: string): string | null {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) return null;
  if (trimmed.length > TEXT_LIMIT || /\p{Cc}/u.test(trimmed)) throw new SignetError('audit.search-bad-text', 400, { limit: TEXT_LIMIT }, field);
  return trimmed;
}

/** `column` contains `value`, LIKE's own wildcards taken literally (SQLite has no default escape character). */
function contains(column: 'actor' | 'target' | 'details', value: string): Expression<SqlBool> {
  const pattern = `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

/**
 * R20: the audit log searched by time, actor, action and subject, newest
 * first, a page at a time by position (keyset: the next page starts below the
 * last position shown, so paging stays cheap however long the log is and an
 * entry appended meanwhile never shifts a page).
 */
export async function searchAuditLog(store: SignetDatabase, query: AuditQuery): Promise<AuditPage> {
  const from = instant(query.from, 'from');
  const to = instant(query.to, 'to');
  if (from && to && from > to) throw new SignetError('audit.search-bad-range', 400, {}, 'to');
  const actor = text(query.actor, 'actor');
  const action = text(query.action, 'action');
  const subject = text(query.subject, 'subject');
  let before: number | null = null;
  if (query.before !== undefined && query.before !== '') {
    if (!/^\d{1,15}$/.test(String(query.before))) throw new SignetError('audit.search-bad-cursor', 400, {}, 'before');
    before = Number(query.before);
  }
  let limit = DEFAULT_LIMIT;
  if (query.limit !== undefined && query.limit !== '') {
    limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new SignetError('audit.search-bad-limit', 400, { max: MAX_LIMIT }, 'limit');
  }

  let select = store.db.selectFrom('audit_entries').selectAll().orderBy('seq', 'desc').limit(limit + 1);
  if (before !== null) select = select.where('seq', '<', before);
  if (from) select = select.where('at', '>=', from);
  if (to) select = select.where('at', '<=', to);
  if (actor) select = select.where(contains('actor', actor));
  if (action) select = select.where('action', '=', action);
  if (subject) {
    // A serial typed in capitals finds the stored lower-case hex.
    const forms = [...new Set([subject, subject.toLowerCase()])];
    select = select.where((eb) => eb.or(forms.flatMap((form) => [contains('target', form), contains('details', form)])));
  }
  const rows = await select.execute();
  const page = rows.slice(0, limit);
  return {
    entries: page.map((row) => ({
      seq: Number(row.seq),
      at: row.at,
      actor: row.actor,
      action: row.action,
      actionWords: auditActionWords(row.action),
      target: row.target,
      details: parseDetails(row.details),
      hash: row.hash,
    })),
    next: rows.length > limit ? Number(page[page.length - 1]!.seq) : null,
  };
}

function parseDetails(details: string): unknown {
  try {
    return JSON.parse(details);
  } catch {
    return details;
  }
}
