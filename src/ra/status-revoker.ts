import type { StatusService } from '../status/status-service.js';
import type { CertificateRevoker, RevocationOrder } from './revocation.js';

/**
 * The RA's revocations go through the status domain's service, channel "ra"
 * (R3, R7, R16), so OCSP says "revoked" before the RA's call returns.
 */
export function statusDomainRevoker(status: StatusService): CertificateRevoker {
  return {
    async revokeCertificate(order: RevocationOrder): Promise<void> {
      await status.revokeCertificate({
        serial: order.serial,
        reason: order.reason,
        justification: order.justification,
        channel: order.channel ?? 'ra',
        requestedBy: order.actor,
      });
    },
    async isRevoked(serial: string): Promise<boolean> {
      return (await status.revocation(serial)) !== null;
    },
  };
}
