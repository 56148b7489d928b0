import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { raDb } from '../ra/schema.js';
import { findRevocation } from '../status/revocation.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { PORTAL_ROUTES } from './portal-routes.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

const AGREEMENT = readFileSync(new URL('../../test/fixtures/subscriber-agreement-2022-08.zh.txt', import.meta.url), 'utf8');
const DAY = 86_400_000;

/** Tables a refused request must leave exactly as they were. */
const COUNTED_TABLES = [
  'ra_subscribers',
  'ra_subscriber_versions',
  'ra_documents',
  'ra_applications',
  'ra_change_requests',
  'ra_delegations',
  'ra_portal_access',
  'ra_portal_sessions',
  'agreement_acceptances',
  'certificates',
  'revocations',
  'service_complaints',
  'disputes',
  'audit_entries',
] as const;

interface Answer {
  status: number;
  json: Record<string, unknown> & { code?: string; field?: string; messages?: Record<string, string> };
}

const individual = (name: string, idNumber: string) => ({
  type: 'individual',
  name,
  idType: 'resident-id',
  idNumber,
  phone: '13900139000',
  email: 'self@example.cn',
});

const enterprise = (name: string, uscc: string) => ({
  type: 'enterprise',
  name,
  uscc,
  legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
  agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
});

const consent = { agreementVersion: '2022-08', accepted: true };

describe.each(storeBackends)('the subscriber portal over HTTP on %s (R0, R1, R3, R6, R7, R9, R10, R12, R14, R16)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let base: string;
  let dir: string;
  let raId: string;
  let officer: { cookie: string; csrf: string };
  // Injected clock: a working week of 2026, whose holiday calendar Signet ships (R12).
  let now = new Date('2026-09-21T02:00:00.000Z');

  async function call(token: string | null, method: string, path: string, body?: unknown, contentType?: string, extra: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...extra };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) {
      payload = body;
      headers['content-type'] = contentType ?? 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Answer['json']) : ({} as Answer['json']);
    return { status: response.status, json };
  }

  async function officerCall(method: string, path: string, body?: unknown): Promise<Answer> {
    return call(null, method, path, body, undefined, { cookie: officer.cookie, 'x-csrf-token': officer.csrf });
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

  /** Registers in the portal and signs in: the subscriber's token and what registration returned. */
  async function selfRegistered(registration: Record<string, unknown>) {
    const registered = await call(null, 'POST', '/api/v1/portal/registrations', { raId, purpose: 'signing', consent, ...registration });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const access = registered.json.access as { trackingNumber: string; trackingCode: string };
    const session = await call(null, 'POST', '/api/v1/portal/sessions', access);
    expect(session.status, JSON.stringify(session.json)).toBe(201);
    return {
      token: String(session.json.token),
      access,
      subscriberId: String((registered.json.subscriber as { id: string }).id),
      applicationId: String((registered.json.application as { id: string }).id),
    };
  }

  /** The officer reviews and approves in the console; the subscriber downloads with their own key: a live certificate. */
  async function certified(applicationId: string): Promise<string> {
    expect((await officerCall('POST', `/api/v1/ra/applications/${applicationId}/review`)).status).toBe(200);
    const approval = await officerCall('POST', `/api/v1/ra/applications/${applicationId}/approve`, {});
    expect(approval.status, JSON.stringify(approval.json)).toBe(200);
    const credential = approval.json.credential as { referenceNumber: string; authorizationCode: string };
    const download = await call(null, 'POST', '/api/v1/ra/downloads', {
      referenceNumber: credential.referenceNumber,
      authorizationCode: credential.authorizationCode,
      csr: opensslRequest(dir, 'ecdsa-p256', `portal-${applicationId}`).csrPem,
    });
    expect(download.status, JSON.stringify(download.json)).toBe(201);
    return String(download.json.serial);
  }

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    dir = t.dir;
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const admin = 'test-admin-token';
    expect((await call(admin, 'POST', '/api/v1/agreements', { id: '2022-08', title: 'CFCA 数字证书服务协议', text: AGREEMENT })).status).toBe(201);
    raId = String((await call(admin, 'POST', '/api/v1/ra/organisations', { name: '北京注册机构' })).json.id);
    expect((await call(admin, 'POST', '/api/v1/ra/operators', { username: 'officer', role: 'ra-officer', raId, password: 'a long enough password' })).status).toBe(201);
    const login = await fetch(`${base}/api/v1/ra/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'officer', password: 'a long enough password' }) });
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('signet_session='))!.split(';')[0]!;
    officer = { cookie, csrf: String(((await login.json()) as { csrfToken: string }).csrfToken) };
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('lets a person register themselves with consent to the current agreement and apply; the tracking code is kept only as a hash (R0, R1)', async () => {
    expect((await call(null, 'GET', '/api/v1/portal/organisations')).json).toEqual([{ id: raId, name: '北京注册机构' }]);
    const me = await selfRegistered(individual('张三', '110101199003077571'));
    expect(me.access.trackingNumber).toMatch(/^\d{16}$/);
    expect(me.access.trackingCode).toMatch(/^[A-Z2-9]{12}$/);
    const stored = await raDb(t.signet.store).selectFrom('ra_portal_access').selectAll().where('subscriber_id', '=', me.subscriberId).executeTakeFirstOrThrow();
    expect(stored.code_hash).toMatch(/^scrypt\$/);
    expect(stored.code_hash).not.toContain(me.access.trackingCode);

    // R0: acceptance recorded with version, channel, address.
    const [acceptance] = await t.signet.ra.agreements.acceptances(me.subscriberId);
    expect(acceptance).toMatchObject({ versionId: '2022-08', channel: 'explicit', clientAddress: '127.0.0.1', raId });

    // The application waits in the RA's queue, submitted by the subscriber themselves.
    const applications = await call(me.token, 'GET', '/api/v1/portal/applications');
    expect(applications.json).toMatchObject([{ id: me.applicationId, status: 'submitted', kind: 'new', profileId: 'individual-signing', submittedBy: `subscriber:${me.subscriberId}` }]);
    const queue = await officerCall('GET', '/api/v1/ra/applications?status=submitted');
    expect((queue.json as unknown as Array<{ id: string }>).map((a) => a.id)).toContain(me.applicationId);

    // The subscriber sees their own record; the read is audited (R2).
    const record = await call(me.token, 'GET', '/api/v1/portal/me');
    expect(record.json).toMatchObject({ id: me.subscriberId, identifierMasked: '1101**********7571', record: { record: { name: '张三', phone: '13900139000' } } });
    const reads = await t.signet.store.db.selectFrom('audit_entries').select('action').where('actor', '=', `subscriber:${me.subscriberId}`).execute();
    expect(reads.map((r) => r.action)).toContain('ra.subscriber-read');
  });

  it('refuses bad registrations with the RA\'s own validation, beside the field, in both languages, and records nothing (R0, R1)', async () => {
    const before = await counts();
    const refusals: Array<[unknown, number, string, string]> = [
      [{ raId, purpose: 'signing', consent, ...individual('张三', '110101199003077578') }, 400, 'ra.invalid-resident-id.check-digit', 'idNumber'],
      [{ raId, purpose: 'signing', consent, ...enterprise('坏代码有限公司', '91350100M000100Y44') }, 400, 'ra.invalid-uscc.check-character', 'uscc'],
      [{ raId, purpose: 'signing', ...individual('李雷', '11010519491231002X') }, 400, 'ra.consent-required', 'consent'],
      [{ raId, purpose: 'signing', consent: { agreementVersion: '2019-01', accepted: true }, ...individual('李雷', '11010519491231002X') }, 409, 'ra.consent-outdated', 'consent.agreementVersion'],
      [{ raId: 'ra-nowhere', purpose: 'signing', consent, ...individual('李雷', '11010519491231002X') }, 400, 'ra.portal-unknown-ra', 'raId'],
      [{ raId, purpose: 'spying', consent, ...individual('李雷', '11010519491231002X') }, 400, 'ra.bad-purpose', 'purpose'],
      [{ raId, purpose: 'signing', consent, ...individual('李雷', '11010519491231002X'), email: 'not-an-address' }, 400, 'ra.invalid-email', 'email'],
    ];
    for (const [body, status, code, field] of refusals) {
      const refused = await call(null, 'POST', '/api/v1/portal/registrations', body, undefined, { 'accept-language': 'en' });
      expect([refused.status, refused.json.code, refused.json.field], JSON.stringify(refused.json)).toEqual([status, code, field]);
      expect(refused.json.messages?.['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      expect(refused.json.messages?.en).toMatch(/[a-z]/);
    }
    // Where consent was given is the request's address, not one the body claims (R0).
    const claimed = await call(null, 'POST', '/api/v1/portal/registrations', { raId, purpose: 'signing', ...individual('李雷', '11010519491231002X'), consent: { ...consent, clientAddress: '10.9.8.7' } });
    expect([claimed.status, claimed.json.code]).toEqual([400, 'request.invalid']);
    expect(await counts()).toEqual(before);
    // The same person twice (issue 16 §3): the stranger is answered exactly as a new registrant
    // (201, the same keys, the same notice), learns no internal id, and the code given opens nothing;
    // nothing is stored but the audit entry, and the subscriber is told at the contact on file.
    const first = await selfRegistered(individual('韩梅梅', '11010519491231002X'));
    const fresh = await call(null, 'POST', '/api/v1/portal/registrations', { raId, purpose: 'signing', consent, ...individual('韩梅梅', '110105194912310038') });
    const mid = await counts();
    const twice = await call(null, 'POST', '/api/v1/portal/registrations', { raId, purpose: 'signing', consent, ...individual('韩梅梅', '11010519491231002X') });
    expect([fresh.status, twice.status]).toEqual([201, 201]);
    const shape = (json: Record<string, unknown>): unknown =>
      Object.fromEntries(Object.entries(json).map(([k, v]) => [k, v !== null && typeof v === 'object' ? shape(v as Record<string, unknown>) : typeof v]));
    expect(shape(twice.json)).toEqual(shape(fresh.json));
    expect(twice.json.notice).toEqual(fresh.json.notice);
    expect(JSON.stringify(twice.json)).not.toContain(first.subscriberId);
    expect(await counts()).toEqual({ ...mid, audit_entries: mid.audit_entries! + 1 });
    expect(mid.ra_subscribers).toBe(before.ra_subscribers! + 2);
    const decoySignIn = await call(null, 'POST', '/api/v1/portal/sessions', twice.json.access);
    expect([decoySignIn.status, decoySignIn.json.code]).toEqual([403, 'ra.portal-access-refused']);
    const notices = await t.signet.service.outbox.list({ recipient: `subscriber:${first.subscriberId}`, kind: 'registration-attempt' });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body['zh-CN']).toMatch(/证件号码/);
    const audited = await t.signet.store.db.selectFrom('audit_entries').select('target').where('action', '=', 'ra.portal-registration-of-existing').execute();
    expect(audited.map((a) => a.target)).toEqual([`subscriber:${first.subscriberId}`]);
    expect(first.token).toMatch(/^sgp_/);
  });

  it('locks the tracking code after five wrong codes; an officer gives new access and the old code stops working (R4-style lockout)', async () => {
    const me = await selfRegistered(enterprise('锁定测试有限公司', '91350100M000100Y43'));
    const unknown = await call(null, 'POST', '/api/v1/portal/sessions', { trackingNumber: '0000000000000000', trackingCode: 'ABCDEFGHJKMN' });
    // An unknown number, a wrong code and a locked access are answered alike (issue 16).
    const refusal = [403, 'ra.portal-access-refused', 'trackingCode'];
    expect([unknown.status, unknown.json.code, unknown.json.field]).toEqual(refusal);
    for (let i = 1; i <= 5; i++) {
      const wrong = await call(null, 'POST', '/api/v1/portal/sessions', { trackingNumber: me.access.trackingNumber, trackingCode: 'WRONGWRONG22' });
      expect([wrong.status, wrong.json.code, wrong.json.field]).toEqual(refusal);
    }
    const before = await counts();
    const evenRight = await call(null, 'POST', '/api/v1/portal/sessions', me.access);
    expect([evenRight.status, evenRight.json.code, evenRight.json.field]).toEqual(refusal);
    expect(await counts()).toEqual(before);

    const renewed = await officerCall('POST', `/api/v1/ra/subscribers/${me.subscriberId}/portal-access`);
    expect(renewed.status, JSON.stringify(renewed.json)).toBe(201);
    // The session opened before the new access was given ends with it.
    expect((await call(me.token, 'GET', '/api/v1/portal/applications')).status).toBe(401);
    expect((await call(null, 'POST', '/api/v1/portal/sessions', me.access)).status).toBe(403);
    expect((await call(null, 'POST', '/api/v1/portal/sessions', renewed.json)).status).toBe(201);
  });

  it('refuses every route but the public ones without a portal session, before reading the body, and changes nothing', async () => {
    const before = await counts();
    const guarded = PORTAL_ROUTES.filter((r) => r.scope !== 'public');
    expect(guarded.length).toBeGreaterThan(15);
    expect(PORTAL_ROUTES.filter((r) => r.scope === 'public').map((r) => r.url)).toEqual(['/api/v1/portal/organisations', '/api/v1/portal/registrations', '/api/v1/portal/sessions']);
    for (const route of guarded) {
      const path = route.url.replace(':serial', '5c00').replace(':delegationId', 'dlg-x');
      const refused = await call(null, route.method, path, route.method === 'POST' ? (route.upload ? Buffer.from('%PDF-1.4') : {}) : undefined, route.upload ? 'application/pdf' : undefined);
      expect([refused.status, refused.json.code], `${route.method} ${route.url}`).toEqual([401, 'ra.portal-sign-in-required']);
    }
    expect(await counts()).toEqual(before);
  });

  it('needs a live portal session for everything but registration and sign-in, and a session ends at sign-out', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/portal/me'],
      ['GET', '/api/v1/portal/certificates'],
      ['POST', '/api/v1/portal/complaints'],
      ['GET', '/api/v1/portal/charges'],
    ] as const) {
      const refused = await call(method === 'GET' ? null : 'sgp_forged', method, path, method === 'POST' ? {} : undefined);
      expect([refused.status, refused.json.code]).toEqual([401, 'ra.portal-sign-in-required']);
    }
    // An operator's token is not a subscriber's session.
    expect((await call('test-admin-token', 'GET', '/api/v1/portal/me')).status).toBe(401);
    const me = await selfRegistered(individual('退出测试', '110101200001010010'));
    expect((await call(me.token, 'POST', '/api/v1/portal/sessions/end')).status).toBe(200);
    expect((await call(me.token, 'GET', '/api/v1/portal/me')).status).toBe(401);
  });

  it('lets the subscriber revoke their own certificate: OCSP and the public lookup say revoked at once, the record says who asked and what they declared (R7, R8)', async () => {
    const me = await selfRegistered(enterprise('吊销测试有限公司', '91110000802100433B'));
    const serial = await certified(me.applicationId);
    const mine = await call(me.token, 'GET', '/api/v1/portal/certificates');
    expect(mine.json).toMatchObject([{ serial, status: 'good', profileId: 'enterprise-signing' }]);
    expect((await call(me.token, 'GET', '/api/v1/portal/applications')).json).toMatchObject([{ status: 'completed', certificateSerial: serial }]);

    // Another subscriber cannot touch it; an unknown reason is refused; neither changes anything.
    const other = await selfRegistered(individual('旁人', '110101199001010031'));
    const before = await counts();
    const notTheirs = await call(other.token, 'POST', `/api/v1/portal/certificates/${serial}/revocation`, { reason: 'keyCompromise' });
    expect([notTheirs.status, notTheirs.json.code, notTheirs.json.field]).toEqual([404, 'ra.portal-unknown-certificate', 'serial']);
    const badReason = await call(me.token, 'POST', `/api/v1/portal/certificates/${serial}/revocation`, { reason: 'privilegeWithdrawn' });
    expect([badReason.status, badReason.json.code, badReason.json.field]).toEqual([400, 'ra.bad-revocation-reason', 'reason']);
    expect(await counts()).toEqual(before);

    now = new Date(now.getTime() + 60_000);
    const declared = '私钥所在的 U 盾于 9 月 20 日遗失';
    const revoked = await call(me.token, 'POST', `/api/v1/portal/certificates/${serial}/revocation`, { reason: 'keyCompromise', justification: declared });
    expect(revoked.status, JSON.stringify(revoked.json)).toBe(200);
    expect((await call(null, 'GET', `/api/v1/status/${serial}`)).json).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const record = await findRevocation(t.signet.ca, serial);
    expect(record).toMatchObject({ channel: 'subscriber', requestedBy: `subscriber:${me.subscriberId}`, justification: declared, revokedAt: now.toISOString() });
    expect((await call(me.token, 'GET', '/api/v1/portal/certificates')).json).toMatchObject([{ serial, status: 'revoked' }]);
    // Never un-revoked: asking again is refused.
    const again = await call(me.token, 'POST', `/api/v1/portal/certificates/${serial}/revocation`, { reason: 'cessationOfOperation' });
    expect([again.status, again.json.code]).toEqual([409, 'revocation.already-revoked']);
  });

  it('takes a report of changed information to the RA\'s review, validated first; nothing on file changes until approved (R3)', async () => {
    const me = await selfRegistered(individual('变更测试', '110101198001010010'));
    const before = await counts();
    const bad = await call(me.token, 'POST', '/api/v1/portal/changes', { changes: { email: 'nowhere' } });
    expect([bad.status, bad.json.code, bad.json.field]).toEqual([400, 'ra.invalid-email', 'email']);
    const type = await call(me.token, 'POST', '/api/v1/portal/changes', { changes: { type: 'enterprise' } });
    expect([type.status, type.json.code]).toEqual([400, 'ra.type-immutable']);
    const empty = await call(me.token, 'POST', '/api/v1/portal/changes', { changes: {} });
    expect([empty.status, empty.json.field]).toEqual([400, 'changes']);
    expect(await counts()).toEqual(before);

    const reported = await call(me.token, 'POST', '/api/v1/portal/changes', { changes: { phone: '13700137000' } });
    expect(reported.status, JSON.stringify(reported.json)).toBe(201);
    expect(reported.json).toMatchObject({ status: 'submitted', submittedBy: `subscriber:${me.subscriberId}`, baseVersion: 1 });
    expect((await call(me.token, 'GET', '/api/v1/portal/me')).json).toMatchObject({ record: { version: 1, record: { phone: '13900139000' } } });
    expect((await officerCall('POST', `/api/v1/ra/changes/${String(reported.json.id)}/approve`, {})).status).toBe(200);
    expect((await call(me.token, 'GET', '/api/v1/portal/me')).json).toMatchObject({ record: { version: 2, record: { phone: '13700137000' } } });
    expect((await call(me.token, 'GET', '/api/v1/portal/changes')).json).toMatchObject([{ id: reported.json.id, status: 'approved' }]);
  });

  it('lets the subscriber authorise an agent with a signed letter, and the agent then completes the download on their behalf (R6)', async () => {
    const me = await selfRegistered(individual('委托人', '110101197001010016'));
    const letter = Buffer.from('%PDF-1.4\n授权委托书\n%%EOF\n');
    const uploaded = await call(me.token, 'POST', '/api/v1/portal/documents?kind=authorisation-letter&filename=letter.pdf', letter, 'application/pdf');
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(201);
    const expiresAt = new Date(now.getTime() + 30 * DAY).toISOString();
    const agent = { agentName: '代理人', agentIdType: 'resident-id', agentIdNumber: '110101199003077571', scope: ['download'], expiresAt, evidenceDocumentId: String(uploaded.json.id) };

    const other = await selfRegistered(individual('别人', '110101196001010011'));
    const before = await counts();
    const badId = await call(me.token, 'POST', '/api/v1/portal/delegations', { ...agent, agentIdNumber: '110101199003077578' });
    expect([badId.status, badId.json.field]).toEqual([400, 'agentIdNumber']);
    const foreignLetter = await call(other.token, 'POST', '/api/v1/portal/delegations', agent);
    expect([foreignLetter.status, foreignLetter.json.code, foreignLetter.json.field]).toEqual([400, 'ra.delegation-evidence-required', 'evidenceDocumentId']);
    const tooLong = await call(me.token, 'POST', '/api/v1/portal/delegations', { ...agent, expiresAt: new Date(now.getTime() + 400 * DAY).toISOString() });
    expect([tooLong.status, tooLong.json.code]).toEqual([400, 'ra.bad-delegation-expiry']);
    expect(await counts()).toEqual(before);

    const delegation = await call(me.token, 'POST', '/api/v1/portal/delegations', agent);
    expect(delegation.status, JSON.stringify(delegation.json)).toBe(201);
    expect(delegation.json).toMatchObject({ agentIdNumberMasked: '1101**********7571', createdBy: `subscriber:${me.subscriberId}`, status: 'active' });
    expect((await call(other.token, 'POST', `/api/v1/portal/delegations/${String(delegation.json.id)}/revoke`)).status).toBe(404);

    // The agent downloads with the credential and their own identity.
    await officerCall('POST', `/api/v1/ra/applications/${me.applicationId}/review`);
    const approval = await officerCall('POST', `/api/v1/ra/applications/${me.applicationId}/approve`, {});
    const credential = approval.json.credential as { referenceNumber: string; authorizationCode: string };
    const download = await call(null, 'POST', '/api/v1/ra/downloads', {
      ...credential,
      expiresAt: undefined,
      csr: opensslRequest(dir, 'ecdsa-p256', 'agent').csrPem,
      agent: { delegationId: delegation.json.id, idType: 'resident-id', idNumber: '110101199003077571' },
    });
    expect(download.status, JSON.stringify(download.json)).toBe(201);
    expect((await call(me.token, 'POST', `/api/v1/portal/delegations/${String(delegation.json.id)}/revoke`)).json).toMatchObject({ status: 'revoked' });
  });

  it('lets the subscriber apply to renew their certificate; the RA reviews it, and a second request while one is open is refused (R16)', async () => {
    const me = await selfRegistered(enterprise('续期测试有限公司', '91310000MA1FL8HQ33'));
    const serial = await certified(me.applicationId);
    const renewal = await call(me.token, 'POST', `/api/v1/portal/certificates/${serial}/renewals`, { rekey: true });
    expect(renewal.status, JSON.stringify(renewal.json)).toBe(201);
    expect(renewal.json).toMatchObject({ kind: 'rekey', status: 'submitted', replacesSerial: serial, submittedBy: `subscriber:${me.subscriberId}` });
    const before = await counts();
    const twice = await call(me.token, 'POST', `/api/v1/portal/certificates/${serial}/renewals`, {});
    expect([twice.status, twice.json.code]).toEqual([409, 'ra.replacement-pending']);
    const unknown = await call(me.token, 'POST', '/api/v1/portal/certificates/5c00/renewals', {});
    expect([unknown.status, unknown.json.code]).toEqual([404, 'ra.portal-unknown-certificate']);
    expect(await counts()).toEqual(before);
  });

  it('files a complaint answered within 7 working days and a dispute inside the 3-month window; refuses one outside it (R10, R12)', async () => {
    const me = await selfRegistered(individual('投诉人', '110101198501010017'));
    const before = await counts();
    const noText = await call(me.token, 'POST', '/api/v1/portal/complaints', { category: 'service', complainant: { name: '投诉人', contact: '13900139000' } });
    expect([noText.status, noText.json.field]).toEqual([400, 'description']);
    const late = await call(me.token, 'POST', '/api/v1/portal/disputes', { discoveredOn: '2026-06-01', description: '证书被冒用' });
    expect([late.status, late.json.code, late.json.field]).toEqual([422, 'dispute.too-late', 'discoveredOn']);
    const future = await call(me.token, 'POST', '/api/v1/portal/disputes', { discoveredOn: '2026-12-01', description: '证书被冒用' });
    expect([future.status, future.json.code, future.json.field]).toEqual([400, 'dispute.bad-date', 'discoveredOn']);
    const foreign = await call(me.token, 'POST', '/api/v1/portal/disputes', { discoveredOn: '2026-09-01', description: '证书被冒用', certificateSerial: '5c01' });
    expect([foreign.status, foreign.json.code]).toEqual([404, 'ra.portal-unknown-certificate']);
    expect(await counts()).toEqual(before);

    // Monday 21 September 2026, 10:00 in Beijing. Mid-Autumn (25–27 Sep) and National Day (1–7 Oct) are not working days:
    // 22, 23, 24, 28, 29, 30 September, and the 7th working day is Thursday 8 October (R12).
    const complaint = await call(me.token, 'POST', '/api/v1/portal/complaints', { category: 'service', description: '下载页面打不开', complainant: { name: '投诉人', contact: '13900139000' } });
    expect(complaint.status, JSON.stringify(complaint.json)).toBe(201);
    expect(complaint.json).toMatchObject({ channel: 'web', subscriberId: me.subscriberId, receivedDay: '2026-09-21', dueDay: '2026-10-08', status: 'open' });
    expect((await call(me.token, 'GET', '/api/v1/portal/complaints')).json).toMatchObject([{ id: complaint.json.id }]);

    const dispute = await call(me.token, 'POST', '/api/v1/portal/disputes', { discoveredOn: '2026-07-01', description: '证书被他人冒用签署合同' });
    expect(dispute.status, JSON.stringify(dispute.json)).toBe(201);
    expect(dispute.json).toMatchObject({ subscriberId: me.subscriberId, state: 'filed', discoveredOn: '2026-07-01' });
    expect((await call(me.token, 'GET', '/api/v1/portal/disputes')).json).toMatchObject([{ id: dispute.json.id }]);
  });

  it('shows the subscriber their charges in integer fen, and nobody else\'s (R9)', async () => {
    const me = await selfRegistered(individual('付费人', '110101199501010011'));
    const other = await selfRegistered(individual('另一位', '110101199601010019'));
    await t.signet.service.fees.setSchedule('test', { raId, profileId: 'individual-signing', validityDays: 365, amountFen: 12_050 });
    await t.signet.service.fees.charge('test', { raId, subscriberId: me.subscriberId, purpose: 'issuance', reference: me.applicationId, profileId: 'individual-signing', validityDays: 365 });
    const mine = await call(me.token, 'GET', '/api/v1/portal/charges');
    expect(mine.json).toMatchObject([{ subscriberId: me.subscriberId, amountFen: 12_050, paidFen: 0, status: 'due' }]);
    expect((await call(other.token, 'GET', '/api/v1/portal/charges')).json).toEqual([]);
  });

  it('verifies an uploaded evidence package against this CA\'s roots for anyone, and says so when a byte was changed (R14)', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'evidence');
    const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'enterprise-signing', subject: { commonName: '证据', organizationName: '证据测试' }, subscriberId: 'evidence', requestedBy: 'test', reason: 'evidence' });
    await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    now = new Date(now.getTime() + 60_000);
    const produced = await t.signet.evidence.produce({ serial: issued.serial, at: new Date(now.getTime() - 30_000), requestedBy: 'test' });
    const verified = await call(null, 'POST', '/api/v1/evidence/verification', produced.der);
    expect(verified.status, JSON.stringify(verified.json)).toBe(200);
    expect(verified.json).toMatchObject({ valid: true, statusAtTime: 'not-revoked', problems: [], certificate: { serial: issued.serial } });
    expect((verified.json.conclusion as Record<string, string>)['zh-CN']).toContain('未被吊销');

    const tampered = Buffer.from(produced.der);
    const at = tampered.indexOf(Buffer.from(issued.serial.slice(0, 8)));
    const flip = at > 0 ? at : tampered.length - 10;
    tampered[flip] = tampered[flip]! ^ 0x01;
    const refused = await call(null, 'POST', '/api/v1/evidence/verification', tampered);
    expect(refused.json.valid).toBe(false);
    // What an altered package claims is not passed on; the answer is the verification's own, with what failed (issue 20).
    expect(refused.json).toMatchObject({ conclusion: null, statusAtTime: null, checks: [], certificate: null });
    expect((refused.json.verdict as Record<string, string>)['zh-CN']).toMatch(/^核验未通过：/);
    expect((refused.json.verification as Array<{ ok: boolean }>).some((c) => !c.ok)).toBe(true);
    // A package cut short is a finding too, never a server error.
    const truncated = await call(null, 'POST', '/api/v1/evidence/verification', produced.der.subarray(0, Math.floor(produced.der.length / 2)));
    expect([truncated.status, truncated.json.valid]).toEqual([200, false]);
    const garbage = await call(null, 'POST', '/api/v1/evidence/verification', Buffer.from('not a package'));
    expect(garbage.json.valid).toBe(false);
  });
});
