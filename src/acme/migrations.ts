import type { Kysely, Migration } from 'kysely';
import type { Dialect, SignetDatabase } from '../store/database.js';

/** Nonces live in the store so that any Signet process behind a load balancer accepts a nonce another gave out (RFC 8555 §6.5). */
export interface AcmeNonceTable {
  value: string;
  expires_at: string;
}

/**
 * External Account Bindings (RFC 8555 §7.3.4): the RA's decision, for one
 * subscriber it verified, of which names an ACME account may order, under
 * which profiles and for how long. The MAC key is given to the subscriber
 * once; the first account it binds is the only one.
 */
export interface AcmeBindingTable {
  key_id: string;
  /** base64url of the HMAC key; it must be readable to check the binding's MAC. */
  mac_key: string;
  subscriber_id: string;
  ra_id: string;
  /** JSON array: `example.com` (that name) or `*.example.com` (every name under it, and itself). */
  identifiers: string;
  /** JSON array of profile ids; the first is the default. */
  profiles: string;
  validity_days: number;
  /** Until when the binding lets its account order (ISO). */
  expires_at: string;
  created_by: string;
  created_at: string;
  account_id: string | null;
  revoked_at: string | null;
}

export interface AcmeAccountTable {
  id: string;
  /** RFC 7638 thumbprint of the current account key; a key belongs to one account at a time. */
  thumbprint: string;
  jwk: string;
  status: 'valid' | 'deactivated' | 'revoked';
  contact: string;
  binding_key_id: string;
  subscriber_id: string;
  created_at: string;
}

export interface AcmeOrderTable {
  id: string;
  account_id: string;
  status: 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
  /** JSON array of DNS names, in the order asked. */
  identifiers: string;
  profile_id: string;
  expires_at: string;
  created_at: string;
  /** JSON problem document when invalid. */
  error: string | null;
  certificate_serial: string | null;
  /** ARI (RFC 9773 §5): the serial of the certificate this order renews. */
  replaces: string | null;
}

export interface AcmeAuthorizationTable {
  id: string;
  order_id: string;
  account_id: string;
  identifier: string;
  status: 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
  expires_at: string;
}

export interface AcmeChallengeTable {
  id: string;
  authorization_id: string;
  type: string;
  token: string;
  status: 'pending' | 'processing' | 'valid' | 'invalid';
  validated_at: string | null;
  error: string | null;
}

export interface AcmeTables {
  acme_nonces: AcmeNonceTable;
  acme_bindings: AcmeBindingTable;
  acme_accounts: AcmeAccountTable;
  acme_orders: AcmeOrderTable;
  acme_authorizations: AcmeAuthorizationTable;
  acme_challenges: AcmeChallengeTable;
}

export type AcmeDb = Kysely<AcmeTables>;

/** The ACME domain's view of the store: its own tables only. */
export function acmeDb(store: SignetDatabase): AcmeDb {
  return store.db as unknown as AcmeDb;
}

export function acmeMigrations(_dialect: Dialect): Record<string, Migration> {
  return {
    '2100_acme_core': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('acme_nonces').addColumn('value', 'text', (c) => c.primaryKey()).addColumn('expires_at', 'text', (c) => c.notNull()).execute();
        await db.schema.createIndex('acme_nonces_expiry').on('acme_nonces').column('expires_at').execute();
        await db.schema
          .createTable('acme_bindings')
          .addColumn('key_id', 'text', (c) => c.primaryKey())
          .addColumn('mac_key', 'text', (c) => c.notNull())
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('ra_id', 'text', (c) => c.notNull())
          .addColumn('identifiers', 'text', (c) => c.notNull())
          .addColumn('profiles', 'text', (c) => c.notNull())
          .addColumn('validity_days', 'integer', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          // One account per binding: unique, so two racing registrations cannot both take it.
          .addColumn('account_id', 'text', (c) => c.unique())
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema.createIndex('acme_bindings_subscriber').on('acme_bindings').column('subscriber_id').execute();
        await db.schema
          .createTable('acme_accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('thumbprint', 'text', (c) => c.notNull().unique())
          .addColumn('jwk', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('contact', 'text', (c) => c.notNull())
          .addColumn('binding_key_id', 'text', (c) => c.notNull().references('acme_bindings.key_id'))
          .addColumn('subscriber_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('acme_orders')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('acme_accounts.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('identifiers', 'text', (c) => c.notNull())
          .addColumn('profile_id', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('certificate_serial', 'text')
          .addColumn('replaces', 'text')
          .execute();
        await db.schema.createIndex('acme_orders_account').on('acme_orders').columns(['account_id', 'created_at']).execute();
        await db.schema.createIndex('acme_orders_serial').on('acme_orders').column('certificate_serial').execute();
        await db.schema
          .createTable('acme_authorizations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('order_id', 'text', (c) => c.notNull().references('acme_orders.id'))
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('identifier', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('acme_authorizations_order').on('acme_authorizations').column('order_id').execute();
        await db.schema.createIndex('acme_authorizations_account').on('acme_authorizations').columns(['account_id', 'status']).execute();
        await db.schema
          .createTable('acme_challenges')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('authorization_id', 'text', (c) => c.notNull().references('acme_authorizations.id'))
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('token', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('validated_at', 'text')
          .addColumn('error', 'text')
          .execute();
        await db.schema.createIndex('acme_challenges_authorization').on('acme_challenges').column('authorization_id').execute();
      },
    },
  };
}
