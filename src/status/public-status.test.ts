import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { toPem } from '../http/der.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('the public status query and operator revocation over HTTP on %s (R16, R7)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let leaf: { serial: string; der: Buffer };
  const operator = { authorization: 'Bearer test-admin-token' };

  beforeAll(async () => {
    t = await openTestSignet(backend);
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    dir = mkdtempSync(join(tmpdir(), 'signet-public-'));
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
    leaf = await t.signet.ca.issue({
      csr: csrPem,
      profileId: 'individual-signing',
      subject: 'CN=张三,serialNumber=110101199003074514',
      subscriberId: 'subscriber-with-a-phone-number',
      requestedBy: 'test',
      reason: 'test',
    });
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('by serial: status, validity, issuer and subject as in the certificate, and nothing else (R16)', async () => {
    const response = await app.inject(`/api/v1/status/${leaf.serial}`);
    expect(response.statusCode).toBe(200);
    const body = response.json() as Record<string, unknown>;
    expect(body).toMatchObject({ serial: leaf.serial, status: 'good' });
    expect(Object.keys(body).sort()).toEqual(['fingerprintSha256', 'issuer', 'notAfter', 'notBefore', 'serial', 'status', 'subject']);
    expect(String(body.subject)).toContain('CN=张三');
    expect(String(body.issuer)).toContain('签发 CA');
    expect(response.body).not.toContain('subscriber-with-a-phone-number');
    expect((await app.inject('/api/v1/status/5c00')).statusCode).toBe(404);
    expect((await app.inject('/api/v1/status/not-hex')).statusCode).toBe(400);
  });

  it('by upload: PEM, DER or JSON; a certificate we did not issue is not ours to speak about', async () => {
    const pem = await app.inject({ method: 'POST', url: '/api/v1/status', headers: { 'content-type': 'application/x-pem-file' }, payload: toPem('CERTIFICATE', leaf.der) });
    expect(pem.statusCode).toBe(200);
    expect(pem.json()).toMatchObject({ serial: leaf.serial, status: 'good' });
    const der = await app.inject({ method: 'POST', url: '/api/v1/status', headers: { 'content-type': 'application/pkix-cert' }, payload: leaf.der });
    expect(der.json()).toMatchObject({ serial: leaf.serial });
    const json = await app.inject({ method: 'POST', url: '/api/v1/status', payload: { certificate: leaf.der.toString('base64') } });
    expect(json.json()).toMatchObject({ serial: leaf.serial });

    const foreignKey = join(dir, 'foreign.key');
    const foreignCert = join(dir, 'foreign.pem');
    runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', foreignKey, '-subj', '/CN=someone else', '-out', foreignCert, '-days', '1']);
    const foreign = await app.inject({ method: 'POST', url: '/api/v1/status', headers: { 'content-type': 'application/x-pem-file' }, payload: readFileSync(foreignCert) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'status.not-ours' });
    const garbage = await app.inject({ method: 'POST', url: '/api/v1/status', headers: { 'content-type': 'application/pkix-cert' }, payload: Buffer.from('not a certificate') });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json()).toMatchObject({ code: 'status.bad-certificate' });
  });

  it('an operator revokes over the API; without the token nothing happens; the status query then says revoked', async () => {
    const url = `/api/v1/certificates/${leaf.serial}/revocation`;
    const anonymous = await app.inject({ method: 'POST', url, payload: { reason: 'keyCompromise' } });
    expect(anonymous.statusCode).toBe(401);
    expect(await t.signet.status.revocation(leaf.serial)).toBeNull();

    const noGround = await app.inject({ method: 'POST', url, headers: operator, payload: { channel: 'ca', reason: 'keyCompromise', justification: 'x' } });
    expect(noGround.statusCode).toBe(400);
    expect(noGround.json()).toMatchObject({ code: 'revocation.ground-required', field: 'ground' });

    const done = await app.inject({ method: 'POST', url, headers: operator, payload: { ground: 'use-in-crime', justification: '公安机关协查函 2026-17 号' } });
    expect(done.statusCode).toBe(201);
    expect(done.json()).toMatchObject({ serial: leaf.serial, reason: 'privilegeWithdrawn', ground: 'use-in-crime', channel: 'ca' });
    const again = await app.inject({ method: 'POST', url, headers: { ...operator, 'accept-language': 'zh-CN' }, payload: { reason: 'superseded' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('不可撤销');

    const status = (await app.inject(`/api/v1/status/${leaf.serial}`)).json() as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'revoked', reason: 'privilegeWithdrawn' });
    // The public answer never repeats the justification or who asked.
    expect(JSON.stringify(status)).not.toContain('公安');
    const rows = await statusDb(t.signet.store).selectFrom('revocations').selectAll().execute();
    expect(rows).toHaveLength(1);
  });

  it('operators publish a CRL on demand over the API', async () => {
    const anonymous = await app.inject({ method: 'POST', url: `/api/v1/crls/${h.issuing.caId}`, payload: {} });
    expect(anonymous.statusCode).toBe(401);
    const published = await app.inject({ method: 'POST', url: `/api/v1/crls/${h.issuing.caId}`, headers: operator, payload: { kind: 'full' } });
    expect(published.statusCode).toBe(201);
    expect(published.json()).toMatchObject({ issuerCaId: h.issuing.caId, kind: 'full', entries: 1 });
  });
});
