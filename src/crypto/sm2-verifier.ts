import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { weierstrassN } from '@noble/curves/abstract/weierstrass';
import { sm2 } from 'sm-crypto-v2';
import type { SignatureCheck, SignatureVerificationOptions, VerifyingStream } from './signature-verification.js';
import { DEFAULT_SM2_ID, SM2_ORDER, Sm2KeyError, sm2PublicKeyFromInfo } from './sm2-key.js';

/**
 * What a verifier may be told about SM2 keys beyond the signature: which
 * distinguishing ID a key signs with, and a prepared point for a key that is
 * checked again and again. The composition root owns the one object that
 * answers (src/ca/sm2-identities.ts: the IDs are kept in the store, so every
 * process knows them, not only the one that opened the key); this module
 * holds no state of its own.
 */
export interface Sm2KeyDirectory {
  /** The ID the key signs with when it is one of ours, else undefined (the default applies). */
  distinguishingIdOf(spkiDer: Uint8Array): string | undefined;
  /** A prepared point for a key verified often, or undefined for a single check. */
  preparedPoint(spkiDer: Uint8Array, pointHex: string): Sm2Point | undefined;
}

/**
 * The SM2 curve, GB/T 32918.5-2017 recommended parameters, as @noble/curves
 * points (the library sm-crypto-v2 itself is built on). sm-crypto-v2 verifies
 * with constant-time multiplications, which a verifier does not need; a key
 * seen once (a request's) is checked here with one Shamir double-and-add
 * (multiplyAndAddUnsafe) instead, about three times faster.
 */
const Sm2CurvePoint = weierstrassN({
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  n: SM2_ORDER,
  h: 1n,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
});
// The generator's table is built on its first use, not at start-up.
Sm2CurvePoint.BASE.precompute(8, true);

/** Exposed for the test that checks these parameters against sm-crypto-v2's. */
export const sm2CurveGenerator = Sm2CurvePoint.BASE;

/**
 * GB/T 32918.2-2016 §7.1 B5–B7 for a point used once: t = (r + s) mod n ≠ 0,
 * (x1, y1) = [s]G + [t]P ≠ O, accept iff (e + x1) mod n = r. `e` is SM3(Z ‖ M)
 * from sm-crypto-v2 (Z binds the signer's ID and key); r and s are already
 * known to lie in [1, n−1].
 */
function verifyOnce(pointHex: string, e: bigint, r: bigint, s: bigint): boolean {
  const t = (r + s) % SM2_ORDER;
  if (t === 0n) return false;
  const sum = Sm2CurvePoint.BASE.multiplyAndAddUnsafe(Sm2CurvePoint.fromHex(pointHex), s, t);
  if (!sum) return false;
  return (e + sum.toAffine().x) % SM2_ORDER === r;
}

export type Sm2Point = ReturnType<typeof sm2.precomputePublicKey>;

/**
 * Prepared points for the keys a process signs with (a CA, OCSP or TSA key,
 * checked after every signature): a window-10 table on the key's second use
 * (~0.2 s, ~1 MB), after which it verifies ~8× faster than without; any other
 * key is checked once with verifyOnce (measured in bench/sm2.ts). A memo
 * owned by whoever owns it (Sm2Identities), bounded.
 */
export class Sm2PreparedPoints {
  private readonly entries = new Map<string, { uses: number; point?: Sm2Point }>();

  constructor(private readonly limit = 64) {}

  pointFor(key: string, pointHex: string): Sm2Point | undefined {
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
      entry = { uses: 0 };
      this.entries.set(key, entry);
    }
    entry.uses++;
    if (!entry.point && entry.uses >= 2) entry.point = sm2.precomputePublicKey(pointHex, 10);
    return entry.point;
  }
}

/** r and s of a signature that signatureProblem found nothing wrong with. */
function signatureValues(signature: Uint8Array): { r: bigint; s: bigint } {
  const value = AsnConvert.parse(signature, ECDSASigValue);
  const big = (bytes: ArrayBuffer) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  return { r: big(value.r), s: big(value.s) };
}

/** Canonical DER of SM2Signature with r, s ∈ [1, n−1] (GB/T 32918.2 §7.1 B1, B2), else a reason. */
function signatureProblem(signature: Uint8Array): string | undefined {
  let value: ECDSASigValue;
  try {
    value = AsnConvert.parse(signature, ECDSASigValue);
  } catch {
    return 'the SM2 signature is not a DER SEQUENCE of two INTEGERs';
  }
  if (!Buffer.from(AsnConvert.serialize(value)).equals(Buffer.from(signature))) {
    return 'the SM2 signature is not in canonical DER';
  }
  for (const part of [value.r, value.s]) {
    const bytes = Buffer.from(part);
    if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) return 'the SM2 signature holds a negative integer';
    const n = BigInt(`0x${bytes.toString('hex')}`);
    if (n < 1n || n >= SM2_ORDER) return 'the SM2 signature values are out of range';
  }
  return undefined;
}

/** Verifies SM3withSM2 over `message` with the signer's distinguishing ID. */
export function verifySm2Signature(spkiDer: Uint8Array, message: Uint8Array, signature: Uint8Array, distinguishingId: string, keys?: Sm2KeyDirectory): boolean {
  let pointHex: string;
  try {
    pointHex = sm2PublicKeyFromInfo(spkiDer);
  } catch {
    return false;
  }
  return verifySm2Digest(spkiDer, pointHex, Buffer.from(sm2.getHash(message, pointHex, distinguishingId), 'hex'), signature, keys);
}

/** The check of GB/T 32918.2 §7.1 B3–B7 once e = SM3(Z ‖ M) is known (B1–B2: signatureProblem). */
function verifySm2Digest(spkiDer: Uint8Array, pointHex: string, e: Uint8Array, signature: Uint8Array, keys?: Sm2KeyDirectory): boolean {
  if (signatureProblem(signature)) return false;
  const point = keys?.preparedPoint(spkiDer, pointHex);
  if (!point) {
    const { r, s } = signatureValues(signature);
    return verifyOnce(pointHex, BigInt(`0x${Buffer.from(e).toString('hex')}`), r, s);
  }
  return sm2.doVerifySignature(e, Buffer.from(signature).toString('hex'), point, { hash: false, der: true });
}

/** What is wrong before any hashing: parameters (GM/T 0015 has none), the key, the signature's form. */
function preconditions(spkiDer: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array): SignatureCheck | undefined {
  if (algorithm.parameters && !Buffer.from(algorithm.parameters).equals(Buffer.from([0x05, 0x00]))) {
    return { ok: false, reason: 'SM3withSM2 takes no parameters (GM/T 0015)' };
  }
  try {
    sm2PublicKeyFromInfo(spkiDer);
  } catch (error) {
    const detail = error instanceof Sm2KeyError ? error.message : 'the public key cannot be loaded';
    return { ok: false, reason: `an SM3withSM2 signature needs an SM2 key: ${detail}` };
  }
  const problem = signatureProblem(signature);
  if (problem) return { ok: false, reason: problem };
  return undefined;
}

/**
 * The verifier registered for 1.2.156.10197.1.501. GM/T 0015 writes the
 * algorithm without parameters. A signature that only verifies with the
 * empty ID (OpenSSL 3's default without `-sigopt distid:`) is refused and
 * named as such: it does not follow GM/T 0009.
 */
export function verifySm3WithSm2(
  spkiDer: Uint8Array,
  algorithm: AlgorithmIdentifier,
  message: Uint8Array,
  signature: Uint8Array,
  options: SignatureVerificationOptions = {},
): SignatureCheck {
  const first = preconditions(spkiDer, algorithm, signature);
  if (first) return first;
  const id = options.distinguishingId ?? options.sm2Keys?.distinguishingIdOf(spkiDer) ?? DEFAULT_SM2_ID;
  if (verifySm2Signature(spkiDer, message, signature, id, options.sm2Keys)) return { ok: true };
  if (id !== '' && verifySm2Signature(spkiDer, message, signature, '')) {
    return { ok: false, reason: 'the SM2 signature was made with an empty distinguishing ID, which GM/T 0009 does not allow' };
  }
  return { ok: false, reason: `the signature does not verify with SM2 ID ${JSON.stringify(id)}` };
}

/**
 * verifySm3WithSm2 over a message handed over in parts: e = SM3(Z ‖ M) with Z for the ID the key signs with,
 * computed as the parts come. The same checks and acceptance; a signature made with the empty ID is refused
 * without being named as such (that would take a second hash of the whole message).
 */
export function startVerifyingSm3WithSm2(spkiDer: Uint8Array, algorithm: AlgorithmIdentifier, options: SignatureVerificationOptions = {}): VerifyingStream {
  const id = options.distinguishingId ?? options.sm2Keys?.distinguishingIdOf(spkiDer) ?? DEFAULT_SM2_ID;
  let pointHex: string | undefined;
  try {
    pointHex = sm2PublicKeyFromInfo(spkiDer);
  } catch {
    pointHex = undefined;
  }
  const hash = pointHex === undefined ? undefined : createHash('sm3').update(sm2.getZ(pointHex, id));
  return {
    update: (part) => void hash?.update(part),
    verify: (signature) => {
      const first = preconditions(spkiDer, algorithm, signature);
      if (first) return first;
      if (verifySm2Digest(spkiDer, pointHex!, hash!.digest(), signature, options.sm2Keys)) return { ok: true };
      return { ok: false, reason: `the signature does not verify with SM2 ID ${JSON.stringify(id)}` };
    },
  };
}
