import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Signer } from '../crypto/signer.js';
import { SignetError } from '../i18n/signet-error.js';

/**
 * The CA ↔ KMC interface: each message is a JSON payload, signed by its
 * sender, so the KMC can run as a separate process (or behind another
 * vendor's CA) with nothing shared but this format. The signed bytes are
 * the payload's UTF-8 bytes exactly as sent (base64), never a re-serialisation.
 *
 * ```json
 * { "payload": "<base64 UTF-8 JSON>", "sender": "<ca id | kmc>",
 *   "signatureAlgorithm": "<base64 DER AlgorithmIdentifier>", "signature": "<base64>" }
 * ```
 */
export interface SignedMessage {
  payload: string;
  sender: string;
  signatureAlgorithm: string;
  signature: string;
}

/** CA → KMC: make an encryption key pair for this subscriber and envelope it to their signing key. */
export interface GenerateEncryptionKeyRequest {
  type: 'generate-encryption-key';
  requestId: string;
  caId: string;
  issuedAt: string;
  holder: string;
  keyAlgorithm: 'sm2';
  /** base64 DER SPKI of the subscriber's signing key, proven by their PKCS#10. */
  signingPublicKeyInfo: string;
}

/** CA → KMC: the encryption certificate issued for an escrowed key. */
export interface BindCertificateRequest {
  type: 'bind-certificate';
  requestId: string;
  caId: string;
  issuedAt: string;
  escrowId: string;
  certificateSerial: string;
}

export type KmcRequest = GenerateEncryptionKeyRequest | BindCertificateRequest;

export interface GeneratedEncryptionKey {
  type: 'encryption-key';
  requestId: string;
  escrowId: string;
  /** base64 DER SPKI of the new encryption key. */
  encryptionPublicKeyInfo: string;
  /** base64 DER SM2EnvelopedKey (GM/T 0009) to the signing key. */
  envelopedKey: string;
}

export interface CertificateBound {
  type: 'certificate-bound';
  requestId: string;
  escrowId: string;
}

export type KmcResponse = GeneratedEncryptionKey | CertificateBound;

export async function signMessage(sender: string, signer: Signer, payload: object): Promise<SignedMessage> {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  const signature = await signer.sign(bytes);
  return {
    payload: bytes.toString('base64'),
    sender,
    signatureAlgorithm: Buffer.from(AsnConvert.serialize(signer.signatureAlgorithm)).toString('base64'),
    signature: Buffer.from(signature).toString('base64'),
  };
}

/**
 * Checks the signature with the sender's registered key (and SM2 ID) and
 * returns the payload; anything malformed is a 400, a bad signature a 401.
 */
export function openMessage<T>(message: unknown, publicKeyInfo: Uint8Array, distinguishingId?: string): T {
  const m = message as Partial<SignedMessage> | null;
  if (!m || typeof m.payload !== 'string' || typeof m.signature !== 'string' || typeof m.signatureAlgorithm !== 'string' || typeof m.sender !== 'string') {
    throw new SignetError('kmc.bad-request', 400, { detail: 'not a signed KMC message' });
  }
  const bytes = Buffer.from(m.payload, 'base64');
  let algorithm: AlgorithmIdentifier;
  try {
    algorithm = AsnConvert.parse(Buffer.from(m.signatureAlgorithm, 'base64'), AlgorithmIdentifier);
  } catch {
    throw new SignetError('kmc.bad-request', 400, { detail: 'signatureAlgorithm is not a DER AlgorithmIdentifier' });
  }
  const check = verifySignature(publicKeyInfo, algorithm, bytes, Buffer.from(m.signature, 'base64'), { distinguishingId });
  if (!check.ok) throw new SignetError('kmc.bad-signature', 401, { detail: check.reason });
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new SignetError('kmc.bad-request', 400, { detail: 'the payload is not JSON' });
  }
}
