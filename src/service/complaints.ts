import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { audit, lockRow, optionalText, parseInstant, requiredText, type ServiceContext } from './context.js';
import type { NotificationOutbox } from './notification-outbox.js';
import { maskContact, maskName } from './personal-data.js';
import type { ComplaintTable, ServiceTx } from './schema.js';
import { validateCalendarYear, WorkingDayCalendar, type CalendarYear } from './working-day-calendar.js';

export const COMPLAINT_CHANNELS = ['phone', 'email', 'web', 'letter', 'counter'] as const;
/** R12: seven working days to respond. */
export const RESPONSE_WORKING_DAYS = 7;

export interface ComplaintInput {
  receivedAt?: Date | string;
  channel: string;
  subscriberId?: string | null;
  certificateSerial?: string | null;
  complainant: { name: string; contact: string };
  category: string;
  description: string;
}

/** A complaint as lists show it: personal data masked, the text left out (R2). */
export interface ComplaintSummary {
  id: string;
  receivedAt: string;
  receivedDay: string;
  channel: ComplaintTable['channel'];
  subscriberId: string | null;
  certificateSerial: string | null;
  complainant: { name: string; contact: string } | null;
  category: string;
  dueAt: string;
  dueDay: string;
  /** The deadline as people read it, Asia/Shanghai. */
  dueShown: string;
  status: ComplaintTable['status'];
  overdue: boolean;
  respondedAt: string | null;
  anonymised: boolean;
}

export interface Complaint extends ComplaintSummary {
  description: string | null;
  response: string | null;
  respondedBy: string | null;
  filedBy: string;
}

/** The working-day calendar, one year at a time, editable by operators (R12). */
export class CalendarYears {
  constructor(private readonly context: ServiceContext) {}

  async list(): Promise<CalendarYear[]> {
    const rows = await this.context.db.selectFrom('service_calendar_years').selectAll().orderBy('year').execute();
    return rows.map((r) => ({ year: Number(r.year), holidays: JSON.parse(r.holidays), makeUpWorkdays: JSON.parse(r.make_up_workdays), source: r.source }));
  }

  async calendar(trx: ServiceTx = this.context.db): Promise<WorkingDayCalendar> {
    const rows = await trx.selectFrom('service_calendar_years').selectAll().execute();
    return new WorkingDayCalendar(rows.map((r) => ({ year: Number(r.year), holidays: JSON.parse(r.holidays), makeUpWorkdays: JSON.parse(r.make_up_workdays), source: r.source })));
  }

  /**
   * Loads (or replaces) one year's arrangement. Complaints already filed keep
   * the deadline they were given: a deadline promised is not moved afterwards.
   */
  async load(actor: string, input: unknown): Promise<CalendarYear> {
    const year = validateCalendarYear(input);
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('service_calendar_years').select('year').where('year', '=', year.year).executeTakeFirst();
      const row = {
        holidays: JSON.stringify(year.holidays),
        make_up_workdays: JSON.stringify(year.makeUpWorkdays),
        source: year.source,
        loaded_at: now.toISOString(),
        loaded_by: actor,
      };
      if (existing) await trx.updateTable('service_calendar_years').set(row).where('year', '=', year.year).execute();
      else await trx.insertInto('service_calendar_years').values({ year: year.year, ...row }).execute();
      await audit(this.context, trx, { actor, action: existing ? 'service.calendar-replaced' : 'service.calendar-loaded', target: `calendar:${year.year}`, details: { ...year } }, now);
    });
    return year;
  }
}

/** R12: complaints, their response deadline on the working-day calendar, responses, and what is overdue. */
export class Complaints {
  constructor(
    private readonly context: ServiceContext,
    private readonly calendars: CalendarYears,
    private readonly outbox: NotificationOutbox,
  ) {}

  async file(actor: string, input: ComplaintInput): Promise<Complaint> {
    const now = this.context.clock();
    const receivedAt = parseInstant(input.receivedAt, 'receivedAt') ?? now;
    if (receivedAt.getTime() > now.getTime() + 60_000) throw new SignetError('service.received-in-future', 400, {}, 'receivedAt');
    if (!(COMPLAINT_CHANNELS as readonly string[]).includes(input.channel)) {
      throw new SignetError('service.bad-channel', 400, { known: COMPLAINT_CHANNELS.join(', ') }, 'channel');
    }
    const complainant = input.complainant ?? ({} as ComplaintInput['complainant']);
    const name = requiredText(complainant.name, 'complainant.name', 64);
    const contact = requiredText(complainant.contact, 'complainant.contact', 254);
    const category = requiredText(input.category, 'category', 64);
    const description = requiredText(input.description, 'description', 10_000);
    const id = `cmp-${randomUUID()}`;
    const row = await this.context.db.transaction().execute(async (trx) => {
      // The deadline is computed on the calendar as stored now; an unknown year refuses before anything is written.
      const deadline = (await this.calendars.calendar(trx)).responseDeadline(receivedAt, RESPONSE_WORKING_DAYS);
      const row: ComplaintTable = {
        id,
        received_at: receivedAt.toISOString(),
        received_day: deadline.receivedDay,
        channel: input.channel as ComplaintTable['channel'],
        subscriber_id: optionalText(input.subscriberId, 'subscriberId'),
        certificate_serial: optionalText(input.certificateSerial, 'certificateSerial'),
        complainant: this.context.personalData.seal(JSON.stringify({ name, contact }), `complaint:${id}`),
        description: this.context.personalData.seal(description, `complaint:${id}:description`),
        category,
        due_at: deadline.dueAt.toISOString(),
        due_day: deadline.dueDay,
        status: 'open',
        response: null,
        responded_at: null,
        responded_by: null,
        filed_by: actor,
        anonymised_at: null,
      };
      await trx.insertInto('service_complaints').values(row).execute();
      await audit(
        this.context,
        trx,
        { actor, action: 'service.complaint-filed', target: `complaint:${id}`, details: { receivedAt: row.received_at, channel: row.channel, category, dueAt: row.due_at, subscriber: row.subscriber_id } },
        now,
      );
      return row;
    });
    return { ...this.summary(row, now), description, response: null, respondedBy: null, filedBy: actor, complainant: { name, contact } };
  }

  /** Lists with personal data masked (R2); `overdue` lists only open complaints past their deadline. */
  async list(filter: { status?: 'open' | 'responded'; overdue?: boolean; subscriberId?: string } = {}): Promise<ComplaintSummary[]> {
    const now = this.context.clock();
    let query = this.context.db.selectFrom('service_complaints').selectAll().orderBy('due_at').orderBy('id');
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    if (filter.overdue) query = query.where('status', '=', 'open').where('due_at', '<', now.toISOString());
    return (await query.execute()).map((row) => this.summary(row, now));
  }

  /**
   * A subscriber's own complaints with the answers they were given (R12): the
   * portal shows what the CA replied, not only that it did. Their own text
   * and contact details stay out of the list, as in every list (R2).
   */
  async ofSubscriber(subscriberId: string): Promise<Array<ComplaintSummary & { response: string | null }>> {
    const now = this.context.clock();
    const rows = await this.context.db.selectFrom('service_complaints').selectAll().where('subscriber_id', '=', subscriberId).orderBy('received_at', 'desc').orderBy('id').execute();
    return rows.map((row) => ({ ...this.summary(row, now), response: row.response }));
  }

  async overdue(): Promise<ComplaintSummary[]> {
    return this.list({ overdue: true });
  }

  /** Whom a complaint is about, without personal data: for the authorisation layer (issue 16). */
  async about(id: string): Promise<{ subscriberId: string | null; certificateSerial: string | null }> {
    const row = await this.context.db.selectFrom('service_complaints').select(['subscriber_id', 'certificate_serial']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('service.unknown-complaint', 404, { complaint: id.slice(0, 80) }, 'complaintId');
    return { subscriberId: row.subscriber_id, certificateSerial: row.certificate_serial };
  }

  /** The full complaint, personal data included: the read itself is audited (R2, R20). */
  async get(actor: string, id: string): Promise<Complaint> {
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await this.row(trx, id);
      await audit(this.context, trx, { actor, action: 'service.complaint-read', target: `complaint:${id}`, details: { personalData: row.complainant !== null } }, now);
      return this.full(row, now);
    });
  }

  async respond(actor: string, id: string, input: { response: string }): Promise<Complaint> {
    const response = requiredText(input.response, 'response', 10_000);
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      await lockRow(trx, 'service_complaints', id);
      const row = await this.row(trx, id);
      if (row.status === 'responded') throw new SignetError('service.complaint-already-responded', 409, { complaint: id });
      const updated = await trx
        .updateTable('service_complaints')
        .set({ status: 'responded', response, responded_at: now.toISOString(), responded_by: actor })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new SignetError('service.complaint-already-responded', 409, { complaint: id });
      const late = now.toISOString() > row.due_at;
      await audit(this.context, trx, { actor, action: 'service.complaint-responded', target: `complaint:${id}`, details: { dueAt: row.due_at, late } }, now);
      if (row.subscriber_id) {
        await this.outbox.enqueue(
          trx,
          {
            recipient: `subscriber:${row.subscriber_id}`,
            kind: 'complaint-response',
            dedupeKey: `complaint-response:${id}`,
            subject: { 'zh-CN': `您的投诉 ${id} 已答复`, en: `Your complaint ${id} has been answered` },
            body: { 'zh-CN': response, en: response },
          },
          now,
        );
      }
      return this.full({ ...row, status: 'responded', response, responded_at: now.toISOString(), responded_by: actor }, now);
    });
  }

  private async row(trx: ServiceTx, id: string): Promise<ComplaintTable> {
    const row = await trx.selectFrom('service_complaints').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('service.unknown-complaint', 404, { complaint: id }, 'complaintId');
    return row;
  }

  private full(row: ComplaintTable, now: Date): Complaint {
    const pd = this.context.personalData;
    return {
      ...this.summary(row, now),
      complainant: row.complainant ? (JSON.parse(pd.open(row.complainant, `complaint:${row.id}`)) as { name: string; contact: string }) : null,
      description: row.description ? pd.open(row.description, `complaint:${row.id}:description`) : null,
      response: row.response,
      respondedBy: row.responded_by,
      filedBy: row.filed_by,
    };
  }

  private summary(row: ComplaintTable, now: Date): ComplaintSummary {
    let complainant: ComplaintSummary['complainant'] = null;
    if (row.complainant) {
      const opened = JSON.parse(this.context.personalData.open(row.complainant, `complaint:${row.id}`)) as { name: string; contact: string };
      complainant = { name: maskName(opened.name), contact: maskContact(opened.contact) };
    }
    return {
      id: row.id,
      receivedAt: row.received_at,
      receivedDay: row.received_day,
      channel: row.channel,
      subscriberId: row.subscriber_id,
      certificateSerial: row.certificate_serial,
      complainant,
      category: row.category,
      dueAt: row.due_at,
      dueDay: row.due_day,
      dueShown: formatShanghaiTime(row.due_at),
      status: row.status,
      overdue: row.status === 'open' && now.toISOString() > row.due_at,
      respondedAt: row.responded_at,
      anonymised: row.anonymised_at !== null,
    };
  }
}
