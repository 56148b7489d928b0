import { sql } from 'kysely';
import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { publicStatusBySerial, type PublicCertificateStatus } from '../status/public-status.js';
import type { Application, Applications } from './applications.js';
import { applicationRow, toApplication } from './applications.js';
import type { ChangeRequest, ChangeRequests } from './changes.js';
import { AttemptCounter } from './attempts.js';
import { audit, type RaContext } from './context.js';
import type { Delegation, Delegations } from './delegations.js';
import type { Renewals } from './renewals.js';
import type { RevocationRequests } from './revocation-requests.js';
import type { RevocationReasonName } from './revocation.js';
import { actorOf, requireRole, type Principal } from './roles.js';
import type { RaSubscriberTable, RaTx } from './schema.js';
import { decoyHash, hashSecret, newToken, randomCode, randomDigits, sha256Hex, verifySecret } from './secrets.js';
import { subscriberRow, toDocument, toSubscriber, validateSubscriberRecord, type ConsentInput, type StoredDocument, type Subscriber, type SubscriberRegistry, type SubscriberVersion } from './subscribers.js';

/** The subscriber as the portal knows them once they proved their tracking code. */
export interface PortalSubscriber {
  subscriberId: string;
  raId: string;
  /** How they appear in the audit log and in every record they make. */
  actor: string;
}

/** Shown once, at registration (or when the RA issues a new one): the subscriber's own way back in. */
export interface PortalAccess {
  trackingNumber: string;
  trackingCode: string;
}

export interface PortalSession {
  token: string;
  expiresAt: string;
  subscriber: Subscriber;
}

export interface SelfRegistration {
  raId?: string;
  record?: unknown;
  consent?: ConsentInput;
  purpose?: string;
  keyGeneration?: string;
}

export interface PortalCertificate extends PublicCertificateStatus {
  profileId: string;
}

const TOKEN_PREFIX = 'sgp';

/** Every registration's answer carries it, so the answer is the same whether or not the identity number was on file. */
export const REGISTRATION_NOTICE = {
  'zh-CN': '请妥善保存跟踪号和跟踪码，它们只显示这一次。如果该证件号码此前已注册，它们将无法使用：我们已通过档案中的联系方式通知该订户，请使用原有凭据登录或请注册机构重新签发。',
  en: 'Keep the tracking number and code: they are shown only this once. If this identity number was registered before, they will not work: the subscriber has been told at the contact on file; sign in with the access given then, or ask the registration authority for new access.',
} as const;

export interface SelfRegistered {
  subscriber: Subscriber;
  application: Application;
  access: PortalAccess;
  notice: typeof REGISTRATION_NOTICE;
}

/**
 * R0, R1, R3, R6, R7, R16 without an officer in between: the subscriber
 * registers and applies themselves, then comes back with the tracking number
 * and code they were given (the code stored only as a scrypt hash, locked
 * after repeated wrong codes, like the download credential of R4) to follow
 * the application and act on their own certificates. Every step is the RA's
 * own rule (registration, change report, delegation, renewal, revocation),
 * called with the subscriber as the actor and only on what is theirs.
 *
 * The download credential is not shown here: the RA hands it over after
 * approval (R4), so knowing the tracking code alone never yields a
 * certificate.
 */
export class SelfService {
  private readonly attempts: AttemptCounter;

  constructor(
    private readonly context: RaContext,
    private readonly subscribers: SubscriberRegistry,
    private readonly applications: Applications,
    private readonly changes: ChangeRequests,
    private readonly delegations: Delegations,
    private readonly renewals: Renewals,
    private readonly revocations: RevocationRequests,
  ) {
    this.attempts = new AttemptCounter(context.db, context.clock);
  }

  /** The RAs a subscriber may choose when registering: the active ones. */
  async organisations(): Promise<Array<{ id: string; name: string }>> {
    return this.context.db.selectFrom('ra_organisations').select(['id', 'name']).where('status', '=', 'active').orderBy('name').execute();
  }

  /**
   * Self-registration: the record with the same validation as at the RA's
   * counter, consent to the agreement in force (R0), and the first
   * application, all in one transaction with the portal access.
   */
  async register(input: SelfRegistration, clientAddress: string | null): Promise<SelfRegistered> {
    const raId = typeof input.raId === 'string' ? input.raId : '';
    if (!raId) throw new SignetError('ra.field-required', 400, { field: fieldWords('raId') }, 'raId');
    const record = validateSubscriberRecord(input.record);
    const choice = this.applications.choose(record.type, { purpose: String(input.purpose ?? ''), keyGeneration: input.keyGeneration });
    const ra = await this.context.db.selectFrom('ra_organisations').select('status').where('id', '=', raId).executeTakeFirst();
    if (!ra || ra.status !== 'active') throw new SignetError('ra.portal-unknown-ra', 400, { ra: raId }, 'raId');
    const actor = 'subscriber:self-registration';
    const access: PortalAccess = { trackingNumber: randomDigits(16), trackingCode: randomCode(12) };
    const codeHash = await hashSecret(access.trackingCode);
    const application = (subscriberId: string, now: Date) =>
      applicationRow(`subscriber:${subscriberId}`, { subscriberId, raId, kind: 'new', purpose: choice.purpose, profileId: choice.profile.id, keyGeneration: choice.keyGeneration, version: 1, replacesSerial: null }, now);
    try {
      const { subscriber, extra } = await this.subscribers.registerAt(raId, actor, { record, consent: input.consent }, clientAddress, async (trx, row, now) => {
        await this.storeAccess(trx, row.id, access.trackingNumber, codeHash, actor, now);
        return this.applications.insertRow(trx, application(row.id, now), now);
      });
      return { subscriber, application: extra, access, notice: REGISTRATION_NOTICE };
    } catch (error) {
      if (!(error instanceof SignetError && error.code === 'ra.subscriber-exists')) throw error;
      // The identity number is already a subscriber's (issue 16 §3). The
      // stranger at the public door is answered exactly as a new registrant
      // (same status, same shape, same scrypt spent above), with a tracking
      // code that was never stored, so it opens nothing; the subscriber hears
      // of it at the contact on file, and the attempt is audited.
      const existing = String(error.params.subscriber);
      const now = this.context.clock();
      await this.context.db.transaction().execute((trx) =>
        audit(this.context, trx, { actor, action: 'ra.portal-registration-of-existing', target: `subscriber:${existing}`, details: { ra: raId, clientAddress } }, now),
      );
      await this.context.notices?.registrationAttempted(existing, now);
      const decoy = subscriberRow(this.context.personalData, raId, actor, record, now);
      return { subscriber: toSubscriber(decoy), application: toApplication(application(decoy.id, now)), access, notice: REGISTRATION_NOTICE };
    }
  }

  /** For subscribers registered at the counter, or locked out: an officer of their RA gives them new portal access. */
  async issueAccess(by: Principal, subscriberId: string): Promise<PortalAccess> {
    requireRole(by, ['ra-officer']);
    const subscriber = await this.subscribers.row(by, subscriberId);
    const access: PortalAccess = { trackingNumber: randomDigits(16), trackingCode: randomCode(12) };
    const codeHash = await hashSecret(access.trackingCode);
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('ra_portal_access').where('subscriber_id', '=', subscriber.id).execute();
      await trx.updateTable('ra_portal_sessions').set({ ended_at: now.toISOString() }).where('subscriber_id', '=', subscriber.id).where('ended_at', 'is', null).execute();
      await this.storeAccess(trx, subscriber.id, access.trackingNumber, codeHash, actorOf(by), now);
    });
    return access;
  }

  private async storeAccess(trx: RaTx, subscriberId: string, trackingNumber: string, codeHash: string, actor: string, now: Date): Promise<void> {
    await trx
      .insertInto('ra_portal_access')
      .values({ subscriber_id: subscriberId, tracking_number: trackingNumber, code_hash: codeHash, status: 'active', failed_attempts: 0, issued_at: now.toISOString(), issued_by: actor })
      .execute();
    await audit(this.context, trx, { actor, action: 'ra.portal-access-issued', target: `subscriber:${subscriberId}`, details: { trackingNumber } }, now);
  }

  /** Forgets the counts of portal access that is locked or was replaced: refused before any code is looked at (issue 16). */
  async pruneAttempts(): Promise<number> {
    return this.attempts.pruneDead('portal:', (number) => sql<boolean>`EXISTS (SELECT 1 FROM ra_portal_access a WHERE a.tracking_number = ${number} AND a.status = 'active')`);
  }

  /**
   * Tracking number + code → a bearer token for this browser tab (stored as
   * SHA-256). A wrong code counts and the last allowed one locks the access;
   * the RA then issues a new one.
   */
  async signIn(trackingNumberInput: unknown, trackingCodeInput: unknown, clientAddress: string | null): Promise<PortalSession> {
    const trackingNumber = typeof trackingNumberInput === 'string' ? trackingNumberInput.replace(/\s+/g, '') : '';
    const code = typeof trackingCodeInput === 'string' ? trackingCodeInput.replace(/[\s-]/g, '').toUpperCase() : '';
    const max = this.context.settings.credentialMaxAttempts;
    // One answer for an unknown number, a wrong code and a locked access, after the same work (attempts.ts).
    const refused = () => new SignetError('ra.portal-access-refused', 403, { max }, 'trackingCode');
    const row = /^\d{16}$/.test(trackingNumber)
      ? await this.context.db.selectFrom('ra_portal_access').selectAll().where('tracking_number', '=', trackingNumber).executeTakeFirst()
      : undefined;
    const key = `portal:${trackingNumber}`;
    const taken = row ? await this.attempts.take(key, { limit: max }) : null;
    if (!row || !taken || row.status === 'locked') {
      await verifySecret(code, await decoyHash());
      throw refused();
    }
    const now = this.context.clock();
    if (!(await verifySecret(code, row.code_hash))) {
      await this.context.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('ra_portal_access')
          .set({ failed_attempts: taken.attempt, ...(taken.last ? { status: 'locked' as const } : {}) })
          .where('subscriber_id', '=', row.subscriber_id)
          .where('tracking_number', '=', trackingNumber)
          .where('status', '=', 'active')
          .execute();
        await audit(
          this.context,
          trx,
          { actor: 'subscriber:tracking-code-holder', action: taken.last ? 'ra.portal-access-locked' : 'ra.portal-wrong-code', target: `subscriber:${row.subscriber_id}`, details: { attempts: taken.attempt } },
          now,
        );
      });
      throw refused();
    }
    await this.attempts.clear(key);
    const token = newToken(TOKEN_PREFIX);
    const expiresAt = new Date(now.getTime() + this.context.settings.sessionHours * 3_600_000).toISOString();
    const subscriber = await this.context.db.selectFrom('ra_subscribers').selectAll().where('id', '=', row.subscriber_id).executeTakeFirstOrThrow();
    await this.context.db.transaction().execute(async (trx) => {
      await trx.updateTable('ra_portal_access').set({ failed_attempts: 0 }).where('subscriber_id', '=', row.subscriber_id).where('status', '=', 'active').execute();
      await trx
        .insertInto('ra_portal_sessions')
        .values({ token_sha256: sha256Hex(token), subscriber_id: row.subscriber_id, created_at: now.toISOString(), expires_at: expiresAt, ended_at: null, client_address: clientAddress })
        .execute();
      await audit(this.context, trx, { actor: `subscriber:${row.subscriber_id}`, action: 'ra.portal-signed-in', target: `subscriber:${row.subscriber_id}`, details: { clientAddress } }, now);
    });
    return { token, expiresAt, subscriber: toSubscriber(subscriber) };
  }

  async signOut(token: string): Promise<void> {
    await this.context.db.updateTable('ra_portal_sessions').set({ ended_at: this.context.clock().toISOString() }).where('token_sha256', '=', sha256Hex(token)).where('ended_at', 'is', null).execute();
  }

  /** Who holds this token: a live session, or 401. */
  async principal(token: string | undefined): Promise<PortalSubscriber> {
    if (!token || !token.startsWith(`${TOKEN_PREFIX}_`)) throw new SignetError('ra.portal-sign-in-required', 401);
    const now = this.context.clock().toISOString();
    const session = await this.context.db
      .selectFrom('ra_portal_sessions')
      .innerJoin('ra_subscribers', 'ra_subscribers.id', 'ra_portal_sessions.subscriber_id')
      .select(['ra_portal_sessions.subscriber_id', 'ra_portal_sessions.expires_at', 'ra_portal_sessions.ended_at', 'ra_subscribers.ra_id'])
      .where('ra_portal_sessions.token_sha256', '=', sha256Hex(token))
      .executeTakeFirst();
    if (!session || session.ended_at !== null || session.expires_at <= now) throw new SignetError('ra.portal-sign-in-required', 401);
    return { subscriberId: session.subscriber_id, raId: session.ra_id, actor: `subscriber:${session.subscriber_id}` };
  }

  /** The subscriber's own record as on file now; reading it in full is audited like any read of personal data (R2). */
  async record(p: PortalSubscriber): Promise<Subscriber & { record: SubscriberVersion }> {
    const row = await this.own(p);
    const version = await this.subscribers.currentRecord(row.id);
    const now = this.context.clock();
    await this.context.db.transaction().execute((trx) =>
      audit(this.context, trx, { actor: p.actor, action: 'ra.subscriber-read', target: `subscriber:${row.id}`, details: { version: version.version, channel: 'portal' } }, now),
    );
    return { ...toSubscriber(row), record: version };
  }

  /** The applications, newest first: where each stands, and why it was refused. */
  async applicationsOf(p: PortalSubscriber): Promise<Application[]> {
    const rows = await this.context.db.selectFrom('ra_applications').selectAll().where('subscriber_id', '=', p.subscriberId).orderBy('submitted_at', 'desc').execute();
    return rows.map(toApplication);
  }

  /** The subscriber's certificates with their status as anyone may see it (R16). */
  async certificates(p: PortalSubscriber): Promise<PortalCertificate[]> {
    const rows = await this.context.ca.findCertificates({ subscriberId: p.subscriberId });
    const out: PortalCertificate[] = [];
    for (const row of rows) out.push({ ...(await publicStatusBySerial(this.context.ca, row.serial)), profileId: row.profileId });
    return out.sort((a, b) => b.notBefore.localeCompare(a.notBefore));
  }

  /** The serial of one of the subscriber's own certificates; anyone else's, or none, is the same 404. */
  async ownCertificate(p: PortalSubscriber, serialInput: unknown): Promise<string> {
    const serial = String(serialInput ?? '').trim();
    if (!serial) throw new SignetError('ra.field-required', 400, { field: fieldWords('serial') }, 'serial');
    const [found] = await this.context.ca.findCertificates({ serial, subscriberId: p.subscriberId, limit: 1 }).catch(() => []);
    if (!found) throw new SignetError('ra.portal-unknown-certificate', 404, { serial: serial.slice(0, 80) }, 'serial');
    return found.serial;
  }

  /** R7: the subscriber asks for revocation themselves; OCSP says "revoked" before this returns. */
  async requestRevocation(p: PortalSubscriber, serialInput: unknown, input: { reason?: string; justification?: string }): Promise<{ serial: string; reason: RevocationReasonName }> {
    const serial = await this.ownCertificate(p, serialInput);
    return this.revocations.requestFor(p.actor, serial, input, (subscriber) => this.mustBe(p, subscriber.id), 'portal');
  }

  /** R3: the report goes to the RA's review queue; nothing on file changes until an officer approves it. */
  async reportChange(p: PortalSubscriber, changes: Record<string, unknown> | undefined): Promise<ChangeRequest> {
    return this.changes.submitFor(p.actor, () => this.own(p), { changes });
  }

  async changesOf(p: PortalSubscriber): Promise<ChangeRequest[]> {
    return this.changes.of(p.subscriberId);
  }

  /** R1, R6: a supporting document (the letter of authorisation for an agent), kept with its SHA-256. */
  async addDocument(p: PortalSubscriber, input: { kind: string; filename: string; mediaType: string; content: Uint8Array }): Promise<StoredDocument> {
    return this.subscribers.storeDocument(p.actor, () => this.own(p), input);
  }

  async documentsOf(p: PortalSubscriber): Promise<StoredDocument[]> {
    const rows = await this.context.db
      .selectFrom('ra_documents')
      .select(['id', 'subscriber_id', 'kind', 'filename', 'media_type', 'size', 'sha256', 'uploaded_at'])
      .where('subscriber_id', '=', p.subscriberId)
      .orderBy('uploaded_at')
      .execute();
    return rows.map((r) => toDocument({ ...r, size: Number(r.size) }));
  }

  /** R6: the subscriber authorises an agent (scope, expiry, the signed letter as evidence). */
  async authoriseAgent(p: PortalSubscriber, input: Parameters<Delegations['createFor']>[2]): Promise<Delegation> {
    return this.delegations.createFor(p.actor, () => this.own(p), input);
  }

  async delegationsOf(p: PortalSubscriber): Promise<Delegation[]> {
    return this.delegations.of(p.subscriberId);
  }

  async endDelegation(p: PortalSubscriber, delegationId: string): Promise<Delegation> {
    return this.delegations.revokeFor(p.actor, delegationId, async (subscriberId) => subscriberId === p.subscriberId);
  }

  /**
   * A new application from a subscriber already on file, typically after
   * their certificate was revoked or expired (issue 20): registering again
   * is not the way, as they are known. Refused while an application is still
   * open, or while a certificate for the same purpose is in force (that one
   * is renewed instead). A newer agreement than the one they accepted needs
   * their consent again (R0).
   */
  async applyAgain(p: PortalSubscriber, input: { purpose?: string; keyGeneration?: string; consent?: ConsentInput }, clientAddress: string | null = null): Promise<Application> {
    const row = await this.own(p);
    const choice = this.applications.choose(row.type, { purpose: String(input.purpose ?? ''), keyGeneration: input.keyGeneration });
    const now = this.context.clock();
    const open = await this.context.db
      .selectFrom('ra_applications')
      .select('id')
      .where('subscriber_id', '=', row.id)
      .where('status', 'in', ['submitted', 'in-review', 'approved'])
      .executeTakeFirst();
    if (open) throw new SignetError('ra.portal-application-open', 409, { application: open.id });
    const inForce = (await this.certificates(p)).find((c) => c.profileId === choice.profile.id && c.status === 'good');
    if (inForce) throw new SignetError('ra.portal-certificate-in-force', 409, { serial: inForce.serial }, 'purpose');
    const current = await this.context.agreements.requireCurrent(now);
    const accepted = (await this.context.agreements.acceptances(row.id)).some((a) => a.versionId === current.id);
    if (!accepted) await this.subscribers.requireConsent(input.consent, now);
    return this.context.db.transaction().execute(async (trx) => {
      if (!accepted) {
        await this.context.agreements.recordAcceptance(trx, { versionId: current.id, subscriberId: row.id, raId: row.ra_id, channel: 'explicit', clientAddress, recordedBy: p.actor }, now);
      }
      return this.applications.insert(
        trx,
        p.actor,
        { subscriberId: row.id, raId: row.ra_id, kind: 'new', purpose: choice.purpose, profileId: choice.profile.id, keyGeneration: choice.keyGeneration, version: row.current_version, replacesSerial: null },
        now,
      );
    });
  }

  /** R16: renewal or re-key of one of the subscriber's certificates: an application the RA reviews. */
  async renew(p: PortalSubscriber, serialInput: unknown, input: { rekey?: boolean }): Promise<Application> {
    const serial = await this.ownCertificate(p, serialInput);
    return this.renewals.requestFor(p.actor, serial, input, (subscriber) => this.mustBe(p, subscriber.id));
  }

  private mustBe(p: PortalSubscriber, subscriberId: string): void {
    if (subscriberId !== p.subscriberId) throw new SignetError('ra.portal-unknown-certificate', 404, { serial: '-' }, 'serial');
  }

  private async own(p: PortalSubscriber): Promise<RaSubscriberTable> {
    const row = await this.context.db.selectFrom('ra_subscribers').selectAll().where('id', '=', p.subscriberId).executeTakeFirst();
    if (!row) throw new SignetError('ra.portal-sign-in-required', 401);
    return row;
  }
}
