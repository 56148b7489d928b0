import { SignetError } from '../i18n/signet-error.js';
import type { RegistrationAuthority } from '../ra/registration-authority.js';
import type { Principal } from '../ra/roles.js';
import type { SubscriberDirectory } from './publication.js';

/** Publication runs as the system, with the RA's CA-wide view of subscribers (it reads no personal data). */
const PUBLICATION: Principal = { operatorId: null, username: 'system:publication', role: 'ca-admin', raId: null, via: 'cli' };

/** The RA's subscribers, through the RA's own API (never its tables). */
export function raSubscriberDirectory(ra: RegistrationAuthority): SubscriberDirectory {
  return {
    async raOf(subscriberId: string): Promise<string | null> {
      try {
        return (await ra.subscribers.row(PUBLICATION, subscriberId)).ra_id;
      } catch (error) {
        if (error instanceof SignetError && error.status === 404) return null;
        throw error;
      }
    },
  };
}
