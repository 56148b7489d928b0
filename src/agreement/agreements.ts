import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { appendAuditEntry } from '../audit/audit-log.js';
import { SignetError } from '../i18n/signet-error.js';
import type { SignetDatabase, Tx } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { AgreementAcceptanceTable, AgreementTables, AgreementVersionTable } from './schema.js';

type AgreementDb = Kysely<Database & AgreementTables>;
export type AgreementTx = Transaction<Database & AgreementTables> | AgreementDb;

export interface AgreementVersion {
  id: string;
  title: string;
  textSha256: string;
  publishedAt: string;
  /** English title (R11: every version in zh-CN and en); the zh-CN title when none was given. */
  titleEn?: string;
  /** When the version takes effect; publication time unless published with a later date. */
  effectiveAt?: string;
}

export interface Acceptance {
  versionId: string;
  subscriberId: string;
  raId: string | null;
  channel: AgreementAcceptanceTable['channel'];
  acceptedAt: string;
  clientAddress: string | null;
  recordedBy: string;
}

/**
 * R0, minimal: which agreement version is current, every version's text by
 * its id, and each subscriber's acceptances. Publication notices and deemed
 * acceptance (R19) belong to a later issue and extend this.
 */
export class AgreementRegistry {
  private readonly db: AgreementDb;

  constructor(
    private readonly store: SignetDatabase,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.db = store.db as unknown as AgreementDb;
  }

  async publish(input: { id: string; title: string; text: string; publishedAt?: Date; actor: string; titleEn?: string; textEn?: string; effectiveAt?: Date }): Promise<AgreementVersion> {
    const id = input.id.trim();
    if (!/^[A-Za-z0-9._-]{1,32}$/.test(id)) throw new SignetError('agreement.bad-version-id', 400, {}, 'id');
    if (!input.text.trim()) throw new SignetError('agreement.empty-text', 400, {}, 'text');
    const now = this.clock();
    const row: AgreementVersionTable = {
      id,
      title: input.title.trim() || id,
      text: input.text,
      text_sha256: createHash('sha256').update(input.text, 'utf8').digest('hex'),
      published_at: (input.publishedAt ?? now).toISOString(),
      published_by: input.actor,
      title_en: input.titleEn?.trim() || null,
      text_en: input.textEn?.trim() ? input.textEn : null,
      effective_at: input.effectiveAt ? input.effectiveAt.toISOString() : null,
    };
    if (row.effective_at && row.effective_at < row.published_at) throw new SignetError('agreement.effective-before-publication', 400, {}, 'effectiveAt');
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('agreement_versions').select('id').where('id', '=', id).executeTakeFirst();
      if (existing) throw new SignetError('agreement.version-exists', 409, { version: id }, 'id');
      await trx.insertInto('agreement_versions').values(row).execute();
      await appendAuditEntry(
        trx as unknown as Tx,
        this.store.dialect,
        { actor: input.actor, action: 'agreement.published', target: `agreement:${id}`, details: { sha256: row.text_sha256, publishedAt: row.published_at, effectiveAt: row.effective_at ?? row.published_at, english: row.text_en !== null } },
        now,
      );
    });
    return toVersion(row);
  }

  /** The version in force at `at`: the latest one published by then. */
  async current(at: Date = this.clock()): Promise<AgreementVersion | null> {
    const row = await this.db
      .selectFrom('agreement_versions')
      .selectAll()
      .where('published_at', '<=', at.toISOString())
      .orderBy('published_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toVersion(row) : null;
  }

  async requireCurrent(at?: Date): Promise<AgreementVersion> {
    const current = await this.current(at);
    if (!current) throw new SignetError('agreement.none-published', 409);
    return current;
  }

  /** Every version stays retrievable by its id, text included (R0). */
  async version(id: string): Promise<AgreementVersion & { text: string; textEn?: string }> {
    const row = await this.db.selectFrom('agreement_versions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SignetError('agreement.unknown-version', 404, { version: id }, 'version');
    return { ...toVersion(row), text: row.text, ...(row.text_en ? { textEn: row.text_en } : {}) };
  }

  async versions(): Promise<AgreementVersion[]> {
    const rows = await this.db.selectFrom('agreement_versions').selectAll().orderBy('published_at').execute();
    return rows.map(toVersion);
  }

  /**
   * Inside the caller's transaction (any Kysely transaction over a schema
   * that includes the agreement tables): an acceptance exists exactly when
   * what it permits does.
   */
  async recordAcceptance(transaction: object, acceptance: Omit<Acceptance, 'acceptedAt'>, at: Date): Promise<Acceptance> {
    const trx = transaction as AgreementTx;
    const row: AgreementAcceptanceTable = {
      id: randomUUID(),
      version_id: acceptance.versionId,
      subscriber_id: acceptance.subscriberId,
      ra_id: acceptance.raId,
      channel: acceptance.channel,
      accepted_at: at.toISOString(),
      client_address: acceptance.clientAddress,
      recorded_by: acceptance.recordedBy,
    };
    await trx.insertInto('agreement_acceptances').values(row).execute();
    await appendAuditEntry(
      trx as unknown as Tx,
      this.store.dialect,
      {
        actor: acceptance.recordedBy,
        action: 'agreement.accepted',
        target: `subscriber:${acceptance.subscriberId}`,
        details: { version: row.version_id, channel: row.channel, ra: row.ra_id, clientAddress: row.client_address },
      },
      at,
    );
    return toAcceptance(row);
  }

  async acceptances(subscriberId: string, trx: AgreementTx = this.db): Promise<Acceptance[]> {
    const rows = await trx
      .selectFrom('agreement_acceptances')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .orderBy('accepted_at')
      .execute();
    return rows.map(toAcceptance);
  }
}

function toVersion(row: AgreementVersionTable): AgreementVersion {
  return { id: row.id, title: row.title, textSha256: row.text_sha256, publishedAt: row.published_at, titleEn: row.title_en ?? row.title, effectiveAt: row.effective_at ?? row.published_at };
}

function toAcceptance(row: AgreementAcceptanceTable): Acceptance {
  return {
    versionId: row.version_id,
    subscriberId: row.subscriber_id,
    raId: row.ra_id,
    channel: row.channel,
    acceptedAt: row.accepted_at,
    clientAddress: row.client_address,
    recordedBy: row.recorded_by,
  };
}
