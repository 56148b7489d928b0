import type { Kysely, Transaction } from 'kysely';
import type { SignetDatabase } from '../store/database.js';
import type { Database } from '../store/schema.js';

/** The KMC's own keys: one signs its responses, one escrows subscribers' keys (never the same key). */
export interface KmcKeyTable {
  id: string;
  purpose: 'signing' | 'escrow';
  public_key_info: Buffer;
  /** Sealed PKCS#8 (key-envelope.ts), bound to the id. */
  encrypted_private_key: string;
  active: number;
  created_at: string;
}

/** CAs whose signed requests the KMC answers. */
export interface KmcTrustedCaTable {
  ca_id: string;
  public_key_info: Buffer;
  distinguishing_id: string | null;
  registered_by: string;
  registered_at: string;
}

/** Every request id ever answered: a replayed request is refused. */
export interface KmcRequestTable {
  request_id: string;
  ca_id: string;
  type: string;
  received_at: string;
}

/** An escrowed encryption key pair: the private key only as an SM2EnvelopedKey to the escrow key. */
export interface KmcEscrowedKeyTable {
  id: string;
  ca_id: string;
  holder: string;
  public_key_info: Buffer;
  spki_sha256: string;
  escrow_key_id: string;
  escrow_envelope: Buffer;
  /** The signing key the key pair was first delivered to. */
  delivered_to_sha256: string;
  certificate_serial: string | null;
  created_at: string;
}

export interface KmcOperatorTable {
  id: string;
  name: string;
  role: 'recovery-officer' | 'judicial-officer';
  public_key_info: Buffer;
  created_at: string;
}

export interface KmcRecoveryTable {
  id: string;
  escrow_id: string;
  kind: 'subscriber' | 'judicial';
  requested_by: string;
  justification: string;
  /** SPKI of the SM2 key the recovered key is enveloped to. */
  deliver_to: Buffer;
  state: 'pending' | 'delivered';
  created_at: string;
  delivered_at: string | null;
}

export interface KmcRecoveryApprovalTable {
  recovery_id: string;
  operator_id: string;
  signature: Buffer;
  approved_at: string;
}

export interface KmcDatabase extends Database {
  kmc_keys: KmcKeyTable;
  kmc_trusted_cas: KmcTrustedCaTable;
  kmc_requests: KmcRequestTable;
  kmc_escrowed_keys: KmcEscrowedKeyTable;
  kmc_operators: KmcOperatorTable;
  kmc_recoveries: KmcRecoveryTable;
  kmc_recovery_approvals: KmcRecoveryApprovalTable;
}

export type KmcTx = Transaction<KmcDatabase> | Kysely<KmcDatabase>;

export function kmcDb(store: SignetDatabase): Kysely<KmcDatabase> {
  return store.db as unknown as Kysely<KmcDatabase>;
}
