import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from './authority.js';
import { createHierarchy } from './hierarchy.js';
import { createSoftHsmToken, type TestToken } from '../crypto/test-support/softhsm.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, opensslRequest, runTool, writePem } from './test-support/ca-fixture.js';
import type { KeyAlgorithm, SignatureScheme } from '../crypto/algorithms.js';

afterAll(dropFreshStores);

let token: TestToken;
beforeAll(() => {
  token = createSoftHsmToken();
});

/** R21: CA keys never stored in clear — here they never leave the HSM at all (SoftHSM2 over PKCS#11). */
describe.each(storeBackends)('CA keys in a PKCS#11 token on %s', (backend) => {
  it.each([
    ['ecdsa-p256', 'ecdsa'],
    ['ecdsa-p384', 'ecdsa'],
    ['rsa-2048', 'pkcs1'],
    ['rsa-2048', 'pss'],
  ] as const)('a %s (%s) hierarchy signs in the HSM and OpenSSL verifies the chain', async (algorithm, scheme) => {
    const env = { SIGNET_PKCS11_MODULE: token.module, SIGNET_PKCS11_TOKEN: token.label, SIGNET_PKCS11_PIN: token.pin };
    const t = await openTestSignet(backend, { env });
    const dir = mkdtempSync(join(tmpdir(), 'signet-hsm-'));
    try {
      const h = await createHierarchy(t.signet.ca, {
        algorithm: algorithm as KeyAlgorithm,
        scheme: scheme as SignatureScheme | undefined,
        caKeyStorage: 'pkcs11',
        actor: 'test',
      });
      const rows = await t.signet.store.db.selectFrom('certificate_authorities').select(['key_storage', 'encrypted_private_key']).execute();
      expect(rows.map((r) => r.key_storage)).toEqual(['pkcs11', 'pkcs11']);
      for (const row of rows) {
        // The row holds only where the key is, never key material.
        expect(Object.keys(JSON.parse(row.encrypted_private_key!)).sort()).toEqual(['id', 'label', 'token']);
      }

      // A fresh CA object (a restart) finds the issuing key on the token again by its locator.
      const restarted = new CertificateAuthority({ store: t.signet.store, config: t.config });
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
      const leaf = await restarted.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=hsm-issued', requestedBy: 'test', reason: 'hsm' });

      const root = writePem(dir, 'root.pem', h.root.der);
      const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
      const verify = runTool('openssl', ['verify', '-x509_strict', '-CAfile', root, '-untrusted', issuing, writePem(dir, 'leaf.pem', leaf.der), issuing]);
      expect(verify.stderr).toBe('');
      expect(verify.stdout.match(/: OK/g)).toHaveLength(2);

      const objects = runTool('pkcs11-tool', ['--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects', '--type', 'privkey']);
      expect(objects.stdout).toContain(h.issuing.caId);
      expect(objects.stdout).toMatch(/Access:\s+sensitive, always sensitive, never extractable/);
    } finally {
      await t.signet.close();
    }
  });
});

/** docs/architecture.md (crypto): an HSM signature must not stall every other request while the token works. */
describe('PKCS#11 signing off the event loop', () => {
  it('lets timers run while the token signs, and keeps concurrent signatures on one session apart', async () => {
    const { Pkcs11Token } = await import('../crypto/pkcs11-signer.js');
    const { verifySignature } = await import('../crypto/signature-verification.js');
    const hsm = new Pkcs11Token({ module: token.module, token: token.label, pin: () => token.pin });
    const rsa = hsm.generate('rsa-2048', `offloop-rsa-${Date.now()}`, {});
    const ec = hsm.generate('ecdsa-p256', `offloop-ec-${Date.now()}`, {});
    // Sequential awaits on a signer that signed synchronously would never yield to the macrotask queue.
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks += 1;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    for (let i = 0; i < 20; i++) await rsa.sign(Buffer.from(`message ${i}`));
    running = false;
    expect(ticks).toBeGreaterThanOrEqual(10);
    // Forty signatures at once on the shared session, both keys interleaved: each is whole and correct.
    const messages = Array.from({ length: 40 }, (_, i) => Buffer.from(`concurrent ${i}`));
    const signatures = await Promise.all(messages.map((m, i) => (i % 2 ? rsa : ec).sign(m)));
    signatures.forEach((signature, i) => {
      const signer = i % 2 ? rsa : ec;
      expect(verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, messages[i]!, signature)).toEqual({ ok: true });
    });
  });
});

/** Every signing identity in the token: the OCSP responder and the TSA too (issue 17 §5). */
describe.each(storeBackends)('OCSP and TSA keys in a PKCS#11 token on %s', (backend) => {
  it('signs an OCSP response and a time-stamp token in SoftHSM2 that OpenSSL verifies', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const env = { SIGNET_PKCS11_MODULE: token.module, SIGNET_PKCS11_TOKEN: token.label, SIGNET_PKCS11_PIN: token.pin };
    const t = await openTestSignet(backend, { env });
    const dir = mkdtempSync(join(tmpdir(), 'signet-hsm-responders-'));
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', caKeyStorage: 'pkcs11', responderKeyStorage: 'pkcs11', actor: 'test' });
      const rows = await t.signet.store.db.selectFrom('delegated_signers').select(['purpose', 'key_storage', 'encrypted_private_key']).execute();
      expect(rows.map((r) => [r.purpose, r.key_storage]).sort()).toEqual([['ocsp', 'pkcs11'], ['tsa', 'pkcs11']]);
      for (const row of rows) expect(Object.keys(JSON.parse(row.encrypted_private_key)).sort()).toEqual(['id', 'label', 'token']);
      const root = writePem(dir, 'root.pem', h.root.der);
      const issuing = writePem(dir, 'issuing.pem', h.issuing.der);

      // A time-stamp token over some bytes, by the TSA key in the token.
      const data = join(dir, 'data.txt');
      writeFileSync(data, 'signed in the HSM');
      const stamped = await t.signet.tsa.stampDigest({ hash: 'sha256', digest: createHash('sha256').update(readFileSync(data)).digest(), certReq: true });
      writeFileSync(join(dir, 'token.tst'), stamped.tokenDer);
      const ts = runTool('openssl', ['ts', '-verify', '-data', data, '-in', join(dir, 'token.tst'), '-token_in', '-CAfile', root, '-untrusted', writePem(dir, 'tsa-chain.pem', h.tsa.der, h.issuing.der)]);
      expect(ts.stdout.trim(), ts.stderr).toBe('Verification: OK');

      // An OCSP response about a subscriber certificate, by the OCSP key in the token.
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
      const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=hsm-ocsp', requestedBy: 'test', reason: 'hsm' });
      const leafPem = writePem(dir, 'leaf.pem', leaf.der);
      expect(runTool('openssl', ['ocsp', '-issuer', issuing, '-cert', leafPem, '-no_nonce', '-reqout', join(dir, 'req.der')]).status).toBe(0);
      const reply = await t.signet.status.ocsp.respond(readFileSync(join(dir, 'req.der')));
      writeFileSync(join(dir, 'resp.der'), reply.der);
      const ocsp = runTool('openssl', ['ocsp', '-respin', join(dir, 'resp.der'), '-issuer', issuing, '-cert', leafPem, '-CAfile', root, '-verify_other', issuing]);
      expect(ocsp.stderr + ocsp.stdout).toContain('Response verify OK');
      expect(ocsp.stdout).toContain(': good');
    } finally {
      await t.signet.close();
    }
  });
});
