import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import type { Principal } from '../ra/roles.js';
import { bootstrapPrincipal } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { mailSettingsFrom } from './mail-settings.js';
import { NotificationDelivery } from './notification-delivery.js';
import { raRecipientAddresses } from './ra-recipient-addresses.js';
import type { Notification } from './notification-outbox.js';
import { runDeliveryRound } from './scheduled-work.js';
import { SmtpSink } from './test-support/smtp-sink.js';

afterAll(dropFreshStores);

describe('mail settings from the environment (README, configuration)', () => {
  it('sends nothing without SIGNET_SMTP_URL, and insists on TLS for any server but a loopback one', () => {
    expect(mailSettingsFrom({}, 'https://ca.example.cn')).toMatchObject({ from: 'Signet <signet@ca.example.cn>', requireTls: true, batchSize: 200, backoffMs: 60_000, maxBackoffMs: 6 * 3600_000 });
    expect(mailSettingsFrom({}).url).toBeUndefined();
    expect(mailSettingsFrom({ SIGNET_SMTP_URL: 'smtp://mail.example.cn:587' }).requireTls).toBe(true);
    expect(mailSettingsFrom({ SIGNET_SMTP_URL: 'smtp://127.0.0.1:2525' }).requireTls).toBe(false);
    expect(mailSettingsFrom({ SIGNET_SMTP_URL: 'smtp://127.0.0.1:2525', SIGNET_SMTP_REQUIRE_TLS: 'true' }).requireTls).toBe(true);
    expect(mailSettingsFrom({ SIGNET_NOTIFY_ROLE_ADDRESSES: 'dispute-desk=disputes@ca.example.cn' }).roleAddresses).toEqual({ 'dispute-desk': 'disputes@ca.example.cn' });
    expect(() => mailSettingsFrom({ SIGNET_SMTP_URL: 'http://mail.example.cn' })).toThrow(/smtp:\/\//);
    expect(() => mailSettingsFrom({ SIGNET_NOTIFY_ROLE_ADDRESSES: 'dispute-desk' })).toThrow('SIGNET_NOTIFY_ROLE_ADDRESSES: "dispute-desk" is not role=address, e.g. dispute-desk=disputes@example.cn');
  });
});

describe.each(storeBackends)('the notification outbox sent by SMTP on %s (R10, R19; at least once, never lost)', (backend) => {
  const sink = new SmtpSink();
  let t: TestSignet;
  let now = new Date('2026-11-02T02:00:00.000Z');
  let crashAfterAccepted = false;
  let officer: Principal;
  let individual: string;
  let enterprise: string;

  beforeAll(async () => {
    await sink.start();
    t = await openTestSignet(backend, {
      clock: () => now,
      env: { SIGNET_SMTP_URL: sink.url, SIGNET_SMTP_FROM: 'CFCA 通知 <notice@ca.example.cn>', SIGNET_NOTIFY_ROLE_ADDRESSES: 'dispute-desk=disputes@ca.example.cn' },
      mailFaults: {
        afterAccepted: () => {
          if (!crashAfterAccepted) return;
          crashAfterAccepted = false;
          throw new Error('the node died after the server accepted the message');
        },
      },
    });
    const ra = t.signet.ra;
    await ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date('2026-01-01T00:00:00Z') });
    const org = await ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '通知注册机构' });
    officer = { operatorId: null, username: 'officer', role: 'ra-officer', raId: org.id, via: 'cli' };
    const consent = { agreementVersion: 'v1', accepted: true };
    individual = (
      await ra.subscribers.register(officer, { record: { type: 'individual', name: '周九', idType: 'resident-id', idNumber: '11010519491231002X', phone: '13500135000', email: 'zhou@example.cn' }, consent }, null)
    ).id;
    enterprise = (
      await ra.subscribers.register(
        officer,
        {
          record: {
            type: 'enterprise',
            name: '示例科技有限公司',
            uscc: '91350100M000100Y43',
            legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
            agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
          },
          consent,
        },
        null,
      )
    ).id;
  });
  afterAll(async () => {
    await t.signet.close();
    await sink.stop();
  });

  const notice = (recipient: string, key: string): Notification => ({
    recipient,
    kind: 'notice-published',
    dedupeKey: `test:${key}`,
    subject: { 'zh-CN': `公告 ${key}`, en: `Notice ${key}` },
    body: { 'zh-CN': `尊敬的订户：公告 ${key} 已发布。`, en: `Dear subscriber: notice ${key} is published.` },
  });
  const enqueue = async (...notices: Notification[]) => {
    const ids: string[] = [];
    await t.signet.service.context.db.transaction().execute(async (trx) => {
      for (const n of notices) await t.signet.service.outbox.enqueue(trx, n, now);
    });
    for (const n of notices) ids.push((await t.signet.service.outbox.list({ recipient: n.recipient })).find((q) => q.dedupeKey === n.dedupeKey)!.id);
    return ids;
  };
  const row = async (id: string) => (await t.signet.service.outbox.list({}, 10_000)).find((n) => n.id === id)!;
  const mailsFor = (id: string) => sink.received.filter((m) => m.headers['x-signet-notification'] === id);
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };

  it('mails a dispute to the subscriber and to the dispute desk in zh-CN and en, recorded sent only once the server accepted it (R10)', async () => {
    const dispute = await t.signet.disputes.file({ subscriberId: individual, discoveredOn: '2026-10-20', description: '证书被冒用 / certificate misused', filedBy: `subscriber:${individual}` });
    const queued = (await t.signet.service.outbox.list({ pending: true })).filter((n) => n.dedupeKey.startsWith(`dispute:${dispute.id}:`));
    expect(queued).toHaveLength(2);

    const round = await runDeliveryRound(t.signet, 'node-a');
    expect(round).toMatchObject({ attempted: 2, sent: 2, retrying: 0, undeliverable: 0, serverFailure: null });

    const toSubscriber = sink.received.find((m) => m.to.includes('zhou@example.cn'))!;
    const toDesk = sink.received.find((m) => m.to.includes('disputes@ca.example.cn'))!;
    for (const mail of [toSubscriber, toDesk]) {
      expect(mail.from).toBe('notice@ca.example.cn');
      expect(mail.headers['content-language']).toBe('zh-CN, en');
      expect(mail.headers['auto-submitted']).toBe('auto-generated');
      expect(mail.headers.subject).toContain('争议');
      expect(mail.headers.subject).toContain('dispute');
      expect(mail.text).toContain('请勿直接回复');
      expect(mail.text).toContain('please do not reply');
      expect(mail.text.indexOf('—— English ——')).toBeGreaterThan(mail.text.indexOf('请勿直接回复'));
    }
    for (const n of queued) {
      const sent = await row(n.id);
      expect(sent).toMatchObject({ state: 'sent', sentAt: now.toISOString(), attempts: 1, lastError: null });
      expect(sent.messageId).toBe(`<${n.id}@ca.example.cn>`);
      expect(mailsFor(n.id).map((m) => m.headers['message-id'])).toEqual([sent.messageId]);
    }
    // Each send is in the audit chain (R20), naming the notice, not the mailbox.
    const audited = await t.signet.store.db.selectFrom('audit_entries').select(['target', 'details']).where('action', '=', 'service.notification-sent').execute();
    expect(audited.map((a) => a.target).sort()).toEqual(queued.map((n) => `notification:${n.id}`).sort());
    expect(JSON.stringify(audited)).not.toContain('zhou@example.cn');

    // Nothing is sent twice, and a node without the lease sends nothing.
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 0, sent: 0 });
    expect(await runDeliveryRound(t.signet, 'node-b')).toBeNull();
    expect(sink.received).toHaveLength(2);
  });

  it("sends an enterprise's notice to its handling agent's address (R1)", async () => {
    const [id] = await enqueue(notice(`subscriber:${enterprise}`, 'enterprise'));
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ sent: 1 });
    expect(mailsFor(id!).map((m) => m.to)).toEqual([['lisi@example.cn']]);
  });

  it('keeps notices pending while the server is unreachable, with backoff, and delivers them once it is back', async () => {
    // Oldest first: the second notice is queued a millisecond after the first.
    const [first] = await enqueue(notice(`subscriber:${individual}`, 'down-1'));
    later(1);
    const [second] = await enqueue(notice(`subscriber:${individual}`, 'down-2'));
    await sink.stop();

    const refused = await runDeliveryRound(t.signet, 'node-a');
    // The round stops at the first failure of the server itself: the second notice is not even tried.
    expect(refused).toMatchObject({ attempted: 1, sent: 0, retrying: 1 });
    expect(refused!.serverFailure).toMatch(/ECONNECTION|ECONNREFUSED/);
    expect(await row(first!)).toMatchObject({ state: 'pending', sentAt: null, attempts: 1, nextAttemptAt: new Date(now.getTime() + 60_000).toISOString() });
    expect((await row(first!)).lastError).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(await row(second!)).toMatchObject({ state: 'pending', attempts: 0 });

    // Still down a minute later: the next wait doubles.
    later(60_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 1, retrying: 1 });
    expect(await row(first!)).toMatchObject({ state: 'pending', attempts: 2, nextAttemptAt: new Date(now.getTime() + 120_000).toISOString() });

    await sink.start();
    // Back up: the notice that was never tried goes at once; the other waits out its backoff…
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 1, sent: 1 });
    expect(await row(second!)).toMatchObject({ state: 'sent' });
    expect(await row(first!)).toMatchObject({ state: 'pending' });
    // …and is delivered when it is due.
    later(120_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 1, sent: 1 });
    expect(await row(first!)).toMatchObject({ state: 'sent', attempts: 3, lastError: null });
    expect(mailsFor(first!)).toHaveLength(1);
    expect(mailsFor(second!)).toHaveLength(1);
  });

  it('retries a recipient the server refuses for now (451) and gives up only on a refusal for good (550), keeping the row', async () => {
    sink.refuse.set('zhou@example.cn', 451);
    const [busy] = await enqueue(notice(`subscriber:${individual}`, 'busy'));
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 1, retrying: 1, serverFailure: null });
    expect(await row(busy!)).toMatchObject({ state: 'pending', attempts: 1 });
    expect((await row(busy!)).lastError).toContain('451');
    expect((await row(busy!)).lastError).not.toContain('zhou@example.cn');

    sink.refuse.set('zhou@example.cn', 550);
    later(60_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 1, undeliverable: 1 });
    expect(await row(busy!)).toMatchObject({ state: 'undeliverable', attempts: 2, sentAt: null });
    sink.refuse.clear();
    later(24 * 3600_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 0 });
    expect(mailsFor(busy!)).toHaveLength(0);
  });

  it('never sends in clear when TLS is required: a server without STARTTLS leaves the notice pending', async () => {
    const [id] = await enqueue(notice(`subscriber:${individual}`, 'tls'));
    const strict = new NotificationDelivery({
      context: t.signet.service.context,
      outbox: t.signet.service.outbox,
      settings: { ...t.config.mail, requireTls: true },
      addresses: raRecipientAddresses(t.signet.ra, t.config.mail.roleAddresses),
    });
    const round = await strict.deliverDue();
    expect(round).toMatchObject({ attempted: 1, sent: 0, retrying: 1 });
    expect(round!.serverFailure).toMatch(/STARTTLS|TLS/i);
    expect(mailsFor(id!)).toHaveLength(0);
    expect(await row(id!)).toMatchObject({ state: 'pending', attempts: 1 });
    // The same notice goes once the operator's setting allows this (loopback) server.
    later(60_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ sent: 1 });
    expect(mailsFor(id!)).toHaveLength(1);
  });

  it('resends under the same Message-ID after a crash between the server accepting and the record, never losing the notice', async () => {
    const [id] = await enqueue(notice(`subscriber:${individual}`, 'crash'));
    crashAfterAccepted = true;
    await expect(runDeliveryRound(t.signet, 'node-a')).rejects.toThrow(/node died/);
    expect(mailsFor(id!)).toHaveLength(1);
    expect(await row(id!)).toMatchObject({ state: 'pending', sentAt: null });

    // The dead attempt's claim holds the notice for ten minutes; then it goes again.
    later(9 * 60_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 0 });
    later(60_000);
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 1, sent: 1 });
    const copies = mailsFor(id!);
    expect(copies).toHaveLength(2);
    expect(new Set(copies.map((m) => m.headers['message-id']))).toEqual(new Set([`<${id}@ca.example.cn>`]));
    expect(await row(id!)).toMatchObject({ state: 'sent' });
  });

  it('marks a notice for a subscriber the RA does not know undeliverable, and keeps a desk notice pending until its address is configured', async () => {
    const [ghost, desk] = await enqueue(notice('subscriber:nobody', 'ghost'), notice('role:complaints-desk', 'desk'));
    expect(await runDeliveryRound(t.signet, 'node-a')).toMatchObject({ attempted: 2, undeliverable: 1, retrying: 1 });
    expect(await row(ghost!)).toMatchObject({ state: 'undeliverable' });
    expect((await row(ghost!)).lastError).toContain('nobody');
    expect(await row(desk!)).toMatchObject({ state: 'pending', attempts: 1 });
    expect((await row(desk!)).lastError).toContain('SIGNET_NOTIFY_ROLE_ADDRESSES');
  });
});
