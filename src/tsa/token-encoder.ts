import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { DigestAlgorithmIdentifiers, id_signedData } from '@peculiar/asn1-cms';
import { ContentType } from '@peculiar/asn1-pkcs9';
import { Accuracy, PKIStatus, PKIStatusInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { HASH_OID, type HashName } from '../crypto/algorithms.js';
import { encodedElement } from '../crypto/signed-structure.js';
import { attribute, digestAlgorithm, id_contentType, id_messageDigest, type CmsSignerIdentity } from './cms-signed-data.js';

/**
 * A time-stamp token (RFC 3161 §2.4.2) built from values, one asn1js tree per
 * token. Nothing from the request is copied as bytes: the MessageImprint is
 * rebuilt from the hash and the digest, the nonce from its integer value, so
 * the token holds the one DER encoding of each whatever the request looked
 * like. The parts that are the same for every token of a TSA identity (its
 * certificates, identifiers, the signing-certificate-v2 attribute, policy,
 * accuracy) are encoded once by asn1-schema when the identity is loaded and
 * placed as they are.
 *
 * Why asn1js and not asn1-schema's reflective serializer for the per-token
 * part: asn1-schema re-parses every ANY and pre-encoded field it is given
 * (ContentInfo's content, attribute values), ~2.7 ms of CPU per token against
 * ~0.2 ms here (measured with /tmp micro-benchmarks, docs/issuance-cycle.md);
 * the TSA's floor is 2,000 tokens per CPU-second. The tests check that
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
    this.policy = new Uint8Array(new asn1js.ObjectIdentifier({ value: policy }).toBER(false));
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
      this.hashAlgorithms[`${hash}`] = new Uint8Array(sequence(oid(algorithm)).toBER(false));
      this.hashAlgorithms[`${hash}/null`] = new Uint8Array(sequence(oid(algorithm), new asn1js.Null()).toBER(false));
    }
  }

  /** TSTInfo, the signed attributes over its digest, the signature, SignedData, the reply (RFC 5652 §5). */
  async encode(fields: TokenFields): Promise<EncodedToken> {
    const tstInfo = this.tstInfo(fields);
    const digest = createHash(this.identity.hash).update(tstInfo).digest();
    const messageDigest = sequence(encodedElement(MESSAGE_DIGEST), new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: digest })] }));
    const attributes = Buffer.concat(sortDer([this.contentTypeAttribute, new Uint8Array(messageDigest.toBER(false)), this.signingCertificateAttribute]));
    // The signature covers the attributes under the universal SET tag; the SignerInfo carries them as [0] IMPLICIT (RFC 5652 §5.4).
    const toBeSigned = new Uint8Array(new asn1js.Set({ value: [encodedElement(attributes)] }).toBER(false));
    const signature = await this.identity.signer.sign(toBeSigned);
    const signerInfo = sequence(
      new asn1js.Integer({ value: 1 }),
      encodedElement(this.sid),
      encodedElement(this.digestAlgorithm),
      tagged(0, encodedElement(attributes)),
      encodedElement(this.signatureAlgorithm),
      new asn1js.OctetString({ valueHex: signature }),
    );
    const signedData = sequence(
      new asn1js.Integer({ value: 3 }),
      encodedElement(this.digestAlgorithms),
      sequence(encodedElement(TST_INFO), tagged(0, new asn1js.OctetString({ valueHex: tstInfo }))),
      ...(fields.includeCertificate ? [tagged(0, encodedElement(this.certificates))] : []),
      new asn1js.Set({ value: [signerInfo] }),
    );
    const token = Buffer.from(sequence(encodedElement(SIGNED_DATA), tagged(0, signedData)).toBER(false));
    const reply = Buffer.from(sequence(encodedElement(this.granted), encodedElement(token)).toBER(false));
    return { reply, token };
  }

  /**
   * ```asn1
   * TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy, [ordering], [nonce] }
   * MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
   * ```
   */
  tstInfo(fields: Omit<TokenFields, 'includeCertificate'>): Buffer {
    const hashAlgorithm = encodedElement(this.hashAlgorithms[`${fields.hash}${fields.nullParameters ? '/null' : ''}`]!);
    const tst = sequence(
      new asn1js.Integer({ value: 1 }),
      encodedElement(this.policy),
      sequence(hashAlgorithm, new asn1js.OctetString({ valueHex: fields.hashedMessage })),
      new asn1js.Integer({ valueHex: fields.serial }),
      new asn1js.GeneralizedTime({ valueDate: fields.genTime }),
      encodedElement(this.accuracy),
      ...(fields.nonce !== undefined ? [new asn1js.Integer({ valueHex: integerContents(fields.nonce) })] : []),
    );
    return Buffer.from(tst.toBER(false));
  }
}

const der = (value: unknown) => new Uint8Array(AsnConvert.serialize(value));
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const MESSAGE_DIGEST = new Uint8Array(oid(id_messageDigest).toBER(false));
const TST_INFO = new Uint8Array(oid(id_ct_tstInfo).toBER(false));
const SIGNED_DATA = new Uint8Array(oid(id_signedData).toBER(false));
const sequence = (...value: asn1js.AsnType[]) => new asn1js.Sequence({ value });
/** [n] constructed, context-specific: EXPLICIT around a value, or IMPLICIT over a SET's contents. */
const tagged = (tagNumber: number, content: asn1js.AsnType) =>
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value: [content] as asn1js.Constructed['valueBlock']['value'] });

/** The minimal two's-complement content octets of a non-negative INTEGER (X.690 §8.3.2). */
export function integerContents(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('a nonce is never negative');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** X.690 §11.6: SET OF members in the order of their encodings, the shorter padded with zeros. */
function sortDer(items: Uint8Array[]): Uint8Array[] {
  return [...items].sort((x, y) => {
    const length = Math.max(x.length, y.length);
    const a = Buffer.alloc(length);
    const b = Buffer.alloc(length);
    a.set(x);
    b.set(y);
    return Buffer.compare(a, b);
  });
}
