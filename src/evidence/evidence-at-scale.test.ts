import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { seedRevocations } from '../status/test-support/bulk-revocations.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { type EvidenceService, verifyEvidencePackage } from './evidence-report.js';

afterAll(dropFreshStores);

const MINUTE = 60_000;

/**
 * R14 at the size of a real CA: the CRL in force holds 100,000 and then
 * 1,000,000 entries (asn1js could not read past ~1,250). The package stays a
 * few KB, the CRL travels beside it byte for byte as archived, and the
 * package verifies offline with it, on both stores.
 */
describe.each(storeBackends)('evidence when the CRL in force is large, on %s (R14)', (backend) => {
  const t0 = new Date('2026-12-01T02:00:00.000Z');
  let now = t0;
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let evidence: EvidenceService;
  let listed: string;
  let good: string;
  const transactionTime = new Date(t0.getTime() + 60 * MINUTE);

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-evidence-scale-'));
    evidence = t.signet.evidence;
    const issue = async (name: string) => {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', name);
      const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'enterprise-signing', subject: { commonName: name, organizationName: '示例贸易有限公司' }, subscriberId: name, requestedBy: 'test', reason: 'scale test' });
      return issued.serial;
    };
    listed = await issue('revoked-among-many');
    good = await issue('never-revoked');
    now = new Date(t0.getTime() + 10 * MINUTE);
    await t.signet.status.revokeCertificate({ serial: listed, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:test' });
  });
  // The companion CRL alone is ~4.7 MB: leave nothing behind in the temp folder.
  afterAll(async () => {
    await t.signet.close();
    for (const folder of [dir, t.dir]) rmSync(folder, { recursive: true, force: true });
  });

  async function inForceWith(total: number, already: number, minutes: number): Promise<void> {
    now = new Date(t0.getTime() + minutes * MINUTE);
    await seedRevocations(t.signet.store, h.issuing.caId, total - already, {
      first: already,
      revokedAt: new Date(t0.getTime() + 15 * MINUTE).toISOString(),
      notAfter: '2036-01-01T00:00:00.000Z',
    });
    const crl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    // The bulk entries plus the one the API revoked.
    expect(crl.entries).toBe(total + 1);
  }

  it('produces and verifies offline a small package whose CRL of 100,000 entries travels beside it', async () => {
    await inForceWith(100_000, 0, 20);
    const started = performance.now();
    const revoked = await evidence.produce({ serial: listed, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    const produceMs = performance.now() - started;
    expect(revoked.manifest.statusAtTime).toBe('revoked');
    expect(revoked.manifest.crl).toMatchObject({ listed: true, reason: 'keyCompromise', signatureValid: true, embedded: false, issuerCaId: h.issuing.caId });
    expect(revoked.manifest.crl!.location).toMatch(new RegExp(`/api/v1/crls/${h.issuing.caId}\\?number=\\d+$`));
    expect(revoked.manifest.checks.find((c) => c.id === 'crl')!.text.en).toContain('travels beside the package');
    // The package holds the certificate, the chain and the findings: a few KB, not the ~4.7 MB list.
    expect(revoked.der.length).toBeLessThan(64 * 1024);
    const crl = revoked.detached['crl.der']!;
    expect(crl.length).toBeGreaterThan(4_000_000);

    const offline = await verifyEvidencePackage(revoked.der, [h.root.der], { 'crl.der': crl });
    expect(offline.problems).toEqual([]);
    expect(offline.valid).toBe(true);
    // Without the CRL the package does not stand alone, and says where the CRL is.
    const alone = await verifyEvidencePackage(revoked.der, [h.root.der]);
    expect(alone.valid).toBe(false);
    expect(alone.problems.join()).toMatch(/travels beside the package and was not given .*served at http/);
    // Another CRL (or a changed one) is not the one the package names.
    const changed = Buffer.from(crl);
    changed.writeUInt8(changed.readUInt8(changed.length - 300) ^ 1, changed.length - 300);
    expect((await verifyEvidencePackage(revoked.der, [h.root.der], { 'crl.der': changed })).valid).toBe(false);

    const notRevoked = await evidence.produce({ serial: good, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    expect(notRevoked.manifest.statusAtTime).toBe('not-revoked');
    expect(notRevoked.manifest.crl).toMatchObject({ listed: false, signatureValid: true });
    expect((await verifyEvidencePackage(notRevoked.der, [h.root.der], notRevoked.detached)).valid).toBe(true);

    // The arbiter's own tools: OpenSSL verifies the companion CRL against the issuing CA.
    const crlPath = join(dir, 'companion.crl');
    writeFileSync(crlPath, crl);
    const openssl = runTool('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-CAfile', writePem(dir, 'issuing.pem', h.issuing.der), '-noout']);
    expect(openssl.stderr).toContain('verify OK');
    console.log(`[evidence at scale, ${backend}] 100,000 entries: package ${revoked.der.length} B beside a ${crl.length} B CRL, produced in ${produceMs.toFixed(0)} ms`);
  }, 120_000);

  it('the CA verifies an uploaded package against its own archive, which serves the CRL by number', async () => {
    const produced = await evidence.produce({ serial: listed, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    const app = await buildServer(t.signet, { logger: false });
    try {
      const checked = await app.inject({ method: 'POST', url: '/api/v1/evidence/verification', headers: { 'content-type': 'application/octet-stream' }, payload: produced.der });
      expect(checked.statusCode).toBe(200);
      expect(checked.json()).toMatchObject({ valid: true, statusAtTime: 'revoked', problems: [] });
      const location = new URL(produced.manifest.crl!.location!);
      const served = await app.inject(location.pathname + location.search);
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(produced.detached['crl.der']!)).toBe(true);
      expect((await app.inject(`/api/v1/crls/${h.issuing.caId}?number=999999`)).statusCode).toBe(404);
      expect((await app.inject(`/api/v1/crls/${h.issuing.caId}?number=-1`)).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('still answers when the CRL in force holds 1,000,000 entries', async () => {
    await inForceWith(1_000_000, 100_000, 30);
    const started = performance.now();
    const revoked = await evidence.produce({ serial: listed, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    const produceMs = performance.now() - started;
    expect(revoked.manifest.statusAtTime).toBe('revoked');
    expect(revoked.manifest.crl).toMatchObject({ listed: true, signatureValid: true, embedded: false });
    expect(revoked.der.length).toBeLessThan(64 * 1024);
    const verifyStarted = performance.now();
    const offline = await verifyEvidencePackage(revoked.der, [h.root.der], revoked.detached);
    const verifyMs = performance.now() - verifyStarted;
    expect(offline.problems).toEqual([]);
    const notRevoked = await evidence.produce({ serial: good, at: transactionTime, requestedBy: 'operator:arbitration-desk' });
    expect(notRevoked.manifest).toMatchObject({ statusAtTime: 'not-revoked', crl: { listed: false, signatureValid: true } });
    expect((await verifyEvidencePackage(notRevoked.der, [h.root.der], notRevoked.detached)).valid).toBe(true);
    console.log(
      `[evidence at scale, ${backend}] 1,000,000 entries: package ${revoked.der.length} B beside a ${revoked.detached['crl.der']!.length} B CRL, produced in ${produceMs.toFixed(0)} ms, verified offline in ${verifyMs.toFixed(0)} ms`,
    );
    // Seeding 900,000 rows and publishing a 49 MB CRL: ~15-35 s on an idle machine, more on a shared one.
  }, 300_000);
});
