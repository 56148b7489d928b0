import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { sql, type Kysely } from 'kysely';
import { audit, requiredText, type ServiceContext } from './context.js';
import { countPurge, retainedCount } from './retained-count.js';
import type { LegalHoldTable, ServiceTx } from './schema.js';
import { configError } from '../config/config-error.js';

/** R2: at least five years after the subscriber's last certificate ended; other laws may ask for longer, never shorter. */
export const MINIMUM_RETENTION_YEARS = 5;

/**
 * A domain that keeps personal data about subscribers implements this, and
 * the retention job calls it inside the purge's transaction. The RA (which
 * holds subscriber records) plugs in here; this domain's own complaints are
 * the first holder.
 */
export interface PersonalDataHolder {
  readonly name: string;
  /** Removes or anonymises what it keeps about the subscriber; returns how many records it changed. */
  anonymise(subscriberId: string, trx: ServiceTx, at: Date): Promise<number>;
}

export interface LegalHold {
  id: string;
  subscriberId: string;
  kind: LegalHoldTable['kind'];
  reason: string;
  placedAt: string;
  placedBy: string;
  releasedAt: string | null;
}

export interface RetentionReport {
  ranAt: string;
  retentionYears: number;
  purged: { subscriberId: string; lastCertificateEnd: string; records: Record<string, number> }[];
  held: { subscriberId: string; holds: string[] }[];
  /** Still within the period, or still holding a valid certificate. */
  retained: number;
}

export function retentionYearsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.SIGNET_RETENTION_YEARS;
  if (!raw) return MINIMUM_RETENTION_YEARS;
  const years = Number(raw);
  if (!Number.isInteger(years) || years < MINIMUM_RETENTION_YEARS || years > 100) {
    throw configError('config.whole-number-range', { variable: 'SIGNET_RETENTION_YEARS', value: raw, min: MINIMUM_RETENTION_YEARS, max: 100 });
  }
  return years;
}

/** This domain's own personal data about a subscriber: complainants' names, contacts and complaint texts. */
export class ComplaintPersonalData implements PersonalDataHolder {
  readonly name = 'complaints';
  async anonymise(subscriberId: string, trx: ServiceTx, at: Date): Promise<number> {
    const result = await trx
      .updateTable('service_complaints')
      .set({ complainant: null, description: null, anonymised_at: at.toISOString() })
      .where('subscriber_id', '=', subscriberId)
      .where('anonymised_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

/** R2: legal holds and the retention job that purges personal data once the period has passed. */
export class Retention {
  private readonly holders: PersonalDataHolder[];
  /** Subscribers read per query by the job (tests make it small to cross pages). */
  pageSize = 1000;

  constructor(
    private readonly context: ServiceContext,
    readonly retentionYears: number = MINIMUM_RETENTION_YEARS,
    holders: PersonalDataHolder[] = [],
  ) {
    if (!Number.isInteger(retentionYears) || retentionYears < MINIMUM_RETENTION_YEARS) {
      throw new Error(`the retention period must be at least ${MINIMUM_RETENTION_YEARS} years`);
    }
    this.holders = [new ComplaintPersonalData(), ...holders];
  }

  /** Another domain (the RA) registers what it keeps, so the job purges it too. */
  registerHolder(holder: PersonalDataHolder): void {
    if (this.holders.some((h) => h.name === holder.name)) throw new Error(`a personal-data holder named ${holder.name} is already registered`);
    this.holders.push(holder);
  }

  async placeHold(actor: string, input: { subscriberId: string; kind?: string; reason: string }): Promise<LegalHold> {
    const subscriberId = requiredText(input.subscriberId, 'subscriberId', 64);
    const kind = input.kind ?? 'legal-hold';
    if (kind !== 'legal-hold' && kind !== 'dispute') throw new SignetError('service.bad-hold-kind', 400, {}, 'kind');
    const reason = requiredText(input.reason, 'reason', 1000);
    const now = this.context.clock();
    const row: LegalHoldTable = { id: `hold-${randomUUID()}`, subscriber_id: subscriberId, kind, reason, placed_at: now.toISOString(), placed_by: actor, released_at: null, released_by: null };
    await this.context.db.transaction().execute(async (trx) => {
      const purged = await trx.selectFrom('service_retention_purges').select('subscriber_id').where('subscriber_id', '=', subscriberId).executeTakeFirst();
      if (purged) throw new SignetError('service.already-purged', 409, { subscriber: subscriberId }, 'subscriberId');
      await trx.insertInto('service_legal_holds').values(row).execute();
      await audit(this.context, trx, { actor, action: 'service.legal-hold-placed', target: `subscriber:${subscriberId}`, details: { hold: row.id, kind, reason } }, now);
    });
    return toHold(row);
  }

  async releaseHold(actor: string, holdId: string): Promise<LegalHold> {
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('service_legal_holds').selectAll().where('id', '=', holdId).executeTakeFirst();
      if (!row) throw new SignetError('service.unknown-hold', 404, { hold: holdId }, 'holdId');
      if (row.released_at) throw new SignetError('service.hold-released', 409, { hold: holdId });
      await trx.updateTable('service_legal_holds').set({ released_at: now.toISOString(), released_by: actor }).where('id', '=', holdId).execute();
      await audit(this.context, trx, { actor, action: 'service.legal-hold-released', target: `subscriber:${row.subscriber_id}`, details: { hold: holdId } }, now);
      return toHold({ ...row, released_at: now.toISOString(), released_by: actor });
    });
  }

  async holds(filter: { subscriberId?: string; active?: boolean } = {}): Promise<LegalHold[]> {
    let query = this.context.db.selectFrom('service_legal_holds').selectAll().orderBy('placed_at');
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    if (filter.active) query = query.where('released_at', 'is', null);
    return (await query.execute()).map(toHold);
  }

  /**
   * The retention job. A subscriber's personal data goes once every
   * certificate of theirs has ended (expired or revoked, whichever came
   * first) at least `retentionYears` ago and no hold is active. Each purge
   * is one transaction: every holder anonymises, the purge is recorded and
   * audited, or nothing happens.
   */
  async run(actor = 'system:retention'): Promise<RetentionReport> {
    const now = this.context.clock();
    const report: RetentionReport = { ranAt: now.toISOString(), retentionYears: this.retentionYears, purged: [], held: [], retained: 0 };
    // The database finds who is due, a little early (two days for leap days); each is then checked exactly below.
    const cutoff = new Date(addYears(now.toISOString(), -this.retentionYears));
    cutoff.setUTCDate(cutoff.getUTCDate() + 2);
    let due = 0;
    // Issue 22: after a first complete run, only subscribers with an end (expiry or revocation) that crossed into
    // the period since the last run's cutoff, less a margin wider than the early cutoff's two days, can have become
    // due; and those with a hold (released since, or still held). A run reads those, not every subscriber.
    const watermark = await this.context.db.selectFrom('service_retention_watermark').select('cutoff').where('id', '=', 'retention').executeTakeFirst();
    const since = watermark ? new Date(Date.parse(watermark.cutoff) - WATERMARK_MARGIN_MS).toISOString() : null;
    for await (const { subscriberId, end } of this.dueSubscribers(cutoff.toISOString(), since)) {
      if (addYears(end, this.retentionYears) > now.toISOString()) continue;
      due += 1;
      const holds = await this.holds({ subscriberId, active: true });
      if (holds.length > 0) {
        report.held.push({ subscriberId, holds: holds.map((h) => h.id) });
        continue;
      }
      const records: Record<string, number> = {};
      await this.context.db.transaction().execute(async (trx) => {
        // A hold placed while the job ran wins: checked again inside the transaction.
        const late = await trx.selectFrom('service_legal_holds').select('id').where('subscriber_id', '=', subscriberId).where('released_at', 'is', null).executeTakeFirst();
        if (late) return;
        for (const holder of this.holders) records[holder.name] = await holder.anonymise(subscriberId, trx, now);
        await trx
          .insertInto('service_retention_purges')
          .values({ subscriber_id: subscriberId, last_certificate_end: end, purged_at: now.toISOString(), purged_by: actor, details: JSON.stringify(records) })
          .execute();
        await countPurge(trx as unknown as Kysely<unknown>);
        await audit(this.context, trx, { actor, action: 'service.personal-data-purged', target: `subscriber:${subscriberId}`, details: { lastCertificateEnd: end, retentionYears: this.retentionYears, records } }, now);
      });
      if (Object.keys(records).length > 0) report.purged.push({ subscriberId, lastCertificateEnd: end, records });
    }
    // Every subscriber due up to this cutoff has been looked at: the next run starts here (never moving back).
    const at = cutoff.toISOString();
    if (!watermark || watermark.cutoff < at) {
      await this.context.db
        .insertInto('service_retention_watermark')
        .values({ id: 'retention', cutoff: at, updated_at: now.toISOString() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ cutoff: at, updated_at: now.toISOString() }))
        .execute();
    }
    // Everyone with a certificate and not purged (a counter: retained-count.ts), less those due but held: still within
    // the period, or still certified.
    report.retained = (await retainedCount(this.context.db as unknown as Kysely<unknown>)) - (due - report.purged.length);
    return report;
  }

  /**
   * Subscribers not yet purged whose every certificate ended (expired, or was
   * revoked before it expired) on or before `cutoff`, with that last end.
   * Issue 22: subscribers are read a page at a time in the order of the
   * certificates_subscriber index (resuming after the last one), and each
   * one's last end is computed through that index, each revocation looked up
   * by its key (a join let PostgreSQL hash all revocations once per
   * subscriber; not revoked, the comparison is NULL and the expiry counts):
   * memory holds a page, no query is made per certificate, and no page scans
   * the table (a grouped query with LIMIT was planned by PostgreSQL as a hash
   * aggregate over every certificate, once per page). A subscriber still
   * certified has an end after the cutoff and is not listed. Read-only over
   * the CA's and the status domain's tables, like the RA's inventory.
   */
  private async *dueSubscribers(cutoff: string, since: string | null, pageSize = this.pageSize): AsyncGenerator<{ subscriberId: string; end: string }> {
    let after = '';
    // Whom to look at: every subscriber with a certificate, or (since the watermark) those with an end in
    // (since, cutoff] through the not_after and revoked_at indexes, and those with a hold.
    for (;;) {
      const source = since
        ? sql`(SELECT DISTINCT subscriber_id FROM (
            SELECT c.subscriber_id FROM certificates c WHERE c.not_after > ${since} AND c.not_after <= ${cutoff} AND c.subscriber_id IS NOT NULL
            UNION SELECT c.subscriber_id FROM revocations r JOIN certificates c ON c.serial = r.serial
              WHERE r.revoked_at > ${since} AND r.revoked_at <= ${cutoff} AND c.subscriber_id IS NOT NULL
            UNION SELECT h.subscriber_id FROM service_legal_holds h) y
          WHERE subscriber_id > ${after} ORDER BY subscriber_id LIMIT ${pageSize})`
        : sql`(SELECT DISTINCT subscriber_id FROM certificates WHERE subscriber_id > ${after} ORDER BY subscriber_id LIMIT ${pageSize})`;
      const page = await sql<{ subscriber_id: string; last_end: string; purged: number | string | boolean }>`
        SELECT s.subscriber_id,
          (SELECT MAX(CASE WHEN x.revoked_at < x.not_after THEN x.revoked_at ELSE x.not_after END)
             FROM (SELECT c.not_after, (SELECT r.revoked_at FROM revocations r WHERE r.serial = c.serial) AS revoked_at
                   FROM certificates c WHERE c.subscriber_id = s.subscriber_id) x) AS last_end,
          CASE WHEN EXISTS (SELECT 1 FROM service_retention_purges p WHERE p.subscriber_id = s.subscriber_id) THEN 1 ELSE 0 END AS purged
        FROM ${source} s
        ORDER BY s.subscriber_id`.execute(this.context.db);
      for (const row of page.rows) if (Number(row.purged) === 0 && row.last_end <= cutoff) yield { subscriberId: row.subscriber_id, end: row.last_end };
      if (page.rows.length < pageSize) return;
      after = page.rows.at(-1)!.subscriber_id;
    }
  }
}

/** Wider than the early cutoff's two days: a subscriber not yet exactly due at one run is looked at again at the next. */
const WATERMARK_MARGIN_MS = 4 * 86_400_000;

function addYears(iso: string, years: number): string {
  const at = new Date(iso);
  at.setUTCFullYear(at.getUTCFullYear() + years);
  return at.toISOString();
}

function toHold(row: LegalHoldTable): LegalHold {
  return { id: row.id, subscriberId: row.subscriber_id, kind: row.kind, reason: row.reason, placedAt: row.placed_at, placedBy: row.placed_by, releasedAt: row.released_at };
}
