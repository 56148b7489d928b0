import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { namesOf, onBoth, openClientBench, runClient, serialOf, verifyServerCertificate, withSystemTrust, type AcmeServer, type ChallengeFiles, type ClientBench, type Pebble } from './test-support/acme-clients.js';
import type { AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

/**
 * acme-tiny (Debian's 200-line Python client; nobody here wrote it) has no
 * External Account Binding and no revocation. What it still proves:
 * - a client that cannot bind is refused by the server itself (acme-tiny does
 *   not read meta.externalAccountRequired, so the newAccount request reaches
 *   the server): externalAccountRequired from pebble and Signet alike, and no
 *   account at Signet;
 * - once its RSA account key has been bound by another client (uacme `-e`, as
 *   an operator would do once), newAccount returns that bound account (RFC 8555
 *   §7.3.1) and acme-tiny's order, http-01 and finalize work; run again, it
 *   renews;
 * - revocation by the certificate's own key (§7.6, the second way) with
 *   uacme, since acme-tiny cannot revoke.
 * On SQLite; refusal and issuance run against pebble (the reference) then Signet.
 */
describe('acme-tiny (no EAB of its own) is refused unbound, then gets and renews on a bound key; revoked by the certificate key (RFC 8555)', () => {
  let bench: ClientBench;
  let f: AcmeFixture;
  let pebble: Pebble;
  let signet: AcmeServer;
  let files: ChallengeFiles;
  let accountKey: string;
  let certKey: string;
  let csr: string;
  const saved = (s: AcmeServer) => join(f.dir, `acme-tiny-${s.name}.pem`);
  const acmeTiny = async (s: AcmeServer) => {
    const run = await runClient('acme-tiny', ['--account-key', accountKey, '--csr', csr, '--acme-dir', files.dir, '--disable-check', '--directory-url', s.directory], {
      // pebble's directory is HTTPS with the test's own certificate; Python's ssl reads SSL_CERT_FILE.
      env: s.tlsTrust ? { SSL_CERT_FILE: s.tlsTrust } : {},
    });
    if (run.ok) writeFileSync(saved(s), run.stdout);
    return run;
  };
  const uacme = (s: AcmeServer, confdir: string, args: string[]) => {
    const [command, withTrust] = withSystemTrust(s.tlsTrust, 'uacme', ['-y', '-c', confdir, '-a', s.directory, ...args]);
    return runClient(command, withTrust);
  };

  beforeAll(async () => {
    bench = await openClientBench('sqlite');
    ({ f, pebble, signet, files } = bench);
    accountKey = join(f.dir, 'account.key');
    certKey = join(f.dir, 'domain.key');
    csr = join(f.dir, 'domain.csr');
    // acme-tiny reads only RSA account keys (it parses `openssl rsa -text`).
    expect(runTool('openssl', ['genrsa', '-out', accountKey, '2048']).status).toBe(0);
    const made = runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', certKey, '-subj', '/CN=www.example.com', '-addext', 'subjectAltName=DNS:www.example.com,DNS:shop.example.com', '-out', csr]);
    expect(made.status, made.stderr).toBe(0);
  }, 120_000);
  afterAll(() => bench?.close());

  it('with no binding both servers refuse its newAccount: externalAccountRequired (RFC 8555 §7.3.4); Signet makes no account', async () => {
    const runs = await onBoth(pebble, signet, acmeTiny);
    for (const run of [runs.pebble, runs.signet]) {
      expect(run.ok, run.out).toBe(false);
      expect(run.out).toContain('urn:ietf:params:acme:error:externalAccountRequired');
    }
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toEqual([]);
  }, 300_000);

  it('on a key that uacme bound with EAB, acme-tiny gets the two-name certificate by http-01; openssl verify accepts each with its own root', async () => {
    const runs = await onBoth(pebble, signet, async (s) => {
      const confdir = join(f.dir, `bind-${s.name}`);
      mkdirSync(join(confdir, 'private'), { recursive: true });
      writeFileSync(join(confdir, 'private', 'key.pem'), runTool('openssl', ['pkey', '-in', accountKey]).stdout);
      const bound = await uacme(s, confdir, ['-e', `${s.eab.keyId}:${s.eab.macKey}`, 'new', 'ops@example.com']);
      if (!bound.ok) return bound;
      return acmeTiny(s);
    });
    expect(runs.pebble.ok, `pebble (the reference) failed too, so the client or the test is at fault:\n${runs.pebble.out}`).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    for (const s of [pebble, signet]) {
      // acme-tiny prints the leaf followed by the issuing CA.
      const verify = verifyServerCertificate(s.rootPem, saved(s));
      expect(verify.status, `${s.name}: ${verify.stderr}${verify.stdout}`).toBe(0);
      expect(namesOf(saved(s))).toContain('DNS:shop.example.com');
    }
    const accounts = await f.t.signet.store.db.selectFrom('acme_accounts' as never).select('binding_key_id' as never).execute();
    expect(accounts).toEqual([{ binding_key_id: f.binding.keyId }]);
  }, 300_000);

  it('renews by running again (a new order, a new serial) and the renewal verifies', async () => {
    const before = serialOf(saved(signet));
    const run = await acmeTiny(signet);
    expect(run.ok, run.out).toBe(true);
    expect(serialOf(saved(signet))).not.toBe(before);
    expect(verifyServerCertificate(signet.rootPem, saved(signet)).status).toBe(0);
  }, 300_000);

  it('is revoked by a request signed with the certificate key itself (uacme; RFC 8555 §7.6), reason keyCompromise', async () => {
    const serial = serialOf(saved(signet));
    const run = await uacme(signet, join(f.dir, 'revoke-by-key'), ['-r', '1', 'revoke', saved(signet), certKey]);
    expect(run.ok, run.out).toBe(true);
    expect(await signet.revocationReason(serial)).toBe('keyCompromise');
  }, 300_000);
});
