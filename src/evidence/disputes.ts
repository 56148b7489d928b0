import { randomUUID } from 'node:crypto';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import type { Tx } from '../store/database.js';
import { LOCALES, type Locale } from '../i18n/locale.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import type { NotificationOutbox } from '../service/notification-outbox.js';
import type { PersonalDataCipher } from '../service/personal-data.js';
import type { PersonalDataHolder, Retention } from '../service/retention.js';
import type { NotificationTable, ServiceTx } from '../service/schema.js';
import type { DisputeTable } from './migrations.js';
import { evidenceDatabase, type EvidenceDatabase } from './evidence-signer.js';
import { configError } from '../config/config-error.js';

export type DisputeState = DisputeTable['state'];

/**
 * III.4: negotiation first, then arbitration; a dispute may be closed from
 * any open state (settled, withdrawn, decided), and closed is final.
 */
const NEXT: Record<DisputeState, DisputeState[]> = {
  filed: ['investigating', 'closed'],
  investigating: ['negotiation', 'referred-to-arbitration', 'closed'],
  negotiation: ['referred-to-arbitration', 'closed'],
  'referred-to-arbitration': ['closed'],
  closed: [],
};

/** The states a dispute in `state` may move to next: what an operator is offered. */
export function nextDisputeStates(state: DisputeState): DisputeState[] {
  return [...NEXT[state]];
}

export interface Dispute {
  id: string;
  subscriberId: string;
  certificateSerial: string | null;
  discoveredOn: string;
  filedAt: string;
  description: string;
  state: DisputeState;
  holdId: string | null;
  outcome: string | null;
  updatedAt: string;
}

/** A dispute as the operators' list shows it (R2): where it stands, without what happened to the person (one audited read away). */
export type DisputeSummary = Omit<Dispute, 'description' | 'outcome'>;

export interface DisputeFiling {
  subscriberId: string;
  /** YYYY-MM-DD, the day the subscriber discovered the problem. */
  discoveredOn: string;
  description: string;
  certificateSerial?: string;
  filedBy: string;
}

export interface DisputesOptions {
  ca: CertificateAuthority;
  outbox: NotificationOutbox;
  retention: Retention;
  /** I.9 / III.4: three months, configurable (SIGNET_DISPUTE_WINDOW_MONTHS). */
  windowMonths?: number;
  clock?: () => Date;
  /** Who on the CA side hears of every dispute. */
  disputeDesk?: string;
  /**
   * The RA's subscribers, asked rather than read (their tables are the RA's):
   * a dispute names a subscriber the RA knows, or it would hold and notify nobody.
   */
  subscribers?: { raOf(subscriberId: string): Promise<string | null> };
  /** R2: a description tells what happened to a person; sealed at rest when the deployment has a personal-data key. */
  personalData?: PersonalDataCipher;
}

const DESCRIPTION_MAX = 4000;
const NOTE_MAX = 2000;

/** The calendar day in Asia/Shanghai (UTC+8, no daylight saving), as the agreement's parties count days. */
function shanghaiDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb). */
function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

function both(code: MessageCode, params: Record<string, unknown>): Record<Locale, string> {
  return Object.fromEntries(LOCALES.map((l) => [l, translate(code, l, params)])) as Record<Locale, string>;
}

/** A value written before sealing (no `pd1.` prefix) reads as it is. */
function openText(cipher: PersonalDataCipher | undefined, stored: string, context: string): string {
  return cipher && stored.startsWith('pd1.') ? cipher.open(stored, context) : stored;
}

function toDispute(row: DisputeTable, cipher?: PersonalDataCipher): Dispute {
  return {
    id: row.id,
    subscriberId: row.subscriber_id,
    certificateSerial: row.certificate_serial,
    discoveredOn: row.discovered_on,
    filedAt: row.filed_at,
    description: openText(cipher, row.description, `dispute:${row.id}:description`),
    state: row.state,
    holdId: row.hold_id,
    outcome: row.outcome === null ? null : openText(cipher, row.outcome, `dispute:${row.id}:outcome`),
    updatedAt: row.updated_at,
  };
}

export function disputeWindowMonthsFrom(env: NodeJS.ProcessEnv): number {
  const value = Number(env.SIGNET_DISPUTE_WINDOW_MONTHS ?? 3);
  if (!Number.isInteger(value) || value < 3) throw configError('config.whole-number-min', { variable: 'SIGNET_DISPUTE_WINDOW_MONTHS', value: env.SIGNET_DISPUTE_WINDOW_MONTHS, min: 3 });
  return value;
}

/**
 * R10: disputes. Filing is refused, with the reason, later than the window
 * after discovery; while a dispute is open the subscriber's records are
 * under a legal hold (R2 purging stops); every change notifies both parties
 * through the outbox and is in the audit chain.
 */
export class Disputes {
  readonly windowMonths: number;
  private readonly clock: () => Date;
  private readonly db: EvidenceDatabase;
  private readonly desk: string;

  constructor(private readonly options: DisputesOptions) {
    this.windowMonths = options.windowMonths ?? 3;
    this.clock = options.clock ?? (() => options.ca.now());
    this.db = evidenceDatabase(options.ca);
    this.desk = options.disputeDesk ?? 'role:dispute-desk';
  }

  async file(filing: DisputeFiling): Promise<Dispute> {
    const now = this.clock();
    const today = shanghaiDay(now);
    const discovered = filing.discoveredOn;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(discovered) || Number.isNaN(Date.parse(`${discovered}T00:00:00Z`)) || discovered > today) {
      throw new SignetError('dispute.bad-date', 400, { value: String(discovered).slice(0, 32) }, 'discoveredOn');
    }
    const deadline = addMonths(discovered, this.windowMonths);
    if (today > deadline) {
      throw new SignetError('dispute.too-late', 422, { months: this.windowMonths, discovered, deadline, today }, 'discoveredOn');
    }
    const description = filing.description?.trim() ?? '';
    if (!description || description.length > DESCRIPTION_MAX) throw new SignetError('dispute.description-required', 400, { max: DESCRIPTION_MAX }, 'description');
    if (this.options.subscribers && (await this.options.subscribers.raOf(filing.subscriberId)) === null) {
      throw new SignetError('dispute.unknown-subscriber', 404, { subscriberId: String(filing.subscriberId).slice(0, 128) }, 'subscriberId');
    }

    // The hold comes first: should anything fail after it, the records are kept, which is the safe side.
    const hold = await this.options.retention.placeHold(filing.filedBy, {
      subscriberId: filing.subscriberId,
      kind: 'dispute',
      reason: `dispute filed ${today}, discovered ${discovered}`,
    });
    const row: DisputeTable = {
      id: `dispute-${randomUUID()}`,
      subscriber_id: filing.subscriberId,
      certificate_serial: filing.certificateSerial ?? null,
      discovered_on: discovered,
      filed_at: now.toISOString(),
      description,
      state: 'filed',
      hold_id: hold.id,
      outcome: null,
      updated_at: now.toISOString(),
    };
    await this.db.transaction().execute(async (trx) => {
      const pd = this.options.personalData;
      await trx.insertInto('disputes').values({ ...row, description: pd ? pd.seal(row.description, `dispute:${row.id}:description`) : row.description }).execute();
      await this.record(trx, row, null, 'filed', filing.filedBy, description, now);
    });
    return toDispute(row);
  }

  async advance(id: string, to: DisputeState, actor: string, note: string): Promise<Dispute> {
    const text = note?.trim() ?? '';
    if (!text || text.length > NOTE_MAX) throw new SignetError('dispute.note-required', 400, { max: NOTE_MAX }, 'note');
    const now = this.clock();
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('disputes').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new SignetError('dispute.not-found', 404, { id }, 'id');
      if (!NEXT[row.state].includes(to)) {
        throw new SignetError('dispute.bad-transition', 409, { id, from: row.state, to, allowed: NEXT[row.state].join(', ') || '—' }, 'state');
      }
      const changed = await trx
        .updateTable('disputes')
        .set({ state: to, updated_at: now.toISOString(), outcome: to === 'closed' ? (this.options.personalData?.seal(text, `dispute:${row.id}:outcome`) ?? text) : row.outcome })
        .where('id', '=', id)
        .where('state', '=', row.state)
        .executeTakeFirst();
      if (Number(changed.numUpdatedRows) !== 1) throw new SignetError('dispute.bad-transition', 409, { id, from: row.state, to, allowed: '—' }, 'state');
      const next = { ...row, state: to, updated_at: now.toISOString(), outcome: to === 'closed' ? (this.options.personalData?.seal(text, `dispute:${row.id}:outcome`) ?? text) : row.outcome };
      await this.record(trx, next, row.state, to, actor, text, now);
      return next;
    });
    // The hold lasts as long as the dispute, and no longer than any other open dispute of the same subscriber needs.
    if (to === 'closed' && updated.hold_id) await this.options.retention.releaseHold(actor, updated.hold_id);
    return toDispute(updated, this.options.personalData);
  }

  /**
   * One dispute in full: the description, the outcome and every note tell
   * what happened to a person, so an operator's read of them is itself
   * audited (R2, R20), as a full subscriber record's is.
   */
  async dispute(id: string, reader: string): Promise<Dispute & { next: DisputeState[]; events: Array<{ at: string; actor: string; from: string | null; to: string; note: string }> }> {
    const row = await this.db.selectFrom('disputes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('dispute.not-found', 404, { id }, 'id');
    const events = await this.db.selectFrom('dispute_events').selectAll().where('dispute_id', '=', id).orderBy('seq').execute();
    const now = this.clock();
    await this.db.transaction().execute((trx) =>
      appendAuditEntry(trx as unknown as Tx, this.options.ca.store.dialect, { actor: reader, action: 'dispute.read', target: `dispute:${row.id}`, details: { subscriber: row.subscriber_id } }, now),
    );
    return { ...toDispute(row, this.options.personalData), next: nextDisputeStates(row.state), events: events.map((e) => ({ at: e.at, actor: e.actor, from: e.from_state, to: e.to_state, note: openText(this.options.personalData, e.note, `dispute-event:${e.id}`) })) };
  }

  /**
   * R2: the dispute records of a subscriber whose retention period is over
   * (the purge runs only when no hold, so no open dispute, remains): the
   * description, outcome, event notes and the notices about each dispute are
   * blanked; states, dates and who acted stay.
   */
  readonly personalDataHolder: PersonalDataHolder = {
    name: 'disputes',
    anonymise: async (subscriberId: string, transaction: ServiceTx): Promise<number> => {
      const trx = transaction as unknown as EvidenceDatabase;
      const disputes = await trx.selectFrom('disputes').select(['id', 'outcome']).where('subscriber_id', '=', subscriberId).where('description', '!=', '—').execute();
      for (const dispute of disputes) {
        await trx.updateTable('disputes').set({ description: '—', outcome: dispute.outcome === null ? null : '—' }).where('id', '=', dispute.id).execute();
        await trx.updateTable('dispute_events').set({ note: '—' }).where('dispute_id', '=', dispute.id).execute();
        await (trx as unknown as ServiceTx)
          .updateTable('service_notifications')
          .set({ subject_zh: '—', subject_en: '—', body_zh: '—', body_en: '—' })
          .where('dedupe_key', 'like', `dispute:${dispute.id}:%`)
          .execute();
      }
      return disputes.length;
    },
  };

  /** Key rotation (R2): descriptions, outcomes and event notes sealed again under the current personal-data key. */
  async reseal(): Promise<{ disputes: number; events: number }> {
    const pd = this.options.personalData;
    const counts = { disputes: 0, events: 0 };
    if (!pd) return counts;
    const again = (stored: string, context: string) => pd.seal(openText(pd, stored, context), context);
    const stale = (stored: string | null) => stored !== null && (!stored.startsWith('pd1.') || pd.needsRotation(stored));
    await this.db.transaction().execute(async (trx) => {
      for (const row of await trx.selectFrom('disputes').selectAll().execute()) {
        if (!stale(row.description) && !stale(row.outcome)) continue;
        await trx
          .updateTable('disputes')
          .set({ description: again(row.description, `dispute:${row.id}:description`), outcome: row.outcome === null ? null : again(row.outcome, `dispute:${row.id}:outcome`) })
          .where('id', '=', row.id)
          .execute();
        counts.disputes += 1;
      }
      for (const event of await trx.selectFrom('dispute_events').select(['id', 'note']).execute()) {
        if (!stale(event.note)) continue;
        await trx.updateTable('dispute_events').set({ note: again(event.note, `dispute-event:${event.id}`) }).where('id', '=', event.id).execute();
        counts.events += 1;
      }
    });
    return counts;
  }

  /** The operators' list: states and dates, the texts left out (R2); `dispute(id, reader)` reads one in full, audited. */
  async list(filter: { subscriberId?: string; open?: boolean } = {}): Promise<DisputeSummary[]> {
    let query = this.db.selectFrom('disputes').selectAll().orderBy('filed_at');
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    if (filter.open) query = query.where('state', '!=', 'closed');
    return (await query.execute()).map((r) => {
      const { description: _description, outcome: _outcome, ...summary } = toDispute({ ...r, description: '', outcome: null });
      return summary;
    });
  }

  /** A subscriber's own disputes in full, for callers that checked the reader is that subscriber (the portal). */
  async of(subscriberId: string): Promise<Dispute[]> {
    const rows = await this.db.selectFrom('disputes').selectAll().where('subscriber_id', '=', subscriberId).orderBy('filed_at').execute();
    return rows.map((r) => toDispute(r, this.options.personalData));
  }

  /** The event, its notifications to both parties and its audit entry: one transaction, so none exists without the others. */
  private async record(trx: EvidenceDatabase, row: DisputeTable, from: DisputeState | null, to: DisputeState, actor: string, note: string, now: Date): Promise<void> {
    const last = await trx.selectFrom('dispute_events').select((eb) => eb.fn.max('seq').as('seq')).where('dispute_id', '=', row.id).executeTakeFirst();
    const eventId = randomUUID();
    await trx
      .insertInto('dispute_events')
      .values({ id: eventId, dispute_id: row.id, seq: Number(last?.seq ?? 0) + 1, at: now.toISOString(), actor, from_state: from, to_state: to, note: this.options.personalData ? this.options.personalData.seal(note, `dispute-event:${eventId}`) : note })
      .execute();
    const state = both(`dispute.state.${to}`, {});
    for (const recipient of [`subscriber:${row.subscriber_id}`, this.desk]) {
      await this.options.outbox.enqueue(
        trx as unknown as ServiceTx,
        {
          recipient,
          // The service domain's kind list predates disputes; the column itself is free text.
          kind: 'dispute' as NotificationTable['kind'],
          dedupeKey: `dispute:${row.id}:${to}:${recipient}`,
          subject: { 'zh-CN': translate('dispute.notice.subject', 'zh-CN', { id: row.id, state: state['zh-CN'] }), en: translate('dispute.notice.subject', 'en', { id: row.id, state: state.en }) },
          body: {
            'zh-CN': translate('dispute.notice.body', 'zh-CN', { subscriber: row.subscriber_id, discovered: row.discovered_on, state: state['zh-CN'], note }),
            en: translate('dispute.notice.body', 'en', { subscriber: row.subscriber_id, discovered: row.discovered_on, state: state.en, note }),
          },
        },
        now,
      );
    }
    await appendAuditEntry(
      trx as unknown as Tx,
      this.options.ca.store.dialect,
      { actor, action: from ? 'dispute.advanced' : 'dispute.filed', target: `dispute:${row.id}`, details: { subscriber: row.subscriber_id, from, to, discoveredOn: row.discovered_on } },
      now,
    );
  }
}
