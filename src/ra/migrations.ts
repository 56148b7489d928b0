import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';
import { inventoryCountsUp, inventoryRollupsUp, subjectSearchUp } from './inventory-counts.js';

/** The RA's tables: organisations, operators, subscribers and the work done for them. */
export function raMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0400_ra_core': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('ra_organisations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'merged', 'withdrawn')`))
          .addColumn('successor_id', 'text', (c) => c.references('ra_organisations.id'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('closed_at', 'text')
          .addColumn('closed_by', 'text')
          .addColumn('closing_reason', 'text')
          .execute();

        await db.schema
          .createTable('ra_operators')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('ca-admin', 'ra-admin', 'ra-officer', 'auditor')`))
          .addColumn('ra_id', 'text', (c) => c.references('ra_organisations.id'))
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('failed_logins', 'integer', (c) => c.notNull())
          .addColumn('locked_until', 'text')
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'disabled')`))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('ra_sessions')
          .addColumn('token_sha256', 'text', (c) => c.primaryKey())
          .addColumn('operator_id', 'text', (c) => c.notNull().references('ra_operators.id'))
          .addColumn('csrf_sha256', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('ended_at', 'text')
          .addColumn('client_address', 'text')
          .execute();

        await db.schema
          .createTable('ra_api_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
          .addColumn('operator_id', 'text', (c) => c.notNull().references('ra_operators.id'))
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();

        await db.schema
          .createTable('ra_subscribers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('ra_id', 'text', (c) => c.notNull().references('ra_organisations.id'))
          .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('individual', 'enterprise')`))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('identifier', 'text', (c) => c.notNull())
          .addColumn('current_version', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('ra_subscribers_identifier').on('ra_subscribers').columns(['type', 'identifier']).unique().execute();
        await db.schema.createIndex('ra_subscribers_ra').on('ra_subscribers').column('ra_id').execute();

        await db.schema
          .createTable('ra_subscriber_versions')
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('valid_from', 'text', (c) => c.notNull())
          .addColumn('valid_until', 'text')
          .addColumn('recorded_by', 'text', (c) => c.notNull())
          .addColumn('change_request_id', 'text')
          .addPrimaryKeyConstraint('ra_subscriber_versions_pk', ['subscriber_id', 'version'])
          .execute();

        await db.schema
          .createTable('ra_memberships')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('ra_id', 'text', (c) => c.notNull().references('ra_organisations.id'))
          .addColumn('from_at', 'text', (c) => c.notNull())
          .addColumn('until_at', 'text')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('predecessor_ra_id', 'text')
          .execute();
        await db.schema.createIndex('ra_memberships_subscriber').on('ra_memberships').columns(['subscriber_id', 'from_at']).execute();

        await db.schema
          .createTable('ra_documents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('filename', 'text', (c) => c.notNull())
          .addColumn('media_type', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('content', binary, (c) => c.notNull())
          .addColumn('uploaded_by', 'text', (c) => c.notNull())
          .addColumn('uploaded_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('ra_applications')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('ra_id', 'text', (c) => c.notNull().references('ra_organisations.id'))
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('new', 'renewal', 'rekey', 'reissue')`))
          .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('signing', 'encryption')`))
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('key_generation', 'text', (c) => c.notNull().check(sql`key_generation in ('subscriber', 'server')`))
          .addColumn('status', 'text', (c) =>
            c.notNull().check(sql`status in ('submitted', 'in-review', 'approved', 'rejected', 'completed')`),
          )
          .addColumn('subscriber_version', 'integer', (c) => c.notNull())
          .addColumn('replaces_serial', 'text')
          .addColumn('submitted_by', 'text', (c) => c.notNull())
          .addColumn('submitted_at', 'text', (c) => c.notNull())
          .addColumn('reviewer_id', 'text')
          .addColumn('review_started_at', 'text')
          .addColumn('decided_by', 'text')
          .addColumn('decided_at', 'text')
          .addColumn('decision_reason', 'text')
          .addColumn('certificate_serial', 'text')
          .execute();
        await db.schema.createIndex('ra_applications_ra_status').on('ra_applications').columns(['ra_id', 'status']).execute();
        await db.schema.createIndex('ra_applications_subscriber').on('ra_applications').column('subscriber_id').execute();

        await db.schema
          .createTable('ra_download_credentials')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('application_id', 'text', (c) => c.notNull().references('ra_applications.id'))
          .addColumn('reference_number', 'text', (c) => c.notNull().unique())
          .addColumn('code_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('issued', 'used', 'locked', 'superseded')`))
          .addColumn('failed_attempts', 'integer', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('used_at', 'text')
          .execute();

        await db.schema
          .createTable('ra_delegations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('agent_name', 'text', (c) => c.notNull())
          .addColumn('agent_id_type', 'text', (c) => c.notNull())
          .addColumn('agent_id_number', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('evidence_document_id', 'text', (c) => c.notNull().references('ra_documents.id'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'revoked')`))
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('ra_change_requests')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('ra_id', 'text', (c) => c.notNull().references('ra_organisations.id'))
          .addColumn('changes', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('submitted', 'approved', 'rejected')`))
          .addColumn('base_version', 'integer', (c) => c.notNull())
          .addColumn('submitted_by', 'text', (c) => c.notNull())
          .addColumn('submitted_at', 'text', (c) => c.notNull())
          .addColumn('decided_by', 'text')
          .addColumn('decided_at', 'text')
          .addColumn('decision_reason', 'text')
          .execute();
      },
    },
    // R2: with a personal-data key the identifier column holds a keyed blind index and a person's name column
    // a masked name; the masked identifier (for lists) and a blind index of the full name (exact search) sit beside them.
    '0710_ra_sealed_identifiers': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('ra_subscribers').addColumn('identifier_masked', 'text').execute();
        await db.schema.alterTable('ra_subscribers').addColumn('name_index', 'text').execute();
        await db.schema.createIndex('ra_subscribers_name_index').on('ra_subscribers').column('name_index').execute();
      },
    },
    // The subscriber's own way in (the portal): a tracking number and code given at registration, the code stored as a hash.
    '0700_ra_portal_access': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('ra_portal_access')
          .addColumn('subscriber_id', 'text', (c) => c.primaryKey().references('ra_subscribers.id'))
          .addColumn('tracking_number', 'text', (c) => c.notNull().unique())
          .addColumn('code_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'locked')`))
          .addColumn('failed_attempts', 'integer', (c) => c.notNull())
          .addColumn('issued_at', 'text', (c) => c.notNull())
          .addColumn('issued_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('ra_portal_sessions')
          .addColumn('token_sha256', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull().references('ra_subscribers.id'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('ended_at', 'text')
          .addColumn('client_address', 'text')
          .execute();
      },
    },
    // Issue 22: the inventory and dashboard at a million certificates (src/ra/inventory-counts.ts).
    '0720_ra_inventory_at_scale': {
      async up(db: Kysely<unknown>) {
        await inventoryCountsUp(db, dialect);
      },
    },
    // Issue 21: CMP's password-based MAC needs the secret itself; the code is kept sealed beside its hash.
    '2300_ra_credential_sealed_code': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('ra_download_credentials').addColumn('code_sealed', 'text').execute();
      },
    },
    // Issue 20: two-person approval is a per-RA setting. RAs that existed before keep working as they did
    // (one officer may register and approve, with a warning recorded) until an administrator turns it on.
    '2400_ra_approval_policy': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('ra_organisations')
          .addColumn('approval_policy', 'text', (c) => c.notNull().defaultTo('single-person').check(sql`approval_policy in ('two-person', 'single-person')`))
          .execute();
      },
    },
    // Issue 22: each inventory row names the application that led to its certificate; without an index that was one
    // scan of every application per row shown. And the dashboard's sums by kind.
    '2510_ra_inventory_lookups': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('ra_applications_certificate').on('ra_applications').column('certificate_serial').execute();
        // The dashboard sums one kind of counter across RAs (and slots): by the primary key (ra_id first) that read every
        // counter, 420,000 rows over three years on PostgreSQL (~250 ms a sum); this index holds the sum's columns.
        await db.schema.createIndex('ra_inventory_counts_kind').on('ra_inventory_counts').columns(['kind', 'bucket', 'n']).execute();
      },
    },
    // Issue 22: the dashboard and every page's total read a running total and day/month roll-ups, not a row per
    // hour of history (src/ra/inventory-counts.ts).
    '2610_ra_inventory_rollups': {
      async up(db: Kysely<unknown>) {
        await inventoryRollupsUp(db, dialect);
      },
    },
    // Issue 22: filtered inventory lists walk the index of what they filter on (CertificateInventory.orderOf):
    // expired and expiring by (not_after, serial), one reason's revocations by (reason_code, revoked_at, serial).
    // All revocations already have (revoked_at, serial); not yet valid ones are few, by not_before.
    '2620_ra_inventory_filter_order': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('certificates_not_after_serial').on('certificates').columns(['not_after', 'serial']).execute();
        await db.schema.createIndex('revocations_reason_time').on('revocations').columns(['reason_code', 'revoked_at', 'serial']).execute();
      },
    },
    // Issue 22: subject text search by a trigram index on both stores (src/ra/inventory-counts.ts).
    '2630_ra_inventory_subject_search': {
      async up(db: Kysely<unknown>) {
        await subjectSearchUp(db, dialect);
      },
    },
    // Attempts at every guessable secret, counted before the secret is evaluated (issue 16).
    '1600_ra_secret_attempts': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('ra_secret_attempts')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('window_started', 'text', (c) => c.notNull())
          .addColumn('last_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
  };
}
