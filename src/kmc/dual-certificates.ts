import { randomUUID } from 'node:crypto';
import type { CertificateAuthority, IssuedCertificate } from '../ca/authority.js';
import { parseCertificationRequest, provePublicKey } from '../ca/certification-request.js';
import type { SubscriberIdentity } from '../ca/subject-identity.js';
import { buildSubjectName, parseDistinguishedName, type SubjectAttributes } from '../ca/subject-name.js';
import { inspectPublicKey } from '../crypto/public-key.js';
import { SignetError } from '../i18n/signet-error.js';
import type { KeyManagementCentre } from './key-management-centre.js';
import {
  openMessage,
  signMessage,
  type BindCertificateRequest,
  type CertificateBound,
  type GenerateEncryptionKeyRequest,
  type GeneratedEncryptionKey,
  type SignedMessage,
} from './kmc-protocol.js';

/**
 * The CA's side of the CA ↔ KMC exchange. Only signed messages cross it, so
 * the in-process client below and an HTTP client to a KMC elsewhere are
 * interchangeable.
 */
export interface KmcClient {
  /** DER SPKI of the KMC's signing key, which the CA checks every response with. */
  readonly publicKeyInfo: Uint8Array;
  readonly distinguishingId?: string;
  exchange(request: SignedMessage): Promise<SignedMessage>;
}

export async function inProcessKmcClient(kmc: KeyManagementCentre): Promise<KmcClient> {
  return { publicKeyInfo: await kmc.signingPublicKeyInfo(), exchange: (request) => kmc.handle(request) };
}

/** A KMC in another process, reached through POST /kmc/v1/requests (src/http/kmc-routes.ts). */
export function httpKmcClient(url: string, publicKeyInfo: Uint8Array, distinguishingId?: string): KmcClient {
  return {
    publicKeyInfo,
    distinguishingId,
    async exchange(request) {
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
      } catch (error) {
        throw new SignetError('kmc.bad-request', 502, { detail: `the KMC cannot be reached: ${(error as Error).message}` });
      }
      const body = (await response.json().catch(() => null)) as (SignedMessage & { code?: string; detail?: string }) | null;
      if (!response.ok || !body) throw new SignetError('kmc.bad-request', 502, { detail: `the KMC refused: ${body?.code ?? response.status} ${body?.detail ?? ''}`.trim() });
      return body;
    },
  };
}

export interface DualCertificateOrder {
  /** PKCS#10 for the subscriber's own SM2 signing key (proof of possession, GM/T 0034). */
  csr: Uint8Array | string;
  signingProfileId: string;
  encryptionProfileId: string;
  subject: SubjectAttributes | string;
  /** The RA-verified identity number: both certificates of the pair carry the same GM/T 0015 extension. */
  identity?: SubscriberIdentity;
  subscriberId: string;
  issuerCaId?: string;
  validityDays?: number;
  requestedBy: string;
  reason: string;
}

export interface DualCertificates {
  signing: IssuedCertificate;
  encryption: IssuedCertificate;
  /** DER SM2EnvelopedKey (GM/T 0009): the encryption private key, openable only with the signing key. */
  envelopedKey: Buffer;
  escrowId: string;
}

/**
 * A signing and an encryption certificate issued together (GM/T 0034): the
 * subscriber's PKCS#10 certifies their signing key; the KMC makes and
 * escrows the encryption key and envelopes it to that signing key; the CA
 * certifies the KMC's public key under the encryption profile.
 */
export async function issueDualCertificates(ca: CertificateAuthority, kmc: KmcClient, order: DualCertificateOrder): Promise<DualCertificates> {
  const signingProfile = ca.profiles.get(order.signingProfileId);
  const encryptionProfile = ca.profiles.get(order.encryptionProfileId);
  if (
    signingProfile.purpose !== 'signing' ||
    encryptionProfile.purpose !== 'encryption' ||
    signingProfile.subscriberType !== encryptionProfile.subscriberType
  ) {
    throw new SignetError('kmc.profiles-not-a-pair', 400, { signing: signingProfile.id, encryption: encryptionProfile.id }, 'profile');
  }
  // Refuse before anything is signed: the signing key must be SM2 and both profiles must take SM2.
  if (!signingProfile.keyTypes.includes('sm2') || !encryptionProfile.keyTypes.includes('sm2')) {
    throw new SignetError('kmc.profiles-not-a-pair', 400, { signing: signingProfile.id, encryption: encryptionProfile.id }, 'profile');
  }
  const proven = provePublicKey(parseCertificationRequest(order.csr));
  if (proven.keyAlgorithm !== 'sm2') throw new SignetError('kmc.sm2-only', 400, { keyAlgorithm: proven.keyAlgorithm }, 'csr');

  // The KMC is asked first: if it refuses or is unreachable, nothing has been signed.
  const issuer = await ca.issuerContext(order.issuerCaId ?? (await ca.defaultIssuingCa()).id);
  const send = async <T>(request: GenerateEncryptionKeyRequest | BindCertificateRequest): Promise<T> => {
    const response = await kmc.exchange(await signMessage(issuer.caId, issuer.signer, request));
    const payload = openMessage<T & { requestId?: string }>(response, kmc.publicKeyInfo, kmc.distinguishingId);
    if (payload.requestId !== request.requestId) throw new SignetError('kmc.bad-request', 502, { detail: 'the KMC answered another request' });
    return payload;
  };
  const generated = await send<GeneratedEncryptionKey>({
    type: 'generate-encryption-key',
    requestId: randomUUID(),
    caId: issuer.caId,
    issuedAt: ca.now().toISOString(),
    holder: order.subscriberId,
    keyAlgorithm: 'sm2',
    signingPublicKeyInfo: Buffer.from(proven.subjectPublicKeyInfo).toString('base64'),
  });

  const encryptionKey = Buffer.from(generated.encryptionPublicKeyInfo, 'base64');
  const inspection = inspectPublicKey(encryptionKey);
  if (!inspection.ok || inspection.keyAlgorithm !== 'sm2') {
    throw new SignetError('kmc.bad-request', 502, { detail: 'the KMC returned an encryption key that is not an SM2 point' });
  }

  const signing = await ca.issue({
    csr: order.csr,
    profileId: signingProfile.id,
    subject: order.subject,
    identity: order.identity,
    subscriberId: order.subscriberId,
    issuerCaId: issuer.caId,
    validityDays: order.validityDays,
    requestedBy: order.requestedBy,
    reason: order.reason,
  });
  // The same attributes as the signing certificate: relying parties match the pair by subject.
  const attributes = typeof order.subject === 'string' ? parseDistinguishedName(order.subject) : order.subject;
  const subject = buildSubjectName(attributes, encryptionProfile);
  // The encryption key never signed anything, so there is no PoP: the KMC's signed response vouches for it.
  const encryption = await ca.signCertificate({
    profile: encryptionProfile,
    issuer,
    subject,
    identity: order.identity,
    subjectPublicKeyInfo: encryptionKey,
    keyAlgorithm: 'sm2',
    holder: `subscriber:${order.subscriberId}`,
    subscriberId: order.subscriberId,
    validityDays: order.validityDays,
    requestedBy: order.requestedBy,
    reason: `${order.reason} (encryption certificate paired with ${signing.serial}, KMC escrow ${generated.escrowId})`,
  });
  await send<CertificateBound>({
    type: 'bind-certificate',
    requestId: randomUUID(),
    caId: issuer.caId,
    issuedAt: ca.now().toISOString(),
    escrowId: generated.escrowId,
    certificateSerial: encryption.serial,
  });
  return { signing, encryption, envelopedKey: Buffer.from(generated.envelopedKey, 'base64'), escrowId: generated.escrowId };
}
