import { SignetError } from '../i18n/signet-error.js';
import type { PersonalDataCipher } from '../service/personal-data.js';
import type { PersonalDataHolder } from '../service/retention.js';
import { audit, type RaContext } from './context.js';
import type { RaTx } from './schema.js';
import { subscriberColumns, type SubscriberRecord } from './subscribers.js';

/** Sealed personal data met by a process given no personal-data key (500: the deployment's lack, not the asker's); `context` names the row. */
const noKey = (context: string) => new SignetError('ra.personal-data-key-missing', 500, { reference: context });

/** Where a record version's ciphertext belongs: a copy moved onto another row does not open. */
const contextOf = (subscriberId: string, version: number) => `ra-subscriber:${subscriberId}:v${version}`;

/**
 * R2: the subscriber's record is encrypted at rest with the deployment's
 * personal-data keys (AES-256-GCM, src/service/personal-data.ts) when they
 * are configured; without them (tests of other domains, tools) it is plain
 * JSON, and both forms read back.
 */
export function sealRecord(cipher: PersonalDataCipher | undefined, subscriberId: string, version: number, record: SubscriberRecord): string {
  const json = JSON.stringify(record);
  return cipher ? cipher.seal(json, contextOf(subscriberId, version)) : json;
}

export function openRecord(cipher: PersonalDataCipher | undefined, subscriberId: string, version: number, data: string): SubscriberRecord {
  if (data.startsWith('{')) return JSON.parse(data) as SubscriberRecord;
  const context = contextOf(subscriberId, version);
  if (!cipher) throw noKey(context);
  return JSON.parse(cipher.open(data, context)) as SubscriberRecord;
}

/**
 * One personal field of a row (an agent's name, a change request's new
 * values), sealed when the deployment has a personal-data key, bound to the
 * row and field; a value written before sealing (no `pd1.` prefix) reads as it is.
 */
export function sealField(cipher: PersonalDataCipher | undefined, value: string, context: string): string {
  return cipher ? cipher.seal(value, context) : value;
}

export function openField(cipher: PersonalDataCipher | undefined, stored: string, context: string): string {
  if (!stored.startsWith('pd1.')) return stored;
  if (!cipher) throw noKey(context);
  return cipher.open(stored, context);
}

/** A delegation row with its agent's name and ID number opened (they are sealed at rest, R2). */
export function openDelegation<T extends { id: string; agent_name: string; agent_id_number: string }>(cipher: PersonalDataCipher | undefined, row: T): T {
  return { ...row, agent_name: openField(cipher, row.agent_name, `ra-delegation:${row.id}:agent-name`), agent_id_number: openField(cipher, row.agent_id_number, `ra-delegation:${row.id}:agent-id`) };
}

/** A change request row with its new values opened. */
export function openChange<T extends { id: string; changes: string }>(cipher: PersonalDataCipher | undefined, row: T): T {
  return { ...row, changes: openField(cipher, row.changes, `ra-change:${row.id}`) };
}

/**
 * Supporting documents (ID scans, licences) are personal data too: sealed
 * the same way, base64 inside the envelope. The SHA-256 on the row is of
 * the original bytes, so the proof stays valid whatever the storage form.
 */
const SEALED_DOCUMENT = Buffer.from('sealed:');

export function sealDocument(cipher: PersonalDataCipher | undefined, documentId: string, content: Buffer): Buffer {
  if (!cipher) return content;
  return Buffer.concat([SEALED_DOCUMENT, Buffer.from(cipher.seal(content.toString('base64'), `ra-document:${documentId}`), 'utf8')]);
}

export function openDocument(cipher: PersonalDataCipher | undefined, documentId: string, stored: Buffer): Buffer {
  if (!stored.subarray(0, SEALED_DOCUMENT.length).equals(SEALED_DOCUMENT)) return stored;
  if (!cipher) throw noKey(`ra-document:${documentId}`);
  return Buffer.from(cipher.open(stored.subarray(SEALED_DOCUMENT.length).toString('utf8'), `ra-document:${documentId}`), 'base64');
}

/** The anonymised stand-in for a purged record: the type stays (statistics), the person does not. */
export function anonymisedRecord(type: SubscriberRecord['type']): SubscriberRecord {
  const nobody = { name: '—', idType: 'passport' as const, idNumber: '—' };
  return type === 'enterprise'
    ? { type, name: '—', uscc: '—', legalRepresentative: nobody, agent: { ...nobody, phone: '—', email: '—' } }
    : { type, ...nobody, phone: '—', email: '—' };
}

/**
 * The RA's part of the retention job (R2): once the service domain decides
 * a subscriber's period is over and no hold applies, this removes what the
 * RA keeps about the person, inside the purge's transaction. What stays:
 * that a subscriber of this type existed, its applications and certificates'
 * serials, and the documents' SHA-256 (proof that they existed).
 */
export class RaPersonalData implements PersonalDataHolder {
  readonly name = 'ra-subscribers';

  constructor(private readonly context: RaContext) {}

  async anonymise(subscriberId: string, transaction: unknown): Promise<number> {
    const trx = transaction as RaTx;
    const subscriber = await trx.selectFrom('ra_subscribers').select(['id', 'type', 'name']).where('id', '=', subscriberId).executeTakeFirst();
    if (!subscriber || subscriber.name === '—') return 0;
    let changed = 0;
    const versions = await trx.selectFrom('ra_subscriber_versions').select('version').where('subscriber_id', '=', subscriberId).execute();
    for (const { version } of versions) {
      await trx
        .updateTable('ra_subscriber_versions')
        .set({ data: sealRecord(this.context.personalData, subscriberId, Number(version), anonymisedRecord(subscriber.type)) })
        .where('subscriber_id', '=', subscriberId)
        .where('version', '=', version)
        .execute();
      changed += 1;
    }
    // The identifier makes way: the same person may register again later as someone new.
    await trx.updateTable('ra_subscribers').set({ name: '—', identifier: `anonymised:${subscriberId}`, identifier_masked: '—', name_index: null }).where('id', '=', subscriberId).execute();
    const documents = await trx.updateTable('ra_documents').set({ content: Buffer.alloc(0), filename: '—' }).where('subscriber_id', '=', subscriberId).executeTakeFirst();
    const delegations = await trx
      .updateTable('ra_delegations')
      .set({ agent_name: '—', agent_id_number: '—', status: 'revoked' })
      .where('subscriber_id', '=', subscriberId)
      .executeTakeFirst();
    const changes = await trx.updateTable('ra_change_requests').set({ changes: '{}' }).where('subscriber_id', '=', subscriberId).executeTakeFirst();
    return changed + 1 + Number(documents.numUpdatedRows) + Number(delegations.numUpdatedRows) + Number(changes.numUpdatedRows);
  }

  /**
   * Key rotation (R2): everything the RA sealed under an older personal-data
   * key is sealed again under the current one, and every blind index is
   * recomputed under it, so that the old key can leave the configuration.
   * Values written before sealing are sealed now. Returns what changed.
   */
  async reseal(actor = 'system:pii-rotation'): Promise<{ records: number; documents: number; subscribers: number; delegations: number; changes: number; credentials: number }> {
    const pd = this.context.personalData;
    const counts = { records: 0, documents: 0, subscribers: 0, delegations: 0, changes: 0, credentials: 0 };
    if (!pd) return counts;
    const stale = (stored: string) => !stored.startsWith('pd1.') || pd.needsRotation(stored);
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      for (const row of await trx.selectFrom('ra_subscriber_versions').select(['subscriber_id', 'version', 'data']).execute()) {
        if (!stale(row.data)) continue;
        const record = openRecord(pd, row.subscriber_id, Number(row.version), row.data);
        await trx.updateTable('ra_subscriber_versions').set({ data: sealRecord(pd, row.subscriber_id, Number(row.version), record) }).where('subscriber_id', '=', row.subscriber_id).where('version', '=', row.version).execute();
        counts.records += 1;
      }
      for (const row of await trx.selectFrom('ra_subscribers').selectAll().execute()) {
        if (row.identifier.startsWith('anonymised:')) continue;
        const version = await trx.selectFrom('ra_subscriber_versions').select('data').where('subscriber_id', '=', row.id).where('version', '=', row.current_version).executeTakeFirstOrThrow();
        const columns = subscriberColumns(pd, openRecord(pd, row.id, Number(row.current_version), version.data));
        if (columns.identifier === row.identifier && columns.name_index === (row.name_index ?? null) && columns.name === row.name) continue;
        await trx.updateTable('ra_subscribers').set(columns).where('id', '=', row.id).execute();
        counts.subscribers += 1;
      }
      for (const row of await trx.selectFrom('ra_documents').select(['id', 'content']).execute()) {
        const content = Buffer.from(row.content);
        const sealed = content.subarray(0, SEALED_DOCUMENT.length).equals(SEALED_DOCUMENT);
        if (content.length === 0 || (sealed && !pd.needsRotation(content.subarray(SEALED_DOCUMENT.length).toString('utf8')))) continue;
        await trx.updateTable('ra_documents').set({ content: sealDocument(pd, row.id, openDocument(pd, row.id, content)) }).where('id', '=', row.id).execute();
        counts.documents += 1;
      }
      for (const stored of await trx.selectFrom('ra_delegations').selectAll().execute()) {
        if (stored.agent_name === '—' || (!stale(stored.agent_name) && !stale(stored.agent_id_number))) continue;
        const row = openDelegation(pd, stored);
        await trx
          .updateTable('ra_delegations')
          .set({ agent_name: sealField(pd, row.agent_name, `ra-delegation:${row.id}:agent-name`), agent_id_number: sealField(pd, row.agent_id_number, `ra-delegation:${row.id}:agent-id`) })
          .where('id', '=', row.id)
          .execute();
        counts.delegations += 1;
      }
      for (const stored of await trx.selectFrom('ra_change_requests').select(['id', 'changes']).execute()) {
        if (stored.changes === '{}' || !stale(stored.changes)) continue;
        await trx.updateTable('ra_change_requests').set({ changes: sealField(pd, openChange(pd, stored).changes, `ra-change:${stored.id}`) }).where('id', '=', stored.id).execute();
        counts.changes += 1;
      }
      // Download codes kept sealed for CMP's MAC (issue 21): a rotation must not leave them under the old key.
      for (const stored of await trx.selectFrom('ra_download_credentials').select(['id', 'code_sealed']).where('code_sealed', 'is not', null).execute()) {
        if (!pd.needsRotation(stored.code_sealed!)) continue;
        const context = `credential-code:${stored.id}`;
        await trx.updateTable('ra_download_credentials').set({ code_sealed: pd.reseal(stored.code_sealed!, context) }).where('id', '=', stored.id).execute();
        counts.credentials += 1;
      }
      await audit(this.context, trx, { actor, action: 'ra.personal-data-resealed', target: `pii-key:${pd.currentKeyId}`, details: counts }, now);
    });
    return counts;
  }
}
