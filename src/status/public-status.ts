import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { CertificateAuthority } from '../ca/authority.js';
import { publicSubject } from '../ca/identifier-disclosure.js';
import { SignetError } from '../i18n/signet-error.js';
import { findRevocation } from './revocation.js';
import type { RevocationReason } from './revocation-reasons.js';

/**
 * What anyone may learn about a certificate (R16): its status, validity,
 * issuer and subject as the certificate states them, except that ID numbers
 * (serialNumber) and e-mail addresses in the subject are masked even where
 * the certificate holds them in full. Nothing else: not the subscriber
 * record, not who asked for a revocation or why.
 */
export interface PublicCertificateStatus {
  serial: string;
  status: 'good' | 'revoked' | 'expired' | 'not-yet-valid';
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  revokedAt?: string;
  reason?: RevocationReason;
  fingerprintSha256: string;
}

/** Certificate bytes from an upload: PEM (the first CERTIFICATE block) or DER. */
export function certificateFromUpload(upload: Buffer | string): Buffer {
  const text = typeof upload === 'string' ? upload : upload.toString('latin1');
  let der: Buffer;
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
  if (pem) der = Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
  else if (typeof upload === 'string') der = Buffer.from(upload.trim(), 'base64');
  else der = upload;
  try {
    AsnConvert.parse(der, Certificate);
    return der;
  } catch (error) {
    throw new SignetError('status.bad-certificate', 400, { detail: (error as Error).message.slice(0, 200) }, 'certificate');
  }
}

function describe(name: string): string {
  return name.split('\n').join(', ');
}

export async function publicStatusBySerial(ca: CertificateAuthority, serial: string): Promise<PublicCertificateStatus> {
  const row = await ca.certificate(serial);
  return statusOf(ca, row.serial, row.der);
}

/** The status of an uploaded certificate; one we did not issue (byte for byte) is not ours to speak about. */
export async function publicStatusOfCertificate(ca: CertificateAuthority, upload: Buffer | string): Promise<PublicCertificateStatus> {
  const der = certificateFromUpload(upload);
  const x509 = new X509Certificate(der);
  const row = await ca.certificate(x509.serialNumber).catch((error: unknown) => {
    if (error instanceof SignetError && error.status < 500) return null;
    throw error;
  });
  if (!row || !row.der.equals(der)) throw new SignetError('status.not-ours', 404, { issuer: describe(x509.issuer) }, 'certificate');
  return statusOf(ca, row.serial, row.der);
}

async function statusOf(ca: CertificateAuthority, serial: string, der: Buffer): Promise<PublicCertificateStatus> {
  const x509 = new X509Certificate(der);
  const notBefore = new Date(x509.validFrom);
  const notAfter = new Date(x509.validTo);
  const revocation = await findRevocation(ca, serial);
  const now = ca.now();
  const status = revocation ? 'revoked' : now > notAfter ? 'expired' : now < notBefore ? 'not-yet-valid' : 'good';
  return {
    serial,
    status,
    subject: publicSubject(describe(x509.subject)),
    issuer: describe(x509.issuer),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    ...(revocation ? { revokedAt: revocation.revokedAt, reason: revocation.reason } : {}),
    fingerprintSha256: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}
