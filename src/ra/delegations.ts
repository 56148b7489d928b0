import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { audit, type RaContext } from './context.js';
import { validateIdDocument } from './identifiers.js';
import { openDelegation, sealField } from './personal-data.js';
import { maskName } from '../service/personal-data.js';
import { actorOf, requireRole, type Principal } from './roles.js';
import type { RaDelegationTable, RaSubscriberTable } from './schema.js';
import type { SubscriberRegistry } from './subscribers.js';

export const DELEGATION_SCOPES = ['download'] as const;
export type DelegationScope = (typeof DELEGATION_SCOPES)[number];

export interface Delegation {
  id: string;
  subscriberId: string;
  agentName: string;
  agentIdType: string;
  /** Masked: the full number is on the evidence document. */
  agentIdNumberMasked: string;
  scope: DelegationScope[];
  expiresAt: string;
  evidenceDocumentId: string;
  status: RaDelegationTable['status'];
  createdBy: string;
  createdAt: string;
}

/** Who presents themselves as the subscriber's agent at download time. */
export interface AgentClaim {
  delegationId: string;
  idType: string;
  idNumber: string;
}

const MAX_DELEGATION_DAYS = 366;

/**
 * R6: a subscriber authorises an agent (scope, expiry, evidence: the signed
 * letter of authorisation, stored as a document with its SHA-256). The agent
 * then proves who they are at download; everything is recorded.
 */
export class Delegations {
  constructor(
    private readonly context: RaContext,
    private readonly subscribers: SubscriberRegistry,
  ) {}

  async create(
    by: Principal,
    subscriberId: string,
    input: { agentName?: string; agentIdType?: string; agentIdNumber?: string; scope?: string[]; expiresAt?: string; evidenceDocumentId?: string },
  ): Promise<Delegation> {
    requireRole(by, ['ra-officer']);
    return this.createFor(actorOf(by), () => this.subscribers.row(by, subscriberId), input);
  }

  /** The delegation itself, once the caller decided who may grant it (an officer, or the subscriber in the portal). */
  async createFor(
    actor: string,
    find: () => Promise<RaSubscriberTable>,
    input: { agentName?: string; agentIdType?: string; agentIdNumber?: string; scope?: string[]; expiresAt?: string; evidenceDocumentId?: string },
  ): Promise<Delegation> {
    const agentName = input.agentName?.trim() ?? '';
    if (!agentName || [...agentName].length > 64) throw new SignetError('ra.field-required', 400, { field: fieldWords('agentName') }, 'agentName');
    const id = validateIdDocument(input.agentIdType ?? '', input.agentIdNumber ?? '', 'agentIdNumber');
    const scope = input.scope ?? [];
    if (scope.length === 0 || scope.some((s) => !(DELEGATION_SCOPES as readonly string[]).includes(s))) {
      throw new SignetError('ra.bad-delegation-scope', 400, { known: DELEGATION_SCOPES.join(', ') }, 'scope');
    }
    const now = this.context.clock();
    const expires = new Date(input.expiresAt ?? '');
    if (Number.isNaN(expires.getTime()) || expires <= now || expires.getTime() - now.getTime() > MAX_DELEGATION_DAYS * 86_400_000) {
      throw new SignetError('ra.bad-delegation-expiry', 400, { maxDays: MAX_DELEGATION_DAYS }, 'expiresAt');
    }
    const subscriber = await find();
    if (!input.evidenceDocumentId) throw new SignetError('ra.delegation-evidence-required', 400, {}, 'evidenceDocumentId');
    const evidence = await this.context.db
      .selectFrom('ra_documents')
      .select(['id', 'subscriber_id', 'sha256'])
      .where('id', '=', input.evidenceDocumentId)
      .executeTakeFirst();
    if (!evidence || evidence.subscriber_id !== subscriber.id) {
      throw new SignetError('ra.delegation-evidence-required', 400, {}, 'evidenceDocumentId');
    }
    const row: RaDelegationTable = {
      id: `dlg-${randomUUID()}`,
      subscriber_id: subscriber.id,
      agent_name: agentName,
      agent_id_type: id.type,
      agent_id_number: id.number,
      scope: JSON.stringify([...new Set(scope)]),
      expires_at: expires.toISOString(),
      evidence_document_id: evidence.id,
      status: 'active',
      created_by: actor,
      created_at: now.toISOString(),
    };
    const pd = this.context.personalData;
    const sealed = { ...row, agent_name: sealField(pd, row.agent_name, `ra-delegation:${row.id}:agent-name`), agent_id_number: sealField(pd, row.agent_id_number, `ra-delegation:${row.id}:agent-id`) };
    await this.context.db.transaction().execute(async (trx) => {
      await trx.insertInto('ra_delegations').values(sealed).execute();
      await audit(
        this.context,
        trx,
        { actor, action: 'ra.delegation-created', target: `subscriber:${subscriber.id}`, details: { delegation: row.id, scope, expiresAt: row.expires_at, evidence: evidence.id, evidenceSha256: evidence.sha256 } },
        now,
      );
    });
    return toDelegation(row);
  }

  async revoke(by: Principal, delegationId: string): Promise<Delegation> {
    requireRole(by, ['ra-officer']);
    return this.revokeFor(actorOf(by), delegationId, (subscriberId) => this.subscribers.row(by, subscriberId).then(() => true));
  }

  /** Ends a delegation when `allowed` says the caller may act for its subscriber; an unknown one and another's are the same 404. */
  async revokeFor(actor: string, delegationId: string, allowed: (subscriberId: string) => Promise<boolean>): Promise<Delegation> {
    const now = this.context.clock();
    const stored = await this.context.db.selectFrom('ra_delegations').selectAll().where('id', '=', delegationId).executeTakeFirst();
    const row = stored && openDelegation(this.context.personalData, stored);
    if (!row || !(await allowed(row.subscriber_id))) throw new SignetError('ra.unknown-delegation', 404, { delegation: delegationId }, 'delegationId');
    await this.context.db.transaction().execute(async (trx) => {
      await trx.updateTable('ra_delegations').set({ status: 'revoked' }).where('id', '=', row.id).execute();
      await audit(this.context, trx, { actor, action: 'ra.delegation-revoked', target: `subscriber:${row.subscriber_id}`, details: { delegation: row.id } }, now);
    });
    return toDelegation({ ...row, status: 'revoked' });
  }

  /** The RA's list: the agent's name masked like every list (R2); the subscriber sees their own agents in full (`of`). */
  async list(by: Principal, subscriberId: string): Promise<Delegation[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    await this.subscribers.row(by, subscriberId);
    return (await this.of(subscriberId)).map((d) => ({ ...d, agentName: maskName(d.agentName) }));
  }

  /** A subscriber's delegations, for callers that checked who may see them. */
  async of(subscriberId: string): Promise<Delegation[]> {
    const rows = await this.context.db.selectFrom('ra_delegations').selectAll().where('subscriber_id', '=', subscriberId).orderBy('created_at').execute();
    return rows.map((r) => toDelegation(openDelegation(this.context.personalData, r)));
  }

  /** The agent's claim holds: the delegation is the subscriber's, active, unexpired, covers the act, names this person. */
  async authorise(subscriberId: string, claim: AgentClaim, act: DelegationScope, now: Date): Promise<RaDelegationTable> {
    const stored = await this.context.db.selectFrom('ra_delegations').selectAll().where('id', '=', String(claim.delegationId ?? '')).executeTakeFirst();
    const row = stored && openDelegation(this.context.personalData, stored);
    const refuse = (why: string): never => {
      throw new SignetError('ra.delegation-invalid', 403, { why }, 'agent');
    };
    if (!row || row.subscriber_id !== subscriberId) return refuse('unknown');
    if (row.status !== 'active') refuse('revoked');
    if (row.expires_at <= now.toISOString()) refuse('expired');
    if (!(JSON.parse(row.scope) as string[]).includes(act)) refuse('scope');
    let given: { type: string; number: string };
    try {
      given = validateIdDocument(claim.idType ?? '', claim.idNumber ?? '', 'agent.idNumber');
    } catch {
      return refuse('identity');
    }
    if (given.type !== row.agent_id_type || given.number !== row.agent_id_number) refuse('identity');
    return row;
  }
}

function toDelegation(row: RaDelegationTable): Delegation {
  const n = row.agent_id_number;
  return {
    id: row.id,
    subscriberId: row.subscriber_id,
    agentName: row.agent_name,
    agentIdType: row.agent_id_type,
    agentIdNumberMasked: n.length > 8 ? `${n.slice(0, 4)}${'*'.repeat(n.length - 8)}${n.slice(-4)}` : `${n.slice(0, 1)}***`,
    scope: JSON.parse(row.scope) as DelegationScope[],
    expiresAt: row.expires_at,
    evidenceDocumentId: row.evidence_document_id,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}
