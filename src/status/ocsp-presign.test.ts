import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OcspResponder } from './ocsp-responder.js';
import { statusDb } from './schema.js';

const statusIn = (der: Buffer) => {
  const single = AsnConvert.parse(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!;
  return single.certStatus.good !== undefined ? 'good' : single.certStatus.revoked ? 'revoked' : 'unknown';
};

afterAll(dropFreshStores);

/**
 * Issue 22: answers for certificates nobody has asked about yet are signed ahead by the lease holder (RFC 5019
 * §2.2 style), so a cold question is a lookup; and the table keeps about one answer per certificate still valid,
 * because answers past their nextUpdate are dropped.
 */
describe.each(storeBackends)('OCSP answers signed ahead for cold serials on %s (RFC 5019, issue 22)', (backend) => {
  let now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  const leaves: Array<{ serial: string; pem: string }> = [];
  const rows = () => statusDb(t.signet.store).selectFrom('ocsp_responses').select(['serial', 'status', 'der', 'next_update']).execute();

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-presign-'));
    for (let i = 0; i < 3; i++) {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `cold-${i}`);
      const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=cold ${i}`, subscriberId: `c${i}`, requestedBy: 'test', reason: 'test' });
      leaves.push({ serial: leaf.serial, pem: writePem(dir, `cold-${i}.pem`, leaf.der) });
    }
    await t.signet.status.revokeCertificate({ serial: leaves[2]!.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
  }, 120_000);
  afterAll(async () => {
    await t?.signet.close();
  });

  it('signs ahead for every valid certificate of a CA with a responder, within the round budget, and not again while fresh', async () => {
    expect(await rows()).toEqual([]);
    // A budget of 2 stops the round early; the next round goes on from there.
    expect(await t.signet.status.ocsp.presignCold(2)).toBe(2);
    expect(await t.signet.status.ocsp.presignCold(100)).toBeGreaterThanOrEqual(1);
    const stored = await rows();
    for (const leaf of leaves) expect(stored.map((r) => r.serial)).toContain(leaf.serial);
    expect(stored.find((r) => r.serial === leaves[2]!.serial)?.status).toBe('revoked');
    expect(stored.find((r) => r.serial === leaves[0]!.serial)?.status).toBe('good');
    expect(await t.signet.status.ocsp.presignCold(100)).toBe(0);
  });

  it('answers the first question about a serial (an RFC 5019 request from openssl ocsp) with the bytes signed ahead, not a new signature', async () => {
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const stored = await rows();
    for (const leaf of [leaves[0]!, leaves[2]!]) {
      const requestFile = join(dir, `req-${leaf.serial}.der`);
      const made = runTool('openssl', ['ocsp', '-issuer', issuing, '-cert', leaf.pem, '-no_nonce', '-reqout', requestFile]);
      expect(made.status, made.stderr).toBe(0);
      const reply = await t.signet.status.ocsp.respond(readFileSync(requestFile));
      expect(reply.der.equals(stored.find((r) => r.serial === leaf.serial)!.der), leaf.serial).toBe(true);
    }
  });

  it('answers cold questions that arrive together (one batched read on PostgreSQL) each with its own stored bytes', async () => {
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const stored = await rows();
    const requests = leaves.map((leaf) => {
      const requestFile = join(dir, `req-together-${leaf.serial}.der`);
      const made = runTool('openssl', ['ocsp', '-issuer', issuing, '-cert', leaf.pem, '-no_nonce', '-reqout', requestFile]);
      expect(made.status, made.stderr).toBe(0);
      return { serial: leaf.serial, request: readFileSync(requestFile) };
    });
    const node = new OcspResponder(t.signet.ca, {}, t.signet.signers);
    // Every leaf twice, interleaved, all before any answer: the same CertID twice in one batch gets the same row.
    const asked = [...requests, ...requests.slice().reverse()];
    const replies = await Promise.all(asked.map(({ request }) => node.respond(request)));
    replies.forEach((reply, i) => expect(reply.der.equals(stored.find((r) => r.serial === asked[i]!.serial)!.der), asked[i]!.serial).toBe(true));
    expect(statusIn(replies[2]!.der)).toBe('revoked');
  });

  it('keeps a stored answer in memory only from the second question about its CertID on, and answers "revoked" at once after a revocation in between (R7)', async () => {
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const leaf = leaves[0]!;
    const requestFile = join(dir, `req-admit-${leaf.serial}.der`);
    const made = runTool('openssl', ['ocsp', '-issuer', issuing, '-cert', leaf.pem, '-no_nonce', '-reqout', requestFile]);
    expect(made.status, made.stderr).toBe(0);
    const request = readFileSync(requestFile);
    const storedGood = (await rows()).find((r) => r.serial === leaf.serial)!;
    // A node with nothing in memory: the first question is served from the store and not kept (issue 22).
    const node = new OcspResponder(t.signet.ca, {}, t.signet.signers);
    const first = await node.respond(request);
    expect(first.der.equals(storedGood.der)).toBe(true);
    expect(first.cache?.etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(node.cacheStats()).toMatchObject({ responses: 0, firstSights: 1 });
    // The second is kept, the third is a memory hit: the same bytes each time.
    expect((await node.respond(request)).der.equals(storedGood.der)).toBe(true);
    expect(node.cacheStats()).toMatchObject({ responses: 1, firstSights: 1, hits: 0 });
    expect((await node.respond(request)).der.equals(storedGood.der)).toBe(true);
    expect(node.cacheStats()).toMatchObject({ responses: 1, hits: 1 });

    // Another node asked once (nothing kept), then the certificate is revoked and the stored "good" put back as a
    // late writer would: its next answer is "revoked", never the bytes it served before.
    const other = new OcspResponder(t.signet.ca, {}, t.signet.signers);
    expect(statusIn((await other.respond(request)).der)).toBe('good');
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'superseded', channel: 'ra', requestedBy: 'operator:test' });
    await statusDb(t.signet.store).updateTable('ocsp_responses').set({ status: 'good', der: storedGood.der }).where('serial', '=', leaf.serial).execute();
    expect(statusIn((await other.respond(request)).der)).toBe('revoked');
    // The node that kept the "good" learns of it from its look at the revocations (revocationPollMs) or the listener.
    await node.syncRevocations();
    expect(statusIn((await node.respond(request)).der)).toBe('revoked');
  });

  it('finds a stored answer by its CertID through the store\'s one-row read, never a stored "good" after a revocation, and a revocation replaces the stored "good" (R7)', async () => {
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const leaf = leaves[1]!;
    const requestFile = join(dir, `req-replace-${leaf.serial}.der`);
    const made = runTool('openssl', ['ocsp', '-issuer', issuing, '-cert', leaf.pem, '-no_nonce', '-reqout', requestFile]);
    expect(made.status, made.stderr).toBe(0);
    const request = readFileSync(requestFile);
    const storedGood = (await rows()).find((r) => r.serial === leaf.serial)!;
    expect(storedGood.status).toBe('good');
    // A node with nothing in memory (a second server over the same store) answers with the stored bytes.
    const fresh = () => new OcspResponder(t.signet.ca, {}, t.signet.signers);
    expect((await fresh().respond(request)).der.equals(storedGood.der)).toBe(true);

    // Revoked through the service: the responder's listener replaces the stored answer with a signed "revoked".
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    const replaced = (await rows()).filter((r) => r.serial === leaf.serial);
    expect(replaced.map((r) => r.status)).toEqual(['revoked']);
    const afterRevocation = await fresh().respond(request);
    expect(statusIn(afterRevocation.der)).toBe('revoked');
    expect(afterRevocation.der.equals(replaced[0]!.der)).toBe(true);

    // A node that stored its "good" just before it learnt of the revocation (the row put back as it was): a cold
    // question on any node still gets "revoked", never those stored bytes.
    await statusDb(t.signet.store).updateTable('ocsp_responses').set({ status: 'good', der: storedGood.der }).where('serial', '=', leaf.serial).execute();
    const late = await fresh().respond(request);
    expect(late.der.equals(storedGood.der)).toBe(false);
    expect(statusIn(late.der)).toBe('revoked');
  });

  it('drops answers past their nextUpdate (the table does not keep one per serial ever asked), and the next round signs them afresh', async () => {
    const before = (await rows()).length;
    now = new Date(now.getTime() + 2 * 24 * 3_600_000);
    expect(await t.signet.status.ocsp.pruneStale()).toBe(before);
    expect(await rows()).toEqual([]);
    expect(await t.signet.status.ocsp.refreshStale()).toBe(0);
    expect(await t.signet.status.ocsp.presignCold(100)).toBe(before);
    for (const row of await rows()) expect(new Date(row.next_update).getTime()).toBeGreaterThan(now.getTime());
  });
});
