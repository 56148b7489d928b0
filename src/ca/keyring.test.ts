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
