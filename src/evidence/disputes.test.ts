import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/audit-log.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { Disputes } from './disputes.js';
import { evidenceDatabase } from './evidence-signer.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('disputes on %s (R10, agreement I.9 and III.4)', (backend) => {
  // 2026-11-24 10:00 in Shanghai.
  const now = new Date('2026-11-24T02:00:00.000Z');
  let t: TestSignet;
  let disputes: Disputes;

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    disputes = new Disputes({ ca: t.signet.ca, outbox: t.signet.service.outbox, retention: t.signet.service.retention, clock: () => now });
  });
  afterAll(() => t.signet.close());

  const file = (subscriberId: string, discoveredOn: string, d = disputes) =>
    d.file({ subscriberId, discoveredOn, description: '证书被冒用签署了借款合同 / certificate misused to sign a loan contract', filedBy: `subscriber:${subscriberId}` });

  it('accepts a filing within three months of discovery, places a legal hold and notifies both parties', async () => {
    const dispute = await file('sub-within', '2026-09-01');
    expect(dispute.state).toBe('filed');
    const holds = await t.signet.service.retention.holds({ subscriberId: 'sub-within', active: true });
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ id: dispute.holdId, kind: 'dispute' });
    const notices = await t.signet.service.outbox.list({ pending: true });
    const mine = notices.filter((n) => n.dedupeKey.startsWith(`dispute:${dispute.id}:`));
    expect(mine.map((n) => n.recipient).sort()).toEqual(['role:dispute-desk', 'subscriber:sub-within']);
    expect(mine[0]!.subject['zh-CN']).toContain('已受理');
  });

  it('accepts a filing on the last day of the window (discovered 2026-08-24, filed 2026-11-24)', async () => {
    expect((await file('sub-last-day', '2026-08-24')).state).toBe('filed');
  });

  it('refuses a filing later than three months after discovery, with the reason, and changes nothing', async () => {
    const before = await evidenceDatabase(t.signet.ca).selectFrom('disputes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const refusal = await file('sub-late', '2026-08-23').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SignetError);
    expect((refusal as SignetError).status).toBe(422);
    expect((refusal as SignetError).messageIn('en')).toBe(
      'A dispute must be filed within 3 months of discovering the problem: discovered 2026-08-23, deadline 2026-11-23, today is 2026-11-24',
    );
    expect((refusal as SignetError).messageIn('zh-CN')).toContain('3 个月内');
    const after = await evidenceDatabase(t.signet.ca).selectFrom('disputes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await t.signet.service.retention.holds({ subscriberId: 'sub-late' })).toEqual([]);
  });

  it('uses a longer window when configured', async () => {
    const sixMonths = new Disputes({ ca: t.signet.ca, outbox: t.signet.service.outbox, retention: t.signet.service.retention, clock: () => now, windowMonths: 6 });
    expect((await file('sub-six-months', '2026-06-01', sixMonths)).state).toBe('filed');
  });

  it('refuses a discovery date in the future or not a date', async () => {
    await expect(file('sub-future', '2026-11-25')).rejects.toMatchObject({ code: 'dispute.bad-date', status: 400 });
    await expect(file('sub-future', '24/11/2026')).rejects.toMatchObject({ code: 'dispute.bad-date', status: 400 });
  });

  it('goes filed → investigating → negotiation → referred to arbitration → closed, each step notified; closing releases the hold', async () => {
    const dispute = await file('sub-flow', '2026-11-01');
    await expect(disputes.advance(dispute.id, 'negotiation', 'operator:desk', 'skip')).rejects.toMatchObject({ code: 'dispute.bad-transition', status: 409 });
    await disputes.advance(dispute.id, 'investigating', 'operator:desk', '调取签名证据 / evidence requested');
    await disputes.advance(dispute.id, 'negotiation', 'operator:desk', '双方协商 / parties negotiating');
    await disputes.advance(dispute.id, 'referred-to-arbitration', 'operator:desk', '提交仲裁委员会 / referred to the arbitration commission');
    const closed = await disputes.advance(dispute.id, 'closed', 'operator:desk', '仲裁裁决 / award rendered');
    expect(closed).toMatchObject({ state: 'closed', outcome: '仲裁裁决 / award rendered' });
    await expect(disputes.advance(dispute.id, 'investigating', 'operator:desk', 'reopen')).rejects.toMatchObject({ code: 'dispute.bad-transition' });

    const shown = await disputes.dispute(dispute.id, 'operator:auditor');
    expect(shown.events.map((e) => e.to)).toEqual(['filed', 'investigating', 'negotiation', 'referred-to-arbitration', 'closed']);
    expect(await t.signet.service.retention.holds({ subscriberId: 'sub-flow', active: true })).toEqual([]);
    const notices = (await t.signet.service.outbox.list()).filter((n) => n.dedupeKey.startsWith(`dispute:${dispute.id}:`));
    expect(notices).toHaveLength(10);
    expect((await disputes.list({ subscriberId: 'sub-flow', open: true })).length).toBe(0);
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });

  it('lists disputes without what happened to the person, and audits every full read by who read it (R2, R20)', async () => {
    const dispute = await file('sub-read', '2026-11-02');
    const [listed] = await disputes.list({ subscriberId: 'sub-read' });
    expect(listed).toMatchObject({ id: dispute.id, state: 'filed', discoveredOn: '2026-11-02' });
    expect(listed).not.toHaveProperty('description');
    expect(listed).not.toHaveProperty('outcome');
    expect(JSON.stringify(listed)).not.toContain('借款合同');
    const reads = () => t.signet.store.db.selectFrom('audit_entries').select(['actor', 'details']).where('action', '=', 'dispute.read').where('target', '=', `dispute:${dispute.id}`).execute();
    expect(await reads()).toEqual([]);
    expect((await disputes.dispute(dispute.id, 'operator:auditor')).description).toContain('借款合同');
    expect((await disputes.dispute(dispute.id, 'cli:desk')).events[0]!.note).toContain('借款合同');
    const audited = await reads();
    expect(audited.map((r) => r.actor)).toEqual(['operator:auditor', 'cli:desk']);
    // The entry names the subscriber by reference only: the audit chain is never purged (R2).
    expect(JSON.parse(audited[0]!.details)).toEqual({ subscriber: 'sub-read' });
    // The subscriber's own view (the portal) has the texts, and is not an operator's read.
    expect((await disputes.of('sub-read'))[0]!.description).toContain('借款合同');
    expect(await reads()).toHaveLength(2);
    await expect(disputes.dispute('dispute-nope', 'operator:auditor')).rejects.toMatchObject({ code: 'dispute.not-found', status: 404 });
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });
});
