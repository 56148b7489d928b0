import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords and authorization codes are stored only as scrypt hashes
 * (RFC 7914) with their own salt and cost, so the cost can rise later
 * without invalidating what is stored. Tokens with 256 random bits need no
 * stretching: their SHA-256 is what is stored.
 */
const DEFAULT_LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string, logN = DEFAULT_LOG_N): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, logN, R, P);
  return `scrypt$${logN}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !logN || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(secret, Buffer.from(salt, 'base64'), Number(logN), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash to compare against when the account does not exist, so both cases
 * cost the same time: the stored form at today's cost, whose key no secret is
 * known to give (scrypt's output is never chosen). A constant rather than a
 * hash made once and kept: no module-level state.
 */
const DECOY_HASH = `scrypt$${DEFAULT_LOG_N}$${R}$${P}$${Buffer.alloc(16, 0x5a).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;
export function decoyHash(): Promise<string> {
  return Promise.resolve(DECOY_HASH);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** 256 random bits, URL-safe, with a prefix saying what it is (sgs_ session, sgt_ API token, …). */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Digits only, so it can be read over the phone and typed on any keypad. */
export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

/** Without 0/O, 1/I/L: codes are copied by hand from paper or an SMS. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function randomCode(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return out;
}
