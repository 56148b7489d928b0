import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { namesOf, onBoth, openClientBench, serialOf, verifyServerCertificate, type AcmeServer, type ChallengeFiles, type ClientBench, type Pebble } from './test-support/acme-clients.js';
import type { AcmeFixture } from './test-support/acme-fixture.js';

afterAll(dropFreshStores);

/**
 * The npm `acme-client` library (nobody here wrote it) in this process, each
 * step against pebble (the reference) and then Signet, on PostgreSQL: EAB
 * (RFC 8555 §7.3.4), issuance through its `auto` flow with http-01 files a
 * plain web server serves (§8.3), renewal, account key rollover (§7.3.5) and
 * revocation with a reason (§7.6).
 */
describe('npm acme-client gets, renews and revokes a certificate with EAB, against pebble and Signet alike (RFC 8555)', () => {
  let bench: ClientBench;
  let f: AcmeFixture;
  let pebble: Pebble;
  let signet: AcmeServer;
  let files: ChallengeFiles;
  const clients: Partial<Record<AcmeServer['name'], acme.Client>> = {};
  const saved = (s: AcmeServer) => join(f.dir, `acme-client-${s.name}.pem`);
  const outcome = async (work: () => Promise<unknown>) => {
    try {
      await work();
      return { ok: true, out: '' };
    } catch (error) {
      return { ok: false, out: String((error as Error).message) };
    }
  };
  const client = async (s: AcmeServer, withBinding: boolean) =>
    new acme.Client({
      directoryUrl: s.directory,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      // Polling quickly: both servers validate within the challenge request or right after it.
      backoffMin: 100,
      backoffMax: 1000,
      ...(withBinding ? { externalAccountBinding: { kid: s.eab.keyId, hmacKey: s.eab.macKey } } : {}),
    });
  const issue = async (s: AcmeServer) => {
    const [, csr] = await acme.crypto.createCsr({ commonName: 'www.example.com', altNames: ['www.example.com', 'shop.example.com'] });
    const certificate = await clients[s.name]!.auto({
      csr,
      email: 'ops@example.com',
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // Its own pre-check would look the names up in the real DNS; the servers validate for real.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => writeFileSync(join(files.dir, challenge.token), keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => rmSync(join(files.dir, challenge.token), { force: true }),
    });
    writeFileSync(saved(s), certificate);
  };

  beforeAll(async () => {
    bench = await openClientBench('postgres');
    ({ f, pebble, signet, files } = bench);
    mkdirSync(files.dir, { recursive: true });
    // pebble's directory is HTTPS with the test's own listener certificate; Signet's is plain HTTP here.
    acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(pebble.tlsTrust!, 'utf8') });
  }, 120_000);
  afterAll(() => bench?.close());

  it('without a binding both servers refuse the account: externalAccountRequired; Signet makes no account', async () => {
    const runs = await onBoth(pebble, signet, async (s) => {
      const unbound = await client(s, false);
      return outcome(() => unbound.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:ops@example.com'] }));
    });
    expect(runs.pebble.ok).toBe(false);
    expect(runs.signet.ok).toBe(false);
    // acme-client reports only the problem's detail; pebble's and Signet's words differ, both ask for the binding.
    expect(runs.pebble.out).toContain('externalAccountBinding');
    expect(runs.signet.out).toMatch(/external account binding/i);
    expect(await f.t.signet.store.db.selectFrom('acme_accounts' as never).selectAll().execute()).toEqual([]);
  }, 300_000);

  it('with the binding it gets a two-name certificate by http-01; openssl verify accepts each with its own root', async () => {
    const runs = await onBoth(pebble, signet, async (s) => {
      clients[s.name] = await client(s, true);
      return outcome(() => issue(s));
    });
    expect(runs.pebble.ok, `pebble (the reference) failed too, so the client or the test is at fault:\n${runs.pebble.out}`).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    for (const s of [pebble, signet]) {
      const verify = verifyServerCertificate(s.rootPem, saved(s));
      expect(verify.status, `${s.name}: ${verify.stderr}${verify.stdout}`).toBe(0);
      expect(namesOf(saved(s))).toContain('DNS:shop.example.com');
    }
  }, 300_000);

  it('rolls the account key over (RFC 8555 §7.3.5) and renews under the new key: a new serial that verifies', async () => {
    const before = { pebble: serialOf(saved(pebble)), signet: serialOf(saved(signet)) };
    const runs = await onBoth(pebble, signet, (s) =>
      outcome(async () => {
        await clients[s.name]!.updateAccountKey(await acme.crypto.createPrivateEcdsaKey());
        await issue(s);
      }),
    );
    expect(runs.pebble.ok, runs.pebble.out).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    for (const s of [pebble, signet]) {
      expect(serialOf(saved(s))).not.toBe(before[s.name]);
      expect(verifyServerCertificate(s.rootPem, saved(s)).status).toBe(0);
    }
  }, 300_000);

  it('revokes with the account key, reason cessationOfOperation; each server then reports it revoked', async () => {
    const serials = { pebble: serialOf(saved(pebble)), signet: serialOf(saved(signet)) };
    const runs = await onBoth(pebble, signet, (s) => outcome(() => clients[s.name]!.revokeCertificate(readFileSync(saved(s), 'utf8'), { reason: 5 })));
    expect(runs.pebble.ok, runs.pebble.out).toBe(true);
    expect(runs.signet.ok, runs.signet.out).toBe(true);
    expect(await pebble.revocationReason(serials.pebble)).toBe('cessationOfOperation');
    expect(await signet.revocationReason(serials.signet)).toBe('cessationOfOperation');
  }, 300_000);
});
