import { NoResultError } from 'kysely';
import { SignetError } from '../i18n/signet-error.js';
import type { RegistrationAuthority } from '../ra/registration-authority.js';
import type { Principal } from '../ra/roles.js';
import { isMailAddress } from './mail-settings.js';
import type { RecipientAddresses, RecipientResolution } from './notification-delivery.js';

/** Delivery reads the RA's records as the system, with its CA-wide view; each send is an audit entry (notification-delivery.ts). */
const DELIVERY: Principal = { operatorId: null, username: 'system:notification-delivery', role: 'ca-admin', raId: null, via: 'cli' };

/**
 * Outbox recipients as mailboxes, through the RA's own API (never its tables):
 * `subscriber:<id>` is the email on the subscriber's current record (the
 * individual's own, or the enterprise's handling agent's, R1); `role:<name>`
 * is the desk address the operator configured.
 */
export function raRecipientAddresses(ra: RegistrationAuthority, roleAddresses: Record<string, string>): RecipientAddresses {
  return {
    async resolve(recipient: string): Promise<RecipientResolution> {
      const [kind, ...rest] = recipient.split(':');
      const name = rest.join(':');
      if (kind === 'role') {
        const address = roleAddresses[name];
        return address ? { address } : { notYet: 'service.mail-no-role-address', params: { role: recipient } };
      }
      if (kind !== 'subscriber' || !name) return { undeliverable: 'service.mail-unknown-recipient', params: { recipient } };
      try {
        await ra.subscribers.row(DELIVERY, name);
        const current = await ra.subscribers.currentRecord(name);
        const record = current.record;
        const email = record.type === 'enterprise' ? record.agent?.email : record.email;
        return email && isMailAddress(email) ? { address: email } : { undeliverable: 'service.mail-no-address', params: { subscriber: name } };
      } catch (error) {
        if ((error instanceof SignetError && error.status === 404) || error instanceof NoResultError) {
          return { undeliverable: 'service.mail-unknown-subscriber', params: { subscriber: name } };
        }
        throw error;
      }
    },
  };
}
