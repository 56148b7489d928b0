import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { audit, type RaContext } from './context.js';
import { actorOf, requireRole, requireScope, type Principal } from './roles.js';
import type { ApprovalPolicy, RaOrganisationTable } from './schema.js';

export const APPROVAL_POLICIES: readonly ApprovalPolicy[] = ['two-person', 'single-person'];

export interface RaOrganisation {
  id: string;
  name: string;
  status: RaOrganisationTable['status'];
  successorId: string | null;
  createdAt: string;
  closedAt: string | null;
  closingReason: string | null;
  approvalPolicy: ApprovalPolicy;
}

export interface MembershipPeriod {
  subscriberId: string;
  raId: string;
  from: string;
  until: string | null;
  reason: string;
  predecessorRaId: string | null;
}

export interface Succession {
  ra: RaOrganisation;
  successor: RaOrganisation;
  subscribersMoved: number;
  applicationsMoved: number;
  changeRequestsMoved: number;
}

/** Work that is not finished yet and so follows the subscriber to the successor RA (R18). */
const PENDING_APPLICATION_STATES = ['submitted', 'in-review', 'approved'] as const;

/**
 * R18: many RAs under one CA. An RA that merges into another or withdraws
 * names a successor, which from that moment is the subscribers' RA (the
 * "original RA" of the agreement) and holds their unfinished work; the
 * memberships keep who was where, when.
 */
export class RaOrganisations {
  constructor(private readonly context: RaContext) {}

  async create(by: Principal, input: { name: string; approvalPolicy?: string }): Promise<RaOrganisation> {
    requireRole(by, ['ca-admin']);
    const name = input.name?.trim() ?? '';
    if (!name || [...name].length > 128) throw new SignetError('ra.bad-ra-name', 400, {}, 'name');
    const approvalPolicy = checkPolicy(input.approvalPolicy ?? 'single-person');
    const now = this.context.clock();
    const row: RaOrganisationTable = {
      id: `ra-${randomUUID().slice(0, 8)}`,
      name,
      status: 'active',
      successor_id: null,
      created_at: now.toISOString(),
      closed_at: null,
      closed_by: null,
      closing_reason: null,
      approval_policy: approvalPolicy,
    };
    await this.context.db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('ra_organisations').select('id').where('name', '=', name).executeTakeFirst();
      if (taken) throw new SignetError('ra.ra-name-taken', 409, { name }, 'name');
      await trx.insertInto('ra_organisations').values(row).execute();
      await audit(this.context, trx, { actor: actorOf(by), action: 'ra.created', target: `ra:${row.id}`, details: { name, approvalPolicy } }, now);
    });
    return toOrganisation(row);
  }

  /**
   * Issue 20: whether one officer may both register and approve. Set by a CA
   * administrator: an RA's own administrator relaxing the check on their own
   * officers would defeat it.
   */
  async setApprovalPolicy(by: Principal, raId: string, policyInput: string): Promise<RaOrganisation> {
    requireRole(by, ['ca-admin']);
    const policy = checkPolicy(policyInput);
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('ra_organisations').selectAll().where('id', '=', raId).executeTakeFirst();
      if (!row) throw new SignetError('ra.unknown-ra', 404, { ra: raId }, 'raId');
      if (row.status !== 'active') throw new SignetError('ra.closed', 409, { ra: raId }, 'raId');
      if (row.approval_policy === policy) return toOrganisation(row);
      await trx.updateTable('ra_organisations').set({ approval_policy: policy }).where('id', '=', raId).execute();
      await audit(this.context, trx, { actor: actorOf(by), action: 'ra.approval-policy-set', target: `ra:${raId}`, details: { from: row.approval_policy, to: policy } }, now);
      return toOrganisation({ ...row, approval_policy: policy });
    });
  }

  async list(): Promise<RaOrganisation[]> {
    const rows = await this.context.db.selectFrom('ra_organisations').selectAll().orderBy('created_at').execute();
    return rows.map(toOrganisation);
  }

  async get(raId: string): Promise<RaOrganisation> {
    const row = await this.context.db.selectFrom('ra_organisations').selectAll().where('id', '=', raId).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-ra', 404, { ra: raId }, 'raId');
    return toOrganisation(row);
  }

  merge(by: Principal, raId: string, input: { into: string; reason?: string }): Promise<Succession> {
    return this.close(by, raId, input.into, 'merged', input.reason);
  }

  withdraw(by: Principal, raId: string, input: { successor: string; reason?: string }): Promise<Succession> {
    return this.close(by, raId, input.successor, 'withdrawn', input.reason);
  }

  /** Who belonged to this RA, when, and where they came from or went (R18). */
  async history(by: Principal, raId: string): Promise<MembershipPeriod[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'auditor']);
    requireScope(by, raId);
    await this.get(raId);
    const rows = await this.context.db
      .selectFrom('ra_memberships')
      .selectAll()
      .where((eb) => eb.or([eb('ra_id', '=', raId), eb('predecessor_ra_id', '=', raId)]))
      .orderBy('from_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      subscriberId: r.subscriber_id,
      raId: r.ra_id,
      from: r.from_at,
      until: r.until_at,
      reason: r.reason,
      predecessorRaId: r.predecessor_ra_id,
    }));
  }

  private async close(by: Principal, raId: string, successorId: string, how: 'merged' | 'withdrawn', reasonInput?: string): Promise<Succession> {
    requireRole(by, ['ca-admin']);
    const field = how === 'merged' ? 'into' : 'successor';
    if (!successorId) throw new SignetError('ra.successor-required', 400, {}, field);
    if (successorId === raId) throw new SignetError('ra.successor-is-self', 400, {}, field);
    const reason = reasonInput?.trim() || null;
    const now = this.context.clock();
    const at = now.toISOString();
    return this.context.db.transaction().execute(async (trx) => {
      const ra = await trx.selectFrom('ra_organisations').selectAll().where('id', '=', raId).executeTakeFirst();
      if (!ra) throw new SignetError('ra.unknown-ra', 404, { ra: raId }, 'raId');
      if (ra.status !== 'active') throw new SignetError('ra.closed', 409, { ra: raId }, 'raId');
      const successor = await trx.selectFrom('ra_organisations').selectAll().where('id', '=', successorId).executeTakeFirst();
      if (!successor) throw new SignetError('ra.unknown-ra', 404, { ra: successorId }, field);
      if (successor.status !== 'active') throw new SignetError('ra.closed', 409, { ra: successorId }, field);

      await trx
        .updateTable('ra_organisations')
        .set({ status: how, successor_id: successorId, closed_at: at, closed_by: actorOf(by), closing_reason: reason })
        .where('id', '=', raId)
        .execute();
      // Earlier predecessors now point at the living successor, so "who is the original RA" is one hop.
      await trx.updateTable('ra_organisations').set({ successor_id: successorId }).where('successor_id', '=', raId).execute();

      const subscribers = await trx.selectFrom('ra_subscribers').select('id').where('ra_id', '=', raId).execute();
      for (const { id } of subscribers) {
        await trx.updateTable('ra_memberships').set({ until_at: at }).where('subscriber_id', '=', id).where('until_at', 'is', null).execute();
        await trx
          .insertInto('ra_memberships')
          .values({ id: randomUUID(), subscriber_id: id, ra_id: successorId, from_at: at, until_at: null, reason: how, predecessor_ra_id: raId })
          .execute();
      }
      await trx.updateTable('ra_subscribers').set({ ra_id: successorId }).where('ra_id', '=', raId).execute();
      const applications = await trx
        .updateTable('ra_applications')
        .set({ ra_id: successorId })
        .where('ra_id', '=', raId)
        .where('status', 'in', [...PENDING_APPLICATION_STATES])
        .executeTakeFirst();
      const changes = await trx
        .updateTable('ra_change_requests')
        .set({ ra_id: successorId })
        .where('ra_id', '=', raId)
        .where('status', '=', 'submitted')
        .executeTakeFirst();
      const succession = {
        subscribersMoved: subscribers.length,
        applicationsMoved: Number(applications.numUpdatedRows),
        changeRequestsMoved: Number(changes.numUpdatedRows),
      };
      await audit(
        this.context,
        trx,
        { actor: actorOf(by), action: `ra.${how}`, target: `ra:${raId}`, details: { successor: successorId, reason, ...succession } },
        now,
      );
      const closed = await trx.selectFrom('ra_organisations').selectAll().where('id', '=', raId).executeTakeFirstOrThrow();
      return { ra: toOrganisation(closed), successor: toOrganisation(successor), ...succession };
    });
  }
}

function toOrganisation(row: RaOrganisationTable): RaOrganisation {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    successorId: row.successor_id,
    createdAt: row.created_at,
    closedAt: row.closed_at,
    closingReason: row.closing_reason,
    approvalPolicy: row.approval_policy ?? 'single-person',
  };
}

function checkPolicy(policy: string): ApprovalPolicy {
  if (!(APPROVAL_POLICIES as readonly string[]).includes(policy)) throw new SignetError('ra.bad-approval-policy', 400, {}, 'approvalPolicy');
  return policy as ApprovalPolicy;
}
