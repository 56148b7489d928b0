import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestSignet, TEST_PASSPHRASE } from '../ca/test-support/ca-fixture.js';
import { loadConfig } from '../config/settings.js';
import { openSignet, type Signet } from '../signet.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { ENTERPRISE } from '../acme/test-support/acme-fixture.js';
import { bootstrapPrincipal, type Principal } from './roles.js';

afterAll(dropFreshStores);

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const record = (name: string, idNumber: string) => ({ record: { type: 'individual', name, idType: 'resident-id', idNumber, phone: '13700000000', email: 'r@example.cn' }, consent: { agreementVersion: 'v1', accepted: true } });
const ID_A = '11010519491231002X';
const ID_B = '110101199003077571';

describe.each(storeBackends)('rotation of the personal-data key on %s (R2)', (backend) => {
  it('opens old values with the old key, finds duplicates across the rotation, reseals everything, and then needs only the new key', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const first = await openTestSignet(backend, { env: { SIGNET_PII_KEY: k1 } });
    const env = { SIGNET_DATA: first.dir, SIGNET_DATABASE_URL: first.config.databaseUrl, SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE, SIGNET_ADMIN_TOKEN: 'test-admin-token', SIGNET_LOG_LEVEL: 'silent' };
    const reopen = (keys: string) => openSignet(loadConfig({ ...env, SIGNET_PII_KEY: keys }));
    let officer: Principal;
    let subscriberId: string;
    let credential: { referenceNumber: string; authorizationCode: string };
    let bindingKeyId: string;
    let signet: Signet = first.signet;
    try {
      await signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test' });
      const ra = await signet.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '轮换测试注册机构' });
      officer = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'cli' };
      subscriberId = (await signet.ra.subscribers.register(officer, record('轮换甲', ID_A), null)).id;
      await signet.ra.changes.submit(officer, subscriberId, { changes: { phone: '13711112222' } });
      const evidence = await signet.ra.subscribers.addDocument(officer, subscriberId, { kind: 'authorisation-letter', filename: 'a.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.7 授权') });
      await signet.ra.delegations.create(officer, subscriberId, { agentName: '代理乙', agentIdType: 'resident-id', agentIdNumber: ID_B, scope: ['download'], expiresAt: new Date(Date.now() + 86_400_000).toISOString(), evidenceDocumentId: evidence.id });
      // Secrets kept sealed for the standard doors (issue 21): a CMP download code and an ACME binding's HMAC key.
      const application = await signet.ra.applications.submit(officer, { subscriberId, purpose: 'signing' }, null);
      await signet.ra.applications.startReview(officer, application.id);
      credential = (await signet.ra.applications.approve({ ...officer, username: 'second-officer' }, application.id, { note: 'checked' })).credential;
      const enterprise = await signet.ra.subscribers.register(officer, { record: ENTERPRISE, consent: { agreementVersion: 'v1', accepted: true } }, null);
      bindingKeyId = (await signet.acme.bindings.issue(officer, { subscriberId: enterprise.id, identifiers: ['example.com'] })).keyId;
      await signet.disputes.file({ subscriberId, discoveredOn: new Date().toISOString().slice(0, 10), description: '轮换甲称证书被冒用', filedBy: 'operator:clerk' });
    } finally {
      await signet.close();
    }

    // k2 current, k1 still configured: old values open, the duplicate check still finds ID_A.
    signet = await reopen(`${k2},${k1}`);
    try {
      expect((await signet.ra.subscribers.get(officer, subscriberId)).record.record).toMatchObject({ name: '轮换甲', idNumber: ID_A });
      await expect(signet.ra.subscribers.register(officer, record('冒名者', ID_A), null)).rejects.toMatchObject({ code: 'ra.subscriber-exists' });
      const ra = { ...(await signet.service.resealPersonalData('test')), ...(await signet.ra.personalDataHolder.reseal('test')), ...(await signet.disputes.reseal()), ...(await signet.acme.bindings.reseal('test')) };
      expect(ra).toMatchObject({ records: 2, subscribers: 2, documents: 1, delegations: 1, changes: 1, disputes: 1, events: 1, credentials: 1, acmeBindings: 1 });
      expect(ra.notifications).toBeGreaterThan(0);
      // A second pass finds nothing left under the old key.
      expect(await signet.ra.personalDataHolder.reseal('test')).toMatchObject({ records: 0, subscribers: 0, documents: 0, delegations: 0, changes: 0, credentials: 0 });
      expect(await signet.acme.bindings.reseal('test')).toEqual({ acmeBindings: 0 });
    } finally {
      await signet.close();
    }

    // Only k2: everything still opens, nothing at rest names k1.
    signet = await reopen(k2);
    try {
      expect((await signet.ra.subscribers.get(officer, subscriberId)).record.record).toMatchObject({ name: '轮换甲', idNumber: ID_A });
      await expect(signet.ra.subscribers.register(officer, record('冒名者', ID_A), null)).rejects.toMatchObject({ code: 'ra.subscriber-exists' });
      expect((await signet.ra.delegations.of(subscriberId))[0]).toMatchObject({ agentName: '代理乙' });
      expect((await signet.ra.delegations.list(officer, subscriberId))[0]).toMatchObject({ agentName: '代*乙' });
      expect((await signet.ra.changes.get(officer, (await signet.ra.changes.list(officer, { subscriberId }))[0]!.id))).toMatchObject({ changes: { phone: '13711112222' } });
      expect((await signet.ra.subscribers.document(officer, (await signet.ra.subscribers.documents(officer, subscriberId))[0]!.id)).content.toString()).toContain('授权');
      expect((await signet.disputes.of(subscriberId))[0]!.description).toBe('轮换甲称证书被冒用');
      expect((await signet.service.outbox.list({ recipient: `subscriber:${subscriberId}` })).length).toBeGreaterThan(0);
      const page = await signet.ra.inventory.page({ operatorId: null, username: 'admin', role: 'ca-admin', raId: null, via: 'cli' }, { q: '轮换甲' });
      expect(page.total).toBe(0); // no certificate yet: the search ran on the blind index without error
      const codeRow = await signet.store.db.selectFrom('ra_download_credentials' as never).selectAll().where('reference_number' as never, '=', credential!.referenceNumber as never).executeTakeFirst();
      expect(signet.ra.credentials.sealedCode(codeRow as never)).toBe(credential!.authorizationCode);
      const binding = await sql<{ mac_key: string }>`select mac_key from acme_bindings where key_id = ${bindingKeyId!}`.execute(signet.store.db);
      expect(binding.rows[0]!.mac_key).toMatch(/^pd1\.k2\./);
      const tables = ['ra_subscribers', 'ra_subscriber_versions', 'ra_delegations', 'ra_change_requests', 'ra_download_credentials', 'acme_bindings', 'service_notifications', 'disputes', 'dispute_events'];
      for (const table of tables) {
        const rows = JSON.stringify((await sql.raw(`select * from "${table}"`).execute(signet.store.db)).rows);
        expect(rows, table).not.toMatch(/(pd1|bi1)\.k1\./);
      }
    } finally {
      await signet.close();
    }
  });
});
