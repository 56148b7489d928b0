import { createHash, randomUUID } from 'node:crypto';
import { FieldChecks, SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { acceptableName } from './names.js';
import { audit, type RaContext } from './context.js';
import { validateEmail, validateIdDocument, validatePhone, validateUscc, type IdType } from './identifiers.js';
import { actorOf, requireRole, requireScope, type Principal } from './roles.js';
import { openDocument, openRecord, sealDocument, sealRecord } from './personal-data.js';
import type { RaSubscriberTable, RaTx } from './schema.js';
import { maskName, type PersonalDataCipher } from '../service/personal-data.js';

/** A natural person as the RA records them. */
export interface PersonRecord {
  name: string;
  idType: IdType;
  idNumber: string;
  phone?: string;
  email?: string;
}

export interface IndividualRecord extends PersonRecord {
  type: 'individual';
  phone: string;
  email: string;
}

export interface EnterpriseRecord {
  type: 'enterprise';
  name: string;
  /** Unified Social Credit Code (GB 32100). */
  uscc: string;
  legalRepresentative: PersonRecord;
  /** The person who handles the application for the enterprise (经办人). */
  agent: PersonRecord & { phone: string; email: string };
}

export type SubscriberRecord = IndividualRecord | EnterpriseRecord;

export interface ConsentInput {
  agreementVersion?: string;
  accepted?: boolean;
  /** Where the subscriber consented (their device at the counter, their browser); defaults to the request's address. */
  clientAddress?: string;
}

export interface Subscriber {
  id: string;
  raId: string;
  type: SubscriberRecord['type'];
  name: string;
  /** The ID number or USCC with its middle masked, for lists (R2). */
  identifierMasked: string;
  currentVersion: number;
  createdAt: string;
}

export interface SubscriberVersion {
  version: number;
  record: SubscriberRecord;
  validFrom: string;
  validUntil: string | null;
  recordedBy: string;
  changeRequestId: string | null;
}

export interface StoredDocument {
  id: string;
  subscriberId: string;
  kind: string;
  filename: string;
  mediaType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export const DOCUMENT_KINDS = ['id-document', 'business-licence', 'authorisation-letter', 'change-evidence', 'other'] as const;
export const DOCUMENT_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
type DocumentMediaType = (typeof DOCUMENT_MEDIA_TYPES)[number];

/** How each accepted type's content begins: PDF 1.7 §7.5.2 header, JPEG SOI + a marker, the PNG signature. */
const MAGIC: Record<DocumentMediaType, readonly number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d],
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

function startsWithMagic(type: DocumentMediaType, content: Uint8Array): boolean {
  const magic = MAGIC[type];
  return content.byteLength >= magic.length && magic.every((byte, i) => content[i] === byte);
}

/**
 * A filename is a label, never a path: only its last component is kept
 * (`../../etc/passwd` is stored as `passwd`, `C:\\x\\a.pdf` as `a.pdf`),
 * and `.`/`..` alone become `document`.
 */
function baseName(name: string): string {
  const last = name.split(/[/\\]/).pop()!.trim();
  return last === '' || last === '.' || last === '..' ? 'document' : last;
}

const NAME_LIMIT = 64;

function text(value: unknown, field: string, limit = NAME_LIMIT): string {
  if (typeof value !== 'string' || !value.trim()) throw new SignetError('ra.field-required', 400, { field: fieldWords(field) }, field);
  const trimmed = acceptableName(value, field).trim();
  if ([...trimmed].length > limit) throw new SignetError('ra.field-too-long', 400, { field: fieldWords(field), limit }, field);
  // eslint-disable-next-line no-control-regex -- control characters never belong in a name
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new SignetError('ra.field-control-characters', 400, { field: fieldWords(field) }, field);
  return trimmed;
}

function person(input: unknown, prefix: string, contact: boolean, checks: FieldChecks): PersonRecord {
  const p = (input ?? {}) as Record<string, unknown>;
  if (typeof input !== 'object' || input === null) {
    checks.check(() => {
      throw new SignetError('ra.field-required', 400, { field: fieldWords(prefix) }, prefix);
    });
    return {} as PersonRecord;
  }
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  const name = checks.check(() => text(p.name, at('name')));
  const id = checks.check(() => validateIdDocument(text(p.idType, at('idType')), text(p.idNumber, at('idNumber')), at('idNumber')));
  const record = { name, idType: id?.type, idNumber: id?.number } as PersonRecord;
  if (contact) {
    record.phone = checks.check(() => validatePhone(text(p.phone, at('phone')), at('phone')));
    record.email = checks.check(() => validateEmail(text(p.email, at('email'), 254), at('email')));
  }
  return record;
}

/** R1: every field checked, and a refusal names the field and why. */
export function validateSubscriberRecord(input: unknown): SubscriberRecord {
  const body = (input ?? {}) as Record<string, unknown>;
  // Every field is checked before answering, so a form learns of all its faults at once.
  const checks = new FieldChecks();
  if (body.type === 'individual') {
    const p = person(body, '', true, checks);
    checks.done();
    return { type: 'individual', name: p.name, idType: p.idType, idNumber: p.idNumber, phone: p.phone!, email: p.email! };
  }
  if (body.type === 'enterprise') {
    const name = checks.check(() => text(body.name, 'name'));
    const uscc = checks.check(() => validateUscc(text(body.uscc, 'uscc'), 'uscc'));
    const legalRepresentative = person(body.legalRepresentative, 'legalRepresentative', false, checks);
    const agent = person(body.agent, 'agent', true, checks) as EnterpriseRecord['agent'];
    checks.done();
    return { type: 'enterprise', name: name!, uscc: uscc!, legalRepresentative, agent };
  }
  throw new SignetError('ra.bad-subscriber-type', 400, {}, 'type');
}

export function identifierOf(record: SubscriberRecord): string {
  return record.type === 'enterprise' ? record.uscc : `${record.idType}:${record.idNumber}`;
}

/**
 * The columns of ra_subscribers that describe the person (R2): with a
 * personal-data key, the identifier as a keyed blind index, a person's name
 * masked (an enterprise's name is registry data and stays), the masked
 * identifier for lists and a blind index of the full name for search.
 */
/** A new subscriber's row as registerAt() stores it (also the shape the portal's uniform answer shows, self-service.ts). */
export function subscriberRow(cipher: PersonalDataCipher | undefined, raId: string, actor: string, record: SubscriberRecord, now: Date): RaSubscriberTable {
  return {
    id: `sub-${randomUUID()}`,
    ra_id: raId,
    type: record.type,
    ...subscriberColumns(cipher, record),
    current_version: 1,
    created_at: now.toISOString(),
    created_by: actor,
  };
}

export function subscriberColumns(cipher: PersonalDataCipher | undefined, record: SubscriberRecord): Pick<RaSubscriberTable, 'name' | 'identifier' | 'identifier_masked' | 'name_index'> {
  const identifier = identifierOf(record);
  if (!cipher) return { name: record.name, identifier, identifier_masked: maskIdentifier(identifier), name_index: null };
  const person = record.type === 'individual';
  return { name: person ? maskName(record.name) : record.name, identifier: cipher.blindIndex(identifier), identifier_masked: maskIdentifier(identifier), name_index: person ? cipher.blindIndex(`name:${record.name}`) : null };
}

/** What the identifier column may hold for this record: its index under every key (rotation), or the number on rows from before sealing. */
export function identifierCandidates(cipher: PersonalDataCipher | undefined, record: SubscriberRecord): string[] {
  const identifier = identifierOf(record);
  return cipher ? [...cipher.blindIndexes(identifier), identifier] : [identifier];
}

export function maskIdentifier(identifier: string): string {
  const value = identifier.includes(':') ? identifier.slice(identifier.indexOf(':') + 1) : identifier;
  if (value.length <= 8) return `${value.slice(0, 1)}${'*'.repeat(Math.max(0, value.length - 2))}${value.slice(-1)}`;
  return `${value.slice(0, 4)}${'*'.repeat(value.length - 8)}${value.slice(-4)}`;
}

/**
 * Subscribers (R1) and what is on file about them over time (R3): every
 * version of the record stays, with the period it was valid.
 */
export class SubscriberRegistry {
  constructor(private readonly context: RaContext) {}

  /**
   * Registration at the subscriber's RA by one of its officers. The
   * subscriber's consent to the current agreement version is required and
   * recorded with the record itself (R0), or nothing is recorded at all.
   */
  async register(by: Principal, input: { record: unknown; consent?: ConsentInput }, clientAddress: string | null): Promise<Subscriber> {
    requireRole(by, ['ra-officer', 'ra-admin']);
    return (await this.registerAt(by.raId!, actorOf(by), input, clientAddress)).subscriber;
  }

  /**
   * Registration at an RA by whoever the caller authenticated (an officer at
   * the counter, or the subscriber themselves in the portal). `then` runs
   * inside the same transaction, so what the caller adds (an application, a
   * portal access code) exists only if the registration does.
   */
  async registerAt<T = undefined>(
    raId: string,
    actor: string,
    input: { record: unknown; consent?: ConsentInput },
    clientAddress: string | null,
    then?: (trx: RaTx, subscriber: RaSubscriberTable, now: Date) => Promise<T>,
  ): Promise<{ subscriber: Subscriber; extra: T }> {
    const record = validateSubscriberRecord(input.record);
    const now = this.context.clock();
    const version = await this.requireConsent(input.consent, now);
    const row = subscriberRow(this.context.personalData, raId, actor, record, now);
    const extra = await this.context.db.transaction().execute(async (trx) => {
      const ra = await trx.selectFrom('ra_organisations').select('status').where('id', '=', raId).executeTakeFirst();
      if (ra?.status !== 'active') throw new SignetError('ra.closed', 409, { ra: raId });
      const existing = await trx
        .selectFrom('ra_subscribers')
        .select('id')
        .where('type', '=', record.type)
        .where('identifier', 'in', identifierCandidates(this.context.personalData, record))
        .executeTakeFirst();
      if (existing) {
        throw new SignetError('ra.subscriber-exists', 409, { subscriber: existing.id }, record.type === 'enterprise' ? 'uscc' : 'idNumber');
      }
      await trx.insertInto('ra_subscribers').values(row).execute();
      await trx
        .insertInto('ra_subscriber_versions')
        .values({ subscriber_id: row.id, version: 1, data: sealRecord(this.context.personalData, row.id, 1, record), valid_from: row.created_at, valid_until: null, recorded_by: actor, change_request_id: null })
        .execute();
      await trx
        .insertInto('ra_memberships')
        .values({ id: randomUUID(), subscriber_id: row.id, ra_id: raId, from_at: row.created_at, until_at: null, reason: 'registered', predecessor_ra_id: null })
        .execute();
      await audit(this.context, trx, { actor, action: 'ra.subscriber-registered', target: `subscriber:${row.id}`, details: { ra: raId, type: record.type } }, now);
      await this.context.agreements.recordAcceptance(
        trx,
        { versionId: version, subscriberId: row.id, raId, channel: 'explicit', clientAddress: input.consent?.clientAddress?.trim() || clientAddress, recordedBy: actor },
        now,
      );
      return then ? then(trx, row, now) : (undefined as T);
    });
    return { subscriber: toSubscriber(row), extra };
  }

  /** R0: consent must name the version in force now and say yes. Returns that version's id. */
  async requireConsent(consent: ConsentInput | undefined, now: Date): Promise<string> {
    if (!consent || consent.accepted !== true) throw new SignetError('ra.consent-required', 400, {}, 'consent');
    const current = await this.context.agreements.requireCurrent(now);
    if (consent.agreementVersion !== current.id) {
      throw new SignetError('ra.consent-outdated', 409, { given: String(consent.agreementVersion ?? '-'), current: current.id }, 'consent.agreementVersion');
    }
    return current.id;
  }

  async list(by: Principal, filter: { raId?: string } = {}): Promise<Subscriber[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    let query = this.context.db.selectFrom('ra_subscribers').selectAll().orderBy('created_at');
    const raId = by.raId ?? filter.raId;
    if (raId) query = query.where('ra_id', '=', raId);
    return (await query.execute()).map(toSubscriber);
  }

  /**
   * The RA each subscriber belongs to, for other domains' authorisation
   * (issue 16): one query per 500 ids (a safe bound for SQLite's variable
   * limit), no personal data. Unknown ids are absent from the map.
   */
  async raOf(subscriberIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const ids = [...new Set(subscriberIds.filter((id) => typeof id === 'string' && id !== ''))];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.context.db.selectFrom('ra_subscribers').select(['id', 'ra_id']).where('id', 'in', ids.slice(i, i + 500)).execute();
      for (const row of rows) out.set(row.id, row.ra_id);
    }
    return out;
  }

  /** Reads the subscriber row, refusing principals of another RA. */
  async row(by: Principal, subscriberId: string, trx: RaTx = this.context.db): Promise<RaSubscriberTable> {
    const row = await trx.selectFrom('ra_subscribers').selectAll().where('id', '=', subscriberId).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-subscriber', 404, { subscriber: subscriberId }, 'subscriberId');
    requireScope(by, row.ra_id);
    return row;
  }

  /**
   * The full record as it was on file at `at` (default: now). A read of a
   * full record is itself audited (R2, R20).
   */
  async get(by: Principal, subscriberId: string, at?: Date): Promise<Subscriber & { record: SubscriberVersion }> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    const row = await this.row(by, subscriberId);
    const when = (at ?? this.context.clock()).toISOString();
    const version = await this.context.db
      .selectFrom('ra_subscriber_versions')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('valid_from', '<=', when)
      .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', when)]))
      .executeTakeFirst();
    if (!version) throw new SignetError('ra.no-record-at', 404, { at: when }, 'at');
    const now = this.context.clock();
    await this.context.db.transaction().execute((trx) =>
      audit(this.context, trx, { actor: actorOf(by), action: 'ra.subscriber-read', target: `subscriber:${subscriberId}`, details: { version: version.version, at: when } }, now),
    );
    return { ...toSubscriber(row), record: this.toVersion(version) };
  }

  async versions(by: Principal, subscriberId: string): Promise<SubscriberVersion[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    await this.row(by, subscriberId);
    const rows = await this.context.db.selectFrom('ra_subscriber_versions').selectAll().where('subscriber_id', '=', subscriberId).orderBy('version').execute();
    const now = this.context.clock();
    await this.context.db.transaction().execute((trx) =>
      audit(this.context, trx, { actor: actorOf(by), action: 'ra.subscriber-history-read', target: `subscriber:${subscriberId}`, details: { versions: rows.length } }, now),
    );
    return rows.map((r) => this.toVersion(r));
  }

  async currentRecord(subscriberId: string, trx: RaTx = this.context.db): Promise<SubscriberVersion> {
    const row = await trx
      .selectFrom('ra_subscriber_versions')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('valid_until', 'is', null)
      .executeTakeFirstOrThrow();
    return this.toVersion(row);
  }

  async recordVersion(subscriberId: string, version: number, trx: RaTx = this.context.db): Promise<SubscriberVersion> {
    const row = await trx
      .selectFrom('ra_subscriber_versions')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('version', '=', version)
      .executeTakeFirstOrThrow();
    return this.toVersion(row);
  }

  /** R1: a supporting document, kept with its SHA-256; oversized ones are refused before anything is stored. */
  async addDocument(
    by: Principal,
    subscriberId: string,
    input: { kind: string; filename: string; mediaType: string; content: Uint8Array },
  ): Promise<StoredDocument> {
    requireRole(by, ['ra-officer', 'ra-admin']);
    return this.storeDocument(actorOf(by), () => this.row(by, subscriberId), input);
  }

  /** Stores a document for the subscriber `subscriber` finds (after the caller's own checks of who may), checked first. */
  async storeDocument(
    actor: string,
    subscriber: () => Promise<RaSubscriberTable>,
    input: { kind: string; filename: string; mediaType: string; content: Uint8Array },
  ): Promise<StoredDocument> {
    const limit = this.context.settings.documentLimitBytes;
    if (input.content.byteLength > limit) throw new SignetError('ra.document-too-large', 413, { limit }, 'content');
    if (input.content.byteLength === 0) throw new SignetError('ra.document-empty', 400, {}, 'content');
    if (!(DOCUMENT_KINDS as readonly string[]).includes(input.kind)) {
      throw new SignetError('ra.bad-document-kind', 400, { known: DOCUMENT_KINDS.join(', ') }, 'kind');
    }
    const mediaType = input.mediaType.split(';')[0]!.trim().toLowerCase();
    if (!(DOCUMENT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw new SignetError('ra.bad-document-type', 415, { known: DOCUMENT_MEDIA_TYPES.join(', ') }, 'mediaType');
    }
    // The bytes must be what the declared type says (issue 16 §5): a script sent as image/png is refused.
    if (!startsWithMagic(mediaType as DocumentMediaType, input.content)) throw new SignetError('ra.document-content-mismatch', 415, { declared: mediaType }, 'content');
    const filename = text(baseName(input.filename || 'document'), 'filename', 200);
    const row = await subscriber();
    const now = this.context.clock();
    const content = Buffer.from(input.content);
    const id = `doc-${randomUUID()}`;
    const document = {
      id,
      subscriber_id: row.id,
      kind: input.kind,
      filename,
      media_type: mediaType,
      size: content.byteLength,
      sha256: createHash('sha256').update(content).digest('hex'),
      content: sealDocument(this.context.personalData, id, content),
      uploaded_by: actor,
      uploaded_at: now.toISOString(),
    };
    await this.context.db.transaction().execute(async (trx) => {
      await trx.insertInto('ra_documents').values(document).execute();
      await audit(
        this.context,
        trx,
        { actor, action: 'ra.document-stored', target: `subscriber:${row.id}`, details: { document: document.id, kind: document.kind, sha256: document.sha256, size: document.size } },
        now,
      );
    });
    return toDocument(document);
  }

  async documents(by: Principal, subscriberId: string): Promise<StoredDocument[]> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    await this.row(by, subscriberId);
    const rows = await this.context.db
      .selectFrom('ra_documents')
      .select(['id', 'subscriber_id', 'kind', 'filename', 'media_type', 'size', 'sha256', 'uploaded_at'])
      .where('subscriber_id', '=', subscriberId)
      .orderBy('uploaded_at')
      .execute();
    return rows.map(toDocument);
  }

  async document(by: Principal, documentId: string, trx: RaTx = this.context.db): Promise<StoredDocument & { content: Buffer }> {
    const row = await trx.selectFrom('ra_documents').selectAll().where('id', '=', documentId).executeTakeFirst();
    if (!row) throw new SignetError('ra.unknown-document', 404, { document: documentId }, 'documentId');
    await this.row(by, row.subscriber_id, trx);
    // An ID card scan or a licence is the fullest read of personal data there is: audited like the record (R2, R20).
    const now = this.context.clock();
    const entry = { actor: actorOf(by), action: 'ra.document-read', target: `subscriber:${row.subscriber_id}`, details: { document: row.id, kind: row.kind } };
    if (trx === this.context.db) await this.context.db.transaction().execute((t) => audit(this.context, t, entry, now));
    else await audit(this.context, trx, entry, now);
    return { ...toDocument(row), content: openDocument(this.context.personalData, row.id, row.content) };
  }

  /**
   * An officer opens a supporting document (the ID card they are about to
   * approve): the content, with the read itself in the audit log (R2, R20).
   * A document of another subscriber, or of another RA, is the same 404/403.
   */
  async readDocument(by: Principal, subscriberId: string, documentId: string): Promise<StoredDocument & { content: Buffer }> {
    requireRole(by, ['ca-admin', 'ra-admin', 'ra-officer', 'auditor']);
    return this.context.db.transaction().execute(async (trx) => {
      // Checked before the read, so that a wrong path opens nothing and leaves no read behind; document() audits the read.
      const owner = await trx.selectFrom('ra_documents').select('subscriber_id').where('id', '=', documentId).executeTakeFirst();
      if (!owner || owner.subscriber_id !== subscriberId) throw new SignetError('ra.unknown-document', 404, { document: documentId }, 'documentId');
      return this.document(by, documentId, trx);
    });
  }

  /** Opens the record (sealed at rest when personal-data keys are configured, R2). */
  toVersion(row: VersionRow): SubscriberVersion {
    return {
      version: Number(row.version),
      record: openRecord(this.context.personalData, row.subscriber_id, Number(row.version), row.data),
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      recordedBy: row.recorded_by,
      changeRequestId: row.change_request_id,
    };
  }
}

type VersionRow = { subscriber_id: string; version: number; data: string; valid_from: string; valid_until: string | null; recorded_by: string; change_request_id: string | null };

export function toSubscriber(row: RaSubscriberTable): Subscriber {
  return {
    id: row.id,
    raId: row.ra_id,
    type: row.type,
    name: row.name,
    identifierMasked: row.identifier_masked ?? maskIdentifier(row.identifier),
    currentVersion: Number(row.current_version),
    createdAt: row.created_at,
  };
}

export function toDocument(row: { id: string; subscriber_id: string; kind: string; filename: string; media_type: string; size: number; sha256: string; uploaded_at: string }): StoredDocument {
  return {
    id: row.id,
    subscriberId: row.subscriber_id,
    kind: row.kind,
    filename: row.filename,
    mediaType: row.media_type,
    size: Number(row.size),
    sha256: row.sha256,
    uploadedAt: row.uploaded_at,
  };
}
