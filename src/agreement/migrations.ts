import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';

/** The agreement domain's tables: only what R0 needs today; a later issue extends them. */
export function agreementMigrations(_dialect: Dialect): Record<string, Migration> {
  return {
    '0400_ra_agreement_versions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('agreement_versions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('text_sha256', 'text', (c) => c.notNull())
          .addColumn('published_at', 'text', (c) => c.notNull())
          .addColumn('published_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('agreement_acceptances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('version_id', 'text', (c) => c.notNull().references('agreement_versions.id'))
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('ra_id', 'text')
          .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('explicit', 'download', 'first-use')`))
          .addColumn('accepted_at', 'text', (c) => c.notNull())
          .addColumn('client_address', 'text')
          .addColumn('recorded_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('agreement_acceptances_subscriber')
          .on('agreement_acceptances')
          .columns(['subscriber_id', 'accepted_at'])
          .execute();
      },
    },
  };
}
