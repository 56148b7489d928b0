import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { SignetDatabase } from '../store/database.js';

/** A revocation: final, one per certificate (R7, R15). Times are ISO-8601 UTC. */
export interface RevocationTable {
  serial: string;
  issuer_ca_id: string;
  /** RFC 5280 §5.3.1 CRLReason. */
  reason_code: number;
  /** The CA-initiated ground of R15, when the CA revoked on its own motion. */
  ground: string | null;
  revoked_at: string;
  invalidity_date: string | null;
  requested_by: string;
  justification: string | null;
  channel: 'subscriber' | 'rights-holder' | 'ra' | 'ca';
  not_after: string;
  /** Its place in the order revocations committed (status_counters 'revocations'); null only before 0910's backfill. */
  commit_seq: number | string | null;
  /** The certificate's shard key for partitioned CRLs (src/ca/crl-partition.ts); null only for rows 2200 found no certificate for. */
  crl_shard: string | null;
}

/** Every CRL ever published, its signed bytes untouched (R14). */
export interface CrlArchiveTable {
  id: string;
  issuer_ca_id: string;
  crl_number: number | string;
  kind: 'full' | 'delta';
  base_crl_number: number | string | null;
  this_update: string;
  next_update: string;
  entries: number | string;
  sha256: string;
  der: Buffer;
  published_by: string;
  created_at: string;
  /** The revocation counter value the CRL covers: with its base, every revocation numbered up to it. */
  revocations_through: number | string | null;
  /** A partition CRL (RFC 5280 §5.2.5): partition_index of partition_count; both null for the full or delta CRL. */
  partition_count: number | string | null;
  partition_index: number | string | null;
  /** How many pieces in crl_archive_pieces hold the CRL (der then empty); null: der holds it whole (short CRLs, rows before 2500). */
  pieces: number | string | null;
}

/** A long CRL's bytes in order (crl_archive.pieces): seq 0, 1, … joined are the DER. Kept unchanged once its row exists. */
export interface CrlArchivePieceTable {
  crl_id: string;
  seq: number;
  bytes: Buffer;
  created_at: string;
}

/** Counters bumped inside the transactions they order (status_counters 'revocations'). */
export interface StatusCounterTable {
  name: string;
  value: number | string;
}

/** Pre-signed OCSP responses for requests without a nonce (RFC 5019 §2.2). */
export interface OcspResponseTable {
  /** ocspAnswerKey(CertID DER) (migration 2700): the row's key; cert_id is still compared on every read. */
  id: string;
  cert_id: string;
  serial: string;
  issuer_ca_id: string;
  status: 'good' | 'revoked' | 'unknown';
  this_update: string;
  next_update: string;
  /** The answer's strong ETag (RFC 5019 §6.2), written with it; null on rows copied by migration 2700. */
  etag: string | null;
  der: Buffer;
}

/** OCSP responses about the root's certificates, signed by the root in a ceremony (the root stays offline). */
export interface RootOcspResponseTable {
  cert_id: string;
  this_update: string;
  next_update: string;
  serial: string;
  issuer_ca_id: string;
  status: 'good' | 'revoked';
  der: Buffer;
  ceremony_id: string;
}

/** Background work runs on whichever node holds the lease (docs/architecture.md, scale-out). */
export interface StatusLeaseTable {
  name: string;
  holder: string;
  expires_at: string;
}

export interface StatusDatabase extends Database {
  revocations: RevocationTable;
  crl_archive: CrlArchiveTable;
  crl_archive_pieces: CrlArchivePieceTable;
  ocsp_responses: OcspResponseTable;
  status_leases: StatusLeaseTable;
  root_ocsp_responses: RootOcspResponseTable;
  status_counters: StatusCounterTable;
}

export type StatusTx = Transaction<StatusDatabase> | Kysely<StatusDatabase>;

/** The store's tables are declared per domain; the status domain sees its own beside the core ones. */
export function statusDb(store: SignetDatabase): Kysely<StatusDatabase> {
  return store.db as unknown as Kysely<StatusDatabase>;
}
