import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { namesOf, onBoth, openClientBench, runClient, serialOf, verifyServerCertificate, type AcmeServer, type ChallengeFiles, type ClientBench, type Pebble } from './test-support/acme-clients.js';
import type { AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

/**
 * dehydrated (Debian's bash + curl + openssl client; nobody here wrote it),
 * http-01 files served by a plain web server, on PostgreSQL. Only the refusal
 * runs against pebble (the reference) as well: dehydrated parses JSON in bash,
 * hundreds of small processes a step, slow on a loaded machine, and pebble's
 * side of issuance, renewal and revocation is shown by uacme, acme-tiny and
 * acme-client. Covers: EAB (RFC 8555 §7.3.4),
 * issuance (§7.4, §8.3), renewal, revocation by the account (§7.6).
 */
describe('dehydrated gets, renews and revokes a certificate with EAB; refused alike by pebble and Signet without one (RFC 8555)', () => {
  let bench: ClientBench;
  let f: AcmeFixture;
  let pebble: Pebble;
  let signet: AcmeServer;
  let files: ChallengeFiles;
  const base = (s: AcmeServer) => join(f.dir, `dehydrated-${s.name}`);
  const cert = (s: AcmeServer) => join(base(s), 'certs', 'www.example.com', 'cert.pem');
  const chain = (s: AcmeServer) => join(base(s), 'certs', 'www.example.com', 'chain.pem');
  /** A dehydrated config file per server; with the binding or without. */
  const configure = (s: AcmeServer, withBinding: boolean) => {
    mkdirSync(base(s), { recursive: true });
    const lines = [
      `CA="${s.directory}"`,
      `BASEDIR="${base(s)}"`,
      `WELLKNOWN="${files.dir}"`,
      'CHALLENGETYPE="http-01"',
      'KEY_ALGO="prime256v1"',
      'KEYSIZE="2048"',
      'CONTACT_EMAIL="ops@example.com"',
      // pebble's directory is HTTPS with a certificate of the test's own.
      s.tlsTrust ? `CURL_OPTS="--cacert ${s.tlsTrust}"` : '',
      withBinding ? `EAB_KID="${s.eab.keyId}"\nEAB_HMAC_KEY="${s.eab.macKey}"` : '',
    ];
    writeFileSync(join(base(s), 'config'), `${lines.join('\n')}\n`);
  };
  const dehydrated = (s: AcmeServer, args: string[]) => runClient('dehydrated', ['--config', join(base(s), 'config'), ...args]);
  const issue = (s: AcmeServer, extra: string[] = []) => dehydrated(s, ['--cron', '--domain', 'www.example.com', '--domain', 'shop.example.com', ...extra]);

  beforeAll(async () => {
    bench = await openClientBench('postgres');
    ({ f, pebble, signet, files } = bench);
  }, 120_000);
  afterAll(() => bench?.close());

  it('without a binding both directories say externalAccountRequired, so dehydrated stops; Signet makes no account', async () => {
    const runs = await onBoth(pebble, signet, (s) => {
      configure(s, false);
      return dehydrated(s, ['--register', '--accept-terms']);
    });
    for (const run of [runs.pebble, runs.signet]) {
      expect(run.ok, run.out).toBe(false);
      expect(run.out).toContain('This CA requires an external account');
    }
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toEqual([]);
  }, 300_000);

  it('registers with the binding and gets a two-name certificate by http-01; openssl verify accepts it', async () => {
    configure(signet, true);
    const account = await dehydrated(signet, ['--register', '--accept-terms']);
    expect(account.ok, account.out).toBe(true);
    const run = await issue(signet);
    expect(run.ok, run.out).toBe(true);
    const verify = verifyServerCertificate(signet.rootPem, cert(signet), chain(signet));
    expect(verify.status, `${verify.stderr}${verify.stdout}`).toBe(0);
    expect(namesOf(cert(signet))).toContain('DNS:shop.example.com');
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toHaveLength(1);
  }, 300_000);

  it('renews (--force: a new order and a new serial) and the renewal verifies', async () => {
    const before = serialOf(cert(signet));
    const run = await issue(signet, ['--force']);
    expect(run.ok, run.out).toBe(true);
    expect(serialOf(cert(signet))).not.toBe(before);
    expect(verifyServerCertificate(signet.rootPem, cert(signet), chain(signet)).status).toBe(0);
  }, 300_000);

  it('revokes with the account key (dehydrated sends no reason: unspecified); the status domain then reports it revoked', async () => {
    const serial = serialOf(cert(signet));
    const run = await dehydrated(signet, ['--revoke', cert(signet)]);
    expect(run.ok, run.out).toBe(true);
    expect(await signet.revocationReason(serial)).toBe('unspecified');
  }, 300_000);
});
