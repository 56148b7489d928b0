import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { bothLocales } from '../i18n/messages.js';
import { audit, type RaContext } from './context.js';
import type { DownloadCredential, DownloadCredentials } from './download-credentials.js';
import { actorOf, requireRole, requireScope, type Principal } from './roles.js';
import type { ApprovalPolicy, RaApplicationTable, RaTx } from './schema.js';
import type { ConsentInput, SubscriberRegistry } from './subscribers.js';

export const PURPOSES = ['signing', 'encryption'] as const;
export type Purpose = (typeof PURPOSES)[number];

export interface Application {
  id: string;
  subscriberId: string;
  raId: string;
  kind: RaApplicationTable['kind'];
  purpose: Purpose;
  profileId: string;
  keyGeneration: RaApplicationTable['key_generation'];
  status: RaApplicationTable['status'];
  subscriberVersion: number;
  replacesSerial: string | null;
  submittedBy: string;
  submittedAt: string;
  reviewerId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  certificateSerial: string | null;
}

export interface NewApplication {
  subscriberId: string;
  purpose: string;
  keyGeneration?: string;
  /** Needed when a newer agreement version was published since the subscriber last consented (R0). */
  consent?: ConsentInput;
}

const OFFICER_ROLES = ['ra-officer'] as const;

/** What an approver should know before approving (issue 20): each recorded in the approval's audit entry. */
export type ApprovalWarning = 'same-officer' | 'no-documents';

export interface ApprovalCheck {
  /** The RA's setting: 'two-person' refuses the officer who registered the application. */
  policy: ApprovalPolicy;
  /** True when this officer may not approve it at all. */
  refused: boolean;
  warnings: ApprovalWarning[];
  /** Each warning (and the refusal) in words, both languages. */
  texts: { code: string; 'zh-CN': string; en: string }[];
}

/** The person behind an actor: the same operator acts as `operator:x` on the web and `cli:x` in the CLI. */
export function personOf(actor: string | null): string | null {
  return actor === null ? null : actor.replace(/^(operator|cli):/, '');
}
const REASON_LIMIT = 2000;

function checkPurpose(purpose: string): Purpose {
  if (!(PURPOSES as readonly string[]).includes(purpose)) throw new SignetError('ra.bad-purpose', 400, { known: PURPOSES.join(', ') }, 'purpose');
  return purpose as Purpose;
}

/** R17: the subscriber type and the purpose choose the profile. */
export function profileFor(type: 'individual' | 'enterprise', purpose: Purpose): string {
  return `${type}-${purpose}`;
}

/**
 * R4: the review workflow, submitted → in review → approved / rejected, by
 * officers of the subscriber's RA. Approval creates the download credential
 * in the same transaction.
 */
export class Applications {
  constructor(
    private readonly context: RaContext,
    private readonly subscribers: SubscriberRegistry,
    private readonly credentials: DownloadCredentials,
  ) {}

  async submit(by: Principal, input: NewApplication, clientAddress: string | null): Promise<Application> {
    requireRole(by, ['ra-officer', 'ra-admin']);
    checkPurpose(input.purpose);
    const subscriber = await this.subscribers.row(by, input.subscriberId);
    const { purpose, keyGeneration, profile } = this.choose(subscriber.type, input);
    const now = this.context.clock();
    const current = await this.context.agreements.requireCurrent(now);
    const accepted = (await this.context.agreements.acceptances(subscriber.id)).some((a) => a.versionId === current.id);
    if (!accepted) await this.subscribers.requireConsent(input.consent, now);
    return this.context.db.transaction().execute(async (trx) => {
      if (!accepted) {
        await this.context.agreements.recordAcceptance(
          trx,
          { versionId: current.id, subscriberId: subscriber.id, raId: subscriber.ra_id, channel: 'explicit', clientAddress: input.consent?.clientAddress?.trim() || clientAddress, recordedBy: actorOf(by) },
          now,
        );
      }
      return this.insert(trx, by, { subscriberId: subscriber.id, raId: subscriber.ra_id, kind: 'new', purpose, profileId: profile.id, keyGeneration, version: subscriber.current_version, replacesSerial: null }, now);
    });
  }

  /** What the application asks for, checked: purpose, who makes the key, and the profile they imply (R5, R17). */
  choose(type: 'individual' | 'enterprise', input: { purpose: string; keyGeneration?: string }) {
    const purpose = checkPurpose(input.purpose);
    const keyGeneration = input.keyGeneration ?? 'subscriber';
    if (keyGeneration !== 'subscriber' && keyGeneration !== 'server') throw new SignetError('ra.bad-key-generation', 400, {}, 'keyGeneration');
    const profile = this.context.ca.profiles.get(profileFor(type, purpose));
    if (keyGeneration === 'server' && !profile.serverKeyGeneration) {
      throw new SignetError('ra.server-keygen-not-allowed', 400, { profile: profile.id }, 'keyGeneration');
    }
    return { purpose, keyGeneration: keyGeneration as RaApplicationTable['key_generation'], profile };
  }

  /** A new application row with its audit entry; used by submission, renewal, re-issue and the portal (whose actor is the subscriber). */
  async insert(
    trx: RaTx,
    by: Principal | string,
    a: { subscriberId: string; raId: string; kind: RaApplicationTable['kind']; purpose: Purpose; profileId: string; keyGeneration: RaApplicationTable['key_generation']; version: number; replacesSerial: string | null; status?: RaApplicationTable['status'] },
    now: Date,
  ): Promise<Application> {
    return this.insertRow(trx, applicationRow(typeof by === 'string' ? by : actorOf(by), a, now), now);
  }

  /** Stores an application row built by applicationRow(), audited. */
  async insertRow(trx: RaTx, row: RaApplicationTable, now: Date): Promise<Application> {
    await trx.insertInto('ra_applications').values(row).execute();
    await audit(
      this.context,
      trx,
      {
        actor: row.submitted_by,
        action: 'ra.application-submitted',
        target: `application:${row.id}`,
        details: { subscriber: row.subscriber_id, kind: row.kind, profile: row.profile_id, replaces: row.replaces_serial, status: row.status },
      },
      now,
    );
    return toApplication(row);
  }

  async list(by: Principal, filter: { status?: string; subscriberId?: string } = {}): Promise<Application[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    let query = this.context.db.selectFrom('ra_applications').selectAll().orderBy('submitted_at');
    if (by.raId !== null) query = query.where('ra_id', '=', by.raId);
    if (filter.status) query = query.where('status', '=', filter.status as RaApplicationTable['status']);
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    return (await query.execute()).map(toApplication);
  }

  async get(by: Principal, id: string): Promise<Application> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    return toApplication(await this.row(by, id));
  }

  async startReview(by: Principal, id: string): Promise<Application> {
    return this.transition(by, id, ['submitted'], 'in-review', async (trx, row, now) => {
      await trx.updateTable('ra_applications').set({ status: 'in-review', reviewer_id: actorOf(by), review_started_at: now.toISOString() }).where('id', '=', row.id).execute();
      return { details: {} };
    });
  }

  /**
   * Approval yields the download credential, returned once and never again (R4).
   * Two-person rule (issue 20): under the RA's 'two-person' policy the officer
   * who registered the subscriber or submitted the application cannot approve
   * it; under 'single-person' they can, and the warning stays in the audit
   * entry beside "no supporting document on file".
   */
  async approve(by: Principal, id: string, input: { note?: string } = {}): Promise<{ application: Application; credential: DownloadCredential; warnings: ApprovalWarning[] }> {
    let credential: DownloadCredential | undefined;
    let warnings: ApprovalWarning[] = [];
    const application = await this.transition(by, id, ['in-review'], 'approved', async (trx, row, now) => {
      const check = await this.checkApproval(trx, by, row);
      if (check.refused) throw new SignetError('ra.two-person-required', 403, {}, 'applicationId');
      warnings = check.warnings;
      const note = input.note?.trim() || null;
      await trx
        .updateTable('ra_applications')
        .set({ status: 'approved', decided_by: actorOf(by), decided_at: now.toISOString(), decision_reason: note })
        .where('id', '=', row.id)
        .execute();
      credential = await this.credentials.issue(trx, row.id, now, actorOf(by));
      await this.context.notices?.applicationApproved(trx as never, { subscriberId: row.subscriber_id, applicationId: row.id, purpose: row.purpose, credentialExpiresAt: credential.expiresAt }, now);
      return { details: { note, warnings } };
    });
    return { application, credential: credential!, warnings };
  }

  /** What approve() would say to this officer now: refused, or the warnings it would record (shown before the officer decides). */
  async approvalCheck(by: Principal, id: string): Promise<ApprovalCheck> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    return this.checkApproval(this.context.db, by, await this.row(by, id));
  }

  private async checkApproval(trx: RaTx, by: Principal, row: RaApplicationTable): Promise<ApprovalCheck> {
    const ra = await trx.selectFrom('ra_organisations').select('approval_policy').where('id', '=', row.ra_id).executeTakeFirst();
    const policy: ApprovalPolicy = ra?.approval_policy ?? 'single-person';
    const subscriber = await trx.selectFrom('ra_subscribers').select('created_by').where('id', '=', row.subscriber_id).executeTakeFirst();
    const me = personOf(actorOf(by));
    // A renewal submitted by another officer is a second pair of eyes even if this one registered the subscriber years ago.
    const registeredByMe = personOf(row.submitted_by) === me || (row.kind === 'new' && personOf(subscriber?.created_by ?? null) === me);
    const documents = await trx.selectFrom('ra_documents').select(trx.fn.countAll().as('n')).where('subscriber_id', '=', row.subscriber_id).executeTakeFirstOrThrow();
    const refused = registeredByMe && policy === 'two-person';
    const warnings: ApprovalWarning[] = [];
    if (registeredByMe && !refused) warnings.push('same-officer');
    if (Number(documents.n) === 0) warnings.push('no-documents');
    const texts = [...(refused ? ['ra.two-person-required' as const] : []), ...warnings.map((w) => `ra.approval-warning.${w}` as const)].map((code) => ({ code, ...bothLocales(code) }));
    return { policy, refused, warnings, texts };
  }

  async reject(by: Principal, id: string, input: { reason?: string }): Promise<Application> {
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (!reason) throw new SignetError('ra.reason-required', 400, {}, 'reason');
    if (reason.length > REASON_LIMIT) throw new SignetError('ra.field-too-long', 400, { field: fieldWords('reason'), limit: REASON_LIMIT }, 'reason');
    return this.transition(by, id, ['submitted', 'in-review'], 'rejected', async (trx, row, now) => {
      await trx
        .updateTable('ra_applications')
        .set({ status: 'rejected', decided_by: actorOf(by), decided_at: now.toISOString(), decision_reason: reason })
        .where('id', '=', row.id)
        .execute();
      return { details: { reason } };
    });
  }

  /** A fresh credential for an approved application whose credential expired, locked or was lost. */
  async reissueCredential(by: Principal, id: string): Promise<DownloadCredential> {
    requireRole(by, OFFICER_ROLES);
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await this.row(by, id, trx);
      if (row.status !== 'approved') throw new SignetError('ra.bad-application-state', 409, { status: row.status, expected: 'approved' }, 'status');
      return this.credentials.issue(trx, row.id, now, actorOf(by));
    });
  }

  async row(by: Principal, id: string, trx: RaTx = this.context.db): Promise<RaApplicationTable> {
    const row = await trx.selectFrom('ra_applications').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-application', 404, { application: id }, 'applicationId');
    requireScope(by, row.ra_id);
    return row;
  }

  /**
   * One step of the workflow: only an officer of the application's RA, only
   * from the states named; the row is re-read under the transaction so two
   * officers deciding at once cannot both win.
   */
  private async transition(
    by: Principal,
    id: string,
    from: readonly RaApplicationTable['status'][],
    to: RaApplicationTable['status'],
    apply: (trx: RaTx, row: RaApplicationTable, now: Date) => Promise<{ details: Record<string, unknown> }>,
  ): Promise<Application> {
    requireRole(by, OFFICER_ROLES);
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await this.row(by, id, trx);
      if (!from.includes(row.status)) {
        throw new SignetError('ra.bad-application-state', 409, { status: row.status, expected: from.join(' / ') }, 'status');
      }
      const guard = await trx.updateTable('ra_applications').set({ status: to }).where('id', '=', row.id).where('status', '=', row.status).executeTakeFirst();
      if (Number(guard.numUpdatedRows) !== 1) throw new SignetError('ra.bad-application-state', 409, { status: 'changed', expected: from.join(' / ') }, 'status');
      const { details } = await apply(trx, row, now);
      await audit(this.context, trx, { actor: actorOf(by), action: `ra.application-${to}`, target: `application:${row.id}`, details: { from: row.status, ...details } }, now);
      const updated = await trx.selectFrom('ra_applications').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return toApplication(updated);
    });
  }
}

/** A new application's row as insert() stores it (also the shape the portal's uniform answer shows, self-service.ts). */
export function applicationRow(
  actor: string,
  a: { subscriberId: string; raId: string; kind: RaApplicationTable['kind']; purpose: Purpose; profileId: string; keyGeneration: RaApplicationTable['key_generation']; version: number; replacesSerial: string | null; status?: RaApplicationTable['status'] },
  now: Date,
): RaApplicationTable {
  return {
    id: `app-${randomUUID()}`,
    subscriber_id: a.subscriberId,
    ra_id: a.raId,
    kind: a.kind,
    purpose: a.purpose,
    profile_id: a.profileId,
    key_generation: a.keyGeneration,
    status: a.status ?? 'submitted',
    subscriber_version: a.version,
    replaces_serial: a.replacesSerial,
    submitted_by: actor,
    submitted_at: now.toISOString(),
    reviewer_id: null,
    review_started_at: null,
    decided_by: a.status === 'approved' ? actor : null,
    decided_at: a.status === 'approved' ? now.toISOString() : null,
    decision_reason: null,
    certificate_serial: null,
  };
}

export function toApplication(row: RaApplicationTable): Application {
  return {
    id: row.id,
    subscriberId: row.subscriber_id,
    raId: row.ra_id,
    kind: row.kind,
    purpose: row.purpose,
    profileId: row.profile_id,
    keyGeneration: row.key_generation,
    status: row.status,
    subscriberVersion: Number(row.subscriber_version),
    replacesSerial: row.replaces_serial,
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at,
    reviewerId: row.reviewer_id,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    certificateSerial: row.certificate_serial,
  };
}
