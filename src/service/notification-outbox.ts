import { randomUUID } from 'node:crypto';
import type { ServiceContext } from './context.js';
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
  sentAt: string | null;
  attempts: number;
  lastError: string | null;
}

/**
 * The notification outbox: a notification is a row written in the same
 * transaction as the fact it announces, so a crash never loses one nor sends
 * one for something that did not happen. A sender (SMTP, SMS; not built yet)
 * takes pending rows and marks them sent.
 */
export class NotificationOutbox {
  constructor(private readonly context: ServiceContext) {}

  /** Queues once per dedupe key; returns false when it was already queued. */
  async enqueue(trx: ServiceTx, notification: Notification, at: Date): Promise<boolean> {
    const result = await trx
      .insertInto('service_notifications')
      .values({
        id: randomUUID(),
        recipient: notification.recipient,
        kind: notification.kind,
        dedupe_key: notification.dedupeKey,
        subject_zh: notification.subject['zh-CN'],
        subject_en: notification.subject.en,
        body_zh: notification.body['zh-CN'],
        body_en: notification.body.en,
        created_at: at.toISOString(),
        sent_at: null,
        attempts: 0,
        last_error: null,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async list(filter: { pending?: boolean; recipient?: string; kind?: string } = {}, limit = 500): Promise<QueuedNotification[]> {
    let query = this.context.db.selectFrom('service_notifications').selectAll().orderBy('created_at').orderBy('id').limit(limit);
    if (filter.pending) query = query.where('sent_at', 'is', null);
    if (filter.recipient) query = query.where('recipient', '=', filter.recipient);
    if (filter.kind) query = query.where('kind', '=', filter.kind as NotificationTable['kind']);
    return (await query.execute()).map(toNotification);
  }

  async markSent(id: string, at: Date = this.context.clock()): Promise<void> {
    await this.context.db.updateTable('service_notifications').set({ sent_at: at.toISOString() }).where('id', '=', id).where('sent_at', 'is', null).execute();
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.context.db
      .updateTable('service_notifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000) }))
      .where('id', '=', id)
      .execute();
  }
}

function toNotification(row: NotificationTable): QueuedNotification {
  return {
    id: row.id,
    recipient: row.recipient,
    kind: row.kind,
    dedupeKey: row.dedupe_key,
    subject: { 'zh-CN': row.subject_zh, en: row.subject_en },
    body: { 'zh-CN': row.body_zh, en: row.body_en },
    createdAt: row.created_at,
    sentAt: row.sent_at,
    attempts: Number(row.attempts),
    lastError: row.last_error,
  };
}
