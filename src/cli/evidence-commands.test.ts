import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { createHierarchy } from '../ca/hierarchy.js';
import { opensslRequest, runTool, writePem } from '../ca/test-support/ca-fixture.js';
import { loadConfig } from '../config/settings.js';
import { openSignet } from '../signet.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-cms-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-cms-cli-work-'));
const PASSPHRASE = 'cli-test-passphrase';

function signet(args: string[], lang = 'en') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, SIGNET_DATA: dataDir, SIGNET_LANG: lang, SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: PASSPHRASE },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('signet cms sign|verify|encrypt|decrypt (R13)', () => {
  it('signs with a time-stamp from the deployment TSA, verifies, and encrypts and decrypts, with OpenSSL agreeing', async () => {
    // The deployment is set up in-process (quick); only the cms commands go through the command line.
    const setup = await openSignet(loadConfig({ SIGNET_DATA: dataDir, SIGNET_CA_PASSPHRASE: PASSPHRASE }));
    const h = await createHierarchy(setup.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    const issue = async (name: string, profileId: string) => {
      const { csrPem, keyPath } = opensslRequest(work, 'ecdsa-p256', name);
      const issued = await setup.ca.issue({ csr: csrPem, profileId, subject: `CN=${name}`, subscriberId: name, requestedBy: 'test', reason: 'cli test' });
      return { keyPath, certPath: writePem(work, `${name}.pem`, issued.der) };
    };
    const signer = await issue('signer', 'individual-signing');
    const recipient = await issue('recipient', 'individual-encryption');
    await setup.close();
    const rootPem = writePem(work, 'root.pem', h.root.der);
    const issuingPem = writePem(work, 'issuing.pem', h.issuing.der);

    const document = join(work, 'order.txt');
    writeFileSync(document, '订单 2026-11-24-0001：人民币 88,000.00 元\n');

    const sigPath = join(work, 'order.p7s');
    const signed = signet(['cms', 'sign', '--in', document, '--key', signer.keyPath, '--cert', signer.certPath, '--chain', issuingPem, '--detached', '--out', sigPath, '--json']);
    expect(signed.status, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ detached: true, signer: 'CN=signer' });
    expect(JSON.parse(signed.stdout).timeStamp).toMatch(/^\d{4}-/);

    const verified = signet(['cms', 'verify', '--in', sigPath, '--content', document]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/Signature valid\. Signer: CN=signer; .*time-stamp: \d{4}-\d\d-\d\d/);
    const chinese = signet(['cms', 'verify', '--in', sigPath, '--content', document, '--ca', rootPem], 'zh-CN');
    expect(chinese.stdout).toContain('签名有效');

    const openssl = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-content', document, '-CAfile', rootPem, '-out', '/dev/null']);
    expect(openssl.stderr).toContain('Verification successful');

    // R14: an evidence package for the signed order, verified offline; one flipped byte breaks it.
    const evidencePath = join(work, 'order.evidence');
    const htmlPath = join(work, 'order.html');
    const report = signet(['evidence', 'report', '--signature', sigPath, '--content', document, '--out', evidencePath, '--html', htmlPath, '--lang', 'zh-CN']);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain('the certificate was not revoked');
    expect(readFileSync(htmlPath, 'utf8')).toContain('未被吊销');
    const offline = signet(['evidence', 'verify', evidencePath, '--ca', rootPem]);
    expect(offline.status, offline.stdout + offline.stderr).toBe(0);
    expect(offline.stdout).toContain('Evidence package verified');
    // The same package with its signer's certificate twice: every signed byte intact, yet another byte string (malleability).
    const info = AsnConvert.parse(readFileSync(evidencePath), ContentInfo);
    const repeated = AsnConvert.parse(info.content, SignedData);
    repeated.certificates!.push(repeated.certificates![0]!);
    const repeatedPath = join(work, 'repeated.evidence');
    writeFileSync(repeatedPath, Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: info.contentType, content: AsnConvert.serialize(repeated) }))));
    const twice = signet(['evidence', 'verify', repeatedPath, '--ca', rootPem], 'zh-CN');
    expect(twice.status).toBe(3);
    expect(twice.stdout + twice.stderr).toContain('同一张证书出现了不止一次');
    const flipped = readFileSync(evidencePath);
    // One byte of the signed manifest: the reader is told, in their language, that the package was altered (issue 20).
    const inManifest = flipped.indexOf(Buffer.from('"statusAtTime"')) + 3;
    flipped.writeUInt8(flipped.readUInt8(inManifest) ^ 1, inManifest);
    writeFileSync(evidencePath, flipped);
    const altered = signet(['evidence', 'verify', evidencePath], 'zh-CN');
    expect(altered.status).toBe(3);
    expect(altered.stdout + altered.stderr).toContain('证据包在签署后被改动过');
    // No readable report is made from it: it would show the altered conclusion as if it held.
    const alteredHtml = join(work, 'altered.html');
    expect(signet(['evidence', 'html', evidencePath, '--out', alteredHtml]).status).toBe(3);
    expect(existsSync(alteredHtml)).toBe(false);
    flipped.writeUInt8(flipped.readUInt8(300) ^ 1, 300);
    writeFileSync(evidencePath, flipped);
    expect(signet(['evidence', 'verify', evidencePath]).status).toBe(3);

    const forged = join(work, 'forged.txt');
    writeFileSync(forged, readFileSync(document, 'utf8').replace('88,000', '98,000'));
    const refused = signet(['cms', 'verify', '--in', sigPath, '--content', forged, '--json']);
    expect(refused.status).toBe(3);
    expect((JSON.parse(refused.stdout) as { problems: string[] }).problems.join()).toMatch(/changed after signing/);

    const envelope = join(work, 'order.p7m');
    const encrypted = signet(['cms', 'encrypt', '--in', document, '--to', recipient.certPath, '--cipher', 'aes-256-gcm', '--out', envelope]);
    expect(encrypted.status, encrypted.stderr).toBe(0);
    const plain = join(work, 'order.out');
    const decrypted = signet(['cms', 'decrypt', '--in', envelope, '--cert', recipient.certPath, '--key', recipient.keyPath, '--out', plain, '--json']);
    expect(decrypted.status, decrypted.stderr).toBe(0);
    expect(readFileSync(plain)).toEqual(readFileSync(document));
    const byOpenssl = runTool('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', envelope, '-recip', recipient.certPath, '-inkey', recipient.keyPath]);
    expect(byOpenssl.stdout).toBe(readFileSync(document, 'utf8'));

    const wrongKey = signet(['cms', 'decrypt', '--in', envelope, '--cert', signer.certPath, '--key', signer.keyPath, '--out', plain]);
    expect(wrongKey.status).toBe(2);
    expect(wrongKey.stderr).toContain('not a recipient');

    expect(signet(['cms', 'sign', '--help']).stdout).toContain('--detached');
  }, 600_000);
});
