import { sql, type Kysely, type Migration } from 'kysely';
import { binaryType } from '../store/migrations.js';
import type { Dialect } from '../store/database.js';

/** R20: the audit key and the signed checkpoints over the hash chain. */
export function auditMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0620_audit_checkpoints': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('audit_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('signature_scheme', 'text', (c) => c.notNull())
          .addColumn('public_key_info', binary, (c) => c.notNull())
          .addColumn('spki_sha256', 'text', (c) => c.notNull().unique())
          // Sealed like every CA key (R21): PKCS#8 under scrypt + AES-256-GCM, bound to the key id.
          .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('audit_checkpoints')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('up_to_seq', 'bigint', (c) => c.notNull().unique())
          .addColumn('head_hash', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text', (c) => c.notNull().references('audit_keys.id'))
          // The exact bytes signed (canonical JSON), kept so verification never depends on re-serialisation.
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('signature_algorithm', binary, (c) => c.notNull())
          .addColumn('signature', binary, (c) => c.notNull())
          .addColumn('timestamp_token', binary)
          .execute();
        if (dialect === 'sqlite') {
          for (const op of ['UPDATE', 'DELETE']) {
            await sql
              .raw(`CREATE TRIGGER audit_checkpoints_no_${op.toLowerCase()} BEFORE ${op} ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END`)
              .execute(db);
          }
        } else {
          // signet_refuse_audit_rewrite() was created with the audit log itself (0001_ca_core).
          await sql
            .raw(`CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_audit_rewrite()`)
            .execute(db);
        }
      },
    },
    '0920_audit_key_storage': {
      async up(db: Kysely<unknown>) {
        // Where the audit key lives: sealed in software (the column holds the envelope) or in the
        // HSM (it holds only the token locator). Keys made before were all software.
        await db.schema.alterTable('audit_keys').addColumn('key_storage', 'text', (c) => c.notNull().defaultTo('software')).execute();
      },
    },
  };
}
