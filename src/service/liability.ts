import type { Tx } from '../store/database.js';
import { randomUUID } from 'node:crypto';
import { normaliseSerial } from '../ca/serial-number.js';
import { SignetError } from '../i18n/signet-error.js';
import { audit, lockRow, fen, formatYuan, optionalText, parseFen, requiredText, type ServiceContext } from './context.js';
import { maskContact, maskName } from './personal-data.js';
import type { LiabilityClaimTable, ServiceTx } from './schema.js';

export type SubscriberType = 'individual' | 'enterprise';
export const SUBSCRIBER_TYPES: readonly SubscriberType[] = ['individual', 'enterprise'];

export interface LiabilityCap {
  policyId: string;
  subscriberType: SubscriberType;
  capFen: number;
}

export interface LiabilityClaim {
  id: string;
  certificateSerial: string;
  claimant: { name: string; contact: string } | null;
  amountClaimedFen: number;
  status: LiabilityClaimTable['status'];
  paidFen: number;
  registeredAt: string;
  decidedAt: string | null;
  decisionNote: string | null;
}

export interface CertificateLiability {
  certificateSerial: string;
  subscriberType: SubscriberType;
  capFen: number;
  paidFen: number;
  remainingFen: number;
}

/**
 * R17: what the CA owes on a certificate is capped by the subscriber type
 * (¥500,000.00 enterprise, ¥20,000.00 individual unless a policy says
 * otherwise). Claims are registered, then paid or rejected; the sum paid on
 * one certificate never exceeds its cap. That is enforced twice: here, by
 * an UPDATE whose WHERE refuses to pass the cap (PostgreSQL's row lock
 * serialises two payments on one certificate, and the second re-evaluates
 * the condition on the first's result), and in the database by a CHECK on
 * the ledger row, which holds whatever the application does.
 */
export class LiabilityRegister {
  constructor(private readonly context: ServiceContext) {}

  async caps(): Promise<LiabilityCap[]> {
    const rows = await this.context.db.selectFrom('service_liability_caps').selectAll().orderBy('policy_id').orderBy('subscriber_type').execute();
    return rows.map((r) => ({ policyId: r.policy_id, subscriberType: r.subscriber_type, capFen: fen(r.cap_fen) }));
  }

  /** Sets the cap for a policy (a profile id, or `default`). Certificates with claims already keep the cap they had. */
  async setCap(actor: string, input: { policyId: string; subscriberType: string; capFen: unknown }): Promise<LiabilityCap> {
    const policyId = requiredText(input.policyId, 'policyId', 64);
    if (policyId !== 'default') this.profile(policyId);
    const subscriberType = this.subscriberType(input.subscriberType);
    const capFen = parseFen(input.capFen, 'capFen');
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('service_liability_caps')
        .values({ policy_id: policyId, subscriber_type: subscriberType, cap_fen: capFen, updated_at: now.toISOString(), updated_by: actor })
        .onConflict((oc) => oc.columns(['policy_id', 'subscriber_type']).doUpdateSet({ cap_fen: capFen, updated_at: now.toISOString(), updated_by: actor }))
        .execute();
      await audit(this.context, trx, { actor, action: 'service.liability-cap-set', target: `policy:${policyId}`, details: { subscriberType, capFen } }, now);
    });
    return { policyId, subscriberType, capFen };
  }

  async register(
    actor: string,
    input: { certificateSerial: string; amountFen: unknown; claimant: { name: string; contact: string }; description: string; subscriberType?: string },
  ): Promise<LiabilityClaim> {
    const serial = normaliseSerial(requiredText(input.certificateSerial, 'certificateSerial', 64));
    const amount = parseFen(input.amountFen, 'amountFen');
    const name = requiredText(input.claimant?.name, 'claimant.name', 64);
    const contact = requiredText(input.claimant?.contact, 'claimant.contact', 254);
    const description = requiredText(input.description, 'description', 10_000);
    const now = this.context.clock();
    const id = `clm-${randomUUID()}`;
    await this.context.db.transaction().execute(async (trx) => {
      const ledger = await this.openLedger(trx, serial, input.subscriberType, now);
      await trx
        .insertInto('service_liability_claims')
        .values({
          id,
          certificate_serial: serial,
          claimant: this.context.personalData.seal(JSON.stringify({ name, contact }), `claim:${id}`),
          description: this.context.personalData.seal(description, `claim:${id}:description`),
          amount_claimed_fen: amount,
          status: 'registered',
          paid_fen: 0,
          registered_at: now.toISOString(),
          registered_by: actor,
          decided_at: null,
          decided_by: null,
          decision_note: null,
        })
        .execute();
      await audit(this.context, trx, { actor, action: 'service.liability-claim-registered', target: `certificate:${serial}`, details: { claim: id, amountFen: amount, capFen: ledger.capFen } }, now);
    });
    return (await this.claim(id, true))!;
  }

  /**
   * Pays a registered claim (all of it, or `amountFen` of it). Refused with
   * nothing changed when the certificate's payouts would pass its cap.
   */
  async pay(actor: string, claimId: string, input: { amountFen?: unknown; note?: string } = {}): Promise<LiabilityClaim> {
    const note = optionalText(input.note, 'note', 1000);
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      await lockRow(trx, 'service_liability_claims', claimId);
      const claim = await this.claimRow(trx, claimId);
      if (claim.status !== 'registered') throw new SignetError('service.claim-decided', 409, { claim: claimId, status: claim.status });
      const amount = input.amountFen === undefined ? fen(claim.amount_claimed_fen) : parseFen(input.amountFen, 'amountFen');
      if (amount > fen(claim.amount_claimed_fen)) throw new SignetError('service.pay-more-than-claimed', 400, { claimed: formatYuan(fen(claim.amount_claimed_fen)) }, 'amountFen');
      // The decisive statement: only passes when the new total stays within the cap.
      const updated = await trx
        .updateTable('service_liability_ledgers')
        .set((eb) => ({ paid_fen: eb('paid_fen', '+', amount), updated_at: now.toISOString() }))
        .where('certificate_serial', '=', claim.certificate_serial)
        .where((eb) => eb(eb('paid_fen', '+', amount), '<=', eb.ref('cap_fen')))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        const ledger = await this.ledgerRow(trx, claim.certificate_serial);
        throw new SignetError('service.liability-cap-exceeded', 409, {
          serial: claim.certificate_serial,
          cap: formatYuan(fen(ledger.cap_fen)),
          paid: formatYuan(fen(ledger.paid_fen)),
          amount: formatYuan(amount),
        });
      }
      const decided = await trx
        .updateTable('service_liability_claims')
        .set({ status: 'paid', paid_fen: amount, decided_at: now.toISOString(), decided_by: actor, decision_note: note })
        .where('id', '=', claimId)
        .where('status', '=', 'registered')
        .executeTakeFirst();
      // Two payments of the same claim at once: the loser rolls back its ledger increment with this throw.
      if (Number(decided.numUpdatedRows) !== 1) throw new SignetError('service.claim-decided', 409, { claim: claimId, status: 'paid' });
      await audit(this.context, trx, { actor, action: 'service.liability-claim-paid', target: `certificate:${claim.certificate_serial}`, details: { claim: claimId, amountFen: amount } }, now);
    });
    return (await this.claim(claimId, true))!;
  }

  async reject(actor: string, claimId: string, input: { note: string }): Promise<LiabilityClaim> {
    const note = requiredText(input.note, 'note', 1000);
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      await lockRow(trx, 'service_liability_claims', claimId);
      const claim = await this.claimRow(trx, claimId);
      if (claim.status !== 'registered') throw new SignetError('service.claim-decided', 409, { claim: claimId, status: claim.status });
      await trx
        .updateTable('service_liability_claims')
        .set({ status: 'rejected', decided_at: now.toISOString(), decided_by: actor, decision_note: note })
        .where('id', '=', claimId)
        .execute();
      await audit(this.context, trx, { actor, action: 'service.liability-claim-rejected', target: `certificate:${claim.certificate_serial}`, details: { claim: claimId } }, now);
    });
    return (await this.claim(claimId, true))!;
  }

  async certificate(serialInput: string): Promise<CertificateLiability> {
    const serial = normaliseSerial(serialInput);
    const row = await this.context.db.selectFrom('service_liability_ledgers').selectAll().where('certificate_serial', '=', serial).executeTakeFirst();
    if (row) {
      return { certificateSerial: serial, subscriberType: row.subscriber_type, capFen: fen(row.cap_fen), paidFen: fen(row.paid_fen), remainingFen: fen(row.cap_fen) - fen(row.paid_fen) };
    }
    const { subscriberType, capFen } = await this.capFor(this.context.db, serial, undefined);
    return { certificateSerial: serial, subscriberType, capFen, paidFen: 0, remainingFen: capFen };
  }

  /** The claims register, claimants masked (R2). */
  async claims(filter: { certificateSerial?: string } = {}): Promise<LiabilityClaim[]> {
    let query = this.context.db.selectFrom('service_liability_claims').selectAll().orderBy('registered_at').orderBy('id');
    if (filter.certificateSerial) query = query.where('certificate_serial', '=', normaliseSerial(filter.certificateSerial));
    return (await query.execute()).map((row) => this.toClaim(row, true));
  }

  /** The certificate a claim is on: for the authorisation layer (issue 16). */
  async certificateOfClaim(id: string): Promise<string> {
    const row = await this.context.db.selectFrom('service_liability_claims').select('certificate_serial').where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('service.unknown-claim', 404, { claim: id.slice(0, 80) }, 'claimId');
    return row.certificate_serial;
  }

  async claim(id: string, masked: boolean): Promise<LiabilityClaim | undefined> {
    const row = await this.context.db.selectFrom('service_liability_claims').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.toClaim(row, masked) : undefined;
  }

  /** A claim with the claimant in full: audited (R2). */
  async readClaim(actor: string, id: string): Promise<LiabilityClaim & { description: string | null }> {
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await this.claimRow(trx, id);
      await audit(this.context, trx, { actor, action: 'service.liability-claim-read', target: `claim:${id}`, details: {} }, now);
      return { ...this.toClaim(row, false), description: row.description ? this.context.personalData.open(row.description, `claim:${id}:description`) : null };
    });
  }

  private async openLedger(trx: ServiceTx, serial: string, typeHint: string | undefined, now: Date): Promise<{ capFen: number }> {
    const existing = await trx.selectFrom('service_liability_ledgers').selectAll().where('certificate_serial', '=', serial).executeTakeFirst();
    if (existing) return { capFen: fen(existing.cap_fen) };
    const { subscriberType, capFen } = await this.capFor(trx, serial, typeHint);
    // Two first claims at once: one inserts, the other finds the row; the cap is fixed once per certificate.
    await trx
      .insertInto('service_liability_ledgers')
      .values({ certificate_serial: serial, subscriber_type: subscriberType, cap_fen: capFen, paid_fen: 0, updated_at: now.toISOString() })
      .onConflict((oc) => oc.column('certificate_serial').doNothing())
      .execute();
    return { capFen: fen((await this.ledgerRow(trx, serial)).cap_fen) };
  }

  /** The certificate's cap: its profile's subscriber type, the profile's policy cap, else the default policy's. */
  private async capFor(trx: ServiceTx, serial: string, typeHint: string | undefined): Promise<{ subscriberType: SubscriberType; capFen: number }> {
    const [certificate] = await this.context.ca.findCertificates({ serial }, trx as unknown as Tx);
    if (!certificate) throw new SignetError('service.unknown-certificate', 404, { serial }, 'certificateSerial');
    const profile = this.profile(certificate.profileId);
    if (profile.kind !== 'subscriber') throw new SignetError('service.not-a-subscriber-certificate', 409, { serial, profile: profile.id }, 'certificateSerial');
    const subscriberType = profile.subscriberType ?? (typeHint ? this.subscriberType(typeHint) : undefined);
    if (!subscriberType) throw new SignetError('service.subscriber-type-required', 400, { profile: profile.id }, 'subscriberType');
    const caps = await trx
      .selectFrom('service_liability_caps')
      .selectAll()
      .where('subscriber_type', '=', subscriberType)
      .where('policy_id', 'in', [profile.id, 'default'])
      .execute();
    const cap = caps.find((c) => c.policy_id === profile.id) ?? caps.find((c) => c.policy_id === 'default');
    if (!cap) throw new SignetError('service.no-liability-cap', 409, { profile: profile.id, type: subscriberType });
    return { subscriberType, capFen: fen(cap.cap_fen) };
  }

  private profile(id: string) {
    try {
      return this.context.ca.profiles.get(id);
    } catch {
      throw new SignetError('service.unknown-policy', 400, { policy: id }, 'policyId');
    }
  }

  private subscriberType(value: unknown): SubscriberType {
    if (!(SUBSCRIBER_TYPES as readonly unknown[]).includes(value)) throw new SignetError('service.bad-subscriber-type', 400, {}, 'subscriberType');
    return value as SubscriberType;
  }

  private async claimRow(trx: ServiceTx, id: string): Promise<LiabilityClaimTable> {
    const row = await trx.selectFrom('service_liability_claims').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('service.unknown-claim', 404, { claim: id }, 'claimId');
    return row;
  }

  private async ledgerRow(trx: ServiceTx, serial: string) {
    return trx.selectFrom('service_liability_ledgers').selectAll().where('certificate_serial', '=', serial).executeTakeFirstOrThrow();
  }

  private toClaim(row: LiabilityClaimTable, masked: boolean): LiabilityClaim {
    let claimant: LiabilityClaim['claimant'] = null;
    if (row.claimant) {
      const opened = JSON.parse(this.context.personalData.open(row.claimant, `claim:${row.id}`)) as { name: string; contact: string };
      claimant = masked ? { name: maskName(opened.name), contact: maskContact(opened.contact) } : opened;
    }
    return {
      id: row.id,
      certificateSerial: row.certificate_serial,
      claimant,
      amountClaimedFen: fen(row.amount_claimed_fen),
      status: row.status,
      paidFen: fen(row.paid_fen),
      registeredAt: row.registered_at,
      decidedAt: row.decided_at,
      decisionNote: row.decision_note,
    };
  }
}
