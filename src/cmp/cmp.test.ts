import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool, runToolAsync, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { openRaTestBed } from '../ra/test-support/ra-test-bed.js';
import { buildServer } from '../http/server.js';
import type { Principal } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { PKI_FAILURE, PKIMessage, type PkiFailure } from './pki-message.js';

afterAll(dropFreshStores);

const CONSENT = { agreementVersion: 'v1', accepted: true };

const runAsync = (command: string, args: string[]) => runToolAsync(command, args, { killAfterMs: 110_000 });

/** The failure bit an `error` PKIMessage carries (RFC 4210 §5.2.3). */
function failureOf(der: Uint8Array): PkiFailure | null {
  const message = AsnConvert.parse(der, PKIMessage);
  const bits = message.body.error?.pKIStatusInfo.failInfo;
  if (!bits) return null;
  const bytes = new Uint8Array(bits);
  for (const [name, bit] of Object.entries(PKI_FAILURE)) if (bytes[bit >> 3] !== undefined && bytes[bit >> 3]! & (0x80 >> (bit & 7))) return name as PkiFailure;
  return null;
}

/** RFC 4210 / RFC 9483 with `openssl cmp` as the client nobody here wrote. */
describe.each(storeBackends)('CMP (RFC 4210, lightweight profile RFC 9483) on %s (issue 21)', (backend) => {
  let t: TestSignet;
  let dir: string;
  let app: FastifyInstance;
  let server: string;
  let rootPem: string;
  let issuingPem: string;
  let officer: Principal;
  let people = 0;

  const certificateCount = async () => Number((await t.signet.store.db.selectFrom('certificates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  async function approvedCredential(name: string): Promise<{ referenceNumber: string; authorizationCode: string }> {
    people += 1;
    const record = { type: 'individual', name, idType: 'passport', idNumber: `E${String(50000000 + people)}`, phone: `+86138001390${String(people).padStart(2, '0')}`, email: `person${people}@example.com` };
    const { subscribers, applications } = t.signet.ra;
    const subscriber = await subscribers.register(officer, { record, consent: CONSENT }, '192.0.2.1');
    const application = await applications.submit(officer, { subscriberId: subscriber.id, purpose: 'signing' }, '192.0.2.1');
    await applications.startReview(officer, application.id);
    return (await applications.approve(officer, application.id, { note: 'checked' })).credential;
  }

  function newKey(name: string): string {
    const key = join(dir, `${name}.key`);
    expect(runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]).status).toBe(0);
    return key;
  }

  function verify(path: string): void {
    const result = runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, '-untrusted', issuingPem, path]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
  }

  // -srvcert: the CA's own certificate verifies what the CA signs (errors, rp); MAC answers verify with the secret.
  const cmp = (args: string[]) => runAsync('openssl', ['cmp', '-server', server, '-path', '.well-known/cmp', '-msg_timeout', '100', '-srvcert', issuingPem, ...args]);

  beforeAll(async () => {
    ({ t, dir, rootPem, issuingPem, officer } = await openRaTestBed(backend, { dirPrefix: 'signet-cmp-', raName: '上海注册机构', signet: { estRetryAfterSeconds: 1 } }));
    app = await buildServer(t.signet, { logger: false, rateLimits: false, tls: null });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    server = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  for (const command of ['ir', 'cr'] as const) {
    it(`${command} with MAC protection from the RA's reference number and code, certConf, then pkiconf: a certificate openssl verify accepts (RFC 9483 §4.1.1, §4.1.2)`, async () => {
      const credential = await approvedCredential(`Zhao ${command}`);
      const key = newKey(`${command}-key`);
      const out = join(dir, `${command}.pem`);
      const result = await cmp(['-cmd', command, '-ref', credential.referenceNumber, '-secret', `pass:${credential.authorizationCode}`, '-newkey', key, '-subject', `/CN=Zhao ${command}`, '-certout', out, '-extracertsout', join(dir, `${command}-extra.pem`)]);
      expect(result.status, result.stderr + result.stdout).toBe(0);
      verify(out);
      expect(runTool('openssl', ['x509', '-in', out, '-noout', '-subject']).stdout).toContain(`Zhao ${command}`);
      // certConf reached the server and closed the transaction.
      const states = await t.signet.store.db.selectFrom('cmp_transactions' as never).select(['state' as never, 'request_type' as never]).execute();
      expect(states).toContainEqual({ state: 'confirmed', request_type: command });
    }, 120_000);
  }

  it('p10cr with a PKCS#10 request under MAC protection (RFC 9483 §4.1.4)', async () => {
    const credential = await approvedCredential('Qian Pten');
    const key = newKey('p10cr-key');
    const csr = join(dir, 'p10cr.csr');
    expect(runTool('openssl', ['req', '-new', '-key', key, '-subj', '/CN=Qian Pten', '-out', csr]).status).toBe(0);
    const out = join(dir, 'p10cr.pem');
    const result = await cmp(['-cmd', 'p10cr', '-ref', credential.referenceNumber, '-secret', `pass:${credential.authorizationCode}`, '-csr', csr, '-certout', out]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
    verify(out);
  }, 120_000);

  it('rr signed with the key of the certificate it revokes; the CA-signed rp verifies against the issuing CA (RFC 9483 §4.2)', async () => {
    const credential = await approvedCredential('Sun Revoke');
    const key = newKey('rr-key');
    const cert = join(dir, 'rr.pem');
    const enrolled = await cmp(['-cmd', 'ir', '-ref', credential.referenceNumber, '-secret', `pass:${credential.authorizationCode}`, '-newkey', key, '-subject', '/CN=Sun Revoke', '-certout', cert]);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    const serial = runTool('openssl', ['x509', '-in', cert, '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();
    const revoked = await cmp(['-cmd', 'rr', '-cert', cert, '-key', key, '-oldcert', cert, '-revreason', '1']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect((await t.signet.status.revocation(serial))?.reason).toBe('keyCompromise');
    // Again: the certificate is revoked already; the answer says so and nothing changes.
    const again = await cmp(['-cmd', 'rr', '-cert', cert, '-key', key, '-oldcert', cert, '-revreason', '1']);
    expect(again.status).not.toBe(0);
    expect(again.stderr + again.stdout).toMatch(/certRevoked/);
  }, 120_000);

  it('kur signed with the old certificate: waiting while the RA reviews the re-key, pollReq/pollRep, then kup with the new certificate; the old one is superseded (RFC 9483 §4.1.3, RFC 4210 §5.3.22, R16)', async () => {
    const credential = await approvedCredential('Zhou Update');
    const oldKey = newKey('kur-old');
    const oldCert = join(dir, 'kur-old.pem');
    const enrolled = await cmp(['-cmd', 'ir', '-ref', credential.referenceNumber, '-secret', `pass:${credential.authorizationCode}`, '-newkey', oldKey, '-subject', '/CN=Zhou Update', '-certout', oldCert]);
    expect(enrolled.status, enrolled.stderr + enrolled.stdout).toBe(0);
    const oldSerial = runTool('openssl', ['x509', '-in', oldCert, '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();
    const newCert = join(dir, 'kur-new.pem');
    const updating = cmp(['-cmd', 'kur', '-cert', oldCert, '-key', oldKey, '-newkey', newKey('kur-new'), '-certout', newCert, '-total_timeout', '150']);
    let filed: Awaited<ReturnType<typeof t.signet.ra.renewals.latestReplacement>>;
    for (let i = 0; i < 600 && !filed; i++) {
      filed = await t.signet.ra.renewals.latestReplacement(oldSerial);
      if (!filed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(filed?.kind).toBe('rekey');
    await t.signet.ra.applications.startReview(officer, filed!.id);
    await t.signet.ra.applications.approve(officer, filed!.id, { note: 'key update checked' });
    const updated = await updating;
    expect(updated.status, updated.stderr + updated.stdout).toBe(0);
    verify(newCert);
    expect((await t.signet.status.revocation(oldSerial))?.reason).toBe('superseded');
    const states = await t.signet.store.db.selectFrom('cmp_transactions' as never).select(['state' as never, 'request_type' as never]).execute();
    expect(states).toContainEqual({ state: 'confirmed', request_type: 'kur' });
  }, 200_000);

  it('a wrong secret, a replayed transaction, an unreviewed name and a malformed message get CMP errors, and nothing is issued (RFC 4210 §5.2.3)', async () => {
    const credential = await approvedCredential('Li Guard');
    const key = newKey('guard-key');
    const before = await certificateCount();

    const wrong = await cmp(['-cmd', 'ir', '-ref', credential.referenceNumber, '-secret', 'pass:WRONGWRONG22', '-newkey', key, '-subject', '/CN=Li Guard', '-certout', join(dir, 'never.pem')]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toMatch(/badMessageCheck|ra\.credential-refused/);

    const stranger = await cmp(['-cmd', 'ir', '-ref', credential.referenceNumber, '-secret', `pass:${credential.authorizationCode}`, '-newkey', key, '-subject', '/CN=Somebody Else', '-certout', join(dir, 'never.pem')]);
    expect(stranger.status).not.toBe(0);
    expect(stranger.stderr + stranger.stdout).toMatch(/badCertTemplate|ra\.unreviewed-identity/);
    expect(await certificateCount()).toBe(before);

    // The request as the client sent it, kept, then sent again once it succeeded: the transactionID is spent.
    const requests = join(dir, 'replay-req.der');
    const ok = await cmp(['-cmd', 'ir', '-ref', credential.referenceNumber, '-secret', `pass:${credential.authorizationCode}`, '-newkey', key, '-subject', '/CN=Li Guard', '-certout', join(dir, 'guard.pem'), '-reqout', `${requests},${join(dir, 'replay-conf.der')}`]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(await certificateCount()).toBe(before + 1);
    const replay = await app.inject({ method: 'POST', url: '/.well-known/cmp', headers: { 'content-type': 'application/pkixcmp' }, payload: readFileSync(requests) });
    expect(replay.statusCode).toBe(200);
    expect(failureOf(replay.rawPayload)).toBe('transactionIdInUse');
    const confAgain = await app.inject({ method: 'POST', url: '/.well-known/cmp', headers: { 'content-type': 'application/pkixcmp' }, payload: readFileSync(join(dir, 'replay-conf.der')) });
    expect(failureOf(confAgain.rawPayload)).toBe('badRequest');

    const garbage = await app.inject({ method: 'POST', url: '/.well-known/cmp', headers: { 'content-type': 'application/pkixcmp' }, payload: Buffer.from('30030201ff', 'hex') });
    expect(garbage.statusCode).toBe(400);
    expect(failureOf(garbage.rawPayload)).toBe('badDataFormat');
    expect(await certificateCount()).toBe(before + 1);
  }, 200_000);
});
