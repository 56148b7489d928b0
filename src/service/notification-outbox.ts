import { randomUUID } from 'node:crypto';
import { formatShanghaiTime } from '../i18n/locale.js';
import type { ApprovalNotice } from '../ra/context.js';
import type { Tx } from '../store/database.js';
import type { ServiceContext } from './context.js';
import type { PersonalDataCipher } from './personal-data.js';
import type { PersonalDataHolder } from './retention.js';
import type { NotificationTable, ServiceTx } from './schema.js';

export interface Notification {
  recipient: string;
  kind: NotificationTable['kind'];
  dedupeKey: string;
  subject: { 'zh-CN': string; en: string };
  body: { 'zh-CN': string; en: string };
}

export interface QueuedNotification extends Notification {
  id: string;
  createdAt: string;
  state: NotificationTable['state'];
  sentAt: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  messageId: string | null;
}

/**
 * The notification outbox: a notification is a row written in the same
 * transaction as the fact it announces, so a crash never loses one nor sends
 * one for something that did not happen. The SMTP sender
 * (notification-delivery.ts) takes due rows, and records a row sent only after
 * the server accepted the message.
 */
export class NotificationOutbox {
  constructor(private readonly context: ServiceContext) {}

  /** Queues once per dedupe key; returns false when it was already queued. */
  async enqueue(trx: ServiceTx, notification: Notification, at: Date): Promise<boolean> {
    const id = randomUUID();
    // A notice names the person it is about: subject and body are sealed at rest like every personal field (R2).
    const seal = (text: string, part: string) => this.context.personalData.seal(text, `service-notification:${id}:${part}`);
    const result = await trx
      .insertInto('service_notifications')
      .values({
        id,
        recipient: notification.recipient,
        kind: notification.kind,
        dedupe_key: notification.dedupeKey,
        subject_zh: seal(notification.subject['zh-CN'], 'subject-zh'),
        subject_en: seal(notification.subject.en, 'subject-en'),
        body_zh: seal(notification.body['zh-CN'], 'body-zh'),
        body_en: seal(notification.body.en, 'body-en'),
        created_at: at.toISOString(),
        sent_at: null,
        attempts: 0,
        last_error: null,
        state: 'pending',
        next_attempt_at: null,
        message_id: null,
        server_response: null,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * Someone registered in the public portal with this subscriber's identity
   * number (issue 16 §3): the portal answers them as it answers everyone, and
   * the subscriber hears of it at the contact on file. At most one notice a day.
   */
  async registrationAttempted(subscriberId: string, at: Date): Promise<void> {
    await this.enqueue(
      this.context.db,
      {
        recipient: `subscriber:${subscriberId}`,
        kind: 'registration-attempt',
        dedupeKey: `registration-attempt:${subscriberId}:${at.toISOString().slice(0, 10)}`,
        subject: { 'zh-CN': '有人使用您的证件号码在门户注册', en: 'Someone registered in the portal with your identity number' },
        body: {
          'zh-CN': '有人在网上门户使用您的证件号码提交了注册。您已是本机构的订户，该注册未被受理，所给的跟踪号和跟踪码不能使用。如果是您本人，请使用原有跟踪号登录，或请注册机构为您重新签发门户凭据；如果不是您本人，请联系注册机构。',
          en: 'Someone submitted a registration in the online portal with your identity number. You are already a subscriber, so it was not accepted and the tracking number and code it was given do not work. If it was you, sign in with the tracking number you already have, or ask your registration authority for new portal access; if it was not you, please contact your registration authority.',
        },
      },
      at,
    );
  }

  /**
   * The subscriber hears that their application was approved and how to
   * collect the certificate (issue 20). The reference number and the
   * authorization code stay with the officer's slip: a notice in a mailbox is
   * not a channel for a secret (R4).
   */
  async applicationApproved(trx: Tx, approval: ApprovalNotice, at: Date): Promise<void> {
    const until = formatShanghaiTime(approval.credentialExpiresAt);
    const kind = approval.purpose === 'signing' ? { zh: '签名证书', en: 'signing certificate' } : { zh: '加密证书', en: 'encryption certificate' };
    await this.enqueue(
      trx as unknown as ServiceTx,
      {
        recipient: `subscriber:${approval.subscriberId}`,
        kind: 'application-approved',
        dedupeKey: `application-approved:${approval.applicationId}`,
        subject: { 'zh-CN': `您的${kind.zh}申请已获批准`, en: `Your ${kind.en} application was approved` },
        body: {
          'zh-CN': `注册机构已批准您的${kind.zh}申请（申请编号 ${approval.applicationId}）。请凭注册机构当面交给您的参考号和授权码，在北京时间 ${until} 之前到证书下载页面下载证书；凭据只能使用一次，逾期需请注册机构重新签发。本通知不含授权码。如果您没有提出这项申请，请立即联系注册机构。`,
          en: `Your registration authority approved your ${kind.en} application (application ${approval.applicationId}). Use the reference number and authorization code the registration authority handed to you to download the certificate on the download page before ${until} (Beijing time); the credential works once, and after that time the registration authority must issue a new one. This notice does not contain the authorization code. If you did not make this application, please contact your registration authority at once.`,
        },
      },
      at,
    );
  }

  async list(filter: { pending?: boolean; recipient?: string; kind?: string } = {}, limit = 500): Promise<QueuedNotification[]> {
    let query = this.context.db.selectFrom('service_notifications').selectAll().orderBy('created_at').orderBy('id').limit(limit);
    if (filter.pending) query = query.where('state', '=', 'pending');
    if (filter.recipient) query = query.where('recipient', '=', filter.recipient);
    if (filter.kind) query = query.where('kind', '=', filter.kind as NotificationTable['kind']);
    return (await query.execute()).map((row) => toNotification(row, this.context.personalData));
  }

  /**
   * The outbox as operators list it (R2): who, what kind, the subject and the
   * delivery state; the bodies (which may say what happened to a person) stay
   * sealed, read only when a notice is delivered.
   */
  async summaries(filter: { pending?: boolean; recipient?: string; kind?: string } = {}, limit = 500): Promise<Omit<QueuedNotification, 'body'>[]> {
    return (await this.list(filter, limit)).map(({ body: _body, ...summary }) => summary);
  }

  /** Pending notices whose time has come, oldest first. */
  async due(now: Date, limit: number): Promise<QueuedNotification[]> {
    const rows = await this.context.db
      .selectFrom('service_notifications')
      .selectAll()
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now.toISOString())]))
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => toNotification(row, this.context.personalData));
  }

  /**
   * Claims a due notice for one attempt: moves its next attempt to `until`, if
   * nobody else moved it since it was read. False when another node claimed
   * it (or sent it) first. A claim left by a crash simply expires at `until`.
   */
  async claim(notice: QueuedNotification, until: Date): Promise<boolean> {
    const result = await this.context.db
      .updateTable('service_notifications')
      .set({ next_attempt_at: until.toISOString() })
      .where('id', '=', notice.id)
      .where('state', '=', 'pending')
      .where((eb) => (notice.nextAttemptAt === null ? eb('next_attempt_at', 'is', null) : eb('next_attempt_at', '=', notice.nextAttemptAt)))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The server accepted the message: only now is the notice sent. */
  async recordSent(id: string, at: Date, delivery: { messageId: string; response: string }, trx: ServiceTx = this.context.db): Promise<void> {
    await trx
      .updateTable('service_notifications')
      .set((eb) => ({
        state: 'sent',
        sent_at: at.toISOString(),
        attempts: eb('attempts', '+', 1),
        next_attempt_at: null,
        message_id: delivery.messageId,
        server_response: delivery.response.slice(0, 1000),
        last_error: null,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** The attempt failed; the notice stays pending and is tried again at `retryAt`. */
  async recordFailure(id: string, error: string, retryAt: Date, messageId: string | null): Promise<void> {
    await this.context.db
      .updateTable('service_notifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000), next_attempt_at: retryAt.toISOString(), message_id: messageId }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** No address to send to, or the server refused the recipient for good: kept, never retried. */
  async recordUndeliverable(id: string, error: string): Promise<void> {
    await this.context.db
      .updateTable('service_notifications')
      .set((eb) => ({ state: 'undeliverable', attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000), next_attempt_at: null }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }
}

function toNotification(row: NotificationTable, cipher: PersonalDataCipher): QueuedNotification {
  // Rows queued before sealing read as they are.
  const open = (stored: string, part: string) => (stored.startsWith('pd1.') ? cipher.open(stored, `service-notification:${row.id}:${part}`) : stored);
  return {
    id: row.id,
    recipient: row.recipient,
    kind: row.kind,
    dedupeKey: row.dedupe_key,
    subject: { 'zh-CN': open(row.subject_zh, 'subject-zh'), en: open(row.subject_en, 'subject-en') },
    body: { 'zh-CN': open(row.body_zh, 'body-zh'), en: open(row.body_en, 'body-en') },
    createdAt: row.created_at,
    state: row.state,
    sentAt: row.sent_at,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    messageId: row.message_id,
  };
}

/**
 * R2: the notices sent to a subscriber name them; once their retention
 * period is over the retention job blanks subject and body (the fact that a
 * notice of this kind was sent, and when, stays).
 */
export const outboxPersonalData: PersonalDataHolder = {
  name: 'service-notifications',
  async anonymise(subscriberId: string, trx: ServiceTx): Promise<number> {
    const result = await trx
      .updateTable('service_notifications')
      .set({ subject_zh: '—', subject_en: '—', body_zh: '—', body_en: '—' })
      .where('recipient', '=', `subscriber:${subscriberId}`)
      .where('body_zh', '!=', '—')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },
};
