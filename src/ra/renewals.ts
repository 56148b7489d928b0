import { SignetError } from '../i18n/signet-error.js';
import type { Application, Applications, Purpose } from './applications.js';
import type { RaContext } from './context.js';
import { actorOf, requireRole, requireScope, type Principal } from './roles.js';
import type { RaSubscriberTable } from './schema.js';

/**
 * R16: renewal (same key, new validity) and re-key (new key; the old
 * certificate is revoked as superseded once the new one is downloaded), both
 * through the RA, before the certificate expires. The request is an
 * application like any other: reviewed, approved, then downloaded with a
 * credential.
 */
export class Renewals {
  constructor(
    private readonly context: RaContext,
    private readonly applications: Applications,
  ) {}

  async request(by: Principal, serialInput: string, input: { rekey?: boolean }): Promise<Application> {
    requireRole(by, ['ra-officer']);
    return this.requestFor(actorOf(by), serialInput, input, (subscriber) => requireScope(by, subscriber.ra_id));
  }

  /** The newest application replacing `serial`, for a door that polls while the officer reviews (EST 202 + Retry-After). */
  async latestReplacement(serial: string): Promise<{ id: string; status: Application['status']; kind: Application['kind']; decisionReason: string | null } | undefined> {
    const row = await this.context.db
      .selectFrom('ra_applications')
      .select(['id', 'status', 'kind', 'decision_reason'])
      .where('replaces_serial', '=', serial)
      .orderBy('submitted_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row && { id: row.id, status: row.status, kind: row.kind, decisionReason: row.decision_reason };
  }

  /** The renewal itself; `check` refuses callers who may not act for the certificate's subscriber (another RA, another subscriber). */
  async requestFor(actor: string, serialInput: string, input: { rekey?: boolean }, check: (subscriber: RaSubscriberTable) => void): Promise<Application> {
    const certificate = await this.context.ca.certificate(serialInput);
    if (!certificate.subscriber_id) throw new SignetError('ra.not-a-subscriber-certificate', 409, { serial: certificate.serial }, 'serial');
    const subscriber = await this.context.db.selectFrom('ra_subscribers').selectAll().where('id', '=', certificate.subscriber_id).executeTakeFirst();
    if (!subscriber) throw new SignetError('ra.not-a-subscriber-certificate', 409, { serial: certificate.serial }, 'serial');
    check(subscriber);
    const now = this.context.clock();
    if (certificate.not_after <= now.toISOString()) throw new SignetError('ra.certificate-expired', 409, { serial: certificate.serial, notAfter: certificate.not_after }, 'serial');
    if (await this.context.revoker.isRevoked(certificate.serial)) throw new SignetError('ra.certificate-revoked', 409, { serial: certificate.serial }, 'serial');
    const original = await this.context.db
      .selectFrom('ra_applications')
      .select(['purpose', 'key_generation'])
      .where('certificate_serial', '=', certificate.serial)
      .executeTakeFirst();
    const purpose = (original?.purpose ?? (certificate.profile_id.endsWith('encryption') ? 'encryption' : 'signing')) as Purpose;
    const open = await this.context.db
      .selectFrom('ra_applications')
      .select('id')
      .where('replaces_serial', '=', certificate.serial)
      .where('status', 'in', ['submitted', 'in-review', 'approved'])
      .executeTakeFirst();
    if (open) throw new SignetError('ra.replacement-pending', 409, { application: open.id }, 'serial');
    return this.context.db.transaction().execute((trx) =>
      this.applications.insert(
        trx,
        actor,
        {
          subscriberId: subscriber.id,
          raId: subscriber.ra_id,
          kind: input.rekey ? 'rekey' : 'renewal',
          purpose,
          profileId: certificate.profile_id,
          // A renewal keeps the key, so a server-generated key (which Signet forgot) can only be re-keyed.
          keyGeneration: input.rekey ? (original?.key_generation ?? 'subscriber') : 'subscriber',
          version: Number(subscriber.current_version),
          replacesSerial: certificate.serial,
        },
        now,
      ),
    );
  }
}
