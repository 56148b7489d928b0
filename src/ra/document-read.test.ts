import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';

afterAll(dropFreshStores);

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe.each(storeBackends)('an officer opens a supporting document, on %s (issue 20; R1, R2, R20)', (backend) => {
  let t: TestSignet;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('gives the content to the subscriber’s RA only, under the subscriber it belongs to, and audits every read', async () => {
    const { organisations, subscribers } = t.signet.ra;
    const admin = bootstrapPrincipal('cli', 'test');
    const ra = await organisations.create(admin, { name: '证件注册机构' });
    const other = await organisations.create(admin, { name: '别的注册机构' });
    const officer: Principal = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'session' };
    const stranger: Principal = { operatorId: null, username: 'stranger', role: 'ra-officer', raId: other.id, via: 'session' };
    const record = (name: string, idNumber: string) => ({ type: 'individual', name, idType: 'resident-id', idNumber, phone: '13800138000', email: 'a@example.cn' });
    const consent = { agreementVersion: 'v1', accepted: true };
    const owner = await subscribers.register(officer, { record: record('钱七', '110101199003077571'), consent }, '192.0.2.1');
    const neighbour = await subscribers.register(officer, { record: record('孙八', '11010519491231002X'), consent }, '192.0.2.1');
    const stored = await subscribers.addDocument(officer, owner.id, { kind: 'id-document', filename: '身份证.png', mediaType: 'image/png', content: PNG });

    const opened = await subscribers.readDocument(officer, owner.id, stored.id);
    expect(opened.content.equals(PNG)).toBe(true);
    expect(opened).toMatchObject({ filename: '身份证.png', mediaType: 'image/png', sha256: stored.sha256 });
    await expect(subscribers.readDocument(officer, neighbour.id, stored.id)).rejects.toMatchObject({ code: 'ra.unknown-document', status: 404 });
    await expect(subscribers.readDocument(stranger, owner.id, stored.id)).rejects.toMatchObject({ status: 403 });
    await expect(subscribers.readDocument(officer, owner.id, 'doc-none')).rejects.toMatchObject({ status: 404 });

    const reads = await t.signet.store.db.selectFrom('audit_entries').select(['actor', 'target', 'details']).where('action', '=', 'ra.document-read').execute();
    expect(reads.map((r) => [r.actor, r.target, JSON.parse(r.details).document])).toEqual([['operator:officer', `subscriber:${owner.id}`, stored.id]]);
  });
});
