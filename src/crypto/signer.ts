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
  /**
   * Signs a message handed over in parts, hashing each part as it arrives, so a message too large to hold at
   * once (a CRL of a million entries, src/status/crl-publisher.ts) never exists whole. Absent where the
   * algorithm hashes nothing the caller could feed in advance: use `signingStream`, which falls back to sign().
   */
  startSigning?(): SigningStream;
}

/** A signature over the concatenation of the parts given to update(), in order. */
export interface SigningStream {
  update(part: Uint8Array): void;
  sign(): Promise<Uint8Array>;
}

/**
 * The signer's own stream when it hashes as it goes; otherwise the parts are kept and signed whole at the end
 * (pure EdDSA and ML-DSA sign the message itself, not a hash of it; so does PKCS#11 RSA here).
 */
export function signingStream(signer: Signer): SigningStream {
  return signer.startSigning?.() ?? wholeMessageStream((message) => signer.sign(message));
}

/** A stream that keeps every part and signs their concatenation once: for algorithms that cannot hash ahead. */
export function wholeMessageStream(sign: (message: Uint8Array) => Promise<Uint8Array>): SigningStream {
  const parts: Uint8Array[] = [];
  return {
    update: (part) => void parts.push(Buffer.from(part)),
    sign: () => sign(Buffer.concat(parts)),
  };
}
