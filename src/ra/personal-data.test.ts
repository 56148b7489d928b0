import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';
import { raDb } from './schema.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('subscriber records at rest on %s (R2)', (backend) => {
  let t: TestSignet;
  let officer: Principal;
  const registration = {
    record: { type: 'individual', name: '周九', idType: 'resident-id', idNumber: '11010519491231002X', phone: '13500135000', email: 'zhou@example.cn' },
    consent: { agreementVersion: 'v1', accepted: true },
  };

  beforeAll(async () => {
    t = await openTestSignet(backend);
    const admin = bootstrapPrincipal('cli', 'test');
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test' });
    const ra = await t.signet.ra.organisations.create(admin, { name: '隐私注册机构' });
    officer = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'cli' };
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('stores the record sealed (AES-256-GCM with the personal-data key), reads it back, and audits the read', async () => {
    const subscriber = await t.signet.ra.subscribers.register(officer, registration, '192.0.2.9');
    const raw = await raDb(t.signet.store).selectFrom('ra_subscriber_versions').select('data').where('subscriber_id', '=', subscriber.id).executeTakeFirstOrThrow();
    expect(raw.data).not.toContain('周九');
    expect(raw.data).not.toContain('11010519491231002X');
    expect(raw.data).not.toContain('13500135000');
    expect(subscriber.identifierMasked).toBe('1101**********002X');
    const read = await t.signet.ra.subscribers.get(officer, subscriber.id);
    expect(read.record.record).toMatchObject({ name: '周九', idNumber: '11010519491231002X' });
    const audited = await t.signet.store.db.selectFrom('audit_entries').select('actor').where('action', '=', 'ra.subscriber-read').where('target', '=', `subscriber:${subscriber.id}`).execute();
    expect(audited).toHaveLength(1);
  });

  it('lists reported changes with the new values masked, and audits the full read of one (R2, R20)', async () => {
    const [subscriber] = await t.signet.ra.subscribers.list(officer);
    const reported = await t.signet.ra.changes.submit(officer, subscriber!.id, { changes: { name: '周九新', idNumber: '110101199003077571', phone: '13611112222', email: 'zhou.new@example.cn' } });
    const [listed] = await t.signet.ra.changes.list(officer, { subscriberId: subscriber!.id });
    expect(listed).toMatchObject({ id: reported.id, masked: true, changes: { name: '周*新', idNumber: '1101**********7571', phone: '136****2222', email: 'z***@example.cn' } });
    for (const clear of ['周九新', '110101199003077571', '13611112222', 'zhou.new']) expect(JSON.stringify(listed)).not.toContain(clear);
    const reads = () => t.signet.store.db.selectFrom('audit_entries').select(['actor', 'details']).where('action', '=', 'ra.change-read').where('target', '=', `subscriber:${subscriber!.id}`).execute();
    expect(await reads()).toEqual([]);
    const full = await t.signet.ra.changes.get(officer, reported.id);
    expect(full).toMatchObject({ masked: false, changes: { name: '周九新', idNumber: '110101199003077571', phone: '13611112222', email: 'zhou.new@example.cn' } });
    expect((await reads()).map((r) => [r.actor, JSON.parse(r.details)])).toEqual([['cli:officer', { change: reported.id }]]);
    // Another RA's officer reads nothing and leaves no read behind; an unknown change is named.
    const other = await t.signet.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '另一注册机构' });
    const stranger: Principal = { operatorId: null, username: 'stranger', role: 'ra-officer', raId: other.id, via: 'cli' };
    await expect(t.signet.ra.changes.get(stranger, reported.id)).rejects.toMatchObject({ code: 'ra.other-ra', status: 403 });
    await expect(t.signet.ra.changes.get(officer, 'chg-nope')).rejects.toMatchObject({ code: 'ra.unknown-change', status: 404 });
    expect(await reads()).toHaveLength(1);
    await t.signet.ra.changes.reject(officer, reported.id, { reason: '测试' });
  });

  it('seals supporting documents too; the SHA-256 is of the original bytes', async () => {
    const [subscriber] = await t.signet.ra.subscribers.list(officer);
    const bytes = Buffer.from('%PDF-1.4 身份证扫描件 %%EOF');
    const stored = await t.signet.ra.subscribers.addDocument(officer, subscriber!.id, { kind: 'id-document', filename: 'id.pdf', mediaType: 'application/pdf', content: bytes });
    const raw = await raDb(t.signet.store).selectFrom('ra_documents').select('content').where('id', '=', stored.id).executeTakeFirstOrThrow();
    expect(raw.content.includes(Buffer.from('身份证'))).toBe(false);
    const opened = await t.signet.ra.subscribers.document(officer, stored.id);
    expect(opened.content.equals(bytes)).toBe(true);
    // Reading the scan is audited, by reference only (R2, R20).
    const reads = await t.signet.store.db.selectFrom('audit_entries').select(['actor', 'details']).where('action', '=', 'ra.document-read').where('target', '=', `subscriber:${subscriber!.id}`).execute();
    expect(reads.map((r) => [r.actor, JSON.parse(r.details)])).toEqual([['cli:officer', { document: stored.id, kind: 'id-document' }]]);
    expect(stored.size).toBe(bytes.length);
  });

  it('lets the retention job anonymise a subscriber: the person is gone, the type and the history of work stay', async () => {
    const [subscriber] = await t.signet.ra.subscribers.list(officer);
    const changed = await raDb(t.signet.store)
      .transaction()
      .execute((trx) => t.signet.ra.personalDataHolder.anonymise(subscriber!.id, trx));
    expect(changed).toBeGreaterThan(0);
    const read = await t.signet.ra.subscribers.get(officer, subscriber!.id);
    expect(read.name).toBe('—');
    expect(read.record.record).toMatchObject({ type: 'individual', name: '—', idNumber: '—' });
    // The identifier made way: the same person can register again as someone new.
    const again = await t.signet.ra.subscribers.register(officer, registration, null);
    expect(again.id).not.toBe(subscriber!.id);
  });
});
