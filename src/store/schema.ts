

/**
 * One schema for SQLite and PostgreSQL. Times are ISO-8601 UTC strings
 * (`2026-11-24T05:04:24.000Z`) in both dialects so that ordering, comparison
 * and serialisation into audit entries are identical everywhere.
 * Binary columns are BLOB in SQLite and BYTEA in PostgreSQL; both arrive as Buffer.
 */
export interface CertificateAuthorityTable {
  id: string;
  role: 'root' | 'issuing';
  parent_id: string | null;
  name: string;
  key_algorithm: string;
  signature_scheme: string;
  certificate_serial: string;
  certificate_der: Buffer;
  /** 'offline': a root whose key left the online store at its ceremony (keyring.ts); the row holds only its fingerprint. */
  key_storage: 'software' | 'pkcs11' | 'offline';
  /** scrypt + AES-256-GCM envelope (JSON); never the key in clear. */
  encrypted_private_key: string | null;
  created_at: string;
}

export interface DelegatedSignerTable {
  id: string;
  purpose: 'ocsp' | 'tsa';
  issuer_ca_id: string;
  certificate_serial: string;
  certificate_der: Buffer;
  key_algorithm: string;
  signature_scheme: string;
  encrypted_private_key: string;
  active: number;
  created_at: string;
  /** Validity of its certificate, ISO-8601 (0900_ca_signing_identity_rollover). */
  not_before: string | null;
  not_after: string | null;
  /** When it takes over from its predecessor: the same moment on every node. */
  in_force_from: string | null;
  predecessor_id: string | null;
  key_storage: 'software' | 'pkcs11';
}

export interface IssuanceIntentTable {
  id: string;
  serial: string;
  issuer_ca_id: string;
  profile_id: string;
  tbs_sha256: string;
  /** Empty since issue 22 (tbs_sha256 names what was planned; the certificate holds the TBS signed); older intents may hold it. */
  tbs_der: Buffer;
  requested_by: string;
  reason: string;
  state: 'pending' | 'issued' | 'abandoned';
  created_at: string;
  resolved_at: string | null;
  /** The process instance that made the intent (process_instances.id); null for intents from before leases. */
  owner_instance: string | null;
}

export interface CertificateTable {
  serial: string;
  issuer_ca_id: string;
  profile_id: string;
  subject: string;
  subscriber_id: string | null;
  holder: string;
  spki_sha256: string;
  key_algorithm: string;
  not_before: string;
  not_after: string;
  der: Buffer;
  issued_at: string;
  /** 1 when the certificate's AIA names our OCSP responder, 0 when issued in CRL-only mode (src/ca/migrations.ts 2610). */
  names_ocsp: number;
}

export interface BlockedKeyTable {
  spki_sha256: string;
  reason: string;
  blocked_at: string;
}

export interface AuditEntryTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** A running process and its lease, by the database's clock (src/store/process-instances.ts). */
export interface ProcessInstanceTable {
  id: string;
  role: 'server' | 'command';
  host: string;
  pid: number;
  started_at: string;
  /** Epoch milliseconds on the database's clock. */
  lease_expires_ms: number | string;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface Database {
  certificate_authorities: CertificateAuthorityTable;
  delegated_signers: DelegatedSignerTable;
  issuance_intents: IssuanceIntentTable;
  certificates: CertificateTable;
  blocked_keys: BlockedKeyTable;
  audit_entries: AuditEntryTable;
  settings: SettingTable;
  process_instances: ProcessInstanceTable;
}
