import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import type { Principal } from '../ra/roles.js';
import { findRevocation } from '../status/revocation.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

/**
 * Issue 16 §2: an RA's operators act only on their own RA's subscribers,
 * certificates, complaints, charges and claims, whatever route they use; an
 * RA-scoped auditor reads no CA-wide registers (disputes, notifications,
 * holds). Each refusal changes nothing.
 */
describe.each(storeBackends)('cross-RA actions on %s (issue 16 §2, R18)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  const admin = { authorization: 'Bearer test-admin-token' };
  const as: Record<string, Record<string, string>> = {};
  let subscriberB: string;
  let serialB: string;
  let complaintB: string;
  let claimB: string;
  let raA: string;

  const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) =>
    app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await t.signet.ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
    const ras: Record<string, string> = {};
    for (const name of ['A', 'B']) ras[name] = (await call('POST', '/api/v1/ra/organisations', admin, { name: `注册机构${name}` })).json().id;
    for (const [who, role, ra] of [['officerA', 'ra-officer', 'A'], ['adminA', 'ra-admin', 'A'], ['auditorA', 'auditor', 'A']] as const) {
      const created = (await call('POST', '/api/v1/ra/operators', admin, { username: who.toLowerCase(), role, raId: ras[ra], password: 'cross ra password' })).json();
      as[who] = { authorization: `Bearer ${(await call('POST', '/api/v1/ra/api-tokens', admin, { label: 'x', operatorId: created.id })).json().token}` };
    }
    raA = ras.A!;
    const counter: Principal = { operatorId: null, username: 'officer-b', role: 'ra-officer', raId: ras.B!, via: 'cli' };
    const record = { type: 'individual' as const, name: '乙方订户', idType: 'resident-id', idNumber: '11010519491231002X', phone: '13500135000', email: 'b@example.cn' };
    subscriberB = (await t.signet.ra.subscribers.register(counter, { record, consent: { agreementVersion: 'v1', accepted: true } }, null)).id;
    serialB = (
      await t.signet.ca.issue({
        csr: opensslRequest(t.dir, 'ecdsa-p256', 'cross').csrPem,
        profileId: 'individual-signing',
        subject: 'CN=乙方订户',
        subscriberId: subscriberB,
        requestedBy: 'test',
        reason: 'cross-RA test',
      })
    ).serial;
    complaintB = (
      await call('POST', '/api/v1/service/complaints', admin, { channel: 'phone', subscriberId: subscriberB, complainant: { name: '乙方订户', contact: '13500135000' }, category: 'service', description: '投诉' })
    ).json().id;
    const claim = await call('POST', '/api/v1/service/liability/claims', admin, { certificateSerial: serialB, amountFen: 100, claimant: { name: '乙方订户', contact: '13500135000' }, description: '赔偿' });
    expect(claim.statusCode, claim.body).toBe(201);
    claimB = claim.json().id;
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  const audits = async () => Number((await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it("refuses RA A's staff every action on RA B's subscriber, certificate, complaint and claim, changing nothing", async () => {
    const before = await audits();
    const attempts: Array<[string, 'GET' | 'POST', string, unknown]> = [
      ['objection revoking B\'s certificate', 'POST', '/api/v1/publication/objections', { versionId: 'v1', subscriberId: subscriberB, writtenReference: 'X-1', statement: '反对' }],
      ['reading B\'s complaint', 'GET', `/api/v1/service/complaints/${complaintB}`, undefined],
      ['answering B\'s complaint', 'POST', `/api/v1/service/complaints/${complaintB}/response`, { response: '已处理' }],
      ['a claim on B\'s certificate', 'POST', '/api/v1/service/liability/claims', { certificateSerial: serialB, amountFen: 100, claimant: { name: '某人', contact: '1' }, description: '赔' }],
      ['reading B\'s claim', 'GET', `/api/v1/service/liability/claims/${claimB}`, undefined],
      ['B\'s certificate liability', 'GET', `/api/v1/service/liability/certificates/${serialB}`, undefined],
      ['a complaint about B\'s subscriber', 'POST', '/api/v1/service/complaints', { channel: 'phone', subscriberId: subscriberB, complainant: { name: 'x', contact: 'y' }, category: 'service', description: 'z' }],
      ['a charge for B\'s subscriber', 'POST', '/api/v1/service/fees/charges', { subscriberId: subscriberB, purpose: 'issuance', reference: 'application:x', profileId: 'individual-signing', validityDays: 365 }],
    ];
    for (const [what, method, url, payload] of attempts) {
      for (const who of ['officerA', 'adminA']) {
        const refused = await call(method, url, as[who]!, payload);
        expect([refused.statusCode, refused.json().code], `${who}: ${what}`).toEqual([403, 'ra.other-ra']);
      }
    }
    expect(await audits()).toBe(before);
    expect(await findRevocation(t.signet.ca, serialB)).toBeNull();
    // The lists an RA reads leave B's out.
    expect((await call('GET', '/api/v1/service/complaints', as.officerA!)).json()).toEqual([]);
    expect((await call('GET', '/api/v1/service/liability/claims', as.officerA!)).json()).toEqual([]);
    expect((await call('GET', '/api/v1/service/complaints', admin)).json()).toHaveLength(1);
  });

  it("narrows mixed lists to the caller's RA, asking the RA and CA domains once each whatever the length", async () => {
    const counterA: Principal = { operatorId: null, username: 'officer-a', role: 'ra-officer', raId: raA, via: 'cli' };
    const record = { type: 'individual' as const, name: '甲方订户', idType: 'resident-id', idNumber: '110105194912310038', phone: '13500135001', email: 'a@example.cn' };
    const subscriberA = (await t.signet.ra.subscribers.register(counterA, { record, consent: { agreementVersion: 'v1', accepted: true } }, null)).id;
    const serialA = (
      await t.signet.ca.issue({ csr: opensslRequest(t.dir, 'ecdsa-p256', 'cross-a').csrPem, profileId: 'individual-signing', subject: 'CN=甲方订户', subscriberId: subscriberA, requestedBy: 'test', reason: 'cross-RA test' })
    ).serial;
    const file = async (about: Record<string, string>) =>
      (await call('POST', '/api/v1/service/complaints', admin, { channel: 'phone', ...about, complainant: { name: '某人', contact: '1' }, category: 'service', description: '投诉' })).json().id as string;
    const mine = [await file({ subscriberId: subscriberA }), await file({ certificateSerial: serialA }), await file({ certificateSerial: serialA })];
    await file({ certificateSerial: serialB });
    await file({ subscriberId: subscriberB });
    const claim = await call('POST', '/api/v1/service/liability/claims', admin, { certificateSerial: serialA, amountFen: 100, claimant: { name: '甲', contact: '1' }, description: '赔偿' });
    expect(claim.statusCode, claim.body).toBe(201);

    const raOf = vi.spyOn(t.signet.ra.subscribers, 'raOf');
    const certificates = vi.spyOn(t.signet.ca, 'findCertificates');
    try {
      const complaints = (await call('GET', '/api/v1/service/complaints', as.officerA!)).json() as Array<{ id: string }>;
      expect(complaints.map((c) => c.id).sort()).toEqual([...mine].sort());
      expect([raOf.mock.calls.length, certificates.mock.calls.length]).toEqual([1, 1]);
      const claims = (await call('GET', '/api/v1/service/liability/claims', as.officerA!)).json() as Array<{ id: string }>;
      expect(claims.map((c) => c.id)).toEqual([claim.json().id]);
      expect([raOf.mock.calls.length, certificates.mock.calls.length]).toEqual([2, 2]);
    } finally {
      raOf.mockRestore();
      certificates.mockRestore();
    }
    expect((await call('GET', '/api/v1/service/complaints', admin)).json()).toHaveLength(6);
  });

  it('keeps an RA-scoped auditor out of the CA-wide registers: disputes, notifications, holds, audit', async () => {
    for (const url of ['/api/v1/disputes', '/api/v1/service/notifications', '/api/v1/service/retention/holds', '/api/v1/audit/checkpoints']) {
      const refused = await call('GET', url, as.auditorA!);
      expect([refused.statusCode, refused.json().code], url).toEqual([403, 'auth.ca-wide-only']);
      expect((await call('GET', url, admin)).statusCode, url).toBe(200);
    }
  });
});
