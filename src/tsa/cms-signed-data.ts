import { createHash } from 'node:crypto';
import { AsnArray, AsnConvert, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  SignatureAlgorithmIdentifier,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { ContentType, SigningTime } from '@peculiar/asn1-pkcs9';
import { HASH_OID, type HashName } from '../crypto/algorithms.js';
import type { Signer } from '../crypto/signer.js';
import { signingCertificateV2Attribute } from './ess-signing-certificate.js';

/** RFC 5652 §11: the attribute types every signer here uses. */
export const id_contentType = '1.2.840.113549.1.9.3';
export const id_messageDigest = '1.2.840.113549.1.9.4';
export const id_signingTime = '1.2.840.113549.1.9.5';

/**
 * ```asn1
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
 * ```
 * Universal SET tag: this is what the signature covers (RFC 5652 §5.4), while the
 * SignerInfo carries the same content under [0] IMPLICIT.
 */
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
export class SignedAttributes extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, SignedAttributes.prototype);
  }
}

/** The digest a signer's SignerInfo uses: its own, but SHA-512 for Ed25519 (RFC 8419 §3.1) and ML-DSA (RFC 9882 §3.3). */
export function cmsDigestFor(signer: Signer): HashName {
  return signer.scheme === 'eddsa' || signer.scheme === 'ml-dsa' ? 'sha512' : signer.hash;
}

export function digestAlgorithm(hash: HashName): DigestAlgorithmIdentifier {
  // RFC 5754 §2: the parameters of the SHA-2 identifiers are absent.
  return new DigestAlgorithmIdentifier({ algorithm: HASH_OID[hash] });
}

export function attribute(attrType: string, value: unknown): Attribute {
  return new Attribute({ attrType, attrValues: [AsnConvert.serialize(value)] });
}

/**
 * DER orders the members of a SET OF by their encodings (X.690 §11.6); a
 * verifier that re-encodes the attributes (OpenSSL does) must get our bytes back.
 */
export function derSortedAttributes(attributes: Attribute[]): Attribute[] {
  const encoded = attributes.map((a) => ({ a, der: Buffer.from(AsnConvert.serialize(a)) }));
  encoded.sort((x, y) => {
    const length = Math.max(x.der.length, y.der.length);
    const xp = Buffer.concat([x.der, Buffer.alloc(length - x.der.length)]);
    const yp = Buffer.concat([y.der, Buffer.alloc(length - y.der.length)]);
    return Buffer.compare(xp, yp);
  });
  return encoded.map((e) => e.a);
}

/**
 * Everything about a signer that does not change from one signature to the
 * next, worked out once: a TSA signs thousands of tokens with it.
 */
export interface CmsSignerIdentity {
  signer: Signer;
  certificateDer: Buffer;
  certificate: Certificate;
  hash: HashName;
  sid: SignerIdentifier;
  signingCertificate: Attribute;
}

export function cmsSignerIdentity(signer: Signer, certificateDer: Uint8Array): CmsSignerIdentity {
  const certificate = AsnConvert.parse(certificateDer, Certificate);
  return {
    signer,
    certificateDer: Buffer.from(certificateDer),
    certificate,
    hash: cmsDigestFor(signer),
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: certificate.tbsCertificate.issuer,
        serialNumber: certificate.tbsCertificate.serialNumber,
      }),
    }),
    signingCertificate: signingCertificateV2Attribute(certificateDer),
  };
}

export interface CmsSignatureInput {
  identity: CmsSignerIdentity;
  /** Certificates to carry in SignedData.certificates (none, the signer's, its chain…). */
  certificates: Array<Certificate | Uint8Array>;
  /** eContentType: id-data for documents, id-ct-TSTInfo for time-stamp tokens. */
  contentType: string;
  content: Uint8Array;
  /** Leave eContent out (a detached signature over content the relying party already has). */
  detached: boolean;
  signingTime?: Date;
  unsignedAttributes?: Attribute[];
}

export interface CmsSignature {
  signedData: SignedData;
  signerInfo: SignerInfo;
  /** The signature value: what a signature time-stamp covers (RFC 3161 Appendix A). */
  signatureValue: Buffer;
}

/**
 * One signer, signed attributes always (RFC 5652 §5.3): contentType,
 * messageDigest, signingTime when given, signing-certificate-v2 (RFC 5035).
 */
export async function signCms(input: CmsSignatureInput): Promise<CmsSignature> {
  const { identity } = input;
  const digest = createHash(identity.hash).update(input.content).digest();
  const attributes = [
    attribute(id_contentType, new ContentType(input.contentType)),
    attribute(id_messageDigest, new OctetString(digest)),
    identity.signingCertificate,
  ];
  if (input.signingTime) attributes.push(new Attribute({ attrType: id_signingTime, attrValues: [signingTimeValue(input.signingTime)] }));
  const signedAttrs = derSortedAttributes(attributes);
  const toBeSigned = Buffer.from(AsnConvert.serialize(new SignedAttributes(signedAttrs)));
  const signatureValue = Buffer.from(await identity.signer.sign(toBeSigned));

  const signerInfo = new SignerInfo({
    version: CMSVersion.v1,
    sid: identity.sid,
    digestAlgorithm: digestAlgorithm(identity.hash),
    signedAttrs,
    signatureAlgorithm: new SignatureAlgorithmIdentifier(identity.signer.signatureAlgorithm),
    signature: new OctetString(signatureValue),
    unsignedAttrs: input.unsignedAttributes?.length ? input.unsignedAttributes : undefined,
  });
  const signedData = new SignedData({
    // RFC 5652 §5.1: version 3 when eContentType is not id-data, else 1 (only X.509 v3 certificates here).
    version: input.contentType === id_data ? CMSVersion.v1 : CMSVersion.v3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm(identity.hash)]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: input.contentType,
      eContent: input.detached ? undefined : new EncapsulatedContent({ single: new OctetString(input.content) }),
    }),
    certificates: input.certificates.length
      ? new CertificateSet(
          input.certificates.map(
            (c) => new CertificateChoices({ certificate: c instanceof Certificate ? c : AsnConvert.parse(c, Certificate) }),
          ),
        )
      : undefined,
    signerInfos: new SignerInfos([signerInfo]),
  });
  return { signedData, signerInfo, signatureValue };
}

/** ContentInfo { id-signedData, SignedData } as DER. */
export function encodeSignedData(signedData: SignedData): Buffer {
  return Buffer.from(
    AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) })),
  );
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds. */
export function signingTimeValue(at: Date): ArrayBuffer {
  const seconds = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const year = seconds.getUTCFullYear();
  return AsnConvert.serialize(new SigningTime(year >= 1950 && year < 2050 ? { utcTime: seconds } : { generalTime: seconds }));
}
