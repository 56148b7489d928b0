import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';

/** The CMP door's own table: one row per transaction (RFC 4210 §5.1.1 transactionID), for replay refusal and certConf. */
export function cmpMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '2310_cmp_transactions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('cmp_transactions')
          // Hex of the client's transactionID: a second request with it is refused (transactionIdInUse).
          .addColumn('transaction_id', 'text', (c) => c.primaryKey())
          .addColumn('request_type', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('credential_id', 'text')
          .addColumn('certificate_serial', 'text')
          .addColumn('cert_req_id', 'integer')
          // kur: the certificate being replaced, and the request itself, kept while the RA reviews (pollReq answers from it).
          .addColumn('replaced_serial', 'text')
          .addColumn('request_der', binaryType(dialect))
          // Our last senderNonce: the client's next message must carry it as recipNonce (§5.1.1).
          .addColumn('server_nonce', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
  };
}

export interface CmpTransactionTable {
  transaction_id: string;
  request_type: 'ir' | 'cr' | 'p10cr' | 'kur' | 'rr';
  /** open: being answered; waiting: a kur the RA reviews; issued: waiting for certConf; confirmed / rejected: closed; revoked: rr done. */
  state: 'open' | 'waiting' | 'issued' | 'confirmed' | 'rejected' | 'revoked';
  credential_id: string | null;
  certificate_serial: string | null;
  cert_req_id: number | null;
  replaced_serial: string | null;
  request_der: Buffer | null;
  server_nonce: string;
  created_at: string;
  updated_at: string;
}

export interface CmpTables {
  cmp_transactions: CmpTransactionTable;
}
