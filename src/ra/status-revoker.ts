import type { CertificateAuthority } from '../ca/authority.js';
import { findRevocation, revokeCertificate } from '../status/revocation.js';
import type { CertificateRevoker, RevocationOrder } from './revocation.js';

/** The RA's revocations go through the status domain, channel "ra" (R3, R16). */
export function statusDomainRevoker(ca: CertificateAuthority): CertificateRevoker {
  return {
    async revokeCertificate(order: RevocationOrder): Promise<void> {
      await revokeCertificate(ca, {
        serial: order.serial,
        reason: order.reason,
        justification: order.justification,
        channel: 'ra',
        requestedBy: order.actor,
      });
    },
    async isRevoked(serial: string): Promise<boolean> {
      return (await findRevocation(ca, serial)) !== null;
    },
  };
}
