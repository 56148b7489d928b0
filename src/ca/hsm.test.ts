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
import { SignetError } from '../i18n/signet-error.js';
import { verifyAuditCheckpoints } from '../audit/checkpoints.js';

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
    // PKCS#11 3.0 CKM_EDDSA (SoftHSM2 2.6 has it): an Ed25519 CA key in the token too.
    ['ed25519', 'eddsa'],
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

/** A deployment pointing at a token or key that is not there: the operator reads which, in their language (500: not the asker's fault). */
describe('a PKCS#11 token or key that is not where the configuration says', () => {
  it('refuses an unknown token label and a recorded key missing from the token, naming them', async () => {
    const { Pkcs11Token } = await import('../crypto/pkcs11-signer.js');
    const refusal = (attempt: () => unknown): SignetError => {
      try {
        attempt();
      } catch (error) {
        expect(error).toBeInstanceOf(SignetError);
        return error as SignetError;
      }
      throw new Error('accepted');
    };
    const noToken = refusal(() => new Pkcs11Token({ module: token.module, token: 'no-such-token', pin: () => token.pin }));
    expect([noToken.code, noToken.status]).toEqual(['ca.hsm-token-not-found', 500]);
    expect(noToken.messageIn('zh-CN')).toBe(`PKCS#11 模块 ${token.module} 中没有标签为 no-such-token 的令牌：请检查 SIGNET_PKCS11_TOKEN 与 SIGNET_PKCS11_MODULE，或先初始化该令牌`);
    expect(noToken.messageIn('en')).toBe(`The PKCS#11 module ${token.module} has no token labelled no-such-token: check SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_MODULE, or initialise the token first`);

    const hsm = new Pkcs11Token({ module: token.module, token: token.label, pin: () => token.pin });
    const noKey = refusal(() => hsm.open('ecdsa-p256', { token: token.label, label: 'issuing-gone', id: '0badc0de' }));
    expect([noKey.code, noKey.status]).toEqual(['ca.hsm-key-not-found', 500]);
    expect(noKey.messageIn('zh-CN')).toBe(`PKCS#11 令牌 ${token.label} 中找不到密钥 issuing-gone（ID 0badc0de）：数据库记录的密钥不在该令牌里，可能连接了别的令牌，或密钥已被删除`);
    expect(noKey.messageIn('en')).toBe(`The key issuing-gone (ID 0badc0de) is not on the PKCS#11 token ${token.label}: the key the database records is not there, so another token may be connected or the key was deleted`);
  });
});

/** Every signing identity in the token: the OCSP responder and the TSA too (issue 17 §5). */
describe.each(storeBackends)('OCSP, TSA and evidence keys in a PKCS#11 token on %s', (backend) => {
  it('signs an OCSP response, a time-stamp token and an evidence package in SoftHSM2 that OpenSSL verifies', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const env = { SIGNET_PKCS11_MODULE: token.module, SIGNET_PKCS11_TOKEN: token.label, SIGNET_PKCS11_PIN: token.pin, SIGNET_EVIDENCE_KEY_STORAGE: 'pkcs11' };
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

      // An evidence package (R14), signed by the evidence key made in the token (SIGNET_EVIDENCE_KEY_STORAGE=pkcs11).
      const evidence = await t.signet.evidence.produce({ serial: leaf.serial, at: new Date(), requestedBy: 'test' });
      const evidenceRows = await t.signet.store.db.selectFrom('evidence_signers' as never).selectAll().execute() as unknown as { key_storage: string; encrypted_private_key: string }[];
      expect(evidenceRows.map((r) => r.key_storage)).toEqual(['pkcs11']);
      expect(Object.keys(JSON.parse(evidenceRows[0]!.encrypted_private_key)).sort()).toEqual(['id', 'label', 'token']);
      writeFileSync(join(dir, 'evidence.p7s'), evidence.der);
      const cms = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'evidence.p7s'), '-CAfile', root, '-out', join(dir, 'evidence.json')]);
      expect(cms.stderr).toContain('Verification successful');
    } finally {
      await t.signet.close();
    }
  });
});

/** No PKCS#11 mechanism exists for SM2: asking for an SM2 key in the HSM is refused by name, and nothing is made in software instead. */
describe.each(storeBackends)('SM2 keys and the HSM on %s', (backend) => {
  it('refuses an SM2 hierarchy in the token before any key or row exists', async () => {
    const env = { SIGNET_PKCS11_MODULE: token.module, SIGNET_PKCS11_TOKEN: token.label, SIGNET_PKCS11_PIN: token.pin };
    const t = await openTestSignet(backend, { env });
    try {
      const objects = () => runTool('pkcs11-tool', ['--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects']).stdout;
      const before = objects();
      const entries = async () => (await t.signet.store.db.selectFrom('audit_entries').select('seq').execute()).length;
      const entriesBefore = await entries();
      for (const storage of [{ caKeyStorage: 'pkcs11' as const }, { responderKeyStorage: 'pkcs11' as const }]) {
        const refusal = await createHierarchy(t.signet.ca, { algorithm: 'sm2', ...storage, actor: 'test' }).catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(SignetError);
        expect((refusal as SignetError).code).toBe('ca.hsm-algorithm-unsupported');
        expect((refusal as SignetError).messageIn('en')).toMatch(/^sm2 keys cannot be kept in a PKCS#11 HSM, and are not made in software instead: PKCS#11 defines no SM2 mechanism/);
        expect((refusal as SignetError).messageIn('zh-CN')).toContain('sm2 密钥无法放入 PKCS#11 HSM');
      }
      // A root made before the responders were refused would be a half-built hierarchy: there is none.
      expect(await t.signet.store.db.selectFrom('certificate_authorities').select('id').execute()).toEqual([]);
      expect(await t.signet.store.db.selectFrom('delegated_signers').select('id').execute()).toEqual([]);
      expect(await entries()).toBe(entriesBefore);
      expect(objects()).toBe(before);
    } finally {
      await t.signet.close();
    }
  });
});

/** R20, issue 17 §1: the audit checkpoint key in the HSM, so no database writer with every passphrase can re-sign the log. */
describe.each(storeBackends)('the audit checkpoint key in a PKCS#11 token on %s', (backend) => {
  it('signs checkpoints in SoftHSM2 that verify under the pinned key, after a restart and across a rollover', async () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const clock = () => now;
    const env = { SIGNET_PKCS11_MODULE: token.module, SIGNET_PKCS11_TOKEN: token.label, SIGNET_PKCS11_PIN: token.pin, SIGNET_AUDIT_KEY_STORAGE: 'pkcs11' };
    const t = await openTestSignet(backend, { env, clock });
    try {
      await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const first = await t.signet.auditCheckpoints.checkpoint();
      expect(first.timeStamped).toBe(true);
      const rows = await t.signet.store.db.selectFrom('audit_keys' as never).selectAll().execute() as unknown as { id: string; key_storage: string; encrypted_private_key: string; spki_sha256: string }[];
      expect(rows.map((r) => r.key_storage)).toEqual(['pkcs11']);
      // The row holds where the key is, never key material, and the token says the key cannot leave it.
      expect(Object.keys(JSON.parse(rows[0]!.encrypted_private_key)).sort()).toEqual(['id', 'label', 'token']);
      const privateKeys = runTool('pkcs11-tool', ['--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects', '--type', 'privkey']).stdout;
      const block = privateKeys.split(/\n(?=Private Key Object)/).find((b) => b.includes(rows[0]!.id));
      expect(block).toMatch(/Access:\s+sensitive, always sensitive, never extractable/);
      expect((await t.signet.auditCheckpoints.publicKeys()).map((k) => k.keyStorage)).toEqual(['pkcs11']);

      // A restart: a new process finds the key on the token by its locator and signs the next head with it.
      const restarted = await openTestSignet(backend, { env: { ...env, SIGNET_DATABASE_URL: t.config.databaseUrl, SIGNET_DATA: t.dir }, clock });
      try {
        const second = await restarted.signet.auditCheckpoints.checkpoint();
        expect(second.keyId).toBe(first.keyId);
        // A year later the successor is made in the token too, even by a process not told where (it keeps its predecessor's custody).
        now = new Date(now.getTime() + 366 * 86_400_000);
        const { AuditCheckpointer } = await import('../audit/checkpoints.js');
        const third = await new AuditCheckpointer({ ca: restarted.signet.ca, clock }).checkpoint();
        expect(third.keyId).not.toBe(first.keyId);
      } finally {
        await restarted.signet.close();
      }
      const keys = await t.signet.auditCheckpoints.publicKeys();
      expect(keys.map((k) => k.keyStorage)).toEqual(['pkcs11', 'pkcs11']);
      expect(await verifyAuditCheckpoints(t.signet.store, { trustedKeys: keys.map((k) => k.spkiSha256) })).toMatchObject({ ok: true, checkpoints: 3 });
      expect(await verifyAuditCheckpoints(t.signet.store, { trustedKeys: [keys[0]!.spkiSha256] })).toMatchObject({ ok: false });
    } finally {
      await t.signet.close();
    }
  });

  it('refuses SIGNET_AUDIT_KEY_STORAGE=pkcs11 without an HSM, and an unknown storage, by name', async () => {
    const { loadConfig } = await import('../config/settings.js');
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig({ SIGNET_DATA: mkdtempSync(join(tmpdir(), 'signet-hsm-config-')), ...env });
      } catch (error) {
        return error as SignetError;
      }
      throw new Error('accepted');
    };
    expect(refusal({ SIGNET_AUDIT_KEY_STORAGE: 'pkcs11' }).messageIn('en')).toBe('SIGNET_AUDIT_KEY_STORAGE=pkcs11 needs an HSM: set SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_PIN (or _PIN_FILE)');
    expect(refusal({ SIGNET_AUDIT_KEY_STORAGE: 'hsm' }).messageIn('zh-CN')).toBe('SIGNET_AUDIT_KEY_STORAGE 只能是 software 或 pkcs11，而不是 hsm');
  });
});
