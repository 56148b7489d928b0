import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { onBoth, openClientBench, runClient, serialOf, verifyServerCertificate, withSystemTrust, type AcmeServer, type ChallengeFiles, type ClientBench, type Pebble } from './test-support/acme-clients.js';
import type { AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

/**
 * uacme (Debian's C client; nobody here wrote it) with its own shipped http-01
 * hook (/usr/share/uacme/uacme.sh, writing files a plain web server serves),
 * each step run against pebble (the reference) and then Signet, on SQLite:
 * EAB (RFC 8555 §7.3.4), issuance (§7.4, §8.3), renewal, revocation (§7.6).
 */
describe('uacme gets, renews and revokes a certificate with EAB, against pebble and Signet alike (RFC 8555)', () => {
  let bench: ClientBench;
  let f: AcmeFixture;
  let pebble: Pebble;
  let signet: AcmeServer;
  let files: ChallengeFiles;
  const confdir = (s: AcmeServer) => join(f.dir, `uacme-${s.name}`);
  const cert = (s: AcmeServer) => join(confdir(s), 'www.example.com', 'cert.pem');
  const uacme = (s: AcmeServer, args: string[]) => {
    const [command, withTrust] = withSystemTrust(s.tlsTrust, 'uacme', ['-v', '-y', '-t', 'EC', '-c', confdir(s), '-a', s.directory, '-h', '/usr/share/uacme/uacme.sh', ...args]);
    return runClient(command, withTrust, { env: { UACME_CHALLENGE_PATH: files.dir } });
  };
  const eab = (s: AcmeServer) => ['-e', `${s.eab.keyId}:${s.eab.macKey}`];

  beforeAll(async () => {
    bench = await openClientBench('sqlite');
    ({ f, pebble, signet, files } = bench);
  }, 120_000);
  afterAll(() => bench?.close());

  it('without a binding both directories say externalAccountRequired, so uacme stops; Signet makes no account', async () => {
    const runs = await onBoth(pebble, signet, (s) => uacme(s, ['new', 'ops@example.com']));
    for (const run of [runs.pebble, runs.signet]) {
      expect(run.ok, run.out).toBe(false);
      // uacme reads meta.externalAccountRequired in the directory (RFC 8555 §7.1.1) and stops before asking.
      expect(run.out).toContain('this ACME server requires external credentials');
    }
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toEqual([]);
  }, 300_000);

  it('registers with the binding and gets a two-name certificate by http-01; openssl verify accepts each with its own root', async () => {
    const runs = await onBoth(pebble, signet, async (s) => {
      const account = await uacme(s, [...eab(s), 'new', 'ops@example.com']);
      if (!account.ok) return account;
      return uacme(s, ['issue', 'www.example.com', 'shop.example.com']);
    });
    expect(runs.pebble.ok, `pebble (the reference) failed too, so the client or the test is at fault:\n${runs.pebble.out}`).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    for (const s of [pebble, signet]) {
      // uacme saves the leaf followed by the issuing CA.
      const verify = verifyServerCertificate(s.rootPem, cert(s));
      expect(verify.status, `${s.name}: ${verify.stderr}${verify.stdout}`).toBe(0);
    }
  }, 300_000);

  it('renews (--force: a new order and a new serial) and the renewal verifies', async () => {
    const before = { pebble: serialOf(cert(pebble)), signet: serialOf(cert(signet)) };
    const runs = await onBoth(pebble, signet, (s) => uacme(s, ['--force', 'issue', 'www.example.com', 'shop.example.com']));
    expect(runs.pebble.ok, runs.pebble.out).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    for (const s of [pebble, signet]) {
      expect(serialOf(cert(s))).not.toBe(before[s.name]);
      expect(verifyServerCertificate(s.rootPem, cert(s)).status).toBe(0);
    }
  }, 300_000);

  it('revokes with the account key (reason 4, superseded); each server then reports it revoked', async () => {
    const serials = { pebble: serialOf(cert(pebble)), signet: serialOf(cert(signet)) };
    const runs = await onBoth(pebble, signet, (s) => uacme(s, ['-r', '4', 'revoke', cert(s)]));
    expect(runs.pebble.ok, runs.pebble.out).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    expect(await pebble.revocationReason(serials.pebble)).toBe('superseded');
    expect(await signet.revocationReason(serials.signet)).toBe('superseded');
  }, 300_000);
});
