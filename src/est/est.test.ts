import type { FastifyInstance } from 'fastify';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool, runToolAsync, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { openRaTestBed } from '../ra/test-support/ra-test-bed.js';
import { buildServer } from '../http/server.js';
import type { Principal } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';

afterAll(dropFreshStores);

const CONSENT = { agreementVersion: 'v1', accepted: true };
const PERSON = { type: 'individual', name: 'John Smith', idType: 'passport', idNumber: 'E12345678', phone: '+8613800138001', email: 'john@example.com' };

/** The clients run as separate processes; under a loaded machine they get minutes, never a timing assertion. */
const runAsync = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) => runToolAsync(command, args, { env: { ...process.env, ...env } });

/** RFC 7030 §4 over a real TLS listener, with clients nobody here wrote: strongSwan's pki and curl + openssl. */
describe.each(storeBackends)('EST (RFC 7030) on %s (issue 21)', (backend) => {
  let t: TestSignet;
  let dir: string;
  let app: FastifyInstance;
  let plain: FastifyInstance;
  let base: string;
  /** strongSwan adds /.well-known/est/… itself. */
  let origin: string;
  let tlsCert: string;
  let rootPem: string;
  let issuingPem: string;
  let officer: Principal;
  let strongswanConf: string;

  const pki = (args: string[]) => runAsync('pki', args, { STRONGSWAN_CONF: strongswanConf });
  const curl = (args: string[]) => runAsync('curl', ['-sS', '--cacert', tlsCert, '-o', '-', '-w', '\n%{http_code}', ...args]);
  const certificateCount = async () => Number((await t.signet.store.db.selectFrom('certificates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  /** Register → submit → review → approve: the RA's credential for one certificate of a verified subscriber. */
  async function approvedCredential(record: Record<string, unknown>): Promise<{ referenceNumber: string; authorizationCode: string; subscriberId: string }> {
    const { subscribers, applications } = t.signet.ra;
    const subscriber = await subscribers.register(officer, { record, consent: CONSENT }, '192.0.2.1');
    const application = await applications.submit(officer, { subscriberId: subscriber.id, purpose: 'signing' }, '192.0.2.1');
    await applications.startReview(officer, application.id);
    const { credential } = await applications.approve(officer, application.id, { note: 'checked' });
    return { ...credential, subscriberId: subscriber.id };
  }

  function request(name: string, subject: string, extra: string[] = []): { der: string; key: string } {
    const key = join(dir, `${name}.key`);
    const der = join(dir, `${name}.der`);
    const made = runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', subject, '-outform', 'DER', '-out', der, ...extra]);
    expect(made.status, made.stderr).toBe(0);
    return { der, key };
  }

  function verify(certificatePath: string): void {
    const result = runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, '-untrusted', issuingPem, certificatePath]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
  }

  beforeAll(async () => {
    ({ t, dir, rootPem, issuingPem, officer } = await openRaTestBed(backend, { dirPrefix: 'signet-est-', signet: { estRetryAfterSeconds: 1 } }));
    tlsCert = join(dir, 'tls.pem');
    const tlsKey = join(dir, 'tls.key');
    const made = runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', tlsKey, '-out', tlsCert, '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    expect(made.status, made.stderr).toBe(0);
    app = await buildServer(t.signet, { logger: false, rateLimits: false, tls: { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    origin = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    base = `${origin}/.well-known/est`;
    plain = await buildServer(t.signet, { logger: false, rateLimits: false, tls: null });
    // Only the plugins pki needs: no TPM probing, no noise.
    strongswanConf = join(dir, 'strongswan.conf');
    writeFileSync(strongswanConf, 'pki {\n  load = random nonce sha1 sha2 pem pkcs1 pkcs7 pkcs8 pubkey x509 openssl curl constraints revocation\n}\n');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await plain?.close();
    await t?.signet.close();
  });

  it('/cacerts gives the issuing CA and its root, certs-only, to strongSwan pki --estca (§4.1)', async () => {
    const caout = join(dir, 'estca.pem');
    const fetched = await pki(['--estca', '--url', origin, '--cacert', tlsCert, '--caout', caout, '--outform', 'pem', '--force']);
    expect(fetched.status, fetched.stderr + fetched.stdout).toBe(0);
    const got = readFileSync(caout, 'utf8') + (() => {
      try {
        return readFileSync(join(dir, 'estca-1.pem'), 'utf8');
      } catch {
        return '';
      }
    })();
    expect(got).toContain(readFileSync(issuingPem, 'utf8').split('\n')[1]);
  }, 120_000);

  it('/cacerts over curl: base64 certs-only PKCS#7 that openssl reads (§4.1.3)', async () => {

    const answer = await curl([`${base}/cacerts`]);
    const [body, status] = [answer.stdout.slice(0, answer.stdout.lastIndexOf('\n')), answer.stdout.slice(answer.stdout.lastIndexOf('\n') + 1)];
    expect(status).toBe('200');
    writeFileSync(join(dir, 'cacerts.p7'), Buffer.from(body, 'base64'));
    const printed = runTool('openssl', ['pkcs7', '-inform', 'DER', '-in', join(dir, 'cacerts.p7'), '-print_certs']);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  }, 120_000);

  it('simpleenroll with the RA credential over HTTP Basic: strongSwan pki --est gets a certificate openssl verify accepts (§4.2.1, R4)', async () => {
    const credential = await approvedCredential(PERSON);
    const csr = request('pki-enrol', '/CN=John Smith');
    const out = join(dir, 'pki-enrol.pem');
    const got = await pki(['--est', '--url', origin, '--cacert', tlsCert, '--cacert', rootPem, '--cacert', issuingPem, '--in', csr.der, '--userpass', `${credential.referenceNumber}:${credential.authorizationCode}`, '--outform', 'pem']);
    expect(got.status, got.stderr + got.stdout).toBe(0);
    writeFileSync(out, got.stdout);
    verify(out);
    const text = runTool('openssl', ['x509', '-in', out, '-noout', '-subject', '-ext', 'subjectAltName']).stdout;
    expect(text).toContain('John Smith');
    expect(text).toContain('email:john@example.com');
    // The RA's own record: the application is completed and the download audited like any other.
    const audited = await t.signet.store.db.selectFrom('audit_entries').select('details').where('action', '=', 'ra.certificate-downloaded').execute();
    expect(audited.length).toBeGreaterThan(0);
  }, 120_000);

  it('curl + openssl as a second client: base64 PKCS#10 in, certs-only PKCS#7 out (§4.2.1, §4.2.3)', async () => {
    const credential = await approvedCredential({ ...PERSON, name: 'Jane Doe', idNumber: 'E22345678', email: 'jane@example.com', phone: '+8613800138002' });
    const csr = request('curl-enrol', '/CN=Jane Doe/emailAddress=jane@example.com');
    const b64 = join(dir, 'curl-enrol.b64');
    writeFileSync(b64, readFileSync(csr.der).toString('base64'));
    const answer = await curl(['-u', `${credential.referenceNumber}:${credential.authorizationCode}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simpleenroll`]);
    const status = answer.stdout.slice(answer.stdout.lastIndexOf('\n') + 1);
    expect(status, answer.stdout).toBe('200');
    writeFileSync(join(dir, 'curl-enrol.p7'), Buffer.from(answer.stdout.slice(0, answer.stdout.lastIndexOf('\n')), 'base64'));
    const printed = runTool('openssl', ['pkcs7', '-inform', 'DER', '-in', join(dir, 'curl-enrol.p7'), '-print_certs', '-out', join(dir, 'curl-enrol.pem')]);
    expect(printed.status, printed.stderr).toBe(0);
    verify(join(dir, 'curl-enrol.pem'));
  }, 120_000);

  it('a wrong code, an unreviewed name, a malformed body and plain HTTP are refused with the HTTP status EST gives them, and nothing changes (§3.2.3, §4.2.3)', async () => {
    const credential = await approvedCredential({ ...PERSON, name: 'Li Lei', idNumber: 'E32345678', email: 'lilei@example.com', phone: '+8613800138003' });
    const good = request('bad-input', '/CN=Li Lei');
    const b64 = join(dir, 'bad-input.b64');
    writeFileSync(b64, readFileSync(good.der).toString('base64'));
    const before = await certificateCount();

    const wrong = await curl(['-i', '-H', 'Accept-Language: en', '-u', `${credential.referenceNumber}:WRONGCODE999`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simpleenroll`]);
    expect(wrong.stdout).toMatch(/^HTTP\/1\.1 401/);
    expect(wrong.stdout.toLowerCase()).toContain('www-authenticate: basic');
    expect(wrong.stdout).toMatch(/\r?\n\r?\nWrong reference number or authorization code/);

    const none = await curl(['-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simpleenroll`]);
    expect(none.stdout.endsWith('\n401')).toBe(true);

    // Another person's name, and a DNS name nobody reviewed: 403, and the credential stays as it was.
    for (const [name, subject, extra] of [
      ['other-name', '/CN=Han Meimei', []],
      ['dns-name', '/CN=Li Lei', ['-addext', 'subjectAltName=DNS:www.example.com']],
    ] as const) {
      const asked = request(name, subject, [...extra]);
      const body = join(dir, `${name}.b64`);
      writeFileSync(body, readFileSync(asked.der).toString('base64'));
      const refused = await curl(['-H', 'Accept-Language: en', '-u', `${credential.referenceNumber}:${credential.authorizationCode}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${body}`, `${base}/simpleenroll`]);
      expect(refused.stdout, name).toMatch(/(^|\n)[^\n]*did not review[^\n]*\n+403$/);
    }

    const garbage = join(dir, 'garbage.b64');
    writeFileSync(garbage, 'this is not base64 DER!!');
    const malformed = await curl(['-u', `${credential.referenceNumber}:${credential.authorizationCode}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${garbage}`, `${base}/simpleenroll`]);
    expect(malformed.stdout.endsWith('\n400')).toBe(true);
    writeFileSync(garbage, Buffer.from('not a request').toString('base64'));
    const notCsr = await curl(['-H', 'Accept-Language: zh-CN', '-u', `${credential.referenceNumber}:${credential.authorizationCode}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${garbage}`, `${base}/simpleenroll`]);
    expect(notCsr.stdout).toMatch(/^证书请求不是有效的 PKCS#10[^\n]*\n+400$/);

    const overPlainHttp = await plain.inject({ method: 'POST', url: '/.well-known/est/simpleenroll', headers: { 'content-type': 'application/pkcs10', authorization: `Basic ${Buffer.from(`${credential.referenceNumber}:${credential.authorizationCode}`).toString('base64')}` }, payload: readFileSync(b64) });
    expect(overPlainHttp.statusCode).toBe(403);
    expect(overPlainHttp.body).toMatch(/^EST 只在 TLS 上提供/);

    expect(await certificateCount()).toBe(before);
    // The refusals did not spend the credential: with a reviewed name it still works, once.
    const ok = await curl(['-u', `${credential.referenceNumber}:${credential.authorizationCode}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simpleenroll`]);
    expect(ok.stdout.endsWith('\n200')).toBe(true);
    const again = await curl(['-u', `${credential.referenceNumber}:${credential.authorizationCode}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simpleenroll`]);
    expect(again.stdout.endsWith('\n409')).toBe(true);
    expect(await certificateCount()).toBe(before + 1);
  }, 240_000);

  it('simplereenroll with the old certificate over TLS client auth: 202 while the officer reviews, then the re-keyed certificate; the old one is superseded (§4.2.2, R16)', async () => {
    const credential = await approvedCredential({ ...PERSON, name: 'Wang Fang', idNumber: 'E42345678', email: 'wangfang@example.com', phone: '+8613800138004' });
    const first = request('renew-first', '/CN=Wang Fang');
    const firstPem = join(dir, 'renew-first.pem');
    const got = await pki(['--est', '--url', origin, '--cacert', tlsCert, '--cacert', rootPem, '--cacert', issuingPem, '--in', first.der, '--userpass', `${credential.referenceNumber}:${credential.authorizationCode}`, '--outform', 'pem']);
    expect(got.status, got.stderr).toBe(0);
    writeFileSync(firstPem, got.stdout);
    const oldSerial = runTool('openssl', ['x509', '-in', firstPem, '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();

    // No client certificate, or one this CA never issued: 403, nothing filed.
    const next = request('renew-next', '/CN=Wang Fang');
    const b64 = join(dir, 'renew-next.b64');
    writeFileSync(b64, readFileSync(next.der).toString('base64'));
    const anonymous = await curl(['-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simplereenroll`]);
    expect(anonymous.stdout.endsWith('\n403')).toBe(true);
    const strangerCert = join(dir, 'stranger.pem');
    const stranger = runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'stranger.key'), '-out', strangerCert, '-subj', '/CN=Wang Fang', '-days', '1']);
    expect(stranger.status).toBe(0);
    const foreign = await curl(['--cert', strangerCert, '--key', join(dir, 'stranger.key'), '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simplereenroll`]);
    expect(foreign.stdout).toMatch(/^出示的 TLS 客户端证书不是本 CA 签发并在册的证书[^\n]*\n+403$/);
    expect(await t.signet.ra.renewals.latestReplacement(oldSerial)).toBeUndefined();

    // strongSwan polls on 202 (Retry-After); the officer approves meanwhile.
    const renewing = pki(['--est', '--url', origin, '--cacert', tlsCert, '--cacert', rootPem, '--cacert', issuingPem, '--in', next.der, '--cert', firstPem, '--key', first.key, '--interval', '1', '--maxpolltime', '150', '--outform', 'pem']);
    let filed: Awaited<ReturnType<typeof t.signet.ra.renewals.latestReplacement>>;
    for (let i = 0; i < 600 && !filed; i++) {
      filed = await t.signet.ra.renewals.latestReplacement(oldSerial);
      if (!filed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(filed?.kind).toBe('rekey');
    expect(filed?.status).toBe('submitted');
    await t.signet.ra.applications.startReview(officer, filed!.id);
    await t.signet.ra.applications.approve(officer, filed!.id, { note: 're-key checked' });
    const renewed = await renewing;
    expect(renewed.status, renewed.stderr).toBe(0);
    const renewedPem = join(dir, 'renewed.pem');
    writeFileSync(renewedPem, renewed.stdout);
    verify(renewedPem);
    expect(runTool('openssl', ['x509', '-in', renewedPem, '-noout', '-serial']).stdout.toLowerCase()).not.toContain(oldSerial);
    expect((await t.signet.status.revocation(oldSerial))?.reason).toBe('superseded');
    expect((await t.signet.ra.renewals.latestReplacement(oldSerial))?.status).toBe('completed');

    // The superseded certificate proves nothing any more.
    const afterRevocation = await curl(['--cert', firstPem, '--key', first.key, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${b64}`, `${base}/simplereenroll`]);
    expect(afterRevocation.stdout.endsWith('\n409')).toBe(true);
  }, 200_000);
});
