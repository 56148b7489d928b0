import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { HashName, KeyAlgorithm, SignatureScheme } from './algorithms.js';

/**
 * Anything that can sign for a CA, an OCSP responder or a TSA: a software key,
 * an HSM object over PKCS#11, an SM2 key. Callers only ever see this interface,
 * so a new back end is a new implementation, never a change to the callers.
 */
export interface Signer {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly scheme: SignatureScheme;
  readonly hash: HashName;
  /** DER SubjectPublicKeyInfo of the key. */
  readonly publicKeyInfo: Uint8Array;
  /** What goes into signatureAlgorithm of anything this signer signs. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** SM2 distinguishing ID (GB/T 32918.2 Z value input); absent for other algorithms. */
  readonly distinguishingId?: string;
  /** Signs the message itself (hashing is the signer's business), returns the X.509 signature bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}
