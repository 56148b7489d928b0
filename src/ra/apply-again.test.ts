import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import type { Principal } from './roles.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('a subscriber on file applies again in the portal after a revocation, on %s (issue 20; R0, R4, R16)', (backend) => {
  let t: TestSignet;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('refuses while an application is open or a certificate is in force, takes a new one after revocation, and asks for consent to a newer agreement', async () => {
    const { ra } = t.signet;
    await ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议一', actor: 'test' });
    const org = await ra.organisations.create({ operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' }, { name: '再次申请注册机构' });
    const officer: Principal = { operatorId: null, username: 'officer', role: 'ra-officer', raId: org.id, via: 'cli' };
    const registered = await ra.selfService.register(
      { raId: org.id, purpose: 'signing', record: { type: 'individual', name: '赵六', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'zhao@example.cn' }, consent: { agreementVersion: 'v1', accepted: true } },
      '192.0.2.1',
    );
    const session = await ra.selfService.signIn(registered.access.trackingNumber, registered.access.trackingCode, '192.0.2.1');
    const me = await ra.selfService.principal(session.token);

    // The first application is still open.
    await expect(ra.selfService.applyAgain(me, { purpose: 'signing' })).rejects.toMatchObject({ code: 'ra.portal-application-open', status: 409 });
    await ra.applications.startReview(officer, registered.application.id);
    const { credential } = await ra.applications.approve(officer, registered.application.id);
    const { csrPem } = opensslRequest(mkdtempSync(join(tmpdir(), 'signet-apply-again-')), 'ecdsa-p256', 'zhao');
    const { serial } = await ra.downloads.withRequest({ ...credential, csr: csrPem }, '192.0.2.1');

    // A certificate for the purpose is in force: renew it instead. A bad purpose is named.
    await expect(ra.selfService.applyAgain(me, { purpose: 'signing' })).rejects.toMatchObject({ code: 'ra.portal-certificate-in-force', status: 409, field: 'purpose' });
    await expect(ra.selfService.applyAgain(me, { purpose: 'everything' })).rejects.toMatchObject({ code: 'ra.bad-purpose', status: 400 });
    const before = await ra.selfService.applicationsOf(me);

    await t.signet.status.revokeCertificate({ serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: me.actor });
    // A newer agreement is in force: consent to it first (R0); nothing was written by the refusal.
    await ra.agreements.publish({ id: 'v2', title: 'v2', text: '协议二', actor: 'test' });
    await expect(ra.selfService.applyAgain(me, { purpose: 'signing' })).rejects.toMatchObject({ status: 400 });
    expect(await ra.selfService.applicationsOf(me)).toHaveLength(before.length);
    const again = await ra.selfService.applyAgain(me, { purpose: 'signing', consent: { agreementVersion: 'v2', accepted: true } }, '192.0.2.9');
    expect(again).toMatchObject({ status: 'submitted', kind: 'new', profileId: 'individual-signing', subscriberId: registered.subscriber.id, submittedBy: me.actor });
    expect((await ra.agreements.acceptances(registered.subscriber.id)).map((a) => a.versionId)).toEqual(expect.arrayContaining(['v1', 'v2']));
    await expect(ra.selfService.applyAgain(me, { purpose: 'signing' })).rejects.toMatchObject({ code: 'ra.portal-application-open' });
  });
});
