import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { SignetError } from '../i18n/signet-error.js';
import { openChange, openDocument, openRecord } from './personal-data.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';
import { raDb } from './schema.js';

afterAll(dropFreshStores);

/**
 * What a process given no SIGNET_PII_KEY says of sealed personal data: the deployment's lack (500), named in
 * zh-CN and en with the row it met (brief: every text a person reads in both languages).
 */
function expectNoKey(read: () => unknown, reference: string): void {
  let refused: unknown;
  try {
    read();
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(SignetError);
  const error = refused as SignetError;
  expect([error.code, error.status]).toEqual(['ra.personal-data-key-missing', 500]);
  expect(error.messageIn('zh-CN')).toBe(`个人信息（${reference}）已加密保存，但没有配置可打开它的个人信息密钥：请设置 SIGNET_PII_KEY（或 SIGNET_PII_KEY_FILE）`);
  expect(error.messageIn('en')).toBe(`Personal data (${reference}) is stored encrypted, but no personal-data key is configured to open it: set SIGNET_PII_KEY (or SIGNET_PII_KEY_FILE)`);
}

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
    expectNoKey(() => openRecord(undefined, subscriber.id, 1, raw.data), `ra-subscriber:${subscriber.id}:v1`);
    expect(subscriber.identifierMasked).toBe('1101**********002X');
    const read = await t.signet.ra.subscribers.get(officer, subscriber.id);
    expect(read.record.record).toMatchObject({ name: '周九', idNumber: '11010519491231002X' });
    const audited = await t.signet.store.db.selectFrom('audit_entries').select('actor').where('action', '=', 'ra.subscriber-read').where('target', '=', `subscriber:${subscriber.id}`).execute();
    expect(audited).toHaveLength(1);
  });

  it('lists reported changes with the new values masked, and audits the full read of one (R2, R20)', async () => {
    const [subscriber] = await t.signet.ra.subscribers.list(officer);
    const reported = await t.signet.ra.changes.submit(officer, subscriber!.id, { changes: { name: '周九新', idNumber: '110101199003077571', phone: '13611112222', email: 'zhou.new@example.cn' } });
    const sealed = await raDb(t.signet.store).selectFrom('ra_change_requests').select(['id', 'changes']).where('id', '=', reported.id).executeTakeFirstOrThrow();
    expectNoKey(() => openChange(undefined, sealed), `ra-change:${reported.id}`);
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
    expectNoKey(() => openDocument(undefined, stored.id, raw.content), `ra-document:${stored.id}`);
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
