/**
 * SignedData carrying CRLs (RFC 5652 §5.1 `crls`, §10.2.1 RevocationInfoChoice
 * `crl`), made by a signer nobody here wrote: BouncyCastle's
 * CMSSignedDataGenerator.addCRL, the way CAdES-LT and PAdES signers ship
 * revocation data with a signature. (OpenSSL 3.0's `cms -sign` has no
 * -crlfile; it reads such CRLs with -crl_check, which is the cross-check here.)
 * Signet must parse these, use the CRL for the signer's path at the signing
 * time, and say so in `signet cms verify` and in an evidence package (issue 23).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo } from '@peculiar/asn1-cms';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { verifySignedDocument } from '../../src/evidence/cms-verification.js';
import { EvidenceService, verifyEvidencePackage } from '../../src/evidence/evidence-report.js';
import { CmsSignedData } from '../../src/evidence/signed-data-schema.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { javaVerify } from './verifiers.js';

afterAll(dropFreshStores);

const CLI_ENTRY = join(import.meta.dirname, '..', '..', 'src', 'cli', 'entry.ts');

describe.each(storeBackends)('SignedData with embedded CRLs, made by BouncyCastle, on %s (RFC 5652 §10.2.1)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let rootPem: string;
  const content = Buffer.from('合同编号 2026-12-05-017：货款人民币 120,000.00 元\n');
  const signatures: Record<'good' | 'revoked' | 'detached', string> = { good: '', revoked: '', detached: '' };
  let contentPath: string;
  let crlPath: string;

  beforeAll(async () => {
    const now = new Date();
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-cms-crls-'));
    rootPem = writePem(dir, 'root.pem', h.root.der);
    const issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
    const issue = async (name: string) => {
      const { csrPem, keyPath } = opensslRequest(dir, 'ecdsa-p256', name);
      const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'individual-signing', subject: `CN=${name}`, subscriberId: name, requestedBy: 'test', reason: 'embedded CRLs' });
      return { keyPath, pem: writePem(dir, `${name}.pem`, leaf.der), serial: leaf.serial };
    };
    const good = await issue('good-signer');
    const revoked = await issue('revoked-signer');
    // Revoked at the clock's time; BouncyCastle signs (signingTime) at or after it.
    await t.signet.status.revokeCertificate({ serial: revoked.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:test' });
    const crl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    crlPath = join(dir, 'issuing.crl');
    writeFileSync(crlPath, crl.der);
    contentPath = join(dir, 'contract.txt');
    writeFileSync(contentPath, content);

    const signed = javaVerify(
      (['good', 'revoked', 'detached'] as const).map((which) => {
        signatures[which] = join(dir, `${which}.p7s`);
        const holder = which === 'revoked' ? revoked : good;
        return { id: which, op: 'sign', key: holder.keyPath, cert: holder.pem, chain: [issuingPem], crls: [crlPath], content: contentPath, out: signatures[which], detached: which === 'detached' ? 'true' : undefined };
      }),
    );
    for (const which of ['good', 'revoked', 'detached']) expect(signed.get(which), which).toMatchObject({ ok: true });
  }, 240_000);
  afterAll(() => t.signet.close());

  it('the signature carries the CRL as RevocationInfoChoice crl, and OpenSSL uses it (-crl_check)', () => {
    const info = AsnConvert.parse(readFileSync(signatures.good), ContentInfo);
    const signedData = AsnConvert.parse(info.content, CmsSignedData);
    expect(signedData.crls?.length).toBe(1);
    expect(Buffer.from(AsnConvert.serialize(signedData.crls![0]!.crl!)).equals(readFileSync(crlPath))).toBe(true);

    const verify = (file: string) =>
      runTool('openssl', ['cms', '-verify', '-inform', 'DER', '-in', file, '-CAfile', rootPem, '-crl_check', '-purpose', 'any', '-binary', '-out', '/dev/null']);
    const good = verify(signatures.good);
    expect(good.stderr).toContain('Verification successful');
    const revoked = verify(signatures.revoked);
    expect(revoked.status).not.toBe(0);
    expect(revoked.stderr).toMatch(/certificate revoked/);
  });

  it('verifySignedDocument judges the signer by the embedded CRL: good is valid, revoked is not', async () => {
    const good = await verifySignedDocument({ signature: readFileSync(signatures.good), trustAnchors: [h.root.der] });
    expect(good.problems).toEqual([]);
    expect(good.valid).toBe(true);
    expect(good.content?.equals(content)).toBe(true);
    expect(good.revocation?.[0]).toMatchObject({ subject: expect.stringContaining('good-signer'), status: 'good', source: 'crl' });

    const detached = await verifySignedDocument({ signature: readFileSync(signatures.detached), content, trustAnchors: [h.root.der] });
    expect(detached).toMatchObject({ valid: true, detached: true });

    // The only revocation data is the one inside the signature: refusing proves it was read.
    const revoked = await verifySignedDocument({ signature: readFileSync(signatures.revoked), trustAnchors: [h.root.der] });
    expect(revoked.valid).toBe(false);
    expect(revoked.revocation?.[0]).toMatchObject({ status: 'revoked', source: 'crl' });
    expect(revoked.problems.join('\n')).toMatch(/revoked/);
  });

  // `cms verify --ca` reads files only, whatever the store: run once (each spawn costs 10-40 s under load).
  it.runIf(backend === 'sqlite')('signet cms verify reports the CRL finding and refuses the revoked signer (exit 3)', () => {
    const cli = (file: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'cms', 'verify', '--in', file, '--ca', rootPem, '--json'], {
        env: { ...process.env, SIGNET_LANG: 'en', SIGNET_DATA: dir, SIGNET_DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
    const good = cli(signatures.good);
    expect(good.status, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, revocation: [{ status: 'good', source: 'crl' }, { status: 'unknown' }] });
    const revoked = cli(signatures.revoked);
    expect(revoked.status, revoked.stderr).toBe(3);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ valid: false, revocation: [{ status: 'revoked', source: 'crl' }, { status: 'unknown' }] });
  }, 240_000);

  it('an evidence package for the signed contract holds the signature with its CRL and verifies offline', async () => {
    const evidence = new EvidenceService(t.signet.ca, t.signet.status, t.signet.tsa);
    const produced = await evidence.produce({ signature: readFileSync(signatures.good), requestedBy: 'operator:test' });
    expect(produced.manifest.timeSource).toBe('signing-time');
    expect(produced.manifest.checks.find((c) => c.id === 'signature')).toMatchObject({ ok: true });
    const verified = await verifyEvidencePackage(produced.der, [h.root.der], produced.detached);
    expect(verified.problems).toEqual([]);
    expect(verified.valid).toBe(true);

    const against = await evidence.produce({ signature: readFileSync(signatures.revoked), requestedBy: 'operator:test' });
    expect(against.manifest.checks.find((c) => c.id === 'signature')).toMatchObject({ ok: false });
    expect((await verifyEvidencePackage(against.der, [h.root.der], against.detached)).valid).toBe(true);
  }, 120_000);
});
