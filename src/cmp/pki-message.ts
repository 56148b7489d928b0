import { AsnArray, AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, AttributeTypeAndValue, Certificate, Extensions, GeneralName, Name, SubjectPublicKeyInfo, Time } from '@peculiar/asn1-x509';

/**
 * The CMP (RFC 4210 Appendix F, module PKIXCMP, EXPLICIT TAGS) and CRMF
 * (RFC 4211 Appendix B, IMPLICIT TAGS) structures Signet reads and writes,
 * modelled with @peculiar/asn1-schema as its own packages model other RFCs:
 * no npm package carries them. Names are the RFCs'. Only what the lightweight
 * profile (RFC 9483) needs: ir/cr/kur/p10cr/rr/certConf in, ip/cp/kup/rp/
 * pkiconf/error out. A tagged CHOICE (Name, Time) is always explicit.
 */

// ---- RFC 4211 (CRMF), IMPLICIT TAGS ----

/** OptionalValidity ::= SEQUENCE { notBefore [0] Time OPTIONAL, notAfter [1] Time OPTIONAL } */
export class OptionalValidity {
  @AsnProp({ type: Time, context: 0, optional: true })
  notBefore?: Time;
  @AsnProp({ type: Time, context: 1, optional: true })
  notAfter?: Time;

  constructor(params: Partial<OptionalValidity> = {}) {
    Object.assign(this, params);
  }
}

/**
 * CertTemplate ::= SEQUENCE { version [0] Version OPTIONAL, serialNumber [1] INTEGER OPTIONAL,
 *   signingAlg [2] AlgorithmIdentifier OPTIONAL, issuer [3] Name OPTIONAL, validity [4] OptionalValidity OPTIONAL,
 *   subject [5] Name OPTIONAL, publicKey [6] SubjectPublicKeyInfo OPTIONAL, issuerUID [7] UniqueIdentifier OPTIONAL,
 *   subjectUID [8] UniqueIdentifier OPTIONAL, extensions [9] Extensions OPTIONAL }
 */
export class CertTemplate {
  @AsnProp({ type: AsnPropTypes.Integer, context: 0, implicit: true, optional: true })
  version?: number;
  @AsnProp({ type: AsnPropTypes.Integer, context: 1, implicit: true, optional: true, converter: AsnIntegerArrayBufferConverter })
  serialNumber?: ArrayBuffer;
  @AsnProp({ type: AlgorithmIdentifier, context: 2, implicit: true, optional: true })
  signingAlg?: AlgorithmIdentifier;
  @AsnProp({ type: Name, context: 3, optional: true })
  issuer?: Name;
  @AsnProp({ type: OptionalValidity, context: 4, implicit: true, optional: true })
  validity?: OptionalValidity;
  @AsnProp({ type: Name, context: 5, optional: true })
  subject?: Name;
  @AsnProp({ type: SubjectPublicKeyInfo, context: 6, implicit: true, optional: true })
  publicKey?: SubjectPublicKeyInfo;
  @AsnProp({ type: AsnPropTypes.BitString, context: 7, implicit: true, optional: true })
  issuerUID?: ArrayBuffer;
  @AsnProp({ type: AsnPropTypes.BitString, context: 8, implicit: true, optional: true })
  subjectUID?: ArrayBuffer;
  @AsnProp({ type: Extensions, context: 9, implicit: true, optional: true })
  extensions?: Extensions;

  constructor(params: Partial<CertTemplate> = {}) {
    Object.assign(this, params);
  }
}

/** Controls ::= SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AttributeTypeAndValue })
export class Controls extends AsnArray<AttributeTypeAndValue> {}

/** CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate CertTemplate, controls Controls OPTIONAL } */
export class CertRequest {
  @AsnProp({ type: AsnPropTypes.Integer })
  certReqId = 0;
  @AsnProp({ type: CertTemplate })
  certTemplate = new CertTemplate();
  @AsnProp({ type: Controls, optional: true })
  controls?: Controls;

  constructor(params: Partial<CertRequest> = {}) {
    Object.assign(this, params);
  }
}

/** POPOSigningKey ::= SEQUENCE { poposkInput [0] POPOSigningKeyInput OPTIONAL, algorithmIdentifier AlgorithmIdentifier, signature BIT STRING } */
export class POPOSigningKey {
  @AsnProp({ type: AsnPropTypes.Any, context: 0, implicit: true, optional: true })
  poposkInput?: ArrayBuffer;
  @AsnProp({ type: AlgorithmIdentifier })
  algorithmIdentifier = new AlgorithmIdentifier();
  @AsnProp({ type: AsnPropTypes.BitString })
  signature = new ArrayBuffer(0);

  constructor(params: Partial<POPOSigningKey> = {}) {
    Object.assign(this, params);
  }
}

/** ProofOfPossession ::= CHOICE { raVerified [0] NULL, signature [1] POPOSigningKey, keyEncipherment [2] POPOPrivKey, keyAgreement [3] POPOPrivKey } */
@AsnType({ type: AsnTypeTypes.Choice })
export class ProofOfPossession {
  @AsnProp({ type: AsnPropTypes.Null, context: 0, implicit: true })
  raVerified?: null;
  @AsnProp({ type: POPOSigningKey, context: 1, implicit: true })
  signature?: POPOSigningKey;
  @AsnProp({ type: AsnPropTypes.Any, context: 2 })
  keyEncipherment?: ArrayBuffer;
  @AsnProp({ type: AsnPropTypes.Any, context: 3 })
  keyAgreement?: ArrayBuffer;

  constructor(params: Partial<ProofOfPossession> = {}) {
    Object.assign(this, params);
  }
}

/** CertReqMsg ::= SEQUENCE { certReq CertRequest, popo ProofOfPossession OPTIONAL, regInfo SEQUENCE OF AttributeTypeAndValue OPTIONAL } */
export class CertReqMsg {
  @AsnProp({ type: CertRequest })
  certReq = new CertRequest();
  @AsnProp({ type: ProofOfPossession, optional: true })
  popo?: ProofOfPossession;
  @AsnProp({ type: AttributeTypeAndValue, repeated: 'sequence', optional: true })
  regInfo?: AttributeTypeAndValue[];

  constructor(params: Partial<CertReqMsg> = {}) {
    Object.assign(this, params);
  }
}

/** CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertReqMsg })
export class CertReqMessages extends AsnArray<CertReqMsg> {}

// ---- RFC 4210 (CMP), EXPLICIT TAGS ----

/** SEQUENCE SIZE (1..MAX) OF CMPCertificate (caPubs, extraCerts) */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: Certificate })
export class CMPCertificates extends AsnArray<Certificate> {}

/** PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })
export class PKIFreeText extends AsnArray<string> {}

/** InfoTypeAndValue ::= SEQUENCE { infoType OBJECT IDENTIFIER, infoValue ANY DEFINED BY infoType OPTIONAL } */
export class InfoTypeAndValue {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  infoType = '';
  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  infoValue?: ArrayBuffer;

  constructor(params: Partial<InfoTypeAndValue> = {}) {
    Object.assign(this, params);
  }
}

/** SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue (generalInfo, GenMsgContent, GenRepContent) */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })
export class GeneralInfo extends AsnArray<InfoTypeAndValue> {}

/**
 * PKIHeader ::= SEQUENCE { pvno INTEGER, sender GeneralName, recipient GeneralName,
 *   messageTime [0] GeneralizedTime OPTIONAL, protectionAlg [1] AlgorithmIdentifier OPTIONAL,
 *   senderKID [2] KeyIdentifier OPTIONAL, recipKID [3] KeyIdentifier OPTIONAL,
 *   transactionID [4] OCTET STRING OPTIONAL, senderNonce [5] OCTET STRING OPTIONAL,
 *   recipNonce [6] OCTET STRING OPTIONAL, freeText [7] PKIFreeText OPTIONAL,
 *   generalInfo [8] SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue OPTIONAL }
 */
export class PKIHeader {
  @AsnProp({ type: AsnPropTypes.Integer })
  pvno = 2;
  @AsnProp({ type: GeneralName })
  sender = new GeneralName();
  @AsnProp({ type: GeneralName })
  recipient = new GeneralName();
  @AsnProp({ type: AsnPropTypes.GeneralizedTime, context: 0, optional: true })
  messageTime?: Date;
  @AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })
  protectionAlg?: AlgorithmIdentifier;
  @AsnProp({ type: AsnPropTypes.OctetString, context: 2, optional: true })
  senderKID?: ArrayBuffer;
  @AsnProp({ type: AsnPropTypes.OctetString, context: 3, optional: true })
  recipKID?: ArrayBuffer;
  @AsnProp({ type: AsnPropTypes.OctetString, context: 4, optional: true })
  transactionID?: ArrayBuffer;
  @AsnProp({ type: AsnPropTypes.OctetString, context: 5, optional: true })
  senderNonce?: ArrayBuffer;
  @AsnProp({ type: AsnPropTypes.OctetString, context: 6, optional: true })
  recipNonce?: ArrayBuffer;
  @AsnProp({ type: PKIFreeText, context: 7, optional: true })
  freeText?: PKIFreeText;
  @AsnProp({ type: GeneralInfo, context: 8, optional: true })
  generalInfo?: GeneralInfo;

  constructor(params: Partial<PKIHeader> = {}) {
    Object.assign(this, params);
  }
}

/** PKIStatus: accepted(0), grantedWithMods(1), rejection(2), waiting(3), revocationWarning(4), revocationNotification(5), keyUpdateWarning(6). */
export const PKI_STATUS = { accepted: 0, grantedWithMods: 1, rejection: 2, waiting: 3 } as const;

/** PKIFailureInfo bit numbers (RFC 4210 §5.2.3) that Signet sends. */
export const PKI_FAILURE = {
  badAlg: 0,
  badMessageCheck: 1,
  badRequest: 2,
  badTime: 3,
  badCertId: 4,
  badDataFormat: 5,
  wrongAuthority: 6,
  incorrectData: 7,
  missingTimeStamp: 8,
  badPOP: 9,
  certRevoked: 10,
  certConfirmed: 11,
  wrongIntegrity: 12,
  badRecipientNonce: 13,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  badSenderNonce: 18,
  badCertTemplate: 19,
  signerNotTrusted: 20,
  transactionIdInUse: 21,
  unsupportedVersion: 22,
  notAuthorized: 23,
  systemUnavail: 24,
  systemFailure: 25,
  duplicateCertReq: 26,
} as const;
export type PkiFailure = keyof typeof PKI_FAILURE;

/** PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL } */
export class PKIStatusInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  status = 0;
  @AsnProp({ type: PKIFreeText, optional: true })
  statusString?: PKIFreeText;
  @AsnProp({ type: AsnPropTypes.BitString, optional: true })
  failInfo?: ArrayBuffer;

  constructor(params: Partial<PKIStatusInfo> = {}) {
    Object.assign(this, params);
  }
}

/** CertOrEncCert ::= CHOICE { certificate [0] CMPCertificate, encryptedCert [1] EncryptedKey } */
@AsnType({ type: AsnTypeTypes.Choice })
export class CertOrEncCert {
  @AsnProp({ type: Certificate, context: 0 })
  certificate?: Certificate;
  @AsnProp({ type: AsnPropTypes.Any, context: 1 })
  encryptedCert?: ArrayBuffer;

  constructor(params: Partial<CertOrEncCert> = {}) {
    Object.assign(this, params);
  }
}

/** CertifiedKeyPair ::= SEQUENCE { certOrEncCert CertOrEncCert, privateKey [0] EncryptedKey OPTIONAL, publicationInfo [1] PKIPublicationInfo OPTIONAL } */
export class CertifiedKeyPair {
  @AsnProp({ type: CertOrEncCert })
  certOrEncCert = new CertOrEncCert();

  constructor(params: Partial<CertifiedKeyPair> = {}) {
    Object.assign(this, params);
  }
}

/** CertResponse ::= SEQUENCE { certReqId INTEGER, status PKIStatusInfo, certifiedKeyPair CertifiedKeyPair OPTIONAL, rspInfo OCTET STRING OPTIONAL } */
export class CertResponse {
  @AsnProp({ type: AsnPropTypes.Integer })
  certReqId = 0;
  @AsnProp({ type: PKIStatusInfo })
  status = new PKIStatusInfo();
  @AsnProp({ type: CertifiedKeyPair, optional: true })
  certifiedKeyPair?: CertifiedKeyPair;

  constructor(params: Partial<CertResponse> = {}) {
    Object.assign(this, params);
  }
}

/** CertRepMessage ::= SEQUENCE { caPubs [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL, response SEQUENCE OF CertResponse } */
export class CertRepMessage {
  @AsnProp({ type: CMPCertificates, context: 1, optional: true })
  caPubs?: CMPCertificates;
  @AsnProp({ type: CertResponse, repeated: 'sequence' })
  response: CertResponse[] = [];

  constructor(params: Partial<CertRepMessage> = {}) {
    Object.assign(this, params);
  }
}

/** RevDetails ::= SEQUENCE { certDetails CertTemplate, crlEntryDetails Extensions OPTIONAL } */
export class RevDetails {
  @AsnProp({ type: CertTemplate })
  certDetails = new CertTemplate();
  @AsnProp({ type: Extensions, optional: true })
  crlEntryDetails?: Extensions;

  constructor(params: Partial<RevDetails> = {}) {
    Object.assign(this, params);
  }
}

/** RevReqContent ::= SEQUENCE OF RevDetails */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: RevDetails })
export class RevReqContent extends AsnArray<RevDetails> {}

/** CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } */
export class CertId {
  @AsnProp({ type: GeneralName })
  issuer = new GeneralName();
  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  serialNumber = new ArrayBuffer(0);

  constructor(params: Partial<CertId> = {}) {
    Object.assign(this, params);
  }
}

/** RevRepContent ::= SEQUENCE { status SEQUENCE SIZE (1..MAX) OF PKIStatusInfo, revCerts [0] SEQUENCE OF CertId OPTIONAL, crls [1] ... OPTIONAL } */
export class RevRepContent {
  @AsnProp({ type: PKIStatusInfo, repeated: 'sequence' })
  status: PKIStatusInfo[] = [];

  constructor(params: Partial<RevRepContent> = {}) {
    Object.assign(this, params);
  }
}

/** CertStatus ::= SEQUENCE { certHash OCTET STRING, certReqId INTEGER, statusInfo PKIStatusInfo OPTIONAL, hashAlg [0] AlgorithmIdentifier OPTIONAL } */
export class CertStatus {
  @AsnProp({ type: AsnPropTypes.OctetString })
  certHash = new ArrayBuffer(0);
  @AsnProp({ type: AsnPropTypes.Integer })
  certReqId = 0;
  @AsnProp({ type: PKIStatusInfo, optional: true })
  statusInfo?: PKIStatusInfo;
  @AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })
  hashAlg?: AlgorithmIdentifier;

  constructor(params: Partial<CertStatus> = {}) {
    Object.assign(this, params);
  }
}

/** CertConfirmContent ::= SEQUENCE OF CertStatus */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertStatus })
export class CertConfirmContent extends AsnArray<CertStatus> {}

/** ErrorMsgContent ::= SEQUENCE { pKIStatusInfo PKIStatusInfo, errorCode INTEGER OPTIONAL, errorDetails PKIFreeText OPTIONAL } */
export class ErrorMsgContent {
  @AsnProp({ type: PKIStatusInfo })
  pKIStatusInfo = new PKIStatusInfo();
  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  errorCode?: number;
  @AsnProp({ type: PKIFreeText, optional: true })
  errorDetails?: PKIFreeText;

  constructor(params: Partial<ErrorMsgContent> = {}) {
    Object.assign(this, params);
  }
}

/** PollReqContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER } */
export class PollReq {
  @AsnProp({ type: AsnPropTypes.Integer })
  certReqId = 0;

  constructor(params: Partial<PollReq> = {}) {
    Object.assign(this, params);
  }
}

/** PollRepContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER, checkAfter INTEGER, reason PKIFreeText OPTIONAL } */
export class PollRep {
  @AsnProp({ type: AsnPropTypes.Integer })
  certReqId = 0;
  @AsnProp({ type: AsnPropTypes.Integer })
  checkAfter = 0;
  @AsnProp({ type: PKIFreeText, optional: true })
  reason?: PKIFreeText;

  constructor(params: Partial<PollRep> = {}) {
    Object.assign(this, params);
  }
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: PollReq })
export class PollReqContent extends AsnArray<PollReq> {}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: PollRep })
export class PollRepContent extends AsnArray<PollRep> {}

/** PKIBody ::= CHOICE { ir [0] CertReqMessages, ip [1] CertRepMessage, cr [2], cp [3], p10cr [4] CertificationRequest, …, kur [7], kup [8], …, rr [11] RevReqContent, rp [12] RevRepContent, …, pkiconf [19] NULL, …, error [23] ErrorMsgContent, certConf [24] CertConfirmContent, pollReq [25], pollRep [26] } */
@AsnType({ type: AsnTypeTypes.Choice })
export class PKIBody {
  @AsnProp({ type: CertReqMessages, context: 0 })
  ir?: CertReqMessages;
  @AsnProp({ type: CertRepMessage, context: 1 })
  ip?: CertRepMessage;
  @AsnProp({ type: CertReqMessages, context: 2 })
  cr?: CertReqMessages;
  @AsnProp({ type: CertRepMessage, context: 3 })
  cp?: CertRepMessage;
  @AsnProp({ type: CertificationRequest, context: 4 })
  p10cr?: CertificationRequest;
  @AsnProp({ type: CertReqMessages, context: 7 })
  kur?: CertReqMessages;
  @AsnProp({ type: CertRepMessage, context: 8 })
  kup?: CertRepMessage;
  @AsnProp({ type: RevReqContent, context: 11 })
  rr?: RevReqContent;
  @AsnProp({ type: RevRepContent, context: 12 })
  rp?: RevRepContent;
  @AsnProp({ type: AsnPropTypes.Null, context: 19 })
  pkiconf?: null;
  @AsnProp({ type: GeneralInfo, context: 21 })
  genm?: GeneralInfo;
  @AsnProp({ type: GeneralInfo, context: 22 })
  genp?: GeneralInfo;
  @AsnProp({ type: ErrorMsgContent, context: 23 })
  error?: ErrorMsgContent;
  @AsnProp({ type: CertConfirmContent, context: 24 })
  certConf?: CertConfirmContent;
  @AsnProp({ type: PollReqContent, context: 25 })
  pollReq?: PollReqContent;
  @AsnProp({ type: PollRepContent, context: 26 })
  pollRep?: PollRepContent;

  constructor(params: Partial<PKIBody> = {}) {
    Object.assign(this, params);
  }
}

/** PKIMessage ::= SEQUENCE { header PKIHeader, body PKIBody, protection [0] PKIProtection OPTIONAL, extraCerts [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL } */
export class PKIMessage {
  @AsnProp({ type: PKIHeader })
  header = new PKIHeader();
  @AsnProp({ type: PKIBody })
  body = new PKIBody();
  @AsnProp({ type: AsnPropTypes.BitString, context: 0, optional: true })
  protection?: ArrayBuffer;
  @AsnProp({ type: CMPCertificates, context: 1, optional: true })
  extraCerts?: CMPCertificates;

  constructor(params: Partial<PKIMessage> = {}) {
    Object.assign(this, params);
  }
}

/** PBMParameter ::= SEQUENCE { salt OCTET STRING, owf AlgorithmIdentifier, iterationCount INTEGER, mac AlgorithmIdentifier } (RFC 4210 §5.1.3.1) */
export class PBMParameter {
  @AsnProp({ type: AsnPropTypes.OctetString })
  salt = new ArrayBuffer(0);
  @AsnProp({ type: AlgorithmIdentifier })
  owf = new AlgorithmIdentifier();
  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;
  @AsnProp({ type: AlgorithmIdentifier })
  mac = new AlgorithmIdentifier();

  constructor(params: Partial<PBMParameter> = {}) {
    Object.assign(this, params);
  }
}

export const id_PasswordBasedMac = '1.2.840.113533.7.66.13';
/** ProtectedPart ::= SEQUENCE { header PKIHeader, body PKIBody }: what the protection covers. */
export class ProtectedPart {
  @AsnProp({ type: PKIHeader })
  header = new PKIHeader();
  @AsnProp({ type: PKIBody })
  body = new PKIBody();

  constructor(params: Partial<ProtectedPart> = {}) {
    Object.assign(this, params);
  }
}

/** ProtectedPart over the bytes a client sent, to check its protection without re-encoding what it wrote. */
export class RawProtectedPart {
  @AsnProp({ type: AsnPropTypes.Any })
  header = new ArrayBuffer(0);
  @AsnProp({ type: AsnPropTypes.Any })
  body = new ArrayBuffer(0);

  constructor(params: Partial<RawProtectedPart> = {}) {
    Object.assign(this, params);
  }
}
