import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { personOf, type Applications, type Purpose } from './applications.js';
import { certificateContentChanged } from './certificate-subject.js';
import { audit, type RaContext } from './context.js';
import type { DownloadCredential, DownloadCredentials } from './download-credentials.js';
import { actorOf, requireRole, requireScope, type Principal } from './roles.js';
import type { RaChangeRequestTable, RaSubscriberTable } from './schema.js';
import type { Tx } from '../store/database.js';
import { openChange, sealField, sealRecord } from './personal-data.js';
import { maskEmail, maskName, maskPhone } from '../service/personal-data.js';
import { identifierCandidates, identifierOf, maskIdentifier, subscriberColumns, validateSubscriberRecord, type SubscriberRegistry, type SubscriberRecord } from './subscribers.js';

export interface ChangeRequest {
  id: string;
  subscriberId: string;
  raId: string;
  changes: Record<string, unknown>;
  status: RaChangeRequestTable['status'];
  baseVersion: number;
  submittedBy: string;
  submittedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** True in lists: the reported values are masked (R2); `get` gives them in full, as an audited read. */
  masked: boolean;
}

export interface ChangeApproval {
  change: ChangeRequest;
  version: number;
  /** The certificates that said the old information, revoked with affiliationChanged. */
  revoked: string[];
  /** One re-issue application per revoked certificate, approved, each with its new credential (shown once). */
  reissues: Array<{ applicationId: string; replaces: string; credential: DownloadCredential }>;
  /** Whether the change alters what a certificate says (name, identifier…), whatever certificates there are. */
  certificateContentChanged: boolean;
  /** Certificates of the subscriber still in force after the decision: what "stay valid" may be said of. */
  certificatesInForce: number;
}

/**
 * R3: the subscriber reports changed information; the RA reviews it; the
 * record gets a new version (who, when, old, new) and what was on file at
 * any date stays provable. Where the change alters what a certificate says,
 * the certificate is revoked and a new one is issued through a fresh
 * credential.
 */
export class ChangeRequests {
  constructor(
    private readonly context: RaContext,
    private readonly subscribers: SubscriberRegistry,
    private readonly applications: Applications,
    private readonly credentials: DownloadCredentials,
  ) {}

  async submit(by: Principal, subscriberId: string, input: { changes?: Record<string, unknown> }): Promise<ChangeRequest> {
    requireRole(by, ['ra-officer']);
    return this.submitFor(actorOf(by), () => this.subscribers.row(by, subscriberId), input);
  }

  /** The report itself, once the caller has decided who may make it (an officer of the RA, or the subscriber in the portal). */
  async submitFor(actor: string, find: () => Promise<RaSubscriberTable>, input: { changes?: Record<string, unknown> }): Promise<ChangeRequest> {
    const changes = input.changes;
    if (!changes || typeof changes !== 'object' || Object.keys(changes).length === 0) {
      throw new SignetError('ra.field-required', 400, { field: fieldWords('changes') }, 'changes');
    }
    if ('type' in changes) throw new SignetError('ra.type-immutable', 400, {}, 'changes.type');
    const subscriber = await find();
    const current = await this.subscribers.currentRecord(subscriber.id);
    // The result must be a valid record: errors show now, naming the field, not at approval.
    validateSubscriberRecord(merge(current.record, changes));
    const now = this.context.clock();
    const row: RaChangeRequestTable = {
      id: `chg-${randomUUID()}`,
      subscriber_id: subscriber.id,
      ra_id: subscriber.ra_id,
      changes: JSON.stringify(changes),
      status: 'submitted',
      base_version: current.version,
      submitted_by: actor,
      submitted_at: now.toISOString(),
      decided_by: null,
      decided_at: null,
      decision_reason: null,
    };
    await this.context.db.transaction().execute(async (trx) => {
      // The new values are personal data (a new name, a new ID number): sealed at rest (R2).
      await trx.insertInto('ra_change_requests').values({ ...row, changes: sealField(this.context.personalData, row.changes, `ra-change:${row.id}`) }).execute();
      await audit(this.context, trx, { actor, action: 'ra.change-submitted', target: `subscriber:${subscriber.id}`, details: { change: row.id, fields: Object.keys(changes) } }, now);
    });
    return toChange(row);
  }

  /** The RA's list: which fields each report changes, their new values masked like every list (R2). */
  async list(by: Principal, filter: { subscriberId?: string; status?: string } = {}): Promise<ChangeRequest[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    let query = this.context.db.selectFrom('ra_change_requests').selectAll().orderBy('submitted_at');
    if (by.raId !== null) query = query.where('ra_id', '=', by.raId);
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    if (filter.status) query = query.where('status', '=', filter.status as RaChangeRequestTable['status']);
    return (await query.execute()).map((r) => {
      const change = toChange(openChange(this.context.personalData, r));
      return { ...change, changes: maskChanges(change.changes), masked: true };
    });
  }

  /**
   * One report with its new values in full, for the officer deciding it or an
   * auditor: a full read of personal data, so it is itself audited (R2, R20).
   */
  async get(by: Principal, changeId: string): Promise<ChangeRequest> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    const row = await this.context.db.selectFrom('ra_change_requests').selectAll().where('id', '=', changeId).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-change', 404, { change: changeId }, 'changeId');
    requireScope(by, row.ra_id);
    const now = this.context.clock();
    await this.context.db.transaction().execute((trx) =>
      audit(this.context, trx, { actor: actorOf(by), action: 'ra.change-read', target: `subscriber:${row.subscriber_id}`, details: { change: row.id } }, now),
    );
    return toChange(openChange(this.context.personalData, row));
  }

  /** A subscriber's change reports, newest first, for callers that checked who may see them (the portal). */
  async of(subscriberId: string): Promise<ChangeRequest[]> {
    const rows = await this.context.db.selectFrom('ra_change_requests').selectAll().where('subscriber_id', '=', subscriberId).orderBy('submitted_at', 'desc').execute();
    return rows.map((r) => toChange(openChange(this.context.personalData, r)));
  }

  async reject(by: Principal, changeId: string, input: { reason?: string }): Promise<ChangeRequest> {
    requireRole(by, ['ra-officer']);
    const reason = input.reason?.trim() ?? '';
    if (!reason) throw new SignetError('ra.reason-required', 400, {}, 'reason');
    const now = this.context.clock();
    return this.context.db.transaction().execute(async (trx) => {
      const row = await this.pending(by, changeId, trx);
      await trx
        .updateTable('ra_change_requests')
        .set({ status: 'rejected', decided_by: actorOf(by), decided_at: now.toISOString(), decision_reason: reason })
        .where('id', '=', row.id)
        .execute();
      await audit(this.context, trx, { actor: actorOf(by), action: 'ra.change-rejected', target: `subscriber:${row.subscriber_id}`, details: { change: row.id, reason } }, now);
      return toChange({ ...openChange(this.context.personalData, row), status: 'rejected', decided_by: actorOf(by), decided_at: now.toISOString(), decision_reason: reason });
    });
  }

  async approve(by: Principal, changeId: string, input: { note?: string } = {}): Promise<ChangeApproval> {
    requireRole(by, ['ra-officer']);
    const now = this.context.clock();
    const at = now.toISOString();
    const note = input.note?.trim() || null;
    // Asked before the transaction: the status domain reads through its own connection.
    const alreadyRevoked = await this.revokedCertificatesOf(changeId);
    const outcome = await this.context.db.transaction().execute(async (trx) => {
      const row = await this.pending(by, changeId, trx);
      // Issue 20: the RA's two-person rule holds for changes too (a change can revoke and re-issue certificates).
      const sameOfficer = personOf(row.submitted_by) === personOf(actorOf(by));
      const ra = await trx.selectFrom('ra_organisations').select('approval_policy').where('id', '=', row.ra_id).executeTakeFirst();
      if (sameOfficer && ra?.approval_policy === 'two-person') throw new SignetError('ra.two-person-required-change', 403, {}, 'changeId');
      const subscriber = await trx.selectFrom('ra_subscribers').selectAll().where('id', '=', row.subscriber_id).executeTakeFirstOrThrow();
      const current = await this.subscribers.currentRecord(subscriber.id, trx);
      if (current.version !== Number(row.base_version)) {
        throw new SignetError('ra.change-stale', 409, { base: row.base_version, current: current.version });
      }
      const before = current.record;
      const after = validateSubscriberRecord(merge(before, JSON.parse(openChange(this.context.personalData, row).changes) as Record<string, unknown>));
      const version = current.version + 1;
      await trx.updateTable('ra_subscriber_versions').set({ valid_until: at }).where('subscriber_id', '=', subscriber.id).where('version', '=', current.version).execute();
      await trx
        .insertInto('ra_subscriber_versions')
        .values({ subscriber_id: subscriber.id, version, data: sealRecord(this.context.personalData, subscriber.id, version, after), valid_from: at, valid_until: null, recorded_by: actorOf(by), change_request_id: row.id })
        .execute();
      if (identifierOf(after) !== identifierOf(before)) {
        const clash = await trx
          .selectFrom('ra_subscribers')
          .select('id')
          .where('type', '=', subscriber.type)
          .where('identifier', 'in', identifierCandidates(this.context.personalData, after))
          .where('id', '!=', subscriber.id)
          .executeTakeFirst();
        if (clash) throw new SignetError('ra.subscriber-exists', 409, { subscriber: clash.id }, after.type === 'enterprise' ? 'uscc' : 'idNumber');
      }
      await trx.updateTable('ra_subscribers').set({ ...subscriberColumns(this.context.personalData, after), current_version: version }).where('id', '=', subscriber.id).execute();
      await trx
        .updateTable('ra_change_requests')
        .set({ status: 'approved', decided_by: actorOf(by), decided_at: at, decision_reason: note })
        .where('id', '=', row.id)
        .execute();
      await audit(
        this.context,
        trx,
        // Field names only: the values live in the versions table, which retention (R2) can purge; the audit chain cannot be.
        { actor: actorOf(by), action: 'ra.change-approved', target: `subscriber:${subscriber.id}`, details: { change: row.id, version, fields: Object.keys(diff(before, after).new), ...(sameOfficer ? { warnings: ['same-officer'] } : {}) } },
        now,
      );

      const reissues: ChangeApproval['reissues'] = [];
      const affected: string[] = [];
      const contentChanged = certificateContentChanged(before, after);
      const live = (await this.context.ca.findCertificates({ subscriberId: subscriber.id, notAfterAfter: at }, trx as unknown as Tx)).filter((c) => !alreadyRevoked.has(c.serial));
      if (contentChanged) {
        for (const certificate of live) {
          affected.push(certificate.serial);
          const original = await trx
            .selectFrom('ra_applications')
            .select(['purpose', 'key_generation'])
            .where('certificate_serial', '=', certificate.serial)
            .executeTakeFirst();
          const purpose = (original?.purpose ?? (certificate.profileId.endsWith('encryption') ? 'encryption' : 'signing')) as Purpose;
          const application = await this.applications.insert(
            trx,
            by,
            {
              subscriberId: subscriber.id,
              raId: subscriber.ra_id,
              kind: 'reissue',
              purpose,
              profileId: certificate.profileId,
              keyGeneration: original?.key_generation ?? 'subscriber',
              version,
              replacesSerial: certificate.serial,
              status: 'approved',
            },
            now,
          );
          const credential = await this.credentials.issue(trx, application.id, now, actorOf(by));
          reissues.push({ applicationId: application.id, replaces: certificate.serial, credential });
        }
      }
      return {
        change: toChange({ ...openChange(this.context.personalData, row), status: 'approved' as const, decided_by: actorOf(by), decided_at: at, decision_reason: note }),
        version,
        revoked: affected,
        reissues,
        certificateContentChanged: contentChanged,
        certificatesInForce: live.length - affected.length,
      };
    });
    // The status domain revokes in its own transaction, once the new version is on file.
    for (const serial of outcome.revoked) {
      await this.context.revoker.revokeCertificate({
        serial,
        reason: 'affiliationChanged',
        actor: actorOf(by),
        justification: `subscriber information changed (change request ${changeId}); re-issued through a new credential`,
      });
    }
    return outcome;
  }

  private async revokedCertificatesOf(changeId: string): Promise<Set<string>> {
    const change = await this.context.db.selectFrom('ra_change_requests').select('subscriber_id').where('id', '=', changeId).executeTakeFirst();
    const revoked = new Set<string>();
    if (!change) return revoked;
    const certificates = await this.context.ca.findCertificates({ subscriberId: change.subscriber_id });
    for (const { serial } of certificates) if (await this.context.revoker.isRevoked(serial)) revoked.add(serial);
    return revoked;
  }

  private async pending(by: Principal, changeId: string, trx: Parameters<SubscriberRegistry['row']>[2]): Promise<RaChangeRequestTable> {
    const row = await trx!.selectFrom('ra_change_requests').selectAll().where('id', '=', changeId).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-change', 404, { change: changeId }, 'changeId');
    requireScope(by, row.ra_id);
    if (row.status !== 'submitted') throw new SignetError('ra.change-decided', 409, { status: row.status });
    return row;
  }
}

/** A change names top-level fields, or nested ones of the legal representative and agent. */
function merge(record: SubscriberRecord, changes: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = { ...record };
  for (const [key, value] of Object.entries(changes)) {
    const existing = out[key];
    out[key] = existing && typeof existing === 'object' && value && typeof value === 'object' ? { ...existing, ...(value as object) } : value;
  }
  return out;
}

function diff(before: SubscriberRecord, after: SubscriberRecord): { old: Record<string, unknown>; new: Record<string, unknown> } {
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  const old: Record<string, unknown> = {};
  const changed: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) {
      old[key] = b[key];
      changed[key] = a[key];
    }
  }
  return { old, new: changed };
}

/** A field's value as a list shows it: a person's name, ID number, phone and e-mail, and a USCC, masked; nested people too. */
export function maskChanges(changes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) out[key] = maskChanges(value as Record<string, unknown>);
    else if (typeof value !== 'string') out[key] = value;
    else if (key === 'name') out[key] = maskName(value);
    else if (key === 'idNumber' || key === 'uscc') out[key] = maskIdentifier(value);
    else if (key === 'phone') out[key] = maskPhone(value);
    else if (key === 'email') out[key] = maskEmail(value);
    else out[key] = value;
  }
  return out;
}

function toChange(row: RaChangeRequestTable): ChangeRequest {
  return {
    id: row.id,
    subscriberId: row.subscriber_id,
    raId: row.ra_id,
    changes: JSON.parse(row.changes) as Record<string, unknown>,
    status: row.status,
    baseVersion: Number(row.base_version),
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    masked: false,
  };
}
