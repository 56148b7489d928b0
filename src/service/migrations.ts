import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import calendar2026 from './calendars/2026.json' with { type: 'json' };
import { retainedCountInKeyOrder, retainedCountUp } from './retained-count.js';

/** Integer fen: bigint on PostgreSQL, INTEGER (64-bit) on SQLite; never a float. */
const MONEY = 'bigint';

/** The service domain: complaints (R12), fees (R9), liability (R17), retention (R2), the notification outbox. */
export function serviceMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0600_service_calendar_and_complaints': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('service_calendar_years')
          .addColumn('year', 'integer', (c) => c.primaryKey())
          .addColumn('holidays', 'text', (c) => c.notNull())
          .addColumn('make_up_workdays', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('loaded_at', 'text', (c) => c.notNull())
          .addColumn('loaded_by', 'text', (c) => c.notNull())
          .execute();
        // The official 2026 arrangement ships with Signet (src/service/calendars/2026.json); later years are loaded by operators.
        await db
          .insertInto('service_calendar_years' as never)
          .values({
            year: calendar2026.year,
            holidays: JSON.stringify(calendar2026.holidays),
            make_up_workdays: JSON.stringify(calendar2026.makeUpWorkdays),
            source: calendar2026.source,
            loaded_at: '2026-01-01T00:00:00.000Z',
            loaded_by: 'system:migration',
          } as never)
          .execute();

        await db.schema
          .createTable('service_complaints')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('received_day', 'text', (c) => c.notNull())
          .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('phone', 'email', 'web', 'letter', 'counter')`))
          .addColumn('subscriber_id', 'text')
          .addColumn('certificate_serial', 'text')
          .addColumn('complainant', 'text')
          .addColumn('description', 'text')
          .addColumn('category', 'text', (c) => c.notNull())
          .addColumn('due_at', 'text', (c) => c.notNull())
          .addColumn('due_day', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'responded')`))
          .addColumn('response', 'text')
          .addColumn('responded_at', 'text')
          .addColumn('responded_by', 'text')
          .addColumn('filed_by', 'text', (c) => c.notNull())
          .addColumn('anonymised_at', 'text')
          .execute();
        await db.schema.createIndex('service_complaints_open').on('service_complaints').columns(['status', 'due_at']).execute();
        await db.schema.createIndex('service_complaints_subscriber').on('service_complaints').column('subscriber_id').execute();

        await db.schema
          .createTable('service_notifications')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('recipient', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
          .addColumn('subject_zh', 'text', (c) => c.notNull())
          .addColumn('subject_en', 'text', (c) => c.notNull())
          .addColumn('body_zh', 'text', (c) => c.notNull())
          .addColumn('body_en', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('sent_at', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .execute();
        await db.schema.createIndex('service_notifications_pending').on('service_notifications').columns(['sent_at', 'created_at']).execute();
      },
    },
    '0601_service_liability': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('service_liability_caps')
          .addColumn('policy_id', 'text', (c) => c.notNull())
          .addColumn('subscriber_type', 'text', (c) => c.notNull().check(sql`subscriber_type in ('individual', 'enterprise')`))
          .addColumn('cap_fen', MONEY, (c) => c.notNull().check(sql`cap_fen > 0`))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('service_liability_caps_pk', ['policy_id', 'subscriber_type'])
          .execute();
        // R17's figures: ¥500,000.00 per enterprise certificate, ¥20,000.00 per individual certificate.
        await db
          .insertInto('service_liability_caps' as never)
          .values([
            { policy_id: 'default', subscriber_type: 'enterprise', cap_fen: 50_000_000, updated_at: '2026-01-01T00:00:00.000Z', updated_by: 'system:migration' },
            { policy_id: 'default', subscriber_type: 'individual', cap_fen: 2_000_000, updated_at: '2026-01-01T00:00:00.000Z', updated_by: 'system:migration' },
          ] as never)
          .execute();
        await db.schema
          .createTable('service_liability_ledgers')
          .addColumn('certificate_serial', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_type', 'text', (c) => c.notNull())
          .addColumn('cap_fen', MONEY, (c) => c.notNull().check(sql`cap_fen > 0`))
          .addColumn('paid_fen', MONEY, (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          // The database's own guarantee (R17): whatever the application does, the sum paid never passes the cap.
          .addCheckConstraint('service_liability_within_cap', sql`paid_fen >= 0 and paid_fen <= cap_fen`)
          .execute();
        await db.schema
          .createTable('service_liability_claims')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('certificate_serial', 'text', (c) => c.notNull())
          .addColumn('claimant', 'text')
          .addColumn('description', 'text')
          .addColumn('amount_claimed_fen', MONEY, (c) => c.notNull().check(sql`amount_claimed_fen > 0`))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('registered', 'paid', 'rejected')`))
          .addColumn('paid_fen', MONEY, (c) => c.notNull().defaultTo(0).check(sql`paid_fen >= 0`))
          .addColumn('registered_at', 'text', (c) => c.notNull())
          .addColumn('registered_by', 'text', (c) => c.notNull())
          .addColumn('decided_at', 'text')
          .addColumn('decided_by', 'text')
          .addColumn('decision_note', 'text')
          .execute();
        await db.schema.createIndex('service_liability_claims_serial').on('service_liability_claims').column('certificate_serial').execute();
      },
    },
    '0602_service_fees': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('service_fee_schedules')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('ra_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('validity_days', 'integer', (c) => c.notNull().check(sql`validity_days > 0`))
          .addColumn('amount_fen', MONEY, (c) => c.notNull().check(sql`amount_fen >= 0`))
          .addColumn('effective_from', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addUniqueConstraint('service_fee_schedules_product', ['ra_id', 'profile_id', 'validity_days', 'effective_from'])
          .execute();
        await db.schema
          .createTable('service_fee_settings')
          .addColumn('ra_id', 'text', (c) => c.primaryKey())
          .addColumn('payment_required', 'integer', (c) => c.notNull())
          .addColumn('reminder_days', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('service_charges')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('ra_id', 'text', (c) => c.notNull())
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('period_ref', 'text', (c) => c.notNull().unique())
          .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('issuance', 'renewal')`))
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('validity_days', 'integer', (c) => c.notNull())
          .addColumn('amount_fen', MONEY, (c) => c.notNull().check(sql`amount_fen >= 0`))
          .addColumn('schedule_id', 'text', (c) => c.notNull().references('service_fee_schedules.id'))
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('due', 'paid', 'waived')`))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('settled_at', 'text')
          .execute();
        await db.schema
          .createTable('service_payments')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('charge_id', 'text', (c) => c.notNull().references('service_charges.id'))
          .addColumn('amount_fen', MONEY, (c) => c.notNull().check(sql`amount_fen > 0`))
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('reference', 'text')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('recorded_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('service_payments_charge').on('service_payments').column('charge_id').execute();
      },
    },
    '0603_service_retention': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('service_legal_holds')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('legal-hold', 'dispute')`))
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('placed_at', 'text', (c) => c.notNull())
          .addColumn('placed_by', 'text', (c) => c.notNull())
          .addColumn('released_at', 'text')
          .addColumn('released_by', 'text')
          .execute();
        await db.schema.createIndex('service_legal_holds_subscriber').on('service_legal_holds').column('subscriber_id').execute();
        await db.schema
          .createTable('service_retention_purges')
          .addColumn('subscriber_id', 'text', (c) => c.primaryKey())
          .addColumn('last_certificate_end', 'text', (c) => c.notNull())
          .addColumn('purged_at', 'text', (c) => c.notNull())
          .addColumn('purged_by', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // Issue 22: the retention job's watermark, so a run reads what became due since the last one, not every subscriber.
    '2640_service_retention_watermark': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('service_retention_watermark')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('cutoff', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // Issue 22: the retention report's `retained` figure kept as a counter, not a count of every certificate (retained-count.ts).
    '2660_service_retained_count': {
      async up(db: Kysely<unknown>) {
        await retainedCountUp(db, dialect);
      },
    },
    // PostgreSQL: the counter's trigger remembers a statement's new subscribers in key order (no deadlock between two batches).
    '2710_service_retained_count_key_order': {
      async up(db: Kysely<unknown>) {
        await retainedCountInKeyOrder(db, dialect);
      },
    },
    '0604_service_notification_delivery': {
      // The outbox's delivery state (notification-delivery.ts): pending until the SMTP server accepted the message,
      // retried with backoff; undeliverable only when there is no address to send to or the server refused the recipient for good.
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('service_notifications')
          .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending').check(sql`state in ('pending', 'sent', 'undeliverable')`))
          .execute();
        await db.schema.alterTable('service_notifications').addColumn('next_attempt_at', 'text').execute();
        await db.schema.alterTable('service_notifications').addColumn('message_id', 'text').execute();
        await db.schema.alterTable('service_notifications').addColumn('server_response', 'text').execute();
        await sql`update service_notifications set state = 'sent' where sent_at is not null`.execute(db);
        await db.schema.createIndex('service_notifications_due').on('service_notifications').columns(['state', 'next_attempt_at']).execute();
      },
    },
  };
}
