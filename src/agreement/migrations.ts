import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';

/** The agreement domain's tables: only what R0 needs today; a later issue extends them. */
export function agreementMigrations(dialect: Dialect): Record<string, Migration> {
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
    '0610_agreement_publication': {
      // R11, R19: bilingual versions with an effective date, the CPS and notices, objections, deemed acceptance.
      async up(db: Kysely<unknown>) {
        for (const column of ['title_en', 'text_en', 'effective_at']) {
          await db.schema.alterTable('agreement_versions').addColumn(column, 'text').execute();
        }
        // Deemed acceptance (R19) is a fourth way of accepting: widen the channel CHECK.
        const channels = sql`channel in ('explicit', 'download', 'first-use', 'deemed')`;
        if (dialect === 'postgres') {
          await sql`alter table agreement_acceptances drop constraint agreement_acceptances_channel_check`.execute(db);
          await sql`alter table agreement_acceptances add constraint agreement_acceptances_channel_check check (${channels})`.execute(db);
        } else {
          // SQLite cannot alter a CHECK: rebuild the table (nothing references it) and copy every row.
          await db.schema
            .createTable('agreement_acceptances_v2')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('version_id', 'text', (c) => c.notNull().references('agreement_versions.id'))
            .addColumn('subscriber_id', 'text', (c) => c.notNull())
            .addColumn('ra_id', 'text')
            .addColumn('channel', 'text', (c) => c.notNull().check(channels))
            .addColumn('accepted_at', 'text', (c) => c.notNull())
            .addColumn('client_address', 'text')
            .addColumn('recorded_by', 'text', (c) => c.notNull())
            .execute();
          await sql`insert into agreement_acceptances_v2 (id, version_id, subscriber_id, ra_id, channel, accepted_at, client_address, recorded_by)
                    select id, version_id, subscriber_id, ra_id, channel, accepted_at, client_address, recorded_by from agreement_acceptances`.execute(db);
          await db.schema.dropTable('agreement_acceptances').execute();
          await sql`alter table agreement_acceptances_v2 rename to agreement_acceptances`.execute(db);
          await db.schema.createIndex('agreement_acceptances_subscriber').on('agreement_acceptances').columns(['subscriber_id', 'accepted_at']).execute();
        }
        await db.schema.createIndex('agreement_acceptances_version').on('agreement_acceptances').columns(['version_id', 'subscriber_id']).execute();

        await db.schema
          .createTable('agreement_documents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('cps', 'notice')`))
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('title_zh', 'text', (c) => c.notNull())
          .addColumn('title_en', 'text', (c) => c.notNull())
          .addColumn('text_zh', 'text', (c) => c.notNull())
          .addColumn('text_en', 'text', (c) => c.notNull())
          .addColumn('text_sha256', 'text', (c) => c.notNull())
          .addColumn('effective_at', 'text', (c) => c.notNull())
          .addColumn('published_at', 'text', (c) => c.notNull())
          .addColumn('published_by', 'text', (c) => c.notNull())
          .addUniqueConstraint('agreement_documents_kind_version', ['kind', 'version'])
          .execute();

        await db.schema
          .createTable('agreement_objections')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('version_id', 'text', (c) => c.notNull().references('agreement_versions.id'))
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('written_reference', 'text', (c) => c.notNull())
          .addColumn('statement', 'text', (c) => c.notNull())
          .addColumn('revoked_serials', 'text', (c) => c.notNull())
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addColumn('recorded_by', 'text', (c) => c.notNull())
          .addUniqueConstraint('agreement_objections_once', ['version_id', 'subscriber_id'])
          .execute();
      },
    },
  };
}
