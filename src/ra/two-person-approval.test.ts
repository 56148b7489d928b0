import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';

afterAll(dropFreshStores);

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe.each(storeBackends)('two-person approval per RA and the approval notice, on %s (issue 20; R4, R20)', (backend) => {
  let t: TestSignet;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
  });

  const officer = (username: string, raId: string, via: Principal['via'] = 'session'): Principal => ({ operatorId: null, username, role: 'ra-officer', raId, via });
  const consent = { agreementVersion: 'v1', accepted: true };
  const record = (name: string, idNumber: string) => ({ type: 'individual', name, idType: 'resident-id', idNumber, phone: '13800138000', email: 'a@example.cn' });

  it('refuses the registering officer under two-person approval (also through the CLI), writing nothing; another officer approves and the subscriber is told', async () => {
    const { ra } = t.signet;
    const admin = bootstrapPrincipal('cli', 'test');
    const org = await ra.organisations.create(admin, { name: '双人审核注册机构', approvalPolicy: 'two-person' });
    expect(org.approvalPolicy).toBe('two-person');
    const clerk = officer('clerk', org.id);
    const checker = officer('checker', org.id);
    const subscriber = await ra.subscribers.register(clerk, { record: record('钱七', '110101199003077571'), consent }, '192.0.2.1');
    await ra.subscribers.addDocument(clerk, subscriber.id, { kind: 'id-document', filename: '身份证.png', mediaType: 'image/png', content: PNG });
    const application = await ra.applications.submit(clerk, { subscriberId: subscriber.id, purpose: 'signing' }, '192.0.2.1');
    await ra.applications.startReview(clerk, application.id);

    const check = await ra.applications.approvalCheck(clerk, application.id);
    expect(check).toMatchObject({ policy: 'two-person', refused: true, warnings: [] });
    expect(check.texts[0]).toMatchObject({ code: 'ra.two-person-required' });
    expect(check.texts[0]!['zh-CN']).toContain('双人审核');

    const entriesBefore = await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    await expect(ra.applications.approve(clerk, application.id)).rejects.toMatchObject({ code: 'ra.two-person-required', status: 403 });
    // The same person through the CLI is the same person.
    await expect(ra.applications.approve(officer('clerk', org.id, 'cli'), application.id)).rejects.toMatchObject({ code: 'ra.two-person-required', status: 403 });
    expect((await ra.applications.get(clerk, application.id)).status).toBe('in-review');
    const entriesAfter = await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(entriesAfter.n)).toBe(Number(entriesBefore.n));
    expect(await t.signet.service.outbox.list({ recipient: `subscriber:${subscriber.id}`, kind: 'application-approved' })).toHaveLength(0);

    expect(await ra.applications.approvalCheck(checker, application.id)).toMatchObject({ refused: false, warnings: [] });
    const approved = await ra.applications.approve(checker, application.id);
    expect(approved.warnings).toEqual([]);
    expect(approved.application).toMatchObject({ status: 'approved', decidedBy: 'operator:checker' });

    const [notice] = await t.signet.service.outbox.list({ recipient: `subscriber:${subscriber.id}`, kind: 'application-approved' });
    expect(notice!.subject['zh-CN']).toBe('您的签名证书申请已获批准');
    expect(notice!.subject.en).toBe('Your signing certificate application was approved');
    expect(notice!.body['zh-CN']).toContain('+08:00');
    // The notice never carries the secret half of the credential (R4).
    expect(notice!.body['zh-CN']).not.toContain(approved.credential.authorizationCode);
    expect(notice!.body.en).not.toContain(approved.credential.authorizationCode);
  });

  it('lets one officer register and approve under single-person approval, with both warnings in the answer and the audit entry', async () => {
    const { ra } = t.signet;
    const admin = bootstrapPrincipal('cli', 'test');
    const org = await ra.organisations.create(admin, { name: '单人审核注册机构' });
    expect(org.approvalPolicy).toBe('single-person');
    const clerk = officer('solo', org.id);
    const subscriber = await ra.subscribers.register(clerk, { record: record('孙八', '11010519491231002X'), consent }, '192.0.2.1');
    const application = await ra.applications.submit(clerk, { subscriberId: subscriber.id, purpose: 'encryption' }, '192.0.2.1');
    await ra.applications.startReview(clerk, application.id);
    const check = await ra.applications.approvalCheck(clerk, application.id);
    expect(check).toMatchObject({ policy: 'single-person', refused: false, warnings: ['same-officer', 'no-documents'] });
    expect(check.texts.map((x) => x.en)).toEqual([expect.stringContaining('registered this application yourself'), expect.stringContaining('No supporting document')]);

    const approved = await ra.applications.approve(clerk, application.id);
    expect(approved.warnings).toEqual(['same-officer', 'no-documents']);
    const entry = await t.signet.store.db.selectFrom('audit_entries').select(['actor', 'details']).where('action', '=', 'ra.application-approved').where('target', '=', `application:${application.id}`).executeTakeFirstOrThrow();
    expect(entry.actor).toBe('operator:solo');
    expect(JSON.parse(entry.details).warnings).toEqual(['same-officer', 'no-documents']);
    const [notice] = await t.signet.service.outbox.list({ recipient: `subscriber:${subscriber.id}`, kind: 'application-approved' });
    expect(notice!.subject['zh-CN']).toBe('您的加密证书申请已获批准');
  });

  it('holds for a change of information too: its submitter cannot approve it under two-person approval; under single-person the approval records it', async () => {
    const { ra } = t.signet;
    const admin = bootstrapPrincipal('cli', 'test');
    const strict = await ra.organisations.create(admin, { name: '变更双人审核注册机构', approvalPolicy: 'two-person' });
    const clerk = officer('change-clerk', strict.id);
    const subscriber = await ra.subscribers.register(clerk, { record: record('吴十', '110101198001010010'), consent }, '192.0.2.1');
    const change = await ra.changes.submit(clerk, subscriber.id, { changes: { phone: '13900139000' } });
    await expect(ra.changes.approve(clerk, change.id)).rejects.toMatchObject({ code: 'ra.two-person-required-change', status: 403 });
    expect((await ra.subscribers.currentRecord(subscriber.id)).version).toBe(1);
    const approved = await ra.changes.approve(officer('change-checker', strict.id), change.id);
    expect(approved.version).toBe(2);

    const lenient = await ra.organisations.create(admin, { name: '变更单人审核注册机构' });
    const solo = officer('change-solo', lenient.id);
    const other = await ra.subscribers.register(solo, { record: record('郑十一', '110101198502020022'), consent }, '192.0.2.1');
    const own = await ra.changes.submit(solo, other.id, { changes: { phone: '13700137000' } });
    await ra.changes.approve(solo, own.id);
    const entry = await t.signet.store.db.selectFrom('audit_entries').select(['details']).where('action', '=', 'ra.change-approved').where('target', '=', `subscriber:${other.id}`).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details).warnings).toEqual(['same-officer']);
  });

  it('is set per RA by a CA administrator only, audited; a bad policy is a 400 and changes nothing', async () => {
    const { ra } = t.signet;
    const admin = bootstrapPrincipal('cli', 'test');
    const org = await ra.organisations.create(admin, { name: '设置审核方式注册机构' });
    const raAdmin: Principal = { operatorId: null, username: 'chief', role: 'ra-admin', raId: org.id, via: 'session' };
    await expect(ra.organisations.setApprovalPolicy(raAdmin, org.id, 'single-person')).rejects.toMatchObject({ status: 403 });
    await expect(ra.organisations.setApprovalPolicy(admin, org.id, 'one-person')).rejects.toMatchObject({ code: 'ra.bad-approval-policy', status: 400 });
    await expect(ra.organisations.create(admin, { name: '错误审核方式', approvalPolicy: 'anyone' })).rejects.toMatchObject({ status: 400 });
    expect((await ra.organisations.get(org.id)).approvalPolicy).toBe('single-person');
    expect((await ra.organisations.setApprovalPolicy(admin, org.id, 'two-person')).approvalPolicy).toBe('two-person');
    expect((await ra.organisations.get(org.id)).approvalPolicy).toBe('two-person');
    const entry = await t.signet.store.db.selectFrom('audit_entries').select(['details']).where('action', '=', 'ra.approval-policy-set').where('target', '=', `ra:${org.id}`).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toEqual({ from: 'single-person', to: 'two-person' });
  });
});
