import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPrivateKey, KeyEnvelopeError } from '../crypto/key-envelope.js';
import { kmcDb } from '../kmc/schema.js';
import { openSignet } from '../signet.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { loadConfig } from './settings.js';

afterAll(dropFreshStores);

const fresh = () => mkdtempSync(join(tmpdir(), 'signet-settings-'));

describe('the KMC passphrase is its own secret, never the CA\'s (GM/T 0034: the KMC is a separate authority; R21)', () => {
  it('is generated on first use into the data folder as kmc-passphrase, mode 0600, different from the CA passphrase, and kept', () => {
    const dataDir = fresh();
    const config = loadConfig({ SIGNET_DATA: dataDir });
    const kmc = config.kmcPassphrase();
    const ca = config.passphrase();
    expect(kmc).not.toBe(ca);
    expect(kmc.length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, 'kmc-passphrase');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(kmc);
    // A restart reads the same one.
    expect(loadConfig({ SIGNET_DATA: dataDir }).kmcPassphrase()).toBe(kmc);
  });

  it('comes from SIGNET_KMC_PASSPHRASE, or from the file SIGNET_KMC_PASSPHRASE_FILE names, and then nothing is generated', () => {
    const dataDir = fresh();
    expect(loadConfig({ SIGNET_DATA: dataDir, SIGNET_KMC_PASSPHRASE: 'kmc from the environment' }).kmcPassphrase()).toBe('kmc from the environment');
    const secret = join(fresh(), 'kmc.secret');
    writeFileSync(secret, 'kmc from a file\n', { mode: 0o600 });
    expect(loadConfig({ SIGNET_DATA: dataDir, SIGNET_KMC_PASSPHRASE_FILE: secret }).kmcPassphrase()).toBe('kmc from a file');
    expect(existsSync(join(dataDir, 'kmc-passphrase'))).toBe(false);
    // The CA's variable does not stand in for the KMC's.
    const onlyCa = loadConfig({ SIGNET_DATA: dataDir, SIGNET_CA_PASSPHRASE: 'the CA passphrase' });
    expect(onlyCa.kmcPassphrase()).not.toBe('the CA passphrase');
  });

  it('refuses a SIGNET_KMC_PASSPHRASE_FILE that does not exist rather than inventing one', () => {
    const config = loadConfig({ SIGNET_DATA: fresh(), SIGNET_KMC_PASSPHRASE_FILE: join(fresh(), 'missing') });
    expect(() => config.kmcPassphrase()).toThrow(/^SIGNET_KMC_PASSPHRASE_FILE points at \/.*\/missing, which does not exist$/);
  });

  describe.each(storeBackends)('in a deployment on %s', (backend) => {
    it('seals the KMC signing and escrow keys under the KMC passphrase: they open with it and not with the CA passphrase', async () => {
      const config = loadConfig({
        SIGNET_DATA: fresh(),
        SIGNET_DATABASE_URL: await freshStoreUrl(backend),
        SIGNET_CA_PASSPHRASE: 'the CA passphrase',
        SIGNET_KMC_PASSPHRASE: 'the KMC passphrase',
        SIGNET_LOG_LEVEL: 'silent',
      });
      const signet = await openSignet(config);
      try {
        await signet.kmc.initialise('test');
        const rows = await kmcDb(signet.store).selectFrom('kmc_keys').select(['id', 'purpose', 'encrypted_private_key']).execute();
        expect(rows.map((r) => r.purpose).sort()).toEqual(['escrow', 'signing']);
        for (const row of rows) {
          expect(openPrivateKey(row.encrypted_private_key, 'the KMC passphrase', row.id).length).toBeGreaterThan(0);
          expect(() => openPrivateKey(row.encrypted_private_key, 'the CA passphrase', row.id)).toThrow(KeyEnvelopeError);
        }
        // The KMC itself unseals them with it (ownKeys opens both to answer this).
        expect((await signet.kmc.signingPublicKeyInfo()).length).toBeGreaterThan(0);
      } finally {
        await signet.close();
      }
    });
  });
});

describe('SIGNET_PUBLIC_URL is the plain-http address written into every certificate (RFC 5280 §4.2.1.13, §4.2.2.1; RFC 6960)', () => {
  it('is refused at start when it is https, unparseable or carries a query, naming the variable and why', () => {
    const dataDir = fresh();
    expect(() => loadConfig({ SIGNET_DATA: dataDir, SIGNET_PUBLIC_URL: 'https://ca.example.cn' })).toThrow(expect.objectContaining({ code: 'config.public-url-not-http' }));
    for (const value of ['ca.example.cn', 'http://ca.example.cn/?x=1', 'http://user:pw@ca.example.cn', 'http://ca.example.cn/a b']) {
      expect(() => loadConfig({ SIGNET_DATA: dataDir, SIGNET_PUBLIC_URL: value }), value).toThrow(expect.objectContaining({ code: 'config.public-url-invalid' }));
    }
  });

  it('is accepted as http with or without a path, without its trailing slash', () => {
    const dataDir = fresh();
    expect(loadConfig({ SIGNET_DATA: dataDir, SIGNET_PUBLIC_URL: 'http://ca.example.cn/' }).publicUrl).toBe('http://ca.example.cn');
    expect(loadConfig({ SIGNET_DATA: dataDir, SIGNET_PUBLIC_URL: 'http://[2001:db8::1]:8080/signet' }).publicUrl).toBe('http://[2001:db8::1]:8080/signet');
  });
});
