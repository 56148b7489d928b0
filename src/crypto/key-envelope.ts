import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';

/**
 * R21: a private key at rest is only ever this envelope: PKCS#8 sealed with
 * AES-256-GCM under a key derived from the operator's passphrase with scrypt.
 * The envelope is bound to its owner (a CA id, a signer id) as associated data,
 * so an envelope copied onto another row does not open.
 */
export interface KeyEnvelope {
  v: 1;
  kdf: 'scrypt';
  /** log2 of scrypt's N. */
  logN: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

const DEFAULT_LOG_N = 15;

function deriveKey(passphrase: string, salt: Buffer, logN: number, r: number, p: number): Buffer {
  const N = 2 ** logN;
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 128 * N * r * 2 });
}

export function sealPrivateKey(pkcs8Der: Uint8Array, passphrase: string, owner: string): string {
  if (passphrase.length < 8) throw new SignetError('ca.key-passphrase-too-short', 400, { owner, min: 8 });
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const envelope = { v: 1 as const, kdf: 'scrypt' as const, logN: DEFAULT_LOG_N, r: 8, p: 1 };
  const key = deriveKey(passphrase, salt, envelope.logN, envelope.r, envelope.p);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`signet-key:${owner}`, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(pkcs8Der), cipher.final()]);
  const sealed: KeyEnvelope = {
    ...envelope,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
  return JSON.stringify(sealed);
}

export class KeyEnvelopeError extends Error {}

export function openPrivateKey(sealed: string, passphrase: string, owner: string): Buffer {
  let envelope: KeyEnvelope;
  try {
    envelope = JSON.parse(sealed) as KeyEnvelope;
  } catch {
    throw new KeyEnvelopeError(`the key of ${owner} is not a Signet key envelope`);
  }
  if (envelope.v !== 1 || envelope.kdf !== 'scrypt') {
    throw new KeyEnvelopeError(`the key of ${owner} uses an unknown envelope version`);
  }
  const key = deriveKey(passphrase, Buffer.from(envelope.salt, 'base64'), envelope.logN, envelope.r, envelope.p);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
  decipher.setAAD(Buffer.from(`signet-key:${owner}`, 'utf8'));
  decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, 'base64')), decipher.final()]);
  } catch {
    // Never say more: a wrong passphrase and a tampered envelope look the same to an attacker.
    throw new KeyEnvelopeError(`the key of ${owner} cannot be opened: wrong passphrase or damaged envelope`);
  }
}
