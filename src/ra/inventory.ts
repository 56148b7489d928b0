import { publicSubject } from '../ca/identifier-disclosure.js';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { SignetError } from '../i18n/signet-error.js';
import { isRevocationReason, reasonName, REVOCATION_REASONS, type RevocationReason } from '../status/revocation-reasons.js';
import type { RevocationTable } from '../status/schema.js';
import type { RaContext } from './context.js';
import { requireRole, requireScope, type Principal } from './roles.js';
import type { RaDatabase } from './schema.js';

/**
 * The certificate inventory as the RA console reads it (issue 7): every
 * certificate with its status, its subscriber and RA, searched, filtered
 * and paged in the database, and the figures the dashboard charts. An
 * RA-scoped operator sees the certificates of their own RA's subscribers
 * only (R18); CA-wide roles see every certificate the CA issued.
 *
 * The RA sits upstream of the CA and the status domain (ARCHITECTURE.md),
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
}

export interface InventoryPage {
  items: InventoryEntry[];
  page: number;
  pageSize: number;
  total: number;
  pages: number;
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

type InventoryDb = RaDatabase & { revocations: RevocationTable };
type Joined = SelectQueryBuilder<
  InventoryDb & { c: InventoryDb['certificates']; s: InventoryDb['ra_subscribers']; r: InventoryDb['revocations'] },
  'c' | 's' | 'r',
  object
>;

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const MAX_PAGE_SIZE = 200;
const EXPIRY_WINDOWS = [30, 60, 90] as const;

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
  private base(by: Principal): Joined {
    let query = this.db
      .selectFrom('certificates as c')
      .leftJoin('ra_subscribers as s', 's.id', 'c.subscriber_id')
      .leftJoin('revocations as r', 'r.serial', 'c.serial') as unknown as Joined;
    // R18: an RA's operators see their RA's subscribers' certificates, and nothing the CA issued outside an RA.
    if (by.raId !== null) query = query.where('s.ra_id', '=', by.raId);
    return query;
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
    if (q) {
      if (q.length > 200) throw bad('q', q);
      // Portable: the same LIKE with an explicit escape character on SQLite and PostgreSQL, case folded on both sides.
      const pattern = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const serial = pattern(q.toLowerCase().replace(/[:\s]/g, ''));
      const words = pattern(q.toLowerCase());
      const like = (column: string, value: string) => sql<boolean>`lower(${sql.ref(column)}) like ${value} escape '\\'`;
      // A person's name is stored masked (R2): their full name is found by its blind index, exactly.
      const names = this.context.personalData?.blindIndexes(`name:${q}`) ?? [];
      query = query.where(({ or, eb }) => or([like('c.serial', serial), like('c.subject', words), like('s.name', words), ...(names.length > 0 ? [eb('s.name_index', 'in', names)] : [])]));
    }
    return query;
  }

  async page(by: Principal, filter: InventoryQuery = {}): Promise<InventoryPage> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    const now = this.context.clock();
    const page = whole(filter.page, 'page', 1, 1, 1_000_000);
    const pageSize = whole(filter.pageSize, 'pageSize', 50, 1, MAX_PAGE_SIZE);
    const query = this.filtered(by, filter, now);
    const counted = await query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const total = Number((counted as { n: number | string }).n);
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
      .orderBy('c.issued_at', 'desc')
      .orderBy('c.serial')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
    const at = now.toISOString();
    const items = (rows as unknown as Array<Omit<InventoryEntry, 'status' | 'reason'> & { reasonCode: number | null }>).map(({ reasonCode, ...row }) => ({
      ...row,
      // A list: ID numbers and e-mail addresses masked (R2); the full record is one audited read away.
      subject: publicSubject(row.subject),
      applicationId: row.applicationId ?? null,
      status: (row.revokedAt ? 'revoked' : row.notAfter <= at ? 'expired' : row.notBefore > at ? 'not-yet-valid' : 'good') as InventoryStatus,
      reason: reasonCode === null || reasonCode === undefined ? null : reasonName(Number(reasonCode)),
    }));
    return { items, page, pageSize, total, pages: Math.max(1, Math.ceil(total / pageSize)) };
  }

  /** The dashboard's figures, counted in the database: no per-certificate lookups. */
  async statistics(by: Principal, options: { days?: string | number } = {}): Promise<InventoryStatistics> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    const days = whole(options.days, 'days', 30, 1, 366);
    const now = this.context.clock();
    const at = now.toISOString();
    const count = async (query: Joined) => Number(((await query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()) as { n: number | string }).n);

    const byStatus = {} as Record<InventoryStatus, number>;
    for (const status of INVENTORY_STATUSES) byStatus[status] = await count(this.statusIs(this.base(by), status, at));
    const total = INVENTORY_STATUSES.reduce((n, s) => n + byStatus[s], 0);

    // Issued per Beijing day: validity starts in the window, bucketed by the hour in SQL, by the day here.
    const today = shanghaiDay(now);
    const first = startOfShanghaiDay(new Date(Date.parse(`${today}T00:00:00.000Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10));
    const hours = await this.base(by)
      .where('c.not_before', '>=', first.toISOString())
      .select((eb) => [eb.fn<string>('substr', ['c.not_before', eb.val(1), eb.val(13)]).as('hour'), eb.fn.countAll().as('n')])
      .groupBy('hour')
      .execute();
    const perDay = new Map<string, number>();
    for (const h of hours as unknown as Array<{ hour: string; n: number | string }>) {
      const day = shanghaiDay(new Date(`${h.hour}:00:00.000Z`));
      perDay.set(day, (perDay.get(day) ?? 0) + Number(h.n));
    }
    const issuedPerDay = Array.from({ length: days }, (_, i) => {
      const day = shanghaiDay(new Date(first.getTime() + i * DAY_MS));
      return { day, count: perDay.get(day) ?? 0 };
    });

    const expiring = [];
    for (const window of EXPIRY_WINDOWS) {
      expiring.push({ days: window, count: await count(this.statusIs(this.base(by), 'good', at).where('c.not_after', '<=', new Date(now.getTime() + window * DAY_MS).toISOString())) });
    }

    const reasons = await this.base(by)
      .where('r.serial', 'is not', null)
      .select((eb) => ['r.reason_code as code', eb.fn.countAll().as('n')])
      .groupBy('r.reason_code')
      .execute();
    const revocationsByReason = (reasons as unknown as Array<{ code: number | string; n: number | string }>)
      .map((r) => ({ reason: reasonName(Number(r.code)), count: Number(r.n) }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));

    return { at, total, byStatus, issuedPerDay, expiring, revocationsByReason };
  }
}
