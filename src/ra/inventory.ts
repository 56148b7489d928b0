import { publicSubject } from '../ca/identifier-disclosure.js';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { SignetError } from '../i18n/signet-error.js';
import { isRevocationReason, reasonName, REVOCATION_REASONS, type RevocationReason } from '../status/revocation-reasons.js';
import type { RevocationTable } from '../status/schema.js';
import type { RaContext } from './context.js';
import { compactInventoryCounts, compactInventoryRollups } from './inventory-counts.js';
import { requireRole, requireScope, type Principal } from './roles.js';
import type { RaDatabase } from './schema.js';

/**
 * The certificate inventory as the RA console reads it (issue 7): every
 * certificate with its status, its subscriber and RA, searched, filtered
 * and paged in the database, and the figures the dashboard charts. An
 * RA-scoped operator sees the certificates of their own RA's subscribers
 * only (R18); CA-wide roles see every certificate the CA issued.
 *
 * The RA sits upstream of the CA and the status domain (docs/architecture.md),
 * so it reads their certificates and revocations here, read-only.
 */

export const INVENTORY_STATUSES = ['good', 'revoked', 'expired', 'not-yet-valid'] as const;
export type InventoryStatus = (typeof INVENTORY_STATUSES)[number];

export interface InventoryEntry {
  serial: string;
  subject: string;
  profileId: string;
  subscriberId: string | null;
  subscriberName: string | null;
  raId: string | null;
  applicationId: string | null;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  status: InventoryStatus;
  revokedAt: string | null;
  reason: RevocationReason | null;
}

export interface InventoryQuery {
  /** Serial (colons and spaces ignored), subject or subscriber name contains this. */
  q?: string;
  status?: string;
  reason?: string;
  raId?: string;
  /** YYYY-MM-DD: certificates whose validity began that day in Beijing. */
  issuedOn?: string;
  /** Valid (good) certificates whose validity ends within this many days. */
  expiringWithinDays?: string | number;
  page?: string | number;
  pageSize?: string | number;
  /** Keyset paging: the `next` of the previous page; the page then starts right after it, whatever `page` says. */
  after?: string;
  /** Keyset paging backwards: the `previous` of the following page; the page then ends right before it. */
  before?: string;
}

export interface InventoryPage {
  items: InventoryEntry[];
  page: number;
  pageSize: number;
  /** Exact without filters (from the counters); with filters, counted up to COUNT_CAP (see `totalExact`). */
  total: number;
  totalExact: boolean;
  pages: number;
  /** Cursor of the page after this one (`after=`), null on the last page. */
  next: string | null;
  /** Cursor of the page before this one (`before=`), null on the first page. */
  previous: string | null;
}

export interface InventoryStatistics {
  at: string;
  total: number;
  byStatus: Record<InventoryStatus, number>;
  /** Certificates whose validity began on each of the last `days` Beijing days, oldest first. */
  issuedPerDay: Array<{ day: string; count: number }>;
  /** Good certificates ending within 30, 60 and 90 days. */
  expiring: Array<{ days: number; count: number }>;
  revocationsByReason: Array<{ reason: RevocationReason; count: number }>;
}

interface InventoryCountsTable {
  ra_id: string;
  kind: 'issued' | 'live-until' | 'revoked';
  bucket: string;
  slot: number;
  n: number | string;
}
interface InventoryRollupsTable {
  ra_id: string;
  kind: 'issued' | 'live-until';
  span: 'all' | 'month' | 'day';
  bucket: string;
  slot: number;
  n: number | string;
}
type InventoryDb = RaDatabase & { revocations: RevocationTable; ra_inventory_counts: InventoryCountsTable; ra_inventory_rollups: InventoryRollupsTable };
type Joined = SelectQueryBuilder<
  InventoryDb & { c: InventoryDb['certificates']; s: InventoryDb['ra_subscribers']; r: InventoryDb['revocations'] },
  'c' | 's' | 'r',
  object
>;

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const MAX_PAGE_SIZE = 200;
const EXPIRY_WINDOWS = [30, 60, 90] as const;
/** A filtered search counts this far and no further: past it the console says "10,000+" rather than scan a million rows. */
export const COUNT_CAP = 10_000;
/**
 * How deep a page asked by number may reach (issue 22): an OFFSET reads and drops every row above the page, so
 * page 25,000 of a million took 1.2 s (SQLite) / 2.2 s (PostgreSQL), and even an offset of 9,980 rows took
 * 170 ms on PostgreSQL, past the 100 ms a console page may take. Deeper lists are walked by cursor
 * (`after`/`before`), which costs the same at any depth; 2,000 rows is 100 pages at the console's 20 a page.
 */
export const NUMBERED_ROWS = 2_000;
const HOUR_MS = 3_600_000;
/** The counters' bucket of a time: its UTC hour, as the text prefix the store keeps times in. */
const hourOf = (at: Date) => at.toISOString().slice(0, 13);
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~([0-9a-f]{1,42})$/;
/** A q of this many hex digits (colons and spaces aside) is a serial: looked up by prefix through the primary key. */
const SERIAL_QUERY = /^[0-9a-f]{8,42}$/;

const shanghaiDay = (at: Date) => new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
const startOfShanghaiDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) - SHANGHAI_OFFSET_MS);

function bad(field: string, value: unknown): SignetError {
  return new SignetError('inventory.bad-filter', 400, { field, value: String(value).slice(0, 64) }, field);
}

function whole(value: string | number | undefined, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw bad(field, value);
  return n;
}

export class CertificateInventory {
  constructor(private readonly context: RaContext) {}

  private get db(): Kysely<InventoryDb> {
    return this.context.db as unknown as Kysely<InventoryDb>;
  }

  /** Certificates joined with their subscriber and revocation, limited to what the caller may see. */
  private base(by: Principal, raId?: string): Joined {
    let query = this.db
      .selectFrom('certificates as c')
      .leftJoin('ra_subscribers as s', 's.id', 'c.subscriber_id')
      .leftJoin('revocations as r', 'r.serial', 'c.serial') as unknown as Joined;
    // R18: an RA's operators see their RA's subscribers' certificates, and nothing the CA issued outside an RA.
    if (by.raId !== null) query = query.where('s.ra_id', '=', by.raId);
    if (raId) query = query.where('s.ra_id', '=', raId);
    return query;
  }

  /**
   * The order a filtered list is walked in, by the index of what it filters on (issue 22): a walk of the
   * issue order that skips every row the filter refuses costs seconds at a million when matches are few
   * (revocations by one reason, certificates expired or about to, none not yet valid). Each list is
   * newest first in its own time: revoked by revocation time, expired and expiring by end of validity,
   * not yet valid by start of validity, everything else by time of issue. The cursor carries that time.
   */
  private orderOf(filter: InventoryQuery): { time: 'c.issued_at' | 'c.not_after' | 'c.not_before' | 'r.revoked_at'; serial: 'c.serial' | 'r.serial'; field: 'issuedAt' | 'notAfter' | 'notBefore' | 'revokedAt' } {
    const text = !!filter.q?.trim() || !!filter.issuedOn;
    if (text) return { time: 'c.issued_at', serial: 'c.serial', field: 'issuedAt' };
    if (filter.reason || filter.status === 'revoked') return { time: 'r.revoked_at', serial: 'r.serial', field: 'revokedAt' };
    if (filter.status === 'expired' || (filter.expiringWithinDays !== undefined && filter.expiringWithinDays !== '')) return { time: 'c.not_after', serial: 'c.serial', field: 'notAfter' };
    if (filter.status === 'not-yet-valid') return { time: 'c.not_before', serial: 'c.serial', field: 'notBefore' };
    return { time: 'c.issued_at', serial: 'c.serial', field: 'issuedAt' };
  }

  /**
   * The exact number of rows a filter of status, reason, expiry window and RA matches, from the counters
   * as the dashboard reads them; null when the filter has more in it (text, day of issue): then counted
   * up to COUNT_CAP.
   */
  private async exactTotal(by: Principal, filter: InventoryQuery, now: Date): Promise<number | null> {
    if (filter.q?.trim() || filter.issuedOn) return null;
    const raId = filter.raId || undefined;
    const at = now.toISOString();
    const days = filter.expiringWithinDays === undefined || filter.expiringWithinDays === '' ? null : whole(filter.expiringWithinDays, 'expiringWithinDays', 0, 1, 3660);
    const status = filter.status as InventoryStatus | undefined;
    const count = async (query: Joined) => Number(((await query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()) as { n: number | string }).n);
    const notYetValid = () => this.statusIs(this.base(by, raId), 'not-yet-valid', at);
    // A reason is a revocation's; an expiry window is of good certificates: with any other status, nothing matches.
    if (filter.reason) {
      if ((status && status !== 'revoked') || days !== null) return 0;
      return (await this.countedBuckets(by, 'revoked', { raId })).filter((b) => Number(b.bucket) === REVOCATION_REASONS[filter.reason as RevocationReason]).reduce((n, b) => n + b.n, 0);
    }
    if (days !== null) {
      if (status && status !== 'good') return 0;
      const until = new Date(now.getTime() + days * DAY_MS);
      return (await this.liveEndingBetween(by, now, until, raId)) - (await this.notYetValidEnds(by, at, raId)).filter((end) => end <= until.toISOString()).length;
    }
    const revoked = async () => (await this.countedBuckets(by, 'revoked', { raId })).reduce((n, b) => n + b.n, 0);
    switch (status) {
      case undefined:
        return this.issuedTotal(by, raId);
      case 'revoked':
        return revoked();
      case 'expired':
        return this.liveEndingBetween(by, null, now, raId);
      case 'not-yet-valid':
        return count(notYetValid());
      case 'good':
        return (await this.issuedTotal(by, raId)) - (await revoked()) - (await this.liveEndingBetween(by, null, now, raId)) - (await count(notYetValid()));
    }
  }

  private statusIs(query: Joined, status: InventoryStatus, at: string): Joined {
    switch (status) {
      case 'revoked':
        return query.where('r.serial', 'is not', null);
      case 'expired':
        return query.where('r.serial', 'is', null).where('c.not_after', '<=', at);
      case 'not-yet-valid':
        return query.where('r.serial', 'is', null).where('c.not_after', '>', at).where('c.not_before', '>', at);
      case 'good':
        return query.where('r.serial', 'is', null).where('c.not_after', '>', at).where('c.not_before', '<=', at);
    }
  }

  private filtered(by: Principal, filter: InventoryQuery, now: Date): Joined {
    const at = now.toISOString();
    let query = this.base(by);
    if (filter.status) {
      if (!(INVENTORY_STATUSES as readonly string[]).includes(filter.status)) throw bad('status', filter.status);
      query = this.statusIs(query, filter.status as InventoryStatus, at);
    }
    if (filter.reason) {
      if (!isRevocationReason(filter.reason)) throw bad('reason', filter.reason);
      query = query.where('r.reason_code', '=', REVOCATION_REASONS[filter.reason]);
    }
    if (filter.raId) {
      requireScope(by, filter.raId);
      query = query.where('s.ra_id', '=', filter.raId);
    }
    if (filter.issuedOn) {
      const day = filter.issuedOn;
      const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? startOfShanghaiDay(day) : new Date(NaN);
      if (Number.isNaN(start.getTime()) || shanghaiDay(start) !== day) throw bad('issuedOn', day);
      query = query.where('c.not_before', '>=', start.toISOString()).where('c.not_before', '<', new Date(start.getTime() + DAY_MS).toISOString());
    }
    if (filter.expiringWithinDays !== undefined && filter.expiringWithinDays !== '') {
      const days = whole(filter.expiringWithinDays, 'expiringWithinDays', 0, 1, 3660);
      query = this.statusIs(query, 'good', at).where('c.not_after', '<=', new Date(now.getTime() + days * DAY_MS).toISOString());
    }
    const q = filter.q?.trim() ?? '';
    const serialPrefix = q.toLowerCase().replace(/[:\s]/g, '');
    if (SERIAL_QUERY.test(serialPrefix)) {
      // An index range, not a scan: 'g' sorts after every hex digit.
      query = query.where('c.serial', '>=', serialPrefix).where('c.serial', '<', `${serialPrefix}g`);
    } else if (q) {
      if (q.length > 200) throw bad('q', q);
      // Portable: the same LIKE with an explicit escape character on SQLite and PostgreSQL, case folded on both sides.
      const pattern = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const serial = pattern(q.toLowerCase().replace(/[:\s]/g, ''));
      const words = pattern(q.toLowerCase());
      const like = (column: string, value: string) => sql<boolean>`lower(${sql.ref(column)}) like ${value} escape '\\'`;
      // A person's name is stored masked (R2): their full name is found by its blind index, exactly.
      const names = this.context.personalData?.blindIndexes(`name:${q}`) ?? [];
      // Candidates first, each by an index (issue 22: a LIKE over every subject took 2.6-14 s at a million), then the
      // same predicate as always on the candidates, so both stores give exactly the rows the plain LIKE gives.
      const db = this.db;
      const bySubject =
        this.context.store.dialect === 'postgres'
          ? db.selectFrom('certificates as c2').select('c2.serial').where(like('c2.subject', words))
          : [...q].length >= 3
            ? // FTS5's trigram tokenizer: a quoted phrase matches as a substring, folding case at least as widely as lower().
              (db as unknown as Kysely<{ ra_inventory_subjects: { serial: string } }>)
                .selectFrom('ra_inventory_subjects')
                .select('serial')
                .where(sql<boolean>`ra_inventory_subjects MATCH ${`"${q.replace(/"/g, '""')}"`}`)
            : db.selectFrom('certificates as c2').select('c2.serial').where(like('c2.subject', words));
      // Subscribers first, then their certificates through the subscriber index (a join let SQLite, without
      // statistics, read every certificate to find the few subscribers: 12-20 s at a million).
      const byName = db
        .selectFrom('certificates as c3')
        .select('c3.serial')
        .where('c3.subscriber_id', 'in', (sub) =>
          sub
            .selectFrom('ra_subscribers as s3')
            .select('s3.id')
            .where(({ or, eb }) => or([like('s3.name', words), ...(names.length > 0 ? [eb('s3.name_index', 'in', names)] : [])])),
        );
      // Serials are hex: only hex (or nothing but colons and spaces) can match one.
      const serialish = /^[0-9a-f]*$/.test(q.toLowerCase().replace(/[:\s]/g, ''));
      let candidates = (bySubject as unknown as typeof byName).union(byName);
      if (serialish) candidates = candidates.union(db.selectFrom('certificates as c4').select('c4.serial').where(like('c4.serial', serial)) as never);
      query = query
        .where('c.serial', 'in', candidates as never)
        .where(({ or, eb }) => or([like('c.serial', serial), like('c.subject', words), like('s.name', words), ...(names.length > 0 ? [eb('s.name_index', 'in', names)] : [])]));
    }
    return query;
  }

  async page(by: Principal, filter: InventoryQuery = {}): Promise<InventoryPage> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    const now = this.context.clock();
    const page = whole(filter.page, 'page', 1, 1, 1_000_000);
    const pageSize = whole(filter.pageSize, 'pageSize', 50, 1, MAX_PAGE_SIZE);
    const filtered = this.filtered(by, filter, now);
    let query = filtered;
    let offset = (page - 1) * pageSize;
    const cursorOf = (field: 'after' | 'before') => {
      const value = filter[field];
      if (value === undefined || value === '') return null;
      const cursor = CURSOR.exec(value);
      if (!cursor) throw bad(field, value);
      return { time: cursor[1]!, serial: cursor[2]! };
    };
    const after = cursorOf('after');
    const before = cursorOf('before');
    if (after && before) throw bad('before', filter.before);
    // With a cursor the page number is not used (see InventoryQuery.after); without one it is an OFFSET, kept shallow.
    if (!after && !before && page * pageSize > NUMBERED_ROWS) {
      throw new SignetError('inventory.page-too-deep', 400, { page, pageSize, rows: NUMBERED_ROWS, deepest: Math.floor(NUMBERED_ROWS / pageSize) }, 'page');
    }
    const order = this.orderOf(filter);
    // Keyset paging: the next rows of the (time, serial) index, however deep; no offset to skip over.
    if (after) {
      // The leading bound on the time alone is what both planners turn into an index range; the OR only settles ties.
      query = query.where(order.time, '<=', after.time).where(({ or, eb }) => or([eb(order.time, '<', after.time), eb(order.serial, '<', after.serial)]));
      offset = 0;
    } else if (before) {
      query = query.where(order.time, '>=', before.time).where(({ or, eb }) => or([eb(order.time, '>', before.time), eb(order.serial, '>', before.serial)]));
      offset = 0;
    }
    let total: number;
    let totalExact = true;
    const exact = await this.exactTotal(by, filter, now);
    if (exact !== null) {
      total = exact;
    } else {
      const capped = this.db.selectFrom(filtered.select('c.serial').limit(COUNT_CAP + 1).as('x')).select((eb) => eb.fn.countAll().as('n'));
      total = Number(((await capped.executeTakeFirstOrThrow()) as { n: number | string }).n);
      if (total > COUNT_CAP) [total, totalExact] = [COUNT_CAP, false];
    }
    const rows = await query
      .select([
        'c.serial as serial',
        'c.subject as subject',
        'c.profile_id as profileId',
        'c.subscriber_id as subscriberId',
        's.name as subscriberName',
        's.ra_id as raId',
        'c.not_before as notBefore',
        'c.not_after as notAfter',
        'c.issued_at as issuedAt',
        'r.revoked_at as revokedAt',
        'r.reason_code as reasonCode',
      ])
      .select((eb) =>
        eb
          .selectFrom('ra_applications as a')
          .select('a.id')
          .whereRef('a.certificate_serial', '=', 'c.serial')
          .limit(1)
          .as('applicationId'),
      )
      // Backwards, the index is walked the other way and the page turned round below; one row more says whether the list goes on.
      .orderBy(order.time, before ? 'asc' : 'desc')
      .orderBy(order.serial, before ? 'asc' : 'desc')
      .limit(pageSize + 1)
      .offset(offset)
      .execute();
    const more = rows.length > pageSize;
    rows.splice(pageSize);
    if (before) rows.reverse();
    const at = now.toISOString();
    const items = (rows as unknown as Array<Omit<InventoryEntry, 'status' | 'reason'> & { reasonCode: number | null }>).map(({ reasonCode, ...row }) => ({
      ...row,
      // A list: ID numbers and e-mail addresses masked (R2); the full record is one audited read away.
      subject: publicSubject(row.subject),
      applicationId: row.applicationId ?? null,
      status: (row.revokedAt ? 'revoked' : row.notAfter <= at ? 'expired' : row.notBefore > at ? 'not-yet-valid' : 'good') as InventoryStatus,
      reason: reasonCode === null || reasonCode === undefined ? null : reasonName(Number(reasonCode)),
    }));
    const cursor = (entry: InventoryEntry | undefined) => (entry ? `${entry[order.field]}~${entry.serial}` : null);
    // Going forward, rows before this page exist when it did not start at the top; going back, when one more row came.
    const next = (before ? items.length > 0 : more) ? cursor(items.at(-1)) : null;
    const previous = (before ? more : after !== null || offset > 0) ? cursor(items[0]) : null;
    return { items, page, pageSize, total, totalExact, pages: Math.max(1, Math.ceil(total / pageSize)), next, previous };
  }

  /**
   * Folds the counters' slots of hours that ended more than an hour ago
   * (src/ra/inventory-counts.ts): the service round does it, so the
   * dashboard's sums read one row per hour of history, not eight.
   */
  async compactCounters(): Promise<number> {
    const db = this.context.db as unknown as Kysely<unknown>;
    const hours = await compactInventoryCounts(db, this.context.store.dialect, hourOf(new Date(this.context.clock().getTime() - HOUR_MS)));
    return hours + (await compactInventoryRollups(db, this.context.store.dialect));
  }

  /** Sum of one span of the roll-ups (src/ra/inventory-counts.ts) within the caller's scope, buckets in [from, below). */
  private async rolledUp(by: Principal, kind: InventoryRollupsTable['kind'], span: InventoryRollupsTable['span'], range: { from?: string; below?: string; raId?: string } = {}): Promise<number> {
    let query = this.db
      .selectFrom('ra_inventory_rollups')
      .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
      .where('kind', '=', kind)
      .where('span', '=', span);
    if (by.raId !== null) query = query.where('ra_id', '=', by.raId);
    if (range.raId) query = query.where('ra_id', '=', range.raId);
    if (range.from !== undefined) query = query.where('bucket', '>=', range.from);
    if (range.below !== undefined) query = query.where('bucket', '<', range.below);
    return Number((await query.executeTakeFirst())?.n ?? 0);
  }

  /**
   * Certificates not revoked whose validity ends in the whole hours [start, end) (start null: since ever):
   * hours up to the first day boundary, days up to the first month boundary, whole months, then days and
   * hours up to `end`. A few dozen rows however long the history.
   */
  private async liveUntilHours(by: Principal, start: Date | null, end: Date, raId?: string): Promise<number> {
    const day = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
    const month = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    const ceil = (floor: (at: Date) => Date, next: (at: Date) => Date, at: Date) => (floor(at).getTime() === at.getTime() ? at : next(floor(at)));
    const nextDay = (at: Date) => new Date(at.getTime() + DAY_MS);
    const nextMonth = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
    const min = (a: Date, b: Date) => (a < b ? a : b);
    const text = (at: Date, length: number) => at.toISOString().slice(0, length);
    const parts: Array<Promise<number>> = [];
    const hours = (from: Date | null, below: Date) => parts.push(this.countedSum(by, 'live-until', { from: from ? hourOf(new Date(from.getTime() - HOUR_MS)) : undefined, below: hourOf(below), raId }));
    const days = (from: Date | null, below: Date) => parts.push(this.rolledUp(by, 'live-until', 'day', { from: from ? text(from, 10) : undefined, below: text(below, 10), raId }));
    const months = (from: Date | null, below: Date) => parts.push(this.rolledUp(by, 'live-until', 'month', { from: from ? text(from, 7) : undefined, below: text(below, 7), raId }));
    const endDay = day(end);
    const endMonth = month(end);
    let at = start;
    if (at !== null && at < end) {
      const dayBoundary = min(end, ceil(day, nextDay, at));
      if (dayBoundary > at) hours(at, (at = dayBoundary));
      const monthBoundary = min(endDay, ceil(month, nextMonth, at));
      if (monthBoundary > at) days(at, (at = monthBoundary));
    }
    if (at === null || at < endMonth) months(at, (at = endMonth));
    if (at < endDay) days(at, (at = endDay));
    if (at < end) hours(at, end);
    return (await Promise.all(parts)).reduce((a, b) => a + b, 0);
  }

  /** Sum of one kind of counter (src/ra/inventory-counts.ts) within the caller's scope, optionally by bucket range. */
  private async countedBuckets(by: Principal, kind: InventoryCountsTable['kind'], range: { from?: string; below?: string; raId?: string } = {}) {
    let query = this.db
      .selectFrom('ra_inventory_counts')
      .select((eb) => ['bucket', eb.fn.sum<number | string>('n').as('n')])
      .where('kind', '=', kind);
    if (by.raId !== null) query = query.where('ra_id', '=', by.raId);
    if (range.raId) query = query.where('ra_id', '=', range.raId);
    if (range.from !== undefined) query = query.where('bucket', '>', range.from);
    if (range.below !== undefined) query = query.where('bucket', '<', range.below);
    const rows = await query.groupBy('bucket').execute();
    return rows.map((r) => ({ bucket: r.bucket, n: Number(r.n) }));
  }

  /** One sum in the database: the counters hold a row per hour of history (26,000 over three years), not read one by one. */
  private async countedSum(by: Principal, kind: InventoryCountsTable['kind'], range: { from?: string; below?: string; raId?: string } = {}): Promise<number> {
    let query = this.db
      .selectFrom('ra_inventory_counts')
      .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
      .where('kind', '=', kind);
    if (by.raId !== null) query = query.where('ra_id', '=', by.raId);
    if (range.raId) query = query.where('ra_id', '=', range.raId);
    if (range.from !== undefined) query = query.where('bucket', '>', range.from);
    if (range.below !== undefined) query = query.where('bucket', '<', range.below);
    return Number((await query.executeTakeFirst())?.n ?? 0);
  }

  /** Every certificate in the caller's scope (and RA): the running total. */
  private async issuedTotal(by: Principal, raId?: string): Promise<number> {
    if (raId) requireScope(by, raId);
    return this.rolledUp(by, 'issued', 'all', { raId });
  }

  /** The ends of validity of the certificates not yet valid (not revoked) in scope: few, found by the not_before index. */
  private async notYetValidEnds(by: Principal, at: string, raId?: string): Promise<string[]> {
    const rows = await this.statusIs(this.base(by, raId), 'not-yet-valid', at).select('c.not_after as notAfter').execute();
    return rows.map((r) => (r as { notAfter: string }).notAfter);
  }

  /** Certificates not revoked whose validity ends in (lo, hi]: whole hours from the counters, the two partial hours counted exactly. */
  private async liveEndingBetween(by: Principal, lo: Date | null, hi: Date, raId?: string): Promise<number> {
    // Times are kept as toISOString() text, so text order is time order (the not_after index).
    const exact = async (bounds: { gt?: string; gte?: string; lt?: string; lte: string }) => {
      let query = this.base(by, raId).where('r.serial', 'is', null).where('c.not_after', '<=', bounds.lte);
      if (bounds.gt !== undefined) query = query.where('c.not_after', '>', bounds.gt);
      if (bounds.gte !== undefined) query = query.where('c.not_after', '>=', bounds.gte);
      if (bounds.lt !== undefined) query = query.where('c.not_after', '<', bounds.lt);
      return Number(((await query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()) as { n: number | string }).n);
    };
    const hiHour = hourOf(hi);
    if (lo && hourOf(lo) === hiHour) return exact({ gt: lo.toISOString(), lte: hi.toISOString() });
    const whole = await this.liveUntilHours(by, lo ? new Date(Date.parse(`${hourOf(lo)}:00:00.000Z`) + HOUR_MS) : null, new Date(`${hiHour}:00:00.000Z`), raId);
    const head = lo ? await exact({ gt: lo.toISOString(), lt: new Date(Date.parse(`${hourOf(lo)}:00:00.000Z`) + HOUR_MS).toISOString(), lte: hi.toISOString() }) : 0;
    const tail = await exact({ gte: `${hiHour}:00:00.000Z`, lte: hi.toISOString() });
    return whole + head + tail;
  }

  /**
   * The dashboard's figures from the counters the database keeps (src/ra/inventory-counts.ts):
   * the cost follows the number of hours and reasons, not of certificates. Only what
   * time decides within the current hour, and certificates not yet valid (a few at
   * most), are counted row by row, through the not_after and not_before indexes.
   */
  async statistics(by: Principal, options: { days?: string | number } = {}): Promise<InventoryStatistics> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    const days = whole(options.days, 'days', 30, 1, 366);
    const now = this.context.clock();
    const at = now.toISOString();
    const sum = (buckets: Array<{ n: number }>) => buckets.reduce((n, b) => n + b.n, 0);

    const reasons = await this.countedBuckets(by, 'revoked');
    const byStatus = {} as Record<InventoryStatus, number>;
    const total = await this.rolledUp(by, 'issued', 'all');
    byStatus.revoked = sum(reasons);
    byStatus.expired = await this.liveEndingBetween(by, null, now);
    // Not yet valid: few, read once through the not_before index with their ends (a count bounded by not_after as well
    // let SQLite, without statistics, walk the not_after index over most certificates: 1.2 s at a million).
    const notYetValidEnds = await this.notYetValidEnds(by, at);
    byStatus['not-yet-valid'] = notYetValidEnds.length;
    byStatus.good = total - byStatus.revoked - byStatus.expired - byStatus['not-yet-valid'];

    // Issued per Beijing day: validity starts in the window, counted by the hour, bucketed by the day here.
    const today = shanghaiDay(now);
    const first = startOfShanghaiDay(new Date(Date.parse(`${today}T00:00:00.000Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10));
    const hours = await this.countedBuckets(by, 'issued', { from: hourOf(new Date(first.getTime() - HOUR_MS)) });
    const perDay = new Map<string, number>();
    for (const h of hours) {
      const day = shanghaiDay(new Date(`${h.bucket}:00:00.000Z`));
      perDay.set(day, (perDay.get(day) ?? 0) + h.n);
    }
    const issuedPerDay = Array.from({ length: days }, (_, i) => {
      const day = shanghaiDay(new Date(first.getTime() + i * DAY_MS));
      return { day, count: perDay.get(day) ?? 0 };
    });

    const expiring = [];
    for (const window of EXPIRY_WINDOWS) {
      const until = new Date(now.getTime() + window * DAY_MS);
      // Good ones only: those not yet valid that end in the window are taken back out.
      const ending = await this.liveEndingBetween(by, now, until);
      expiring.push({ days: window, count: ending - notYetValidEnds.filter((end) => end <= until.toISOString()).length });
    }

    const revocationsByReason = reasons
      .filter((r) => r.n > 0)
      .map((r) => ({ reason: reasonName(Number(r.bucket)), count: r.n }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));

    return { at, total, byStatus, issuedPerDay, expiring, revocationsByReason };
  }
}
