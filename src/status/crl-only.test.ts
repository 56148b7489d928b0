import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { X509Certificate, createHash } from 'node:crypto';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { OCSPResponse, OCSPResponseStatus, BasicOCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { crlPartitionOf, crlPartitionUrl, crlShardKey } from '../ca/crl-partition.js';
import { openTestSignet, opensslRequest, runTool, writePem, TEST_PASSPHRASE, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { loadConfig } from '../config/settings.js';
import { SignetError } from '../i18n/signet-error.js';
import { openSignet, type Signet } from '../signet.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from '../http/server.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

const COUNT = 4;
const DAY_MS = 86_400_000;

function links(der: Buffer): { ocsp: string[]; caIssuers: string[]; crl: string[] } {
  const certificate = new x509.X509Certificate(der);
  const aia = certificate.getExtension(x509.AuthorityInfoAccessExtension);
  const dp = certificate.getExtension(x509.CRLDistributionPointsExtension);
  return {
    ocsp: (aia?.ocsp ?? []).map((n) => n.value),
    caIssuers: (aia?.caIssuers ?? []).map((n) => n.value),
    crl: (dp?.distributionPoints ?? []).flatMap((p) => p.distributionPoint?.fullName?.map((n) => n.uniformResourceIdentifier ?? '') ?? []),
  };
}

function partitionOf(der: Buffer): number {
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return crlPartitionOf(crlShardKey(createHash('sha256').update(spki).digest('hex')), COUNT);
}

function statusOf(der: Buffer): { responseStatus: number; certStatus?: string } {
  const response = AsnConvert.parse(der, OCSPResponse);
  if (response.responseStatus !== OCSPResponseStatus.successful) return { responseStatus: response.responseStatus };
  const single = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!;
  return { responseStatus: 0, certStatus: single.certStatus.good !== undefined ? 'good' : single.certStatus.revoked ? 'revoked' : 'unknown' };
}

function crlSerials(der: Buffer): string[] {
  const list = AsnConvert.parse(der, CertificateList);
  return (list.tbsCertList.revokedCertificates ?? []).map((e) => Buffer.from(e.userCertificate).toString('hex').replace(/^00/, ''));
}

/**
 * Issue 22 item 3: a CRL-only deployment (SIGNET_CRL_ONLY=on), as the field moved away from OCSP (CA/B Forum
 * SC063, BR 2.0.1: OCSP optional, CRLs required; Let's Encrypt ended OCSP in 2025). A deployment that ran with
 * OCSP first switches over: what it issued before keeps its answers until it expires, what it issues after
 * names only its CRL (partition), the responder says `unauthorized` (RFC 6960 §2.3) about it and signs nothing
 * ahead for it, and a revocation is on the CRLs it belongs on at the next scheduler round (BR §4.9.7).
 */
describe.each(storeBackends)('CRL-only mode on %s (issue 22, BR §4.9.7, RFC 6960 §2.3)', (backend) => {
  let now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let before: TestSignet;
  let signet: Signet;
  let h: Hierarchy;
  let dir: string;
  let issuingPem: string;
  const legacy = { serial: '', der: Buffer.alloc(0), pem: '' };
  const fresh = { serial: '', der: Buffer.alloc(0), pem: '' };
  const other = { serial: '', der: Buffer.alloc(0), pem: '' };

  const ask = async (...pems: string[]) => {
    const file = join(dir, `request-${Math.random().toString(36).slice(2)}.der`);
    const made = runTool('openssl', ['ocsp', '-issuer', issuingPem, ...pems.flatMap((p) => ['-cert', p]), '-no_nonce', '-reqout', file]);
    expect(made.status, made.stderr).toBe(0);
    return statusOf((await signet.status.ocsp.respond(readFileSync(file))).der);
  };
  const issue = async (s: Signet, name: string) => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', name);
    const issued = await s.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=${name}`, subscriberId: name, requestedBy: 'test', reason: 'test' });
    return { serial: issued.serial, der: issued.der, pem: writePem(dir, `${name}.pem`, issued.der) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-only-'));
    // The deployment as it ran before the switch: OCSP on, CRLs partitioned.
    before = await openTestSignet(backend, { clock: () => now, env: { SIGNET_CRL_PARTITIONS: String(COUNT) } });
    h = await createHierarchy(before.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
    Object.assign(legacy, await issue(before.signet, 'legacy'));
    expect(await before.signet.status.ocsp.presignCold()).toBeGreaterThan(0);
    await before.signet.close();
    // The same data folder and store, with SIGNET_CRL_ONLY=on.
    signet = await openSignet(
      loadConfig({
        SIGNET_DATA: before.dir,
        SIGNET_DATABASE_URL: before.config.databaseUrl,
        SIGNET_PUBLIC_URL: before.config.publicUrl,
        SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE,
        SIGNET_ADMIN_TOKEN: 'test-admin-token',
        SIGNET_LOG_LEVEL: 'silent',
        SIGNET_CRL_PARTITIONS: String(COUNT),
        SIGNET_CRL_ONLY: 'on',
      }),
      { clock: () => now },
    );
    Object.assign(fresh, await issue(signet, 'fresh'));
    Object.assign(other, await issue(signet, 'other'));
  }, 180_000);
  afterAll(async () => {
    await signet?.close();
  });

  it('a certificate issued in CRL-only mode names no OCSP responder, and always its CRL partition; one issued before still names /ocsp', () => {
    const base = before.config.publicUrl;
    for (const leaf of [fresh, other]) {
      const l = links(leaf.der);
      expect(l.ocsp, 'no id-ad-ocsp (BR §7.1.2.7.7 makes it optional)').toEqual([]);
      expect(l.caIssuers).toEqual([`${base}/ca/${h.issuing.caId}.crt`]);
      expect(l.crl).toEqual([crlPartitionUrl(base, h.issuing.caId, COUNT, partitionOf(leaf.der))]);
    }
    expect(links(legacy.der).ocsp).toEqual([`${base}/ocsp`]);
  });

  it('the responder answers for a certificate issued with its URL, and says unauthorized about one issued without, a serial never issued, or both at once', async () => {
    expect(await ask(legacy.pem)).toEqual({ responseStatus: 0, certStatus: 'good' });
    expect(await ask(fresh.pem)).toEqual({ responseStatus: OCSPResponseStatus.unauthorized });
    expect(await ask(legacy.pem, fresh.pem)).toEqual({ responseStatus: OCSPResponseStatus.unauthorized });
    // A serial this CA never issued: a CRL-only CA states nothing about it by OCSP (no "unknown" signed at will).
    const stranger = join(dir, 'stranger.pem');
    const made = runTool('openssl', ['ocsp', '-issuer', issuingPem, '-serial', '0x5c0102030405060708', '-no_nonce', '-reqout', `${stranger}.der`]);
    expect(made.status, made.stderr).toBe(0);
    expect(statusOf((await signet.status.ocsp.respond(readFileSync(`${stranger}.der`))).der)).toEqual({ responseStatus: OCSPResponseStatus.unauthorized });
  });

  it('signs nothing ahead and stores no answer about a certificate issued without the URL', async () => {
    expect(await signet.status.ocsp.presignCold()).toBe(0);
    const work = await signet.status.scheduledWork();
    expect(work?.presigned).toBe(0);
    const stored = await statusDb(signet.store).selectFrom('ocsp_responses').select('serial').execute();
    expect(stored.map((r) => r.serial)).toContain(legacy.serial);
    expect(stored.map((r) => r.serial)).not.toContain(fresh.serial);
    expect(stored.map((r) => r.serial)).not.toContain(other.serial);
  });

  it('a revocation is on the full CRL and on its own partition at the next round, and no other CRL is made again (BR §4.9.7)', async () => {
    await signet.status.crls.publishDue('test', 3_600_000);
    // Nothing revoked since: the round has nothing to do.
    expect(await signet.status.crls.publishDue('test', 3_600_000)).toEqual([]);
    now = new Date(now.getTime() + 60_000);
    await signet.status.revokeCertificate({ serial: fresh.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    const published = await signet.status.crls.publishDue('test', 3_600_000);
    const own = partitionOf(fresh.der);
    expect(published.map((c) => (c.partition ? `${c.partition.count}/${c.partition.index}` : c.kind)).sort()).toEqual([`${COUNT}/${own}`, 'full'].sort());
    // The scheduler returns what it archived; the bytes are read back from the archive.
    for (const crl of published) expect(crlSerials((await signet.status.crls.byNumber(crl.issuerCaId, crl.crlNumber))!.der)).toContain(fresh.serial);
    expect(await signet.status.crls.publishDue('test', 3_600_000)).toEqual([]);
  });

  it('serves CRLs with a max-age of at most one scheduler round, so HTTP caches ask again after a revocation, and names no OCSP URL for its CAs', async () => {
    const app = await buildServer(signet, { logger: false });
    try {
      const full = await app.inject({ method: 'GET', url: `/crl/${h.issuing.caId}.crl` });
      expect(full.statusCode).toBe(200);
      expect(full.headers['cache-control']).toBe('public, max-age=300, no-transform, must-revalidate');
      // What the public repository and status pages read to stop sending relying parties to /ocsp.
      const cas = (await app.inject({ method: 'GET', url: '/api/v1/cas' })).json<{ items: Array<{ ocspUrl: string | null }> }>();
      expect(cas.items.length).toBeGreaterThan(0);
      for (const ca of cas.items) expect(ca.ocspUrl).toBeNull();
    } finally {
      await app.close();
    }
  });

  it('keeps answering for the certificate issued with the URL until it expires, then says unauthorized', async () => {
    await signet.status.revokeCertificate({ serial: legacy.serial, reason: 'superseded', channel: 'ra', requestedBy: 'operator:test' });
    expect(await ask(legacy.pem)).toEqual({ responseStatus: 0, certStatus: 'revoked' });
    const notAfter = new x509.X509Certificate(legacy.der).notAfter.getTime();
    now = new Date(notAfter + 2 * DAY_MS);
    expect(await ask(legacy.pem)).toEqual({ responseStatus: OCSPResponseStatus.unauthorized });
    // The stored answers run out and go; nothing replaces them.
    await signet.status.scheduledWork();
    expect(await statusDb(signet.store).selectFrom('ocsp_responses').select('serial').execute()).toEqual([]);
  });
});

describe.each(storeBackends)('a deployment CRL-only from its first day on %s', (backend) => {
  let t: TestSignet;
  afterAll(async () => {
    await t?.signet.close();
  });

  it('its issuing CA certificate names no OCSP responder either, and the root ceremony signs no OCSP answer', async () => {
    t = await openTestSignet(backend, { env: { SIGNET_CRL_ONLY: 'on' } });
    const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    expect(links(h.issuing.der).ocsp).toEqual([]);
    expect(links(h.issuing.der).crl).toEqual([`${t.config.publicUrl}/crl/${h.root.caId}.crl`]);
    const ceremony = await t.signet.status.rootCeremony({ actor: 'test' });
    expect(ceremony.ocspResponses).toBe(0);
    expect(await t.signet.status.rootStatusHorizon(h.root.caId)).toMatchObject({ rootSigned: 0, ocspMissing: 0 });
  }, 120_000);
});

describe('SIGNET_CRL_ONLY', () => {
  it('is on or off; anything else is refused in both languages with the variable named', () => {
    expect(loadConfig({ SIGNET_DATA: tmpdir() }).crlOnly).toBe(false);
    expect(loadConfig({ SIGNET_DATA: tmpdir(), SIGNET_CRL_ONLY: 'on' }).crlOnly).toBe(true);
    expect(loadConfig({ SIGNET_DATA: tmpdir(), SIGNET_CRL_ONLY: 'off' }).crlOnly).toBe(false);
    let refusal: unknown;
    try {
      loadConfig({ SIGNET_DATA: tmpdir(), SIGNET_CRL_ONLY: 'yes' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SignetError);
    expect((refusal as SignetError).code).toBe('config.on-off-invalid');
    expect((refusal as SignetError).message).toMatch(/SIGNET_CRL_ONLY/);
  });
});
