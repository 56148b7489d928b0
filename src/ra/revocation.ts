/**
 * The seam to the status domain (src/status, built concurrently): the RA
 * decides that a certificate must go (R3 change of information, R16 re-key)
 * and the status domain revokes it and publishes that in OCSP and the CRL.
 */
export type RevocationReasonName = 'superseded' | 'affiliationChanged' | 'cessationOfOperation' | 'keyCompromise' | 'unspecified';

export interface RevocationOrder {
  serial: string;
  reason: RevocationReasonName;
  actor: string;
  justification: string;
  /** Who asked, as the status domain records it (R7): the RA on the subscriber's behalf (default), or the subscriber themselves in the portal. */
  channel?: 'ra' | 'subscriber';
}

export interface CertificateRevoker {
  revokeCertificate(order: RevocationOrder): Promise<void>;
  /** Whether the certificate is revoked (renewal refuses revoked certificates). */
  isRevoked(serial: string): Promise<boolean>;
}

/**
 * Until the status domain exists the RA cannot revoke: it refuses the step
 * that needs it loudly rather than pretending a certificate was revoked.
 */
export class MissingStatusDomain implements CertificateRevoker {
  async revokeCertificate(order: RevocationOrder): Promise<void> {
    throw new Error(`revocation of ${order.serial} needs the status domain (src/status), which is not wired into the RA`);
  }

  async isRevoked(): Promise<boolean> {
    return false;
  }
}
