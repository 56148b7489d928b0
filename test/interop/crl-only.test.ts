import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { FastifyInstance } from 'fastify';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { toPem } from '../../src/http/der.js';
import { buildServer } from '../../src/http/server.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { BC_CLASSPATH, freePort, runAsync } from './verifiers.js';

afterAll(dropFreshStores);

const JAVA_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'java', 'CrlOnlyChain.java');

/** The CRL a relying party fetches for a certificate: the one URI of its cRLDistributionPoints, over HTTP. */
async function fetchCrl(der: Buffer): Promise<{ url: string; der: Buffer }> {
  const dp = new x509.X509Certificate(der).getExtension(x509.CRLDistributionPointsExtension);
  const url = dp?.distributionPoints[0]?.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier;
  if (!url) throw new Error('the certificate names no CRL distribution point');
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/pkix-crl');
  return { url, der: Buffer.from(await response.arrayBuffer()) };
}

/**
 * Issue 22 item 3: "relying parties nobody here wrote accept a CRL-only deployment's certificate + CRL". A
 * deployment CRL-only from its first day (SIGNET_CRL_ONLY=on): on SQLite with the full CRL as distribution
 * point, on PostgreSQL with partitioned CRLs (SIGNET_CRL_PARTITIONS=4, the certificate naming its partition).
 * Neither the leaf nor the issuing CA certificate names an OCSP responder. The CRLs are fetched from the
 * certificates' distribution points over HTTP, as a relying party does; OpenSSL (-crl_check_all: the whole
 * chain), GnuTLS certtool, and Java PKIX and BouncyCastle with their default revocation checking (OCSP first,
 * CRL when the certificate names no responder, no soft fail) call the revoked leaf revoked and the good one good.
 */
describe.each(storeBackends)('a CRL-only deployment with relying parties nobody here wrote on %s', (backend) => {
  const partitions = backend === 'postgres' ? 4 : 0;
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let classes: string;
  const pems = { root: '', issuing: '', revoked: '', good: '' };
  const ders: Record<'revoked' | 'good', Buffer> = { revoked: Buffer.alloc(0), good: Buffer.alloc(0) };

  beforeAll(async () => {
    const port = await freePort();
    t = await openTestSignet(backend, {
      publicUrl: `http://127.0.0.1:${port}`,
      env: { SIGNET_CRL_ONLY: 'on', ...(partitions ? { SIGNET_CRL_PARTITIONS: String(partitions) } : {}) },
    });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-only-interop-'));
    const issue = async (name: string) => {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', name);
      return t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=${name}`, subscriberId: name, requestedBy: 'test', reason: 'test' });
    };
    const revoked = await issue('revoked');
    const good = await issue('good');
    // First publication, then a revocation: the next round puts it on the CRLs it belongs on (BR §4.9.7).
    await t.signet.status.crls.publishDue('test', 3_600_000);
    await t.signet.status.revokeCertificate({ serial: revoked.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    await t.signet.status.scheduledWork();
    ders.revoked = revoked.der;
    ders.good = good.der;
    pems.root = writePem(dir, 'root.pem', h.root.der);
    pems.issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    pems.revoked = writePem(dir, 'revoked.pem', revoked.der);
    pems.good = writePem(dir, 'good.pem', good.der);
    classes = join(dir, 'classes');
    const compiled = spawnSync('javac', ['-nowarn', '-cp', BC_CLASSPATH, '-d', classes, JAVA_SOURCE], { encoding: 'utf8', timeout: 180_000 });
    if (compiled.error) throw new Error(`javac could not run: ${compiled.error.message} (run scripts/setup-test-tools.sh)`);
    expect(compiled.status, compiled.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  it('no certificate of the chain names an OCSP responder; each names a CRL that its server serves', async () => {
    for (const pem of [pems.issuing, pems.revoked, pems.good]) {
      const uri = runTool('openssl', ['x509', '-in', pem, '-noout', '-ocsp_uri']);
      expect(uri.status, uri.stderr).toBe(0);
      expect(uri.stdout.trim(), pem).toBe('');
    }
    const leaf = await fetchCrl(ders.good);
    expect(leaf.url).toMatch(partitions ? new RegExp(`/crl/${h.issuing.caId}/${partitions}/\\d+\\.crl$`) : new RegExp(`/crl/${h.issuing.caId}\\.crl$`));
    expect((await fetchCrl(h.issuing.der)).url).toMatch(new RegExp(`/crl/${h.root.caId}\\.crl$`));
  });

  it('OpenSSL verify -crl_check_all with the CRLs fetched from the distribution points: revoked is revoked, good is OK', { timeout: 60_000 }, async () => {
    const openssl = async (name: 'revoked' | 'good') => {
      const crls = [await fetchCrl(ders[name]), await fetchCrl(h.issuing.der)];
      const file = join(dir, `crls-${name}-${backend}.pem`);
      writeFileSync(file, crls.map((c) => toPem('X509 CRL', c.der)).join(''));
      const r = runTool('openssl', ['verify', '-crl_check_all', '-CRLfile', file, '-CAfile', pems.root, '-untrusted', pems.issuing, pems[name]]);
      return r.stdout + r.stderr;
    };
    expect(await openssl('revoked')).toMatch(/certificate revoked/);
    expect(await openssl('good')).toMatch(/good\.pem: OK/);
  });

  it('GnuTLS certtool --verify with the CRL fetched from the distribution point: revoked is revoked, good is verified', { timeout: 60_000 }, async () => {
    const gnutls = async (name: 'revoked' | 'good') => {
      const chain = join(dir, `${name}-chain-${backend}.pem`);
      writeFileSync(chain, toPem('CERTIFICATE', new X509Certificate(readFileSync(pems[name])).raw) + toPem('CERTIFICATE', h.issuing.der));
      const crls = join(dir, `gnutls-${name}-${backend}.pem`);
      writeFileSync(crls, [await fetchCrl(ders[name]), await fetchCrl(h.issuing.der)].map((c) => toPem('X509 CRL', c.der)).join(''));
      const r = runTool('certtool', ['--verify', '--load-ca-certificate', pems.root, '--load-crl', crls, '--infile', chain]);
      return r.stdout + r.stderr;
    };
    expect(await gnutls('revoked')).toMatch(/Chain verification output: Not verified\..*revoked/);
    expect(await gnutls('good')).toMatch(/Chain verification output: Verified\./);
  });

  it('Java PKIX (SUN) and BouncyCastle with default revocation checking find no OCSP responder and decide by the CRL DP', { timeout: 200_000 }, async () => {
    const java = async (leaf: string) => {
      const { out } = await runAsync('java', ['-cp', `${classes}:${BC_CLASSPATH}`, 'CrlOnlyChain', pems.root, pems.issuing, leaf]);
      const line = (provider: string) => out.split('\n').find((l) => l.startsWith(`${provider} `))?.slice(provider.length + 1) ?? out;
      return { sun: line('SUN'), bc: line('BC') };
    };
    const [revoked, good] = await Promise.all([java(pems.revoked), java(pems.good)]);
    expect(revoked.sun, 'Java PKIX, revoked').toMatch(/^fail index=0 reason=REVOKED/);
    expect(revoked.bc, 'BouncyCastle, revoked').toMatch(/^fail index=0 .*revocation.*keyCompromise/i);
    expect(good.sun, 'Java PKIX, good').toBe('ok');
    expect(good.bc, 'BouncyCastle, good').toBe('ok');
  });
});
