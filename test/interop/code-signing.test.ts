/**
 * The code-signing profile (issue 23, item 10 of the issue text): EKU codeSigning, signed
 * with a Signet certificate and a Signet time-stamp (RFC 3161 over HTTP), verified by the
 * tools a subscriber's users run: Java's jarsigner (a JAR) and osslsigncode (Authenticode,
 * here a PowerShell script, which osslsigncode 2.8+ signs like a PE file). Each trusts the
 * root alone: the signature carries the issuing CA, the token the TSA's and its CA's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, runToolAsync, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { buildServer } from '../../src/http/server.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';

afterAll(dropFreshStores);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const PASSWORD = 'changeit';

describe.each(storeBackends)('the code-signing profile with jarsigner and osslsigncode on %s (RFC 5280 §4.2.1.12, RFC 3161)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let base: string;
  let p12: string;
  let rootPem: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The certificates' CRL and AIA URLs point at this server, so online lookups find them.
    t = await openTestSignet(backend, { publicUrl: base });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'signet-code-signing-'));
    rootPem = writePem(dir, 'root.pem', h.root.der);
    const { csrPem, keyPath } = opensslRequest(dir, 'rsa-2048', 'code-signer');
    const issued = await t.signet.ca.issue({
      csr: csrPem,
      profileId: 'code-signing',
      subject: { commonName: '示例软件 Code Signing', organizationName: '示例软件有限公司', countryName: 'CN' },
      subscriberId: 'code-signer',
      requestedBy: 'test',
      reason: 'code signing interop',
    });
    const text = runTool('openssl', ['x509', '-in', writePem(dir, 'leaf.pem', issued.der), '-noout', '-ext', 'extendedKeyUsage,keyUsage']);
    expect(text.stdout).toContain('Code Signing');
    p12 = join(dir, 'signer.p12');
    const exported = runTool('openssl', ['pkcs12', '-export', '-name', 'signer', '-in', join(dir, 'leaf.pem'), '-inkey', keyPath, '-certfile', writePem(dir, 'issuing.pem', h.issuing.der), '-out', p12, '-passout', `pass:${PASSWORD}`]);
    expect(exported.status, exported.stderr).toBe(0);
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('jarsigner signs a JAR with the Signet certificate and -tsa Signet, and jarsigner -verify builds its path to the root alone', async () => {
    writeFileSync(join(dir, 'hello.txt'), '你好 / hello\n');
    expect(runTool('jar', ['cf', join(dir, 'app.jar'), '-C', dir, 'hello.txt']).status).toBe(0);
    // jarsigner and osslsigncode call back to this process's TSA: spawned asynchronously, as spawnSync would block the server.
    const signed = await runToolAsync('jarsigner', ['-keystore', p12, '-storetype', 'PKCS12', '-storepass', PASSWORD, '-tsa', `${base}/tsa`, '-signedjar', join(dir, 'signed.jar'), join(dir, 'app.jar'), 'signer']);
    expect(signed.stdout + signed.stderr, 'jarsigner sign').toContain('jar signed.');
    const verify = (trustedPem: string, name: string) => {
      const store = join(dir, `${name}.p12`);
      expect(runTool('keytool', ['-importcert', '-noprompt', '-alias', 'root', '-file', trustedPem, '-keystore', store, '-storetype', 'PKCS12', '-storepass', PASSWORD]).status).toBe(0);
      // Not -strict: with a -keystore, -strict also demands the signer itself be in it. The path is still
      // built to the keystore's root, and a path that fails is written out ("certificate chain is invalid").
      // The TSA's Chinese name printed as UTF-8 whatever the machine's locale (sun.stdout.encoding to Java 18, stdout.encoding from 19).
      const run = runTool('jarsigner', ['-J-Dsun.stdout.encoding=UTF-8', '-J-Dstdout.encoding=UTF-8', '-verify', '-verbose', '-certs', '-keystore', store, '-storetype', 'PKCS12', '-storepass', PASSWORD, join(dir, 'signed.jar')]);
      return run.stdout + run.stderr;
    };
    const out = verify(rootPem, 'trust');
    expect(out, out).toContain('jar verified.');
    expect(out).toMatch(/Timestamped by "CN=Signet 开发测试时间戳服务/);
    expect(out).not.toMatch(/chain is invalid|not validated|PKIX|untrusted|signer errors/i);
    // Control: trusting another root, the same JAR's chain is reported invalid.
    runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'other.key'), '-out', join(dir, 'other.pem'), '-subj', '/CN=another root', '-days', '2']);
    expect(verify(join(dir, 'other.pem'), 'other-trust')).toMatch(/chain is invalid|not validated|PKIX/i);
    // Control: a JAR changed after signing is refused.
    writeFileSync(join(dir, 'hello.txt'), 'changed\n');
    runTool('jar', ['uf', join(dir, 'signed.jar'), '-C', dir, 'hello.txt']);
    expect(runTool('jarsigner', ['-verify', '-strict', join(dir, 'signed.jar')]).stdout).toMatch(/SHA-256 digest error|SecurityException|digest/i);
    // Eight JVM starts (jar, jarsigner, keytool): 44 s on this loaded machine.
  }, 180_000);

  it('osslsigncode signs with the Signet certificate and -ts Signet (Authenticode, RFC 3161), and verifies trusting only the root', async () => {
    const script = join(dir, 'hello.ps1');
    writeFileSync(script, 'Write-Output "hello"\r\n');
    const out = join(dir, 'signed.ps1');
    const signed = await runToolAsync('osslsigncode', ['sign', '-pkcs12', p12, '-pass', PASSWORD, '-h', 'sha256', '-ts', `${base}/tsa`, '-in', script, '-out', out]);
    expect(signed.status, signed.stdout + signed.stderr).toBe(0);
    const verified = await runToolAsync('osslsigncode', ['verify', '-CAfile', rootPem, '-TSA-CAfile', rootPem, '-in', out]);
    const text = verified.stdout + verified.stderr;
    expect(text, text).toMatch(/Signature verification: ok/);
    expect(text).toMatch(/Timestamp/i);
    expect(verified.status, text).toBe(0);
    // Control: the script changed after signing is refused.
    const tampered = join(dir, 'tampered.ps1');
    writeFileSync(tampered, runTool('cat', [out]).stdout.replace('hello', 'HELLO'));
    expect((await runToolAsync('osslsigncode', ['verify', '-CAfile', rootPem, '-TSA-CAfile', rootPem, '-in', tampered])).status).not.toBe(0);
  });
});
