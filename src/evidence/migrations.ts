import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';

/** The key that signs evidence packages (R14), certified by the issuing CA, sealed at rest (R21). */
export interface EvidenceSignerTable {
  id: string;
  issuer_ca_id: string;
  certificate_serial: string;
  certificate_der: Buffer;
  key_algorithm: string;
  signature_scheme: string;
  /** Software: the sealed envelope; PKCS#11: the token locator. */
  encrypted_private_key: string;
  created_at: string;
  /** 0921; rows before it were software. */
  key_storage?: 'software' | 'pkcs11';
}

/** Every evidence package produced: what it was about, for whom, and its hash (the package itself is the caller's). */
export interface EvidencePackageTable {
  id: string;
  certificate_serial: string;
  transaction_time: string;
  time_source: string;
  status_at_time: string;
  requested_by: string;
  sha256: string;
  created_at: string;
}

/** R10, III.4: a subscriber's dispute, from filing to closure. */
export interface DisputeTable {
  id: string;
  subscriber_id: string;
  certificate_serial: string | null;
  /** The calendar day the problem was discovered (YYYY-MM-DD, Asia/Shanghai). */
  discovered_on: string;
  filed_at: string;
  description: string;
  state: 'filed' | 'investigating' | 'negotiation' | 'referred-to-arbitration' | 'closed';
  hold_id: string | null;
  outcome: string | null;
  updated_at: string;
}

export interface DisputeEventTable {
  id: string;
  dispute_id: string;
  /** 1, 2, 3… within the dispute: the order of events even within one clock tick. */
  seq: number;
  at: string;
  actor: string;
  from_state: string | null;
  to_state: string;
  note: string;
}

export interface EvidenceTables {
  evidence_signers: EvidenceSignerTable;
  evidence_packages: EvidencePackageTable;
  disputes: DisputeTable;
  dispute_events: DisputeEventTable;
}

export function evidenceMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0300_evidence_signers_and_packages': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('evidence_signers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          .addColumn('certificate_serial', 'text', (c) => c.notNull().unique())
          .addColumn('certificate_der', binary, (c) => c.notNull())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('signature_scheme', 'text', (c) => c.notNull())
          .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('evidence_packages')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('certificate_serial', 'text', (c) => c.notNull())
          .addColumn('transaction_time', 'text', (c) => c.notNull())
          .addColumn('time_source', 'text', (c) => c.notNull())
          .addColumn('status_at_time', 'text', (c) => c.notNull())
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('evidence_packages_serial').on('evidence_packages').column('certificate_serial').execute();
      },
    },
    '0301_evidence_disputes': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('disputes')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('certificate_serial', 'text')
          .addColumn('discovered_on', 'text', (c) => c.notNull())
          .addColumn('filed_at', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) =>
            c.notNull().check(sql`state in ('filed', 'investigating', 'negotiation', 'referred-to-arbitration', 'closed')`),
          )
          .addColumn('hold_id', 'text')
          .addColumn('outcome', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('disputes_subscriber').on('disputes').columns(['subscriber_id', 'state']).execute();
        await db.schema
          .createTable('dispute_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.id'))
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('from_state', 'text')
          .addColumn('to_state', 'text', (c) => c.notNull())
          .addColumn('note', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('dispute_events_order').on('dispute_events').columns(['dispute_id', 'seq']).unique().execute();
      },
    },
    '0921_evidence_signer_key_storage': {
      async up(db: Kysely<unknown>) {
        // The evidence signer may live in the HSM like the other online identities (issue 17 §1).
        await db.schema.alterTable('evidence_signers').addColumn('key_storage', 'text', (c) => c.notNull().defaultTo('software')).execute();
      },
    },
  };
}
