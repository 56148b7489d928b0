import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { runClient, serialOf, verifyServerCertificate } from './test-support/acme-clients.js';
import { openAcmeFixture, type AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

/**
 * lego (Debian's Go ACME client; nobody here wrote it) against Signet's ACME
 * door, on PostgreSQL: EAB, http-01 with lego's own server, renewal,
 * revocation; `openssl verify` judges what it saved.
 */
describe('lego gets, renews and revokes a certificate over ACME with EAB, on PostgreSQL (RFC 8555)', () => {
  let f: AcmeFixture;
  const lego = (args: string[], command: string[], domain = 'api.example.com') =>
    runClient('lego', ['--server', f.directory, '--path', join(f.dir, 'lego'), '--email', 'ops@example.com', '--accept-tos', '--domains', domain, ...args, ...command]);
  const http = () => ['--http', '--http.port', `127.0.0.1:${f.http01Port}`];
  const eab = () => ['--eab', '--kid', f.binding.keyId, '--hmac', f.binding.macKey];
  const saved = (file: string) => join(f.dir, 'lego', 'certificates', file);

  beforeAll(async () => {
    f = await openAcmeFixture('postgres');
  });
  afterAll(() => f?.close());

  it('without --eab it stops at the directory, which says an external account is required (meta.externalAccountRequired)', async () => {
    const result = await lego(http(), ['run']);
    expect(result.ok).toBe(false);
    expect(result.out).toContain('Server requires External Account Binding');
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toEqual([]);
  }, 300_000);

  it('gets a certificate with http-01; openssl verify accepts the bundle it saved', async () => {
    const result = await lego([...http(), ...eab()], ['run']);
    expect(result.ok, result.out).toBe(true);
    // lego's bundle: the leaf, then the issuing CA.
    const verify = verifyServerCertificate(f.rootPem, saved('api.example.com.crt'));
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
  }, 300_000);

  it('renews when fewer days are left than asked (a 30-day certificate, --days 45): a new serial that verifies', async () => {
    const before = serialOf(saved('api.example.com.crt'));
    // lego wants --eab whenever the directory requires it, even for an account it has.
    const result = await lego([...http(), ...eab()], ['renew', '--days', '45', '--no-random-sleep']);
    expect(result.ok, result.out).toBe(true);
    const after = serialOf(saved('api.example.com.crt'));
    expect(after).not.toBe(before);
    const verify = verifyServerCertificate(f.rootPem, saved('api.example.com.crt'));
    expect(verify.status, verify.stderr).toBe(0);
  }, 300_000);

  it('gets a certificate with tls-alpn-01 (RFC 8737) through lego\'s own TLS responder', async () => {
    const result = await lego(['--tls', '--tls.port', `127.0.0.1:${f.tlsAlpnPort}`, ...eab()], ['run'], 'shop.example.com');
    expect(result.ok, result.out).toBe(true);
    const verify = verifyServerCertificate(f.rootPem, saved('shop.example.com.crt'));
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
    const validated = await f.t.signet.store.db.selectFrom('acme_challenges' as never).select('type' as never).where('status' as never, '=', 'valid' as never).execute();
    expect(validated.map((c) => (c as { type: string }).type)).toContain('tls-alpn-01');
  }, 300_000);

  it('revokes (keyCompromise) and the status domain says so', async () => {
    const serial = serialOf(saved('api.example.com.crt'));
    const result = await lego(eab(), ['revoke', '--reason', '1', '--keep']);
    expect(result.ok, result.out).toBe(true);
    expect((await f.t.signet.status.revocation(serial))?.reason).toBe('keyCompromise');
  }, 300_000);
});
