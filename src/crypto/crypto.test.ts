import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { openPrivateKey, sealPrivateKey } from './key-envelope.js';
import { generateSoftwareKey, SoftwareSigner } from './software-signer.js';
import { verifySignature } from './signature-verification.js';
import { inspectPublicKey, PublicKeyCache } from './public-key.js';
import type { KeyAlgorithm, SignatureScheme } from './algorithms.js';
import type { SignetError } from '../i18n/signet-error.js';

describe('software signers on node:crypto (R22)', () => {
  it.each([
    ['rsa-2048', 'pkcs1'],
    ['rsa-2048', 'pss'],
    ['rsa-3072', 'pkcs1'],
    ['ecdsa-p256', 'ecdsa'],
    ['ecdsa-p384', 'ecdsa'],
    ['ed25519', 'eddsa'],
  ] as const)('%s (%s) signs what the verifier accepts, and nothing else', async (algorithm, scheme) => {
    const signer = generateSoftwareKey(algorithm as KeyAlgorithm, { scheme: scheme as SignatureScheme });
    const message = Buffer.from('交易信息 transaction');
    const signature = await signer.sign(message);
    expect(verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, message, signature)).toEqual({ ok: true });
    const tampered = Buffer.from(message);
    tampered.writeUInt8(tampered.readUInt8(0) ^ 1, 0);
    expect(verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, tampered, signature).ok).toBe(false);
  });

  it('refuses a scheme that does not fit the key', () => {
    expect(() => generateSoftwareKey('ecdsa-p256', { scheme: 'pss' })).toThrow(/does not fit/);
  });
});

describe('CA keys at rest (R21)', () => {
  const signer = generateSoftwareKey('ecdsa-p256');

  it('seals a private key so that only the passphrase and the owning row open it', async () => {
    const sealed = sealPrivateKey(signer.exportPkcs8(), 'correct horse battery', 'issuing-1');
    expect(sealed).not.toContain(signer.exportPkcs8().toString('base64'));
    const opened = openPrivateKey(sealed, 'correct horse battery', 'issuing-1');
    const reopened = SoftwareSigner.fromPkcs8('ecdsa-p256', opened);
    const signature = await reopened.sign(Buffer.from('x'));
    expect(verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, Buffer.from('x'), signature).ok).toBe(true);
    expect(() => openPrivateKey(sealed, 'wrong passphrase', 'issuing-1')).toThrow(/cannot be opened/);
    expect(() => openPrivateKey(sealed, 'correct horse battery', 'root-1')).toThrow(/cannot be opened/);
  });

  it('refuses a passphrase shorter than 8 characters', () => {
    // The operator's input (a passphrase from the CLI or the environment): 400, in both languages.
    expect(() => sealPrivateKey(signer.exportPkcs8(), '1234567', 'issuing-1')).toThrow(expect.objectContaining({ code: 'ca.key-passphrase-too-short', status: 400 }));
    const refused = (() => {
      try {
        sealPrivateKey(signer.exportPkcs8(), 'short', 'issuing-1');
      } catch (error) {
        return error as SignetError;
      }
      throw new Error('accepted');
    })();
    expect(refused.messageIn('zh-CN')).toBe('用于加密密钥 issuing-1 的口令须至少 8 个字符');
    expect(refused.messageIn('en')).toBe('The passphrase sealing the key issuing-1 must be at least 8 characters');
    expect(() => sealPrivateKey(signer.exportPkcs8(), '12345678', 'issuing-1')).not.toThrow();
  });
});

describe('public key inspection', () => {
  const spki = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => key.export({ type: 'spki', format: 'der' });

  it('names RSA, ECDSA and Ed25519 keys by their Signet algorithm', () => {
    expect(inspectPublicKey(generateSoftwareKey('ecdsa-p384').publicKeyInfo)).toMatchObject({ ok: true, keyAlgorithm: 'ecdsa-p384' });
    expect(inspectPublicKey(generateSoftwareKey('ed25519').publicKeyInfo)).toMatchObject({ ok: true, keyAlgorithm: 'ed25519' });
  });

  it('refuses RSA below 2048 bits, odd sizes, small exponents and unknown curves', () => {
    expect(inspectPublicKey(spki(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey))).toMatchObject({ ok: false, problem: 'rsa-too-small' });
    expect(inspectPublicKey(spki(generateKeyPairSync('rsa', { modulusLength: 2560 }).publicKey))).toMatchObject({ ok: false, problem: 'rsa-size-unsupported' });
    expect(inspectPublicKey(spki(generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey))).toMatchObject({ ok: false, problem: 'rsa-exponent' });
    expect(inspectPublicKey(spki(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey))).toMatchObject({ ok: false, problem: 'unknown-curve' });
    expect(inspectPublicKey(Buffer.from('garbage'))).toMatchObject({ ok: false, problem: 'malformed-key' });
  });
});

const inspect = (spki: Uint8Array) => {
  const inspection = inspectPublicKey(spki);
  if (!inspection.ok || !inspection.key) throw new Error('not inspected');
  return inspection.key;
};

describe('the public keys a deployment verifies its own signatures with (PublicKeyCache, owned by src/signet.ts)', () => {
  it('imports a key once, verifies with it like an uncached import, and forgets the oldest beyond its size', async () => {
    const cache = new PublicKeyCache(2);
    const [a, b, c] = (['ecdsa-p256', 'ed25519', 'rsa-2048'] as const).map((algorithm) => generateSoftwareKey(algorithm));
    const first = cache.load(a!.publicKeyInfo);
    expect(cache.load(new Uint8Array(a!.publicKeyInfo))).toBe(first);
    const message = Buffer.from('自检 self-check');
    const signature = await a!.sign(message);
    expect(verifySignature(a!.publicKeyInfo, a!.signatureAlgorithm, message, signature, { publicKeys: cache })).toEqual({ ok: true });
    expect(verifySignature(b!.publicKeyInfo, a!.signatureAlgorithm, message, signature, { publicKeys: cache }).ok).toBe(false);
    cache.load(c!.publicKeyInfo);
    // a was the oldest of three with room for two: imported again, a new KeyObject for the same key.
    const again = cache.load(a!.publicKeyInfo);
    expect(again).not.toBe(first);
    expect(again.equals(first)).toBe(true);
    // A key already imported (a request's, from inspectPublicKey) is used as given: another key's fails.
    expect(verifySignature(a!.publicKeyInfo, a!.signatureAlgorithm, message, signature, { publicKey: inspect(a!.publicKeyInfo) })).toEqual({ ok: true });
    const other = generateSoftwareKey('ecdsa-p256');
    expect(verifySignature(a!.publicKeyInfo, a!.signatureAlgorithm, message, signature, { publicKey: inspect(other.publicKeyInfo) }).ok).toBe(false);
  });
});
