import 'reflect-metadata';
import { sha256 } from '@noble/hashes/sha2';
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
 * The subscriber's PKCS#12 file (RFC 7292), made in the browser: the same
 * protection as the RA's server-side PKCS#12 (src/ra/pkcs12.ts) — PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC for the key and the certificates, an
 * HMAC-SHA256 MAC — so OpenSSL 3 and current browsers import it and nothing
 * weaker (RC2, 3DES) is ever used.
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

/** The password is all that protects the key once the file is saved. */
const ITERATIONS = 100_000;

/** RFC 8018 A.2: PBKDF2-params ::= SEQUENCE { salt, iterationCount, keyLength OPTIONAL, prf DEFAULT hmacWithSHA1 } */
class PBKDF2Params {
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

/** RFC 8018 A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme } */
class PBES2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();

  constructor(params: Partial<PBES2Params> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 5652 §8: EncryptedData ::= SEQUENCE { version, encryptedContentInfo, unprotectedAttrs [1] OPTIONAL } */
class EncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version: CMSVersion = CMSVersion.v0;

  @AsnProp({ type: EncryptedContentInfo })
  encryptedContentInfo = new EncryptedContentInfo();

  constructor(params: Partial<EncryptedData> = {}) {
    Object.assign(this, params);
  }
}

const derNull = (): ArrayBuffer => new asn1js.Null().toBER(false);
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function pbes2Encrypt(password: string, plain: Uint8Array<ArrayBuffer>): Promise<{ algorithm: AlgorithmIdentifier; ciphertext: ArrayBuffer }> {
  const salt = random(16);
  const iv = random(16);
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey({ name: 'PBKDF2', salt, iterations: ITERATIONS, hash: 'SHA-256' }, base, { name: 'AES-CBC', length: 256 }, false, ['encrypt']);
  // WebCrypto's AES-CBC pads with PKCS#7, as RFC 8018 §6.2 asks.
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, plain);
  const params = new PBES2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: OID.pbkdf2,
      parameters: AsnConvert.serialize(
        new PBKDF2Params({ salt: new OctetString(salt), iterationCount: ITERATIONS, prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: derNull() }) }),
      ),
    }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: OID.aes256Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: AsnConvert.serialize(params) }), ciphertext };
}

/**
 * RFC 7292 Appendix B.2 with SHA-256, for the MAC key (ID 3): PBMAC1 is too
 * new for OpenSSL 3.0. The password is a BMPString with its terminator.
 */
function pkcs12Kdf(password: string, salt: Uint8Array, id: number, iterations: number, length: number): Uint8Array {
  const u = 32;
  const v = 64;
  const bmp = new Uint8Array((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) {
    bmp[i * 2] = password.charCodeAt(i) >> 8;
    bmp[i * 2 + 1] = password.charCodeAt(i) & 0xff;
  }
  const fill = (source: Uint8Array): Uint8Array => {
    const out = new Uint8Array(source.length === 0 ? 0 : v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const D = new Uint8Array(v).fill(id);
  const S = fill(salt);
  const P = fill(bmp);
  const I = new Uint8Array(S.length + P.length);
  I.set(S);
  I.set(P, S.length);
  const out = new Uint8Array(Math.ceil(length / u) * u);
  for (let produced = 0; produced < length; produced += u) {
    const first = new Uint8Array(D.length + I.length);
    first.set(D);
    first.set(I, D.length);
    let A = sha256(first);
    for (let r = 1; r < iterations; r++) A = sha256(A);
    out.set(A, produced);
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
  return out.slice(0, length);
}

export interface BrowserPkcs12Input {
  privateKey: CryptoKey;
  certificateDer: Uint8Array<ArrayBuffer>;
  chainDer: Uint8Array[];
  password: string;
  friendlyName: string;
}

/** A PKCS#12 file of the key made in this page, its certificate and the chain. */
export async function buildPkcs12(input: BrowserPkcs12Input): Promise<ArrayBuffer> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', input.privateKey));
  try {
    const localKeyId = new Uint8Array(await crypto.subtle.digest('SHA-1', input.certificateDer));
    const attribute = (attrId: string, value: ArrayBuffer) => Object.assign(new PKCS12Attribute(), { attrId, attrValues: [value] });
    const keyAttributes = [
      attribute(OID.localKeyId, AsnConvert.serialize(new OctetString(localKeyId))),
      attribute(OID.friendlyName, new asn1js.BmpString({ value: input.friendlyName }).toBER(false)),
    ];
    const shrouded = await pbes2Encrypt(input.password, pkcs8);
    const keyBag = new PKCS8ShroudedKeyBag({ encryptionAlgorithm: shrouded.algorithm, encryptedData: new EncryptedKeyData(shrouded.ciphertext) });
    const keySafe = new SafeContents([new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: AsnConvert.serialize(keyBag), bagAttributes: keyAttributes })]);
    const certBag = (der: Uint8Array, attributes?: PKCS12Attribute[]) =>
      new SafeBag({
        bagId: id_certBag,
        bagValue: AsnConvert.serialize(new CertBag({ certId: id_x509Certificate, certValue: AsnConvert.serialize(new OctetString(der)) })),
        bagAttributes: attributes,
      });
    const certSafe = new SafeContents([certBag(input.certificateDer, [keyAttributes[0]!]), ...input.chainDer.map((der) => certBag(der))]);
    const certEncryption = await pbes2Encrypt(input.password, new Uint8Array(AsnConvert.serialize(certSafe)));
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
    const authSafeBytes = new Uint8Array(AsnConvert.serialize(authenticatedSafe));
    const macSalt = random(16);
    const macKey = await crypto.subtle.importKey('raw', new Uint8Array(pkcs12Kdf(input.password, macSalt, 3, ITERATIONS, 32)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = await crypto.subtle.sign('HMAC', macKey, authSafeBytes);
    const pfx = new PFX({
      version: 3,
      authSafe: new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetString(authSafeBytes)) }),
      macData: new MacData({
        mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: derNull() }), digest: new OctetString(mac) }),
        macSalt: new OctetString(macSalt),
        iterations: ITERATIONS,
      }),
    });
    return AsnConvert.serialize(pfx);
  } finally {
    // The exported key lives only for this call.
    pkcs8.fill(0);
  }
}

/** DER bytes of every CERTIFICATE block of a PEM text. */
export function pemCertificates(pem: string): Uint8Array<ArrayBuffer>[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Uint8Array.from(atob(m[1]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0)));
}
