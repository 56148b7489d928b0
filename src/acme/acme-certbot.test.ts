import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { namesOf, runClient, serialOf, verifyServerCertificate } from './test-support/acme-clients.js';
import { openAcmeFixture, type AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

/**
 * certbot (Debian's, EFF's client; nobody here wrote it) against Signet's ACME
 * door: RFC 8555 with External Account Binding, http-01 through certbot's own
 * standalone server, renewal and revocation; `openssl verify` judges the result.
 */
describe('certbot gets, renews and revokes a certificate over ACME with EAB (RFC 8555 §7.3.4, §8.3, §7.6)', () => {
  let f: AcmeFixture;
  const dirs = () => ['--config-dir', join(f.dir, 'cb-config'), '--work-dir', join(f.dir, 'cb-work'), '--logs-dir', join(f.dir, 'cb-logs')];
  const certbot = async (args: string[]) => {
    const run = await runClient('certbot', [...args, ...dirs(), '--non-interactive', '--server', f.directory]);
    if (run.ok) return run;
    let log = '';
    try {
      log = readFileSync(join(f.dir, 'cb-logs', 'letsencrypt.log'), 'utf8').slice(-4000);
    } catch {
      // no log yet
    }
    return { ...run, out: `${run.out}\n${log}` };
  };
  const certonly = (extra: string[] = []) =>
    certbot(['certonly', '--standalone', '--agree-tos', '-m', 'ops@example.com', '--http-01-address', '127.0.0.1', '--http-01-port', String(f.http01Port), '-d', 'www.example.com', '-d', 'shop.example.com', ...extra]);
  const live = (file: string) => join(f.dir, 'cb-config', 'live', 'www.example.com', file);

  beforeAll(async () => {
    f = await openAcmeFixture('sqlite');
  });
  afterAll(() => f?.close());

  it('is refused without an external account binding: externalAccountRequired, and no account is made', async () => {
    const result = await certonly();
    expect(result.ok).toBe(false);
    expect(result.out).toMatch(/externalAccountRequired|external account/i);
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toEqual([]);
  }, 300_000);

  it('is refused with a wrong HMAC key: unauthorized', async () => {
    const result = await certonly(['--eab-kid', f.binding.keyId, '--eab-hmac-key', Buffer.alloc(32, 7).toString('base64url')]);
    expect(result.ok).toBe(false);
    expect(result.out).toMatch(/unauthorized|MAC/i);
  }, 300_000);

  it('gets a certificate for two names with http-01; openssl verify accepts the chain it saved', async () => {
    const result = await certonly(['--eab-kid', f.binding.keyId, '--eab-hmac-key', f.binding.macKey]);
    expect(result.ok, result.out).toBe(true);
    const verify = verifyServerCertificate(f.rootPem, live('cert.pem'), live('chain.pem'));
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
    const text = namesOf(live('cert.pem'));
    expect(text).toContain('DNS:www.example.com');
    expect(text).toContain('DNS:shop.example.com');
  }, 300_000);

  it('renews (a new order, new validation, a new serial) and the renewal verifies too', async () => {
    const before = serialOf(live('cert.pem'));
    const result = await certbot(['renew', '--force-renewal', '--no-random-sleep-on-renew', '--http-01-port', String(f.http01Port), '--http-01-address', '127.0.0.1']);
    expect(result.ok, result.out).toBe(true);
    expect(serialOf(live('cert.pem'))).not.toBe(before);
    const verify = verifyServerCertificate(f.rootPem, live('cert.pem'), live('chain.pem'));
    expect(verify.status, verify.stderr).toBe(0);
  }, 300_000);

  it('revokes with the account key; the status domain then reports it revoked', async () => {
    const serial = serialOf(live('cert.pem'));
    const result = await certbot(['revoke', '--cert-path', live('cert.pem'), '--reason', 'superseded', '--no-delete-after-revoke']);
    expect(result.ok, result.out).toBe(true);
    const revocation = await f.t.signet.status.revocation(serial);
    expect(revocation?.reason).toBe('superseded');
  }, 300_000);
});
