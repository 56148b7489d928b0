import { AsnConvert } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { sm2 } from 'sm-crypto-v2';
import type { SignatureCheck, SignatureVerificationOptions } from './signature-verification.js';
import { DEFAULT_SM2_ID, SM2_ORDER, Sm2KeyError, sm2PublicKeyFromInfo } from './sm2-key.js';

/**
 * The SM2 keys this process signs with (SPKI → ID): they get prepared points.
 * A signature made here and checked here (the issuance self-check, a CRL or
 * OCSP response checked before it is published) must use the signer's own ID
 * even where the caller does not pass it; any other key gets the default.
 */
const ownKeyIds = new Map<string, string>();
/** IDs other than the default, configured on purpose (a CA's): never forgotten, or its signatures would stop verifying. */
const configuredIds = new Map<string, string>();

export function rememberDistinguishingId(spkiDer: Uint8Array, id: string): void {
  const key = Buffer.from(spkiDer).toString('base64');
  if (id !== DEFAULT_SM2_ID) configuredIds.set(key, id);
  ownKeyIds.delete(key);
  ownKeyIds.set(key, id);
  // Bounded: a process that makes many short-lived SM2 keys forgets the oldest (only a speed-up is lost).
  if (ownKeyIds.size > 10_000) ownKeyIds.delete(ownKeyIds.keys().next().value!);
}

/** The ID a verifier should assume for this key when nobody says otherwise. */
export function distinguishingIdFor(spkiDer: Uint8Array): string {
  return configuredIds.get(Buffer.from(spkiDer).toString('base64')) ?? DEFAULT_SM2_ID;
}

const publicKeys = new Map<string, string>();

/** Parsed and validated public points, cached: CA keys are checked thousands of times. */
function publicPoint(spkiDer: Uint8Array): string {
  const cacheKey = Buffer.from(spkiDer).toString('base64');
  let point = publicKeys.get(cacheKey);
  if (!point) {
    point = sm2PublicKeyFromInfo(spkiDer);
    if (publicKeys.size > 10_000) publicKeys.clear();
    publicKeys.set(cacheKey, point);
  }
  return point;
}

type Sm2Point = ReturnType<typeof sm2.precomputePublicKey>;
const preparedPoints = new Map<string, { uses: number; point?: Sm2Point }>();

/**
 * The point handed to sm-crypto-v2. Its verification is pure-JS BigInt
 * arithmetic: an un-prepared point verifies at ~90/s. A key held here that
 * is checked again and again (a CA, OCSP or TSA key, checked after every
 * signature) gets a window-10 table on its second use (~0.2 s, ~1 MB) and
 * then verifies ~8× faster; any other key gets the window that is cheapest
 * for a single use (2, measured in bench/sm2.ts).
 */
function verificationPoint(spkiDer: Uint8Array): Sm2Point {
  const cacheKey = Buffer.from(spkiDer).toString('base64');
  const point = publicPoint(spkiDer);
  if (!ownKeyIds.has(cacheKey)) return sm2.precomputePublicKey(point, 2);
  let entry = preparedPoints.get(cacheKey);
  if (!entry) {
    if (preparedPoints.size > 64) preparedPoints.clear();
    entry = { uses: 0 };
    preparedPoints.set(cacheKey, entry);
  }
  entry.uses++;
  if (entry.point) return entry.point;
  if (entry.uses < 2) return sm2.precomputePublicKey(point, 2);
  entry.point = sm2.precomputePublicKey(point, 10);
  return entry.point;
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
export function verifySm2Signature(spkiDer: Uint8Array, message: Uint8Array, signature: Uint8Array, distinguishingId: string): boolean {
  let point: Sm2Point;
  try {
    point = verificationPoint(spkiDer);
  } catch {
    return false;
  }
  if (signatureProblem(signature)) return false;
  return sm2.doVerifySignature(message, Buffer.from(signature).toString('hex'), point, {
    hash: true,
    der: true,
    userId: distinguishingId,
  });
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
  if (algorithm.parameters && !Buffer.from(algorithm.parameters).equals(Buffer.from([0x05, 0x00]))) {
    return { ok: false, reason: 'SM3withSM2 takes no parameters (GM/T 0015)' };
  }
  try {
    publicPoint(spkiDer);
  } catch (error) {
    const detail = error instanceof Sm2KeyError ? error.message : 'the public key cannot be loaded';
    return { ok: false, reason: `an SM3withSM2 signature needs an SM2 key: ${detail}` };
  }
  const problem = signatureProblem(signature);
  if (problem) return { ok: false, reason: problem };
  const id = options.distinguishingId ?? distinguishingIdFor(spkiDer);
  if (verifySm2Signature(spkiDer, message, signature, id)) return { ok: true };
  if (id !== '' && verifySm2Signature(spkiDer, message, signature, '')) {
    return { ok: false, reason: 'the SM2 signature was made with an empty distinguishing ID, which GM/T 0009 does not allow' };
  }
  return { ok: false, reason: `the signature does not verify with SM2 ID ${JSON.stringify(id)}` };
}
