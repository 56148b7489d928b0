import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { DigestAlgorithmIdentifiers, id_signedData } from '@peculiar/asn1-cms';
import { ContentType } from '@peculiar/asn1-pkcs9';
import { Accuracy, PKIStatus, PKIStatusInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { HASH_OID, type HashName } from '../crypto/algorithms.js';
import { attribute, digestAlgorithm, id_contentType, id_messageDigest, type CmsSignerIdentity } from './cms-signed-data.js';

/**
 * A time-stamp token (RFC 3161 §2.4.2) built from values, written as DER
 * directly (X.690 §8.1, §10–11). Nothing from the request is copied as bytes:
 * the MessageImprint is rebuilt from the hash and the digest, the nonce from
 * its integer value, so the token holds the one DER encoding of each whatever
 * the request looked like. The parts that are the same for every token of a
 * TSA identity (its certificates, identifiers, the signing-certificate-v2
 * attribute, policy, accuracy) are encoded once by asn1-schema when the
 * identity is loaded and placed as they are.
 *
 * Why a few lines of TLV writing and not an ASN.1 library for the per-token
 * part: asn1-schema's reflective serializer re-parses every ANY and
 * pre-encoded field (~2.7 ms of CPU per token), and asn1js, used here before,
 * builds a tree of block objects per token (~175 µs of the ~200 µs encode, and
 * much of the garbage; issue 15 profiles, docs/performance.md). The token's
 * per-token fields are an INTEGER, an OCTET STRING, a GeneralizedTime and
 * SEQUENCE/SET/[0] around them: written by value here, then the token lint
 * (token-lint.ts) walks the signed bytes strictly, and the tests check that
 * asn1-schema parses every token and re-encodes it byte for byte.
 */

export interface TokenFields {
  hash: HashName;
  /**
   * Whether the request wrote the hash algorithm's parameters as NULL rather than leaving them
   * out (RFC 5754 §2 allows both): TSTInfo's MessageImprint "MUST have the same value" (§2.4.2).
   */
  nullParameters: boolean;
  hashedMessage: Uint8Array;
  /** serialNumber content octets (positive, minimal). */
  serial: Uint8Array;
  genTime: Date;
  /** The request's nonce, a non-negative integer (RFC 3161 §2.4.1). */
  nonce?: bigint;
  /** RFC 3161 §2.4.1: the TSA's certificate (and its issuing CA's) in the token only when certReq asks for it. */
  includeCertificate: boolean;
}

export interface EncodedToken {
  /** TimeStampResp { granted, TimeStampToken }. */
  reply: Buffer;
  /** The TimeStampToken (ContentInfo). */
  token: Buffer;
}

/** Everything in a token that is the same for every token a TSA identity signs, encoded once. */
export class TokenTemplate {
  /** policy OBJECT IDENTIFIER, whole. */
  private readonly policy: Uint8Array;
  private readonly accuracy: Uint8Array;
  private readonly contentTypeAttribute: Uint8Array;
  private readonly signingCertificateAttribute: Uint8Array;
  private readonly sid: Uint8Array;
  private readonly digestAlgorithm: Uint8Array;
  private readonly signatureAlgorithm: Uint8Array;
  private readonly digestAlgorithms: Uint8Array;
  /** SignedData.certificates' contents when certReq is set: the TSA's and its issuing CA's, in DER SET order (X.690 §11.6). */
  private readonly certificates: Uint8Array;
  private readonly granted: Uint8Array;
  /** Every hash's AlgorithmIdentifier, without and with NULL parameters. */
  private readonly hashAlgorithms: Record<string, Uint8Array>;

  constructor(
    private readonly identity: CmsSignerIdentity,
    policy: string,
    accuracy: Accuracy,
    /**
     * The CA certificates above the TSA's, root excluded. Carried with the TSA's so that
     * a relying party needs only the root (jarsigner, osslsigncode, `openssl ts -verify
     * -CAfile root.pem`); RFC 3161 §2.4.1 lets certReq carry "other certificates" too.
     */
    chain: Uint8Array[] = [],
  ) {
    this.policy = tlv(OBJECT_IDENTIFIER, oidContents(policy));
    this.accuracy = der(accuracy);
    this.contentTypeAttribute = der(attribute(id_contentType, new ContentType(id_ct_tstInfo)));
    this.signingCertificateAttribute = der(identity.signingCertificate);
    this.sid = der(identity.sid.issuerAndSerialNumber);
    this.digestAlgorithm = der(digestAlgorithm(identity.hash));
    this.signatureAlgorithm = der(identity.signer.signatureAlgorithm);
    this.digestAlgorithms = der(new DigestAlgorithmIdentifiers([digestAlgorithm(identity.hash)]));
    this.certificates = Buffer.concat(sortDer([new Uint8Array(identity.certificateDer), ...chain]));
    this.granted = der(new PKIStatusInfo({ status: PKIStatus.granted }));
    this.hashAlgorithms = {};
    for (const [hash, algorithm] of Object.entries(HASH_OID)) {
      const oid = tlv(OBJECT_IDENTIFIER, oidContents(algorithm));
      this.hashAlgorithms[`${hash}`] = tlv(SEQUENCE, oid);
      this.hashAlgorithms[`${hash}/null`] = tlv(SEQUENCE, oid, DER_NULL);
    }
  }

  /** TSTInfo, the signed attributes over its digest, the signature, SignedData, the reply (RFC 5652 §5). */
  async encode(fields: TokenFields): Promise<EncodedToken> {
    const tstInfo = this.tstInfo(fields);
    const digest = createHash(this.identity.hash).update(tstInfo).digest();
    const messageDigest = tlv(SEQUENCE, MESSAGE_DIGEST, tlv(SET, tlv(OCTET_STRING, digest)));
    const attributes = sortDer([this.contentTypeAttribute, messageDigest, this.signingCertificateAttribute]);
    // The signature covers the attributes under the universal SET tag; the SignerInfo carries them as [0] IMPLICIT (RFC 5652 §5.4).
    const signature = await this.identity.signer.sign(tlv(SET, ...attributes));
    const signerInfo = tlv(
      SEQUENCE,
      INTEGER_1,
      this.sid,
      this.digestAlgorithm,
      tlv(CONTEXT_0, ...attributes),
      this.signatureAlgorithm,
      tlv(OCTET_STRING, signature),
    );
    const signedData = tlv(
      SEQUENCE,
      INTEGER_3,
      this.digestAlgorithms,
      tlv(SEQUENCE, TST_INFO, tlv(CONTEXT_0, tlv(OCTET_STRING, tstInfo))),
      ...(fields.includeCertificate ? [tlv(CONTEXT_0, this.certificates)] : []),
      tlv(SET, signerInfo),
    );
    const token = tlv(SEQUENCE, SIGNED_DATA, tlv(CONTEXT_0, signedData));
    const reply = tlv(SEQUENCE, this.granted, token);
    return { reply, token };
  }

  /**
   * ```asn1
   * TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy, [ordering], [nonce] }
   * MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
   * ```
   */
  tstInfo(fields: Omit<TokenFields, 'includeCertificate'>): Buffer {
    const hashAlgorithm = this.hashAlgorithms[`${fields.hash}${fields.nullParameters ? '/null' : ''}`]!;
    return tlv(
      SEQUENCE,
      INTEGER_1,
      this.policy,
      tlv(SEQUENCE, hashAlgorithm, tlv(OCTET_STRING, fields.hashedMessage)),
      tlv(INTEGER, fields.serial),
      tlv(GENERALIZED_TIME, generalizedTime(fields.genTime)),
      this.accuracy,
      ...(fields.nonce !== undefined ? [tlv(INTEGER, integerContents(fields.nonce))] : []),
    );
  }
}

const der = (value: unknown) => new Uint8Array(AsnConvert.serialize(value));

/** Identifier octets (X.690 §8.1.2): universal primitive, universal constructed, [0] constructed. */
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OBJECT_IDENTIFIER = 0x06;
const GENERALIZED_TIME = 0x18;
const SEQUENCE = 0x30;
const SET = 0x31;
const CONTEXT_0 = 0xa0;

/**
 * One DER value: identifier, the definite length in its shortest form
 * (X.690 §10.1), the contents given in order. The contents are themselves
 * DER values or value octets made by the functions here.
 */
function tlv(identifier: number, ...contents: Uint8Array[]): Buffer {
  let length = 0;
  for (const part of contents) length += part.length;
  const lengthOctets = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
  if (length >= 0x1000000) throw new RangeError('a token part of 16 MiB or more');
  const out = Buffer.allocUnsafe(2 + lengthOctets + length);
  out[0] = identifier;
  let at = 1;
  if (lengthOctets === 0) out[at++] = length;
  else {
    out[at++] = 0x80 | lengthOctets;
    for (let shift = 8 * (lengthOctets - 1); shift >= 0; shift -= 8) out[at++] = (length >>> shift) & 0xff;
  }
  for (const part of contents) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** OBJECT IDENTIFIER contents (X.690 §8.19): the first two arcs as 40·X+Y, each sub-identifier in base 128, fewest digits. */
export function oidContents(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`${dotted} is not an object identifier`);
  const arcs = dotted.split('.').map(BigInt);
  const subidentifiers = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const octets: number[] = [];
  for (const value of subidentifiers) {
    const digits = [Number(value & 0x7fn)];
    for (let rest = value >> 7n; rest > 0n; rest >>= 7n) digits.unshift(Number(rest & 0x7fn) | 0x80);
    octets.push(...digits);
  }
  return Buffer.from(octets);
}

/** GeneralizedTime contents as DER writes them (X.690 §11.7): YYYYMMDDHHMMSS, a fraction without trailing zeros, Z. */
export function generalizedTime(at: Date): Buffer {
  const year = at.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new RangeError('genTime outside the years 0000-9999');
  // toISOString: YYYY-MM-DDTHH:MM:SS.sssZ for these years.
  const iso = at.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  const text = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${fraction ? `.${fraction}` : ''}Z`;
  return Buffer.from(text, 'latin1');
}

const DER_NULL = Buffer.from([0x05, 0x00]);
const INTEGER_1 = Buffer.from([INTEGER, 0x01, 0x01]);
const INTEGER_3 = Buffer.from([INTEGER, 0x01, 0x03]);
const MESSAGE_DIGEST = tlv(OBJECT_IDENTIFIER, oidContents(id_messageDigest));
const TST_INFO = tlv(OBJECT_IDENTIFIER, oidContents(id_ct_tstInfo));
const SIGNED_DATA = tlv(OBJECT_IDENTIFIER, oidContents(id_signedData));

/** The minimal two's-complement content octets of a non-negative INTEGER (X.690 §8.3.2). */
export function integerContents(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('a nonce is never negative');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** X.690 §11.6: SET OF members in the order of their encodings, the shorter compared as if padded with zeros. */
function sortDer(items: Uint8Array[]): Uint8Array[] {
  return [...items].sort(compareDer);
}

function compareDer(x: Uint8Array, y: Uint8Array): number {
  const common = Math.min(x.length, y.length);
  for (let i = 0; i < common; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  // Past the common part the longer is compared with zeros: greater unless the rest is all zeros.
  const [longer, sign] = x.length > y.length ? [x, 1] : [y, -1];
  for (let i = common; i < longer.length; i++) if (longer[i] !== 0) return sign;
  return 0;
}
