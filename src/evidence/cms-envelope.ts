import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  constants,
  KeyObject,
} from 'node:crypto';
import { AsnConvert, AsnIntegerConverter, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import {
  ContentInfo,
  ContentEncryptionAlgorithmIdentifier,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KeyAgreeRecipientIdentifier,
  KeyAgreeRecipientInfo,
  KeyEncryptionAlgorithmIdentifier,
  KeyTransRecipientInfo,
  OriginatorIdentifierOrKey,
  OriginatorPublicKey,
  RecipientEncryptedKey,
  RecipientEncryptedKeys,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
  CMSVersion,
  id_data,
  id_envelopedData,
} from '@peculiar/asn1-cms';
import { RsaEsOaepParams, id_RSAES_OAEP, id_mgf1 } from '@peculiar/asn1-rsa';
import { AlgorithmIdentifier, Certificate, KeyUsage, KeyUsageFlags, SubjectPublicKeyInfo, id_ce_keyUsage } from '@peculiar/asn1-x509';
import { sm2Decrypt, sm2Encrypt, Sm2EncryptionError } from '../crypto/sm2-encryption.js';
import { decodeSm2Pkcs8, isSm2PublicKeyInfo, sm2PublicKeyFromInfo, Sm2KeyError } from '../crypto/sm2-key.js';
import { SignetError } from '../i18n/signet-error.js';

/** RFC 3565, RFC 5084, RFC 5753, RFC 8418: the algorithm identifiers this toolkit speaks. */
export const ENVELOPE_OID = {
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  ecPublicKey: '1.2.840.10045.2.1',
  /** dhSinglePass-stdDH-sha*kdf-scheme (SEC 1, RFC 5753 §7.1.4). */
  stdDhSha1Kdf: '1.3.133.16.840.63.0.2',
  stdDhSha256Kdf: '1.3.132.1.11.1',
  stdDhSha384Kdf: '1.3.132.1.11.2',
  stdDhSha512Kdf: '1.3.132.1.11.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  /** id-ct-authEnvelopedData (RFC 5083). */
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  /** GM/T 0006 / GB/T 33560: SM4 in CBC mode, parameters the 16-octet IV. */
  sm4Cbc: '1.2.156.10197.1.104.2',
  /** GM/T 0006: sm2-3, SM2 public-key encryption (GB/T 32918.4), the key transport of GM/T 0010. */
  sm2Encrypt: '1.2.156.10197.1.301.3',
  /** GM/T 0006: the SM2 algorithm itself, which some writers put where sm2-3 belongs. */
  sm2: '1.2.156.10197.1.301',
  /** GM/T 0010 §5 (GB/T 35275): the data and envelopedData content types of SM2 messages. */
  gmData: '1.2.156.10197.6.1.4.2.1',
  gmEnvelopedData: '1.2.156.10197.6.1.4.2.3',
} as const;

const KDF_HASH: Record<string, string> = {
  [ENVELOPE_OID.stdDhSha1Kdf]: 'sha1',
  [ENVELOPE_OID.stdDhSha256Kdf]: 'sha256',
  [ENVELOPE_OID.stdDhSha384Kdf]: 'sha384',
  [ENVELOPE_OID.stdDhSha512Kdf]: 'sha512',
};
const OAEP_HASH: Record<string, string> = {
  [ENVELOPE_OID.sha1]: 'sha1',
  [ENVELOPE_OID.sha256]: 'sha256',
  [ENVELOPE_OID.sha384]: 'sha384',
  [ENVELOPE_OID.sha512]: 'sha512',
};

/**
 * ```asn1
 * ECC-CMS-SharedInfo ::= SEQUENCE {
 *   keyInfo         AlgorithmIdentifier,
 *   entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL,
 *   suppPubInfo [2] EXPLICIT OCTET STRING   }
 * ```
 * RFC 5753 §7.2: the KDF's SharedInfo, binding the wrapped key to its wrap algorithm and length.
 */
export class EccCmsSharedInfo {
  @AsnProp({ type: AlgorithmIdentifier })
  keyInfo = new AlgorithmIdentifier();

  @AsnProp({ type: OctetString, context: 0, optional: true })
  entityUInfo?: OctetString;

  @AsnProp({ type: OctetString, context: 2 })
  suppPubInfo = new OctetString();

  constructor(params: Partial<EccCmsSharedInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * GCMParameters ::= SEQUENCE {
 *   aes-nonce        OCTET STRING, -- recommended size is 12 octets
 *   aes-ICVlen       AES-GCM-ICVlen DEFAULT 12 }
 * ```
 * RFC 5084 §3.2.
 */
export class GcmParameters {
  @AsnProp({ type: OctetString })
  nonce = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerConverter, defaultValue: 12 })
  icvLength = 12;

  constructor(params: Partial<GcmParameters> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * AuthEnvelopedData ::= SEQUENCE {
 *   version CMSVersion,
 *   originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *   recipientInfos RecipientInfos,
 *   authEncryptedContentInfo EncryptedContentInfo,
 *   authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
 *   mac MessageAuthenticationCode,
 *   unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }
 * ```
 * RFC 5083 §2.1 (no originatorInfo or attributes are produced or accepted here).
 */
export class AuthEnvelopedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = CMSVersion.v0;

  @AsnProp({ type: RecipientInfos })
  recipientInfos = new RecipientInfos();

  @AsnProp({ type: EncryptedContentInfo })
  authEncryptedContentInfo = new EncryptedContentInfo();

  @AsnProp({ type: OctetString })
  mac = new OctetString();

  constructor(params: Partial<AuthEnvelopedData> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * EncryptedContentInfo ::= SEQUENCE {
 *   contentType                ContentType,
 *   contentEncryptionAlgorithm ContentEncryptionAlgorithmIdentifier,
 *   encryptedContent           [0] IMPLICIT EncryptedContent OPTIONAL,
 *   sharedInfo1                [1] IMPLICIT OCTET STRING OPTIONAL,
 *   sharedInfo2                [2] IMPLICIT OCTET STRING OPTIONAL }
 * ```
 * GM/T 0010 §8 (PKCS#7 v1.5's, with two shared-information fields Signet neither writes nor needs).
 */
export class GmEncryptedContentInfo {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  contentType = '';

  @AsnProp({ type: ContentEncryptionAlgorithmIdentifier })
  contentEncryptionAlgorithm = new ContentEncryptionAlgorithmIdentifier();

  @AsnProp({ type: EncryptedContent, optional: true })
  encryptedContent?: EncryptedContent;

  @AsnProp({ type: OctetString, context: 1, implicit: true, optional: true })
  sharedInfo1?: OctetString;

  @AsnProp({ type: OctetString, context: 2, implicit: true, optional: true })
  sharedInfo2?: OctetString;

  constructor(params: Partial<GmEncryptedContentInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * EnvelopedData ::= SEQUENCE {
 *   version              Version,              -- 1
 *   recipientInfos       RecipientInfos,       -- SET OF RecipientInfo
 *   encryptedContentInfo EncryptedContentInfo }
 * RecipientInfo ::= SEQUENCE {
 *   version                Version,            -- 1
 *   issuerAndSerialNumber  IssuerAndSerialNumber,
 *   keyEncryptionAlgorithm AlgorithmIdentifier, -- sm2-3
 *   encryptedKey           OCTET STRING }      -- DER SM2Cipher (GM/T 0009 §7.2)
 * ```
 * GM/T 0010 §8 under content type 1.2.156.10197.6.1.4.2.3. Its RecipientInfo is
 * RFC 5652's KeyTransRecipientInfo with an issuerAndSerialNumber, so that type reads it.
 */
export class GmEnvelopedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 1;

  @AsnProp({ type: RecipientInfos })
  recipientInfos = new RecipientInfos();

  @AsnProp({ type: GmEncryptedContentInfo })
  encryptedContentInfo = new GmEncryptedContentInfo();

  constructor(params: Partial<GmEnvelopedData> = {}) {
    Object.assign(this, params);
  }
}

export type ContentCipher = 'aes-256-cbc' | 'aes-256-gcm' | 'sm4-cbc';

/**
 * The envelope's own syntax: `gmt0010` is GM/T 0010's (content types
 * 1.2.156.10197.6.1.4.2.3 / .1, versions 1), what GM/T relying parties
 * (GmSSL, SKF/CSP middleware) read; `rfc5652` carries the same SM2 key
 * transport and SM4 under RFC 5652's id-envelopedData / id-data, what
 * OpenSSL's `cms -decrypt` reads.
 */
export type EnvelopeForm = 'gmt0010' | 'rfc5652';

export interface EncryptOptions {
  content: Uint8Array;
  /** DER certificates of the recipients: RSA keys get RSA-OAEP key transport, EC keys ECDH key agreement, SM2 keys SM2 key transport. */
  recipients: Uint8Array[];
  /** Default: SM4-CBC when every recipient is SM2 (GM/T 0010), else AES-256-CBC. */
  cipher?: ContentCipher;
  /** Default: gmt0010 when every recipient is SM2, else rfc5652 (the only form for other keys). */
  form?: EnvelopeForm;
}

interface Recipient {
  certificate: Certificate;
  sm2: boolean;
}

/**
 * Encrypts for one or more certificate holders (RFC 5652 §6). AES-256-CBC
 * gives EnvelopedData; AES-256-GCM gives AuthEnvelopedData (RFC 5083/5084),
 * which adds integrity to confidentiality. SM2 encryption certificates get
 * GM/T 0010: SM2 key transport of an SM4 key, content in SM4-CBC.
 */
export function encryptToCertificates(options: EncryptOptions): Buffer {
  const recipients = options.recipients.map(readRecipient);
  const { cipher: cipherName, form } = choices(recipients, options);
  if (form === 'gmt0010') return gmEnvelope(options.content, recipients);
  const cek = randomBytes(cipherName === 'sm4-cbc' ? 16 : 32);
  const recipientInfos = new RecipientInfos(recipients.map((r) => recipientInfoFor(r, cek)));

  if (cipherName === 'aes-256-gcm') {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: 16 });
    const encrypted = Buffer.concat([cipher.update(options.content), cipher.final()]);
    const data = new AuthEnvelopedData({
      recipientInfos,
      authEncryptedContentInfo: new EncryptedContentInfo({
        contentType: id_data,
        contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({
          algorithm: ENVELOPE_OID.aes256Gcm,
          parameters: AsnConvert.serialize(new GcmParameters({ nonce: new OctetString(nonce), icvLength: 16 })),
        }),
        encryptedContent: new EncryptedContent({ value: new OctetString(encrypted) }),
      }),
      mac: new OctetString(cipher.getAuthTag()),
    });
    return contentInfo(ENVELOPE_OID.authEnvelopedData, AsnConvert.serialize(data));
  }

  const iv = randomBytes(16);
  const cipher = createCipheriv(cipherName, cek, iv);
  const encrypted = Buffer.concat([cipher.update(options.content), cipher.final()]);
  const hasKari = recipientInfos.some((r) => r.kari);
  const data = new EnvelopedData({
    // RFC 5652 §6.1: version 2 when any RecipientInfo is not v0 (a kari is v3), else 0.
    version: hasKari ? CMSVersion.v2 : CMSVersion.v0,
    recipientInfos,
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({
        algorithm: cipherName === 'sm4-cbc' ? ENVELOPE_OID.sm4Cbc : ENVELOPE_OID.aes256Cbc,
        parameters: AsnConvert.serialize(new OctetString(iv)),
      }),
      encryptedContent: new EncryptedContent({ value: new OctetString(encrypted) }),
    }),
  });
  return contentInfo(id_envelopedData, AsnConvert.serialize(data));
}

function contentInfo(contentType: string, content: ArrayBuffer): Buffer {
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType, content })));
}

/**
 * GM/T 0010 §8: EnvelopedData under its own content types, each recipient an
 * SM2-encrypted SM4 key, the content SM4-CBC with PKCS#7 padding.
 */
function gmEnvelope(content: Uint8Array, recipients: Recipient[]): Buffer {
  const cek = randomBytes(16);
  const iv = randomBytes(16);
  try {
    const cipher = createCipheriv('sm4-cbc', cek, iv);
    const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
    const data = new GmEnvelopedData({
      version: 1,
      recipientInfos: new RecipientInfos(recipients.map((r) => sm2RecipientInfo(r.certificate, cek, 1))),
      encryptedContentInfo: new GmEncryptedContentInfo({
        contentType: ENVELOPE_OID.gmData,
        contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({ algorithm: ENVELOPE_OID.sm4Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) }),
        encryptedContent: new EncryptedContent({ value: new OctetString(encrypted) }),
      }),
    });
    return contentInfo(ENVELOPE_OID.gmEnvelopedData, AsnConvert.serialize(data));
  } finally {
    cek.fill(0);
  }
}

/** The cipher and form an envelope to these recipients gets, defaults resolved; refuses combinations no standard names. */
export function envelopeChoices(options: Pick<EncryptOptions, 'recipients' | 'cipher' | 'form'>): { cipher: ContentCipher; form: EnvelopeForm } {
  return choices(options.recipients.map(readRecipient), options);
}

function choices(recipients: Recipient[], options: Pick<EncryptOptions, 'cipher' | 'form'>): { cipher: ContentCipher; form: EnvelopeForm } {
  if (recipients.length === 0) throw new SignetError('cms.no-recipients', 400);
  const allSm2 = recipients.every((r) => r.sm2);
  const cipher = options.cipher ?? (allSm2 ? 'sm4-cbc' : 'aes-256-cbc');
  const form = options.form ?? (allSm2 ? 'gmt0010' : 'rfc5652');
  // GM/T 0010 names SM2 key transport with SM-series ciphers only; AES under an SM2 key would be neither standard.
  if (recipients.some((r) => r.sm2) && cipher !== 'sm4-cbc') throw new SignetError('cms.sm2-needs-sm4', 400, { cipher }, 'cipher');
  if (form === 'gmt0010' && !allSm2) throw new SignetError('cms.gm-form-needs-sm2', 400, {}, 'form');
  return { cipher, form };
}

function readRecipient(certificateDer: Uint8Array): Recipient {
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(certificateDer, Certificate);
  } catch (error) {
    throw new SignetError('cms.bad-certificate', 400, { detail: (error as Error).message.slice(0, 200) }, 'certificate');
  }
  return { certificate, sm2: isSm2PublicKeyInfo(certificate.tbsCertificate.subjectPublicKeyInfo) };
}

/**
 * GM/T 0010's RecipientInfo (RFC 5652 KeyTransRecipientInfo): the content key
 * SM2-encrypted (GB/T 32918.4, SM3) to the certificate's key, as DER SM2Cipher.
 * An SM2 certificate that limits its key's use must allow keyEncipherment
 * (RFC 5280 §4.2.1.3): the signing half of a dual pair is no recipient.
 */
function sm2RecipientInfo(certificate: Certificate, cek: Buffer, version: number): RecipientInfo {
  const keyUsage = certificate.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_keyUsage);
  if (keyUsage && !(AsnConvert.parse(keyUsage.extnValue.buffer, KeyUsage).toNumber() & KeyUsageFlags.keyEncipherment)) {
    throw new SignetError('cms.recipient-not-for-encryption', 400, {}, 'certificate');
  }
  let publicKeyHex: string;
  try {
    publicKeyHex = sm2PublicKeyFromInfo(new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate.subjectPublicKeyInfo)));
  } catch (error) {
    throw new SignetError('cms.recipient-key-unsupported', 400, { detail: (error as Error).message }, 'certificate');
  }
  return new RecipientInfo({
    ktri: new KeyTransRecipientInfo({
      version,
      rid: new RecipientIdentifier({
        issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: certificate.tbsCertificate.issuer, serialNumber: certificate.tbsCertificate.serialNumber }),
      }),
      keyEncryptionAlgorithm: new KeyEncryptionAlgorithmIdentifier({ algorithm: ENVELOPE_OID.sm2Encrypt }),
      encryptedKey: new OctetString(sm2Encrypt(publicKeyHex, cek)),
    }),
  });
}

function recipientInfoFor(recipient: Recipient, cek: Buffer): RecipientInfo {
  const { certificate } = recipient;
  // RFC 5652 §6.2.1: version 0 with an issuerAndSerialNumber.
  if (recipient.sm2) return sm2RecipientInfo(certificate, cek, CMSVersion.v0);
  const rid = new IssuerAndSerialNumber({ issuer: certificate.tbsCertificate.issuer, serialNumber: certificate.tbsCertificate.serialNumber });
  const publicKey = createPublicKey({ key: Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.subjectPublicKeyInfo)), format: 'der', type: 'spki' });

  if (publicKey.asymmetricKeyType === 'rsa') {
    // RFC 8017 / RFC 4055 §4: RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    const sha256 = new AlgorithmIdentifier({ algorithm: ENVELOPE_OID.sha256 });
    const params = new RsaEsOaepParams({
      hashAlgorithm: sha256,
      maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha256) }),
    });
    const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
    return new RecipientInfo({
      ktri: new KeyTransRecipientInfo({
        version: CMSVersion.v0,
        rid: new RecipientIdentifier({ issuerAndSerialNumber: rid }),
        keyEncryptionAlgorithm: new KeyEncryptionAlgorithmIdentifier({ algorithm: id_RSAES_OAEP, parameters: AsnConvert.serialize(params) }),
        encryptedKey: new OctetString(encryptedKey),
      }),
    });
  }

  if (publicKey.asymmetricKeyType === 'ec') {
    // RFC 5753 §3.1: ephemeral-static ECDH, X9.63 KDF with SHA-256, AES-256 key wrap.
    const curve = publicKey.asymmetricKeyDetails?.namedCurve;
    if (!curve) throw new SignetError('cms.recipient-key-unsupported', 400, { detail: 'EC key without a named curve' });
    const ephemeral = generateKeyPairSync('ec', { namedCurve: curve });
    const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey });
    const wrap = new AlgorithmIdentifier({ algorithm: ENVELOPE_OID.aes256Wrap });
    const kek = x963Kdf('sha256', shared, wrap, undefined, 32);
    const encryptedKey = aesKeyWrap(kek, cek);
    const ephemeralSpki = AsnConvert.parse(ephemeral.publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
    return new RecipientInfo({
      kari: new KeyAgreeRecipientInfo({
        version: CMSVersion.v3,
        originator: new OriginatorIdentifierOrKey({
          // RFC 5753 §7.1.2: id-ecPublicKey, parameters absent (the recipient's curve).
          originatorKey: new OriginatorPublicKey({
            algorithm: new AlgorithmIdentifier({ algorithm: ENVELOPE_OID.ecPublicKey }),
            publicKey: ephemeralSpki.subjectPublicKey,
          }),
        }),
        keyEncryptionAlgorithm: new KeyEncryptionAlgorithmIdentifier({
          algorithm: ENVELOPE_OID.stdDhSha256Kdf,
          parameters: AsnConvert.serialize(wrap),
        }),
        recipientEncryptedKeys: new RecipientEncryptedKeys([
          new RecipientEncryptedKey({
            rid: new KeyAgreeRecipientIdentifier({ issuerAndSerialNumber: rid }),
            encryptedKey: new OctetString(encryptedKey),
          }),
        ]),
      }),
    });
  }
  throw new SignetError('cms.recipient-key-unsupported', 400, { detail: `${publicKey.asymmetricKeyType ?? 'unknown'} keys cannot receive encrypted data` });
}

/** ANSI X9.63 KDF (SEC 1 §3.6.1) with the ECC-CMS-SharedInfo of RFC 5753 §7.2. */
function x963Kdf(hash: string, z: Buffer, wrap: AlgorithmIdentifier, ukm: ArrayBuffer | undefined, keyBytes: number): Buffer {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(keyBytes * 8);
  const sharedInfo = Buffer.from(
    AsnConvert.serialize(
      new EccCmsSharedInfo({ keyInfo: wrap, entityUInfo: ukm ? new OctetString(ukm) : undefined, suppPubInfo: new OctetString(bits) }),
    ),
  );
  const blocks: Buffer[] = [];
  for (let counter = 1; Buffer.concat(blocks).length < keyBytes; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(z).update(c).update(sharedInfo).digest());
  }
  return Buffer.concat(blocks).subarray(0, keyBytes);
}

const WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** RFC 3394 AES key wrap. */
function aesKeyWrap(kek: Buffer, key: Buffer): Buffer {
  const cipher = createCipheriv('id-aes256-wrap', kek, WRAP_IV);
  return Buffer.concat([cipher.update(key), cipher.final()]);
}

function aesKeyUnwrap(kek: Buffer, wrapped: Buffer): Buffer {
  const decipher = createDecipheriv('id-aes256-wrap', kek, WRAP_IV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}

export interface DecryptOptions {
  envelope: Uint8Array;
  /** The recipient's certificate (to find its RecipientInfo) and private key (PEM or DER PKCS#8). */
  certificateDer: Uint8Array;
  privateKey: KeyObject | string | Buffer;
}

export interface Decrypted {
  content: Buffer;
  cipher: ContentCipher;
  keyManagement: 'rsa-oaep' | 'ecdh' | 'sm2';
  form: EnvelopeForm;
}

/** Opens an EnvelopedData or AuthEnvelopedData addressed to the given certificate. */
export function decryptEnvelope(options: DecryptOptions): Decrypted {
  let info: ContentInfo;
  try {
    info = AsnConvert.parse(options.envelope, ContentInfo);
  } catch (error) {
    throw new SignetError('cms.malformed', 400, { detail: (error as Error).message.slice(0, 200) }, 'envelope');
  }
  const key = options.privateKey instanceof KeyObject ? options.privateKey : loadPrivateKey(options.privateKey);
  const certificate = AsnConvert.parse(options.certificateDer, Certificate);
  const authenticated = info.contentType === ENVELOPE_OID.authEnvelopedData;
  const form: EnvelopeForm = info.contentType === ENVELOPE_OID.gmEnvelopedData ? 'gmt0010' : 'rfc5652';
  if (!authenticated && form !== 'gmt0010' && info.contentType !== id_envelopedData) {
    throw new SignetError('cms.not-enveloped', 400, { contentType: info.contentType }, 'envelope');
  }
  const parsed = (() => {
    try {
      if (authenticated) return AsnConvert.parse(info.content, AuthEnvelopedData);
      return form === 'gmt0010' ? AsnConvert.parse(info.content, GmEnvelopedData) : AsnConvert.parse(info.content, EnvelopedData);
    } catch (error) {
      throw new SignetError('cms.malformed', 400, { detail: (error as Error).message.slice(0, 200) }, 'envelope');
    }
  })();
  const recipientInfos = parsed.recipientInfos;
  const eci = parsed instanceof AuthEnvelopedData ? parsed.authEncryptedContentInfo : parsed.encryptedContentInfo;

  let cek: Buffer | undefined;
  let keyManagement: Decrypted['keyManagement'] = 'rsa-oaep';
  for (const recipient of recipientInfos) {
    if (recipient.ktri && namesCertificate(recipient.ktri.rid.issuerAndSerialNumber, certificate)) {
      const sm2 = SM2_KEY_TRANSPORT.has(recipient.ktri.keyEncryptionAlgorithm.algorithm);
      cek = sm2 ? unwrapSm2(recipient.ktri, key) : unwrapKeyTransport(recipient.ktri, key);
      keyManagement = sm2 ? 'sm2' : 'rsa-oaep';
      break;
    }
    if (recipient.kari) {
      const mine = recipient.kari.recipientEncryptedKeys.find((r) => namesCertificate(r.rid.issuerAndSerialNumber, certificate));
      if (mine) {
        cek = unwrapKeyAgreement(recipient.kari, Buffer.from(mine.encryptedKey.buffer), key);
        keyManagement = 'ecdh';
        break;
      }
    }
  }
  if (!cek) throw new SignetError('cms.not-a-recipient', 400, {}, 'certificate');

  const algorithm = eci.contentEncryptionAlgorithm;
  const primitive = eci.encryptedContent?.value;
  const encrypted = primitive
    ? Buffer.from(primitive.buffer)
    : Buffer.concat((eci.encryptedContent?.constructedValue ?? []).map((o) => Buffer.from(o.buffer)));
  try {
    const cbc = algorithm.algorithm === ENVELOPE_OID.aes256Cbc ? 'aes-256-cbc' : algorithm.algorithm === ENVELOPE_OID.sm4Cbc ? 'sm4-cbc' : undefined;
    if (cbc && !authenticated) {
      const iv = Buffer.from(AsnConvert.parse(algorithm.parameters!, OctetString).buffer);
      const decipher = createDecipheriv(cbc, cek, iv);
      return { content: Buffer.concat([decipher.update(encrypted), decipher.final()]), cipher: cbc, keyManagement, form };
    }
    if (algorithm.algorithm === ENVELOPE_OID.aes256Gcm && parsed instanceof AuthEnvelopedData) {
      const params = AsnConvert.parse(algorithm.parameters!, GcmParameters);
      const decipher = createDecipheriv('aes-256-gcm', cek, Buffer.from(params.nonce.buffer), { authTagLength: params.icvLength });
      decipher.setAuthTag(Buffer.from(parsed.mac.buffer));
      return { content: Buffer.concat([decipher.update(encrypted), decipher.final()]), cipher: 'aes-256-gcm', keyManagement, form };
    }
  } catch {
    // Padding and tag failures say the same thing: the envelope was altered or the key is wrong.
    throw new SignetError('cms.decryption-failed', 400);
  }
  throw new SignetError('cms.cipher-unsupported', 400, { algorithm: algorithm.algorithm });
}

function loadPrivateKey(input: string | Buffer): KeyObject {
  try {
    return typeof input === 'string' || input.includes('-----BEGIN')
      ? createPrivateKey(input)
      : createPrivateKey({ key: input, format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new SignetError('cms.bad-private-key', 400, { detail: (error as Error).message }, 'key');
  }
}

function namesCertificate(id: IssuerAndSerialNumber | undefined, certificate: Certificate): boolean {
  if (!id) return false;
  return (
    Buffer.from(id.serialNumber).equals(Buffer.from(certificate.tbsCertificate.serialNumber)) &&
    Buffer.from(AsnConvert.serialize(id.issuer)).equals(Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.issuer)))
  );
}

function unwrapKeyTransport(ktri: KeyTransRecipientInfo, key: KeyObject): Buffer {
  const algorithm = ktri.keyEncryptionAlgorithm;
  if (algorithm.algorithm !== id_RSAES_OAEP) {
    // PKCS#1 v1.5 key transport is refused: Node.js disables its decryption (Marvin attack, CVE-2023-46809).
    throw new SignetError('cms.key-transport-unsupported', 400, { algorithm: algorithm.algorithm });
  }
  const params = algorithm.parameters ? AsnConvert.parse(algorithm.parameters, RsaEsOaepParams) : new RsaEsOaepParams();
  const oaepHash = OAEP_HASH[params.hashAlgorithm.algorithm];
  const mgfHash = params.maskGenAlgorithm.parameters ? OAEP_HASH[AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm] : 'sha1';
  if (!oaepHash || mgfHash !== oaepHash) {
    throw new SignetError('cms.key-transport-unsupported', 400, { algorithm: `RSAES-OAEP ${params.hashAlgorithm.algorithm}/MGF1 ${mgfHash ?? '?'}` });
  }
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(ktri.encryptedKey.buffer));
  } catch {
    throw new SignetError('cms.decryption-failed', 400);
  }
}

/** sm2-3 as GM/T 0010 names it, and the SM2 key OID some writers put in its place. */
const SM2_KEY_TRANSPORT = new Set<string>([ENVELOPE_OID.sm2Encrypt, ENVELOPE_OID.sm2]);

/** GM/T 0010: the encryptedKey is a DER SM2Cipher (GM/T 0009 §7.2) under the recipient's SM2 key. */
function unwrapSm2(ktri: KeyTransRecipientInfo, key: KeyObject): Buffer {
  let privateKeyHex: string;
  try {
    privateKeyHex = decodeSm2Pkcs8(key.export({ type: 'pkcs8', format: 'der' })).privateKey;
  } catch (error) {
    throw new SignetError('cms.bad-private-key', 400, { detail: error instanceof Sm2KeyError ? error.message : 'not an SM2 private key' }, 'key');
  }
  try {
    return sm2Decrypt(privateKeyHex, new Uint8Array(ktri.encryptedKey.buffer));
  } catch (error) {
    if (error instanceof Sm2EncryptionError) throw new SignetError('cms.decryption-failed', 400);
    throw error;
  }
}

function unwrapKeyAgreement(kari: KeyAgreeRecipientInfo, wrapped: Buffer, key: KeyObject): Buffer {
  const kdfHash = KDF_HASH[kari.keyEncryptionAlgorithm.algorithm];
  if (!kdfHash || !kari.keyEncryptionAlgorithm.parameters) {
    throw new SignetError('cms.key-agreement-unsupported', 400, { algorithm: kari.keyEncryptionAlgorithm.algorithm });
  }
  const wrap = AsnConvert.parse(kari.keyEncryptionAlgorithm.parameters, AlgorithmIdentifier);
  if (wrap.algorithm !== ENVELOPE_OID.aes256Wrap) {
    throw new SignetError('cms.key-agreement-unsupported', 400, { algorithm: wrap.algorithm });
  }
  const originator = kari.originator.originatorKey;
  if (!originator) throw new SignetError('cms.key-agreement-unsupported', 400, { algorithm: 'static originator key' });
  // The ephemeral key is on the recipient's curve: rebuild its SPKI with the recipient's parameters.
  const ownSpki = AsnConvert.parse(createPublicKey(key).export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const ephemeral = createPublicKey({
    key: Buffer.from(AsnConvert.serialize(new SubjectPublicKeyInfo({ algorithm: ownSpki.algorithm, subjectPublicKey: originator.publicKey }))),
    format: 'der',
    type: 'spki',
  });
  try {
    const shared = diffieHellman({ privateKey: key, publicKey: ephemeral });
    const kek = x963Kdf(kdfHash, shared, wrap, kari.ukm?.buffer, 32);
    return aesKeyUnwrap(kek, wrapped);
  } catch {
    throw new SignetError('cms.decryption-failed', 400);
  }
}
