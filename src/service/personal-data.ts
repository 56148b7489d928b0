import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * R2: personal fields are encrypted at rest. This is a small library any
 * domain holding personal data adopts (the RA for subscriber records, this
 * service domain for complainants and claimants):
 *
 *   const cipher = PersonalDataCipher.fromEnvironment(process.env, dataDir);
 *   const stored = cipher.seal(JSON.stringify(record), `subscriber:${id}`);
 *   const record = JSON.parse(cipher.open(stored, `subscriber:${id}`));
 *
 * A sealed value is one text column: `pd1.<keyId>.<iv>.<tag>.<ciphertext>`
 * (base64url). The key id travels beside the ciphertext, so after a key
 * rotation old values still open with their old key and `needsRotation`
 * tells a re-encryption job which ones to seal again under the current key.
 * The value is bound to its owner (`context`) as GCM associated data: a
 * ciphertext copied onto another subscriber's row does not open.
 */
export interface PersonalDataKey {
  id: string;
  /** 32 bytes: AES-256-GCM. */
  key: Buffer;
}

const PREFIX = 'pd1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export class PersonalDataError extends Error {}

export class PersonalDataCipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** The first key is the current one (new values are sealed with it); the others only open old values. */
  constructor(keys: readonly PersonalDataKey[]) {
    if (keys.length === 0) throw new PersonalDataError('at least one personal-data key is needed');
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new PersonalDataError(`personal-data key id "${id}" must be 1-32 letters, digits, - or _`);
      if (key.length !== 32) throw new PersonalDataError(`personal-data key "${id}" must be 32 bytes (AES-256), not ${key.length}`);
      if (this.keys.has(id)) throw new PersonalDataError(`personal-data key id "${id}" appears twice`);
      this.keys.set(id, key);
    }
    this.currentKeyId = keys[0]!.id;
  }

  /**
   * Keys from SIGNET_PII_KEY: `id:base64key[,id:base64key…]`, current first
   * (a bare base64 key gets the id `k1`); or SIGNET_PII_KEY_FILE holding the
   * same text; or, for development only, a key generated into
   * `<dataDir>/pii-keys` (mode 0600) on first use.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv, dataDir: string): PersonalDataCipher {
    let text = env.SIGNET_PII_KEY || undefined;
    if (!text && env.SIGNET_PII_KEY_FILE) text = readFileSync(env.SIGNET_PII_KEY_FILE, 'utf8');
    if (!text) {
      const file = join(dataDir, 'pii-keys');
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `dev1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
        chmodSync(file, 0o600);
      }
      text = readFileSync(file, 'utf8');
    }
    return new PersonalDataCipher(parseKeyList(text));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(aad(this.currentKeyId, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [PREFIX, this.currentKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== PREFIX) throw new PersonalDataError('not a sealed personal-data value');
    const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new PersonalDataError(`personal-data key "${keyId}" is not configured (SIGNET_PII_KEY)`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new PersonalDataError('a personal-data value does not open: damaged, or bound to another owner');
    }
  }

  /**
   * A key for one other purpose (the certificate identifier hash, the blind
   * index), derived from the current key with HKDF-SHA256 so that one secret
   * serves and the AES key itself is never used twice. It changes when the
   * current key rotates.
   */
  derive(purpose: string, keyId = this.currentKeyId): Buffer {
    return Buffer.from(hkdfSync('sha256', this.keys.get(keyId)!, Buffer.alloc(0), `signet-pii:${purpose}`, 32));
  }

  /**
   * A keyed blind index (HMAC-SHA256) of a value, for finding equal values
   * (the duplicate-ID check) without storing them: `bi1.<keyId>.<hex>`.
   * Nobody without the key can test a guess against it.
   */
  blindIndex(value: string, keyId = this.currentKeyId): string {
    return `bi1.${keyId}.${createHmac('sha256', this.derive('blind-index', keyId)).update(value, 'utf8').digest('hex')}`;
  }

  /** The value's index under every configured key, current first: a lookup finds rows indexed before a rotation too. */
  blindIndexes(value: string): string[] {
    return [...this.keys.keys()].sort((a, b) => (a === this.currentKeyId ? -1 : b === this.currentKeyId ? 1 : 0)).map((id) => this.blindIndex(value, id));
  }

  /** The key id a sealed value was made with. */
  static keyIdOf(sealed: string): string {
    return sealed.split('.')[1] ?? '';
  }

  /** True when the value was sealed under an older key and should be sealed again (key rotation). */
  needsRotation(sealed: string): boolean {
    return PersonalDataCipher.keyIdOf(sealed) !== this.currentKeyId;
  }

  /** Opens with whichever key made it and seals under the current key. */
  reseal(sealed: string, context: string): string {
    return this.needsRotation(sealed) ? this.seal(this.open(sealed, context), context) : sealed;
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`signet-pii:${keyId}:${context}`, 'utf8');
}

export function parseKeyList(text: string): PersonalDataKey[] {
  return text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const colon = part.indexOf(':');
      const id = colon > 0 ? part.slice(0, colon) : `k${index + 1}`;
      const key = Buffer.from(colon > 0 ? part.slice(colon + 1) : part, 'base64');
      return { id, key };
    });
}

/** Masks for lists (R2): enough to recognise, not enough to use. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\s+/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return maskName(email);
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

/** A contact that may be a phone number or an e-mail address. */
export function maskContact(contact: string): string {
  return contact.includes('@') ? maskEmail(contact) : maskPhone(contact);
}
