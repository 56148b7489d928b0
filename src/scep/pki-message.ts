import { constants, createCipheriv, createDecipheriv, createHash, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { checkDer, DerError } from '../crypto/strict-der.js';
import type { Signer } from '../crypto/signer.js';
import { SignetError } from '../i18n/signet-error.js';

/** RFC 8894 §3.2.1.2: the messageType values. */
export const MESSAGE_TYPE = { CertRep: 3, RenewalReq: 17, PKCSReq: 19, CertPoll: 20, GetCert: 21, GetCRL: 22 } as const;
/** RFC 8894 §3.2.1.4: failInfo. */
export const FAIL_INFO = { badAlg: 0, badMessageCheck: 1, badRequest: 2, badTime: 3, badCertId: 4 } as const;
export type FailInfo = keyof typeof FAIL_INFO;
export type PkiStatus = 'SUCCESS' | 'FAILURE' | 'PENDING';
const PKI_STATUS: Record<PkiStatus, string> = { SUCCESS: '0', FAILURE: '2', PENDING: '3' };

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256: '2.16.840.1.101.3.4.2.1',
  // RFC 8894 §3.2.1: id-attributes of VeriSign's arc.
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
} as const;

/** Content encryption SCEP clients use (RFC 8894 §3.5.2: AES, and DES3 for old ones); CBC with the IV as parameter. */
const CIPHERS = new Map<string, { name: string; keyLength: number; ivLength: number }>([
  ['2.16.840.1.101.3.4.1.2', { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 }],
  ['2.16.840.1.101.3.4.1.22', { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 }],
  ['2.16.840.1.101.3.4.1.42', { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 }],
  ['1.2.840.113549.3.7', { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 }],
]);

/** A message that cannot be answered in SCEP's terms (no transactionID to answer to): HTTP 400. */
export class ScepUnreadable extends SignetError {
  constructor(detail: string) {
    super('scep.malformed', 400, { detail: detail.slice(0, 200) });
  }
}

/** A refusal answered as CertRep FAILURE with this failInfo (RFC 8894 §3.3.2.2); the reason goes to the log and audit. */
export class ScepFailure extends Error {
  constructor(
    readonly failInfo: FailInfo,
    readonly error: SignetError,
  ) {
    super(error.message);
  }
}

/** A pkiMessage as read and its signature checked: who sent it, what it asks, the envelope still sealed. */
export interface ScepRequest {
  messageType: number;
  transactionId: string;
  senderNonce: Uint8Array;
  signingTime: Date | null;
  /** The certificate whose key signed the message: self-signed for PKCSReq, the one being renewed for RenewalReq. */
  signer: pkijs.Certificate;
  signerDer: Uint8Array;
  /** The pkcsPKIEnvelope (ContentInfo of EnvelopedData) as sent. */
  envelope: Uint8Array;
  /** The signature did not verify: answered badMessageCheck once the transaction is known. */
  signatureValid: boolean;
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

function strict(bytes: Uint8Array, what: string): void {
  try {
    checkDer(bytes, what);
  } catch (error) {
    throw new ScepUnreadable(error instanceof DerError ? `${what}: ${error.reason}` : String(error));
  }
}

function onlyValue(attributes: pkijs.Attribute[], type: string): asn1js.AsnType | undefined {
  const found = attributes.filter((a) => a.type === type);
  if (found.length === 0) return undefined;
  if (found.length > 1 || found[0]!.values.length !== 1) throw new ScepUnreadable(`attribute ${type} must occur once with one value`);
  return found[0]!.values[0] as asn1js.AsnType;
}

function printable(value: asn1js.AsnType | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof asn1js.PrintableString)) throw new ScepUnreadable(`${name} is not a PrintableString`);
  return value.valueBlock.value;
}

/**
 * RFC 8894 §3: a pkiMessage is a CMS SignedData over id-data whose content
 * is the pkcsPKIEnvelope, with the SCEP attributes signed. Strict: DER only
 * (issue 15), one signer, the attributes each once; pkijs reads the
 * structures and checks the signature (RFC 5652 §5.4, §5.6).
 */
export async function readPkiMessage(der: Uint8Array): Promise<ScepRequest> {
  if (der.byteLength === 0 || der.byteLength > 256 * 1024) throw new ScepUnreadable('empty or larger than 256 KiB');
  strict(der, 'the pkiMessage');
  let signed: pkijs.SignedData;
  try {
    const info = pkijs.ContentInfo.fromBER(buffer(der));
    if (info.contentType !== OID.signedData) throw new Error('not a SignedData');
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (error) {
    throw new ScepUnreadable((error as Error).message);
  }
  const signerInfo = signed.signerInfos[0];
  if (signed.signerInfos.length !== 1 || !signerInfo) throw new ScepUnreadable('one signer is required');
  const attributes = signerInfo.signedAttrs?.attributes;
  if (!attributes) throw new ScepUnreadable('no signed attributes');
  const transactionId = printable(onlyValue(attributes, OID.transactionId), 'transactionID');
  const messageType = printable(onlyValue(attributes, OID.messageType), 'messageType');
  const nonce = onlyValue(attributes, OID.senderNonce);
  if (!transactionId || !/^[A-Za-z0-9 '()+,\-./:=?]{1,128}$/.test(transactionId)) throw new ScepUnreadable('no usable transactionID');
  if (!messageType || !/^\d{1,3}$/.test(messageType)) throw new ScepUnreadable('no usable messageType');
  if (!(nonce instanceof asn1js.OctetString) || nonce.valueBlock.valueHexView.byteLength !== 16) throw new ScepUnreadable('senderNonce must be 16 octets');
  const time = onlyValue(attributes, OID.signingTime);
  const signingTime = time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime ? time.toDate() : null;

  const content = signed.encapContentInfo;
  const envelope = content.eContent;
  if (content.eContentType !== OID.data || !envelope) throw new ScepUnreadable('the content must be id-data with the pkcsPKIEnvelope');
  const certificates = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const signer = certificates.find((certificate) => matches(signerInfo.sid, certificate));
  if (!signer) throw new ScepUnreadable('the signer\'s certificate is not in the message');
  let signatureValid = false;
  try {
    const result = await signed.verify({ signer: 0, checkChain: false, extendedMode: true });
    signatureValid = result.signatureVerified === true;
  } catch {
    signatureValid = false;
  }
  return {
    messageType: Number(messageType),
    transactionId,
    senderNonce: new Uint8Array(nonce.valueBlock.valueHexView),
    signingTime,
    signer,
    signerDer: new Uint8Array(signer.toSchema().toBER()),
    envelope: new Uint8Array(envelope.valueBlock.valueHexView),
    signatureValid,
  };
}

function matches(sid: pkijs.SignerInfo['sid'] | pkijs.KeyTransRecipientInfo['rid'], certificate: pkijs.Certificate): boolean {
  if (sid instanceof pkijs.IssuerAndSerialNumber) return sid.issuer.isEqual(certificate.issuer) && sid.serialNumber.isEqual(certificate.serialNumber);
  if (sid instanceof asn1js.OctetString) {
    const ski = certificate.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
    return !!ski && Buffer.from(ski.valueBlock.valueHexView).equals(Buffer.from(sid.valueBlock.valueHexView));
  }
  return false;
}

/** A key that may open the envelope: the RA identity's certificate and its private key. */
export interface EnvelopeRecipient {
  certificateDer: Uint8Array;
  key: () => KeyObject;
}

/**
 * Opens the pkcsPKIEnvelope (RFC 8894 §3.2.2): CMS EnvelopedData with RSA
 * key transport to one of our RA certificates. Node's RSA PKCS#1 v1.5
 * decryption uses implicit rejection, so a wrong key and a tampered key look
 * the same: the content's padding check fails, answered badMessageCheck.
 */
export function openEnvelope(envelope: Uint8Array, recipients: EnvelopeRecipient[]): { content: Buffer; cipherOid: string } {
  strict(envelope, 'the pkcsPKIEnvelope');
  let enveloped: pkijs.EnvelopedData;
  try {
    const info = pkijs.ContentInfo.fromBER(buffer(envelope));
    if (info.contentType !== OID.envelopedData) throw new Error('not an EnvelopedData');
    enveloped = new pkijs.EnvelopedData({ schema: info.content });
  } catch (error) {
    throw new ScepFailure('badMessageCheck', new SignetError('scep.envelope-unreadable', 400, { detail: (error as Error).message.slice(0, 200) }));
  }
  let found: { recipient: EnvelopeRecipient; info: pkijs.KeyTransRecipientInfo } | undefined;
  for (const info of enveloped.recipientInfos) {
    if (!(info.value instanceof pkijs.KeyTransRecipientInfo)) continue;
    const value = info.value;
    const recipient = recipients.find((r) => matches(value.rid, pkijs.Certificate.fromBER(buffer(r.certificateDer))));
    if (recipient) found = { recipient, info: value };
  }
  if (!found) throw new ScepFailure('badMessageCheck', new SignetError('scep.not-for-us', 400));
  if (found.info.keyEncryptionAlgorithm.algorithmId !== OID.rsaEncryption) throw new ScepFailure('badAlg', new SignetError('scep.unsupported-algorithm', 400, { algorithm: found.info.keyEncryptionAlgorithm.algorithmId }));
  const encrypted = enveloped.encryptedContentInfo;
  const cipher = CIPHERS.get(encrypted.contentEncryptionAlgorithm.algorithmId);
  if (!cipher) throw new ScepFailure('badAlg', new SignetError('scep.unsupported-algorithm', 400, { algorithm: encrypted.contentEncryptionAlgorithm.algorithmId }));
  const iv = encrypted.contentEncryptionAlgorithm.algorithmParams as asn1js.AsnType | undefined;
  if (!(iv instanceof asn1js.OctetString) || iv.valueBlock.valueHexView.byteLength !== cipher.ivLength || !encrypted.encryptedContent) {
    throw new ScepFailure('badMessageCheck', new SignetError('scep.envelope-unreadable', 400, { detail: 'IV or encrypted content' }));
  }
  try {
    const contentKey = privateDecrypt({ key: found.recipient.key(), padding: constants.RSA_PKCS1_PADDING }, found.info.encryptedKey.valueBlock.valueHexView);
    if (contentKey.length !== cipher.keyLength) throw new Error('content key length');
    const decipher = createDecipheriv(cipher.name, contentKey, iv.valueBlock.valueHexView);
    const content = Buffer.concat([decipher.update(encrypted.encryptedContent.valueBlock.valueHexView), decipher.final()]);
    return { content, cipherOid: encrypted.contentEncryptionAlgorithm.algorithmId };
  } catch {
    throw new ScepFailure('badMessageCheck', new SignetError('scep.envelope-undecryptable', 400));
  }
}

/** The decrypted messageData must itself be DER (a PKCS#10, an IssuerAndSubject, an IssuerAndSerialNumber). */
export function strictContent(content: Uint8Array, what: string): void {
  try {
    checkDer(content, what);
  } catch (error) {
    throw new ScepFailure('badRequest', new SignetError('scep.malformed', 400, { detail: error instanceof DerError ? `${what}: ${error.reason}` : String(error) }));
  }
}

/** RFC 8894 §3.3.3: IssuerAndSubject of a CertPoll; the names are only read, the transaction decides. */
export function readIssuerAndSubject(content: Uint8Array): { issuer: Uint8Array; subject: Uint8Array } {
  strictContent(content, 'IssuerAndSubject');
  const parsed = asn1js.fromBER(buffer(content)).result;
  if (!(parsed instanceof asn1js.Sequence) || parsed.valueBlock.value.length !== 2 || !parsed.valueBlock.value.every((v) => v instanceof asn1js.Sequence)) {
    throw new ScepFailure('badRequest', new SignetError('scep.malformed', 400, { detail: 'IssuerAndSubject' }));
  }
  const [issuer, subject] = parsed.valueBlock.value;
  return { issuer: new Uint8Array(issuer!.toBER()), subject: new Uint8Array(subject!.toBER()) };
}

/** RFC 8894 §3.3.4: IssuerAndSerialNumber of a GetCert. */
export function readIssuerAndSerial(content: Uint8Array): { serial: string } {
  strictContent(content, 'IssuerAndSerialNumber');
  try {
    const value = new pkijs.IssuerAndSerialNumber({ schema: asn1js.fromBER(buffer(content)).result });
    return { serial: Buffer.from(value.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=[0-9a-f])/, '') };
  } catch {
    throw new ScepFailure('badRequest', new SignetError('scep.malformed', 400, { detail: 'IssuerAndSerialNumber' }));
  }
}

/** The answer's pkcsPKIEnvelope: the content encrypted to the requester's certificate with the cipher it used (RFC 8894 §3.3.2). */
export function sealEnvelope(content: Uint8Array, recipient: pkijs.Certificate, cipherOid: string): Buffer {
  const cipher = CIPHERS.get(cipherOid)!;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(recipient.subjectPublicKeyInfo.toSchema().toBER()), format: 'der', type: 'spki' });
  } catch {
    throw new ScepFailure('badAlg', new SignetError('scep.requester-not-rsa', 400));
  }
  if (publicKey.asymmetricKeyType !== 'rsa') throw new ScepFailure('badAlg', new SignetError('scep.requester-not-rsa', 400));
  const contentKey = randomBytes(cipher.keyLength);
  const iv = randomBytes(cipher.ivLength);
  const encipher = createCipheriv(cipher.name, contentKey, iv);
  const encrypted = Buffer.concat([encipher.update(content), encipher.final()]);
  const enveloped = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({ issuer: recipient.issuer, serialNumber: recipient.serialNumber }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
          // The clients decrypt PKCS#1 v1.5 only (strongSwan's pkcs7 plugin, certmonger's OpenSSL PKCS7); never OAEP here.
          encryptedKey: new asn1js.OctetString({ valueHex: buffer(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey)) }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: cipherOid, algorithmParams: new asn1js.OctetString({ valueHex: buffer(iv) }) }),
      encryptedContent: new asn1js.OctetString({ valueHex: buffer(encrypted) }),
      // DER: one primitive OCTET STRING, not pkijs's default 1 KiB pieces.
      disableSplit: true,
    }),
  });
  return Buffer.from(new pkijs.ContentInfo({ contentType: OID.envelopedData, content: enveloped.toSchema() }).toSchema().toBER());
}

/**
 * CertRep (RFC 8894 §3.3.2): SignedData by the RA identity over id-data, the
 * envelope as content on SUCCESS and no content otherwise, with the request's
 * transactionID, its senderNonce as recipientNonce and a fresh senderNonce.
 */
export function certRep(options: {
  signer: Signer;
  signerCertificateDer: Uint8Array;
  transactionId: string;
  recipientNonce: Uint8Array;
  status: PkiStatus;
  failInfo?: FailInfo;
  envelope?: Uint8Array;
  now: Date;
}): Promise<Buffer> {
  return signPkiMessage({ ...options, messageType: MESSAGE_TYPE.CertRep, signingTime: options.now });
}

/**
 * A pkiMessage (RFC 8894 §3.2): the SCEP attributes signed over the
 * envelope (or nothing), by `signer` whose certificate is carried. CertRep
 * uses it; the tests use it to play a client that misbehaves.
 */
export async function signPkiMessage(options: {
  signer: Signer;
  signerCertificateDer: Uint8Array;
  messageType: number;
  transactionId: string;
  senderNonce?: Uint8Array;
  recipientNonce?: Uint8Array;
  status?: PkiStatus;
  failInfo?: FailInfo;
  envelope?: Uint8Array;
  signingTime?: Date;
}): Promise<Buffer> {
  const certificate = pkijs.Certificate.fromBER(buffer(options.signerCertificateDer));
  const content = options.envelope ?? new Uint8Array(0);
  const attribute = (type: string, value: asn1js.AsnType) => new pkijs.Attribute({ type, values: [value] });
  const attributes = [
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    ...(options.signingTime ? [attribute(OID.signingTime, new asn1js.UTCTime({ valueDate: new Date(Math.floor(options.signingTime.getTime() / 1000) * 1000) }))] : []),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: buffer(createHash('sha256').update(content).digest()) })),
    attribute(OID.messageType, new asn1js.PrintableString({ value: String(options.messageType) })),
    ...(options.status ? [attribute(OID.pkiStatus, new asn1js.PrintableString({ value: PKI_STATUS[options.status] }))] : []),
    ...(options.status === 'FAILURE' ? [attribute(OID.failInfo, new asn1js.PrintableString({ value: String(FAIL_INFO[options.failInfo ?? 'badRequest']) }))] : []),
    attribute(OID.transactionId, new asn1js.PrintableString({ value: options.transactionId })),
    attribute(OID.senderNonce, new asn1js.OctetString({ valueHex: buffer(options.senderNonce ?? randomBytes(16)) })),
    ...(options.recipientNonce ? [attribute(OID.recipientNonce, new asn1js.OctetString({ valueHex: buffer(options.recipientNonce) }))] : []),
  ];
  // DER (X.690 §11.6): a SET OF in ascending order of its elements' encodings.
  attributes.sort((a, b) => Buffer.compare(Buffer.from(a.toSchema().toBER()), Buffer.from(b.toSchema().toBER())));
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });
  // RFC 5652 §5.4: the signature covers the attributes with the SET tag, not the [0] they travel under.
  const toSign = new Uint8Array(signedAttrs.toSchema().toBER());
  toSign[0] = 0x31;
  const signature = await options.signer.sign(toSign);
  const { algorithm, parameters } = options.signer.signatureAlgorithm;
  const signed = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo: encapsulated(content),
    certificates: [certificate],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
        digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
        signedAttrs,
        // rsaEncryption with the digest named beside it (RFC 5652 §10.1.2, PKCS #7's digestEncryptionAlgorithm): strongSwan's
        // pkcs7 plugin verifies nothing else, and every CMS reader takes it.
        signatureAlgorithm:
          options.signer.scheme === 'pkcs1'
            ? new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() })
            : new pkijs.AlgorithmIdentifier({ algorithmId: algorithm, ...(parameters ? { algorithmParams: asn1js.fromBER(parameters).result } : {}) }),
        signature: new asn1js.OctetString({ valueHex: buffer(signature) }),
      }),
    ],
  });
  return Buffer.from(new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) }).toSchema().toBER());
}

/**
 * id-data content as one primitive OCTET STRING (DER). FAILURE and PENDING
 * carry no envelope (§3.3.2) but an empty id-data all the same: strongSwan's
 * pkcs7 plugin checks messageDigest against the content. pkijs's constructor turns id-data into a constructed (BER)
 * OCTET STRING, which strongSwan cannot read, so the value is set after it.
 */
function encapsulated(content: Uint8Array): pkijs.EncapsulatedContentInfo {
  const info = new PresentContent({ eContentType: OID.data });
  info.eContent = new asn1js.OctetString({ valueHex: buffer(content) });
  return info;
}

/**
 * pkijs leaves out an empty eContent as if it were absent; OpenSSL's
 * PKCS7_verify (certmonger) then calls the reply detached and refuses it
 * ("no content"). This keeps the empty OCTET STRING.
 */
class PresentContent extends pkijs.EncapsulatedContentInfo {
  override toSchema(): asn1js.Sequence {
    return new asn1js.Sequence({
      value: [new asn1js.ObjectIdentifier({ value: this.eContentType }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [this.eContent!] })],
    });
  }
}

/** What a CertRep says (for the tests and for logs): status, failInfo, and the envelope when there is one. */
export function readCertRep(der: Uint8Array): { status: string | undefined; failInfo: string | undefined; transactionId: string | undefined; envelope: Uint8Array | null } {
  const info = pkijs.ContentInfo.fromBER(buffer(der));
  const signed = new pkijs.SignedData({ schema: info.content });
  const attributes = signed.signerInfos[0]?.signedAttrs?.attributes ?? [];
  const text = (type: string) => printable(onlyValue(attributes, type), type);
  const content = signed.encapContentInfo.eContent;
  return { status: text(OID.pkiStatus), failInfo: text(OID.failInfo), transactionId: text(OID.transactionId), envelope: content && content.valueBlock.valueHexView.byteLength > 0 ? new Uint8Array(content.valueBlock.valueHexView) : null };
}
