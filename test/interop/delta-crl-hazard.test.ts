/**
 * Delta CRLs and the relying parties that ignore them (issue 23 items 7-8; RFC 5280 §5.2.4,
 * §6.3.3): the evidence behind Signet's default (full CRLs only, SIGNET_DELTA_CRLS=on to add
 * deltas) and the hazard docs/interoperability.md describes. Each case names its tool.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, id_ce_freshestCRL } from '@peculiar/asn1-x509';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { toPem } from '../../src/http/der.js';
import { buildServer } from '../../src/http/server.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';

afterAll(dropFreshStores);

const freshestCrlUrls = (der: Uint8Array): string[] => {
  const extension = AsnConvert.parse(der, CertificateList).tbsCertList.crlExtensions?.find((e) => e.extnID === id_ce_freshestCRL);
  if (!extension) return [];
  return [...Buffer.from(extension.extnValue.buffer).toString('latin1').matchAll(/https?:\/\/[\x21-\x7e]+?\.crl/g)].map((m) => m[0]);
};

describe.each(storeBackends)('delta CRLs are opt-in, and no CRL points at one nobody serves (issue 23 items 7-8) on %s', (backend) => {
  // Close to the real time: OpenSSL and GnuTLS check CRL times against their own clocks.
  let now = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));
  let dir: string;
  const opened: TestSignet[] = [];
  afterAll(async () => {
    for (const t of opened) await t.signet.close();
  });
  async function deployment(env: Record<string, string> = {}): Promise<{ t: TestSignet; h: Hierarchy; app: FastifyInstance }> {
    const t = await openTestSignet(backend, { clock: () => now, env });
    opened.push(t);
    const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    return { t, h, app: await buildServer(t.signet, { logger: false }) };
  }
  let counter = 0;
  async function revokedLeaf(t: TestSignet) {
    counter += 1;
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `delta-${counter}`);
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=delta leaf ${counter}`, subscriberId: `s${counter}`, requestedBy: 'test', reason: 'test' });
    advance(1000);
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:x' });
    advance(1000);
    return leaf;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signet-delta-'));
  });

  it('by default publishes full CRLs only: no freshestCRL pointer, no delta served, a delta asked for is refused in both languages', async () => {
    const { t, h, app } = await deployment();
    await revokedLeaf(t);
    const crls = t.signet.status.crls;
    const published = await Promise.all((await crls.publishDue('system:crl-schedule', 3_600_000)).map(async (c) => (await crls.byNumber(c.issuerCaId, c.crlNumber))!));
    expect(published.map((c) => c.kind)).toEqual(['full']);
    expect(freshestCrlUrls(published[0]!.der)).toEqual([]);
    expect(freshestCrlUrls((await t.signet.status.crls.latest(h.root.caId, 'full'))!.der)).toEqual([]);
    expect((await app.inject(`/crl/${h.issuing.caId}-delta.crl`)).statusCode).toBe(404);
    const refusal = await t.signet.status.crls.publish(h.issuing.caId, 'delta', 'test').catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'crl.deltas-off', status: 409 });
    expect((refusal as { messageIn(l: string): string }).messageIn('en')).toContain('SIGNET_DELTA_CRLS=on');
    expect((refusal as { messageIn(l: string): string }).messageIn('zh-CN')).toContain('增量 CRL');
    const api = await app.inject({ method: 'POST', url: `/api/v1/crls/${h.issuing.caId}`, headers: { authorization: 'Bearer test-admin-token' }, payload: { kind: 'delta' } });
    expect(api.statusCode).toBe(409);
    await app.close();
  });

  it('with SIGNET_DELTA_CRLS=on: the issuing CA\'s full CRL points at a delta that is served; the root\'s points at none (it was a 404)', async () => {
    const { t, h, app } = await deployment({ SIGNET_DELTA_CRLS: 'on', SIGNET_PUBLIC_URL: 'http://127.0.0.1:8080' });
    await revokedLeaf(t);
    const crls = t.signet.status.crls;
    const published = await Promise.all((await crls.publishDue('system:crl-schedule', 3_600_000)).map(async (c) => (await crls.byNumber(c.issuerCaId, c.crlNumber))!));
    expect(published.map((c) => c.kind)).toEqual(['full', 'delta']);
    const [pointer] = freshestCrlUrls(published[0]!.der);
    expect(pointer).toBe(`http://127.0.0.1:8080/crl/${h.issuing.caId}-delta.crl`);
    const served = await app.inject(new URL(pointer!).pathname);
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(published[1]!.der)).toBe(true);
    // The root's CRL comes from ceremonies only and has no deltas: it must not name one.
    const rootCrl = (await t.signet.status.crls.latest(h.root.caId, 'full'))!;
    expect(freshestCrlUrls(rootCrl.der)).toEqual([]);
    expect((await app.inject(`/crl/${h.root.caId}-delta.crl`)).statusCode).toBe(404);
    const again = await t.signet.status.rootCeremony({ actor: 'test' });
    expect(freshestCrlUrls((await t.signet.status.crls.byNumber(h.root.caId, again.crl.crlNumber))!.der)).toEqual([]);
    await app.close();
  });

  it('a delta beside its base: OpenSSL -use_deltas combines them; OpenSSL without it and GnuTLS certtool take the delta for the whole list and accept a revoked certificate (the hazard)', async () => {
    const { t, h } = await deployment({ SIGNET_DELTA_CRLS: 'on' });
    const before = await revokedLeaf(t);
    const full = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    const after = await revokedLeaf(t);
    const delta = await t.signet.status.crls.publish(h.issuing.caId, 'delta', 'test');
    const rootCrl = (await t.signet.status.crls.latest(h.root.caId, 'full'))!;
    const rootPem = writePem(dir, `root-${backend}.pem`, h.root.der);
    const issuingPem = writePem(dir, `issuing-${backend}.pem`, h.issuing.der);
    const crls = join(dir, `crls-${backend}.pem`);
    writeFileSync(crls, toPem('X509 CRL', full.der) + toPem('X509 CRL', delta.der) + toPem('X509 CRL', rootCrl.der));
    const deltaOnly = join(dir, `delta-only-${backend}.pem`);
    writeFileSync(deltaOnly, toPem('X509 CRL', delta.der) + toPem('X509 CRL', rootCrl.der));
    const openssl = (leaf: Buffer, crlFile: string, extra: string[] = []) => {
      const r = runTool('openssl', ['verify', '-crl_check_all', ...extra, '-CRLfile', crlFile, '-CAfile', rootPem, '-untrusted', issuingPem, writePem(dir, 'leaf.pem', leaf)]);
      return r.stdout + r.stderr;
    };
    const gnutls = (leaf: Buffer, crlFile: string) => {
      const chain = join(dir, `chain-${backend}.pem`);
      writeFileSync(chain, toPem('CERTIFICATE', leaf) + toPem('CERTIFICATE', h.issuing.der));
      const r = runTool('certtool', ['--verify', '--load-ca-certificate', rootPem, '--load-crl', crlFile, '--infile', chain]);
      return r.stdout + r.stderr;
    };
    const fullOnly = join(dir, `full-only-${backend}.pem`);
    writeFileSync(fullOnly, toPem('X509 CRL', full.der) + toPem('X509 CRL', rootCrl.der));
    const revoked = /certificate revoked/;
    const gnutlsRevoked = /Chain verification output: Not verified\..*revoked/;

    // Controls: the full CRL alone lists the certificate revoked before it, for both tools.
    expect(openssl(before.der, fullOnly)).toMatch(revoked);
    expect(gnutls(before.der, fullOnly)).toMatch(gnutlsRevoked);
    // OpenSSL with delta support (-extended_crl -use_deltas) combines base and delta: both revoked certificates fail.
    expect(openssl(before.der, crls, ['-extended_crl', '-use_deltas'])).toMatch(revoked);
    expect(openssl(after.der, crls, ['-extended_crl', '-use_deltas'])).toMatch(revoked);

    // The hazard (known limits, written in docs/interoperability.md): given the delta beside its base, OpenSSL
    // 3.0 without -use_deltas and GnuTLS 3.7 check against the newer delta alone, as if it were complete, and
    // ACCEPT the certificate only the base lists. A relying party that fetched the freshestCRL pointer and
    // dropped the file into its CRL store fails open. Hence deltas are off unless the operator turns them on.
    expect(openssl(before.der, crls)).toMatch(/leaf\.pem: OK/);
    expect(openssl(after.der, crls)).toMatch(revoked);
    expect(gnutls(before.der, crls)).toMatch(/Chain verification output: Verified\./);
    expect(gnutls(after.der, crls)).toMatch(gnutlsRevoked);
  });
});
