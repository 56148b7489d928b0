import { api } from '../api';

/** The RA's records as its API returns them (src/ra). */
export interface Application {
  id: string;
  subscriberId: string;
  raId: string;
  kind: string;
  purpose: 'signing' | 'encryption';
  profileId: string;
  keyGeneration: string;
  status: 'submitted' | 'in-review' | 'approved' | 'rejected' | 'completed' | string;
  subscriberVersion: number;
  replacesSerial: string | null;
  submittedBy: string;
  submittedAt: string;
  reviewerId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  certificateSerial: string | null;
}

/** What approving would mean for this officer (src/ra/applications.ts): refused under two-person approval, or warnings. */
export interface ApprovalCheck {
  policy: 'two-person' | 'single-person';
  refused: boolean;
  warnings: string[];
  texts: { code: string; 'zh-CN': string; en: string }[];
}

export interface Subscriber {
  id: string;
  raId: string;
  type: 'individual' | 'enterprise';
  name: string;
  identifierMasked: string;
  currentVersion: number;
  createdAt: string;
}

export interface PersonRecord {
  name: string;
  idType: string;
  idNumber: string;
  phone?: string;
  email?: string;
}

export type SubscriberRecord =
  | ({ type: 'individual' } & PersonRecord)
  | { type: 'enterprise'; name: string; uscc: string; legalRepresentative: PersonRecord; agent: PersonRecord };

export interface SubscriberDetail extends Subscriber {
  record: { version: number; record: SubscriberRecord; validFrom: string; recordedBy: string };
}

export interface StoredDocument {
  id: string;
  subscriberId: string;
  kind: string;
  filename: string;
  mediaType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface Credential {
  referenceNumber: string;
  authorizationCode: string;
  expiresAt: string;
}

export interface Organisation {
  id: string;
  name: string;
  status?: string;
}

const asList = <T,>(value: T[] | { items: T[] }): T[] => (Array.isArray(value) ? value : value.items);

/** A subscriber's portal sign-in, shown once (src/ra/self-service.ts). */
export interface PortalAccess {
  trackingNumber: string;
  trackingCode: string;
}

export const ra = {
  portalAccess: (subscriberId: string) => api<PortalAccess>(`/api/v1/ra/subscribers/${encodeURIComponent(subscriberId)}/portal-access`, { method: 'POST', body: {}, operator: true }),
  applications: (status?: string) => api<Application[] | { items: Application[] }>(`/api/v1/ra/applications${status ? `?status=${encodeURIComponent(status)}` : ''}`, { operator: true }).then(asList),
  application: (id: string) => api<Application>(`/api/v1/ra/applications/${encodeURIComponent(id)}`, { operator: true }),
  approvalCheck: (id: string) => api<ApprovalCheck>(`/api/v1/ra/applications/${encodeURIComponent(id)}/approval-check`, { operator: true }),
  subscribers: () => api<Subscriber[] | { items: Subscriber[] }>('/api/v1/ra/subscribers', { operator: true }).then(asList),
  subscriber: (id: string) => api<SubscriberDetail>(`/api/v1/ra/subscribers/${encodeURIComponent(id)}`, { operator: true }),
  documents: (id: string) => api<StoredDocument[] | { items: StoredDocument[] }>(`/api/v1/ra/subscribers/${encodeURIComponent(id)}/documents`, { operator: true }).then(asList),
  organisations: () => api<Organisation[] | { items: Organisation[] }>('/api/v1/ra/organisations', { operator: true }).then(asList),
  act: <T,>(path: string, body?: unknown) => api<T>(path, { method: 'POST', body: body ?? {}, operator: true }),
};

/** Days an application has waited, by the browser's clock. */
export function ageInDays(since: string, now = Date.now()): number {
  return Math.max(0, (now - Date.parse(since)) / 86_400_000);
}

export const AGE_BUCKETS = [
  { id: 'lt1', min: 0, max: 1 },
  { id: '1to3', min: 1, max: 3 },
  { id: '3to7', min: 3, max: 7 },
  { id: 'gt7', min: 7, max: Infinity },
] as const;
