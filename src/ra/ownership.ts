import type { MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import type { RaContext } from './context.js';

/** What the RA can be asked about: the objects an RA route names in its path. */
export type RaObjectKind = 'application' | 'change' | 'delegation' | 'operator' | 'organisation' | 'document';

/** Whose an object is: its RA (null for a CA-wide operator) and, for a subscriber's object, the subscriber. */
export interface RaOwner {
  raId: string | null;
  subscriberId: string | null;
}

const UNKNOWN: Record<RaObjectKind, [code: MessageCode, field: string, param: string]> = {
  application: ['ra.unknown-application', 'application', 'applicationId'],
  change: ['ra.unknown-change', 'change', 'changeId'],
  delegation: ['ra.unknown-delegation', 'delegation', 'delegationId'],
  operator: ['ra.unknown-operator', 'operator', 'operatorId'],
  organisation: ['ra.unknown-ra', 'ra', 'raId'],
  document: ['ra.unknown-document', 'document', 'documentId'],
};

/**
 * Whose each RA object is, for the HTTP authorisation layer (issue 16 §2):
 * the routes declare which object they touch and ask here, before their
 * handler runs, instead of each domain call deciding on its own. One indexed
 * read of an id column and an RA column; no personal data is opened.
 */
export class RaOwnership {
  constructor(private readonly context: RaContext) {}

  /** The owner of one object; an unknown id is the same 404 the domain would give. */
  async of(kind: RaObjectKind, id: string): Promise<RaOwner> {
    const found = id ? await this.lookup(kind, id) : undefined;
    if (!found) {
      const [code, field, param] = UNKNOWN[kind];
      throw new SignetError(code, 404, { [field]: id.slice(0, 80) }, param);
    }
    return found;
  }

  private async lookup(kind: RaObjectKind, id: string): Promise<RaOwner | undefined> {
    const db = this.context.db;
    switch (kind) {
      case 'application': {
        const row = await db.selectFrom('ra_applications').select(['ra_id', 'subscriber_id']).where('id', '=', id).executeTakeFirst();
        return row && { raId: row.ra_id, subscriberId: row.subscriber_id };
      }
      case 'change': {
        const row = await db.selectFrom('ra_change_requests').select(['ra_id', 'subscriber_id']).where('id', '=', id).executeTakeFirst();
        return row && { raId: row.ra_id, subscriberId: row.subscriber_id };
      }
      case 'delegation':
      case 'document': {
        const table = kind === 'delegation' ? 'ra_delegations' : 'ra_documents';
        const row = await db
          .selectFrom(table)
          .innerJoin('ra_subscribers', 'ra_subscribers.id', `${table}.subscriber_id`)
          .select(['ra_subscribers.ra_id as ra_id', 'ra_subscribers.id as subscriber_id'])
          .where(`${table}.id`, '=', id)
          .executeTakeFirst();
        return row && { raId: row.ra_id, subscriberId: row.subscriber_id };
      }
      case 'operator': {
        const row = await db.selectFrom('ra_operators').select(['ra_id']).where('id', '=', id).executeTakeFirst();
        return row && { raId: row.ra_id, subscriberId: null };
      }
      case 'organisation': {
        const row = await db.selectFrom('ra_organisations').select(['id']).where('id', '=', id).executeTakeFirst();
        return row && { raId: row.id, subscriberId: null };
      }
    }
  }
}
