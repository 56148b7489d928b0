import { api } from '../api';
import type { Credential } from '../console/ra-api';

/** The records the console's review and administration pages work on, as the server's domains return them. */

export interface ChangeRequest {
  id: string;
  subscriberId: string;
  raId: string;
  changes: Record<string, unknown>;
  status: 'submitted' | 'approved' | 'rejected';
  baseVersion: number;
  submittedBy: string;
  submittedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** Lists mask the new values (R2); one change read in full is audited. */
  masked: boolean;
}

export interface ChangeApproval {
  change: ChangeRequest;
  version: number;
  revoked: string[];
  reissues: Array<{ applicationId: string; replaces: string; credential: Credential }>;
  certificateContentChanged: boolean;
  certificatesInForce: number;
}

export interface SubscriberVersion {
  version: number;
  record: Record<string, unknown>;
  validFrom: string;
  validUntil: string | null;
  recordedBy: string;
  changeRequestId: string | null;
}

export type DisputeState = 'filed' | 'investigating' | 'negotiation' | 'referred-to-arbitration' | 'closed';
export const DISPUTE_PATH: readonly DisputeState[] = ['filed', 'investigating', 'negotiation', 'referred-to-arbitration', 'closed'];

export interface Dispute {
  id: string;
  subscriberId: string;
  certificateSerial: string | null;
  discoveredOn: string;
  filedAt: string;
  description: string;
  state: DisputeState;
  outcome: string | null;
  updatedAt: string;
}

export interface DisputeDetail extends Dispute {
  next: DisputeState[];
  events: Array<{ at: string; actor: string; from: string | null; to: DisputeState; note: string }>;
}

export interface RaOrganisation {
  id: string;
  name: string;
  status: 'active' | 'merged' | 'withdrawn';
  successorId: string | null;
  createdAt: string;
  closedAt: string | null;
  closingReason: string | null;
  /** Issue 20: whether the registering officer may also approve (web/src/admin/operators-page.tsx sets it). */
  approvalPolicy?: 'two-person' | 'single-person';
}

export interface Succession {
  ra: RaOrganisation;
  successor: RaOrganisation;
  subscribersMoved: number;
  applicationsMoved: number;
  changeRequestsMoved: number;
}

export interface MembershipPeriod {
  subscriberId: string;
  raId: string;
  from: string;
  until: string | null;
  reason: string;
  predecessorRaId: string | null;
}

export interface AgreementVersion {
  id: string;
  title: string;
  titleEn?: string | null;
  publishedAt: string;
  effectiveAt?: string | null;
  textSha256?: string;
}

export interface FeeSchedule {
  id: string;
  raId: string;
  profileId: string;
  validityDays: number;
  amountFen: number;
  amountShown: string;
  effectiveFrom: string;
}

export interface FeeSettings {
  raId: string;
  paymentRequired: boolean;
  reminderDays: number;
}

export interface CalendarYear {
  year: number;
  holidays: Array<{ name: string; from: string; to: string }>;
  makeUpWorkdays: string[];
  source: string;
}

export type ChainVerification = { ok: true; entries: number; headHash: string } | { ok: false; entries: number; firstBadSeq: number; problem: string };
export type CheckpointVerification =
  | { ok: true; checkpoints: number; timeStamped: number; lastCheckpointSeq: number | null }
  | { ok: false; checkpoints: number; checkpointId: string; upToSeq: number; problem: string };
/** Each verdict in words, in the reader's language (the server says why in zh-CN and en). */
export interface AuditVerificationText {
  chain: string | null;
  checkpoints: string | null;
  heads: string;
  unpinned: string | null;
}
export interface AuditVerification {
  ok: boolean;
  chain: ChainVerification;
  checkpoints: CheckpointVerification;
  heads: { ok: boolean } | null;
  unpinned: boolean;
  texts: Record<'zh-CN' | 'en', AuditVerificationText>;
}

export interface AuditCheckpoint {
  id: string;
  upToSeq: number;
  headHash: string;
  at: string;
  keyId: string;
  timeStamped: boolean;
}

export interface Profile {
  id: string;
  kind: string;
}

const q = (params: Record<string, string | undefined>) => {
  const search = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1])));
  const text = search.toString();
  return text ? `?${text}` : '';
};
const post = <T,>(path: string, body: unknown, method = 'POST') => api<T>(path, { method, body, operator: true });

export const admin = {
  changes: (status?: string) => api<ChangeRequest[]>(`/api/v1/ra/changes${q({ status })}`, { operator: true }),
  change: (id: string) => api<ChangeRequest>(`/api/v1/ra/changes/${encodeURIComponent(id)}`, { operator: true }),
  approveChange: (id: string, note: string) => post<ChangeApproval>(`/api/v1/ra/changes/${encodeURIComponent(id)}/approve`, note ? { note } : {}),
  rejectChange: (id: string, reason: string) => post<ChangeRequest>(`/api/v1/ra/changes/${encodeURIComponent(id)}/reject`, { reason }),
  versions: (subscriberId: string) => api<SubscriberVersion[]>(`/api/v1/ra/subscribers/${encodeURIComponent(subscriberId)}/versions`, { operator: true }),

  disputes: (open: boolean) => api<Dispute[]>(`/api/v1/disputes${q({ open: open ? 'true' : undefined })}`, { operator: true }),
  dispute: (id: string) => api<DisputeDetail>(`/api/v1/disputes/${encodeURIComponent(id)}`, { operator: true }),
  advanceDispute: (id: string, to: DisputeState, note: string) => post<Dispute>(`/api/v1/disputes/${encodeURIComponent(id)}/advance`, { to, note }),

  organisations: () => api<RaOrganisation[]>('/api/v1/ra/organisations', { operator: true }),
  createOrganisation: (name: string) => post<RaOrganisation>('/api/v1/ra/organisations', { name }),
  merge: (raId: string, into: string, reason: string) => post<Succession>(`/api/v1/ra/organisations/${encodeURIComponent(raId)}/merge`, reason ? { into, reason } : { into }),
  withdraw: (raId: string, successor: string, reason: string) =>
    post<Succession>(`/api/v1/ra/organisations/${encodeURIComponent(raId)}/withdraw`, reason ? { successor, reason } : { successor }),
  history: (raId: string) => api<MembershipPeriod[]>(`/api/v1/ra/organisations/${encodeURIComponent(raId)}/history`, { operator: true }),

  agreements: () => api<AgreementVersion[]>('/agreements', { operator: true }),
  publishAgreement: (body: { id: string; title: { 'zh-CN': string; en: string }; text: { 'zh-CN': string; en: string }; effectiveAt?: string }) =>
    post<{ version: AgreementVersion; notified: number }>('/api/v1/publication/agreements', body),

  /** The products fees are set for: the subscriber profiles. */
  profiles: () => api<{ items: Profile[] }>('/api/v1/profiles').then((v) => v.items.filter((p) => p.kind === 'subscriber')),
  schedules: (raId: string) => api<FeeSchedule[]>(`/api/v1/service/fees/schedules${q({ raId, all: 'true' })}`),
  addSchedule: (body: { raId: string; profileId: string; validityDays: number; amountFen: string; effectiveFrom?: string }) => post<FeeSchedule>('/api/v1/service/fees/schedules', body),
  feeSettings: (raId: string) => api<FeeSettings>(`/api/v1/service/fees/settings/${encodeURIComponent(raId)}`, { operator: true }),
  configureFees: (raId: string, body: { paymentRequired: boolean; reminderDays: number }) => post<FeeSettings>(`/api/v1/service/fees/settings/${encodeURIComponent(raId)}`, body, 'PUT'),

  calendar: () => api<CalendarYear[]>('/api/v1/service/calendar', { operator: true }),
  loadCalendar: (year: CalendarYear) => post<CalendarYear>('/api/v1/service/calendar', year, 'PUT'),

  verifyAudit: () => api<AuditVerification>('/api/v1/audit/verification', { operator: true }),
  checkpoints: () => api<AuditCheckpoint[]>('/api/v1/audit/checkpoints', { operator: true }),
  checkpoint: () => post<AuditCheckpoint>('/api/v1/audit/checkpoints', {}),
};

export { beijingInstant, yuanToFen } from './money';
