import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';

/**
 * The key management centre's tables (GM/T 0034 / GB/T 25056). They share
 * the store with the CA today, but nothing here references a CA table: the
 * KMC can move to its own database and process unchanged.
 */
export function kmcMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0500_kmc_keys_escrow_recovery': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('kmc_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('signing', 'escrow')`))
          .addColumn('public_key_info', binary, (c) => c.notNull())
          .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('kmc_trusted_cas')
          .addColumn('ca_id', 'text', (c) => c.primaryKey())
          .addColumn('public_key_info', binary, (c) => c.notNull())
          .addColumn('distinguishing_id', 'text')
          .addColumn('registered_by', 'text', (c) => c.notNull())
          .addColumn('registered_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('kmc_requests')
          .addColumn('request_id', 'text', (c) => c.primaryKey())
          .addColumn('ca_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('kmc_escrowed_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('ca_id', 'text', (c) => c.notNull())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('public_key_info', binary, (c) => c.notNull())
          .addColumn('spki_sha256', 'text', (c) => c.notNull().unique())
          .addColumn('escrow_key_id', 'text', (c) => c.notNull().references('kmc_keys.id'))
          .addColumn('escrow_envelope', binary, (c) => c.notNull())
          .addColumn('delivered_to_sha256', 'text', (c) => c.notNull())
          .addColumn('certificate_serial', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('kmc_escrowed_keys_serial').on('kmc_escrowed_keys').column('certificate_serial').execute();
        await db.schema
          .createTable('kmc_operators')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('recovery-officer', 'judicial-officer')`))
          .addColumn('public_key_info', binary, (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('kmc_recoveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('escrow_id', 'text', (c) => c.notNull().references('kmc_escrowed_keys.id'))
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('subscriber', 'judicial')`))
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .addColumn('justification', 'text', (c) => c.notNull())
          .addColumn('deliver_to', binary, (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'delivered')`))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('delivered_at', 'text')
          .execute();
        await db.schema
          .createTable('kmc_recovery_approvals')
          .addColumn('recovery_id', 'text', (c) => c.notNull().references('kmc_recoveries.id'))
          .addColumn('operator_id', 'text', (c) => c.notNull().references('kmc_operators.id'))
          .addColumn('signature', binary, (c) => c.notNull())
          .addColumn('approved_at', 'text', (c) => c.notNull())
          // One approval per operator: two approvals means two people.
          .addPrimaryKeyConstraint('kmc_recovery_approvals_pk', ['recovery_id', 'operator_id'])
          .execute();
      },
    },
  };
}
