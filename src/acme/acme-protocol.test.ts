import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSignet, type Signet } from '../signet.js';
import { runTool } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openAcmeFixture, type AcmeFixture } from './test-support/acme-fixture.js';
import { acmeAuthorizationReuseFrom } from './acme-service.js';
import { pasteableMacKey } from './bindings.js';
import { TestClient, eab, signJws, testKey, thumbprint, type TestKey } from './test-support/test-client.js';
import type { Principal } from '../ra/roles.js';

afterAll(dropFreshStores);

const TABLES = ['acme_accounts', 'acme_orders', 'acme_authorizations', 'acme_challenges', 'acme_bindings', 'certificates', 'issuance_intents', 'audit_entries', 'revocations'] as const;

describe('SIGNET_ACME_AUTHZ_REUSE_DAYS (RFC 8555 §7.1.4)', () => {
  it('is off unless set, takes whole days up to 398, and stops the start on anything else', () => {
    expect([acmeAuthorizationReuseFrom({}), acmeAuthorizationReuseFrom({ SIGNET_ACME_AUTHZ_REUSE_DAYS: ' 30 ' }), acmeAuthorizationReuseFrom({ SIGNET_ACME_AUTHZ_REUSE_DAYS: '0' })]).toEqual([0, 30, 0]);
    for (const bad of ['-1', '399', '30d', '1.5', 'yes']) expect(() => acmeAuthorizationReuseFrom({ SIGNET_ACME_AUTHZ_REUSE_DAYS: bad }), bad).toThrow(`SIGNET_ACME_AUTHZ_REUSE_DAYS must be a whole number from 0 to 398, not "${bad}"`);
  });
});

describe('an External Account Binding\'s HMAC key (RFC 8555 §7.3.4)', () => {
  it('never begins with "-", so it can follow --eab-hmac-key on certbot\'s command line; such a draw is drawn again', () => {
    const draws = [Buffer.alloc(32, 0xf8), Buffer.alloc(32, 7)];
    expect(draws[0]!.toString('base64url')).toMatch(/^-/);
    expect(pasteableMacKey(() => draws.shift()!)).toBe(Buffer.alloc(32, 7).toString('base64url'));
    expect(draws).toEqual([]);
  });
});

describe.each(storeBackends)('the ACME door on %s (RFC 8555)', (backend) => {
  let f: AcmeFixture;
  let responder: Server;
  /** What the subscriber's web server answers at /.well-known/acme-challenge/<token>. */
  const served = new Map<string, string>();

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const row = await f.t.signet.store.db.selectFrom(table as never).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      out[table] = Number((row as { n: string }).n);
    }
    return out;
  };
  const problem = (type: string) => `urn:ietf:params:acme:error:${type}`;

  /** An OpenSSL CSR for these names, its key given (or made) as PEM; base64url DER. */
  const csrFor = (names: string[], key?: TestKey) => {
    const keyPath = join(f.dir, `key-${Math.random().toString(36).slice(2)}.pem`);
    const out = `${keyPath}.csr`;
    if (key) writeFileSync(keyPath, key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    else runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    const r = runTool('openssl', ['req', '-new', '-key', keyPath, '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, '-outform', 'DER', '-out', out]);
    expect(r.status, r.stderr).toBe(0);
    return runTool('base64', ['-w0', out]).stdout.trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  /** newOrder → http-01 for each name → ready: the order URL and body. */
  async function readyOrder(client: TestClient, names: string[]) {
    const created = await client.post('/acme/new-order', { identifiers: names.map((value) => ({ type: 'dns', value })) });
    expect(created.status, created.text).toBe(201);
    for (const authzUrl of created.body.authorizations as string[]) {
      const authz = await client.post(authzUrl, '');
      const challenge = (authz.body.challenges as { type: string; url: string; token: string }[]).find((c) => c.type === 'http-01')!;
      served.set(challenge.token, `${challenge.token}.${thumbprint(client.key)}`);
      const answered = await client.post(challenge.url, {});
      expect(answered.body.status, answered.text).toBe('valid');
    }
    const order = await client.post(created.headers.get('location')!, '');
    expect(order.body.status).toBe('ready');
    return { url: created.headers.get('location')!, order: order.body };
  }

  beforeAll(async () => {
    f = await openAcmeFixture(backend);
    responder = createServer((request, response) => {
      const token = request.url?.split('/').pop() ?? '';
      const answer = served.get(token);
      response.writeHead(answer ? 200 : 404).end(answer ?? 'no such token');
    });
    await new Promise<void>((resolve) => responder.listen(f.http01Port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => responder?.close(resolve));
    await f?.close();
  });

  it('publishes a directory that says an external account is required (§7.1.1), and nonces on HEAD and GET (§7.2)', async () => {
    const directory = (await (await fetch(f.directory)).json()) as Record<string, string> & { meta: { externalAccountRequired: boolean; profiles: Record<string, string> } };
    expect(directory.newAccount).toBe(`${f.base}/acme/new-account`);
    expect(directory.meta.externalAccountRequired).toBe(true);
    expect(Object.keys(directory.meta.profiles)).toContain('tls-server');
    const head = await fetch(`${f.base}/acme/new-nonce`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(head.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${f.base}/acme/new-nonce`)).status).toBe(204);
  });

  it('refuses accounts without a valid binding with the RFC problem types, creating nothing (§7.3.4)', async () => {
    const before = await counts();
    const client = new TestClient(f.base, testKey());
    const url = `${f.base}/acme/new-account`;
    const none = await client.post('/acme/new-account', { termsOfServiceAgreed: true }, { useJwk: true });
    expect([none.status, none.body.type]).toEqual([400, problem('externalAccountRequired')]);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(none.headers.get('replay-nonce')).toBeTruthy();
    const wrongMac = await client.post('/acme/new-account', { termsOfServiceAgreed: true, externalAccountBinding: eab(f.binding.keyId, Buffer.alloc(32, 1).toString('base64url'), client.key.jwk, url) }, { useJwk: true });
    expect([wrongMac.status, wrongMac.body.type]).toEqual([403, problem('unauthorized')]);
    const unknownKid = await client.post('/acme/new-account', { termsOfServiceAgreed: true, externalAccountBinding: eab('eab-nobody', f.binding.macKey, client.key.jwk, url) }, { useJwk: true });
    expect(unknownKid.body.type).toBe(problem('unauthorized'));
    // A binding made for another key: the MAC is right, the key it binds is not this account's.
    const otherKey = await client.post('/acme/new-account', { termsOfServiceAgreed: true, externalAccountBinding: eab(f.binding.keyId, f.binding.macKey, testKey().jwk, url) }, { useJwk: true });
    expect(otherKey.body.type).toBe(problem('unauthorized'));
    expect(await counts()).toEqual(before);
  });

  it('keeps each binding\'s HMAC key sealed at rest: the store holds no copy a reader could bind an account with', async () => {
    const rows = await f.t.signet.store.db.selectFrom('acme_bindings' as never).select(['key_id' as never, 'mac_key' as never]).execute() as unknown as { key_id: string; mac_key: string }[];
    const stored = rows.find((r) => r.key_id === f.binding.keyId)!;
    expect(stored.mac_key).not.toContain(f.binding.macKey);
    expect(stored.mac_key).not.toContain(Buffer.from(f.binding.macKey, 'base64url').toString('hex'));
    expect(stored.mac_key.startsWith('pd1.')).toBe(true);
  });

  it('refuses bad JWS strictly: forged signature, alg none or HS256, wrong url, unprotected header, private JWK, kid+jwk, wrong media type (§6.2–6.4)', async () => {
    const key = testKey();
    const client = new TestClient(f.base, key);
    const before = await counts();
    const url = `${f.base}/acme/new-account`;
    const payload = { termsOfServiceAgreed: true, externalAccountBinding: eab(f.binding.keyId, f.binding.macKey, key.jwk, url) };
    const good = signJws(key, { nonce: await client.nonce(), url, jwk: key.jwk }, payload);
    const forged = await client.post('/acme/new-account', null, { body: { ...good, signature: signJws(testKey(), {}, 'x').signature } });
    expect([forged.status, forged.body.type]).toEqual([400, problem('malformed')]);
    const none = await client.post('/acme/new-account', payload, { useJwk: true, header: { alg: 'none' } });
    expect(none.body.type).toBe(problem('badSignatureAlgorithm'));
    expect(none.body.algorithms).toEqual(['ES256', 'ES384', 'RS256', 'EdDSA']);
    const hmac = await client.post('/acme/new-account', payload, { useJwk: true, header: { alg: 'HS256' } });
    expect(hmac.body.type).toBe(problem('badSignatureAlgorithm'));
    const elsewhere = await client.post('/acme/new-account', payload, { useJwk: true, header: { url: `${f.base}/acme/new-order` } });
    expect([elsewhere.status, elsewhere.body.type]).toEqual([403, problem('unauthorized')]);
    const unprotected = await client.post('/acme/new-account', null, { body: { ...signJws(key, { nonce: await client.nonce(), url, jwk: key.jwk }, payload), header: { kid: 'x' } } });
    expect(unprotected.body.type).toBe(problem('malformed'));
    const privateJwk = await client.post('/acme/new-account', payload, { useJwk: true, header: { jwk: key.privateKey.export({ format: 'jwk' }) } });
    expect(privateJwk.body.type).toBe(problem('badPublicKey'));
    const both = await client.post('/acme/new-account', payload, { useJwk: true, header: { kid: `${f.base}/acme/acct/x` } });
    expect(both.body.type).toBe(problem('malformed'));
    const json = await client.post('/acme/new-account', payload, { useJwk: true, contentType: 'application/json' });
    expect([json.status, json.body.type]).toEqual([415, problem('malformed')]);
    const notJson = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: '{nope' });
    expect([notJson.status, ((await notJson.json()) as { type: string }).type]).toEqual([400, problem('malformed')]);
    expect(await counts()).toEqual(before);
  });

  it('takes each nonce once, in any process sharing the store; a replayed request gets badNonce and a fresh nonce, and changes nothing (§6.5)', async () => {
    const key = testKey('ed25519');
    const client = new TestClient(f.base, key);
    const url = `${f.base}/acme/new-account`;
    // A second Signet process on the same database gives the nonce out; this one accepts it, once.
    const second: Signet = await openSignet(f.t.config);
    let nonce: string;
    try {
      nonce = await second.acme.nonces.issue();
    } finally {
      await second.close();
    }
    const body = signJws(key, { nonce, url, jwk: key.jwk }, { onlyReturnExisting: true });
    const before = await counts();
    const first = await client.post('/acme/new-account', null, { body });
    expect([first.status, first.body.type]).toEqual([400, problem('accountDoesNotExist')]);
    const replayed = await client.post('/acme/new-account', null, { body });
    expect([replayed.status, replayed.body.type]).toEqual([400, problem('badNonce')]);
    expect(replayed.headers.get('replay-nonce')).toBeTruthy();
    const invented = await client.post('/acme/new-account', { termsOfServiceAgreed: true }, { useJwk: true, header: { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    expect(invented.body.type).toBe(problem('badNonce'));
    const missing = await client.post('/acme/new-account', null, { body: signJws(key, { url, jwk: key.jwk }, { onlyReturnExisting: true }) });
    expect(missing.body.type).toBe(problem('badNonce'));
    expect(await counts()).toEqual(before);
  });

  it('gets a certificate: binding → account → order → http-01 → finalize → chain that openssl verify accepts (§7.3–7.4, §8.3)', async () => {
    const client = new TestClient(f.base, testKey('rsa'));
    const registered = await client.register(f.binding);
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body.status).toBe('valid');
    // The same key again: the same account, 200 (§7.3.1).
    const again = await client.post('/acme/new-account', { onlyReturnExisting: true }, { useJwk: true });
    expect([again.status, again.headers.get('location')]).toEqual([200, client.kid]);
    const { url, order } = await readyOrder(client, ['www.example.com', 'api.example.com']);
    const wrongNames = await client.post(order.finalize as string, { csr: csrFor(['www.example.com']) });
    expect(wrongNames.body.type).toBe(problem('badCSR'));
    const finalized = await client.post(order.finalize as string, { csr: csrFor(['api.example.com', 'www.example.com']) });
    expect(finalized.status, finalized.text).toBe(200);
    expect(finalized.body.status).toBe('valid');
    const again2 = await client.post(order.finalize as string, { csr: csrFor(['api.example.com', 'www.example.com']) });
    expect([again2.status, again2.body.type]).toEqual([403, problem('orderNotReady')]);
    const chain = await client.post(finalized.body.certificate as string, '');
    expect(chain.headers.get('content-type')).toContain('application/pem-certificate-chain');
    const pems = chain.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    expect(pems).toHaveLength(2);
    writeFileSync(join(f.dir, 'leaf.pem'), pems[0]!);
    writeFileSync(join(f.dir, 'chain.pem'), pems[1]!);
    const verify = runTool('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', f.rootPem, '-untrusted', join(f.dir, 'chain.pem'), join(f.dir, 'leaf.pem')]);
    expect(verify.status, verify.stderr).toBe(0);
    // The RA's decision holds: the subscriber is the binding's, the validity the binding's 30 days.
    const serial = String(finalized.body.certificate).split('/').pop()!;
    const stored = await f.t.signet.ca.certificate(serial);
    expect(stored.subscriber_id).toBe(f.subscriberId);
    expect(Date.parse(stored.not_after) - Date.parse(stored.not_before)).toBeLessThanOrEqual(30 * 86_400_000);
    expect((await client.post(url, '')).body.certificate).toBe(finalized.body.certificate);
    // Another account cannot download it.
    const stranger = new TestClient(f.base, testKey());
    expect((await stranger.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['www.example.com'] }))).status).toBe(201);
    const notTheirs = await stranger.post(finalized.body.certificate as string, '');
    expect([notTheirs.status, notTheirs.body.type]).toEqual([404, problem('malformed')]);
    // Nor sign as its holder: another key under this account's kid does not verify.
    const impostor = new TestClient(f.base, testKey('rsa'));
    impostor.kid = client.kid;
    expect((await impostor.post(finalized.body.certificate as string, '')).body.type).toBe(problem('malformed'));
  });

  it('makes the order ready when all its authorizations are answered at once, as acme-client does (§7.1.6, §7.5.1)', async () => {
    const client = new TestClient(f.base, testKey());
    expect((await client.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['*.example.com'] }))).status).toBe(201);
    const names = ['example.com', 'www.example.com', 'shop.example.com', 'api.example.com'];
    const created = await client.post('/acme/new-order', { identifiers: names.map((value) => ({ type: 'dns', value })) });
    expect(created.status, created.text).toBe(201);
    const challenges = await Promise.all(
      (created.body.authorizations as string[]).map(async (authzUrl) => {
        const challenge = ((await client.post(authzUrl, '')).body.challenges as { type: string; url: string; token: string }[]).find((c) => c.type === 'http-01')!;
        served.set(challenge.token, `${challenge.token}.${thumbprint(client.key)}`);
        return challenge;
      }),
    );
    const answers = await Promise.all(challenges.map((challenge) => client.post(challenge.url, {})));
    expect(answers.map((a) => a.body.status)).toEqual(['valid', 'valid', 'valid', 'valid']);
    expect((await client.post(created.headers.get('location')!, '')).body.status).toBe('ready');
  });

  it('refuses names the RA did not allow with rejectedIdentifier and subproblems, creating no order (§7.4, §6.7.1)', async () => {
    const client = new TestClient(f.base, testKey());
    const officer: Principal = f.officer;
    const binding = await f.t.signet.acme.bindings.issue(officer, { subscriberId: f.subscriberId, identifiers: ['shop.example.com'] });
    expect((await client.register(binding)).status).toBe(201);
    const before = await counts();
    const refused = await client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'shop.example.com' }, { type: 'dns', value: 'other.example.net' }, { type: 'dns', value: 'www.example.com' }] });
    expect([refused.status, refused.body.type]).toEqual([400, problem('rejectedIdentifier')]);
    expect((refused.body.subproblems as { identifier: { value: string } }[]).map((s) => s.identifier.value)).toEqual(['other.example.net', 'www.example.com']);
    const ip = await client.post('/acme/new-order', { identifiers: [{ type: 'ip', value: '127.0.0.1' }] });
    expect(ip.body.type).toBe(problem('unsupportedIdentifier'));
    const profile = await client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'shop.example.com' }], profile: 'tls-client' });
    expect(profile.body.type).toBe(problem('invalidProfile'));
    const dates = await client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'shop.example.com' }], notAfter: '2099-01-01T00:00:00Z' });
    expect(dates.body.type).toBe(problem('malformed'));
    expect(await counts()).toEqual(before);
    // A binding is for one account only.
    const second = await new TestClient(f.base, testKey()).register(binding);
    expect(second.body.type).toBe(problem('unauthorized'));
    // Once the RA revokes the binding, its account orders nothing more.
    await f.t.signet.acme.bindings.revoke(officer, binding.keyId);
    const afterRevoke = await client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'shop.example.com' }] });
    expect([afterRevoke.status, afterRevoke.body.type]).toEqual([403, problem('unauthorized')]);
  });

  it('fails http-01 when the answer is wrong, with the problem on the challenge and the order invalid (§8.3)', async () => {
    const client = new TestClient(f.base, testKey());
    await client.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['example.com'] }));
    const created = await client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'example.com' }] });
    const authz = await client.post((created.body.authorizations as string[])[0]!, '');
    const challenges = authz.body.challenges as { type: string; url: string; token: string }[];
    expect(challenges.map((c) => c.type).sort()).toEqual(['dns-01', 'http-01', 'tls-alpn-01']);
    const challenge = challenges.find((c) => c.type === 'http-01')!;
    served.set(challenge.token, `${challenge.token}.not-the-thumbprint`);
    const answered = await client.post(challenge.url, {});
    expect(answered.body.status).toBe('invalid');
    expect((answered.body.error as { type: string }).type).toBe(problem('incorrectResponse'));
    expect((await client.post(created.headers.get('location')!, '')).body.status).toBe('invalid');
    const finalize = await client.post(created.body.finalize as string, { csr: csrFor(['example.com']) });
    expect(finalize.body.type).toBe(problem('orderNotReady'));
  });

  it('fails tls-alpn-01 when the acmeIdentifier digest is not the key authorization\'s, and passes with the right one (RFC 8737 §3)', async () => {
    const client = new TestClient(f.base, testKey());
    await client.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['shop.example.com'] }));
    /** Answers the challenge with a responder whose certificate carries SHA-256(keyAuthorization) as the RFC asks. */
    const answerWith = async (keyAuthorization: string) => {
      const created = await client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'shop.example.com' }] });
      const authz = await client.post((created.body.authorizations as string[])[0]!, '');
      const challenge = (authz.body.challenges as { type: string; url: string; token: string }[]).find((c) => c.type === 'tls-alpn-01')!;
      const digest = createHash('sha256').update(keyAuthorization.replace('TOKEN', challenge.token)).digest('hex').replace(/(..)(?!$)/g, '$1:');
      const key = join(f.dir, `alpn-${challenge.token}.key`);
      const cert = join(f.dir, `alpn-${challenge.token}.pem`);
      const made = runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=acme-tls',
        '-addext', 'subjectAltName=DNS:shop.example.com', '-addext', `1.3.6.1.5.5.7.1.31=critical,DER:04:20:${digest}`]);
      expect(made.status, made.stderr).toBe(0);
      const responder = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert), ALPNProtocols: ['acme-tls/1'] });
      await new Promise<void>((resolve) => responder.listen(f.tlsAlpnPort, '127.0.0.1', resolve));
      try {
        const answered = await client.post(challenge.url, {});
        return { answered, order: await client.post(created.headers.get('location')!, '') };
      } finally {
        await new Promise((resolve) => responder.close(resolve));
      }
    };
    const wrong = await answerWith(`TOKEN.${thumbprint(testKey())}`);
    expect(wrong.answered.body.status, wrong.answered.text).toBe('invalid');
    expect((wrong.answered.body.error as { type: string }).type).toBe(problem('incorrectResponse'));
    expect(wrong.order.body.status).toBe('invalid');
    const right = await answerWith(`TOKEN.${thumbprint(client.key)}`);
    expect(right.answered.body.status, right.answered.text).toBe('valid');
    expect(right.order.body.status).toBe('ready');
  });

  it('rolls the account key over (§7.3.5): the new key signs, the old one no longer does', async () => {
    const oldKey = testKey();
    const client = new TestClient(f.base, oldKey);
    await client.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['api.example.com'] }));
    const newKey = testKey('ed25519');
    const url = `${f.base}/acme/key-change`;
    const inner = signJws(newKey, { url, jwk: newKey.jwk }, { account: client.kid, oldKey: oldKey.jwk });
    const changed = await client.post('/acme/key-change', inner);
    expect(changed.status, changed.text).toBe(200);
    // The old key (P-256) no longer fits the account key (Ed25519).
    const stale = await client.post(client.kid!, '');
    expect(stale.body.type).toBe(problem('badSignatureAlgorithm'));
    client.key = newKey;
    expect((await client.post(client.kid!, '')).body.status).toBe('valid');
    const lookup = await new TestClient(f.base, oldKey).post('/acme/new-account', { onlyReturnExisting: true }, { useJwk: true });
    expect(lookup.body.type).toBe(problem('accountDoesNotExist'));
  });

  it('revokes by the certificate key (jwk) and by the account; alreadyRevoked after; ARI says renew now (§7.6, RFC 9773)', async () => {
    const client = new TestClient(f.base, testKey());
    await client.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['*.example.com'] }));
    const certKey = testKey();
    const issue = async (key?: TestKey) => {
      const { order } = await readyOrder(client, ['shop.example.com']);
      const done = await client.post(order.finalize as string, { csr: csrFor(['shop.example.com'], key) });
      expect(done.status, done.text).toBe(200);
      const pem = (await client.post(done.body.certificate as string, '')).text.match(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END/)![1]!;
      return { serial: String(done.body.certificate).split('/').pop()!, der: Buffer.from(pem.replace(/\s/g, ''), 'base64') };
    };
    const first = await issue(certKey);
    const certId = (der: Buffer) => {
      const text = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-ext', 'authorityKeyIdentifier', '-serial'], der).stdout;
      const aki = /([0-9A-F]{2}(:[0-9A-F]{2})+)/.exec(text)![1]!.replace(/:/g, '');
      const serial = /serial=([0-9A-F]+)/.exec(text)![1]!;
      return `${Buffer.from(aki, 'hex').toString('base64url')}.${Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex').toString('base64url')}`;
    };
    const window = (await (await fetch(`${f.base}/acme/renewal-info/${certId(first.der)}`)).json()) as { suggestedWindow: { start: string; end: string } };
    expect(Date.parse(window.suggestedWindow.start)).toBeGreaterThan(Date.now());
    const wrongKey = await client.post('/acme/revoke-cert', { certificate: first.der.toString('base64url') }, { useJwk: true, key: testKey() });
    expect(wrongKey.body.type).toBe(problem('unauthorized'));
    const badReason = await client.post('/acme/revoke-cert', { certificate: first.der.toString('base64url'), reason: 7 }, { useJwk: true, key: certKey });
    expect(badReason.body.type).toBe(problem('badRevocationReason'));
    const byKey = await client.post('/acme/revoke-cert', { certificate: first.der.toString('base64url'), reason: 1 }, { useJwk: true, key: certKey });
    expect(byKey.status, byKey.text).toBe(200);
    expect((await f.t.signet.status.revocation(first.serial))?.reason).toBe('keyCompromise');
    const twice = await client.post('/acme/revoke-cert', { certificate: first.der.toString('base64url') });
    expect(twice.body.type).toBe(problem('alreadyRevoked'));
    const revokedWindow = (await (await fetch(`${f.base}/acme/renewal-info/${certId(first.der)}`)).json()) as { suggestedWindow: { end: string } };
    expect(Date.parse(revokedWindow.suggestedWindow.end)).toBeLessThan(Date.now());
    const second = await issue();
    const stranger = new TestClient(f.base, testKey());
    await stranger.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['shop.example.com'] }));
    expect((await stranger.post('/acme/revoke-cert', { certificate: second.der.toString('base64url') })).body.type).toBe(problem('unauthorized'));
    const byAccount = await client.post('/acme/revoke-cert', { certificate: second.der.toString('base64url'), reason: 4 });
    expect(byAccount.status, byAccount.text).toBe(200);
    expect((await f.t.signet.status.revocation(second.serial))?.reason).toBe('superseded');
  });

  it('limits new orders per account, counted in the store: rateLimited with Retry-After, nothing created (§6.6)', async () => {
    const client = new TestClient(f.base, testKey());
    await client.register(await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['api.example.com'] }));
    const limits = f.t.signet.acme.limits;
    const saved = { ...limits };
    limits.ordersPerWindow = 2;
    try {
      const order = () => client.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'api.example.com' }] });
      expect((await order()).status).toBe(201);
      expect((await order()).status).toBe(201);
      const before = await counts();
      const third = await order();
      expect([third.status, third.body.type]).toEqual([429, problem('rateLimited')]);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await counts()).toEqual(before);
    } finally {
      Object.assign(limits, saved);
    }
  });

  it('reuses a valid authorization for the same account and name only when the operator allows it, until it expires or is deactivated (§7.1.4, §7.5.2)', async () => {
    const acme = f.t.signet.acme;
    const db = f.t.signet.store.db;
    const newOrder = (client: TestClient, names: string[]) => client.post('/acme/new-order', { identifiers: names.map((value) => ({ type: 'dns', value })) });
    const authzOf = async (client: TestClient, order: Awaited<ReturnType<typeof newOrder>>) => Promise.all((order.body.authorizations as string[]).map(async (url) => (await client.post(url, '')).body));
    const reusedAudits = async () => Number((await db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', 'acme.identifier-reused').executeTakeFirstOrThrow()).n);
    const client = new TestClient(f.base, testKey());
    expect((await client.register(await acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['*.example.com'] }))).status).toBe(201);
    try {
      // Off (the default): every order proves its names afresh.
      acme.reuse.days = 0;
      await readyOrder(client, ['shop.example.com']);
      const fresh = await newOrder(client, ['shop.example.com']);
      expect([fresh.status, fresh.body.status, (await authzOf(client, fresh))[0]!.status]).toEqual([201, 'pending', 'pending']);

      // On: a name validated now is valid for the reuse period, and a later order of the same account takes it as it is.
      acme.reuse.days = 30;
      const before = Date.now();
      await readyOrder(client, ['www.example.com']);
      const again = await newOrder(client, ['www.example.com']);
      expect([again.status, again.body.status]).toEqual([201, 'ready']);
      const [copy] = await authzOf(client, again);
      expect(copy!.status).toBe('valid');
      expect(Date.parse(copy!.expires as string)).toBeGreaterThanOrEqual(before + 30 * 86_400_000 - 60_000);
      // The order still ends within the usual week, and says when and how the name was proved.
      expect(Date.parse(again.body.expires as string)).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
      const proof = (copy!.challenges as { type: string; status: string; validated?: string }[]).find((c) => c.status === 'valid')!;
      expect([proof.type, Date.parse(proof.validated!) >= before - 1000]).toEqual(['http-01', true]);
      expect(await reusedAudits()).toBe(1);
      const finalized = await client.post(again.body.finalize as string, { csr: csrFor(['www.example.com']) });
      expect([finalized.status, finalized.body.status], finalized.text).toEqual([200, 'valid']);

      // A mixed order: the proved name is reused, the other waits for its proof.
      const mixed = await newOrder(client, ['www.example.com', 'api.example.com']);
      expect(mixed.body.status).toBe('pending');
      expect((await authzOf(client, mixed)).map((a) => [a.identifier, a.status]).sort()).toEqual([
        [{ type: 'dns', value: 'api.example.com' }, 'pending'],
        [{ type: 'dns', value: 'www.example.com' }, 'valid'],
      ].sort());

      // Never across accounts, even of the same subscriber.
      const other = new TestClient(f.base, testKey());
      expect((await other.register(await acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['*.example.com'] }))).status).toBe(201);
      expect((await newOrder(other, ['www.example.com'])).body.status).toBe('pending');

      // Not once expired (the store's clock moved on for this authorization).
      await readyOrder(client, ['example.com']);
      await db.updateTable('acme_authorizations' as never).set({ expires_at: new Date(Date.now() - 1000).toISOString() } as never).where('identifier' as never, '=', 'example.com' as never).execute();
      expect((await newOrder(client, ['example.com'])).body.status).toBe('pending');

      // Deactivating one valid authorization of a name gives up every valid proof of it on this account.
      expect((await client.post((again.body.authorizations as string[])[0]!, { status: 'deactivated' })).body.status).toBe('deactivated');
      const afterDeactivation = await newOrder(client, ['www.example.com']);
      expect(afterDeactivation.body.status).toBe('pending');
      expect(await reusedAudits()).toBe(2);
    } finally {
      acme.reuse.days = 0;
    }
  });

  it('lets only the RA decide: bindings for enterprises of the officer\'s own RA, texts in both languages', async () => {
    const individual = await f.t.signet.ra.subscribers.register(f.officer, { record: { type: 'individual', name: '张三', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'zhangsan@example.cn' }, consent: { agreementVersion: 'v1', accepted: true } }, '192.0.2.1');
    const notEnterprise = await f.t.signet.acme.bindings.issue(f.officer, { subscriberId: individual.id, identifiers: ['example.com'] }).catch((e: unknown) => e as { code: string; messageIn(l: string): string });
    expect((notEnterprise as { code: string }).code).toBe('acme.binding-subscriber-not-enterprise');
    expect((notEnterprise as { messageIn(l: string): string }).messageIn('zh-CN')).toContain('企业');
    const other = await f.t.signet.ra.organisations.create({ operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' }, { name: '上海注册机构' });
    const stranger: Principal = { ...f.officer, raId: other.id };
    await expect(f.t.signet.acme.bindings.issue(stranger, { subscriberId: f.subscriberId, identifiers: ['example.com'] })).rejects.toMatchObject({ code: 'ra.other-ra' });
    await expect(f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['not a name'] })).rejects.toMatchObject({ code: 'acme.binding-bad-identifier' });
    await expect(f.t.signet.acme.bindings.issue(f.officer, { subscriberId: f.subscriberId, identifiers: ['example.com'], validityDays: 400 })).rejects.toMatchObject({ code: 'acme.binding-bad-validity' });
    expect((await f.t.signet.acme.bindings.list(stranger)).length).toBe(0);
  });
});
