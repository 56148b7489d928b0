import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';

/**
 * The SCEP door's own tables: its RSA registration-authority identities
 * (docs/est-cmp-scep.md, "why an RA certificate") and one row per
 * transaction (RFC 8894 §3.2.1.1 transactionID), kept while a renewal waits
 * for the RA's review so CertPoll can be answered.
 */
export function scepMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '2320_scep': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('scep_ra_identities')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull().references('certificate_authorities.id'))
          .addColumn('certificate_serial', 'text', (c) => c.notNull().references('certificates.serial'))
          .addColumn('certificate_der', binary, (c) => c.notNull())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('key_storage', 'text', (c) => c.notNull())
          .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
          .addColumn('not_before', 'text', (c) => c.notNull())
          .addColumn('not_after', 'text', (c) => c.notNull())
          .addColumn('in_force_from', 'text', (c) => c.notNull())
          // One successor per identity, and one first identity per CA: two nodes making one at once collide here.
          .addColumn('predecessor_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('scep_ra_identities_one_successor', ['issuer_ca_id', 'predecessor_id'])
          .execute();
        await db.schema
          .createTable('scep_transactions')
          // The client's transactionID (a PrintableString) and the SHA-256 of the certificate that signed it: a
          // transaction belongs to the key that opened it, so another client cannot poll or replay into it.
          .addColumn('transaction_id', 'text', (c) => c.notNull())
          .addColumn('signer_sha256', 'text', (c) => c.notNull())
          .addColumn('message_type', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('replaced_serial', 'text')
          .addColumn('request_der', binary, (c) => c.notNull())
          .addColumn('certificate_serial', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('scep_transactions_pk', ['transaction_id', 'signer_sha256'])
          .execute();
      },
    },
  };
}

export interface ScepRaIdentityTable {
  id: string;
  issuer_ca_id: string;
  certificate_serial: string;
  certificate_der: Buffer;
  key_algorithm: string;
  key_storage: 'software' | 'pkcs11';
  encrypted_private_key: string;
  not_before: string;
  not_after: string;
  in_force_from: string;
  /** '-' for a CA's first identity (a NULL would not take part in the unique constraint). */
  predecessor_id: string;
  created_at: string;
}

export interface ScepTransactionTable {
  transaction_id: string;
  signer_sha256: string;
  message_type: 'PKCSReq' | 'RenewalReq';
  /** pending: a renewal the RA reviews; issued: answered with a certificate. */
  state: 'pending' | 'issued';
  replaced_serial: string | null;
  /** The PKCS#10 as the client sent it: a CertPoll carries none, and the certificate is issued from this. */
  request_der: Buffer;
  certificate_serial: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScepTables {
  scep_ra_identities: ScepRaIdentityTable;
  scep_transactions: ScepTransactionTable;
}
