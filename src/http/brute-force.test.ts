import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { residentIdCheckCharacter } from '../ra/identifiers.js';
import { raDb } from '../ra/schema.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

/**
 * Issue 16 §1: parallel guesses at every secret a stranger can try
 * (download credential, portal tracking code, operator password). Whatever
 * the number sent at once, at most the allowed number is evaluated: each
 * evaluated wrong guess leaves exactly one audit entry, each evaluated right
 * one a certificate or a session.
 *
 * A download credential serves one download, so the right code never frees
 * a place: wrong and right together stay within the limit in any order. A
 * tracking code and a password are used again and again, so a right answer
 * starts the count of consecutive failures again (NIST SP 800-63B §5.2.2):
 * guesses arriving after it get a new allowance, at most one per success.
 */
const LIMIT = 5;
const ACCOUNT_LIMIT = 10;
const admin = { authorization: 'Bearer test-admin-token' };

let serial = 0;
/** A valid resident ID number (GB 11643 check character), a new one each call. */
function residentId(): string {
  serial += 1;
  const first17 = `11010519800101${String(100 + serial).padStart(3, '0')}`;
  return first17 + residentIdCheckCharacter(first17);
}

describe.each(storeBackends)('parallel guesses on %s (issue 16: attempts counted before the secret is evaluated)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let officer: Record<string, string>;
  let raId: string;
  let csr: string;

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}, remoteAddress?: string) =>
    app.inject({ method: 'POST', url, headers, payload: payload as object, ...(remoteAddress ? { remoteAddress } : {}) });
  const auditCount = async (actions: string[]) =>
    Number(
      (await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).where('action', 'in', actions).executeTakeFirstOrThrow()).n,
    );

  beforeAll(async () => {
    t = await openTestSignet(backend, { ra: { credentialMaxAttempts: LIMIT, loginMaxFailures: LIMIT, loginAccountMaxFailures: ACCOUNT_LIMIT } });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    expect((await post('/api/v1/agreements', { id: '2026-01', title: '协议', text: '服务协议全文' }, admin)).statusCode).toBe(201);
    raId = (await post('/api/v1/ra/organisations', { name: '爆破测试注册机构' }, admin)).json().id;
    const created = (await post('/api/v1/ra/operators', { username: 'bf-officer', role: 'ra-officer', raId, password: 'brute force officer' }, admin)).json();
    const token = (await post('/api/v1/ra/api-tokens', { label: 'bf', operatorId: created.id }, admin)).json().token;
    officer = { authorization: `Bearer ${token}` };
    csr = opensslRequest(t.dir, 'ecdsa-p256', 'bf').csrPem;
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  async function credential(): Promise<{ referenceNumber: string; authorizationCode: string; applicationId: string }> {
    const subscriber = await post(
      '/api/v1/ra/subscribers',
      { type: 'individual', name: '张三', idType: 'resident-id', idNumber: residentId(), phone: '13900139000', email: 'bf@example.cn', consent: { agreementVersion: '2026-01', accepted: true } },
      officer,
    );
    expect(subscriber.statusCode, subscriber.body).toBe(201);
    const application = (await post('/api/v1/ra/applications', { subscriberId: subscriber.json().id, purpose: 'signing' }, officer)).json();
    await post(`/api/v1/ra/applications/${application.id}/review`, {}, officer);
    const approval = await post(`/api/v1/ra/applications/${application.id}/approve`, { note: 'ok' }, officer);
    expect(approval.statusCode, approval.body).toBe(200);
    return { ...approval.json().credential, applicationId: application.id };
  }

  for (const [parallel, place] of [
    [40, 'first'],
    [100, 'in the middle'],
  ] as const) {
    it(`download credential: ${parallel} guesses at once, the right code ${place}: at most ${LIMIT} evaluated in all, one certificate at most`, async () => {
      const c = await credential();
      const before = await auditCount(['ra.credential-wrong-code', 'ra.credential-locked']);
      const right = place === 'first' ? 0 : Math.floor(parallel / 2);
      const answers = await Promise.all(
        Array.from({ length: parallel }, (_, i) =>
          post('/api/v1/ra/downloads', { referenceNumber: c.referenceNumber, authorizationCode: i === right ? c.authorizationCode : `WRONG${String(i).padStart(7, '2')}`, csr }),
        ),
      );
      const issued = answers.filter((a) => a.statusCode === 201).length;
      const wrongEvaluated = (await auditCount(['ra.credential-wrong-code', 'ra.credential-locked'])) - before;
      expect(issued).toBeLessThanOrEqual(1);
      expect(wrongEvaluated + issued).toBeLessThanOrEqual(LIMIT);
      for (const a of answers) if (a.statusCode !== 201) expect([a.statusCode, a.json().code]).toEqual([403, 'ra.credential-refused']);
      const row = await raDb(t.signet.store).selectFrom('ra_download_credentials').selectAll().where('reference_number', '=', c.referenceNumber).executeTakeFirstOrThrow();
      const certificates = await t.signet.ca.findCertificates({ subscriberId: (await raDb(t.signet.store).selectFrom('ra_applications').select('subscriber_id').where('id', '=', c.applicationId).executeTakeFirstOrThrow()).subscriber_id });
      expect(certificates.length).toBe(issued);
      // Either the right code was among the evaluated and won, or the credential is locked and stays so.
      expect(row.status).toBe(issued === 1 ? 'used' : 'locked');
      if (issued === 0) expect((await post('/api/v1/ra/downloads', { referenceNumber: c.referenceNumber, authorizationCode: c.authorizationCode, csr })).statusCode).toBe(403);
    }, 180_000);

    it(`portal tracking code: ${parallel} guesses at once, the right one among them: at most ${LIMIT} evaluated, and ${LIMIT} more only after a right one`, async () => {
      const registration = await post('/api/v1/portal/registrations', {
        raId,
        purpose: 'signing',
        type: 'individual',
        name: '李四',
        idType: 'resident-id',
        idNumber: residentId(),
        phone: '13900139001',
        email: 'portal@example.cn',
        consent: { agreementVersion: '2026-01', accepted: true },
      });
      expect(registration.statusCode, registration.body).toBe(201);
      const access = registration.json().access as { trackingNumber: string; trackingCode: string };
      const subscriberId = registration.json().subscriber.id as string;
      const before = await auditCount(['ra.portal-wrong-code', 'ra.portal-access-locked']);
      const right = parallel - 1;
      const answers = await Promise.all(
        Array.from({ length: parallel }, (_, i) =>
          post('/api/v1/portal/sessions', { trackingNumber: access.trackingNumber, trackingCode: i === right ? access.trackingCode : `WRONG${String(i).padStart(7, '2')}` }),
        ),
      );
      const signedIn = answers.filter((a) => a.statusCode === 201).length;
      const sessions = await raDb(t.signet.store).selectFrom('ra_portal_sessions').select('token_sha256').where('subscriber_id', '=', subscriberId).execute();
      expect(sessions.length).toBe(signedIn);
      expect(signedIn).toBeLessThanOrEqual(1);
      // A right answer among the first LIMIT starts the count again: one more allowance, no more.
      expect((await auditCount(['ra.portal-wrong-code', 'ra.portal-access-locked'])) - before + signedIn).toBeLessThanOrEqual(LIMIT * (1 + signedIn));
      for (const a of answers) if (a.statusCode !== 201) expect([a.statusCode, a.json().code]).toEqual([403, 'ra.portal-access-refused']);
    }, 180_000);

    it(`operator password: ${parallel} guesses at once from one address, then from 40 addresses: at most ${LIMIT} (and ${LIMIT} more only after a right one), then ${ACCOUNT_LIMIT} evaluated`, async () => {
      const username = `bf-target-${parallel}`;
      const created = (await post('/api/v1/ra/operators', { username, role: 'ra-officer', raId, password: 'the right password' }, admin)).json();
      const failures = () => auditCount(['ra.login-failed', 'ra.operator-locked']);
      const logins = async () =>
        Number((await raDb(t.signet.store).selectFrom('ra_sessions').select((eb) => eb.fn.countAll().as('n')).where('operator_id', '=', created.id).executeTakeFirstOrThrow()).n);
      let before = await failures();
      const right = parallel - 3;
      const rightSpread = 37;
      const oneSource = await Promise.all(
        Array.from({ length: parallel }, (_, i) => post('/api/v1/ra/login', { username, password: i === right ? 'the right password' : `wrong password ${i}` }, {}, '198.51.100.9')),
      );
      const opened = oneSource.filter((a) => a.statusCode === 200).length;
      expect(opened).toBe(await logins());
      expect(opened).toBeLessThanOrEqual(1);
      expect((await failures()) - before + opened).toBeLessThanOrEqual(LIMIT * (1 + opened));
      for (const a of oneSource) if (a.statusCode !== 200) expect([401, 429]).toContain(a.statusCode);

      // Spread over many addresses: the account-wide count for unknown addresses holds too.
      before = await failures();
      const sessionsBefore = await logins();
      const manySources = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          post('/api/v1/ra/login', { username, password: i === rightSpread ? 'the right password' : `wrong password ${i}` }, {}, `10.${Math.floor(i / 250)}.${i % 250}.1`),
        ),
      );
      const openedSpread = manySources.filter((a) => a.statusCode === 200).length;
      expect(openedSpread).toBe((await logins()) - sessionsBefore);
      expect((await failures()) - before + openedSpread).toBeLessThanOrEqual(ACCOUNT_LIMIT);
    }, 180_000);
  }
});
