import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { SignetError } from '../i18n/signet-error.js';
import { custodyOf, Keyring } from './keyring.js';

const secrets = { ca: () => 'the CA passphrase', responder: () => 'the responder passphrase', audit: () => 'the audit passphrase' };

describe('which secret seals which key (R21; docs/operations.md, separate secrets)', () => {
  it('derives custody from the owner id every key creator prefixes', () => {
    expect(['root-1a2b', 'issuing-1a2b', 'ocsp-1a2b', 'tsa-1a2b', 'evidence-1a2b', 'audit-1a2b'].map(custodyOf)).toEqual(['ca', 'ca', 'responder', 'responder', 'responder', 'audit']);
  });

  it('opens a responder key sealed under the CA passphrase (before the secrets were separate) only in development', async () => {
    const key = generateSoftwareKey('ecdsa-p256');
    const sealedUnderCa = new Keyring(secrets.ca).seal(key, 'ocsp-old');
    const reference = { ownerId: 'ocsp-old', keyStorage: 'software' as const, keyAlgorithm: 'ecdsa-p256' as const, scheme: 'ecdsa' as const, sealed: sealedUnderCa };
    const development = new Keyring(secrets, undefined, true);
    expect((await development.signerFor(reference)).publicKeyInfo).toEqual(key.publicKeyInfo);
    const production = new Keyring(secrets, undefined, false);
    await expect(production.signerFor(reference)).rejects.toBeInstanceOf(SignetError);
    // A new responder key is sealed under the responder passphrase, and the CA passphrase does not open it.
    const fresh = new Keyring(secrets).seal(key, 'tsa-new');
    await expect(new Keyring({ ...secrets, responder: secrets.ca }, undefined, false).signerFor({ ...reference, ownerId: 'tsa-new', sealed: fresh })).rejects.toBeInstanceOf(SignetError);
    expect((await new Keyring(secrets, undefined, false).signerFor({ ...reference, ownerId: 'tsa-new', sealed: fresh })).publicKeyInfo).toEqual(key.publicKeyInfo);
  });

  it('refuses to open an offline root without the ceremony key file, naming the root', async () => {
    const keyring = new Keyring(secrets, undefined, false, { passphrase: () => 'root passphrase' });
    await expect(keyring.signerFor({ ownerId: 'root-1', keyStorage: 'offline', keyAlgorithm: 'ecdsa-p256', scheme: 'ecdsa', sealed: '{"offline":true}' })).rejects.toMatchObject({ code: 'ca.root-key-offline', params: { caId: 'root-1' } });
  });
});

// What a deployment lacks is said in zh-CN and en with the variables that supply it (brief: every text a person reads in both).
describe('a key that needs configuration the deployment lacks', () => {
  async function refusal(attempt: Promise<unknown>): Promise<SignetError> {
    const error: unknown = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignetError);
    return error as SignetError;
  }

  it('a key kept in, or asked of, a PKCS#11 token without SIGNET_PKCS11_MODULE: refused naming the variables (R21)', async () => {
    const keyring = new Keyring(secrets);
    const stored = await refusal(keyring.signerFor({ ownerId: 'issuing-1', keyStorage: 'pkcs11', keyAlgorithm: 'ecdsa-p256', scheme: 'ecdsa', sealed: '{"token":"signet","label":"issuing-1","id":"01"}' }));
    expect([stored.code, stored.status]).toEqual(['ca.hsm-not-configured', 500]);
    expect(stored.messageIn('zh-CN')).toBe('没有配置 PKCS#11 令牌，无法在 HSM 中生成或打开密钥 issuing-1：请设置 SIGNET_PKCS11_MODULE、SIGNET_PKCS11_TOKEN 与 SIGNET_PKCS11_PIN（或 SIGNET_PKCS11_PIN_FILE）');
    expect(stored.messageIn('en')).toBe('No PKCS#11 token is configured, so the key issuing-1 cannot be made or opened in an HSM: set SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_PIN (or SIGNET_PKCS11_PIN_FILE)');
    const fresh = await refusal(keyring.newKey('ocsp-2', 'ecdsa-p256', { storage: 'pkcs11' }));
    expect([fresh.code, fresh.params]).toEqual(['ca.hsm-not-configured', { owner: 'ocsp-2' }]);
  });

  it('a root ceremony without a root passphrase: refused before the key exists, no key file written', async () => {
    const keyring = new Keyring(secrets);
    const file = join(mkdtempSync(join(tmpdir(), 'signet-keyring-')), 'root.key');
    keyring.sendNextRootOffline(file);
    const error = await refusal(keyring.newKey('root-1', 'ecdsa-p256'));
    expect([error.code, error.status]).toEqual(['ca.root-passphrase-missing', 500]);
    expect(error.messageIn('zh-CN')).toBe('根密钥仪式要把根 CA root-1 的私钥加密存入离线文件，但没有配置根密钥口令：请设置 SIGNET_ROOT_PASSPHRASE（或 SIGNET_ROOT_PASSPHRASE_FILE）');
    expect(error.messageIn('en')).toBe('The root ceremony seals the key of root CA root-1 into an offline file, but no root passphrase is configured: set SIGNET_ROOT_PASSPHRASE (or SIGNET_ROOT_PASSPHRASE_FILE)');
    expect(existsSync(file)).toBe(false);
  });

  it('a key recorded with a storage Signet does not know (a damaged row): refused naming the key and the storage', async () => {
    // The type allows only known storages; a row read from a damaged database is not checked against it.
    const error = await refusal(new Keyring(secrets).signerFor({ ownerId: 'issuing-1', keyStorage: 'vault' as 'software', keyAlgorithm: 'ecdsa-p256', scheme: 'ecdsa', sealed: '{}' }));
    expect([error.code, error.status]).toEqual(['ca.key-storage-unknown', 500]);
    expect(error.messageIn('zh-CN')).toBe('密钥 issuing-1 记录的存放方式 vault 无法识别，无法打开该密钥：数据库中的记录可能已损坏');
    expect(error.messageIn('en')).toBe('The key issuing-1 is recorded as kept in vault, which Signet does not know, so it cannot be opened: its row in the database may be damaged');
  });
});
