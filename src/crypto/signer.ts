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

/**
 * The lengths the X.509 signature bytes of a key of this algorithm almost always have (longest first): one for
 * RSA, EdDSA and ML-DSA; for ECDSA and SM2 the DER SEQUENCE of r and s each of the curve order's full length or
 * one octet shorter (a sign octet or not), so a value with a shorter integer (under 1 in 128 for P-256) is left
 * out. A caller that must know a signature's length before signing (a CRL's outer header, src/status/crl-tbs-stream.ts)
 * prepares for these and falls back when the signature has another length: never a guess it relies on.
 */
export function likelySignatureLengths(keyAlgorithm: KeyAlgorithm): number[] {
  const ecdsa = (orderOctets: number) => {
    // INTEGER of `orderOctets` + 1 (sign octet) or `orderOctets` octets, for r and for s, inside a SEQUENCE.
    const full = orderOctets + 1;
    return [2 * full, 2 * full - 1, 2 * full - 2].map((content) => content + 4).map((content) => content + (content < 128 ? 2 : 3));
  };
  switch (keyAlgorithm) {
    case 'rsa-2048':
      return [256];
    case 'rsa-3072':
      return [384];
    case 'rsa-4096':
      return [512];
    case 'ecdsa-p256':
    case 'sm2':
      return ecdsa(32);
    case 'ecdsa-p384':
      return ecdsa(48);
    case 'ed25519':
      return [64];
    case 'ml-dsa-44':
      return [2420];
    case 'ml-dsa-65':
      return [3309];
    case 'ml-dsa-87':
      return [4627];
  }
}
