import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { buildServer } from '../../src/http/server.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { BC_CLASSPATH, freePort, runAsync } from './verifiers.js';

afterAll(dropFreshStores);

const JAVA_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'java', 'ChainRevocation.java');

/**
 * Issue 13 item 3: "a relying party checking OCSP for every certificate of the
 * chain must accept a Signet chain". Three independent relying parties fetch
 * OCSP from each certificate's AIA over HTTP from a listening server, with no
 * CRL to fall back on: Java's own PKIX (SUN provider), BouncyCastle's PKIX,
 * and NSS (`vfychain -pp -g leaf … -g chain -m ocsp -s failIfNoInfo`). The issuing CA's
 * status comes from the root ceremony's pre-signed responses (RFC 6960 §2.6:
 * the CA itself as responder), the leaf's from the delegated responder. Then
 * the leaf is revoked, and then the issuing CA (with a root ceremony): each
 * verifier must reject the chain, naming the right certificate.
 */
describe.each(storeBackends)('relying parties checking OCSP for the whole chain on %s (issue 13, RFC 6960, RFC 5280 §6.3)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let classes: string;
  let nssDb: string;
  const pems = { root: '', issuing: '', leaf: '', second: '' };
  const serials = { leaf: '', second: '' };

  beforeAll(async () => {
    const port = await freePort();
    t = await openTestSignet(backend, { publicUrl: `http://127.0.0.1:${port}` });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'signet-chain-ocsp-'));
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'leaf');
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=chain relying party', subscriberId: 'rp', requestedBy: 'test', reason: 'test' });
    const second = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=chain relying party 2', subscriberId: 'rp', requestedBy: 'test', reason: 'test' });
    serials.leaf = leaf.serial;
    serials.second = second.serial;
    pems.root = writePem(dir, 'root.pem', h.root.der);
    pems.issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    pems.leaf = writePem(dir, 'leaf.pem', leaf.der);
    pems.second = writePem(dir, 'second.pem', second.der);
    // NSS's trust anchor lives in its database, as in a browser's: a root given with -t is itself asked about
    // (it has no OCSP URL, so failIfNoInfo fails it), which no relying party does.
    nssDb = join(dir, 'nssdb');
    mkdirSync(nssDb);
    for (const args of [['-N', '-d', nssDb, '--empty-password'], ['-A', '-d', nssDb, '-n', 'signet-root', '-t', 'CT,C,C', '-a', '-i', pems.root]]) {
      const made = spawnSync('certutil', args, { encoding: 'utf8' });
      if (made.error) throw new Error(`certutil could not run: ${made.error.message} (run scripts/setup-test-tools.sh)`);
      expect(made.status, made.stderr).toBe(0);
    }
    classes = join(dir, 'classes');
    const compiled = spawnSync('javac', ['-nowarn', '-cp', BC_CLASSPATH, '-d', classes, JAVA_SOURCE], { encoding: 'utf8', timeout: 120_000 });
    if (compiled.error) throw new Error(`javac could not run: ${compiled.error.message} (run scripts/setup-test-tools.sh)`);
    expect(compiled.status, compiled.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  /** Java's PKIX and BouncyCastle's, one JVM: their verdicts by provider. */
  const java = async (leaf: string) => {
    const { out } = await runAsync('java', ['-cp', `${classes}:${BC_CLASSPATH}`, 'ChainRevocation', pems.root, pems.issuing, leaf]);
    const line = (provider: string) => out.split('\n').find((l) => l.startsWith(`${provider} `))?.slice(provider.length + 1) ?? out;
    return { sun: line('SUN'), bc: line('BC') };
  };
  // -pp: libpkix (CERT_PKIXVerifyCert). `-g leaf` sets the leaf's revocation test, `-g chain` the CA certificates':
  // OCSP for both, failIfNoInfo (no answer is a failure), CRLs not used.
  const ocspOnly = ['-m', 'ocsp', '-s', 'failIfNoInfo', '-m', 'crl', '-s', 'doNotUse'];
  const nss = (leaf: string) => runAsync('vfychain', ['-d', nssDb, '-pp', '-u', '0', '-g', 'leaf', ...ocspOnly, '-g', 'chain', ...ocspOnly, '-a', leaf, '-a', pems.issuing]);

  it('Java PKIX (SUN), BouncyCastle and NSS accept the chain: the leaf and the issuing CA are both good by OCSP', { timeout: 180_000 }, async () => {
    const [{ sun, bc }, nssResult] = await Promise.all([java(pems.leaf), nss(pems.leaf)]);
    expect(sun, 'Java PKIX').toBe('ok');
    expect(bc, 'BouncyCastle PKIX').toBe('ok');
    expect(nssResult.out, 'NSS vfychain').toContain('Chain is good!');
    expect(nssResult.status).toBe(0);
  });

  it('all three reject a chain whose leaf is revoked', { timeout: 180_000 }, async () => {
    await t.signet.status.revokeCertificate({ serial: serials.leaf, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    const [{ sun, bc }, nssResult] = await Promise.all([java(pems.leaf), nss(pems.leaf)]);
    expect(sun, 'Java PKIX').toMatch(/^fail index=0 reason=REVOKED/);
    expect(bc, 'BouncyCastle PKIX').toMatch(/^fail index=0 .*revoked/i);
    // libpkix names the trust anchor as the certificate at fault, whichever one was revoked: the verdict is what counts.
    expect(nssResult.out, 'NSS vfychain').toMatch(/ERROR -8180: Peer's Certificate has been revoked/);
    expect(nssResult.status).not.toBe(0);
  });

  it('all three reject a good leaf once the issuing CA is revoked and the root ceremony has signed that answer', { timeout: 180_000 }, async () => {
    await t.signet.status.revokeCertificate({ serial: h.issuing.serial, reason: 'cACompromise', channel: 'ra', requestedBy: 'operator:test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    const [{ sun, bc }, nssResult] = await Promise.all([java(pems.second), nss(pems.second)]);
    expect(sun, 'Java PKIX').toMatch(/^fail index=1 reason=REVOKED/);
    expect(bc, 'BouncyCastle PKIX').toMatch(/^fail index=1 .*revoked/i);
    // The leaf is good: only the root's pre-signed answer about the issuing CA can make NSS say revoked.
    expect(nssResult.out, 'NSS vfychain').toMatch(/ERROR -8180: Peer's Certificate has been revoked/);
    expect(nssResult.status).not.toBe(0);
  });
});
