import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLDistributionPoints, Certificate, IssuingDistributionPoint, id_ce_cRLDistributionPoints, id_ce_issuingDistributionPoint } from '@peculiar/asn1-x509';
import type { FastifyInstance } from 'fastify';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { crlPartitionOf, crlPartitionRange, crlPartitionUrl, crlShardKey, parseCrlPartitions } from '../ca/crl-partition.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { EvidenceService, verifyEvidencePackage } from '../evidence/evidence-report.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import type { PublishedCrl } from './crl-publisher.js';
import { readPublishedCrl, walkRevokedEntries } from './crl-reader.js';
import { seedRevocations, seededSerial, seededShard } from './test-support/bulk-revocations.js';

afterAll(dropFreshStores);

const PUBLIC_URL = 'http://127.0.0.1:8080';

/** The serials a CRL lists, by the frame walk evidence uses (a parse tree of 1,500 entries passes asn1js's node cap). */
function entriesOf(der: Uint8Array): string[] {
  const serials: string[] = [];
  walkRevokedEntries(readPublishedCrl(der), (serial) => {
    serials.push(serial.toString('hex').replace(/^(00)+(?=[0-9a-f])/, ''));
  });
  return serials;
}

function issuingDistributionPoint(der: Uint8Array): { critical: boolean; urls: string[] } | null {
  const extension = readPublishedCrl(der).extensions.find((e) => e.extnID === id_ce_issuingDistributionPoint);
  if (!extension) return null;
  const idp = AsnConvert.parse(extension.extnValue.buffer, IssuingDistributionPoint);
  return { critical: extension.critical, urls: (idp.distributionPoint?.fullName ?? []).map((n) => n.uniformResourceIdentifier ?? '') };
}

function crlDistributionPoints(der: Buffer): string[] {
  const parsed = AsnConvert.parse(der, Certificate);
  const extension = parsed.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_cRLDistributionPoints);
  if (!extension) return [];
  return AsnConvert.parse(extension.extnValue.buffer, CRLDistributionPoints).flatMap((p) => (p.distributionPoint?.fullName ?? []).map((n) => n.uniformResourceIdentifier ?? ''));
}

function spkiSha256(der: Buffer): string {
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

describe('partition arithmetic (src/ca/crl-partition.ts)', () => {
  it('every shard key falls in exactly one partition, the one crlPartitionOf names, for any count', () => {
    for (const count of [2, 3, 7, 16, 100, 4096]) {
      const ranges = Array.from({ length: count }, (_, i) => crlPartitionRange(i, count));
      // Contiguous and complete: each range starts where the previous ended, the first at 0000, the last unbounded.
      expect(ranges[0]!.from).toBe('0000');
      expect(ranges[count - 1]!.below).toBeNull();
      for (let i = 1; i < count; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.below);
      const misplaced: string[] = [];
      for (let key = 0; key < 0x10000; key++) {
        const hex = key.toString(16).padStart(4, '0');
        const index = crlPartitionOf(hex, count);
        const r = ranges[index]!;
        if (!(hex >= r.from && (r.below === null || hex < r.below))) misplaced.push(`${hex} in ${index}/${count}`);
      }
      expect(misplaced).toEqual([]);
    }
  });

  it('reads SIGNET_CRL_PARTITIONS and refuses what is not a count', () => {
    expect(parseCrlPartitions(undefined)).toEqual([]);
    expect(parseCrlPartitions('off')).toEqual([]);
    expect(parseCrlPartitions('32, 16')).toEqual([32, 16]);
    for (const bad of ['1', '0', 'x', '16,', '5000', '08']) expect(() => parseCrlPartitions(bad), bad).toThrow(/SIGNET_CRL_PARTITIONS/);
    expect(crlShardKey('AB12' + '0'.repeat(60))).toBe('ab12');
  });
});

describe.each(storeBackends)('partitioned CRLs (RFC 5280 §5.2.5, issue 22) on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  const leaves: Array<{ serial: string; der: Buffer; shard: string }> = [];
  const SEEDED = 1500;

  beforeAll(async () => {
    t = await openTestSignet(backend, { publicUrl: PUBLIC_URL, env: { SIGNET_CRL_PARTITIONS: '4,2' } });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-partitions-'));
    for (let i = 0; i < 6; i++) {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `leaf-${i}`);
      const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=partition ${i}`, subscriberId: `s${i}`, requestedBy: 'test', reason: 'test' });
      leaves.push({ serial: leaf.serial, der: leaf.der, shard: crlShardKey(spkiSha256(leaf.der)) });
    }
    for (const leaf of leaves.slice(0, 4)) {
      await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    }
    await seedRevocations(t.signet.store, h.issuing.caId, SEEDED, { revokedAt: new Date().toISOString(), notAfter: '2099-01-01T00:00:00.000Z' });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  it('a certificate of an issuing CA names the partition of its key (of the first count listed); the issuing CA\'s own certificate names the root\'s whole CRL', () => {
    for (const leaf of leaves) {
      expect(crlDistributionPoints(leaf.der)).toEqual([crlPartitionUrl(PUBLIC_URL, h.issuing.caId, 4, crlPartitionOf(leaf.shard, 4))]);
    }
    expect(crlDistributionPoints(Buffer.from(h.issuing.der))).toEqual([`${PUBLIC_URL}/crl/${h.root.caId}.crl`]);
  });

  it('the scheduler publishes the full CRL and every partition of every listed count; each revoked certificate is in exactly one partition per count, the one its certificate names', async () => {
    // The scheduler returns what it archived; the bytes are read back from the archive.
    const crls = t.signet.status.crls;
    const published = await Promise.all((await crls.publishDue('test', 3_600_000)).map(async (c) => (await crls.byNumber(c.issuerCaId, c.crlNumber))!));
    const full = published.find((c) => c.issuerCaId === h.issuing.caId && c.partition === null)!;
    const fullEntries = entriesOf(full.der);
    expect(fullEntries).toHaveLength(SEEDED + 4);
    expect(issuingDistributionPoint(full.der)).toBeNull();
    for (const count of [4, 2]) {
      const parts: PublishedCrl[] = published.filter((c) => c.partition?.count === count).sort((a, b) => a.partition!.index - b.partition!.index);
      expect(parts.map((c) => c.partition!.index)).toEqual(Array.from({ length: count }, (_, i) => i));
      const seen = new Map<string, number>();
      for (const part of parts) {
        expect(issuingDistributionPoint(part.der)).toEqual({ critical: true, urls: [crlPartitionUrl(PUBLIC_URL, h.issuing.caId, count, part.partition!.index)] });
        const entries = entriesOf(part.der);
        expect(part.entries).toBe(entries.length);
        for (const serial of entries) {
          expect(seen.has(serial), `${serial} twice`).toBe(false);
          seen.set(serial, part.partition!.index);
        }
      }
      // The partitions together are the full CRL, and no partition holds more than its share plus slack.
      expect([...seen.keys()].sort()).toEqual([...fullEntries].sort());
      for (const part of parts) expect(part.entries).toBeLessThan(((SEEDED + 4) / count) * 1.5);
      for (const leaf of leaves.slice(0, 4)) expect(seen.get(leaf.serial)).toBe(crlPartitionOf(leaf.shard, count));
      for (let i = 0; i < SEEDED; i += 97) expect(seen.get(seededSerial(i))).toBe(crlPartitionOf(seededShard(i), count));
      for (const leaf of leaves.slice(4)) expect(seen.has(leaf.serial)).toBe(false);
    }
    // Nothing is due a moment later: one grouped query per count found every partition fresh.
    expect(await t.signet.status.crls.publishDue('test', 3_600_000)).toEqual([]);
  });

  it('serves each partition at the URL its certificates name; other counts, indexes and the root are a precise 404 in both languages', async () => {
    const leaf = leaves[0]!;
    const url = crlPartitionUrl(PUBLIC_URL, h.issuing.caId, 4, crlPartitionOf(leaf.shard, 4));
    const served = await app.inject(new URL(url).pathname);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('application/pkix-crl');
    expect(entriesOf(served.rawPayload)).toContain(leaf.serial);
    expect(issuingDistributionPoint(served.rawPayload)?.urls).toEqual([url]);
    for (const path of [`/crl/${h.issuing.caId}/8/0.crl`, `/crl/${h.issuing.caId}/4/4.crl`, `/crl/${h.root.caId}/4/0.crl`]) {
      const refused = await app.inject({ url: path, headers: { 'accept-language': 'zh-CN' } });
      expect(refused.statusCode, path).toBe(404);
      expect(refused.body, path).toMatch(/分区 CRL/);
      const english = await app.inject({ url: path, headers: { 'accept-language': 'en' } });
      expect(english.body, path).toMatch(/publishes no partition CRL/);
    }
    expect((await app.inject(`/crl/${h.issuing.caId}/4/x.crl`)).statusCode).toBe(404);
    expect((await app.inject(`/crl/no-such-ca/4/0.crl`)).statusCode).toBe(404);
  });

  it('evidence (R14) embeds the partition the certificate names, small, and a partition that does not cover the certificate proves nothing', async () => {
    const at = new Date(t.signet.ca.now().getTime() + 1000);
    for (const leaf of [leaves[0]!, leaves[4]!]) {
      const url = crlPartitionUrl(PUBLIC_URL, h.issuing.caId, 4, crlPartitionOf(leaf.shard, 4));
      const made = await t.signet.evidence.produce({ serial: leaf.serial, at, requestedBy: 'test' });
      expect(made.manifest.crl).toMatchObject({ scope: url, covers: true, embedded: true, listed: leaf === leaves[0] });
      // About a quarter of the full list: the partition, not the full CRL.
      expect(made.manifest.crl!.bytes!).toBeLessThan(((SEEDED + 4) / 4) * 1.5 * 60);
      expect(made.detached).toEqual({});
      const check = made.manifest.checks.find((c) => c.id === 'crl')!;
      expect(check.ok).toBe(leaf !== leaves[0]);
      expect(check.text.en).toContain(url);
      expect(check.text['zh-CN']).toContain('分区 CRL');
      const verified = await verifyEvidencePackage(made.der, [h.root.der]);
      expect(verified.problems).toEqual([]);
      expect(verified.valid).toBe(true);
    }
    // A status source that hands over another partition: signed by the CA, but not the certificate's scope.
    const leaf = leaves[4]!;
    const other = (crlPartitionOf(leaf.shard, 4) + 1) % 4;
    const wrong = await t.signet.status.crls.partitionInForceAt(h.issuing.caId, { count: 4, index: other }, at);
    const status = { crlInForceAt: async () => wrong, revocation: (serial: string) => t.signet.status.revocation(serial) };
    const service = new EvidenceService(t.signet.ca, status as never, t.signet.tsa);
    const made = await service.produce({ serial: leaf.serial, at, requestedBy: 'test' });
    expect(made.manifest.crl).toMatchObject({ covers: false, scope: crlPartitionUrl(PUBLIC_URL, h.issuing.caId, 4, other) });
    expect(made.manifest.checks.find((c) => c.id === 'crl')!.ok).toBe(false);
    const verified = await verifyEvidencePackage(made.der, [h.root.der]);
    expect(verified.valid).toBe(false);
    expect(verified.problems.join('\n')).toMatch(/proves nothing about the certificate/);
  });

  it('partitions never stand in for the full CRL: the one in force for evidence (R14) and a delta\'s base are full CRLs', async () => {
    const inForce = await t.signet.status.crlInForceAt(h.issuing.caId, new Date(t.signet.ca.now().getTime() + 1000));
    expect(inForce?.partition).toBeNull();
    expect(entriesOf(inForce!.der)).toHaveLength(SEEDED + 4);
    expect((await t.signet.status.crls.latest(h.issuing.caId, 'full'))?.partition).toBeNull();
  });
});
