import nodemailer, { type Transporter } from 'nodemailer';
import { translate, type MessageCode } from '../i18n/messages.js';
import { audit, type ServiceContext } from './context.js';
import type { MailSettings } from './mail-settings.js';
import type { NotificationOutbox, QueuedNotification } from './notification-outbox.js';

/** Where a notice goes: an address, none ever (undeliverable), or none yet (retried later). */
export type RecipientResolution =
  | { address: string }
  | { undeliverable: MessageCode; params?: Record<string, unknown> }
  | { notYet: MessageCode; params?: Record<string, unknown> };

/** Turns an outbox recipient (`subscriber:<id>`, `role:<name>`) into a mailbox. */
export interface RecipientAddresses {
  resolve(recipient: string): Promise<RecipientResolution>;
}

export interface DeliveryRound {
  /** Notices taken from the outbox in this round. */
  attempted: number;
  /** Accepted by the SMTP server, and recorded so. */
  sent: number;
  /** Still pending, with their next attempt set by the backoff. */
  retrying: number;
  undeliverable: number;
  /** The round stopped at the first failure of the server itself (unreachable, refused, TLS, login). */
  serverFailure: string | null;
}

/** For the crash tests only: runs after the server accepted a message and before it is recorded sent. */
export interface DeliveryFaults {
  afterAccepted?: (notificationId: string) => void;
}

export interface NotificationDeliveryOptions {
  context: ServiceContext;
  outbox: NotificationOutbox;
  settings: MailSettings;
  addresses: RecipientAddresses;
  faults?: DeliveryFaults;
}

/** How long one attempt owns its notice; a node that crashed mid-attempt leaves a claim that lapses after this. */
const CLAIM_MS = 10 * 60_000;

/** nodemailer error codes that belong to one message, not to the server: the round goes on with the next. */
const MESSAGE_ERRORS = new Set(['EENVELOPE', 'EMESSAGE', 'ESTREAM']);

/**
 * Delivers the notification outbox by email (R10, R19, R9, R12): disputes,
 * agreement publication, renewal reminders and complaint responses queue rows;
 * the node holding the `notification-delivery` lease sends them over SMTP
 * (nodemailer).
 *
 * At least once, never lost: a notice is recorded sent only after the server
 * answered 250 to its DATA. A crash between that answer and the record resends
 * it later, under the same Message-ID (`<id@domain>`), so the receiving side
 * can tell the repeat. Any failure leaves the notice pending with its next
 * attempt pushed out (1 min, 2, 4, … up to 6 h); only a recipient the server
 * refuses for good (5xx) or a subscriber with no address on file makes it
 * undeliverable, and even then the row stays in the outbox.
 */
export class NotificationDelivery {
  constructor(private readonly options: NotificationDeliveryOptions) {}

  /** True when SIGNET_SMTP_URL is set; without it notices only queue. */
  get configured(): boolean {
    return this.options.settings.url !== undefined;
  }

  /** One round over the due notices; null when no SMTP server is configured. */
  async deliverDue(): Promise<DeliveryRound | null> {
    const { settings, outbox, context } = this.options;
    if (!settings.url) return null;
    const round: DeliveryRound = { attempted: 0, sent: 0, retrying: 0, undeliverable: 0, serverFailure: null };
    const due = await outbox.due(context.clock(), settings.batchSize);
    if (due.length === 0) return round;
    const transport = this.transport(settings.url);
    try {
      for (const notice of due) {
        const now = context.clock();
        if (!(await outbox.claim(notice, new Date(now.getTime() + CLAIM_MS)))) continue;
        round.attempted += 1;
        const outcome = await this.attempt(transport, notice, now);
        round[outcome.result] += 1;
        if (outcome.serverFailure) {
          round.serverFailure = outcome.serverFailure;
          break;
        }
      }
    } finally {
      transport.close();
    }
    return round;
  }

  private async attempt(
    transport: Transporter,
    notice: QueuedNotification,
    now: Date,
  ): Promise<{ result: 'sent' | 'retrying' | 'undeliverable'; serverFailure?: string }> {
    const { outbox, context, settings } = this.options;
    let resolution: RecipientResolution;
    try {
      resolution = await this.options.addresses.resolve(notice.recipient);
    } catch (error) {
      await outbox.recordFailure(notice.id, describe(error), this.retryAt(notice, now), notice.messageId);
      return { result: 'retrying' };
    }
    if ('undeliverable' in resolution) {
      await outbox.recordUndeliverable(notice.id, bilingual(resolution.undeliverable, resolution.params));
      return { result: 'undeliverable' };
    }
    if ('notYet' in resolution) {
      await outbox.recordFailure(notice.id, bilingual(resolution.notYet, resolution.params), this.retryAt(notice, now), notice.messageId);
      return { result: 'retrying' };
    }
    const messageId = notice.messageId ?? `<${notice.id}@${domainOf(settings.from)}>`;
    let response: string;
    try {
      const info = await transport.sendMail(composeMessage(notice, { from: settings.from, to: resolution.address, messageId }));
      response = String(info.response ?? '');
    } catch (error) {
      const failure = describe(error);
      if (isPermanentRecipientRefusal(error)) {
        await outbox.recordUndeliverable(notice.id, failure);
        return { result: 'undeliverable' };
      }
      await outbox.recordFailure(notice.id, failure, this.retryAt(notice, now), messageId);
      const code = (error as { code?: string }).code;
      return { result: 'retrying', ...(code && MESSAGE_ERRORS.has(code) ? {} : { serverFailure: failure }) };
    }
    // The server has the message. From here on a crash means a repeat, never a loss.
    this.options.faults?.afterAccepted?.(notice.id);
    const sentAt = context.clock();
    await context.db.transaction().execute(async (trx) => {
      await outbox.recordSent(notice.id, sentAt, { messageId, response }, trx);
      await audit(
        context,
        trx,
        { actor: 'system:notification-delivery', action: 'service.notification-sent', target: `notification:${notice.id}`, details: { recipient: notice.recipient, kind: notice.kind, messageId, attempts: notice.attempts + 1 } },
        sentAt,
      );
    });
    return { result: 'sent' };
  }

  /** 1×, 2×, 4×, … the first backoff, never more than the cap. */
  private retryAt(notice: QueuedNotification, now: Date): Date {
    const { backoffMs, maxBackoffMs } = this.options.settings;
    const wait = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(notice.attempts, 30));
    return new Date(now.getTime() + wait);
  }

  private transport(url: string): Transporter {
    return nodemailer.createTransport({
      url,
      requireTLS: this.options.settings.requireTls,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      pool: true,
      maxConnections: 1,
      maxMessages: 100,
    });
  }
}

/**
 * One message in both languages: the subject as "中文 / English", the body in
 * Chinese first, then English, each with the same footer; Content-Language
 * says both (RFC 3282), Auto-Submitted that no person typed it (RFC 3834).
 */
export function composeMessage(notice: QueuedNotification, envelope: { from: string; to: string; messageId: string }) {
  const footer = (lang: 'zh-CN' | 'en') => translate('service.mail-footer', lang, { id: notice.id });
  const subject = notice.subject['zh-CN'] === notice.subject.en ? notice.subject.en : `${notice.subject['zh-CN']} / ${notice.subject.en}`;
  const text = [notice.body['zh-CN'], '', footer('zh-CN'), '', '—— English ——', '', notice.body.en, '', footer('en'), ''].join('\n');
  return {
    from: envelope.from,
    to: envelope.to,
    subject,
    text,
    messageId: envelope.messageId,
    headers: { 'Content-Language': 'zh-CN, en', 'Auto-Submitted': 'auto-generated', 'X-Signet-Notification': notice.id },
  };
}

/** A 5xx answer to RCPT TO: this recipient will never be accepted, retrying cannot help. */
function isPermanentRecipientRefusal(error: unknown): boolean {
  const e = error as { code?: string; responseCode?: number; command?: string; rejectedErrors?: { responseCode?: number }[] };
  if (e.code !== 'EENVELOPE') return false;
  const codes = [e.responseCode, ...(e.rejectedErrors ?? []).map((r) => r.responseCode)].filter((c): c is number => typeof c === 'number');
  return codes.length > 0 && codes.every((c) => c >= 500 && c < 600);
}

/** What went wrong, for the operator, with any mailbox in it masked (the outbox row is not personal data). */
function describe(error: unknown): string {
  const e = error as { code?: string; responseCode?: number; command?: string; message?: string };
  const parts = [e.code, e.command, e.responseCode, e.message ?? String(error)].filter((p) => p !== undefined && p !== '');
  return parts.join(' ').replace(/[^\s<>@"]+@[^\s<>@"]+/g, '<address>');
}

function bilingual(code: MessageCode, params: Record<string, unknown> = {}): string {
  return `${translate(code, 'zh-CN', params)} / ${translate(code, 'en', params)}`;
}

function domainOf(from: string): string {
  const match = /@([^\s>]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}
