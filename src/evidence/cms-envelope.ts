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
import { AlgorithmIdentifier, Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
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

export type ContentCipher = 'aes-256-cbc' | 'aes-256-gcm';

export interface EncryptOptions {
  content: Uint8Array;
  /** DER certificates of the recipients: RSA keys get RSA-OAEP key transport, EC keys ECDH key agreement. */
  recipients: Uint8Array[];
  cipher?: ContentCipher;
}

/**
 * Encrypts for one or more certificate holders (RFC 5652 §6). AES-256-CBC
 * gives EnvelopedData; AES-256-GCM gives AuthEnvelopedData (RFC 5083/5084),
 * which adds integrity to confidentiality.
 */
export function encryptToCertificates(options: EncryptOptions): Buffer {
  const cipherName = options.cipher ?? 'aes-256-cbc';
  if (options.recipients.length === 0) throw new SignetError('cms.no-recipients', 400);
  const cek = randomBytes(32);
  const recipientInfos = new RecipientInfos(options.recipients.map((der) => recipientInfoFor(der, cek)));

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
  const cipher = createCipheriv('aes-256-cbc', cek, iv);
  const encrypted = Buffer.concat([cipher.update(options.content), cipher.final()]);
  const hasKari = recipientInfos.some((r) => r.kari);
  const data = new EnvelopedData({
    // RFC 5652 §6.1: version 2 when any RecipientInfo is not v0 (a kari is v3), else 0.
    version: hasKari ? CMSVersion.v2 : CMSVersion.v0,
    recipientInfos,
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({
        algorithm: ENVELOPE_OID.aes256Cbc,
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

function recipientInfoFor(certificateDer: Uint8Array, cek: Buffer): RecipientInfo {
  const certificate = AsnConvert.parse(certificateDer, Certificate);
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
  keyManagement: 'rsa-oaep' | 'ecdh';
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
  if (!authenticated && info.contentType !== id_envelopedData) {
    throw new SignetError('cms.not-enveloped', 400, { contentType: info.contentType }, 'envelope');
  }
  const parsed = (() => {
    try {
      return authenticated ? AsnConvert.parse(info.content, AuthEnvelopedData) : AsnConvert.parse(info.content, EnvelopedData);
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
      cek = unwrapKeyTransport(recipient.ktri, key);
      keyManagement = 'rsa-oaep';
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
    if (algorithm.algorithm === ENVELOPE_OID.aes256Cbc && !authenticated) {
      const iv = Buffer.from(AsnConvert.parse(algorithm.parameters!, OctetString).buffer);
      const decipher = createDecipheriv('aes-256-cbc', cek, iv);
      return { content: Buffer.concat([decipher.update(encrypted), decipher.final()]), cipher: 'aes-256-cbc', keyManagement };
    }
    if (algorithm.algorithm === ENVELOPE_OID.aes256Gcm && parsed instanceof AuthEnvelopedData) {
      const params = AsnConvert.parse(algorithm.parameters!, GcmParameters);
      const decipher = createDecipheriv('aes-256-gcm', cek, Buffer.from(params.nonce.buffer), { authTagLength: params.icvLength });
      decipher.setAuthTag(Buffer.from(parsed.mac.buffer));
      return { content: Buffer.concat([decipher.update(encrypted), decipher.final()]), cipher: 'aes-256-gcm', keyManagement };
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
