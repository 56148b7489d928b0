import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { openAcmeFixture, type AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

const run = promisify(execFile);

/**
 * certbot (Debian's, EFF's client; nobody here wrote it) against Signet's ACME
 * door: RFC 8555 with External Account Binding, http-01 through certbot's own
 * standalone server, renewal and revocation; `openssl verify` judges the result.
 */
describe('certbot gets, renews and revokes a certificate over ACME with EAB (RFC 8555 §7.3.4, §8.3, §7.6)', () => {
  let f: AcmeFixture;
  const dirs = () => ['--config-dir', join(f.dir, 'cb-config'), '--work-dir', join(f.dir, 'cb-work'), '--logs-dir', join(f.dir, 'cb-logs')];
  const certbot = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run('certbot', [...args, ...dirs(), '--non-interactive', '--server', f.directory], { timeout: 240_000 });
      return { ok: true, out: stdout + stderr };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      let log = '';
      try {
        log = readFileSync(join(f.dir, 'cb-logs', 'letsencrypt.log'), 'utf8').slice(-4000);
      } catch {
        // no log yet
      }
      return { ok: false, out: `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${log}` };
    }
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
    const verify = runTool('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', f.rootPem, '-untrusted', live('chain.pem'), live('cert.pem')]);
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
    const text = runTool('openssl', ['x509', '-in', live('cert.pem'), '-noout', '-ext', 'subjectAltName']).stdout;
    expect(text).toContain('DNS:www.example.com');
    expect(text).toContain('DNS:shop.example.com');
  }, 300_000);

  it('renews (a new order, new validation, a new serial) and the renewal verifies too', async () => {
    const before = runTool('openssl', ['x509', '-in', live('cert.pem'), '-noout', '-serial']).stdout;
    const result = await certbot(['renew', '--force-renewal', '--no-random-sleep-on-renew', '--http-01-port', String(f.http01Port), '--http-01-address', '127.0.0.1']);
    expect(result.ok, result.out).toBe(true);
    const after = runTool('openssl', ['x509', '-in', live('cert.pem'), '-noout', '-serial']).stdout;
    expect(after).not.toBe(before);
    const verify = runTool('openssl', ['verify', '-x509_strict', '-CAfile', f.rootPem, '-untrusted', live('chain.pem'), live('cert.pem')]);
    expect(verify.status, verify.stderr).toBe(0);
  }, 300_000);

  it('revokes with the account key; the status domain then reports it revoked', async () => {
    const serial = runTool('openssl', ['x509', '-in', live('cert.pem'), '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();
    const result = await certbot(['revoke', '--cert-path', live('cert.pem'), '--reason', 'superseded', '--no-delete-after-revoke']);
    expect(result.ok, result.out).toBe(true);
    const revocation = await f.t.signet.status.revocation(serial.replace(/^(00)+(?=..)/, ''));
    expect(revocation?.reason).toBe('superseded');
  }, 300_000);
});
