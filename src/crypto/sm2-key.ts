import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Attribute, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { Attributes, PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { sm2 } from 'sm-crypto-v2';
import { OID } from './algorithms.js';

/**
 * SM2 key material in the encodings X.509 and PKCS#8 use for it (GM/T 0010,
 * GB/T 35276): an id-ecPublicKey key on the named curve 1.2.156.10197.1.301,
 * public key the uncompressed point 04‖x‖y, private key an ECPrivateKey.
 */

/** GM/T 0009 §10: the distinguishing ID used when no other is agreed. */
export const DEFAULT_SM2_ID = '1234567812345678';

/**
 * A PKCS#8 attribute that keeps the signer's distinguishing ID with its key,
 * so a CA configured with another ID signs with it after every restart.
 * No registry knows such an attribute; the arc is a UUID OID (ITU-T X.667),
 * unique without registration, and other tools (OpenSSL) ignore it.
 */
export const SM2_DISTINGUISHING_ID_ATTRIBUTE = '2.25.72954866816869072432017882134783518838';

/**
 * asn1js encodes the UUID arc correctly but, on parsing, names an arc above
 * 2^53 by its hex bytes ("2.25.{…}"); this is that name, found by a round trip.
 */
const PARSED_ID_ATTRIBUTE = AsnConvert.parse(
  AsnConvert.serialize(new Attribute({ type: SM2_DISTINGUISHING_ID_ATTRIBUTE, values: [AsnConvert.serialize(new OctetString())] })),
  Attribute,
).type;

/** Order n of the SM2 recommended curve (GB/T 32918.5-2017 §3). */
export const SM2_ORDER = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

export class Sm2KeyError extends Error {}

function curveIdentifier(): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: OID.ecPublicKey,
    parameters: AsnConvert.serialize(new ECParameters({ namedCurve: OID.sm2Curve })),
  });
}

/** DER SubjectPublicKeyInfo of an SM2 public key given as hex 04‖x‖y. */
export function sm2PublicKeyInfo(publicKeyHex: string): Uint8Array {
  const spki = new SubjectPublicKeyInfo({
    algorithm: curveIdentifier(),
    subjectPublicKey: new Uint8Array(Buffer.from(publicKeyHex, 'hex')).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

/** True when the SPKI names the SM2 curve (whatever the point). */
export function isSm2PublicKeyInfo(spki: SubjectPublicKeyInfo): boolean {
  if (spki.algorithm.algorithm !== OID.ecPublicKey || !spki.algorithm.parameters) return false;
  try {
    return AsnConvert.parse(spki.algorithm.parameters, ECParameters).namedCurve === OID.sm2Curve;
  } catch {
    return false;
  }
}

/**
 * The public point (hex 04‖x‖y) of an SM2 SubjectPublicKeyInfo, after checking
 * it is an uncompressed point on the curve (GB/T 32918.1 §6.2.2: a relying
 * party validates the public key before it uses it).
 */
export function sm2PublicKeyFromInfo(spkiDer: Uint8Array): string {
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  } catch {
    throw new Sm2KeyError('SubjectPublicKeyInfo is not valid DER');
  }
  if (!isSm2PublicKeyInfo(spki)) throw new Sm2KeyError('the key is not on the SM2 curve (1.2.156.10197.1.301)');
  const point = Buffer.from(spki.subjectPublicKey);
  if (point.length !== 65 || point[0] !== 0x04) throw new Sm2KeyError('the SM2 public key is not an uncompressed point');
  const hex = point.toString('hex');
  let onCurve = false;
  try {
    onCurve = sm2.verifyPublicKey(hex);
  } catch {
    onCurve = false;
  }
  if (!onCurve) throw new Sm2KeyError('the SM2 public key is not a point on the curve');
  return hex;
}

export interface Sm2KeyPair {
  /** 64 hex digits of the scalar d. */
  privateKey: string;
  /** 130 hex digits 04‖x‖y. */
  publicKey: string;
  distinguishingId: string;
}

/** A fresh SM2 key pair from the CSPRNG (never from a seed: see docs/architecture.md). */
export function generateSm2KeyPair(distinguishingId = DEFAULT_SM2_ID): Sm2KeyPair {
  for (;;) {
    const pair = sm2.generateKeyPairHex();
    // d = n − 1 is a valid EC key but not a valid SM2 key (1 + d ≡ 0 mod n).
    if (isValidSm2PrivateKey(pair.privateKey)) return { ...pair, distinguishingId };
  }
}

/** GB/T 32918.1 §6.1: d ∈ [1, n−2], since signing inverts 1 + d. */
export function isValidSm2PrivateKey(privateKeyHex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(privateKeyHex)) return false;
  const d = BigInt(`0x${privateKeyHex}`);
  return d >= 1n && d <= SM2_ORDER - 2n;
}

/**
 * PKCS#8 PrivateKeyInfo of an SM2 key (RFC 5208 + RFC 5915), with the
 * distinguishing ID as an attribute. This is what key-envelope.ts seals.
 */
export function encodeSm2Pkcs8(key: Sm2KeyPair): Buffer {
  const ecPrivateKey = new ECPrivateKey({
    version: 1,
    privateKey: new OctetString(Buffer.from(key.privateKey, 'hex')),
    publicKey: new Uint8Array(Buffer.from(key.publicKey, 'hex')).buffer,
  });
  const idValue = AsnConvert.serialize(new OctetString(Buffer.from(key.distinguishingId, 'utf8')));
  const info = new PrivateKeyInfo({
    privateKeyAlgorithm: curveIdentifier(),
    privateKey: new OctetString(AsnConvert.serialize(ecPrivateKey)),
    attributes: new Attributes([new Attribute({ type: SM2_DISTINGUISHING_ID_ATTRIBUTE, values: [idValue] })]),
  });
  return Buffer.from(AsnConvert.serialize(info));
}

/**
 * Reads an SM2 PKCS#8 key: ours (with the ID attribute) or any other tool's
 * (OpenSSL's `genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2`), which
 * then signs with `fallbackId`.
 */
export function decodeSm2Pkcs8(pkcs8Der: Uint8Array, fallbackId = DEFAULT_SM2_ID): Sm2KeyPair {
  let info: PrivateKeyInfo;
  let ecPrivateKey: ECPrivateKey;
  try {
    info = AsnConvert.parse(pkcs8Der, PrivateKeyInfo);
    ecPrivateKey = AsnConvert.parse(info.privateKey.buffer, ECPrivateKey);
  } catch (error) {
    throw new Sm2KeyError(`not a PKCS#8 EC private key: ${(error as Error).message}`);
  }
  const curve = ecPrivateKey.parameters?.namedCurve ?? curveOf(info.privateKeyAlgorithm);
  if (info.privateKeyAlgorithm.algorithm !== OID.ecPublicKey || curve !== OID.sm2Curve) {
    throw new Sm2KeyError('the private key is not an SM2 key');
  }
  const privateKey = Buffer.from(ecPrivateKey.privateKey.buffer).toString('hex').padStart(64, '0');
  if (!isValidSm2PrivateKey(privateKey)) throw new Sm2KeyError('the SM2 private scalar is out of range');
  const publicKey = sm2.getPublicKeyFromPrivateKey(privateKey);
  if (ecPrivateKey.publicKey && Buffer.from(ecPrivateKey.publicKey).toString('hex') !== publicKey) {
    throw new Sm2KeyError('the public key stored with the SM2 private key does not belong to it');
  }
  const idAttribute = info.attributes?.find((a) => a.type === SM2_DISTINGUISHING_ID_ATTRIBUTE || a.type === PARSED_ID_ATTRIBUTE);
  const distinguishingId = idAttribute?.values[0]
    ? Buffer.from(AsnConvert.parse(idAttribute.values[0], OctetString).buffer).toString('utf8')
    : fallbackId;
  return { privateKey, publicKey, distinguishingId };
}

function curveOf(algorithm: AlgorithmIdentifier): string | undefined {
  if (!algorithm.parameters) return undefined;
  try {
    return AsnConvert.parse(algorithm.parameters, ECParameters).namedCurve;
  } catch {
    return undefined;
  }
}

/**
 * GB/T 32918.2 §5.5: ENTL is a 16-bit count of bits, so an ID is at most
 * 8191 bytes; an empty ID is what OpenSSL 3 uses by default and what GM/T
 * 0009 does not allow, so Signet refuses it for its own keys.
 */
export function checkDistinguishingId(id: string): string {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes === 0) throw new Sm2KeyError('the SM2 distinguishing ID must not be empty (GM/T 0009 §10)');
  if (bytes * 8 > 0xffff) throw new Sm2KeyError('the SM2 distinguishing ID is longer than 8191 bytes (GB/T 32918.2 §5.5)');
  return id;
}
