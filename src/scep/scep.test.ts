import type { FastifyInstance } from 'fastify';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool, runToolAsync, type TestSignet, type ToolResult } from '../ca/test-support/ca-fixture.js';
import { openRaTestBed } from '../ra/test-support/ra-test-bed.js';
import { softwareSignerFromPkcs8 } from '../crypto/software-signer.js';
import { buildServer } from '../http/server.js';
import type { Principal } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { MESSAGE_TYPE, readCertRep, sealEnvelope, signPkiMessage } from './pki-message.js';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

afterAll(dropFreshStores);

const CONSENT = { agreementVersion: 'v1', accepted: true };
const PERSON = { type: 'individual', name: 'John Smith', idType: 'passport', idNumber: 'E12345678', phone: '+8613800138001', email: 'john@example.com' };
const AES128 = '2.16.840.1.101.3.4.1.2';

/** The clients run as separate processes; under a loaded machine they get minutes, never a timing assertion. */
const runAsync = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) => runToolAsync(command, args, { env: { ...process.env, ...env } });

/** RFC 8894 over plain HTTP with strongSwan's pki (--scepca, --scep) as the client nobody here wrote. */
describe.each(storeBackends)('SCEP (RFC 8894) on %s (issue 21)', (backend) => {
  let t: TestSignet;
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  let url: string;
  let rootPem: string;
  let issuingPem: string;
  let raPem: string;
  let officer: Principal;
  let strongswanConf: string;

  const pki = (args: string[]) => runAsync('pki', args, { STRONGSWAN_CONF: strongswanConf });
  const certificateCount = async () => Number((await t.signet.store.db.selectFrom('certificates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  async function approvedCredential(record: Record<string, unknown>): Promise<{ referenceNumber: string; authorizationCode: string }> {
    const { subscribers, applications } = t.signet.ra;
    const subscriber = await subscribers.register(officer, { record, consent: CONSENT }, '192.0.2.1');
    const application = await applications.submit(officer, { subscriberId: subscriber.id, purpose: 'signing' }, '192.0.2.1');
    await applications.startReview(officer, application.id);
    const { credential } = await applications.approve(officer, application.id, { note: 'checked' });
    return credential;
  }

  function rsaKey(name: string): string {
    const key = join(dir, `${name}.key`);
    const made = runTool('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
    expect(made.status, made.stderr).toBe(0);
    return key;
  }

  function verify(certificatePath: string): void {
    const result = runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, '-untrusted', issuingPem, certificatePath]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
  }

  function enrol(key: string, dn: string, password: string | null, extra: string[] = []): Promise<ToolResult> {
    return pki(['--scep', '--url', url, '--in', key, '--dn', dn, ...(password === null ? [] : ['--password', password]), '--cacert-enc', raPem, '--cacert-sig', raPem, '--cacert', issuingPem, '--cacert', rootPem, '--outform', 'pem', ...extra]);
  }

  const serialOf = (pem: string) => runTool('openssl', ['x509', '-in', pem, '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();

  /** A client that misbehaves on purpose: a self-signed RSA certificate, a PKCS#10 with the challenge, signed as the tests say. */
  function selfSigned(name: string, subject: string, challenge: string | null): { key: string; cert: string; csr: Buffer } {
    const key = rsaKey(name);
    const cert = join(dir, `${name}-self.pem`);
    expect(runTool('openssl', ['req', '-x509', '-new', '-key', key, '-subj', subject, '-days', '1', '-out', cert]).status).toBe(0);
    const csrPath = join(dir, `${name}.csr`);
    const config = join(dir, `${name}.cnf`);
    writeFileSync(config, `[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=${subject.replace('/CN=', '')}\n[attrs]\n${challenge === null ? '' : `challengePassword=${challenge}\n`}`);
    expect(runTool('openssl', ['req', '-new', '-key', key, '-config', config, '-outform', 'DER', '-out', csrPath]).status).toBe(0);
    return { key, cert, csr: readFileSync(csrPath) };
  }

  async function message(client: { key: string; cert: string }, messageType: number, content: Uint8Array, options: { transactionId?: string; signingTime?: Date; tamper?: boolean } = {}): Promise<Buffer> {
    const der = pemBytes(client.cert);
    const ra = pkijs.Certificate.fromBER(new Uint8Array(pemBytes(raPem)).buffer);
    const envelope = sealEnvelope(content, ra, AES128);
    const signed = await signPkiMessage({ signer: await keySigner(client.key), signerCertificateDer: der, messageType, transactionId: options.transactionId ?? `t-${Date.now()}-${Math.random()}`.replace(/\./g, ''), envelope, signingTime: options.signingTime });
    if (options.tamper) signed[signed.length - 10]! ^= 0x01;
    return signed;
  }

  const pemBytes = (path: string) => Buffer.from(readFileSync(path, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const keySigner = async (keyPath: string) => softwareSignerFromPkcs8('rsa-2048', pemBytes(keyPath));

  async function post(der: Buffer): Promise<{ status: number; body: Buffer }> {
    const response = await fetch(`${url}?operation=PKIOperation`, { method: 'POST', body: der, headers: { 'content-type': 'application/x-pki-message' } });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  }

  beforeAll(async () => {
    ({ t, dir, rootPem, issuingPem, officer } = await openRaTestBed(backend, { dirPrefix: 'signet-scep-' }));
    app = await buildServer(t.signet, { logger: false, rateLimits: false, tls: null });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    url = `${base}/scep`;
    strongswanConf = join(dir, 'strongswan.conf');
    writeFileSync(strongswanConf, 'pki {\n  load = random nonce sha1 sha2 pem pkcs1 pkcs7 pkcs8 pubkey x509 openssl curl constraints revocation\n}\n');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  it('GetCACaps, and GetCACert through pki --scepca: the CA chain and a delegated RSA RA certificate for key transport (§3.5, §4.2)', async () => {
    const caps = await fetch(`${url}?operation=GetCACaps`);
    expect(await caps.text()).toMatch(/SCEPStandard/);
    const fetched = await pki(['--scepca', '--url', url, '--caout', join(dir, 'scepca.pem'), '--raout', join(dir, 'scepra.pem'), '--outform', 'pem', '--force']);
    expect(fetched.status, fetched.stderr + fetched.stdout).toBe(0);
    raPem = join(dir, 'scepra.pem');
    expect(readFileSync(join(dir, 'scepca.pem'), 'utf8')).toBe(readFileSync(rootPem, 'utf8'));
    expect(readFileSync(join(dir, 'scepca-1.pem'), 'utf8')).toBe(readFileSync(issuingPem, 'utf8'));
    verify(raPem);
    const text = runTool('openssl', ['x509', '-in', raPem, '-noout', '-text']).stdout;
    expect(text).toContain('rsaEncryption');
    expect(text).toMatch(/Key Encipherment/);
    expect(text).not.toContain('CA:TRUE');
    // Its key is in the key store like the responders' keys: sealed, software, responder custody.
    const row = await t.signet.store.db.selectFrom('scep_ra_identities' as never).selectAll().executeTakeFirstOrThrow() as { encrypted_private_key: string; key_storage: string };
    expect(row.key_storage).toBe('software');
    expect(row.encrypted_private_key).not.toContain('PRIVATE KEY');
  }, 120_000);

  it('PKCSReq with the RA credential as challengePassword: strongSwan pki --scep gets a certificate openssl verify accepts; the code works once (§3.3.1, R4)', async () => {
    const credential = await approvedCredential(PERSON);
    const key = rsaKey('enrol');
    const got = await enrol(key, 'CN=John Smith', `${credential.referenceNumber}:${credential.authorizationCode}`);
    expect(got.status, got.stderr + got.stdout).toBe(0);
    const out = join(dir, 'enrol.pem');
    writeFileSync(out, got.stdout);
    verify(out);
    const text = runTool('openssl', ['x509', '-in', out, '-noout', '-subject', '-ext', 'subjectAltName']).stdout;
    expect(text).toContain('John Smith');
    expect(text).toContain('email:john@example.com');
    const audited = await t.signet.store.db.selectFrom('audit_entries').select('details').where('action', '=', 'ra.certificate-downloaded').execute();
    expect(audited.length).toBeGreaterThan(0);

    const before = await certificateCount();
    const again = await enrol(rsaKey('enrol-again'), 'CN=John Smith', `${credential.referenceNumber}:${credential.authorizationCode}`);
    expect(again.status).not.toBe(0);
    expect(again.stderr + again.stdout).toMatch(/badRequest/);
    expect(await certificateCount()).toBe(before);
  }, 240_000);

  it('a wrong code, no challenge, an unreviewed name, a bad signature, a far-off signing time, an unknown poll and garbage get their failInfo and change nothing (§3.2.1.4)', async () => {
    const credential = await approvedCredential({ ...PERSON, name: 'Li Lei', idNumber: 'E32345678', email: 'lilei@example.com', phone: '+8613800138003' });
    const before = await certificateCount();
    const attempts = async () => {
      const row = await sql<{ failed_attempts: number | string }>`select failed_attempts from ra_download_credentials where reference_number = ${credential.referenceNumber}`.execute(t.signet.store.db);
      return Number(row.rows[0]!.failed_attempts);
    };

    const wrong = await enrol(rsaKey('wrong'), 'CN=Li Lei', `${credential.referenceNumber}:WRONGCODE999`);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toMatch(/badRequest/);
    // The wrong code counts against the credential like at every other door.
    expect(await attempts()).toBe(1);

    const noChallenge = await enrol(rsaKey('none'), 'CN=Li Lei', null);
    expect(noChallenge.stderr + noChallenge.stdout).toMatch(/badRequest/);
    const otherName = await enrol(rsaKey('other'), 'CN=Han Meimei', `${credential.referenceNumber}:${credential.authorizationCode}`);
    expect(otherName.stderr + otherName.stdout).toMatch(/badRequest/);

    const client = selfSigned('crafted', '/CN=Li Lei', `${credential.referenceNumber}:${credential.authorizationCode}`);
    const tampered = readCertRep((await post(await message(client, MESSAGE_TYPE.PKCSReq, client.csr, { tamper: true }))).body);
    expect([tampered.status, tampered.failInfo]).toEqual(['2', '1']);
    const late = readCertRep((await post(await message(client, MESSAGE_TYPE.PKCSReq, client.csr, { signingTime: new Date(Date.now() - 3 * 86_400_000) }))).body);
    expect([late.status, late.failInfo]).toEqual(['2', '3']);
    // CertPoll for a transaction nobody opened: badCertId.
    const name = pkijs.Certificate.fromBER(new Uint8Array(pemBytes(client.cert)).buffer).subject.toSchema();
    const issuerAndSubject = Buffer.from(new asn1js.Sequence({ value: [name, name] }).toBER());
    const poll = readCertRep((await post(await message(client, MESSAGE_TYPE.CertPoll, issuerAndSubject))).body);
    expect([poll.status, poll.failInfo]).toEqual(['2', '4']);
    const garbage = await post(Buffer.from('not a pkiMessage'));
    expect(garbage.status).toBe(400);
    expect(garbage.body.toString()).toMatch(/^SCEP 报文无法读取/);

    expect(await certificateCount()).toBe(before);
    expect(await attempts()).toBe(1);
    // Refusals did not spend the credential: the reviewed name with the right code still works, once.
    const ok = readCertRep((await post(await message(client, MESSAGE_TYPE.PKCSReq, client.csr))).body);
    expect(ok.status).toBe('0');
    expect(await certificateCount()).toBe(before + 1);
  }, 240_000);

  it('RenewalReq signed with the old certificate: PENDING while the officer reviews, CertPoll then gets the certificate; revoked by REST, OCSP says so (§3.3.1.2, §3.3.3, R16)', async () => {
    const credential = await approvedCredential({ ...PERSON, name: 'Wang Fang', idNumber: 'E42345678', email: 'wangfang@example.com', phone: '+8613800138004' });
    const firstKey = rsaKey('renew-first');
    const got = await enrol(firstKey, 'CN=Wang Fang', `${credential.referenceNumber}:${credential.authorizationCode}`);
    expect(got.status, got.stderr).toBe(0);
    const firstPem = join(dir, 'renew-first.pem');
    writeFileSync(firstPem, got.stdout);
    const oldSerial = serialOf(firstPem);

    const nextKey = rsaKey('renew-next');
    const renewing = enrol(nextKey, 'CN=Wang Fang', null, ['--cert', firstPem, '--key', firstKey, '--interval', '1', '--maxpolltime', '150']);
    let filed: Awaited<ReturnType<typeof t.signet.ra.renewals.latestReplacement>>;
    for (let i = 0; i < 600 && !filed; i++) {
      filed = await t.signet.ra.renewals.latestReplacement(oldSerial);
      if (!filed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(filed?.kind).toBe('rekey');
    await t.signet.ra.applications.startReview(officer, filed!.id);
    await t.signet.ra.applications.approve(officer, filed!.id, { note: 're-key checked' });
    const renewed = await renewing;
    expect(renewed.status, renewed.stderr + renewed.stdout).toBe(0);
    expect(renewed.stderr + renewed.stdout).toMatch(/pending/i);
    const renewedPem = join(dir, 'renewed.pem');
    writeFileSync(renewedPem, renewed.stdout);
    verify(renewedPem);
    const newSerial = serialOf(renewedPem);
    expect(newSerial).not.toBe(oldSerial);
    expect((await t.signet.status.revocation(oldSerial))?.reason).toBe('superseded');

    // Revocation through the existing REST API; OCSP answers revoked.
    const revoked = await fetch(`${base}/api/v1/certificates/${newSerial}/revocation`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'ca', ground: 'written-request', justification: '订户书面申请' }),
    });
    expect(revoked.status, await revoked.clone().text()).toBe(201);
    const chain = join(dir, 'chain.pem');
    writeFileSync(chain, readFileSync(rootPem, 'utf8') + readFileSync(issuingPem, 'utf8'));
    const ocsp = await runAsync('openssl', ['ocsp', '-issuer', issuingPem, '-cert', renewedPem, '-url', `${base}/ocsp`, '-CAfile', chain]);
    expect(ocsp.stdout + ocsp.stderr).toMatch(/: revoked/);

    // The revoked certificate renews nothing.
    const after = await enrol(rsaKey('renew-after'), 'CN=Wang Fang', null, ['--cert', renewedPem, '--key', nextKey, '--interval', '1', '--maxpolltime', '5']);
    expect(after.status).not.toBe(0);
    expect(after.stderr + after.stdout).toMatch(/badRequest/);
  }, 300_000);
});
