import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, DigestAlgorithmIdentifiers, id_signedData } from '@peculiar/asn1-cms';
import { ContentType } from '@peculiar/asn1-pkcs9';
import { Accuracy, PKIStatus, PKIStatusInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { digestAlgorithm, id_contentType, id_messageDigest, type CmsSignerIdentity } from './cms-signed-data.js';

/**
 * The TSA's hot path. @peculiar/asn1-schema serialises by reflection and
 * re-parses every pre-encoded field (a certificate, a token inside a reply):
 * about 2 ms per token, which caps a TSA at a few hundred tokens a second.
 * Here the parts that never change (the TSA certificate, its identifiers, the
 * signing-certificate-v2 attribute, the policy, the accuracy) are encoded
 * once with asn1-schema, and each token is assembled from asn1js's own ASN.1
 * types around them. The tests prove the result is byte for byte what
 * asn1-schema produces for the same structure (RFC 3161 §2.4.2, RFC 5652 §5).
 */

/** A subtree already DER-encoded (by asn1-schema), placed into an asn1js tree unchanged. */
class Encoded extends asn1js.RawData {
  constructor(bytes: ArrayBuffer | Uint8Array) {
    super({ data: bytes });
  }

  override toBER(_sizeOnly?: boolean, writer?: { write(buffer: ArrayBuffer): void }): ArrayBuffer {
    const bytes = this.dataView.slice().buffer;
    if (writer) {
      writer.write(bytes);
      return new ArrayBuffer(0);
    }
    return bytes;
  }
}

/** [n] IMPLICIT or EXPLICIT constructed context tag around the given values. */
function tagged(tagNumber: number, value: asn1js.AsnType[]): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value: value as asn1js.Constructed['valueBlock']['value'] });
}

/** asn1js's types do not list RawData among the nodes a constructed value holds, though it encodes them. */
function encoded(bytes: ArrayBuffer | Uint8Array): asn1js.AsnType {
  return new Encoded(bytes) as unknown as asn1js.AsnType;
}

function der(value: unknown): asn1js.AsnType {
  return encoded(AsnConvert.serialize(value));
}

/** Everything in a token that is the same for every token a TSA identity signs. */
export class TokenTemplate {
  private readonly policy: asn1js.AsnType;
  private readonly accuracy: asn1js.AsnType;
  private readonly contentTypeAttribute: ArrayBuffer;
  private readonly signingCertificateAttribute: ArrayBuffer;
  private readonly sid: asn1js.AsnType;
  private readonly digestAlgorithm: asn1js.AsnType;
  private readonly signatureAlgorithm: asn1js.AsnType;
  private readonly digestAlgorithms: asn1js.AsnType;
  private readonly tstInfoType: asn1js.AsnType;
  private readonly signedDataType: asn1js.AsnType;
  private readonly messageDigestType: asn1js.AsnType;
  private readonly certificate: asn1js.AsnType;
  readonly granted: asn1js.AsnType;

  constructor(
    identity: CmsSignerIdentity,
    policy: string,
    accuracy: Accuracy,
  ) {
    this.policy = encoded(new asn1js.ObjectIdentifier({ value: policy }).toBER(false));
    this.accuracy = der(accuracy);
    this.contentTypeAttribute = AsnConvert.serialize(
      new Attribute({ attrType: id_contentType, attrValues: [AsnConvert.serialize(new ContentType(id_ct_tstInfo))] }),
    );
    this.signingCertificateAttribute = AsnConvert.serialize(identity.signingCertificate);
    this.sid = der(identity.sid.issuerAndSerialNumber);
    this.digestAlgorithm = der(digestAlgorithm(identity.hash));
    this.signatureAlgorithm = der(identity.signer.signatureAlgorithm);
    this.digestAlgorithms = der(new DigestAlgorithmIdentifiers([digestAlgorithm(identity.hash)]));
    this.tstInfoType = encoded(new asn1js.ObjectIdentifier({ value: id_ct_tstInfo }).toBER(false));
    this.signedDataType = encoded(new asn1js.ObjectIdentifier({ value: id_signedData }).toBER(false));
    this.messageDigestType = encoded(new asn1js.ObjectIdentifier({ value: id_messageDigest }).toBER(false));
    this.certificate = encoded(identity.certificateDer);
    this.granted = der(new PKIStatusInfo({ status: PKIStatus.granted }));
  }

  /**
   * ```asn1
   * TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy, [ordering], [nonce] }
   * ```
   * The messageImprint is the request's, byte for byte (RFC 3161 §2.4.2: "MUST have the same value").
   */
  tstInfo(fields: { messageImprintDer: Uint8Array; serial: Uint8Array; genTime: Date; nonce?: Uint8Array }): ArrayBuffer {
    const value: asn1js.AsnType[] = [
      new asn1js.Integer({ value: 1 }),
      this.policy,
      encoded(fields.messageImprintDer),
      new asn1js.Integer({ valueHex: fields.serial }),
      new asn1js.GeneralizedTime({ valueDate: fields.genTime }),
      this.accuracy,
    ];
    if (fields.nonce) value.push(new asn1js.Integer({ valueHex: fields.nonce }));
    return new asn1js.Sequence({ value }).toBER(false);
  }

  /** The DER SET OF signed attributes the signature covers, and the attributes in DER order. */
  signedAttributes(digest: Uint8Array): { toBeSigned: ArrayBuffer; encoded: ArrayBuffer[] } {
    const messageDigest = new asn1js.Sequence({
      value: [this.messageDigestType, new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: digest })] })],
    }).toBER(false);
    const sorted = sortDer([this.contentTypeAttribute, messageDigest, this.signingCertificateAttribute]);
    return { toBeSigned: new asn1js.Set({ value: sorted.map((a) => encoded(a)) }).toBER(false), encoded: sorted };
  }

  /** ContentInfo { id-signedData, SignedData { TSTInfo } }: the TimeStampToken. */
  token(fields: { tstInfo: ArrayBuffer; signedAttributes: ArrayBuffer[]; signature: Uint8Array; includeCertificate: boolean }): ArrayBuffer {
    const signerInfo = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 1 }),
        this.sid,
        this.digestAlgorithm,
        tagged(0, fields.signedAttributes.map((a) => encoded(a))),
        this.signatureAlgorithm,
        new asn1js.OctetString({ valueHex: fields.signature }),
      ],
    });
    const signedData: asn1js.AsnType[] = [
      new asn1js.Integer({ value: 3 }),
      this.digestAlgorithms,
      new asn1js.Sequence({ value: [this.tstInfoType, tagged(0, [new asn1js.OctetString({ valueHex: fields.tstInfo })])] }),
    ];
    if (fields.includeCertificate) signedData.push(tagged(0, [this.certificate]));
    signedData.push(new asn1js.Set({ value: [signerInfo] }));
    return new asn1js.Sequence({ value: [this.signedDataType, tagged(0, [new asn1js.Sequence({ value: signedData })])] }).toBER(false);
  }

  /** TimeStampResp { granted, token }. */
  grantedReply(token: ArrayBuffer): Buffer {
    return Buffer.from(new asn1js.Sequence({ value: [this.granted, encoded(token)] }).toBER(false));
  }
}

/** X.690 §11.6: SET OF members in the order of their encodings, the shorter padded with zeros. */
function sortDer(items: ArrayBuffer[]): ArrayBuffer[] {
  return [...items].sort((x, y) => {
    const a = Buffer.from(x);
    const b = Buffer.from(y);
    const length = Math.max(a.length, b.length);
    return Buffer.compare(Buffer.concat([a, Buffer.alloc(length - a.length)]), Buffer.concat([b, Buffer.alloc(length - b.length)]));
  });
}
