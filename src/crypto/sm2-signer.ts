import { createHash } from 'node:crypto';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { sm2 } from 'sm-crypto-v2';
import { signatureAlgorithmIdentifier, type HashName, type KeyAlgorithm, type SignatureScheme } from './algorithms.js';
import type { Signer, SigningStream } from './signer.js';
import {
  DEFAULT_SM2_ID,
  SM2_ORDER,
  checkDistinguishingId,
  decodeSm2Pkcs8,
  encodeSm2Pkcs8,
  generateSm2KeyPair,
  isValidSm2PrivateKey,
  sm2PublicKeyInfo,
  type Sm2KeyPair,
} from './sm2-key.js';

export interface Sm2SignerOptions {
  /** GB/T 32918.2 user identity ID_A; default 1234567812345678 (GM/T 0009 §10). */
  distinguishingId?: string;
}

/**
 * SM3withSM2 (GB/T 32918.2, GM/T 0009) on sm-crypto-v2. node:crypto is never
 * used for SM2: it signs with an empty ID. The ID is part of the signer, so
 * every signature (certificate, CRL, OCSP, time-stamp, CMS) carries it.
 */
export class Sm2Signer implements Signer {
  readonly keyAlgorithm: KeyAlgorithm = 'sm2';
  readonly scheme: SignatureScheme = 'sm2';
  readonly hash: HashName = 'sm3';
  readonly publicKeyInfo: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier = signatureAlgorithmIdentifier('sm2', 'sm3');
  readonly distinguishingId: string;
  private readonly privateKey: string;
  /** Hex 04‖x‖y; given to the library so it does not recompute d·G for every signature. */
  readonly publicKey: string;

  private constructor(key: Sm2KeyPair) {
    if (!isValidSm2PrivateKey(key.privateKey)) throw new Error('the SM2 private scalar is out of range');
    this.privateKey = key.privateKey.toLowerCase();
    this.publicKey = key.publicKey.toLowerCase();
    this.distinguishingId = checkDistinguishingId(key.distinguishingId);
    this.publicKeyInfo = sm2PublicKeyInfo(this.publicKey);
  }

  /** A fresh key pair from the CSPRNG (never from a seed: see docs/architecture.md). */
  static generate(options: Sm2SignerOptions = {}): Sm2Signer {
    return new Sm2Signer(generateSm2KeyPair(options.distinguishingId ?? DEFAULT_SM2_ID));
  }

  /** From PKCS#8: ours carries its ID; another tool's key signs with options.distinguishingId or the default. */
  static fromPkcs8(pkcs8Der: Uint8Array, options: Sm2SignerOptions = {}): Sm2Signer {
    const key = decodeSm2Pkcs8(pkcs8Der, options.distinguishingId ?? DEFAULT_SM2_ID);
    return new Sm2Signer(key);
  }

  /** From a raw scalar (hex), as in the standards' worked examples. */
  static fromPrivateKeyHex(privateKeyHex: string, options: Sm2SignerOptions = {}): Sm2Signer {
    const privateKey = privateKeyHex.toLowerCase();
    return new Sm2Signer({
      privateKey,
      publicKey: sm2.getPublicKeyFromPrivateKey(privateKey),
      distinguishingId: options.distinguishingId ?? DEFAULT_SM2_ID,
    });
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return this.signSync(message);
  }

  /** DER SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009 §7.3) over SM3(Z_A ‖ M). */
  signSync(message: Uint8Array): Uint8Array {
    const signature = sm2.doSignature(message, this.privateKey, {
      hash: true,
      der: true,
      userId: this.distinguishingId,
      publicKey: this.publicKey,
    });
    return Buffer.from(signature, 'hex');
  }

  /**
   * e = SM3(Z_A ‖ M) (GB/T 32918.2 §6.1 A1–A2) computed as the parts of M arrive: Z_A first (the ID and the key,
   * as sm-crypto-v2 computes it for doSignature), then every part; the library then signs e itself (hash: false).
   */
  startSigning(): SigningStream {
    const hash = createHash('sm3').update(sm2.getZ(this.publicKey, this.distinguishingId));
    return {
      update: (part) => void hash.update(part),
      sign: async () => Buffer.from(sm2.doSignature(hash.digest(), this.privateKey, { hash: false, der: true }), 'hex'),
    };
  }

  /**
   * The standards' worked examples fix the nonce k; this reproduces them and
   * nothing else uses it: a repeated k reveals the private key.
   */
  signWithNonceForKnownAnswerTest(message: Uint8Array, nonceHex: string): Uint8Array {
    const k = BigInt(`0x${nonceHex}`);
    if (k < 1n || k >= SM2_ORDER) throw new Error('the nonce is out of range');
    const kG = sm2.getPublicKeyFromPrivateKey(nonceHex.toLowerCase().padStart(64, '0'));
    const x1 = BigInt(`0x${kG.slice(2, 66)}`);
    const signature = sm2.doSignature(message, this.privateKey, {
      hash: true,
      der: true,
      userId: this.distinguishingId,
      publicKey: this.publicKey,
      pointPool: [{ k, x1 }],
    });
    return Buffer.from(signature, 'hex');
  }

  /** PKCS#8 DER with the ID attribute: only for sealing (key-envelope.ts), never stored in clear. */
  exportPkcs8(): Buffer {
    return encodeSm2Pkcs8({ privateKey: this.privateKey, publicKey: this.publicKey, distinguishingId: this.distinguishingId });
  }
}
