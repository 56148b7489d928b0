import { appendAuditEntry, type AuditEvent } from '../audit/audit-log.js';
import type { AgreementRegistry } from '../agreement/agreements.js';
import type { CertificateAuthority } from '../ca/authority.js';
import type { PersonalDataCipher } from '../service/personal-data.js';
import type { SignetDatabase, Tx } from '../store/database.js';
import type { CertificateRevoker } from './revocation.js';
import type { RaDb, RaTx } from './schema.js';
import type { RaSettings } from './settings.js';

/** What every part of the RA works with; built once by RegistrationAuthority. */
export interface RaContext {
  store: SignetDatabase;
  db: RaDb;
  ca: CertificateAuthority;
  agreements: AgreementRegistry;
  revoker: CertificateRevoker;
  settings: RaSettings;
  clock: () => Date;
  /** R2: subscriber records are sealed with it when configured. */
  personalData?: PersonalDataCipher;
  /** Notices to subscribers at their contact on file (the service domain's outbox); optional in tests. */
  notices?: SubscriberNotices;
}

/** What the RA asks another domain to tell a subscriber out of band. */
export interface SubscriberNotices {
  /** A portal registration named this subscriber's identity number (issue 16 §3). */
  registrationAttempted(subscriberId: string, at: Date): Promise<void>;
  /** An application was approved (issue 20); queued in the approval's transaction, so it is sent exactly when the approval holds. */
  applicationApproved(trx: Tx, approval: ApprovalNotice, at: Date): Promise<void>;
}

/** What the approval notice says: never the authorization code, which only the officer hands over (R4). */
export interface ApprovalNotice {
  subscriberId: string;
  applicationId: string;
  purpose: 'signing' | 'encryption';
  credentialExpiresAt: string;
}

/** Every RA state change is an audit entry in the same transaction (R20). */
export async function audit(context: RaContext, trx: RaTx, event: AuditEvent, at: Date): Promise<void> {
  await appendAuditEntry(trx as unknown as Tx, context.store.dialect, event, at);
}

export const DAY_MS = 86_400_000;
