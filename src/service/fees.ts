import { randomUUID } from 'node:crypto';
import { normaliseSerial } from '../ca/serial-number.js';
import { SignetError } from '../i18n/signet-error.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { audit, lockRow, fen, formatYuan, optionalText, parseFen, parseInstant, requiredText, type ServiceContext } from './context.js';
import type { NotificationOutbox } from './notification-outbox.js';
import type { ChargeTable, FeeScheduleTable, ServiceTx } from './schema.js';
import { findRevocation } from '../status/revocation.js';

export interface FeeSchedule {
  id: string;
  raId: string;
  profileId: string;
  validityDays: number;
  amountFen: number;
  /** ¥1,234.56, for people. */
  amountShown: string;
  effectiveFrom: string;
}

export interface FeeSettings {
  raId: string;
  /** Whether issuance and renewal wait for payment at this RA. */
  paymentRequired: boolean;
  /** How many days before expiry a renewal reminder goes out. */
  reminderDays: number;
}

export interface Charge {
  id: string;
  raId: string;
  subscriberId: string;
  periodRef: string;
  purpose: ChargeTable['purpose'];
  profileId: string;
  validityDays: number;
  amountFen: number;
  paidFen: number;
  status: ChargeTable['status'];
  createdAt: string;
  settledAt: string | null;
}

export interface PaymentGate {
  required: boolean;
  paid: boolean;
  chargeId: string | null;
}

const DEFAULT_REMINDER_DAYS = 30;

/**
 * R9: fee standards per RA and product (profile × validity), a charge per
 * certificate period, payments against it, and the gate the RA asks before
 * issuing or renewing when its setting says payment comes first.
 */
export class Fees {
  constructor(
    private readonly context: ServiceContext,
    private readonly outbox: NotificationOutbox,
  ) {}

  async setSchedule(actor: string, input: { raId: string; profileId: string; validityDays: unknown; amountFen: unknown; effectiveFrom?: string }): Promise<FeeSchedule> {
    const raId = requiredText(input.raId, 'raId', 64);
    const profileId = requiredText(input.profileId, 'profileId', 64);
    try {
      if (this.context.ca.profiles.get(profileId).kind !== 'subscriber') throw new Error('not a subscriber profile');
    } catch {
      throw new SignetError('service.unknown-policy', 400, { policy: profileId }, 'profileId');
    }
    const validityDays = Number(input.validityDays);
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3660) throw new SignetError('service.bad-validity', 400, {}, 'validityDays');
    const amountFen = parseFen(input.amountFen, 'amountFen', { allowZero: true });
    const now = this.context.clock();
    const effectiveFrom = (parseInstant(input.effectiveFrom, 'effectiveFrom') ?? now).toISOString();
    const row: FeeScheduleTable = { id: `fee-${randomUUID()}`, ra_id: raId, profile_id: profileId, validity_days: validityDays, amount_fen: amountFen, effective_from: effectiveFrom, created_at: now.toISOString(), created_by: actor };
    await this.context.db.transaction().execute(async (trx) => {
      const clash = await trx
        .selectFrom('service_fee_schedules')
        .select('id')
        .where('ra_id', '=', raId)
        .where('profile_id', '=', profileId)
        .where('validity_days', '=', validityDays)
        .where('effective_from', '=', effectiveFrom)
        .executeTakeFirst();
      if (clash) throw new SignetError('service.fee-exists', 409, {}, 'effectiveFrom');
      await trx.insertInto('service_fee_schedules').values(row).execute();
      await audit(this.context, trx, { actor, action: 'service.fee-scheduled', target: `ra:${raId}`, details: { schedule: row.id, profileId, validityDays, amountFen, effectiveFrom } }, now);
    });
    return toSchedule(row);
  }

  /** The fee standard, queryable (R9): the schedule in force at `at` per product, or every version with `all`. */
  async schedules(filter: { raId?: string; at?: Date; all?: boolean } = {}): Promise<FeeSchedule[]> {
    const at = (filter.at ?? this.context.clock()).toISOString();
    let query = this.context.db.selectFrom('service_fee_schedules').selectAll().orderBy('ra_id').orderBy('profile_id').orderBy('validity_days').orderBy('effective_from', 'desc');
    if (filter.raId) query = query.where('ra_id', '=', filter.raId);
    if (!filter.all) query = query.where('effective_from', '<=', at);
    const rows = await query.execute();
    if (filter.all) return rows.map(toSchedule);
    const seen = new Set<string>();
    return rows.filter((r) => {
      const key = `${r.ra_id}|${r.profile_id}|${r.validity_days}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }).map(toSchedule);
  }

  async settings(raId: string): Promise<FeeSettings> {
    const row = await this.context.db.selectFrom('service_fee_settings').selectAll().where('ra_id', '=', raId).executeTakeFirst();
    return { raId, paymentRequired: row ? Number(row.payment_required) === 1 : false, reminderDays: row ? Number(row.reminder_days) : DEFAULT_REMINDER_DAYS };
  }

  async configure(actor: string, raId: string, input: { paymentRequired?: boolean; reminderDays?: unknown }): Promise<FeeSettings> {
    const current = await this.settings(requiredText(raId, 'raId', 64));
    const reminderDays = input.reminderDays === undefined ? current.reminderDays : Number(input.reminderDays);
    if (!Number.isInteger(reminderDays) || reminderDays < 0 || reminderDays > 365) throw new SignetError('service.bad-reminder-days', 400, {}, 'reminderDays');
    const next: FeeSettings = { raId, paymentRequired: input.paymentRequired ?? current.paymentRequired, reminderDays };
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      const values = { payment_required: next.paymentRequired ? 1 : 0, reminder_days: next.reminderDays, updated_at: now.toISOString(), updated_by: actor };
      await trx
        .insertInto('service_fee_settings')
        .values({ ra_id: raId, ...values })
        .onConflict((oc) => oc.column('ra_id').doUpdateSet(values))
        .execute();
      await audit(this.context, trx, { actor, action: 'service.fee-settings-changed', target: `ra:${raId}`, details: { ...next } }, now);
    });
    return next;
  }

  /**
   * The charge for one certificate period: issuance after an application
   * (`application:<id>`) or a renewal of a certificate (`renewal:<serial>`),
   * priced by the RA's schedule in force now. Charging the same period twice
   * returns the existing charge.
   */
  async charge(actor: string, input: { raId: string; subscriberId: string; purpose: string; reference: string; profileId: string; validityDays: unknown }): Promise<Charge> {
    const raId = requiredText(input.raId, 'raId', 64);
    const subscriberId = requiredText(input.subscriberId, 'subscriberId', 64);
    if (input.purpose !== 'issuance' && input.purpose !== 'renewal') throw new SignetError('service.bad-purpose', 400, {}, 'purpose');
    const periodRef = periodRefOf(input.purpose, input.reference);
    const validityDays = Number(input.validityDays);
    const now = this.context.clock();
    const existing = await this.chargeByRef(periodRef);
    if (existing) return existing;
    const schedule = (await this.schedules({ raId, at: now })).find((s) => s.profileId === input.profileId && s.validityDays === validityDays);
    if (!schedule) throw new SignetError('service.no-fee-schedule', 409, { ra: raId, profile: input.profileId, days: validityDays }, 'profileId');
    const row: ChargeTable = {
      id: `chg-${randomUUID()}`,
      ra_id: raId,
      subscriber_id: subscriberId,
      period_ref: periodRef,
      purpose: input.purpose,
      profile_id: schedule.profileId,
      validity_days: validityDays,
      amount_fen: schedule.amountFen,
      schedule_id: schedule.id,
      // A free product is settled the moment it is charged.
      status: schedule.amountFen === 0 ? 'paid' : 'due',
      created_at: now.toISOString(),
      created_by: actor,
      settled_at: schedule.amountFen === 0 ? now.toISOString() : null,
    };
    await this.context.db.transaction().execute(async (trx) => {
      await trx.insertInto('service_charges').values(row).onConflict((oc) => oc.column('period_ref').doNothing()).execute();
      await audit(this.context, trx, { actor, action: 'service.charged', target: `subscriber:${subscriberId}`, details: { charge: row.id, periodRef, amountFen: schedule.amountFen } }, now);
    });
    return (await this.chargeByRef(periodRef))!;
  }

  async recordPayment(actor: string, chargeId: string, input: { amountFen: unknown; method: string; reference?: string; receivedAt?: string }): Promise<Charge> {
    const amountFen = parseFen(input.amountFen, 'amountFen');
    const method = requiredText(input.method, 'method', 32);
    const reference = optionalText(input.reference, 'reference', 128);
    const now = this.context.clock();
    const receivedAt = (parseInstant(input.receivedAt, 'receivedAt') ?? now).toISOString();
    await this.context.db.transaction().execute(async (trx) => {
      await lockRow(trx, 'service_charges', chargeId);
      const charge = await trx.selectFrom('service_charges').selectAll().where('id', '=', chargeId).executeTakeFirst();
      if (!charge) throw new SignetError('service.unknown-charge', 404, { charge: chargeId }, 'chargeId');
      if (charge.status !== 'due') throw new SignetError('service.charge-settled', 409, { charge: chargeId, status: charge.status });
      const paid = await this.paidOn(trx, chargeId);
      if (paid + amountFen > fen(charge.amount_fen)) {
        throw new SignetError('service.overpayment', 409, { due: formatYuan(fen(charge.amount_fen) - paid) }, 'amountFen');
      }
      await trx.insertInto('service_payments').values({ id: `pay-${randomUUID()}`, charge_id: chargeId, amount_fen: amountFen, method, reference, received_at: receivedAt, recorded_by: actor }).execute();
      if (paid + amountFen === fen(charge.amount_fen)) {
        await trx.updateTable('service_charges').set({ status: 'paid', settled_at: now.toISOString() }).where('id', '=', chargeId).where('status', '=', 'due').execute();
      }
      await audit(this.context, trx, { actor, action: 'service.payment-recorded', target: `charge:${chargeId}`, details: { amountFen, method, reference } }, now);
    });
    return (await this.chargeById(chargeId))!;
  }

  async waive(actor: string, chargeId: string, input: { reason: string }): Promise<Charge> {
    const reason = requiredText(input.reason, 'reason', 1000);
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('service_charges').set({ status: 'waived', settled_at: now.toISOString() }).where('id', '=', chargeId).where('status', '=', 'due').executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new SignetError('service.charge-settled', 409, { charge: chargeId, status: '-' });
      await audit(this.context, trx, { actor, action: 'service.charge-waived', target: `charge:${chargeId}`, details: { reason } }, now);
    });
    return (await this.chargeById(chargeId))!;
  }

  /** The RA a charge was raised by: for the authorisation layer (issue 16). */
  async raOfCharge(id: string): Promise<string> {
    const row = await this.context.db.selectFrom('service_charges').select('ra_id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('service.unknown-charge', 404, { charge: id.slice(0, 80) }, 'chargeId');
    return row.ra_id;
  }

  async charges(filter: { raId?: string; subscriberId?: string; status?: string } = {}): Promise<Charge[]> {
    let query = this.context.db.selectFrom('service_charges').selectAll().orderBy('created_at').orderBy('id');
    if (filter.raId) query = query.where('ra_id', '=', filter.raId);
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    if (filter.status) query = query.where('status', '=', filter.status as ChargeTable['status']);
    const rows = await query.execute();
    const paid = await this.paidOnEach(rows.map((r) => r.id));
    return rows.map((r) => toCharge(r, paid.get(r.id) ?? 0));
  }

  /** What was paid on each charge, with one query per 500 charges (a list used to make one per charge). */
  private async paidOnEach(chargeIds: readonly string[]): Promise<Map<string, number>> {
    const paid = new Map<string, number>();
    for (let i = 0; i < chargeIds.length; i += 500) {
      const rows = await this.context.db.selectFrom('service_payments').select(['charge_id', 'amount_fen']).where('charge_id', 'in', chargeIds.slice(i, i + 500)).execute();
      for (const r of rows) paid.set(r.charge_id, (paid.get(r.charge_id) ?? 0) + fen(r.amount_fen));
    }
    return paid;
  }

  /**
   * What the RA asks before issuing or renewing (R9): when its setting
   * requires payment, the period's charge must exist and be paid or waived.
   */
  async paymentGate(input: { raId: string; purpose: 'issuance' | 'renewal'; reference: string }): Promise<PaymentGate> {
    const settings = await this.settings(input.raId);
    const charge = await this.chargeByRef(periodRefOf(input.purpose, input.reference));
    const paid = charge !== undefined && charge.status !== 'due';
    return { required: settings.paymentRequired, paid, chargeId: charge?.id ?? null };
  }

  /** The gate as a guard: throws 402 Payment Required when the RA requires payment and it is missing. */
  async requirePayment(input: { raId: string; purpose: 'issuance' | 'renewal'; reference: string }): Promise<void> {
    const gate = await this.paymentGate(input);
    if (gate.required && !gate.paid) {
      throw new SignetError('service.payment-required', 402, { reference: periodRefOf(input.purpose, input.reference), charge: gate.chargeId ?? '-' });
    }
  }

  /**
   * Renewal reminders (R9): every subscriber certificate that expires within
   * its RA's reminder window and is not revoked gets one notification in the
   * outbox (once per certificate). Returns how many were queued.
   */
  async queueRenewalReminders(raOf: (subscriberId: string) => Promise<string | null> = async () => null): Promise<number> {
    const now = this.context.clock();
    const horizon = new Date(now.getTime() + 366 * 86_400_000).toISOString();
    let queued = 0;
    const rows = this.context.ca.eachCertificate({ hasSubscriber: true, notAfterAfter: now.toISOString(), notAfterUntil: horizon });
    for await (const certificate of rows) {
      const row = { serial: certificate.serial, subscriber_id: certificate.subscriberId, not_after: certificate.notAfter, profile_id: certificate.profileId };
      const raId = await raOf(row.subscriber_id!);
      const { reminderDays } = raId ? await this.settings(raId) : { reminderDays: DEFAULT_REMINDER_DAYS };
      if (Date.parse(row.not_after) - now.getTime() > reminderDays * 86_400_000) continue;
      if (await this.isRevoked(row.serial)) continue;
      const shown = formatShanghaiTime(row.not_after);
      const added = await this.context.db.transaction().execute((trx) =>
        this.outbox.enqueue(
          trx,
          {
            recipient: `subscriber:${row.subscriber_id}`,
            kind: 'renewal-reminder',
            dedupeKey: `renewal-reminder:${row.serial}`,
            subject: { 'zh-CN': `您的证书将于 ${shown} 到期`, en: `Your certificate expires on ${shown}` },
            body: {
              'zh-CN': `证书（序列号 ${row.serial}）将于 ${shown} 到期，请及时办理更新。`,
              en: `Your certificate (serial ${row.serial}) expires on ${shown}; please renew it in time.`,
            },
          },
          now,
        ),
      );
      if (added) queued += 1;
    }
    return queued;
  }

  private async isRevoked(serial: string): Promise<boolean> {
    return (await findRevocation(this.context.ca, serial)) !== null;
  }

  private async paidOn(trx: ServiceTx, chargeId: string): Promise<number> {
    const rows = await trx.selectFrom('service_payments').select('amount_fen').where('charge_id', '=', chargeId).execute();
    return rows.reduce((sum, r) => sum + fen(r.amount_fen), 0);
  }

  private async chargeByRef(periodRef: string): Promise<Charge | undefined> {
    const row = await this.context.db.selectFrom('service_charges').selectAll().where('period_ref', '=', periodRef).executeTakeFirst();
    return row ? toCharge(row, await this.paidOn(this.context.db, row.id)) : undefined;
  }

  private async chargeById(id: string): Promise<Charge | undefined> {
    const row = await this.context.db.selectFrom('service_charges').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCharge(row, await this.paidOn(this.context.db, row.id)) : undefined;
  }
}

function periodRefOf(purpose: string, reference: string): string {
  const ref = requiredText(reference, 'reference', 128);
  return purpose === 'renewal' ? `renewal:${normaliseSerial(ref)}` : `application:${ref}`;
}

function toSchedule(row: FeeScheduleTable): FeeSchedule {
  return {
    id: row.id,
    raId: row.ra_id,
    profileId: row.profile_id,
    validityDays: Number(row.validity_days),
    amountFen: fen(row.amount_fen),
    amountShown: formatYuan(fen(row.amount_fen)),
    effectiveFrom: row.effective_from,
  };
}

function toCharge(row: ChargeTable, paidFen: number): Charge {
  return {
    id: row.id,
    raId: row.ra_id,
    subscriberId: row.subscriber_id,
    periodRef: row.period_ref,
    purpose: row.purpose,
    profileId: row.profile_id,
    validityDays: Number(row.validity_days),
    amountFen: fen(row.amount_fen),
    paidFen,
    status: row.status,
    createdAt: row.created_at,
    settledAt: row.settled_at,
  };
}
