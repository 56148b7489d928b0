import { afterAll, describe, expect, it } from 'vitest';
import { openTestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';
import { AttemptCounter } from './attempts.js';
import { raDb } from './schema.js';

afterAll(dropFreshStores);

/** Issue 16: ra_secret_attempts keeps only rows that still mean something. */
describe.each(storeBackends)('pruning attempt counts on %s (issue 16)', (backend) => {
  it('forgets passed login windows and cleared counts, keeps the counts of live secrets, and changes no answer', async () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const t = await openTestSignet(backend, { clock: () => now });
    try {
      const counter = new AttemptCounter(raDb(t.signet.store), () => now);
      const login = { limit: 5, windowMs: 30 * 60_000 };
      for (let i = 0; i < 3; i++) await counter.take('login:alice@10.0.0.1', login);
      await counter.take('login:bob@10.0.0.2', login);
      for (let i = 0; i < 2; i++) await counter.take('credential:c1', { limit: 5 });
      await counter.take('portal:1234', { limit: 5 });
      await counter.clear('portal:1234');
      const keys = async () => (await raDb(t.signet.store).selectFrom('ra_secret_attempts').select('key').orderBy('key').execute()).map((r) => r.key);
      // Inside the window nothing goes.
      now = new Date(now.getTime() + 10 * 60_000);
      await counter.take('login:bob@10.0.0.2', login);
      expect(await counter.prune('login:', login.windowMs)).toBe(0);
      // Two days on: the login windows have passed and the cleared count is idle; the credential's count stays.
      now = new Date(now.getTime() + 2 * 86_400_000);
      const before = [await counter.count('login:alice@10.0.0.1', login), await counter.count('credential:c1', { limit: 5 }), await counter.count('portal:1234', { limit: 5 })];
      expect(await counter.prune('login:', login.windowMs)).toBe(3);
      expect(await keys()).toEqual(['credential:c1']);
      expect([await counter.count('login:alice@10.0.0.1', login), await counter.count('credential:c1', { limit: 5 }), await counter.count('portal:1234', { limit: 5 })]).toEqual(before);
      expect(before).toEqual([0, 2, 0]);
      expect((await counter.take('login:alice@10.0.0.1', login))?.attempt).toBe(1);
    } finally {
      await t.signet.close();
    }
  });

  it("forgets the counts of locked and replaced secrets and passed rate-limit windows; a live secret's count stays, and no answer changes", async () => {
    let now = new Date();
    const t = await openTestSignet(backend, { clock: () => now });
    try {
      const ra = t.signet.ra;
      await ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test', publishedAt: new Date(now.getTime() - 86_400_000) });
      const org = await ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '计数注册机构' });
      const officer: Principal = { operatorId: null, username: 'officer', role: 'ra-officer', raId: org.id, via: 'cli' };
      const record = { type: 'individual', name: '计数甲', idType: 'resident-id', idNumber: '11010519491231002X', phone: '13500135000', email: 'a@example.cn' };
      const subscriber = await ra.subscribers.register(officer, { record, consent: { agreementVersion: 'v1', accepted: true } }, null);
      const application = await ra.applications.submit(officer, { subscriberId: subscriber.id, purpose: 'signing' }, null);
      await ra.applications.startReview(officer, application.id);
      const first = (await ra.applications.approve(officer, application.id)).credential;
      const refused = async (attempt: Promise<unknown>) => (await attempt.then(() => 'accepted', (e: { code?: string }) => e.code ?? 'error'));
      // One wrong code at the first credential, then a new one replaces it (superseded: its code is still checked, so its count stays).
      expect(await refused(ra.credentials.claim(first.referenceNumber, 'WRONGCODE'))).toBe('ra.credential-refused');
      const second = await ra.applications.reissueCredential(officer, application.id);
      // The second is locked by wrong codes: refused before any code is looked at, so its count means nothing.
      for (let i = 0; i < ra.settings.credentialMaxAttempts; i++) await refused(ra.credentials.claim(second.referenceNumber, 'WRONGCODE'));
      // Portal access: a wrong code, then the RA gives new access (the old number is gone); the new one gets a wrong code too.
      const oldAccess = await ra.selfService.issueAccess(officer, subscriber.id);
      await refused(ra.selfService.signIn(oldAccess.trackingNumber, 'WRONG', null));
      const access = await ra.selfService.issueAccess(officer, subscriber.id);
      await refused(ra.selfService.signIn(access.trackingNumber, 'WRONG', null));
      // A rate-limit count, an hour-long window.
      await ra.requestCounts.hit('rate:registration:source:10.0.0.1', 3_600_000);
      const keys = async () => (await raDb(t.signet.store).selectFrom('ra_secret_attempts').select('key').orderBy('key').execute()).map((r) => r.key);
      const credentialKey = async (reference: string) =>
        `credential:${(await raDb(t.signet.store).selectFrom('ra_download_credentials').select('id').where('reference_number', '=', reference).executeTakeFirstOrThrow()).id}`;
      const [firstKey, secondKey] = [await credentialKey(first.referenceNumber), await credentialKey(second.referenceNumber)];
      expect(await keys()).toEqual([firstKey, secondKey, `portal:${oldAccess.trackingNumber}`, `portal:${access.trackingNumber}`, 'rate:registration:source:10.0.0.1'].sort());

      expect(await ra.pruneAttempts()).toBe(2);
      expect(await keys()).toEqual([firstKey, `portal:${access.trackingNumber}`, 'rate:registration:source:10.0.0.1'].sort());
      // The answers are those of before: the locked credential and the old number are still refused, the live ones still counted.
      expect(await refused(ra.credentials.claim(second.referenceNumber, second.authorizationCode))).toBe('ra.credential-refused');
      expect(await refused(ra.selfService.signIn(oldAccess.trackingNumber, oldAccess.trackingCode, null))).toBe('ra.portal-access-refused');
      expect((await ra.requestCounts.hit('rate:registration:source:10.0.0.1', 3_600_000)).count).toBe(2);
      // A day on, the rate-limit window has passed and goes too.
      now = new Date(now.getTime() + 86_400_000 + 1000);
      expect(await ra.pruneAttempts()).toBeGreaterThanOrEqual(1);
      expect(await keys()).not.toContain('rate:registration:source:10.0.0.1');
    } finally {
      await t.signet.close();
    }
  }, 120_000);
});
