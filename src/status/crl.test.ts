import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { toPem } from '../http/der.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('CRLs on %s (RFC 5280 §5, R7, R14)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let app: FastifyInstance;
  let chainPem: string;
  let rootPem: string;
  // Close to the real time: OpenSSL checks CRL times against its own clock.
  let now = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));

  beforeAll(async () => {
    // With deltas (opt-in, test/interop/delta-crl-hazard.test.ts has the default): this file covers both kinds.
    t = await openTestSignet(backend, { clock: () => now, env: { SIGNET_DELTA_CRLS: 'on' } });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-'));
    app = await buildServer(t.signet, { logger: false });
    rootPem = writePem(dir, 'root.pem', h.root.der);
    chainPem = writePem(dir, 'chain.pem', h.issuing.der, h.root.der);
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  let counter = 0;
  async function issueLeaf() {
    counter += 1;
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `leaf-${counter}`);
    return t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=crl leaf ${counter}`, subscriberId: `s${counter}`, requestedBy: 'test', reason: 'test' });
  }
  function crlText(der: Buffer, caFile = chainPem) {
    const file = join(dir, `crl-${Math.random().toString(16).slice(2)}.der`);
    writeFileSync(file, der);
    return runTool('openssl', ['crl', '-inform', 'DER', '-in', file, '-CAfile', caFile, '-noout', '-text']);
  }

  it('publishes a full CRL of the issuing CA that OpenSSL verifies, with number, AKI, reasons and invalidity dates', async () => {
    const compromised = await issueLeaf();
    const retired = await issueLeaf();
    const vague = await issueLeaf();
    advance(1000);
    const invalidityDate = new Date(now.getTime() - 86_400_000);
    await t.signet.status.revokeCertificate({ serial: compromised.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:1', invalidityDate });
    await t.signet.status.revokeCertificate({ serial: retired.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'subscriber:2' });
    await t.signet.status.revokeCertificate({ serial: vague.serial, ground: 'other-legal-grounds', channel: 'ca', requestedBy: 'operator:a', justification: '法院裁定' });
    advance(1000);

    const crl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    expect(crl).toMatchObject({ kind: 'full', crlNumber: 1, entries: 3, baseCrlNumber: null });
    const out = crlText(crl.der);
    expect(out.stderr).toContain('verify OK');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/X509v3 CRL Number:\s+1\b/);
    expect(out.stdout).toContain('X509v3 Authority Key Identifier');
    expect(out.stdout).toContain('X509v3 Freshest CRL');
    expect(out.stdout).toContain(`Serial Number: ${compromised.serial.toUpperCase()}`);
    expect(out.stdout).toContain('Key Compromise');
    expect(out.stdout).toContain('Cessation Of Operation');
    expect(out.stdout).toContain('Invalidity Date');
    // unspecified is left out of the entry (RFC 5280 §5.3.1), so exactly two reason codes appear.
    expect(out.stdout.match(/X509v3 CRL Reason Code/g)).toHaveLength(2);
    expect(crl.nextUpdate).toBe(new Date(new Date(crl.thisUpdate).getTime() + 24 * 3_600_000).toISOString());
  });

  it('publishes a delta CRL with a critical deltaCRLIndicator naming its base, listing only what was revoked since', async () => {
    const base = await t.signet.status.crls.latestSummary(h.issuing.caId, 'full');
    advance(1000);
    const later = await issueLeaf();
    await t.signet.status.revokeCertificate({ serial: later.serial, reason: 'superseded', channel: 'ra', requestedBy: 'ra:1' });
    advance(1000);
    const delta = await t.signet.status.crls.publish(h.issuing.caId, 'delta', 'test');
    expect(delta).toMatchObject({ kind: 'delta', crlNumber: base!.crlNumber + 1, baseCrlNumber: base!.crlNumber, entries: 1 });
    const out = crlText(delta.der);
    expect(out.stderr).toContain('verify OK');
    expect(out.stdout).toMatch(/X509v3 Delta CRL Indicator: critical\s+1\b/);
    expect(out.stdout).toContain(`Serial Number: ${later.serial.toUpperCase()}`);
    expect(out.stdout.match(/Serial Number:/g)).toHaveLength(1);
  });

  it('the root CA\'s CRL comes from its ceremony only (the root stays offline), covers issuing CA certificates, is verified by OpenSSL', async () => {
    await expect(t.signet.status.crls.publish(h.root.caId, 'full', 'test')).rejects.toMatchObject({ code: 'crl.root-offline', status: 409 });
    const { crl } = await t.signet.status.rootCeremony({ actor: 'test', nextUpdateDays: 365 });
    const out = crlText((await t.signet.status.crls.latest(h.root.caId, 'full'))!.der, rootPem);
    expect(out.stderr).toContain('verify OK');
    expect(out.stdout).toContain('No Revoked Certificates');
    expect(crl.nextUpdate).toBe(new Date(new Date(crl.thisUpdate).getTime() + 365 * 24 * 3_600_000).toISOString());
    await expect(t.signet.status.rootCeremony({ actor: 'test', nextUpdateDays: 400 })).rejects.toMatchObject({ code: 'root.ceremony-bad-days', status: 400 });
  });

  it('openssl verify -crl_check fails for a revoked leaf and passes for a good one (R7)', async () => {
    const good = await issueLeaf();
    const bad = await issueLeaf();
    advance(1000);
    await t.signet.status.revokeCertificate({ serial: bad.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:x' });
    advance(1000);
    const issuingCrl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    const rootCrl = await t.signet.status.crls.latest(h.root.caId, 'full');
    const crlFile = join(dir, 'crls.pem');
    writeFileSync(crlFile, toPem('X509 CRL', issuingCrl.der) + toPem('X509 CRL', rootCrl!.der));
    const verify = (leafDer: Buffer) =>
      runTool('openssl', ['verify', '-crl_check_all', '-CRLfile', crlFile, '-CAfile', rootPem, '-untrusted', writePem(dir, 'issuing.pem', h.issuing.der), writePem(dir, 'leaf.pem', leafDer)]);
    const revoked = verify(bad.der);
    expect(revoked.status).not.toBe(0);
    expect(revoked.stdout + revoked.stderr).toContain('certificate revoked');
    const ok = verify(good.der);
    expect(ok.stdout + ok.stderr).toContain(': OK');
  });

  it('serves the current CRL and delta at the distribution point with the pkix-crl type and cache headers until nextUpdate', async () => {
    const full = await app.inject(`/crl/${h.issuing.caId}.crl`);
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toBe('application/pkix-crl');
    const latest = await t.signet.status.crls.latest(h.issuing.caId, 'full');
    expect(full.rawPayload.equals(latest!.der)).toBe(true);
    const maxAge = Number(/max-age=(\d+)/.exec(String(full.headers['cache-control']))![1]);
    expect(maxAge).toBe((new Date(latest!.nextUpdate).getTime() - now.getTime()) / 1000);
    expect(full.headers.expires).toBe(new Date(latest!.nextUpdate).toUTCString());
    const delta = await app.inject(`/crl/${h.issuing.caId}-delta.crl`);
    expect(delta.statusCode).toBe(200);
    expect(crlText(delta.rawPayload).stdout).toContain('Delta CRL Indicator');
    const rootBefore = await t.signet.status.crls.latestSummary(h.root.caId, 'full');
    expect((await app.inject(`/crl/${h.root.caId}.crl`)).statusCode).toBe(200);
    // Even when stale, the root's CRL is served as the ceremony signed it: no running server signs with the root key.
    const saved = now;
    now = new Date(new Date(rootBefore!.nextUpdate).getTime() + 1000);
    try {
      const stale = await app.inject(`/crl/${h.root.caId}.crl`);
      expect(stale.statusCode).toBe(200);
      expect((await t.signet.status.crls.latestSummary(h.root.caId, 'full'))!.crlNumber).toBe(rootBefore!.crlNumber);
    } finally {
      now = saved;
    }
    expect((await app.inject('/crl/nobody.crl')).statusCode).toBe(404);
    expect((await app.inject(`/crl/${h.root.caId}-delta.crl`)).statusCode).toBe(404);
  });

  it('a stale CRL is replaced on the next download, with the next number (published on demand)', async () => {
    const before = await t.signet.status.crls.latestSummary(h.issuing.caId, 'full');
    advance(25 * 3_600_000);
    const response = await app.inject(`/crl/${h.issuing.caId}.crl`);
    const after = await t.signet.status.crls.latestSummary(h.issuing.caId, 'full');
    expect(after!.crlNumber).toBeGreaterThan(before!.crlNumber);
    expect(response.rawPayload.equals((await t.signet.status.crls.latest(h.issuing.caId, 'full'))!.der)).toBe(true);
  });

  it('keeps every CRL ever published, bytes untouched, and finds the one in force at a given time (R14)', async () => {
    const history = await t.signet.status.crls.history(h.issuing.caId);
    const numbers = history.map((c) => c.crlNumber);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const summary of history) {
      const archived = await t.signet.status.crls.byNumber(h.issuing.caId, summary.crlNumber);
      expect(crlText(archived!.der).stderr).toContain('verify OK');
      const fulls = history.filter((c) => c.kind === 'full');
      if (summary.kind !== 'full') continue;
      const next = fulls.find((c) => c.thisUpdate > summary.thisUpdate);
      const probe = next ? new Date(new Date(next.thisUpdate).getTime() - 1) : new Date(summary.thisUpdate);
      const inForce = await t.signet.status.crlInForceAt(h.issuing.caId, probe);
      expect(inForce?.crlNumber).toBe(fulls.filter((c) => c.thisUpdate <= probe.toISOString()).at(-1)!.crlNumber);
    }
    expect(await t.signet.status.crlInForceAt(h.issuing.caId, new Date('2000-01-01T00:00:00Z'))).toBeNull();

    const first = history[0]!;
    const byTime = await app.inject(`/api/v1/crls/${h.issuing.caId}?at=${encodeURIComponent(first.thisUpdate)}`);
    expect(byTime.statusCode).toBe(200);
    expect(byTime.headers['x-crl-number']).toBe(String(first.crlNumber));
    expect((await app.inject(`/api/v1/crls/${h.issuing.caId}?at=yesterday`)).statusCode).toBe(400);
  });

  it('the database refuses to rewrite or delete an archived CRL, and two CRLs can never share a number', async () => {
    const db = statusDb(t.signet.store);
    const latest = (await t.signet.status.crls.latest(h.issuing.caId, 'full'))!;
    await expect(db.updateTable('crl_archive').set({ der: Buffer.from([0]) }).where('id', '=', latest.id).execute()).rejects.toThrow(/unchanged/);
    await expect(db.deleteFrom('crl_archive').where('id', '=', latest.id).execute()).rejects.toThrow(/unchanged/);
    if (backend === 'postgres') await expect(sql`truncate crl_archive`.execute(db)).rejects.toThrow(/unchanged/);
    await expect(
      db.insertInto('crl_archive').values({ ...(await db.selectFrom('crl_archive').selectAll().where('id', '=', latest.id).executeTakeFirstOrThrow()), id: 'another-node' }).execute(),
    ).rejects.toThrow(/unique|duplicate/i);
  });

  it('the root CA\'s CRL lists a revoked issuing CA certificate with cACompromise', async () => {
    advance(1000);
    await t.signet.status.revokeCertificate({ serial: h.issuing.serial, reason: 'cACompromise', channel: 'ra', requestedBy: 'operator:alice' });
    advance(1000);
    const { crl } = await t.signet.status.rootCeremony({ actor: 'test' });
    const out = crlText((await t.signet.status.crls.byNumber(h.root.caId, crl.crlNumber))!.der, rootPem);
    expect(out.stderr).toContain('verify OK');
    expect(out.stdout).toContain(`Serial Number: ${h.issuing.serial.toUpperCase()}`);
    expect(out.stdout).toContain('CA Compromise');
  });
});
