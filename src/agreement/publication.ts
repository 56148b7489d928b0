import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import type { NotificationOutbox } from '../service/notification-outbox.js';
import type { ServiceTx } from '../service/schema.js';
import { findRevocation } from '../status/revocation.js';
import type { Tx } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { Acceptance, AgreementRegistry, AgreementVersion } from './agreements.js';
import type { AgreementDocumentTable, AgreementObjectionTable, AgreementTables } from './schema.js';

type PublicationDb = Kysely<Database & AgreementTables>;

export type DocumentKind = AgreementDocumentTable['kind'];
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['cps', 'notice'];

export interface Bilingual {
  'zh-CN': string;
  en: string;
}

export interface PublishedDocument {
  kind: DocumentKind;
  version: string;
  title: Bilingual;
  text: Bilingual;
  textSha256: string;
  effectiveAt: string;
  publishedAt: string;
}

export interface Objection {
  id: string;
  versionId: string;
  subscriberId: string;
  receivedAt: string;
  writtenReference: string;
  statement: string;
  revokedSerials: string[];
  recordedAt: string;
  recordedBy: string;
}

/** Where subscribers live (the RA): only what publication needs, through the RA's API. */
export interface SubscriberDirectory {
  /** The subscriber's RA, or null when the RA does not know them. */
  raOf(subscriberId: string): Promise<string | null>;
}

/** The status domain's revocation, as publication uses it (R19: cessationOfOperation). */
export type Revoke = (order: { serial: string; actor: string; justification: string }) => Promise<void>;

export interface AgreementPublisherOptions {
  ca: CertificateAuthority;
  registry: AgreementRegistry;
  outbox: NotificationOutbox;
  directory?: SubscriberDirectory;
  /** The status domain's revocation (the composition root wires it), so this node's OCSP hears of it at once. */
  revoke: Revoke;
  clock?: () => Date;
}

const VERSION = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * R11, R19: publication of agreement versions, the CPS and notices at stable
 * public URLs; every active subscriber told through the notification outbox;
 * deemed acceptance a month after publication for subscribers still using
 * their certificates; written objections within that month, which stop use
 * by revoking the subscriber's certificates (cessationOfOperation).
 */
export class AgreementPublisher {
  private readonly db: PublicationDb;
  private readonly clock: () => Date;
  private readonly revoke: Revoke;

  constructor(private readonly options: AgreementPublisherOptions) {
    this.db = options.ca.store.db as unknown as PublicationDb;
    this.clock = options.clock ?? (() => options.ca.now());
    this.revoke = options.revoke;
  }

  /** A new agreement version in both languages, then a notice to every active subscriber. */
  async publishAgreement(
    actor: string,
    input: { id: string; title: Bilingual; text: Bilingual; effectiveAt?: Date; publishedAt?: Date },
  ): Promise<{ version: AgreementVersion; notified: number }> {
    if (!input.text?.en?.trim()) throw new SignetError('agreement.empty-text', 400, {}, 'text.en');
    const version = await this.options.registry.publish({
      id: input.id,
      title: input.title?.['zh-CN'] ?? input.id,
      titleEn: input.title?.en,
      text: input.text['zh-CN'] ?? '',
      textEn: input.text.en,
      effectiveAt: input.effectiveAt,
      publishedAt: input.publishedAt,
      actor,
    });
    const deemedAt = deemedAcceptanceMoment(version.publishedAt);
    const notified = await this.notifyActiveSubscribers(new Date(version.publishedAt), {
      kind: 'agreement-published',
      dedupe: `agreement-published:${version.id}`,
      subject: { 'zh-CN': `订户协议已修订（版本 ${version.id}）`, en: `The subscriber agreement has been revised (version ${version.id})` },
      body: {
        'zh-CN': `新版订户协议 ${version.id} 已发布，全文见 /agreements/${version.id}。如您在 ${formatShanghaiTime(deemedAt)} 之后继续使用证书，视为接受新协议；如不同意，请在此之前书面提出，证书将停止使用（吊销）。`,
        en: `Version ${version.id} of the subscriber agreement is published at /agreements/${version.id}. Continued use of your certificate after ${formatShanghaiTime(deemedAt)} is deemed acceptance; if you disagree, object in writing before then and the certificate will be revoked.`,
      },
    });
    return { version, notified };
  }

  /** The CPS or a notice, published like an agreement version: immutable once out, bilingual, dated. */
  async publishDocument(
    actor: string,
    input: { kind: string; version: string; title: Bilingual; text: Bilingual; effectiveAt?: Date },
  ): Promise<{ document: PublishedDocument; notified: number }> {
    if (!(DOCUMENT_KINDS as readonly string[]).includes(input.kind)) throw new SignetError('agreement.bad-document-kind', 400, {}, 'kind');
    const kind = input.kind as DocumentKind;
    const version = String(input.version ?? '').trim();
    if (!VERSION.test(version)) throw new SignetError('agreement.bad-version-id', 400, {}, 'version');
    for (const locale of ['zh-CN', 'en'] as const) {
      if (!input.text?.[locale]?.trim()) throw new SignetError('agreement.empty-text', 400, {}, `text.${locale}`);
      if (!input.title?.[locale]?.trim()) throw new SignetError('agreement.empty-text', 400, {}, `title.${locale}`);
    }
    const now = this.clock();
    const effectiveAt = input.effectiveAt ?? now;
    if (effectiveAt < now) throw new SignetError('agreement.effective-before-publication', 400, {}, 'effectiveAt');
    const row: AgreementDocumentTable = {
      id: `${kind}:${version}`,
      kind,
      version,
      title_zh: input.title['zh-CN'].trim(),
      title_en: input.title.en.trim(),
      text_zh: input.text['zh-CN'],
      text_en: input.text.en,
      text_sha256: createHash('sha256').update(`${input.text['zh-CN']}\u0000${input.text.en}`, 'utf8').digest('hex'),
      effective_at: effectiveAt.toISOString(),
      published_at: now.toISOString(),
      published_by: actor,
    };
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('agreement_documents').select('id').where('id', '=', row.id).executeTakeFirst();
      if (existing) throw new SignetError('agreement.document-exists', 409, { kind, version }, 'version');
      await trx.insertInto('agreement_documents').values(row).execute();
      await appendAuditEntry(trx as unknown as Tx, this.options.ca.store.dialect, { actor, action: `agreement.${kind}-published`, target: `${kind}:${version}`, details: { sha256: row.text_sha256, effectiveAt: row.effective_at } }, now);
    });
    const label = kind === 'cps' ? { 'zh-CN': '电子认证业务规则（CPS）', en: 'Certification Practice Statement (CPS)' } : { 'zh-CN': '公告', en: 'notice' };
    const path = kind === 'cps' ? `/cps/${version}` : `/notices/${version}`;
    const notified = await this.notifyActiveSubscribers(now, {
      kind: kind === 'cps' ? 'cps-published' : 'notice-published',
      dedupe: `${kind}-published:${version}`,
      subject: { 'zh-CN': `${label['zh-CN']}：${row.title_zh}`, en: `New ${label.en}: ${row.title_en}` },
      body: { 'zh-CN': `${row.title_zh}，全文见 ${path}，自 ${formatShanghaiTime(row.effective_at)} 起生效。`, en: `${row.title_en}: see ${path}; effective ${formatShanghaiTime(row.effective_at)}.` },
    });
    return { document: toDocument(row), notified };
  }

  async document(kind: string, version: string): Promise<PublishedDocument> {
    const row = await this.db.selectFrom('agreement_documents').selectAll().where('id', '=', `${kind}:${version}`).executeTakeFirst();
    if (!row) throw new SignetError('agreement.unknown-document', 404, { kind, version }, 'version');
    return toDocument(row);
  }

  async documents(kind: string): Promise<PublishedDocument[]> {
    const rows = await this.db.selectFrom('agreement_documents').selectAll().where('kind', '=', kind as DocumentKind).orderBy('published_at').execute();
    return rows.map(toDocument);
  }

  /** The document in force at `at`: the latest one effective by then. */
  async current(kind: DocumentKind, at: Date = this.clock()): Promise<PublishedDocument | null> {
    const row = await this.db
      .selectFrom('agreement_documents')
      .selectAll()
      .where('kind', '=', kind)
      .where('effective_at', '<=', at.toISOString())
      .orderBy('effective_at', 'desc')
      .orderBy('published_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  /**
   * The scheduled job of R19. For every version whose month has passed, each
   * subscriber who still held a valid certificate at that moment, had not
   * accepted that version and had not objected, is recorded as having
   * accepted it, as of the moment the month ended. Running it twice records
   * nothing twice.
   */
  async recordDeemedAcceptances(actor = 'system:deemed-acceptance'): Promise<Acceptance[]> {
    const now = this.clock();
    const recorded: Acceptance[] = [];
    for (const version of await this.options.registry.versions()) {
      const moment = deemedAcceptanceMoment(version.publishedAt);
      if (moment > now) continue;
      const users = await this.subscribersUsingCertificates(moment);
      if (users.length === 0) continue;
      const accepted = new Set(
        (await this.db.selectFrom('agreement_acceptances').select('subscriber_id').where('version_id', '=', version.id).execute()).map((r) => r.subscriber_id),
      );
      const objected = new Set(
        (await this.db.selectFrom('agreement_objections').select('subscriber_id').where('version_id', '=', version.id).execute()).map((r) => r.subscriber_id),
      );
      for (const subscriberId of users) {
        if (accepted.has(subscriberId) || objected.has(subscriberId)) continue;
        const raId = (await this.options.directory?.raOf(subscriberId)) ?? null;
        const acceptance = await this.db.transaction().execute(async (trx) => {
          // Checked again inside the transaction: an objection or another node's run may have come first.
          const again = await trx.selectFrom('agreement_acceptances').select('id').where('version_id', '=', version.id).where('subscriber_id', '=', subscriberId).executeTakeFirst();
          const objection = await trx.selectFrom('agreement_objections').select('id').where('version_id', '=', version.id).where('subscriber_id', '=', subscriberId).executeTakeFirst();
          if (again || objection) return null;
          return this.options.registry.recordAcceptance(trx, { versionId: version.id, subscriberId, raId, channel: 'deemed', clientAddress: null, recordedBy: actor }, moment);
        });
        if (acceptance) recorded.push(acceptance);
      }
    }
    return recorded;
  }

  /**
   * R19: a subscriber's written objection within the month after
   * publication. Their certificates in use are revoked (cessationOfOperation)
   * and the objection is kept with what was revoked. Refused, with nothing
   * changed, outside the month or when they already accepted the version.
   */
  async object(
    actor: string,
    input: { versionId: string; subscriberId: string; receivedAt?: Date; writtenReference: string; statement: string },
  ): Promise<Objection> {
    const now = this.clock();
    const receivedAt = input.receivedAt ?? now;
    const version = await this.options.registry.version(input.versionId);
    const subscriberId = String(input.subscriberId ?? '').trim();
    if (!subscriberId) throw new SignetError('agreement.empty-text', 400, {}, 'subscriberId');
    const writtenReference = String(input.writtenReference ?? '').trim();
    if (!writtenReference) throw new SignetError('agreement.empty-text', 400, {}, 'writtenReference');
    const statement = String(input.statement ?? '').trim();
    if (!statement) throw new SignetError('agreement.empty-text', 400, {}, 'statement');
    const until = deemedAcceptanceMoment(version.publishedAt);
    if (receivedAt.toISOString() < version.publishedAt || receivedAt >= until || receivedAt > now) {
      throw new SignetError('agreement.objection-outside-window', 409, { version: version.id, from: formatShanghaiTime(version.publishedAt), until: formatShanghaiTime(until) }, 'receivedAt');
    }
    const previous = await this.db.selectFrom('agreement_objections').select('id').where('version_id', '=', version.id).where('subscriber_id', '=', subscriberId).executeTakeFirst();
    if (previous) throw new SignetError('agreement.objection-exists', 409, { subscriber: subscriberId, version: version.id });
    const accepted = await this.db.selectFrom('agreement_acceptances').select('id').where('version_id', '=', version.id).where('subscriber_id', '=', subscriberId).executeTakeFirst();
    if (accepted) throw new SignetError('agreement.already-accepted', 409, { subscriber: subscriberId, version: version.id });

    // Revocation is the status domain's, each in its own transaction; the objection is written once they are
    // all done, so a failure part-way leaves the objection to be recorded again (already revoked ones are skipped).
    const revoked: string[] = [];
    for (const serial of await this.certificatesInUse(subscriberId, now)) {
      await this.revoke({ serial, actor, justification: `written objection ${writtenReference} to agreement version ${version.id} (R19)` });
      revoked.push(serial);
    }
    const row: AgreementObjectionTable = {
      id: `obj-${randomUUID()}`,
      version_id: version.id,
      subscriber_id: subscriberId,
      received_at: receivedAt.toISOString(),
      written_reference: writtenReference,
      statement,
      revoked_serials: JSON.stringify(revoked),
      recorded_at: now.toISOString(),
      recorded_by: actor,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('agreement_objections').values(row).execute();
      await appendAuditEntry(
        trx as unknown as Tx,
        this.options.ca.store.dialect,
        { actor, action: 'agreement.objected', target: `subscriber:${subscriberId}`, details: { objection: row.id, version: version.id, receivedAt: row.received_at, writtenReference, revoked } },
        now,
      );
    });
    return toObjection(row);
  }

  async objections(filter: { versionId?: string; subscriberId?: string } = {}): Promise<Objection[]> {
    let query = this.db.selectFrom('agreement_objections').selectAll().orderBy('recorded_at');
    if (filter.versionId) query = query.where('version_id', '=', filter.versionId);
    if (filter.subscriberId) query = query.where('subscriber_id', '=', filter.subscriberId);
    return (await query.execute()).map(toObjection);
  }

  /** Subscribers holding a certificate valid at `at` (issued, not expired, not revoked by then). */
  async subscribersUsingCertificates(at: Date): Promise<string[]> {
    const users = new Set<string>();
    const rows = this.options.ca.eachCertificate({ hasSubscriber: true, notBeforeUntil: at.toISOString(), notAfterAfter: at.toISOString() });
    for await (const { serial, subscriberId } of rows) {
      const row = { serial, subscriber_id: subscriberId };
      if (users.has(row.subscriber_id!)) continue;
      const revocation = await findRevocation(this.options.ca, row.serial);
      if (!revocation || revocation.revokedAt > at.toISOString()) users.add(row.subscriber_id!);
    }
    return [...users];
  }

  private async certificatesInUse(subscriberId: string, at: Date): Promise<string[]> {
    const rows = (await this.options.ca.findCertificates({ subscriberId, notAfterAfter: at.toISOString() })).sort((a, b) =>
      a.issuedAt.localeCompare(b.issuedAt),
    );
    const serials: string[] = [];
    for (const row of rows) if (!(await findRevocation(this.options.ca, row.serial))) serials.push(row.serial);
    return serials;
  }

  private async notifyActiveSubscribers(at: Date, message: { kind: 'agreement-published' | 'cps-published' | 'notice-published'; dedupe: string; subject: Bilingual; body: Bilingual }): Promise<number> {
    const subscribers = await this.subscribersUsingCertificates(at);
    let queued = 0;
    const now = this.clock();
    // One transaction per batch keeps a large mailing from holding the writer lock for long.
    for (let i = 0; i < subscribers.length; i += 200) {
      const batch = subscribers.slice(i, i + 200);
      queued += await this.db.transaction().execute(async (trx) => {
        let added = 0;
        for (const subscriberId of batch) {
          const ok = await this.options.outbox.enqueue(
            trx as unknown as ServiceTx,
            { recipient: `subscriber:${subscriberId}`, kind: message.kind, dedupeKey: `${message.dedupe}:${subscriberId}`, subject: message.subject, body: message.body },
            now,
          );
          if (ok) added += 1;
        }
        return added;
      });
    }
    return queued;
  }
}

/**
 * R19: "one month after publication", counted on the Beijing calendar: the
 * same wall-clock time on the same day of the next month, or that month's
 * last day when it is shorter (published 01-31 → 02-28).
 */
export function deemedAcceptanceMoment(publishedAt: string | Date): Date {
  const shifted = new Date(new Date(publishedAt).getTime() + 8 * 3_600_000);
  const day = shifted.getUTCDate();
  const target = new Date(shifted);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return new Date(target.getTime() - 8 * 3_600_000);
}

function toDocument(row: AgreementDocumentTable): PublishedDocument {
  return {
    kind: row.kind,
    version: row.version,
    title: { 'zh-CN': row.title_zh, en: row.title_en },
    text: { 'zh-CN': row.text_zh, en: row.text_en },
    textSha256: row.text_sha256,
    effectiveAt: row.effective_at,
    publishedAt: row.published_at,
  };
}

function toObjection(row: AgreementObjectionTable): Objection {
  return {
    id: row.id,
    versionId: row.version_id,
    subscriberId: row.subscriber_id,
    receivedAt: row.received_at,
    writtenReference: row.written_reference,
    statement: row.statement,
    revokedSerials: JSON.parse(row.revoked_serials) as string[],
    recordedAt: row.recorded_at,
    recordedBy: row.recorded_by,
  };
}
