import type { FastifyInstance } from 'fastify';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, runTool, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer, tlsFrom } from './server.js';

afterAll(dropFreshStores);

function get(port: number, path: string, ca: Buffer): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost' }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    call.on('error', reject);
    call.end();
  });
}

describe('SIGNET_TLS_CERT_FILE / SIGNET_TLS_KEY_FILE (issue 16 §7)', () => {
  it('takes both or neither', () => {
    expect(tlsFrom({})).toBeNull();
    expect(() => tlsFrom({ SIGNET_TLS_CERT_FILE: '/nonexistent.pem' })).toThrow('SIGNET_TLS_CERT_FILE ("/nonexistent.pem") is set without SIGNET_TLS_KEY_FILE: the TLS certificate and key files are given together, or neither');
    expect(() => tlsFrom({ SIGNET_TLS_CERT_FILE: '/nonexistent.pem', SIGNET_TLS_KEY_FILE: '/nonexistent.key' })).toThrow(/ENOENT/);
  });
});

/** Issue 16 §7: TLS on the listener from PEM files; HSTS on every answer over TLS, and never over plain HTTP (RFC 6797 §7.2). */
describe.each(storeBackends)('TLS on the listener on %s (issue 16 §7)', (backend) => {
  let t: TestSignet;
  let tlsApp: FastifyInstance;
  let plain: FastifyInstance;
  let cert: Buffer;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    const certFile = join(t.dir, 'tls.pem');
    const keyFile = join(t.dir, 'tls.key');
    runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=DNS:localhost']);
    cert = readFileSync(certFile);
    tlsApp = await buildServer(t.signet, { logger: false, tls: tlsFrom({ SIGNET_TLS_CERT_FILE: certFile, SIGNET_TLS_KEY_FILE: keyFile }) });
    await tlsApp.listen({ host: '127.0.0.1', port: 0 });
    plain = await buildServer(t.signet, { logger: false, tls: null });
  });

  afterAll(async () => {
    await tlsApp.close();
    await plain.close();
    await t.signet.close();
  });

  it('serves over TLS with Strict-Transport-Security on pages and API answers alike', async () => {
    const address = tlsApp.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    for (const path of ['/healthz', '/cps', '/api/v1/nothing-here']) {
      const answer = await get(port, path, cert);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.headers['strict-transport-security'], path).toBe('max-age=31536000');
    }
  });

  it('sends no HSTS over plain HTTP', async () => {
    const answer = await plain.inject({ url: '/healthz' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['strict-transport-security']).toBeUndefined();
  });
});
