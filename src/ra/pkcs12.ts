import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { CMSVersion, ContentInfo, EncryptedContent, EncryptedContentInfo } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
  MacData,
  PFX,
  PKCS12Attribute,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { EncryptedData as EncryptedKeyData } from '@peculiar/asn1-pkcs8';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';

/**
 * PKCS#12 (RFC 7292) for server-side key generation (R5), protected the way
 * current tools expect and old ones cannot weaken: PBES2 (RFC 8018) with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC for both the key and the certificates,
 * and an HMAC-SHA256 integrity MAC. Never RC2 or 3DES.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

/** Far above OpenSSL 3.0's 2048: the subscriber's password is all that protects the key. */
const ITERATIONS = 100_000;

/**
 * RFC 8018 A.2:
 * PBKDF2-params ::= SEQUENCE {
 *   salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier {{PBKDF2-SaltSources}} },
 *   iterationCount INTEGER (1..MAX),
 *   keyLength INTEGER (1..MAX) OPTIONAL,
 *   prf AlgorithmIdentifier {{PBKDF2-PRFs}} DEFAULT algid-hmacWithSHA1 }
 */
export class PBKDF2Params {
  @AsnProp({ type: OctetString })
  salt = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;

  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  keyLength?: number;

  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  prf?: AlgorithmIdentifier;

  constructor(params: Partial<PBKDF2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * RFC 8018 A.4:
 * PBES2-params ::= SEQUENCE {
 *   keyDerivationFunc AlgorithmIdentifier {{PBES2-KDFs}},
 *   encryptionScheme AlgorithmIdentifier {{PBES2-Encs}} }
 */
export class PBES2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();

  constructor(params: Partial<PBES2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * RFC 5652 §8 (the PKCS#7 type PKCS#12 uses for encrypted safe contents):
 * EncryptedData ::= SEQUENCE {
 *   version CMSVersion,
 *   encryptedContentInfo EncryptedContentInfo,
 *   unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }
 */
export class EncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version: CMSVersion = CMSVersion.v0;

  @AsnProp({ type: EncryptedContentInfo })
  encryptedContentInfo = new EncryptedContentInfo();

  constructor(params: Partial<EncryptedData> = {}) {
    Object.assign(this, params);
  }
}

const derNull = (): ArrayBuffer => new asn1js.Null().toBER(false);

/** PBES2 encryption of `plain`; returns the AlgorithmIdentifier that describes it and the ciphertext. */
function pbes2Encrypt(password: string, plain: Uint8Array): { algorithm: AlgorithmIdentifier; ciphertext: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const params = new PBES2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: OID.pbkdf2,
      parameters: AsnConvert.serialize(
        new PBKDF2Params({
          salt: new OctetString(salt),
          iterationCount: ITERATIONS,
          prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: derNull() }),
        }),
      ),
    }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: OID.aes256Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: AsnConvert.serialize(params) }), ciphertext };
}

/**
 * RFC 7292 Appendix B.2: the PKCS#12 key derivation, which the MAC key still
 * uses (PBMAC1 is too new for OpenSSL 3.0). ID 3 = MAC key; the password is
 * BMPString with a two-byte terminator.
 */
export function pkcs12Kdf(password: string, salt: Uint8Array, id: number, iterations: number, length: number): Buffer {
  const u = 32; // SHA-256 output
  const v = 64; // SHA-256 block
  const bmp = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  const fill = (source: Uint8Array): Buffer => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(bmp)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash('sha256').update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash('sha256').update(A).digest();
    blocks.push(A);
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export interface Pkcs12Input {
  /** PKCS#8 DER of the private key; it lives only in this call. */
  privateKeyPkcs8: Uint8Array;
  certificate: Uint8Array;
  /** Issuing CA first, then up to the root. */
  chain: Uint8Array[];
  password: string;
  friendlyName: string;
}

export function buildPkcs12(input: Pkcs12Input): Buffer {
  const localKeyId = createHash('sha1').update(input.certificate).digest();
  const attribute = (attrId: string, value: ArrayBuffer) => {
    // Fields set one by one: PKCS12Attribute's constructor (asn1-pfx 2.x) drops its params.
    const a = new PKCS12Attribute();
    a.attrId = attrId;
    a.attrValues = [value];
    return a;
  };
  const keyAttributes = [
    attribute(OID.localKeyId, AsnConvert.serialize(new OctetString(localKeyId))),
    attribute(OID.friendlyName, new asn1js.BmpString({ value: input.friendlyName }).toBER(false)),
  ];

  const shrouded = pbes2Encrypt(input.password, input.privateKeyPkcs8);
  const keyBag = new PKCS8ShroudedKeyBag({ encryptionAlgorithm: shrouded.algorithm, encryptedData: new EncryptedKeyData(shrouded.ciphertext) });
  const keySafe = new SafeContents([
    new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: AsnConvert.serialize(keyBag), bagAttributes: keyAttributes }),
  ]);

  const certBag = (der: Uint8Array, attributes?: PKCS12Attribute[]) =>
    new SafeBag({
      bagId: id_certBag,
      bagValue: AsnConvert.serialize(new CertBag({ certId: id_x509Certificate, certValue: AsnConvert.serialize(new OctetString(der)) })),
      bagAttributes: attributes,
    });
  const certSafe = new SafeContents([certBag(input.certificate, [keyAttributes[0]!]), ...input.chain.map((der) => certBag(der))]);
  const certEncryption = pbes2Encrypt(input.password, new Uint8Array(AsnConvert.serialize(certSafe)));
  const encryptedCerts = new EncryptedData({
    version: CMSVersion.v0,
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: certEncryption.algorithm,
      encryptedContent: new EncryptedContent({ value: new OctetString(certEncryption.ciphertext) }),
    }),
  });

  const authenticatedSafe = new AuthenticatedSafe([
    new ContentInfo({ contentType: OID.encryptedData, content: AsnConvert.serialize(encryptedCerts) }),
    new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetString(AsnConvert.serialize(keySafe))) }),
  ]);
  const authSafeBytes = Buffer.from(AsnConvert.serialize(authenticatedSafe));

  const macSalt = randomBytes(16);
  const macKey = pkcs12Kdf(input.password, macSalt, 3, ITERATIONS, 32);
  const mac = createHmac('sha256', macKey).update(authSafeBytes).digest();
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetString(authSafeBytes)) }),
    macData: new MacData({
      mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: derNull() }), digest: new OctetString(mac) }),
      macSalt: new OctetString(macSalt),
      iterations: ITERATIONS,
    }),
  });
  return Buffer.from(AsnConvert.serialize(pfx));
}
