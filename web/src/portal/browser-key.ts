import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/**
 * R5: the subscriber's key pair is made here, in the browser, by WebCrypto.
 * Only the PKCS#10 request leaves the page: it carries the public key and a
 * signature that proves possession of the private key. The CA ignores the
 * request's subject (it takes the reviewed data), so the subject here is a
 * placeholder that says where the request came from.
 */
export type BrowserKeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

const GENERATION: Record<BrowserKeyAlgorithm, { key: RsaHashedKeyGenParams | EcKeyGenParams; signing: Algorithm | EcdsaParams }> = {
  'ecdsa-p256': { key: { name: 'ECDSA', namedCurve: 'P-256' }, signing: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams },
  'rsa-2048': {
    key: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
};

x509.cryptoProvider.set(crypto);

export interface BrowserKeyPair {
  algorithm: BrowserKeyAlgorithm;
  keys: CryptoKeyPair;
}

/**
 * A fresh key pair. Non-extractable unless the subscriber asked for a
 * PKCS#12 file to save: then the key must be exported once, into that file.
 */
export async function generateKeyPair(algorithm: BrowserKeyAlgorithm, extractable: boolean): Promise<BrowserKeyPair> {
  const keys = (await crypto.subtle.generateKey(GENERATION[algorithm].key, extractable, ['sign', 'verify'])) as CryptoKeyPair;
  return { algorithm, keys };
}

/** The PKCS#10 request, signed by the private key that never leaves this page (PEM). */
export async function certificationRequest(pair: BrowserKeyPair): Promise<string> {
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=Signet browser key',
    keys: pair.keys,
    signingAlgorithm: GENERATION[pair.algorithm].signing,
  });
  return request.toString('pem');
}

/** SHA-256 of the public key (SPKI), hex: how the page matches a certificate to the key it holds. */
export async function publicKeyFingerprint(publicKey: CryptoKey): Promise<string> {
  const spki = await crypto.subtle.exportKey('spki', publicKey);
  return hex(await crypto.subtle.digest('SHA-256', spki));
}

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The certificate's public key, to check that what came back certifies the key we hold. */
export async function certificateKeyFingerprint(certificatePem: string): Promise<string> {
  const certificate = new x509.X509Certificate(certificatePem);
  return hex(await crypto.subtle.digest('SHA-256', certificate.publicKey.rawData));
}
