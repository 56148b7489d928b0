/**
 * Test support for the ACME door: a Signet with a hierarchy, an RA, an
 * enterprise subscriber the RA verified and an External Account Binding for
 * it, served over HTTP on a free loopback port; the http-01 validator looks
 * the test's names up as 127.0.0.1 on a port the test chooses.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createHierarchy } from '../../ca/hierarchy.js';
import { openTestSignet, writePem, type TestSignet } from '../../ca/test-support/ca-fixture.js';
import { buildServer } from '../../http/server.js';
import { bootstrapPrincipal, type Principal } from '../../ra/roles.js';
import type { StoreBackendName } from '../../store/test-support/store-backends.js';
import type { IssuedBinding } from '../bindings.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface AcmeFixture {
  t: TestSignet;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  base: string;
  directory: string;
  dir: string;
  rootPem: string;
  issuingPem: string;
  officer: Principal;
  subscriberId: string;
  /** A binding for example.com and every name under it. */
  binding: IssuedBinding;
  /** Where the http-01 validator connects (the client's standalone server listens there). */
  http01Port: number;
  /** Where the tls-alpn-01 validator connects. */
  tlsAlpnPort: number;
  close(): Promise<void>;
}

export const ENTERPRISE = {
  type: 'enterprise',
  name: '示例科技有限公司',
  uscc: '91350100M000100Y43',
  legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
  agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
};

/** Names the validator resolves to 127.0.0.1. */
export const TEST_NAMES = ['example.com', 'www.example.com', 'shop.example.com', 'api.example.com', 'other.example.net'];

/**
 * `http01Port`: a port the caller already listens on (its http-01 responder). A port only looked up free would be
 * free until it is bound, and other test files' connections take ports from the same range meanwhile (EADDRINUSE).
 */
export async function openAcmeFixture(backend: StoreBackendName, options: { env?: Record<string, string>; http01Port?: number } = {}): Promise<AcmeFixture> {
  const http01Port = options.http01Port ?? (await freePort());
  const tlsAlpnPort = await freePort();
  const t = await openTestSignet(backend, { acmeNetwork: { http01Port, tlsAlpnPort, hosts: Object.fromEntries(TEST_NAMES.map((n) => [n, '127.0.0.1'])), timeoutMs: 20_000 }, env: options.env });
  const dir = mkdtempSync(join(tmpdir(), 'signet-acme-'));
  const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  const rootPem = writePem(dir, 'root.pem', h.root.der);
  const issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
  await t.signet.ra.agreements.publish({ id: 'v1', title: '数字证书服务协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
  const ra = await t.signet.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '北京注册机构' });
  const officer: Principal = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'cli' };
  const subscriber = await t.signet.ra.subscribers.register(officer, { record: ENTERPRISE, consent: { agreementVersion: 'v1', accepted: true } }, '192.0.2.1');
  const binding = await t.signet.acme.bindings.issue(officer, { subscriberId: subscriber.id, identifiers: ['*.example.com'], validityDays: 30 });
  const app = await buildServer(t.signet, { logger: false, rateLimits: false, tls: null });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    t,
    app,
    base,
    directory: `${base}/acme/directory`,
    dir,
    rootPem,
    issuingPem,
    officer,
    subscriberId: subscriber.id,
    binding,
    http01Port,
    tlsAlpnPort,
    close: async () => {
      await app.close();
      await t.signet.close();
    },
  };
}
