import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateChoices, ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../audit/audit-log.js';
import { buildServer } from '../http/server.js';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { documentSigner, signDocument } from './cms-signing.js';
import { renderEvidenceHtml } from './evidence-html.js';
import { EvidenceService, verifyEvidencePackage } from './evidence-report.js';
import { CmsSignedData, RevocationInfo, RevocationInfos } from './signed-data-schema.js';

afterAll(dropFreshStores);

const MINUTE = 60_000;

describe.each(storeBackends)('evidence for a dispute on %s (R14, agreement II.3)', (backend) => {
  const t0 = new Date('2026-12-01T02:00:00.000Z');
  let now = t0;
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let evidence: EvidenceService;
  let revokedLater: { serial: string; keyPath: string; der: Buffer };
  let revokedBefore: { serial: string };
  const transactionTime = new Date(t0.getTime() + 60 * MINUTE);
  const contract = Buffer.from('采购合同：货款人民币 500,000.00 元，2026-12-01 签署\n');
  let signedContract: Buffer;

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-evidence-'));
    evidence = new EvidenceService(t.signet.ca, t.signet.status, t.signet.tsa);
    const issue = async (name: string) => {
      const { csrPem, keyPath } = opensslRequest(dir, 'ecdsa-p256', name);
      const issued = await t.signet.ca.issue({
        csr: csrPem,
        profileId: 'enterprise-signing',
        subject: { commonName: name, organizationName: '示例贸易有限公司' },
        subscriberId: name,
        requestedBy: 'test',
        reason: 'evidence test',
      });
      return { serial: issued.serial, keyPath, der: issued.der };
    };
    revokedLater = await issue('revoked-after-the-transaction');
    revokedBefore = await issue('revoked-before-the-transaction');
    const revoke = (serial: string) =>
      t.signet.status.revokeCertificate({ serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:test' });
    const publish = () => t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');

    await publish(); // CRL 1 at t0: empty
    now = new Date(t0.getTime() + 30 * MINUTE);
    await revoke(revokedBefore.serial);
    now = new Date(t0.getTime() + 45 * MINUTE);
    await publish(); // CRL 2: lists the one revoked before the transaction; in force at the transaction time
    now = transactionTime;
    // The transaction: a contract signed and time-stamped (the TSA shares the injected clock).
    const signer = documentSigner(readFileSync(revokedLater.keyPath, 'utf8'), revokedLater.der, [h.issuing.der]);
    signedContract = await signDocument({ content: contract, signer, detached: true, timeStamper: t.signet.tsa });
    now = new Date(t0.getTime() + 120 * MINUTE);
    await revoke(revokedLater.serial);
    await publish(); // CRL 3: lists both
    now = new Date(t0.getTime() + 180 * MINUTE);
  });
  afterAll(() => t.signet.close());

  it('shows "not revoked at that time" for a certificate revoked after the transaction, with the CRL in force then', async () => {
    const { der, manifest } = await evidence.produce({ serial: revokedLater.serial, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    expect(manifest.statusAtTime).toBe('not-revoked');
    expect(manifest.crl).toMatchObject({ crlNumber: 2, listed: false, signatureValid: true });
    expect(manifest.revocationRecord?.revokedAt).toBe(new Date(t0.getTime() + 120 * MINUTE).toISOString());
    expect(manifest.conclusion.en).toBe('Conclusion: at 2026-12-01 11:00:00 +08:00 the certificate was not revoked');
    expect(manifest.conclusion['zh-CN']).toContain('未被吊销');
    expect(manifest.chain.map((c) => c.file)).toEqual(['ca-1.der', 'ca-2.der']);

    const verified = await verifyEvidencePackage(der);
    expect(verified.problems).toEqual([]);
    expect(verified.valid).toBe(true);
    expect(verified.rootFingerprint).toHaveLength(64);

    // The package is a CMS SignedData OpenSSL accepts, and the CRL inside is the published one.
    const path = join(dir, 'later.p7s');
    writeFileSync(path, der);
    const root = writePem(dir, 'root.pem', h.root.der);
    const openssl = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path, '-CAfile', root, '-attime', String(Math.floor(now.getTime() / 1000)), '-out', join(dir, 'later.json')]);
    expect(openssl.stderr).toContain('Verification successful');
    const content = JSON.parse(readFileSync(join(dir, 'later.json'), 'utf8')) as { artefacts: Record<string, string> };
    const crlPath = join(dir, 'in-force.crl');
    writeFileSync(crlPath, Buffer.from(content.artefacts['crl.der']!, 'base64'));
    const crlCheck = runTool('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-CAfile', writePem(dir, 'issuing.pem', h.issuing.der), '-noout']);
    expect(crlCheck.stderr).toContain('verify OK');
  });

  it('shows "revoked" for a certificate revoked before the transaction, listed on the CRL in force', async () => {
    const { der, manifest } = await evidence.produce({ serial: revokedBefore.serial, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    expect(manifest.statusAtTime).toBe('revoked');
    expect(manifest.crl).toMatchObject({ crlNumber: 2, listed: true, reason: 'keyCompromise' });
    expect(manifest.conclusion.en).toMatch(/was revoked \(since 2026-12-01 10:30:00 \+08:00\)/);
    expect((await verifyEvidencePackage(der)).valid).toBe(true);
  });

  it('answers with its own findings, never the package\'s, when the signed manifest was altered: what failed and why, in both languages (issue 20)', async () => {
    const { der, manifest } = await evidence.produce({ serial: revokedLater.serial, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    const good = await verifyEvidencePackage(der);
    expect(good.checks.map((c) => [c.id, c.ok])).toEqual([
      ['readable', true],
      ['package-signature', true],
      ['package-time-stamp', true],
      ['nothing-added', true],
      ['artefacts', true],
      ['findings', true],
    ]);
    expect(good.verdict).toEqual(manifest.conclusion);

    const altered = Buffer.from(der);
    const at = altered.indexOf(Buffer.from('"statusAtTime"')) + 3;
    altered[at] = altered[at]! ^ 0x01;
    const refused = await verifyEvidencePackage(altered);
    expect(refused.valid).toBe(false);
    expect(refused.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['package-signature']);
    // Digests and findings compared against an unsigned manifest prove nothing: they are not shown as passed.
    expect(refused.checks.map((c) => c.id)).toEqual(['readable', 'package-signature', 'package-time-stamp', 'nothing-added']);
    const failed = refused.checks.find((c) => c.id === 'package-signature')!;
    expect(failed.text['zh-CN']).toBe('证据包在签署后被改动过：内容与签名不再相符');
    expect(failed.text.en).toBe('The package was altered after it was signed: its content no longer matches its signature');
    // The verdict is the verifier's: it says the package failed and why, and repeats nothing the altered manifest claims.
    expect(refused.verdict['zh-CN']).toContain('核验未通过：证据包在签署后被改动过');
    expect(refused.verdict.en).toMatch(/^Verification failed: The package was altered/);
    for (const locale of ['zh-CN', 'en'] as const) expect(refused.verdict[locale]).not.toContain(manifest.conclusion[locale]);
    expect(refused.problems.join()).toMatch(/changed after signing/);

    // Bytes that are not a package at all: one finding, that it cannot be read, in both languages.
    const cut = await verifyEvidencePackage(der.subarray(0, 200));
    expect(cut.checks).toEqual([{ id: 'readable', ok: false, text: { 'zh-CN': expect.stringContaining('不是可读的证据包'), en: expect.stringContaining('not a readable evidence package') } }]);
  });

  it('makes offline verification fail when one byte of the package is flipped, wherever it is', async () => {
    const { der } = await evidence.produce({ serial: revokedLater.serial, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    // Every 97th byte (all ~10,700 were checked once, 0 went unnoticed; every 47th until the PKI.js
    // path validation made each verification dearer): the unsigned parts of CMS (outer lengths, the
    // certificate set, digest algorithms, versions) as well as the signed ones.
    for (let offset = 0; offset < der.length; offset += 97) {
      const flipped = Buffer.from(der);
      flipped.writeUInt8(flipped.readUInt8(offset) ^ 0x01, offset);
      expect((await verifyEvidencePackage(flipped)).valid, `byte ${offset}`).toBe(false);
    }
    // ~125 offline verifications of an ~11.9 KB package, each with five PKI.js path validations
    // (ASN.1 parsing, no single hot spot): 250 of them with the old validator took 38 s alone and
    // 189 s at load 29; with PKI.js they passed 180 s at load 24. Headroom, not a wait.
  }, 420_000);

  it('refuses a package that carries a certificate no check used, or a version that does not fit (RFC 5652 §5.1, §5.3)', async () => {
    const { der } = await evidence.produce({ serial: revokedLater.serial, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    const info = AsnConvert.parse(der, ContentInfo);
    const rewrap = (signedData: SignedData) =>
      Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: info.contentType, content: AsnConvert.serialize(signedData) })));

    const extra = AsnConvert.parse(info.content, SignedData);
    extra.certificates!.push(new CertificateChoices({ certificate: AsnConvert.parse(h.ocspSigner.der, Certificate) }));
    expect((await verifyEvidencePackage(rewrap(extra))).problems).toContain('the package carries a certificate that no check used');

    const versioned = AsnConvert.parse(info.content, SignedData);
    versioned.signerInfos[0]!.version = 3;
    const refused = await verifyEvidencePackage(rewrap(versioned));
    expect(refused.valid).toBe(false);
    expect(refused.problems.join()).toMatch(/SignerInfo version 3 does not fit/);
  });

  it('refuses every other byte string of the same package: a repeated certificate, a CRL, an empty set, an extra field, a second token, trailing bytes (malleability; RFC 5652 §5.1 leaves these unsigned)', async () => {
    const { der } = await evidence.produce({ serial: revokedLater.serial, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    expect((await verifyEvidencePackage(der)).valid).toBe(true);
    const info = AsnConvert.parse(der, ContentInfo);
    const rewrap = (signedData: CmsSignedData | ArrayBuffer) =>
      Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: info.contentType, content: signedData instanceof ArrayBuffer ? signedData : AsnConvert.serialize(signedData) })));
    const fresh = () => AsnConvert.parse(info.content, CmsSignedData);
    const refusal = async (bytes: Buffer) => {
      const result = await verifyEvidencePackage(bytes);
      expect(result.valid).toBe(false);
      const failed = result.checks.filter((c) => !c.ok);
      expect(failed.length).toBeGreaterThan(0);
      return { problems: result.problems.join(' | '), zh: failed.map((c) => c.text['zh-CN']).join(' | '), en: failed.map((c) => c.text.en).join(' | ') };
    };

    // The signer's certificate twice: every certificate is one a check used, yet the bytes differ.
    const repeated = fresh();
    repeated.certificates!.push(repeated.certificates![0]!);
    const twice = await refusal(rewrap(repeated));
    expect(twice.problems).toMatch(/repeats a certificate/);
    expect(twice.zh).toContain('重复');
    expect(twice.en).toMatch(/more than once/);
    // The same certificate repeated inside the signature's time-stamp token.
    const tokenRepeated = fresh();
    const tokenAttribute = tokenRepeated.signerInfos[0]!.unsignedAttrs![0]!;
    const tokenInfo = AsnConvert.parse(tokenAttribute.attrValues[0]!, ContentInfo);
    const token = AsnConvert.parse(tokenInfo.content, CmsSignedData);
    token.certificates!.push(token.certificates![0]!);
    tokenAttribute.attrValues[0] = AsnConvert.serialize(new ContentInfo({ contentType: tokenInfo.contentType, content: AsnConvert.serialize(token) }));
    expect((await refusal(rewrap(tokenRepeated))).problems).toMatch(/time-stamp token repeats a certificate/);
    // The time-stamp token twice in its attribute.
    const secondToken = fresh();
    const values = secondToken.signerInfos[0]!.unsignedAttrs![0]!.attrValues;
    values.push(values[0]!);
    const tokens = await refusal(rewrap(secondToken));
    expect(tokens.problems).toMatch(/more than one time-stamp token/);
    expect(tokens.zh).toContain('时间戳');

    // The in-force CRL (a real one, signed by the issuing CA) in the unsigned revocation set, once and twice:
    // Signet keeps its CRL as a signed artefact, never there.
    const crl = AsnConvert.parse(Buffer.from((JSON.parse(Buffer.from(fresh().encapContentInfo.eContent!.single!.buffer).toString('utf8')) as { artefacts: Record<string, string> }).artefacts['crl.der']!, 'base64'), CertificateList);
    for (const count of [1, 2]) {
      const withCrl = fresh();
      withCrl.crls = new RevocationInfos(Array.from({ length: count }, () => new RevocationInfo({ crl })));
      const refused = await refusal(rewrap(withCrl));
      expect(refused.problems).toMatch(count === 1 ? /carries a revocation value/ : /repeats a revocation value/);
      expect(refused.zh).toContain('废止列表');
      expect(refused.en).toMatch(/revocation list/);
    }
    // An empty revocation set: absent and empty are two encodings of "none".
    const empty = fresh();
    empty.crls = new RevocationInfos([]);
    const emptied = await refusal(rewrap(empty));
    expect(emptied.problems).toMatch(/the package has an empty revocation set/);
    expect(emptied.zh).toContain('空的');

    // An extra field after signerInfos, and bytes after the package.
    const outline = asn1js.fromBER(info.content).result as asn1js.Sequence;
    outline.valueBlock.value.push(new asn1js.Null());
    const extraField = await refusal(rewrap(outline.toBER()));
    expect(extraField.en).toMatch(/canonical DER encoding \(a field was added/);
    expect(extraField.zh).toContain('多了一个字段');
    const trailing = await refusal(Buffer.concat([der, Buffer.from([0x00, 0x00])]));
    expect(trailing.problems).toMatch(/2 bytes after the package/);
    expect(trailing.zh).toContain('多余的字节');
    expect(trailing.en).toMatch(/bytes after/);
  });

  it('takes the transaction time from the time-stamp of a signed document and checks the signature (R13 + R14)', async () => {
    const { der, manifest } = await evidence.produce({ signature: signedContract, content: contract, requestedBy: 'operator:arbitration-desk' });
    expect(manifest.timeSource).toBe('time-stamp');
    expect(manifest.transactionTime).toBe(transactionTime.toISOString());
    expect(manifest.statusAtTime).toBe('not-revoked');
    expect(manifest.checks.find((c) => c.id === 'signature')?.ok).toBe(true);
    expect(manifest.checks.find((c) => c.id === 'time-stamp')?.ok).toBe(true);
    expect(Object.keys(manifest.artefacts)).toEqual(expect.arrayContaining(['signature.p7s', 'content.bin', 'crl.der', 'certificate.der']));
    expect((await verifyEvidencePackage(der)).valid).toBe(true);

    const html = renderEvidenceHtml(manifest, 'zh-CN');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('未被吊销');
    expect(renderEvidenceHtml(manifest, 'en')).toContain('the certificate was not revoked');
  });

  it('answers over REST: POST /api/v1/cms/verify for anyone, POST /api/v1/evidence for operators; garbage is a 400', async () => {
    const app = await buildServer(t.signet, { logger: false });
    try {
      const verify = await app.inject({
        method: 'POST',
        url: '/api/v1/cms/verify',
        payload: { signature: signedContract.toString('base64'), content: contract.toString('base64') },
      });
      expect(verify.statusCode).toBe(200);
      expect(verify.json()).toMatchObject({ valid: true, timeStamp: { valid: true, genTime: transactionTime.toISOString() } });
      const garbage = await app.inject({ method: 'POST', url: '/api/v1/cms/verify', payload: { signature: 'AAAA' } });
      expect(garbage.statusCode).toBe(400);
      expect(garbage.json()).toMatchObject({ code: 'cms.malformed' });

      const anonymous = await app.inject({ method: 'POST', url: '/api/v1/evidence', payload: { serial: revokedLater.serial, at: transactionTime.toISOString() } });
      expect(anonymous.statusCode).toBe(401);
      const produced = await app.inject({
        method: 'POST',
        url: '/api/v1/evidence',
        headers: { authorization: `Bearer ${t.config.adminToken()}` },
        payload: { serial: revokedLater.serial, at: transactionTime.toISOString() },
      });
      expect(produced.statusCode).toBe(201);
      const body = produced.json() as { manifest: { statusAtTime: string }; package: string };
      expect(body.manifest.statusAtTime).toBe('not-revoked');
      expect((await verifyEvidencePackage(Buffer.from(body.package, 'base64'))).valid).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('records every package in the tamper-evident audit log (R20)', async () => {
    const chain = await verifyAuditChain(t.signet.store);
    expect(chain.ok).toBe(true);
    const entries = await t.signet.store.db.selectFrom('audit_entries').select('action').where('action', '=', 'evidence.produced').execute();
    expect(entries.length).toBeGreaterThanOrEqual(4);
  });
});
