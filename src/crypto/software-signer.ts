import { constants, createPrivateKey, createPublicKey, createSign, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  defaultHashFor,
  defaultSchemeFor,
  hashOutputLength,
  isSchemeValidFor,
  signatureAlgorithmIdentifier,
  type HashName,
  type KeyAlgorithm,
  type SignatureScheme,
} from './algorithms.js';
import { wholeMessageStream, type Signer, type SigningStream } from './signer.js';
import { Sm2Signer } from './sm2-signer.js';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';

export interface SignerOptions {
  scheme?: SignatureScheme;
  hash?: HashName;
  /** SM2 only: the distinguishing ID the key signs with (default 1234567812345678). */
  distinguishingId?: string;
}

/** A key generated in software, which can be sealed (key-envelope.ts) and used at once. */
export type GeneratedSigner = Signer & { exportPkcs8(): Buffer; signSync(message: Uint8Array): Uint8Array };

/** RSA, ECDSA, Ed25519 and ML-DSA on node:crypto. SM2 never goes through here (see docs/architecture.md). */
export class SoftwareSigner implements Signer {
  readonly scheme: SignatureScheme;
  readonly hash: HashName;
  readonly publicKeyInfo: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;

  constructor(
    readonly keyAlgorithm: KeyAlgorithm,
    private readonly privateKey: KeyObject,
    options: SignerOptions = {},
  ) {
    if (keyAlgorithm === 'sm2') throw new Error('SM2 keys need the SM2 signer, not node:crypto');
    this.scheme = options.scheme ?? defaultSchemeFor(keyAlgorithm);
    if (!isSchemeValidFor(keyAlgorithm, this.scheme)) {
      throw new Error(`signature scheme ${this.scheme} does not fit a ${keyAlgorithm} key`);
    }
    this.hash = options.hash ?? defaultHashFor(keyAlgorithm);
    this.publicKeyInfo = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    this.signatureAlgorithm = signatureAlgorithmIdentifier(this.scheme, this.hash, keyAlgorithm);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return this.signSync(message);
  }

  /** RSA and ECDSA hash as the parts arrive (node:crypto's Sign); EdDSA and ML-DSA sign the whole message. */
  startSigning(): SigningStream {
    if (this.scheme === 'eddsa' || this.scheme === 'ml-dsa') return wholeMessageStream(async (message) => this.signSync(message));
    const signer = createSign(this.hash);
    return {
      update: (part) => void signer.update(part),
      sign: async () =>
        this.scheme === 'pss'
          ? signer.sign({ key: this.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashOutputLength(this.hash) })
          : signer.sign(this.privateKey),
    };
  }

  signSync(message: Uint8Array): Uint8Array {
    switch (this.scheme) {
      case 'eddsa':
      case 'ml-dsa':
        // Both sign the message itself; ML-DSA pure with the empty context (RFC 9881 §2).
        return sign(null, message, this.privateKey);
      case 'pss':
        return sign(this.hash, message, {
          key: this.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: hashOutputLength(this.hash),
        });
      default:
        // ECDSA signatures come out DER-encoded (Ecdsa-Sig-Value), as X.509 wants them.
        return sign(this.hash, message, this.privateKey);
    }
  }

  /** PKCS#8 DER of the private key: only for sealing it (key-envelope.ts), never for storage in clear. */
  exportPkcs8(): Buffer {
    return this.privateKey.export({ type: 'pkcs8', format: 'der' });
  }

  static fromPkcs8(keyAlgorithm: KeyAlgorithm, pkcs8Der: Uint8Array, options: SignerOptions = {}): SoftwareSigner {
    const key = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
    return new SoftwareSigner(keyAlgorithm, key, options);
  }
}

export function generateSoftwareKey(keyAlgorithm: KeyAlgorithm, options: SignerOptions = {}): GeneratedSigner {
  // SM2 keys come from sm-crypto-v2 (docs/architecture.md), everything else from node:crypto.
  if (keyAlgorithm === 'sm2') return Sm2Signer.generate({ distinguishingId: options.distinguishingId });
  return new SoftwareSigner(keyAlgorithm, generatePrivateKey(keyAlgorithm), options);
}

/** Opens an unsealed PKCS#8 key with the signer its algorithm needs. */
export function softwareSignerFromPkcs8(keyAlgorithm: KeyAlgorithm, pkcs8Der: Uint8Array, options: SignerOptions = {}): GeneratedSigner {
  if (keyAlgorithm === 'sm2') return Sm2Signer.fromPkcs8(pkcs8Der, { distinguishingId: options.distinguishingId });
  return SoftwareSigner.fromPkcs8(keyAlgorithm, pkcs8Der, options);
}

export function generatePrivateKey(keyAlgorithm: KeyAlgorithm): KeyObject {
  switch (keyAlgorithm) {
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return generateKeyPairSync('rsa', { modulusLength: Number(keyAlgorithm.slice(4)), publicExponent: 65537 })
        .privateKey;
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'sm2':
      throw new Error('SM2 keys are generated by the SM2 signer');
    case 'ml-dsa-44':
    case 'ml-dsa-65':
    case 'ml-dsa-87':
      return generateKeyPairSync(keyAlgorithm).privateKey;
  }
}
