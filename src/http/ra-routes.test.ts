import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { raDb } from '../ra/schema.js';
import { findRevocation } from '../status/revocation.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

const execFileAsync = promisify(execFile);

const AGREEMENT = readFileSync(new URL('../../test/fixtures/subscriber-agreement-2022-08.zh.txt', import.meta.url), 'utf8');
const DOCUMENT_LIMIT = 64 * 1024;
const DAY = 86_400_000;

/** Tables whose rows a refused request must leave exactly as they were. */
const COUNTED_TABLES = [
  'ra_subscribers',
  'ra_subscriber_versions',
  'ra_memberships',
  'ra_documents',
  'ra_applications',
  'ra_download_credentials',
  'ra_change_requests',
  'ra_delegations',
  'agreement_acceptances',
  'issuance_intents',
  'certificates',
  'audit_entries',
] as const;

interface Credential {
  referenceNumber: string;
  authorizationCode: string;
  expiresAt: string;
}

/** What the subscriber types in: the reference number and the authorization code. */
const codes = (c: Credential) => ({ referenceNumber: c.referenceNumber, authorizationCode: c.authorizationCode });

interface Caller {
  bearer?: string;
  cookie?: string;
  csrf?: string;
}

interface Answer {
  status: number;
  json: Record<string, unknown> & { code?: string; field?: string };
  headers: Headers;
  bytes: Buffer;
}

const enterprise = (name: string, uscc: string) => ({
  type: 'enterprise',
  name,
  uscc,
  legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
  agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
  consent: { agreementVersion: '2022-08', accepted: true },
});

describe.each(storeBackends)('the RA over HTTP on %s (R0, R1, R3, R4, R5, R6, R18)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let base: string;
  let dir: string;
  let offset = 0;
  const admin: Caller = { bearer: 'test-admin-token' };
  let raA: string;
  let raB: string;
  let officerA: Caller;
  let officerB: Caller;

  async function call(caller: Caller | null, method: string, path: string, body?: unknown, contentType?: string): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (caller?.bearer) headers.authorization = `Bearer ${caller.bearer}`;
    if (caller?.cookie) headers.cookie = caller.cookie;
    if (caller?.csrf) headers['x-csrf-token'] = caller.csrf;
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) {
      payload = body;
      headers['content-type'] = contentType ?? 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, body: payload });
    const bytes = Buffer.from(await response.arrayBuffer());
    let json = {} as Answer['json'];
    if ((response.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(bytes.toString('utf8')) as Answer['json'];
    return { status: response.status, json, headers: response.headers, bytes };
  }

  async function login(username: string, password: string): Promise<Caller> {
    const answer = await call(null, 'POST', '/api/v1/ra/login', { username, password });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const cookies = answer.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('signet_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/SameSite=Strict/);
    return { cookie: session.split(';')[0], csrf: String(answer.json.csrfToken) };
  }

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const db = raDb(t.signet.store);
    for (const table of COUNTED_TABLES) {
      const row = await db.selectFrom(table as 'ra_subscribers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      out[table] = Number(row.n);
    }
    return out;
  }

  /** Registers, submits, reviews and approves: the credential of a fresh application. */
  async function approvedApplication(officer: Caller, registration: unknown, purpose = 'signing', keyGeneration?: string) {
    const subscriber = await call(officer, 'POST', '/api/v1/ra/subscribers', registration);
    expect(subscriber.status, JSON.stringify(subscriber.json)).toBe(201);
    const application = await call(officer, 'POST', '/api/v1/ra/applications', { subscriberId: subscriber.json.id, purpose, keyGeneration });
    expect(application.status, JSON.stringify(application.json)).toBe(201);
    const id = String(application.json.id);
    expect((await call(officer, 'POST', `/api/v1/ra/applications/${id}/review`)).json.status).toBe('in-review');
    const approval = await call(officer, 'POST', `/api/v1/ra/applications/${id}/approve`, { note: '材料齐全' });
    expect(approval.status, JSON.stringify(approval.json)).toBe(200);
    const credential = approval.json.credential as { referenceNumber: string; authorizationCode: string; expiresAt: string };
    return { subscriberId: String(subscriber.json.id), applicationId: id, credential };
  }

  function verifyWithOpenssl(pem: string): { subject: string; verify: string } {
    const leaf = join(dir, `leaf-${Math.random().toString(16).slice(2)}.pem`);
    writeFileSync(leaf, pem);
    const root = writePem(dir, 'root.pem', h.root.der);
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const verify = runTool('openssl', ['verify', '-x509_strict', '-CAfile', root, '-untrusted', issuing, leaf]);
    expect(verify.status, verify.stderr).toBe(0);
    const subject = runTool('openssl', ['x509', '-in', leaf, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']);
    return { subject: subject.stdout, verify: verify.stdout };
  }

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => new Date(Date.now() + offset), ra: { documentLimitBytes: DOCUMENT_LIMIT } });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = mkdtempSync(join(tmpdir(), 'signet-ra-'));

    // The bootstrap admin token acts as CA administrator: it publishes the agreement and staffs the RAs.
    expect((await call(admin, 'POST', '/api/v1/agreements', { id: '2022-08', title: 'CFCA 数字证书服务协议', text: AGREEMENT })).status).toBe(201);
    raA = String((await call(admin, 'POST', '/api/v1/ra/organisations', { name: '北京注册机构' })).json.id);
    raB = String((await call(admin, 'POST', '/api/v1/ra/organisations', { name: '上海注册机构' })).json.id);
    for (const [username, raId] of [['officer-a', raA], ['officer-b', raB]] as const) {
      const created = await call(admin, 'POST', '/api/v1/ra/operators', { username, role: 'ra-officer', raId, password: 'a long enough password' });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
    }
    officerA = await login('officer-a', 'a long enough password');
    officerB = await login('officer-b', 'a long enough password');
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('registers an enterprise, approves it, and the CSR download yields a certificate openssl verifies, with the USCC and name in the subject (R1, R4, R5)', async () => {
    const { subscriberId, applicationId, credential } = await approvedApplication(officerA, enterprise('示例科技有限公司', '91350100M000100Y43'));
    expect(credential.referenceNumber).toMatch(/^\d{16}$/);
    expect(Date.parse(credential.expiresAt) - t.signet.ca.now().getTime()).toBeGreaterThan(13.9 * DAY);

    // The authorization code is stored only as a hash.
    const stored = await raDb(t.signet.store).selectFrom('ra_download_credentials').selectAll().where('application_id', '=', applicationId).executeTakeFirstOrThrow();
    expect(stored.code_hash).toMatch(/^scrypt\$/);
    expect(stored.code_hash).not.toContain(credential.authorizationCode);

    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'enterprise');
    const download = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr: csrPem });
    expect(download.status, JSON.stringify(download.json)).toBe(201);
    const { subject } = verifyWithOpenssl(String(download.json.certificatePem));
    expect(subject).toContain('91350100M000100Y43');
    expect(subject).toContain('O=示例科技有限公司');
    expect(subject).toContain('CN=示例科技有限公司');
    expect(subject).not.toContain('ignored by the CA');
    expect(String(download.json.chainPem).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    // R0: consent at registration (explicit) and at the first download (download), with version and address.
    const acceptances = await t.signet.ra.agreements.acceptances(subscriberId);
    expect(acceptances.map((a) => [a.versionId, a.channel])).toEqual([
      ['2022-08', 'explicit'],
      ['2022-08', 'download'],
    ]);
    expect(acceptances[1]!.clientAddress).toBe('127.0.0.1');
    expect((await call(officerA, 'GET', `/api/v1/ra/applications/${applicationId}`)).json).toMatchObject({ status: 'completed', certificateSerial: download.json.serial });

    // A credential works once.
    const before = await counts();
    const again = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr: opensslRequest(dir, 'ecdsa-p256', 'again').csrPem });
    expect([again.status, again.json.code]).toEqual([409, 'ra.credential-used']);
    expect(await counts()).toEqual(before);
  });

  it('refuses bad input with a precise 4xx and changes nothing (R0, R1, R4)', async () => {
    const before = await counts();

    const badId = await call(officerA, 'POST', '/api/v1/ra/subscribers', {
      type: 'individual',
      name: '张三',
      idType: 'resident-id',
      idNumber: '110101199003077578',
      phone: '13900139000',
      email: 'zhangsan@example.cn',
      consent: { agreementVersion: '2022-08', accepted: true },
    });
    expect([badId.status, badId.json.code, badId.json.field]).toEqual([400, 'ra.invalid-resident-id.check-digit', 'idNumber']);

    const badUscc = await call(officerA, 'POST', '/api/v1/ra/subscribers', enterprise('坏代码有限公司', '91350100M000100Y44'));
    expect([badUscc.status, badUscc.json.code, badUscc.json.field]).toEqual([400, 'ra.invalid-uscc.check-character', 'uscc']);

    const { consent: _omitted, ...withoutConsent } = enterprise('未同意有限公司', '91110000802100433B');
    const noConsent = await call(officerA, 'POST', '/api/v1/ra/subscribers', withoutConsent);
    expect([noConsent.status, noConsent.json.code, noConsent.json.field]).toEqual([400, 'ra.consent-required', 'consent']);
    // The field is named in words in each language (issue 20), the code stays in `field` for forms and clients.
    const { legalRepresentative, ...rest } = enterprise('缺法人有限公司', '91110000802100433B');
    const noNumber = await call(officerA, 'POST', '/api/v1/ra/subscribers', { ...rest, legalRepresentative: { ...legalRepresentative, idNumber: '' } });
    expect([noNumber.status, noNumber.json.code, noNumber.json.field]).toEqual([400, 'ra.field-required', 'legalRepresentative.idNumber']);
    expect(noNumber.json.messages).toEqual({ 'zh-CN': '请填写法定代表人证件号码', en: 'The legal representative ID number is required' });
    expect(JSON.stringify(noConsent.json.messages)).not.toContain('consent.accepted');

    const oldVersion = await call(officerA, 'POST', '/api/v1/ra/subscribers', { ...enterprise('旧版本有限公司', '91110000802100433B'), consent: { agreementVersion: '2019-01', accepted: true } });
    expect([oldVersion.status, oldVersion.json.code]).toEqual([409, 'ra.consent-outdated']);
    expect(await counts()).toEqual(before);
  });

  it('refuses an oversized upload with 413 and stores nothing; a document in limits is kept with its SHA-256 (R1)', async () => {
    const subscriber = await call(officerA, 'POST', '/api/v1/ra/subscribers', enterprise('材料测试有限公司', '91110000802100433B'));
    expect(subscriber.status, JSON.stringify(subscriber.json)).toBe(201);
    const path = `/api/v1/ra/subscribers/${subscriber.json.id}/documents?kind=business-licence&filename=licence.pdf`;
    const before = await counts();
    const tooBig = await call(officerA, 'POST', path, Buffer.alloc(DOCUMENT_LIMIT + 1, 0x25), 'application/pdf');
    expect([tooBig.status, tooBig.json.code]).toEqual([413, 'request.body-too-large']);
    expect(await counts()).toEqual(before);

    const content = Buffer.from('%PDF-1.4\n营业执照\n%%EOF\n');
    const stored = await call(officerA, 'POST', path, content, 'application/pdf');
    expect(stored.status, JSON.stringify(stored.json)).toBe(201);
    expect(stored.json.sha256).toBe(runTool('openssl', ['dgst', '-sha256', '-r'], content).stdout.split(' ')[0]);
  });

  it('lets only an officer of the subscriber\'s RA decide; another RA\'s officer gets 403 and nothing changes (R4)', async () => {
    const subscriber = await call(officerA, 'POST', '/api/v1/ra/subscribers', enterprise('审核权限有限公司', '91310000MA1FL8HQ33'));
    expect(subscriber.status, JSON.stringify(subscriber.json)).toBe(201);
    const application = await call(officerA, 'POST', '/api/v1/ra/applications', { subscriberId: subscriber.json.id, purpose: 'signing' });
    const id = String(application.json.id);
    await call(officerA, 'POST', `/api/v1/ra/applications/${id}/review`);
    const before = await counts();
    for (const step of ['approve', 'review']) {
      const refused = await call(officerB, 'POST', `/api/v1/ra/applications/${id}/${step}`, {});
      expect([refused.status, refused.json.code]).toEqual([403, 'ra.other-ra']);
    }
    const reject = await call(officerB, 'POST', `/api/v1/ra/applications/${id}/reject`, { reason: '不是我的' });
    expect(reject.status).toBe(403);
    expect(await counts()).toEqual(before);
    expect((await call(officerA, 'GET', `/api/v1/ra/applications/${id}`)).json.status).toBe('in-review');
    // A rejection needs a reason.
    const noReason = await call(officerA, 'POST', `/api/v1/ra/applications/${id}/reject`, { reason: '  ' });
    expect([noReason.status, noReason.json.code, noReason.json.field]).toEqual([400, 'ra.reason-required', 'reason']);
    expect(await counts()).toEqual(before);
  });

  it('locks a credential at the fifth wrong code; afterwards even the right code gets the same refusal and changes nothing (R4, issue 16)', async () => {
    const { credential } = await approvedApplication(officerA, enterprise('锁定测试有限公司', '91440300MA5FUQ2U10'));
    const csr = opensslRequest(dir, 'ecdsa-p256', 'locked').csrPem;
    // An unknown reference and a wrong code are answered alike: nothing says which references exist.
    const unknown = await call(null, 'POST', '/api/v1/ra/downloads', { referenceNumber: '0000000000000000', authorizationCode: 'WRONGCODE234', csr });
    expect([unknown.status, unknown.json.code, unknown.json.field]).toEqual([403, 'ra.credential-refused', 'authorizationCode']);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), authorizationCode: 'WRONGCODE234', csr });
      expect([wrong.status, wrong.json.code, wrong.json.field]).toEqual([403, 'ra.credential-refused', 'authorizationCode']);
    }
    const stored = await raDb(t.signet.store).selectFrom('ra_download_credentials').select(['status', 'failed_attempts']).where('reference_number', '=', credential.referenceNumber).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'locked', failed_attempts: 5 });
    const before = await counts();
    const sixth = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), authorizationCode: 'WRONGCODE234', csr });
    expect([sixth.status, sixth.json.code]).toEqual([403, 'ra.credential-refused']);
    // Even the right code no longer opens it, and says no more than a wrong one.
    const right = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr });
    expect([right.status, right.json.code]).toEqual([403, 'ra.credential-refused']);
    expect(await counts()).toEqual(before);
  });

  it('a right code whose credential the last wrong guess of a burst locks while the code is being checked hears the same refusal, and the lock stands (issue 16)', async () => {
    const { credential } = await approvedApplication(officerA, enterprise('竞态锁定有限公司', '91440300MA5FUQ2U36'));
    const csr = opensslRequest(dir, 'ecdsa-p256', 'race-lock').csrPem;
    const row = await raDb(t.signet.store).selectFrom('ra_download_credentials').select('id').where('reference_number', '=', credential.referenceNumber).executeTakeFirstOrThrow();
    const download = call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr });
    // The right code has taken its place and its code is being checked (scrypt): a wrong guess beside it locks now.
    const counted = () => raDb(t.signet.store).selectFrom('ra_secret_attempts').select('attempts').where('key', '=', `credential:${row.id}`).executeTakeFirst();
    while (!((await counted())?.attempts ?? 0)) await new Promise((resolve) => setImmediate(resolve));
    await raDb(t.signet.store).updateTable('ra_download_credentials').set({ status: 'locked', failed_attempts: 5 }).where('id', '=', row.id).execute();
    const answer = await download;
    expect([answer.status, answer.json.code]).toEqual([403, 'ra.credential-refused']);
    const stored = await raDb(t.signet.store).selectFrom('ra_download_credentials').select('status').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored.status).toBe('locked');
  });

  it('a right code whose download is refused (an agent nobody authorised) gives the credential back and its count starts again; a right code that downloads frees no place for guesses after it (issue 16)', async () => {
    const { applicationId, credential } = await approvedApplication(officerA, enterprise('重试测试有限公司', '91440300MA5FUQ2U23'));
    const csr = opensslRequest(dir, 'ecdsa-p256', 'retry').csrPem;
    const wrongCodes = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const wrong = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), authorizationCode: 'WRONGCODE234', csr });
        expect([wrong.status, wrong.json.code]).toEqual([403, 'ra.credential-refused']);
      }
    };
    const evaluatedWrong = async () =>
      Number(
        (
          await t.signet.store.db
            .selectFrom('audit_entries')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('action', 'in', ['ra.credential-wrong-code', 'ra.credential-locked'])
            .where('target', '=', `application:${applicationId}`)
            .executeTakeFirstOrThrow()
        ).n,
      );
    await wrongCodes(4);
    // The right code, but sent as an agent nobody authorised: nothing issued, the credential is given back.
    const stranger = await call(null, 'POST', '/api/v1/ra/downloads', {
      ...codes(credential),
      csr,
      agent: { delegationId: '00000000-0000-4000-8000-000000000000', idType: 'resident-id', idNumber: '11010519491231002X' },
    });
    expect([stranger.status, stranger.json.code]).toEqual([403, 'ra.delegation-invalid']);
    const stored = () => raDb(t.signet.store).selectFrom('ra_download_credentials').select('status').where('reference_number', '=', credential.referenceNumber).executeTakeFirstOrThrow();
    expect((await stored()).status).toBe('issued');
    // The holder proved the code: the four typos before it no longer count, four more are evaluated.
    await wrongCodes(4);
    expect(await evaluatedWrong()).toBe(8);
    const downloaded = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr });
    expect(downloaded.status, JSON.stringify(downloaded.json)).toBe(201);
    expect((await stored()).status).toBe('used');
    // The download used the fifth place: guesses after it are refused before any code is looked at.
    await wrongCodes(3);
    expect(await evaluatedWrong()).toBe(8);
  });

  it('refuses an expired credential (injected clock: 15 days later) with 410 and changes nothing (R4)', async () => {
    const { credential } = await approvedApplication(officerA, enterprise('过期测试有限公司', '91330000MA27U8MR0H'));
    const before = await counts();
    offset = 15 * DAY;
    try {
      const late = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr: opensslRequest(dir, 'ecdsa-p256', 'late').csrPem });
      expect([late.status, late.json.code]).toEqual([410, 'ra.credential-expired']);
      expect(await counts()).toEqual(before);
    } finally {
      offset = 0;
    }
  });

  it('re-issues after a change of information: new version on file, old certificate revoked (affiliationChanged), new one with the new name (R3)', async () => {
    const { subscriberId, credential } = await approvedApplication(officerA, enterprise('旧名称有限公司', '91320000MA1MXG9Q2M'));
    const first = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr: opensslRequest(dir, 'ecdsa-p256', 'old-name').csrPem });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    const beforeChange = t.signet.ca.now();

    const change = await call(officerA, 'POST', `/api/v1/ra/subscribers/${subscriberId}/changes`, { changes: { name: '新名称有限公司' } });
    expect(change.status, JSON.stringify(change.json)).toBe(201);
    const approval = await call(officerA, 'POST', `/api/v1/ra/changes/${change.json.id}/approve`, {});
    expect(approval.status, JSON.stringify(approval.json)).toBe(200);
    expect(approval.json.revoked).toEqual([first.json.serial]);
    const revocation = await findRevocation(t.signet.ca, String(first.json.serial));
    expect(revocation?.reason).toBe('affiliationChanged');
    // At once in OCSP (R7), asked with a tool nobody here wrote.
    const oldLeaf = join(dir, 'old-name.pem');
    writeFileSync(oldLeaf, String(first.json.certificatePem));
    // Asynchronously: the server answering is in this very process.
    const ocsp = await execFileAsync('openssl', ['ocsp', '-issuer', writePem(dir, 'issuing.pem', h.issuing.der), '-cert', oldLeaf, '-url', `${base}/ocsp`, '-CAfile', writePem(dir, 'root.pem', h.root.der)], { timeout: 30_000 });
    expect(ocsp.stdout, ocsp.stderr).toContain(`${oldLeaf}: revoked`);
    expect(ocsp.stdout).toContain('Reason: affiliationChanged');

    const reissue = (approval.json.reissues as Array<{ credential: typeof credential }>)[0]!;
    const second = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(reissue.credential), csr: opensslRequest(dir, 'ecdsa-p256', 'new-name').csrPem });
    expect(second.status, JSON.stringify(second.json)).toBe(201);
    expect(verifyWithOpenssl(String(second.json.certificatePem)).subject).toContain('O=新名称有限公司');

    // What was on file before the change stays provable (R3).
    const then = await call(officerA, 'GET', `/api/v1/ra/subscribers/${subscriberId}?at=${encodeURIComponent(beforeChange.toISOString())}`);
    expect((then.json.record as { record: { name: string } }).record.name).toBe('旧名称有限公司');
    const versions = await call(officerA, 'GET', `/api/v1/ra/subscribers/${subscriberId}/versions`);
    expect((versions.json as unknown as Array<{ version: number }>).map((v) => v.version)).toEqual([1, 2]);
    expect(approval.json).toMatchObject({ certificateContentChanged: true, certificatesInForce: 0 });

    // Issue 20: with the only certificate revoked, a later change to its content revokes nothing and re-issues nothing,
    // and the answer says there is no certificate in force (not that the certificates "stay valid").
    await t.signet.status.revokeCertificate({ serial: String(second.json.serial), reason: 'cessationOfOperation', channel: 'ra', requestedBy: 'test' });
    const renamed = await call(officerA, 'POST', `/api/v1/ra/subscribers/${subscriberId}/changes`, { changes: { name: '更新名称有限公司' } });
    const quiet = await call(officerA, 'POST', `/api/v1/ra/changes/${renamed.json.id}/approve`, {});
    expect(quiet.json).toMatchObject({ revoked: [], reissues: [], certificateContentChanged: true, certificatesInForce: 0 });
    const phone = await call(officerA, 'POST', `/api/v1/ra/subscribers/${subscriberId}/changes`, { changes: { phone: '13900139000' } });
    expect((await call(officerA, 'POST', `/api/v1/ra/changes/${phone.json.id}/approve`, {})).json).toMatchObject({ revoked: [], certificateContentChanged: false, certificatesInForce: 0 });
  });

  it('hands a merged RA\'s subscribers and pending applications to the successor, whose officer sees and approves them (R18)', async () => {
    const subscriber = await call(officerB, 'POST', '/api/v1/ra/subscribers', enterprise('合并测试有限公司', '91500000MA5U7D2X0A'));
    expect(subscriber.status, JSON.stringify(subscriber.json)).toBe(201);
    const application = await call(officerB, 'POST', '/api/v1/ra/applications', { subscriberId: subscriber.json.id, purpose: 'signing' });
    const id = String(application.json.id);
    expect((await call(officerA, 'POST', `/api/v1/ra/applications/${id}/review`)).status).toBe(403);

    const merged = await call(admin, 'POST', `/api/v1/ra/organisations/${raB}/merge`, { into: raA, reason: '机构调整' });
    expect(merged.status, JSON.stringify(merged.json)).toBe(200);
    expect(merged.json).toMatchObject({ subscribersMoved: 1, applicationsMoved: 1 });

    const seen = await call(officerA, 'GET', '/api/v1/ra/subscribers');
    expect((seen.json as unknown as Array<{ id: string; raId: string }>).find((s) => s.id === subscriber.json.id)?.raId).toBe(raA);
    expect((await call(officerA, 'POST', `/api/v1/ra/applications/${id}/review`)).status).toBe(200);
    const approval = await call(officerA, 'POST', `/api/v1/ra/applications/${id}/approve`, {});
    expect(approval.status).toBe(200);
    const download = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(approval.json.credential as Credential), csr: opensslRequest(dir, 'ecdsa-p256', 'merged').csrPem });
    expect(download.status).toBe(201);

    // The merged RA's own officer can no longer act; the successor is the "original RA" for revocation too (R7).
    expect((await call(officerB, 'GET', '/api/v1/ra/subscribers')).status).toBe(403);
    const revoked = await call(officerA, 'POST', `/api/v1/ra/certificates/${download.json.serial}/revocations`, { reason: 'cessationOfOperation' });
    expect(revoked.status, JSON.stringify(revoked.json)).toBe(200);
    expect(await findRevocation(t.signet.ca, String(download.json.serial))).toMatchObject({ reason: 'cessationOfOperation', channel: 'ra', requestedBy: 'operator:officer-a' });
    // History keeps who was where, when.
    const history = await call(admin, 'GET', `/api/v1/ra/organisations/${raB}/history`);
    const periods = history.json as unknown as Array<{ subscriberId: string; raId: string; until: string | null; reason: string }>;
    const mine = periods.filter((p) => p.subscriberId === subscriber.json.id);
    expect(mine.map((p) => [p.raId, p.reason, p.until === null])).toEqual([
      [raB, 'registered', false],
      [raA, 'merged', true],
    ]);
  });

  it('renews with the same key, re-keys with a new one and then revokes the old certificate as superseded (R16)', async () => {
    const { credential } = await approvedApplication(officerA, enterprise('续期测试有限公司', '91420000MA4KXD5N3E'));
    const original = opensslRequest(dir, 'ecdsa-p256', 'renew-original');
    const first = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr: original.csrPem });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    const serial = String(first.json.serial);

    const approve = async (applicationId: string) => {
      await call(officerA, 'POST', `/api/v1/ra/applications/${applicationId}/review`);
      return (await call(officerA, 'POST', `/api/v1/ra/applications/${applicationId}/approve`, {})).json.credential as Credential;
    };

    // Renewal: the same key, proven again by a fresh request signed with it.
    const renewal = await call(officerA, 'POST', `/api/v1/ra/certificates/${serial}/renewals`, { rekey: false });
    expect(renewal.status, JSON.stringify(renewal.json)).toBe(201);
    expect(renewal.json).toMatchObject({ kind: 'renewal', replacesSerial: serial, status: 'submitted' });
    const renewalCredential = await approve(String(renewal.json.id));
    const otherKey = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(renewalCredential), csr: opensslRequest(dir, 'ecdsa-p256', 'renew-other').csrPem });
    expect([otherKey.status, otherKey.json.code]).toEqual([400, 'ra.renewal-needs-same-key']);
    const sameKeyCsr = runTool('openssl', ['req', '-new', '-key', original.keyPath, '-subj', '/CN=renewal']).stdout;
    const renewed = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(renewalCredential), csr: sameKeyCsr });
    expect(renewed.status, JSON.stringify(renewed.json)).toBe(201);
    expect(await findRevocation(t.signet.ca, serial)).toBeNull();

    // Re-key: a new key; once it is downloaded the replaced certificate is revoked as superseded.
    const rekey = await call(officerA, 'POST', `/api/v1/ra/certificates/${renewed.json.serial}/renewals`, { rekey: true });
    expect(rekey.status, JSON.stringify(rekey.json)).toBe(201);
    const rekeyCredential = await approve(String(rekey.json.id));
    const sameKey = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(rekeyCredential), csr: sameKeyCsr });
    expect([sameKey.status, sameKey.json.code]).toEqual([400, 'ra.rekey-needs-new-key']);
    const rekeyed = await call(null, 'POST', '/api/v1/ra/downloads', { ...codes(rekeyCredential), csr: opensslRequest(dir, 'ecdsa-p256', 'rekey-new').csrPem });
    expect(rekeyed.status, JSON.stringify(rekeyed.json)).toBe(201);
    expect((await findRevocation(t.signet.ca, String(renewed.json.serial)))?.reason).toBe('superseded');

    // A revoked certificate is not renewed.
    const late = await call(officerA, 'POST', `/api/v1/ra/certificates/${renewed.json.serial}/renewals`, {});
    expect([late.status, late.json.code]).toEqual([409, 'ra.certificate-revoked']);
  });

  it('lets an authorised agent download into a server-generated PKCS#12 (AES-256-CBC, PBKDF2-SHA256) where the profile allows it (R5, R6)', async () => {
    const registration = {
      type: 'individual',
      name: '赵六',
      idType: 'resident-id',
      idNumber: '11010519491231002X',
      phone: '13700137000',
      email: 'zhaoliu@example.cn',
      consent: { agreementVersion: '2022-08', accepted: true },
    };
    const signing = await call(officerA, 'POST', '/api/v1/ra/applications', { subscriberId: 'nobody', purpose: 'signing' });
    expect(signing.status).toBe(404);
    const { subscriberId, credential } = await approvedApplication(officerA, registration, 'encryption', 'server');
    const letter = await call(officerA, 'POST', `/api/v1/ra/subscribers/${subscriberId}/documents?kind=authorisation-letter&filename=letter.png`, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('授权书')]), 'image/png');
    const delegation = await call(officerA, 'POST', `/api/v1/ra/subscribers/${subscriberId}/delegations`, {
      agentName: '钱七',
      agentIdType: 'resident-id',
      agentIdNumber: '110101199003077571',
      scope: ['download'],
      expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
      evidenceDocumentId: letter.json.id,
    });
    expect(delegation.status, JSON.stringify(delegation.json)).toBe(201);

    const impostor = await call(null, 'POST', '/api/v1/ra/downloads/pkcs12', {
      ...codes(credential),
      password: 'p12 password 口令',
      agent: { delegationId: delegation.json.id, idType: 'resident-id', idNumber: '11010519491231002X' },
    });
    expect([impostor.status, impostor.json.code]).toEqual([403, 'ra.delegation-invalid']);
    const refusal = await t.signet.store.db.selectFrom('audit_entries').selectAll().where('action', '=', 'ra.agent-refused').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(JSON.parse(refusal.details)).toMatchObject({ why: 'identity' });

    const p12 = await call(null, 'POST', '/api/v1/ra/downloads/pkcs12', {
      ...codes(credential),
      password: 'p12 password 口令',
      agent: { delegationId: delegation.json.id, idType: 'resident-id', idNumber: '110101199003077571' },
    });
    expect(p12.status, p12.bytes.toString()).toBe(201);
    expect(p12.headers.get('content-type')).toContain('application/x-pkcs12');
    const file = join(dir, 'agent.p12');
    writeFileSync(file, p12.bytes);
    const info = runTool('openssl', ['pkcs12', '-in', file, '-info', '-nodes', '-passin', 'pass:p12 password 口令']);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    expect(info.stderr).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC/);
    expect(info.stdout).toContain('BEGIN PRIVATE KEY');
    const leaf = info.stdout.slice(info.stdout.indexOf('-----BEGIN CERTIFICATE-----'), info.stdout.indexOf('-----END CERTIFICATE-----') + 25);
    expect(verifyWithOpenssl(`${leaf}\n`).subject).toContain('CN=赵六');

    // The download names the agent in the audit log by the delegation (R6): a pseudonymous reference, never the agent's name (R2).
    const entry = await t.signet.store.db.selectFrom('audit_entries').selectAll().where('action', '=', 'ra.certificate-downloaded').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(entry.actor).toBe(`agent:${delegation.json.id}`);
    expect(JSON.parse(entry.details)).toMatchObject({ delegation: delegation.json.id });
    expect(entry.details).not.toContain('钱七');

    // A signing profile never gets a server-made key.
    const refused = await call(officerA, 'POST', '/api/v1/ra/applications', { subscriberId, purpose: 'signing', keyGeneration: 'server' });
    expect([refused.status, refused.json.code]).toEqual([400, 'ra.server-keygen-not-allowed']);
  });
  it('lets only one of two simultaneous downloads use a credential; a rejected application cannot be approved (R4)', async () => {
    const { credential } = await approvedApplication(officerA, enterprise('并发测试有限公司', '91370000MA3C5LUJ1F'));
    const [one, two] = await Promise.all(
      ['race-1', 'race-2'].map((name) => call(null, 'POST', '/api/v1/ra/downloads', { ...codes(credential), csr: opensslRequest(dir, 'ecdsa-p256', name).csrPem })),
    );
    expect([one!.status, two!.status].sort()).toEqual([201, 409]);

    const subscriber = await call(officerA, 'POST', '/api/v1/ra/subscribers', enterprise('驳回测试有限公司', '91610000MA6TG1XK2W'));
    const application = await call(officerA, 'POST', '/api/v1/ra/applications', { subscriberId: subscriber.json.id, purpose: 'signing' });
    const id = String(application.json.id);
    const rejected = await call(officerA, 'POST', `/api/v1/ra/applications/${id}/reject`, { reason: '营业执照已过期' });
    expect(rejected.json).toMatchObject({ status: 'rejected', decisionReason: '营业执照已过期' });
    const late = await call(officerA, 'POST', `/api/v1/ra/applications/${id}/approve`, {});
    expect([late.status, late.json.code]).toEqual([409, 'ra.bad-application-state']);
  });

  // Last in this file: it publishes a newer agreement, which every later registration would have to name.
  it('asks for consent again once a newer agreement version is in force, and records it (R0)', async () => {
    const subscriber = await call(officerA, 'POST', '/api/v1/ra/subscribers', enterprise('新协议测试有限公司', '91450000MA5KB1NR4M'));
    expect(subscriber.status).toBe(201);
    expect((await call(admin, 'POST', '/api/v1/agreements', { id: '2026-11', title: '修订版', text: `${AGREEMENT}\n（修订）` })).status).toBe(201);
    expect((await call(null, 'GET', '/api/v1/agreements/current')).json).toMatchObject({ id: '2026-11' });
    expect((await call(null, 'GET', '/api/v1/agreements/2022-08')).json.text).toBe(AGREEMENT);

    const before = await counts();
    const without = await call(officerA, 'POST', '/api/v1/ra/applications', { subscriberId: subscriber.json.id, purpose: 'signing' });
    expect([without.status, without.json.code, without.json.field]).toEqual([400, 'ra.consent-required', 'consent']);
    expect(await counts()).toEqual(before);
    const withConsent = await call(officerA, 'POST', '/api/v1/ra/applications', {
      subscriberId: subscriber.json.id,
      purpose: 'signing',
      consent: { agreementVersion: '2026-11', accepted: true, clientAddress: '203.0.113.7' },
    });
    expect(withConsent.status, JSON.stringify(withConsent.json)).toBe(201);
    const acceptances = await t.signet.ra.agreements.acceptances(String(subscriber.json.id));
    expect(acceptances.map((a) => [a.versionId, a.channel, a.clientAddress])).toEqual([
      ['2022-08', 'explicit', '127.0.0.1'],
      ['2026-11', 'explicit', '203.0.113.7'],
    ]);
  });
});
