import { createHash, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { ContentInfo, SignerInfo, id_data, id_ri_ocsp_response, id_signedData, type EncapsulatedContent } from '@peculiar/asn1-cms';
import * as asn1js from 'asn1js';
import { ContentType as ContentTypeValue, SigningTime } from '@peculiar/asn1-pkcs9';
import { TSTInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import {
  AlgorithmIdentifier,
  Certificate,
  ExtendedKeyUsage,
  SubjectKeyIdentifier,
  id_ce_extKeyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_timeStamping,
} from '@peculiar/asn1-x509';
import { HASH_OID, OID, type HashName } from '../crypto/algorithms.js';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Sm2KeyDirectory } from '../crypto/sm2-verifier.js';
import { SignetError } from '../i18n/signet-error.js';
import { SignedAttributes, id_contentType, id_messageDigest, id_signingTime } from '../tsa/cms-signed-data.js';
import {
  id_aa_signatureTimeStampToken,
  id_aa_signingCertificate,
  id_aa_signingCertificateV2,
  signingCertificateMatches,
  signingCertificateV1Matches,
} from '../tsa/ess-signing-certificate.js';
import { normaliseOid } from '../tsa/time-stamp-query.js';
import { validatePath, type RevocationFinding } from './certificate-path.js';
import { CmsSignedData } from './signed-data-schema.js';

export interface TrustContext {
  /** Root certificates the relying party trusts. */
  trustAnchors: Uint8Array[];
  /** Extra intermediates (those inside the CMS structure are always used). */
  intermediates?: Uint8Array[];
  /** The SM2 distinguishing IDs of our own keys (a CA, TSA or responder with a non-default ID); others use the default. */
  sm2Keys?: Sm2KeyDirectory;
  /** CRLs and OCSP responses to validate against, besides those inside the SignedData (RFC 5652 §10.2.1). */
  crls?: Uint8Array[];
  ocsps?: Uint8Array[];
}

/**
 * The revocation values a SignedData carries (RFC 5652 §10.2.1: CertificateList,
 * or id-ri-ocsp-response per RFC 5940), as DER. Other formats are left out, so
 * the path is then judged without them.
 */
export function embeddedRevocationValues(signedData: CmsSignedData): { crls: Uint8Array[]; ocsps: Uint8Array[] } {
  const crls: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  for (const value of signedData.crls ?? []) {
    if (value.crl) crls.push(new Uint8Array(AsnConvert.serialize(value.crl)));
    else if (value.other?.otherRevInfoFormat === id_ri_ocsp_response) ocsps.push(new Uint8Array(value.other.otherRevInfo));
  }
  return { crls, ocsps };
}

export interface TimeStampVerification {
  valid: boolean;
  genTime?: Date;
  serial?: string;
  policy?: string;
  tsa?: string;
  /** The TSA certificate the token was checked with. */
  tsaCertificateDer?: Buffer;
  problems: string[];
}

/**
 * The CAdES baseline level a signature reaches (ETSI EN 319 122-1), reported apart from
 * its cryptographic validity: a plain RFC 5652 signature (what `openssl cms -sign` and gpgsm
 * make) is valid without being CAdES. 'B-B': signed content-type, message-digest and a
 * matching signing-certificate-v2; 'B-T': B-B plus a valid signature time-stamp.
 */
export type CadesLevel = 'none' | 'B-B' | 'B-T';

export interface SignatureVerification {
  /** The signature value, the signed digest of the content and the certificate path: what every RFC 5652 verifier checks. */
  valid: boolean;
  cades: { level: CadesLevel; missing: string[] };
  signer?: { subject: string; serial: string; certificateDer: Buffer };
  /** What the signer's clock claimed (signed attribute); not proof of time. */
  signingTime?: Date;
  /** Proof of time: the genTime of a valid signature time-stamp. */
  timeStamp?: TimeStampVerification;
  /** The time the certificate path was checked at: the time-stamp's, else the claimed signing time. */
  checkedAt: Date;
  chain: Buffer[];
  /** What the revocation values (embedded, then given) said of each certificate below the anchor at `checkedAt`; absent when there were none. */
  revocation?: RevocationFinding[];
  detached: boolean;
  content?: Buffer;
  problems: string[];
}

// SM3 for SM2 signers and TSAs (GM/T 0010: SignedData with SM3 digests and SM3withSM2 signatures).
const HASH_BY_OID = new Map<string, HashName>(
  (['sha256', 'sha384', 'sha512', 'sm3'] as HashName[]).map((h) => [HASH_OID[h], h]),
);
/** GM/T 0010 and some signers write the SM2 key or signature-scheme OID as the SignerInfo's algorithm: with SM3 it is SM3withSM2. */
const SM2_SIGNATURE_ALIASES = new Set(['1.2.156.10197.1.301', '1.2.156.10197.1.301.1']);

function parseSignedData(der: Uint8Array, field: string): CmsSignedData {
  let info: ContentInfo;
  try {
    info = AsnConvert.parse(der, ContentInfo);
  } catch (error) {
    throw new SignetError('cms.malformed', 400, { detail: (error as Error).message.slice(0, 200) }, field);
  }
  if (info.contentType !== id_signedData) throw new SignetError('cms.not-signed', 400, { contentType: info.contentType }, field);
  try {
    return AsnConvert.parse(info.content, CmsSignedData);
  } catch (error) {
    throw new SignetError('cms.malformed', 400, { detail: (error as Error).message.slice(0, 200) }, field);
  }
}

/**
 * The eContent octets, DER or BER alike: a streaming signer (`openssl cms -sign -stream`,
 * gpgsm) writes an indefinite-length, constructed OCTET STRING whose pieces together are
 * the content (X.690 §8.7.3). Undefined when the content is detached.
 */
export function encapsulatedOctets(eContent: EncapsulatedContent | undefined): Buffer | undefined {
  if (!eContent) return undefined;
  if (eContent.single) return Buffer.from(eContent.single.buffer);
  if (!eContent.any) return undefined;
  const read = asn1js.fromBER(eContent.any);
  if (read.offset === -1 || !(read.result instanceof asn1js.OctetString)) {
    throw new SignetError('cms.malformed', 400, { detail: 'the encapsulated content is not an OCTET STRING' }, 'signature');
  }
  return Buffer.from(read.result.getValue());
}

function embeddedCertificates(signedData: CmsSignedData): Buffer[] {
  return (signedData.certificates ?? []).flatMap((c) => (c.certificate ? [Buffer.from(AsnConvert.serialize(c.certificate))] : []));
}

function findSignerCertificate(signerInfo: SignerInfo, candidates: Buffer[]): Buffer | undefined {
  const ias = signerInfo.sid.issuerAndSerialNumber;
  const ski = signerInfo.sid.subjectKeyIdentifier;
  return candidates.find((der) => {
    const certificate = AsnConvert.parse(der, Certificate);
    if (ias) {
      return (
        Buffer.from(ias.serialNumber).equals(Buffer.from(certificate.tbsCertificate.serialNumber)) &&
        Buffer.from(AsnConvert.serialize(ias.issuer)).equals(Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.issuer)))
      );
    }
    if (ski) {
      const extension = certificate.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
      const own = extension ? AsnConvert.parse(extension.extnValue.buffer, SubjectKeyIdentifier) : undefined;
      return !!own && Buffer.from(own.buffer).equals(Buffer.from(ski.buffer));
    }
    return false;
  });
}

/**
 * RFC 5652 §5.4–5.6: the signed attributes carry the content type and the
 * content's digest, and the signature covers their DER (SET OF, universal tag).
 */
type EssBinding = 'v2' | 'v1' | 'none';

function checkSignerInfo(signerInfo: SignerInfo, content: Uint8Array, expectedContentType: string, signerDer: Buffer, problems: string[], sm2Keys?: Sm2KeyDirectory): EssBinding {
  const hash = HASH_BY_OID.get(signerInfo.digestAlgorithm.algorithm);
  if (!hash) {
    problems.push(`digest algorithm ${signerInfo.digestAlgorithm.algorithm} is not accepted`);
    return 'none';
  }
  const attrs = signerInfo.signedAttrs;
  if (!attrs?.length) {
    problems.push('the signature has no signed attributes');
    return 'none';
  }
  const value = (type: string) => attrs.find((a) => a.attrType === type)?.attrValues[0];
  const contentType = value(id_contentType);
  if (!contentType || AsnConvert.parse(contentType, ContentTypeValue).value !== expectedContentType) {
    problems.push('the content-type attribute is missing or wrong');
  }
  const digest = value(id_messageDigest);
  const actual = createHash(hash).update(content).digest();
  if (!digest || !Buffer.from(AsnConvert.parse(digest, OctetString).buffer).equals(actual)) {
    problems.push('the content does not match the signed digest: it was changed after signing');
  }
  // RFC 5035 / RFC 2634 §5.4: absent, the signature is still a valid RFC 5652 one (its CAdES level says so);
  // present and naming another certificate, the signer itself says this is not its certificate.
  let binding: EssBinding = 'none';
  const signingCertificate = value(id_aa_signingCertificateV2);
  const signingCertificateV1 = value(id_aa_signingCertificate);
  if (signingCertificate) {
    if (signingCertificateMatches(signingCertificate, signerDer)) binding = 'v2';
    else problems.push('the signing-certificate-v2 attribute names another certificate');
  } else if (signingCertificateV1) {
    if (signingCertificateV1Matches(signingCertificateV1, signerDer)) binding = 'v1';
    else problems.push('the signing-certificate attribute names another certificate');
  }

  const certificate = AsnConvert.parse(signerDer, Certificate);
  const spki = Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.subjectPublicKeyInfo));
  const signed = Buffer.from(AsnConvert.serialize(new SignedAttributes(attrs)));
  const check = verifySignature(spki, signatureAlgorithmFor(signerInfo.signatureAlgorithm, hash), signed, new Uint8Array(signerInfo.signature.buffer), { sm2Keys });
  if (!check.ok) problems.push(`the signature value does not verify with the signer's certificate (${check.reason})`);
  return binding;
}

/** OpenSSL writes plain rsaEncryption as an RSA SignerInfo's algorithm (RFC 3370 §3.2): the digest says which. */
function signatureAlgorithmFor(algorithm: AlgorithmIdentifier, hash: HashName): AlgorithmIdentifier {
  if (hash === 'sm3' && SM2_SIGNATURE_ALIASES.has(algorithm.algorithm)) return new AlgorithmIdentifier({ algorithm: OID.sm3WithSm2 });
  if (algorithm.algorithm !== OID.rsaEncryption) return algorithm;
  const oid = { sha256: OID.sha256WithRSA, sha384: OID.sha384WithRSA, sha512: OID.sha512WithRSA }[hash as 'sha256'];
  return new AlgorithmIdentifier({ algorithm: oid, parameters: null });
}


/**
 * Verifies an RFC 3161 token over `imprintOf` (the bytes whose hash it must
 * carry): the TSA's signature, its certificate (critical timeStamping EKU,
 * RFC 3161 §2.3) and path at genTime.
 */
export async function verifyTimeStampToken(tokenDer: Uint8Array, imprintOf: Uint8Array, trust: TrustContext): Promise<TimeStampVerification> {
  const problems: string[] = [];
  let signedData: CmsSignedData;
  try {
    signedData = parseSignedData(tokenDer, 'timeStampToken');
  } catch (error) {
    return { valid: false, problems: [`the time-stamp token is unreadable: ${(error as Error).message}`] };
  }
  let eContent: Buffer | undefined;
  try {
    eContent = encapsulatedOctets(signedData.encapContentInfo.eContent);
  } catch (error) {
    return { valid: false, problems: [`the time-stamp token is unreadable: ${(error as Error).message}`] };
  }
  if (signedData.encapContentInfo.eContentType !== id_ct_tstInfo || !eContent) {
    return { valid: false, problems: ['the token does not carry a TSTInfo'] };
  }
  const tstDer = new Uint8Array(eContent);
  const tstInfo = AsnConvert.parse(tstDer, TSTInfo);
  const result: TimeStampVerification = {
    valid: false,
    genTime: tstInfo.genTime,
    serial: Buffer.from(tstInfo.serialNumber).toString('hex'),
    policy: normaliseOid(tstInfo.policy),
    problems,
  };
  const hash = HASH_BY_OID.get(tstInfo.messageImprint.hashAlgorithm.algorithm);
  if (!hash) problems.push(`the token's imprint uses ${tstInfo.messageImprint.hashAlgorithm.algorithm}, which is not accepted`);
  else if (!createHash(hash).update(imprintOf).digest().equals(Buffer.from(tstInfo.messageImprint.hashedMessage.buffer))) {
    problems.push('the token was issued for other data (message imprint mismatch)');
  }
  const signerInfo = signedData.signerInfos[0];
  const candidates = [...embeddedCertificates(signedData), ...(trust.intermediates ?? []).map((d) => Buffer.from(d))];
  const tsaDer = signerInfo ? findSignerCertificate(signerInfo, candidates) : undefined;
  if (!signerInfo || !tsaDer) {
    problems.push("the TSA's certificate is not in the token nor among the known certificates");
    return result;
  }
  result.tsa = new X509Certificate(tsaDer).subject.replace(/\n/g, ', ');
  result.tsaCertificateDer = tsaDer;
  // RFC 3161 §2.4.1 (ESS signing-certificate) or RFC 5816 (its v2): a token must name its TSA's certificate.
  if (checkSignerInfo(signerInfo, tstDer, id_ct_tstInfo, tsaDer, problems, trust.sm2Keys) === 'none' && problems.length === 0) {
    problems.push('the token names no TSA certificate (ESS signing-certificate or signing-certificate-v2, RFC 3161 §2.4.1, RFC 5816)');
  }
  const eku = AsnConvert.parse(tsaDer, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  const purposes = eku ? [...AsnConvert.parse(eku.extnValue.buffer, ExtendedKeyUsage)] : [];
  if (!eku?.critical || purposes.length !== 1 || purposes[0] !== id_kp_timeStamping) {
    problems.push("the TSA's certificate lacks the critical, sole timeStamping extended key usage (RFC 3161 §2.3)");
  }
  const embedded = embeddedRevocationValues(signedData);
  const path = await validatePath(tsaDer, candidates, trust.trustAnchors, tstInfo.genTime, {
    crls: [...embedded.crls, ...(trust.crls ?? [])],
    ocsps: [...embedded.ocsps, ...(trust.ocsps ?? [])],
    sm2Keys: trust.sm2Keys,
  });
  problems.push(...path.problems);
  result.valid = problems.length === 0;
  return result;
}

export interface VerifyDocumentOptions extends TrustContext {
  signature: Uint8Array;
  /** The document, for a detached signature. */
  content?: Uint8Array;
}

/** Verifies a signed document as a relying party would, in order: content, signature, time, certificate path. */
export async function verifySignedDocument(options: VerifyDocumentOptions): Promise<SignatureVerification> {
  const signedData = parseSignedData(options.signature, 'signature');
  const problems: string[] = [];
  const attached = encapsulatedOctets(signedData.encapContentInfo.eContent);
  const detached = !attached;
  const content = attached ?? (options.content ? Buffer.from(options.content) : undefined);
  if (!content) throw new SignetError('cms.detached-content-missing', 400, {}, 'content');

  const signerInfo = signedData.signerInfos[0];
  const candidates = [...embeddedCertificates(signedData), ...(options.intermediates ?? []).map((d) => Buffer.from(d))];
  const signerDer = signerInfo ? findSignerCertificate(signerInfo, [...candidates, ...options.trustAnchors.map((d) => Buffer.from(d))]) : undefined;
  if (!signerInfo || !signerDer) {
    return { valid: false, cades: { level: 'none', missing: [] }, checkedAt: new Date(), chain: [], detached, problems: ["the signer's certificate is not in the signature"] };
  }
  if (signedData.signerInfos.length > 1) problems.push('only single-signer documents are verified here');
  const x509 = new X509Certificate(signerDer);
  const signer = { subject: x509.subject.replace(/\n/g, ', '), serial: x509.serialNumber.toLowerCase(), certificateDer: signerDer };
  const binding = checkSignerInfo(signerInfo, content, signedData.encapContentInfo.eContentType, signerDer, problems, options.sm2Keys);
  if (signedData.encapContentInfo.eContentType !== id_data) problems.push('the signed content is not plain data');

  const signingTimeValue = signerInfo.signedAttrs?.find((a) => a.attrType === id_signingTime)?.attrValues[0];
  const signingTime = signingTimeValue ? AsnConvert.parse(signingTimeValue, SigningTime).getTime() : undefined;

  let timeStamp: TimeStampVerification | undefined;
  const tokenValue = signerInfo.unsignedAttrs?.find((a) => a.attrType === id_aa_signatureTimeStampToken)?.attrValues[0];
  if (tokenValue) {
    // RFC 3161 Appendix A: the token covers the signature value of this SignerInfo.
    timeStamp = await verifyTimeStampToken(new Uint8Array(tokenValue), new Uint8Array(signerInfo.signature.buffer), {
      trustAnchors: options.trustAnchors,
      intermediates: candidates,
      sm2Keys: options.sm2Keys,
    });
    if (!timeStamp.valid) problems.push(...timeStamp.problems.map((p) => `time-stamp: ${p}`));
  }
  const checkedAt = timeStamp?.valid && timeStamp.genTime ? timeStamp.genTime : (signingTime ?? new Date());
  const embedded = embeddedRevocationValues(signedData);
  const path = await validatePath(signerDer, candidates, options.trustAnchors, checkedAt, {
    crls: [...embedded.crls, ...(options.crls ?? [])],
    ocsps: [...embedded.ocsps, ...(options.ocsps ?? [])],
    sm2Keys: options.sm2Keys,
  });
  problems.push(...path.problems);
  const missing = [
    ...(binding === 'v2' ? [] : ['signing-certificate-v2']),
    ...(timeStamp?.valid ? [] : ['signature-time-stamp']),
  ];
  const level: CadesLevel = binding !== 'v2' ? 'none' : timeStamp?.valid ? 'B-T' : 'B-B';
  return {
    valid: problems.length === 0,
    cades: { level, missing },
    signer,
    signingTime,
    timeStamp,
    checkedAt,
    chain: path.path.map((c) => c.raw),
    revocation: path.revocation,
    detached,
    content: detached ? undefined : content,
    problems,
  };
}
