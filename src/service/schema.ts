import type { Kysely, Transaction } from 'kysely';
import type { SignetDatabase } from '../store/database.js';
import type { Database } from '../store/schema.js';

/** The service domain's tables (migrations in ./migrations.ts). Times are ISO-8601 UTC text; money is integer fen. */

/** One year of the working-day calendar (R12): statutory holidays and make-up working days. */
export interface CalendarYearTable {
  year: number;
  /** JSON: [{ name, from, to }] with dates YYYY-MM-DD (Asia/Shanghai calendar days). */
  holidays: string;
  /** JSON: ["YYYY-MM-DD", …]: weekend days that are working days. */
  make_up_workdays: string;
  source: string;
  loaded_at: string;
  loaded_by: string;
}

export interface ComplaintTable {
  id: string;
  received_at: string;
  /** The Shanghai calendar day it was received. */
  received_day: string;
  channel: 'phone' | 'email' | 'web' | 'letter' | 'counter';
  subscriber_id: string | null;
  certificate_serial: string | null;
  /** Sealed JSON { name, contact } (personal data, R2); null once anonymised. */
  complainant: string | null;
  /** Sealed text of the complaint; null once anonymised. */
  description: string | null;
  category: string;
  /** End of the 7th working day after the day received, as a UTC instant. */
  due_at: string;
  due_day: string;
  status: 'open' | 'responded';
  response: string | null;
  responded_at: string | null;
  responded_by: string | null;
  filed_by: string;
  anonymised_at: string | null;
}

/** The notification outbox: written in the same transaction as what it announces; a sender delivers later. */
export interface NotificationTable {
  id: string;
  /** `subscriber:<id>`; the sender resolves the address through the RA. */
  recipient: string;
  kind: 'agreement-published' | 'cps-published' | 'notice-published' | 'renewal-reminder' | 'complaint-response' | 'dispute' | 'registration-attempt' | 'application-approved';
  /** Makes enqueuing idempotent: the same announcement is queued once per recipient. */
  dedupe_key: string;
  subject_zh: string;
  subject_en: string;
  body_zh: string;
  body_en: string;
  created_at: string;
  /** When the SMTP server accepted the message (2xx after DATA); never set before. */
  sent_at: string | null;
  attempts: number;
  last_error: string | null;
  /** pending → sent, or → undeliverable (no address on file, or the recipient refused for good). */
  state: 'pending' | 'sent' | 'undeliverable';
  /** Not before this instant (the retry backoff, or another node's claim); null: at once. */
  next_attempt_at: string | null;
  /** The Message-ID sent (the same on every attempt, so a receiver can drop a repeat). */
  message_id: string | null;
  /** What the server said when it accepted the message. */
  server_response: string | null;
}

export interface LiabilityCapTable {
  /** A certificate profile id, or `default`. */
  policy_id: string;
  subscriber_type: 'individual' | 'enterprise';
  cap_fen: number | string;
  updated_at: string;
  updated_by: string;
}

/** One row per certificate with a claim: the cap fixed at the first claim, and what was paid so far. */
export interface LiabilityLedgerTable {
  certificate_serial: string;
  subscriber_type: 'individual' | 'enterprise';
  cap_fen: number | string;
  paid_fen: number | string;
  updated_at: string;
}

export interface LiabilityClaimTable {
  id: string;
  certificate_serial: string;
  /** Sealed JSON { name, contact }. */
  claimant: string | null;
  description: string | null;
  amount_claimed_fen: number | string;
  status: 'registered' | 'paid' | 'rejected';
  paid_fen: number | string;
  registered_at: string;
  registered_by: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_note: string | null;
}

export interface FeeScheduleTable {
  id: string;
  ra_id: string;
  profile_id: string;
  validity_days: number;
  amount_fen: number | string;
  effective_from: string;
  created_at: string;
  created_by: string;
}

export interface FeeSettingTable {
  ra_id: string;
  payment_required: number;
  reminder_days: number;
  updated_at: string;
  updated_by: string;
}

export interface ChargeTable {
  id: string;
  ra_id: string;
  subscriber_id: string;
  /** What the charge is for: `application:<id>` (issuance) or `renewal:<serial>`; one charge per certificate period. */
  period_ref: string;
  purpose: 'issuance' | 'renewal';
  profile_id: string;
  validity_days: number;
  amount_fen: number | string;
  schedule_id: string;
  status: 'due' | 'paid' | 'waived';
  created_at: string;
  created_by: string;
  settled_at: string | null;
}

export interface PaymentTable {
  id: string;
  charge_id: string;
  amount_fen: number | string;
  method: string;
  reference: string | null;
  received_at: string;
  recorded_by: string;
}

export interface LegalHoldTable {
  id: string;
  subscriber_id: string;
  kind: 'legal-hold' | 'dispute';
  reason: string;
  placed_at: string;
  placed_by: string;
  released_at: string | null;
  released_by: string | null;
}

export interface RetentionPurgeTable {
  subscriber_id: string;
  last_certificate_end: string;
  purged_at: string;
  purged_by: string;
  details: string;
}

export interface RetentionWatermarkTable {
  id: string;
  /** The (early) cutoff of the last complete run: ends before it, less a margin, were looked at then. */
  cutoff: string;
  updated_at: string;
}

export interface ServiceTables {
  service_calendar_years: CalendarYearTable;
  service_complaints: ComplaintTable;
  service_notifications: NotificationTable;
  service_liability_caps: LiabilityCapTable;
  service_liability_ledgers: LiabilityLedgerTable;
  service_liability_claims: LiabilityClaimTable;
  service_fee_schedules: FeeScheduleTable;
  service_fee_settings: FeeSettingTable;
  service_charges: ChargeTable;
  service_payments: PaymentTable;
  service_legal_holds: LegalHoldTable;
  service_retention_purges: RetentionPurgeTable;
  service_retention_watermark: RetentionWatermarkTable;
}

export type ServiceDb = Kysely<Database & ServiceTables>;
export type ServiceTx = Transaction<Database & ServiceTables> | ServiceDb;

export function serviceDb(store: SignetDatabase): ServiceDb {
  return store.db as unknown as ServiceDb;
}
