import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect, SignetDatabase } from './database.js';
import { statusMigrations } from '../status/migrations.js';
import { tsaMigrations } from '../tsa/migrations.js';
import { evidenceMigrations } from '../evidence/migrations.js';
import { raMigrations } from '../ra/migrations.js';
import { agreementMigrations } from '../agreement/migrations.js';
import { kmcMigrations } from '../kmc/migrations.js';
import { serviceMigrations } from '../service/migrations.js';
import { auditMigrations } from '../audit/migrations.js';
import { caMigrations } from '../ca/migrations.js';
import { acmeMigrations } from '../acme/migrations.js';
import { cmpMigrations } from '../cmp/migrations.js';
import { scepMigrations } from '../scep/migrations.js';

/**
 * Migrations are code, not files, so that the compiled package carries them and
 * each can adapt its DDL to the dialect. Never edit a released migration: add one.
 */
export type DomainMigrations = (dialect: Dialect) => Record<string, Migration>;

/**
 * Each domain owns its tables and writes its migrations in
 * src/<domain>/migrations.ts; this list is the one place that orders them.
 * Names sort globally (NNNN_domain_what) and a database always sees them all.
 */
const domainMigrations: DomainMigrations[] = [coreMigrations, tsaMigrations, evidenceMigrations, statusMigrations, agreementMigrations, raMigrations, kmcMigrations, serviceMigrations, auditMigrations, caMigrations, acmeMigrations, cmpMigrations, scepMigrations];

export function binaryType(dialect: Dialect): 'bytea' | 'blob' {
  return dialect === 'postgres' ? 'bytea' : 'blob';
}

function coreMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0001_ca_core': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('certificate_authorities')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('root', 'issuing')`))
          .addColumn('parent_id', 'text', (c) => c.references('certificate_authorities.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('signature_scheme', 'text', (c) => c.notNull())
          .addColumn('certificate_serial', 'text', (c) => c.notNull())
          .addColumn('certificate_der', binary, (c) => c.notNull())
          .addColumn('key_storage', 'text', (c) => c.notNull())
          .addColumn('encrypted_private_key', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('issuance_intents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          // The serial is reserved here, before signing, and never released: a
          // crash after this row exists can never lead to the serial's reuse.
          .addColumn('serial', 'text', (c) => c.notNull().unique())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('tbs_sha256', 'text', (c) => c.notNull())
          .addColumn('tbs_der', binary, (c) => c.notNull())
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'issued', 'abandoned')`))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('resolved_at', 'text')
          .execute();
        await db.schema.createIndex('issuance_intents_state').on('issuance_intents').column('state').execute();

        await db.schema
          .createTable('certificates')
          .addColumn('serial', 'text', (c) => c.primaryKey().references('issuance_intents.serial'))
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('subscriber_id', 'text')
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('spki_sha256', 'text', (c) => c.notNull())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('not_before', 'text', (c) => c.notNull())
          .addColumn('not_after', 'text', (c) => c.notNull())
          .addColumn('der', binary, (c) => c.notNull())
          .addColumn('issued_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('certificates_spki').on('certificates').column('spki_sha256').execute();
        await db.schema.createIndex('certificates_not_after').on('certificates').column('not_after').execute();
        await db.schema.createIndex('certificates_issuer').on('certificates').columns(['issuer_ca_id', 'serial']).execute();

        await db.schema
          .createTable('delegated_signers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('ocsp', 'tsa')`))
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull().references('certificate_authorities.id'))
          .addColumn('certificate_serial', 'text', (c) => c.notNull().references('certificates.serial'))
          .addColumn('certificate_der', binary, (c) => c.notNull())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('signature_scheme', 'text', (c) => c.notNull())
          .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('blocked_keys')
          .addColumn('spki_sha256', 'text', (c) => c.primaryKey())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('blocked_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('audit_entries')
          // seq is assigned by the appender (last + 1): two writers racing for the
          // same position collide on the primary key instead of forking the chain.
          .addColumn('seq', 'bigint', (c) => c.primaryKey())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .addColumn('prev_hash', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .execute();
        await refuseAuditRewrites(db, dialect);
      },
    },
    '0800_ca_intent_owner_leases': {
      async up(db: Kysely<unknown>) {
        // Who is alive, by the database's clock: an intent may be closed as abandoned only once its owner's lease ran out.
        await db.schema
          .createTable('process_instances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('server', 'command')`))
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('lease_expires_ms', 'bigint', (c) => c.notNull())
          .execute();
        // A column of its own, apart from the intent's content: the owner is bookkeeping, not part of what was planned.
        await db.schema.alterTable('issuance_intents').addColumn('owner_instance', 'text').execute();
      },
    },
    // Issue 22: intents keep tbs_sha256, not the TBS (the certificate row holds it signed); older issued ones are cleared.
    '0810_ca_issued_intents_without_tbs': {
      async up(db: Kysely<unknown>) {
        await (db as Kysely<{ issuance_intents: { state: string; tbs_der: Buffer } }>)
          .updateTable('issuance_intents')
          .set({ tbs_der: Buffer.alloc(0) })
          .where('state', '=', 'issued')
          .execute();
      },
    },
  };
}

/** R20: the database itself refuses to rewrite history, whatever the application does. */
async function refuseAuditRewrites(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(
          `CREATE TRIGGER audit_entries_no_${op.toLowerCase()} BEFORE ${op} ON audit_entries ` +
            `BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END`,
        )
        .execute(db);
    }
    return;
  }
  await sql
    .raw(
      `CREATE FUNCTION signet_refuse_audit_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entries
       FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_audit_rewrite()`,
    )
    .execute(db);
}

/** Every domain's migrations, by name; exported for tests that stop at an older schema. */
export class CodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const all: Record<string, Migration> = {};
    for (const domain of domainMigrations) {
      for (const [name, migration] of Object.entries(domain(this.dialect))) {
        if (all[name]) throw new Error(`two migrations are named ${name}`);
        all[name] = migration;
      }
    }
    return all;
  }
}

export async function migrateToLatest(store: SignetDatabase): Promise<void> {
  // Domains number their migrations independently and branches land in any order (two 2610s landed on one day):
  // a store that already ran a later-named one still runs an earlier-named one it lacks, instead of refusing to open.
  const migrator = new Migrator({ db: store.db, provider: new CodeMigrations(store.dialect), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
