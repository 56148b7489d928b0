import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { crlPartitionOf, crlShardKey } from '../../src/ca/crl-partition.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { toPem } from '../../src/http/der.js';
import { buildServer } from '../../src/http/server.js';
import type { PublishedCrl } from '../../src/status/crl-publisher.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { BC_CLASSPATH, freePort, runAsync } from './verifiers.js';

afterAll(dropFreshStores);

const JAVA_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'java', 'PartitionedCrl.java');
const COUNT = 4;

function partitionOf(der: Buffer): number {
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return crlPartitionOf(crlShardKey(createHash('sha256').update(spki).digest('hex')), COUNT);
}

/**
 * Issue 22: "relying parties nobody here wrote accept a sharded deployment's CRLs". Certificates name the
 * partition of their key in cRLDistributionPoints; each partition CRL names itself in a critical
 * issuingDistributionPoint (RFC 5280 §5.2.5). OpenSSL (-crl_check, which matches the two, §6.3.3 (b)), GnuTLS
 * certtool, and Java's PKIX and BouncyCastle's fetching the CRL over HTTP from the certificate's distribution
 * point must call a revoked certificate revoked and a good one good; OpenSSL given only another partition's CRL
 * must find no CRL for the certificate (that CRL's scope does not cover it).
 */
describe.each(storeBackends)('partitioned CRLs with relying parties nobody here wrote on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let classes: string;
  const pems = { root: '', issuing: '', revoked: '', good: '' };
  let revokedPart = -1;
  let goodPart = -1;
  let partitions: PublishedCrl[] = [];
  let full: PublishedCrl;

  beforeAll(async () => {
    const port = await freePort();
    t = await openTestSignet(backend, { publicUrl: `http://127.0.0.1:${port}`, env: { SIGNET_CRL_PARTITIONS: String(COUNT) } });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-partitions-interop-'));
    const issue = async (name: string) => {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', name);
      return t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=${name}`, subscriberId: name, requestedBy: 'test', reason: 'test' });
    };
    const revoked = await issue('revoked');
    const good = await issue('good');
    await t.signet.status.revokeCertificate({ serial: revoked.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    revokedPart = partitionOf(revoked.der);
    goodPart = partitionOf(good.der);
    pems.root = writePem(dir, 'root.pem', h.root.der);
    pems.issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    pems.revoked = writePem(dir, 'revoked.pem', revoked.der);
    pems.good = writePem(dir, 'good.pem', good.der);
    // The scheduler returns what it archived; the bytes are read back from the archive.
    const crls = t.signet.status.crls;
    const published = await Promise.all((await crls.publishDue('test', 3_600_000)).map(async (c) => (await crls.byNumber(c.issuerCaId, c.crlNumber))!));
    partitions = published.filter((c) => c.partition?.count === COUNT).sort((a, b) => a.partition!.index - b.partition!.index);
    full = published.find((c) => c.issuerCaId === h.issuing.caId && c.partition === null)!;
    classes = join(dir, 'classes');
    const compiled = spawnSync('javac', ['-nowarn', '-cp', BC_CLASSPATH, '-d', classes, JAVA_SOURCE], { encoding: 'utf8', timeout: 180_000 });
    if (compiled.error) throw new Error(`javac could not run: ${compiled.error.message} (run scripts/setup-test-tools.sh)`);
    expect(compiled.status, compiled.stderr).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  const crlFile = (name: string, crls: PublishedCrl[]) => {
    const path = join(dir, `${name}-${backend}.pem`);
    writeFileSync(path, crls.map((c) => toPem('X509 CRL', c.der)).join(''));
    return path;
  };
  const openssl = (leaf: string, crls: string) => {
    const r = runTool('openssl', ['verify', '-crl_check', '-CRLfile', crls, '-CAfile', pems.root, '-untrusted', pems.issuing, leaf]);
    return r.stdout + r.stderr;
  };

  it('OpenSSL -crl_check: revoked by its own partition, good by its own, the full CRL agrees, another partition alone covers nothing', { timeout: 60_000 }, () => {
    expect(partitions).toHaveLength(COUNT);
    expect(openssl(pems.revoked, crlFile('revoked-own', [partitions[revokedPart]!]))).toMatch(/certificate revoked/);
    expect(openssl(pems.good, crlFile('good-own', [partitions[goodPart]!]))).toMatch(/good\.pem: OK/);
    const all = crlFile('all', partitions);
    expect(openssl(pems.revoked, all)).toMatch(/certificate revoked/);
    expect(openssl(pems.good, all)).toMatch(/good\.pem: OK/);
    const whole = crlFile('full', [full]);
    expect(openssl(pems.revoked, whole)).toMatch(/certificate revoked/);
    expect(openssl(pems.good, whole)).toMatch(/good\.pem: OK/);
    const other = partitions.find((p) => p.partition!.index !== goodPart)!;
    // X509_V_ERR_DIFFERENT_CRL_SCOPE: OpenSSL matched the IDP against the certificate's CRL DP and refused it.
    expect(openssl(pems.good, crlFile('other', [other]))).toMatch(/error 44 at 0 depth lookup: different CRL scope/i);
  });

  // GnuTLS 3.7 keeps one CRL per issuer (the highest-numbered) and does not read the IDP's scope: given every
  // partition in one file it checks against one of them. A relying party gives it the partition its certificate
  // names, as fetched from the CRL DP (docs/status.md, "Partitioned CRLs").
  it('GnuTLS certtool accepts a partition (its critical issuingDistributionPoint) and finds the revoked certificate on it', { timeout: 60_000 }, () => {
    const gnutls = (pem: string, crl: PublishedCrl, name: string) => {
      const chain = join(dir, `${name}-chain-${backend}.pem`);
      writeFileSync(chain, toPem('CERTIFICATE', new X509Certificate(readFileSync(pem)).raw) + toPem('CERTIFICATE', h.issuing.der));
      const r = runTool('certtool', ['--verify', '--load-ca-certificate', pems.root, '--load-crl', crlFile(`gnutls-${name}`, [crl]), '--infile', chain]);
      return r.stdout + r.stderr;
    };
    expect(gnutls(pems.revoked, partitions[revokedPart]!, 'revoked')).toMatch(/Chain verification output: Not verified\..*revoked/);
    expect(gnutls(pems.good, partitions[goodPart]!, 'good')).toMatch(/Chain verification output: Verified\./);
  });

  it('Java PKIX (SUN) and BouncyCastle fetch the partition from the certificate\'s distribution point and match its scope', { timeout: 180_000 }, async () => {
    const java = async (leaf: string) => {
      const { out } = await runAsync('java', ['-cp', `${classes}:${BC_CLASSPATH}`, 'PartitionedCrl', pems.root, pems.issuing, leaf]);
      const line = (provider: string) => out.split('\n').find((l) => l.startsWith(`${provider} `))?.slice(provider.length + 1) ?? out;
      return { sun: line('SUN'), bc: line('BC') };
    };
    const [revoked, good] = await Promise.all([java(pems.revoked), java(pems.good)]);
    expect(revoked.sun, 'Java PKIX, revoked').toMatch(/^fail index=0 reason=REVOKED/);
    expect(revoked.bc, 'BouncyCastle, revoked').toMatch(/^fail index=0 .*Certificate revocation after .*reason: keyCompromise/);
    expect(good.sun, 'Java PKIX, good').toBe('ok');
    expect(good.bc, 'BouncyCastle, good').toBe('ok');
  });
});

