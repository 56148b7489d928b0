import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calendar, DEFAULT_THRESHOLDS, rollOverIdentities } from '../lifetimes.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { createHierarchy } from './hierarchy.js';
import { createSuccessorIssuingCa } from './issuing-ceremony.js';
import { verifyEvidencePackage } from '../evidence/evidence-report.js';
import { openTestSignet, opensslRequest, writePem } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

/** OpenSSL's stdout and stderr together (verdicts go to stderr), FAILED appended on a non-zero exit. */
function openssl(args: string[]): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw new Error(`openssl could not run: ${result.error.message}`);
  return `${result.stdout}${result.stderr}${result.status === 0 ? '' : 'FAILED'}`;
}

/**
 * Issue 13, "a ten-year test": one deployment, created once, its injected
 * clock driven month by month for ten years and a month. Every month the
 * scheduled work runs (identity rollover, CRLs), a leaf is issued, an
 * identity is in force for every job and no calendar warning goes unheeded;
 * the operator holds the root ceremony when the calendar warns and the
 * issuing CA ceremony in the year before the issuing CA expires. OpenSSL
 * checks (at the injected time, -attime) every sixth month and in every month
 * where something rolled over: the new leaf's OCSP answer, a year-old leaf's,
 * a fresh time-stamp token, the issuing and root CRLs. Figures: see
 * docs/operations.md.
 */
describe.each(storeBackends)('ten years of one deployment on %s', (backend) => {
  it('keeps every promise month by month for 121 months, OpenSSL agreeing at every rollover and every half year', { timeout: 600_000 }, async () => {
    const start = new Date(Date.UTC(2027, 0, 15, 9, 0, 0));
    let now = start;
    const t = await openTestSignet(backend, { clock: () => now });
    const { signet, dir } = t;
    try {
      const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      await signet.status.rootCeremony({ actor: 'test' });
      const rootPem = writePem(dir, 'root.pem', h.root.der);
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'years');
      const leaves: { serial: string; der: Buffer; issuerCaId: string; month: number }[] = [];
      const data = join(dir, 'data.txt');
      writeFileSync(data, 'ten years');
      const query = join(dir, 'q.tsq');
      openssl(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
      const seen = { ocsp: new Set<string>(), tsa: new Set<string>(), issuing: new Set<string>([h.issuing.caId]), rootCeremonies: 1, opensslSteps: 0 };
      // Evidence packages (R14) made along the way, verified offline again at the end, years later.
      const packages: { month: number; der: Buffer; signedAt: Date }[] = [];

      for (let month = 1; month <= 121; month++) {
        now = new Date(Date.UTC(2027, month, 15, 9, 0, 0));
        // The operator looks a little further ahead than the alarm (docs/operations.md: the month before the warning).
        const c0 = await calendar(signet, { ...DEFAULT_THRESHOLDS, rootStatusWarningMs: 75 * 86_400_000 });
        let rolled = false;
        // The people's part, when the calendar says so.
        if (c0.warnings.some((w) => w.code === 'lifetime.ca-expiring' && w.params.kind === 'issuing')) {
          const made = await createSuccessorIssuingCa(signet.ca, 'test:ceremony');
          seen.issuing.add(made.issuing.caId);
          await signet.status.rootCeremony({ actor: 'test:ceremony' });
          seen.rootCeremonies += 1;
          rolled = true;
        }
        if (c0.warnings.some((w) => w.code.startsWith('lifetime.root-'))) {
          await signet.status.rootCeremony({ actor: 'test:ceremony' });
          seen.rootCeremonies += 1;
        }
        // The machine's part: what `signet serve` runs every quarter hour.
        const round = await rollOverIdentities(signet);
        rolled ||= round.delegated.length > 0;
        now = new Date(now.getTime() + 20 * 60_000);
        await signet.status.crls.publishDue('system:crl-schedule', 3_600_000);

        const issued = await signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=month ${month}`, subscriberId: 'years', requestedBy: 'test', reason: 'ten years' });
        leaves.push({ serial: issued.serial, der: issued.der, issuerCaId: issued.issuerCaId, month });
        const ocspSigner = await signet.signers.current('ocsp', issued.issuerCaId);
        const tsaSigner = await signet.signers.current('tsa', issued.issuerCaId);
        expect(ocspSigner, `month ${month}: an OCSP responder in force`).not.toBeNull();
        expect(tsaSigner, `month ${month}: a TSA in force`).not.toBeNull();
        seen.ocsp.add(ocspSigner!.id);
        seen.tsa.add(tsaSigner!.id);
        const c = await calendar(signet);
        expect(c.warnings.filter((w) => w.code !== 'lifetime.ca-expiring').map((w) => w.text.en), `month ${month}`).toEqual([]);

        if (!rolled && month % 6 !== 0) continue;
        seen.opensslSteps += 1;
        const attime = String(Math.floor(now.getTime() / 1000));
        const authorities = await signet.ca.authorities();
        const chain = writePem(dir, 'chain.pem', ...authorities.map((a) => a.certificateDer));
        // The new leaf and one issued about a year ago (still valid: 397 days) get verifiable status.
        const yearOld = leaves.find((l) => l.month === month - 12);
        for (const leaf of [leaves.at(-1)!, ...(yearOld ? [yearOld] : [])]) {
          const issuerPem = writePem(dir, 'issuer.pem', authorities.find((a) => a.id === leaf.issuerCaId)!.certificateDer);
          const leafPem = writePem(dir, 'leaf.pem', leaf.der);
          const request = join(dir, 'req.der');
          openssl(['ocsp', '-issuer', issuerPem, '-cert', leafPem, '-no_nonce', '-reqout', request]);
          const reply = await signet.status.ocsp.respond(readFileSync(request));
          const responseFile = join(dir, 'resp.der');
          writeFileSync(responseFile, reply.der);
          const out = openssl(['ocsp', '-respin', responseFile, '-issuer', issuerPem, '-cert', leafPem, '-CAfile', chain, '-attime', attime]);
          expect(out, `month ${month}, OCSP for the leaf of month ${leaf.month}`).toContain('Response verify OK');
          expect(out, `month ${month}, OCSP for the leaf of month ${leaf.month}`).toMatch(/\bgood\b/);
        }
        const stamp = await signet.tsa.reply(readFileSync(query));
        expect(stamp.granted, `month ${month}: time-stamp`).toBe(true);
        const replyFile = join(dir, 'r.tsr');
        writeFileSync(replyFile, stamp.der);
        expect(openssl(['ts', '-verify', '-in', replyFile, '-queryfile', query, '-CAfile', chain, '-attime', attime]), `month ${month}: ts -verify`).toContain('Verification: OK');
        // An evidence package about the new leaf, as a dispute would ask for it; it verifies offline at once.
        const evidence = await signet.evidence.produce({ serial: leaves.at(-1)!.serial, at: now, requestedBy: 'test:dispute' });
        const verified = await verifyEvidencePackage(evidence.der, [h.root.der], evidence.detached);
        expect(verified.problems, `month ${month}: evidence package`).toEqual([]);
        expect(verified.valid).toBe(true);
        packages.push({ month, der: evidence.der, signedAt: verified.signedAt! });
        for (const authority of authorities) {
          if (authority.role === 'issuing' && authority.notAfter <= now) continue;
          const crl = await signet.status.crls.current(authority.id, 'full');
          expect(new Date(crl.nextUpdate).getTime(), `month ${month}: CRL of ${authority.id} current`).toBeGreaterThan(now.getTime());
          const crlFile = join(dir, 'crl.der');
          writeFileSync(crlFile, crl.der);
          expect(openssl(['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', chain, '-noout']), `month ${month}: CRL of ${authority.id}`).toContain('verify OK');
        }
      }
      // Ten years: the responder rolled about every nine months, the TSA twice, one issuing CA ceremony, ten root ceremonies.
      expect(seen.ocsp.size).toBeGreaterThanOrEqual(12);
      expect(seen.tsa.size).toBeGreaterThanOrEqual(3);
      expect(seen.issuing.size).toBe(2);
      expect(seen.rootCeremonies).toBeGreaterThanOrEqual(10);
      expect(readFileSync(rootPem).length).toBeGreaterThan(0);

      // Years later (the end of the ten years), every package still verifies offline with nothing but the root:
      // the signature at its time-stamp's genTime, the chain and CRL findings recomputed from its own artefacts,
      // although its evidence signer, TSA, OCSP responder and (before year nine) issuing CA have long expired.
      for (const p of packages) {
        const again = await verifyEvidencePackage(p.der, [h.root.der]);
        expect(again.problems, `package of month ${p.month}, verified in month 121`).toEqual([]);
        expect(again.signedAt).toEqual(p.signedAt);
      }
      // And by OpenSSL for the oldest: CMS signature and the evidence signer's chain at the time it signed.
      const oldest = packages[0]!;
      const packageFile = join(dir, 'oldest.p7m');
      writeFileSync(packageFile, oldest.der);
      const everyCa = writePem(dir, 'every-ca.pem', ...(await signet.ca.authorities()).map((a) => a.certificateDer));
      expect(openssl(['cms', '-verify', '-inform', 'DER', '-in', packageFile, '-CAfile', everyCa, '-purpose', 'any', '-attime', String(Math.floor(oldest.signedAt.getTime() / 1000)), '-out', join(dir, 'manifest.json')])).toContain('Verification successful');
      console.log(`${backend}: ${seen.ocsp.size} OCSP responders, ${seen.tsa.size} TSAs, ${seen.issuing.size} issuing CAs, ${seen.rootCeremonies} root ceremonies, ${seen.opensslSteps} OpenSSL steps, ${packages.length} evidence packages`);
    } finally {
      await signet.close();
    }
  });
});
