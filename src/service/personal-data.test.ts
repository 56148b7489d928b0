import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../ca/authority.js';
import { openDatabase, type SignetDatabase } from '../store/database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { maskContact, maskName, parseKeyList, PersonalDataCipher, PersonalDataError } from './personal-data.js';
import { SubscriberServices } from './subscriber-services.js';

afterAll(dropFreshStores);

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('personal data at rest (R2): AES-256-GCM, key id beside the ciphertext, rotation', () => {
  it('seals and opens, binding the value to its owner', () => {
    const cipher = new PersonalDataCipher([k1]);
    const sealed = cipher.seal('110101199003078515', 'subscriber:sub-1');
    expect(sealed).toMatch(/^pd1\.k1\./);
    expect(sealed).not.toContain('1990');
    expect(cipher.open(sealed, 'subscriber:sub-1')).toBe('110101199003078515');
    // The same ciphertext on another subscriber's row does not open.
    expect(() => cipher.open(sealed, 'subscriber:sub-2')).toThrow(PersonalDataError);
    // Nor does a tampered one.
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.open(parts.join('.'), 'subscriber:sub-1')).toThrow(PersonalDataError);
  });

  it('opens old values after rotation and re-seals them under the current key', () => {
    const old = new PersonalDataCipher([k1]).seal('张三', 'x');
    const rotated = new PersonalDataCipher([k2, k1]);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.open(old, 'x')).toBe('张三');
    expect(rotated.needsRotation(old)).toBe(true);
    const resealed = rotated.reseal(old, 'x');
    expect(PersonalDataCipher.keyIdOf(resealed)).toBe('k2');
    expect(() => new PersonalDataCipher([k2]).open(old, 'x')).toThrow(/k1/);
  });

  it('takes keys from SIGNET_PII_KEY, or generates a development key file with mode 0600', () => {
    const configured = PersonalDataCipher.fromEnvironment({ SIGNET_PII_KEY: `k2:${k2.key.toString('base64')},k1:${k1.key.toString('base64')}` }, '/nonexistent');
    expect(configured.currentKeyId).toBe('k2');
    expect(parseKeyList(k1.key.toString('base64'))).toEqual([{ id: 'k1', key: k1.key }]);
    expect(() => new PersonalDataCipher([{ id: 'short', key: randomBytes(16) }])).toThrow(/32 bytes/);
    const dir = mkdtempSync(join(tmpdir(), 'signet-pii-'));
    const dev = PersonalDataCipher.fromEnvironment({}, dir);
    expect(dev.currentKeyId).toBe('dev1');
    expect(statSync(join(dir, 'pii-keys')).mode & 0o777).toBe(0o600);
    expect(PersonalDataCipher.fromEnvironment({}, dir).open(dev.seal('a', 'b'), 'b')).toBe('a');
    expect(readFileSync(join(dir, 'pii-keys'), 'utf8')).toMatch(/^dev1:/);
  });

  it('masks names, phone numbers and e-mail addresses for lists', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧**娜');
    expect(maskContact('13812345678')).toBe('138****5678');
    expect(maskContact('zhang.san@example.cn')).toBe('z***@example.cn');
  });
});

describe.each(storeBackends)('re-sealing the service domain\'s personal data after a key rotation on %s (R2)', (backend) => {
  let store: SignetDatabase;
  const now = new Date('2026-09-24T02:00:00.000Z');
  const make = (keys: { id: string; key: Buffer }[]) => {
    const ca = new CertificateAuthority({ store, config: { publicUrl: 'http://127.0.0.1', policyOid: '1.2.3', serialPrefix: 0x5c, passphrase: () => 'unused-passphrase' }, clock: () => now });
    return new SubscriberServices({ ca, personalData: new PersonalDataCipher(keys), clock: () => now });
  };
  beforeAll(async () => {
    store = await openDatabase(await freshStoreUrl(backend));
  });
  afterAll(() => store.close());

  it('re-seals every complaint under the new key, after which the old key is no longer needed', async () => {
    const before = make([k1]);
    const filed = await before.complaints.file('operator:a', { channel: 'phone', complainant: { name: '王五', contact: '13900000000' }, category: 'x', description: '内容' });
    const after = make([k2, k1]);
    expect(await after.resealPersonalData()).toEqual({ complaints: 1, claims: 0, notifications: 0 });
    expect(await after.resealPersonalData()).toEqual({ complaints: 0, claims: 0, notifications: 0 });
    const onlyNew = make([k2]);
    expect((await onlyNew.complaints.get('operator:a', filed.id)).complainant).toEqual({ name: '王五', contact: '13900000000' });
  });
});
