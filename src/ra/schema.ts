import type { Kysely, Transaction } from 'kysely';
import type { SignetDatabase } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { AgreementTables } from '../agreement/schema.js';

/**
 * The RA's tables (migrations in ./migrations.ts). Times are ISO-8601 UTC
 * text, as everywhere in the store.
 */
export interface RaOrganisationTable {
  id: string;
  name: string;
  status: 'active' | 'merged' | 'withdrawn';
  /** Set when merged or withdrawn: who inherits its subscribers and pending work (R18). */
  successor_id: string | null;
  created_at: string;
  closed_at: string | null;
  closed_by: string | null;
  closing_reason: string | null;
  /** Who may approve an application (issue 20): 'two-person' refuses the officer who registered it; 'single-person' warns. */
  approval_policy: ApprovalPolicy;
}

export type ApprovalPolicy = 'two-person' | 'single-person';

export interface RaOperatorTable {
  id: string;
  username: string;
  display_name: string;
  role: 'ca-admin' | 'ra-admin' | 'ra-officer' | 'auditor';
  /** Null only for CA-wide roles (ca-admin, a CA-wide auditor). */
  ra_id: string | null;
  /** scrypt$N$r$p$salt$hash, never a plain digest. */
  password_hash: string;
  failed_logins: number;
  locked_until: string | null;
  status: 'active' | 'disabled';
  created_at: string;
  created_by: string;
}

export interface RaSessionTable {
  /** SHA-256 of the cookie value: a stolen database does not yield live sessions. */
  token_sha256: string;
  operator_id: string;
  csrf_sha256: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  client_address: string | null;
}

export interface RaApiTokenTable {
  id: string;
  token_sha256: string;
  operator_id: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface RaSubscriberTable {
  id: string;
  /** The subscriber's RA today: the "original RA" of the agreement, or its successor (R18). */
  ra_id: string;
  type: 'individual' | 'enterprise';
  /** Display name of the current version (person or enterprise), for lists. */
  name: string;
  /**
   * Resident ID / passport number, or the USCC: unique per type among live
   * subscribers. With a personal-data key, a keyed blind index of it
   * (`bi1.<keyId>.<hex>`), never the number (R2).
   */
  identifier: string;
  /** The identifier masked, for lists (null on rows from before 0710). */
  identifier_masked?: string | null;
  /** Blind index of a person's full name, for exact search; the name column then holds the masked name. */
  name_index?: string | null;
  current_version: number;
  created_at: string;
  created_by: string;
}

export interface RaSubscriberVersionTable {
  subscriber_id: string;
  version: number;
  /** The whole record as JSON: what was on file from valid_from until valid_until (R3). */
  data: string;
  valid_from: string;
  valid_until: string | null;
  recorded_by: string;
  change_request_id: string | null;
}

export interface RaMembershipTable {
  id: string;
  subscriber_id: string;
  ra_id: string;
  from_at: string;
  until_at: string | null;
  /** registered, or how it arrived: merged / withdrawn from the predecessor RA. */
  reason: string;
  predecessor_ra_id: string | null;
}

export interface RaDocumentTable {
  id: string;
  subscriber_id: string;
  kind: string;
  filename: string;
  media_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string;
  uploaded_at: string;
}

export interface RaApplicationTable {
  id: string;
  subscriber_id: string;
  ra_id: string;
  kind: 'new' | 'renewal' | 'rekey' | 'reissue';
  purpose: 'signing' | 'encryption';
  profile_id: string;
  key_generation: 'subscriber' | 'server';
  status: 'submitted' | 'in-review' | 'approved' | 'rejected' | 'completed';
  /** The subscriber version the officer reviewed: the certificate says exactly that. */
  subscriber_version: number;
  /** Renewal, re-key, re-issue: the certificate this one replaces. */
  replaces_serial: string | null;
  submitted_by: string;
  submitted_at: string;
  reviewer_id: string | null;
  review_started_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  certificate_serial: string | null;
}

export interface RaDownloadCredentialTable {
  id: string;
  application_id: string;
  reference_number: string;
  /** scrypt$N$r$p$salt$hash of the authorization code; the code itself is shown once. */
  code_hash: string;
  status: 'issued' | 'used' | 'locked' | 'superseded';
  failed_attempts: number;
  expires_at: string;
  created_at: string;
  used_at: string | null;
  /**
   * The code sealed with the personal-data key (AES-256-GCM, src/service/personal-data.ts), for CMP's
   * password-based MAC (RFC 4210 §5.1.3.1), which the server can check only knowing the secret; null
   * for credentials from before issue 21 or without a personal-data key.
   */
  code_sealed?: string | null;
}

export interface RaDelegationTable {
  id: string;
  subscriber_id: string;
  agent_name: string;
  agent_id_type: string;
  agent_id_number: string;
  /** JSON array of what the agent may do: download. */
  scope: string;
  expires_at: string;
  evidence_document_id: string;
  status: 'active' | 'revoked';
  created_by: string;
  created_at: string;
}

export interface RaChangeRequestTable {
  id: string;
  subscriber_id: string;
  ra_id: string;
  /** JSON of the fields to change, with their new values. */
  changes: string;
  status: 'submitted' | 'approved' | 'rejected';
  base_version: number;
  submitted_by: string;
  submitted_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
}

/** The subscriber's own access to the portal (R0, R3, R6, R7 without an officer in between). */
export interface RaPortalAccessTable {
  subscriber_id: string;
  /** 16 digits, given at registration (or by the RA later): finds the access. */
  tracking_number: string;
  /** scrypt$N$r$p$salt$hash of the tracking code; the code itself is shown once. */
  code_hash: string;
  status: 'active' | 'locked';
  failed_attempts: number;
  issued_at: string;
  issued_by: string;
}

export interface RaPortalSessionTable {
  /** SHA-256 of the bearer token: a stolen database does not yield live sessions. */
  token_sha256: string;
  subscriber_id: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  client_address: string | null;
}

/** One row per guessable secret (see attempts.ts): attempts counted before the secret is evaluated. */
export interface RaSecretAttemptTable {
  /** What is guessed: credential:<id>, portal:<tracking number>, login:<username>@<source>, login:<username>. */
  key: string;
  attempts: number;
  window_started: string;
  last_at: string;
}

export interface RaTables {
  ra_organisations: RaOrganisationTable;
  ra_operators: RaOperatorTable;
  ra_sessions: RaSessionTable;
  ra_api_tokens: RaApiTokenTable;
  ra_subscribers: RaSubscriberTable;
  ra_subscriber_versions: RaSubscriberVersionTable;
  ra_memberships: RaMembershipTable;
  ra_documents: RaDocumentTable;
  ra_applications: RaApplicationTable;
  ra_download_credentials: RaDownloadCredentialTable;
  ra_delegations: RaDelegationTable;
  ra_change_requests: RaChangeRequestTable;
  ra_portal_access: RaPortalAccessTable;
  ra_portal_sessions: RaPortalSessionTable;
  ra_secret_attempts: RaSecretAttemptTable;
}

export type RaDatabase = Database & RaTables & AgreementTables;
export type RaDb = Kysely<RaDatabase>;
export type RaTx = Transaction<RaDatabase> | Kysely<RaDatabase>;

/** The shared store seen with the RA's tables (the core schema file lists only the core's). */
export function raDb(store: SignetDatabase): RaDb {
  return store.db as unknown as RaDb;
}
