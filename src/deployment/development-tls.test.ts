import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { developmentTls, listenerNames, listenerTlsFromEnv } from './development-tls.js';

afterAll(dropFreshStores);

/** GET over HTTPS trusting only the given root: the handshake fails unless the chain leads to it and names the host. */
function getTrusting(root: string, port: number, host: string): Promise<{ status: number; peer: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/healthz', ...(root ? { ca: root } : {}), servername: host === '127.0.0.1' ? undefined : host, rejectUnauthorized: true }, (res) => {
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, peer: peer.toLowerCase() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Issue 16 §6: in development the TLS listener's certificate comes from
 * Signet's own hierarchy (tls-server profile, issued and recorded like any
 * certificate), not a self-signed one; a client trusting the development root
 * verifies it at 127.0.0.1. Production refuses it.
 */
describe.each(storeBackends)('the development TLS listener on %s (issue 16 §6)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance | undefined;

  beforeAll(async () => {
    t = await openTestSignet(backend, { publicUrl: 'http://signet.test:8080' });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });

  afterAll(async () => {
    await app?.close();
    await t.signet.close();
  });

  it('issues the listener certificate from the issuing CA for the names the server is reached by, and a client trusting the root verifies it', async () => {
    const tls = await developmentTls(t.signet, t.config);
    expect(tls.created).toBe(true);
    const [leaf] = tls.cert.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    const certificate = new X509Certificate(leaf!);
    expect(certificate.checkIssued(new X509Certificate(h.issuing.der))).toBe(true);
    expect(certificate.issuer).not.toBe(certificate.subject);
    expect(certificate.subjectAltName).toContain('DNS:signet.test');
    expect(certificate.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(certificate.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.1');
    // Recorded like every certificate the CA signs.
    const [recorded] = await t.signet.ca.findCertificates({ serials: [tls.serial], limit: 1 });
    expect(recorded?.profileId).toBe('tls-server');

    app = await buildServer(t.signet, { logger: false, tls });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const root = new X509Certificate(h.root.der).toString();
    for (const host of ['127.0.0.1']) {
      const answer = await getTrusting(root, port, host);
      expect(answer.status, host).toBe(200);
      expect(answer.peer).toBe(certificate.serialNumber.toLowerCase());
    }
    // A client that trusts only the usual public roots refuses it: the anchor is Signet's development root.
    await expect(getTrusting('', port, '127.0.0.1').then(() => 'accepted', () => 'refused')).resolves.toBe('refused');
  }, 120_000);

  it('keeps the certificate across starts while it fits, and makes a new one when the names change', async () => {
    const first = await developmentTls(t.signet, t.config);
    const again = await developmentTls(t.signet, t.config);
    expect([again.created, again.serial, again.key.equals(first.key)]).toEqual([false, first.serial, true]);
    const moved = await developmentTls(t.signet, { ...t.config, publicUrl: 'https://other.test:8443' } as typeof t.config);
    expect(moved.created).toBe(true);
    expect(moved.serial).not.toBe(first.serial);
    expect(listenerNames({ publicUrl: 'https://[::1]:8443', host: '0.0.0.0' })).toEqual({ dns: [], ip: ['::1', '127.0.0.1'] });
  });

  it('is refused in production, next to certificate files, and for any other SIGNET_TLS value, in both languages', async () => {
    const refusal = async (run: Promise<unknown>) => run.then(() => null, (e: unknown) => (e instanceof SignetError ? [e.code, e.message] : String(e)));
    expect((await refusal(developmentTls(t.signet, { ...t.config, mode: 'production' } as typeof t.config)))?.[0]).toBe('deployment.tls-development-only');
    expect((await refusal(listenerTlsFromEnv(t.signet, t.config, { SIGNET_TLS: 'development', SIGNET_TLS_CERT_FILE: '/x.pem' })))?.[0]).toBe('deployment.tls-both');
    expect((await refusal(listenerTlsFromEnv(t.signet, t.config, { SIGNET_TLS: 'self-signed' })))?.[0]).toBe('deployment.tls-bad-mode');
    expect(await listenerTlsFromEnv(t.signet, t.config, {})).toBeNull();
    for (const code of ['deployment.tls-development-only', 'deployment.tls-both', 'deployment.tls-bad-mode'] as const) {
      const error = new SignetError(code, 400, { value: 'x' });
      expect(error.messageIn('zh-CN')).toMatch(/SIGNET_TLS/);
      expect(error.messageIn('en')).toMatch(/SIGNET_TLS/);
    }
  });
});
