import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { CertificateAuthority } from '../ca/authority.js';
import { parseCertificationRequest, provePublicKey } from '../ca/certification-request.js';
import { SignetError } from '../i18n/signet-error.js';
import type { RegistrationAuthority } from '../ra/registration-authority.js';
import { certsOnly } from './certs-only.js';

export interface EstServerOptions {
  ca: CertificateAuthority;
  ra: RegistrationAuthority;
  /** Seconds a client is told to wait (202 Retry-After) while an officer reviews a renewal; default 600. */
  retryAfterSeconds?: number;
}

/** HTTP Basic credentials as the client sent them (RFC 7617). */
export interface BasicCredentials {
  username: string;
  password: string;
}

export type ReenrollOutcome = { certificate: Buffer } | { retryAfterSeconds: number; applicationId: string };

/** Base64 is what RFC 7030 §4.2.1 (as RFC 8951 §3.2 settles it) sends, whatever Content-Transfer-Encoding says. */
export function decodeBase64Body(body: unknown): Uint8Array {
  const text = Buffer.isBuffer(body) ? body.toString('latin1') : typeof body === 'string' ? body : '';
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new SignetError('est.body-not-base64', 400);
  return Buffer.from(compact, 'base64');
}

/**
 * EST (RFC 7030) as a door into the RA and CA, adding no rules of its own:
 *
 * - /cacerts: the current issuing CA and its root, certs-only (§4.1).
 * - /simpleenroll (§4.2.1): HTTP Basic over TLS with the RA's download
 *   credential (user name = reference number, password = authorization code),
 *   bound to one reviewed application of one verified subscriber. The
 *   download is the RA's own (Downloads.withRequest), so attempts are
 *   counted before the code is evaluated, the subject comes from the
 *   reviewed record, the agreement is accepted on first download, and the
 *   CA records before it signs.
 * - /simplereenroll (§4.2.2): TLS client authentication with the certificate
 *   being replaced. The first request files a renewal (same key) or re-key
 *   (new key) application (R16) and is told to come back (202 with
 *   Retry-After, §4.2.3); once an officer approved it, the next request
 *   downloads it with the TLS proof in place of the code.
 */
export class EstServer {
  private readonly retryAfterSeconds: number;

  constructor(private readonly options: EstServerOptions) {
    this.retryAfterSeconds = options.retryAfterSeconds ?? 600;
  }

  /** RFC 7030 §4.1.3: the certificates a client needs to trust what it gets, issuing CA first. */
  async caCertificates(): Promise<Buffer> {
    const issuing = await this.options.ca.defaultIssuingCa();
    return certsOnly(await this.chainFrom(issuing.id));
  }

  async enroll(credentials: BasicCredentials | null, body: unknown, clientAddress: string | null): Promise<Buffer> {
    if (!credentials) throw new SignetError('est.credentials-required', 401);
    const csr = decodeBase64Body(body);
    try {
      const downloaded = await this.options.ra.downloads.withRequest(
        { referenceNumber: credentials.username, authorizationCode: credentials.password, csr, onlyReviewedNames: true },
        clientAddress,
      );
      return certsOnly([(await this.options.ca.certificate(downloaded.serial)).der]);
    } catch (error) {
      // §3.2.3: credentials the server does not accept are answered with a new challenge, saying nothing more.
      if (error instanceof SignetError && error.code === 'ra.credential-refused') throw new SignetError('est.credentials-refused', 401, error.params);
      throw error;
    }
  }

  async reenroll(clientCertificate: Buffer | null, body: unknown, clientAddress: string | null): Promise<ReenrollOutcome> {
    if (!clientCertificate || clientCertificate.length === 0) throw new SignetError('est.client-certificate-required', 403);
    const serial = await this.ownCertificate(clientCertificate);
    const csr = decodeBase64Body(body);
    // A malformed request or a failed proof of possession is refused before anything is filed.
    const key = provePublicKey(parseCertificationRequest(csr));
    const holder = await this.options.ca.certificate(serial);
    const rekey = key.spkiSha256 !== holder.spki_sha256;
    const renewals = this.options.ra.renewals;
    const latest = await renewals.latestReplacement(serial);
    if (latest?.status === 'approved') {
      const downloaded = await this.options.ra.downloads.withCertificateProof({ replacedSerial: serial, csr, proof: `tls-client-certificate:${serial}` }, clientAddress);
      return { certificate: certsOnly([(await this.options.ca.certificate(downloaded.serial)).der]) };
    }
    if (latest?.status === 'submitted' || latest?.status === 'in-review') return { retryAfterSeconds: this.retryAfterSeconds, applicationId: latest.id };
    if (latest?.status === 'rejected') throw new SignetError('est.renewal-rejected', 403, { application: latest.id, reason: latest.decisionReason ?? '-' });
    const filed = await renewals.requestFor(`est:certificate:${serial}`, serial, { rekey }, () => undefined);
    return { retryAfterSeconds: this.retryAfterSeconds, applicationId: filed.id };
  }

  /** The TLS handshake proved the key; the bytes must be a certificate this CA issued and still holds on record. */
  private async ownCertificate(der: Buffer): Promise<string> {
    let serial: string;
    try {
      serial = Buffer.from(AsnConvert.parse(der, Certificate).tbsCertificate.serialNumber).toString('hex');
    } catch {
      throw new SignetError('est.client-certificate-unknown', 403);
    }
    const known = await this.options.ca.certificate(serial).catch(() => null);
    if (!known || !Buffer.from(known.der).equals(der)) throw new SignetError('est.client-certificate-unknown', 403);
    return known.serial;
  }

  private async chainFrom(caId: string | null): Promise<Buffer[]> {
    const chain: Buffer[] = [];
    while (caId) {
      const authority = await this.options.ca.authority(caId);
      chain.push(authority.certificateDer);
      caId = authority.parentId;
    }
    return chain;
  }
}
