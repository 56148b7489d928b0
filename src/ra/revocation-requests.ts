import { SignetError } from '../i18n/signet-error.js';
import { audit, type RaContext } from './context.js';
import { actorOf, requireRole, requireScope, type Principal } from './roles.js';
import type { RevocationReasonName } from './revocation.js';
import { sha256Hex } from './secrets.js';

/** R7: what a subscriber may ask their RA for (key compromise or lost password, no longer wanted, entity ceased). */
export const SUBSCRIBER_REVOCATION_REASONS: readonly RevocationReasonName[] = ['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'superseded', 'unspecified'];

/**
 * R7 at the original RA: an officer of the subscriber's RA — after a merger
 * or withdrawal, the successor's (R18) — revokes on the subscriber's request.
 * The revocation itself is the status domain's; the RA checks who may ask.
 */
export class RevocationRequests {
  constructor(private readonly context: RaContext) {}

  async request(by: Principal, serialInput: string, input: { reason?: string; justification?: string }): Promise<{ serial: string; reason: RevocationReasonName }> {
    requireRole(by, ['ra-officer']);
    return this.requestFor(actorOf(by), serialInput, input, (subscriber) => requireScope(by, subscriber.ra_id), 'ra');
  }

  /**
   * The request itself, once `check` has refused callers who may not act for
   * the certificate's subscriber. What the subscriber declared (R8) is the
   * justification, kept in the status domain's record and in the audit chain.
   */
  async requestFor(
    actor: string,
    serialInput: string,
    input: { reason?: string; justification?: string },
    check: (subscriber: { id: string; ra_id: string }) => void,
    channel: 'ra' | 'portal',
  ): Promise<{ serial: string; reason: RevocationReasonName }> {
    const reason = input.reason as RevocationReasonName;
    if (!SUBSCRIBER_REVOCATION_REASONS.includes(reason)) {
      throw new SignetError('ra.bad-revocation-reason', 400, { known: SUBSCRIBER_REVOCATION_REASONS.join(', ') }, 'reason');
    }
    const certificate = await this.context.ca.certificate(serialInput);
    const subscriber = certificate.subscriber_id
      ? await this.context.db.selectFrom('ra_subscribers').select(['id', 'ra_id']).where('id', '=', certificate.subscriber_id).executeTakeFirst()
      : undefined;
    if (!subscriber) throw new SignetError('ra.not-a-subscriber-certificate', 409, { serial: certificate.serial }, 'serial');
    check(subscriber);
    const justification = input.justification?.trim() || (channel === 'portal' ? `subscriber's own request in the portal (RA ${subscriber.ra_id})` : `subscriber's request at RA ${subscriber.ra_id}`);
    await this.context.revoker.revokeCertificate({ serial: certificate.serial, reason, actor, justification, channel: channel === 'portal' ? 'subscriber' : 'ra' });
    const now = this.context.clock();
    await this.context.db.transaction().execute((trx) =>
      audit(this.context, trx, { actor, action: 'ra.revocation-requested', target: `subscriber:${subscriber.id}`, details: { serial: certificate.serial, reason, ra: subscriber.ra_id, channel, declarationSha256: sha256Hex(justification) } }, now),
    );
    return { serial: certificate.serial, reason };
  }
}
