import { X509Certificate } from 'node:crypto';
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';

/**
 * The CA domain's migrations after the core schema: signing identities that
 * roll over (docs/operations.md). A delegated signer (OCSP responder, TSA)
 * now carries its validity, the moment it comes into force, the identity it
 * succeeds and where its key lives, so that every node picks the same one
 * from the store at the same moment.
 */
export function caMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0900_ca_signing_identity_rollover': {
      async up(db: Kysely<unknown>) {
        for (const column of ['not_before', 'not_after', 'in_force_from', 'predecessor_id']) {
          await db.schema.alterTable('delegated_signers').addColumn(column, 'text').execute();
        }
        // A successor keeps its predecessor's custody (HSM stays HSM); rows before this were all software.
        await db.schema.alterTable('delegated_signers').addColumn('key_storage', 'text', (c) => c.notNull().defaultTo('software')).execute();
        const rows = await sql<{ id: string; certificate_der: Buffer | Uint8Array; created_at: string }>`select id, certificate_der, created_at from delegated_signers`.execute(db);
        for (const row of rows.rows) {
          const certificate = new X509Certificate(Buffer.from(row.certificate_der));
          await sql`update delegated_signers set not_before = ${new Date(certificate.validFrom).toISOString()}, not_after = ${new Date(certificate.validTo).toISOString()}, in_force_from = ${row.created_at} where id = ${row.id}`.execute(db);
        }
        // Two nodes rolling the same identity at once: only one successor is recorded.
        await db.schema.createIndex('delegated_signers_one_successor').on('delegated_signers').column('predecessor_id').unique().execute();
        await db.schema.createIndex('delegated_signers_in_force').on('delegated_signers').columns(['purpose', 'issuer_ca_id', 'in_force_from']).execute();
      },
    },
    /**
     * The SM2 distinguishing ID of each SM2 key beside its public key
     * (sm2-identities.ts), so that a process that never unsealed a key still
     * verifies its signatures. Keys made before this are recorded when a
     * process first unseals them.
     */
    '1700_ca_sm2_key_identities': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('sm2_key_identities')
          .addColumn('spki_sha256', 'text', (c) => c.primaryKey())
          .addColumn('public_key_info', binaryType(dialect), (c) => c.notNull())
          .addColumn('distinguishing_id', 'text', (c) => c.notNull())
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    /**
     * CRL-only mode (SIGNET_CRL_ONLY, docs/status.md): whether a certificate's AIA names our OCSP responder.
     * Every certificate issued before this names it (1). The responder of a CRL-only deployment answers for
     * those until they expire, and for no other: a relying party was told to ask there, and nobody else was.
     * A constant default adds the column without rewriting the table (SQLite, PostgreSQL 11+).
     */
    '2610_ca_certificates_names_ocsp': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('certificates').addColumn('names_ocsp', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      },
    },
  };
}
