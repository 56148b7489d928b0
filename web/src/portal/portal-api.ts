import { api, type RequestOptions } from '../api';

/**
 * The subscriber's own API (src/http/portal-routes.ts). The portal session
 * is a bearer token kept for this tab only (sessionStorage): it ends with
 * the tab, and sent as a header it cannot be replayed by another site.
 */
const TOKEN_KEY = 'signet.portal.token';

export const portalToken = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string | null) => (token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY)),
};

export function portalApi<T>(path: string, options: Omit<RequestOptions, 'operator'> = {}): Promise<T> {
  const token = portalToken.get();
  return api<T>(path, { ...options, headers: token ? { authorization: `Bearer ${token}` } : undefined });
}

export const post = <T>(path: string, body: unknown = {}) => portalApi<T>(path, { method: 'POST', body });

export interface PortalAccess {
  trackingNumber: string;
  trackingCode: string;
}

export interface SubscriberSummary {
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
  | { type: 'individual'; name: string; idType: string; idNumber: string; phone: string; email: string }
  | { type: 'enterprise'; name: string; uscc: string; legalRepresentative: PersonRecord; agent: PersonRecord };

export interface Me extends SubscriberSummary {
  record: { version: number; validFrom: string; record: SubscriberRecord };
}

export interface PortalApplication {
  id: string;
  kind: 'new' | 'renewal' | 'rekey' | 'reissue';
  purpose: 'signing' | 'encryption';
  profileId: string;
  status: 'submitted' | 'in-review' | 'approved' | 'rejected' | 'completed';
  replacesSerial: string | null;
  submittedAt: string;
  decidedAt: string | null;
  decisionReason: string | null;
  certificateSerial: string | null;
}

export interface PortalCertificate {
  serial: string;
  status: 'good' | 'revoked' | 'expired' | 'not-yet-valid';
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  revokedAt?: string;
  reason?: string;
  profileId: string;
}

export interface ChangeReport {
  id: string;
  changes: Record<string, unknown>;
  status: 'submitted' | 'approved' | 'rejected';
  submittedAt: string;
  decidedAt: string | null;
  decisionReason: string | null;
}

export interface PortalDelegation {
  id: string;
  agentName: string;
  agentIdType: string;
  agentIdNumberMasked: string;
  scope: string[];
  expiresAt: string;
  status: 'active' | 'revoked';
  createdAt: string;
}

export interface PortalDocument {
  id: string;
  kind: string;
  filename: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface PortalComplaint {
  id: string;
  receivedAt: string;
  category: string;
  dueAt: string;
  status: 'open' | 'responded';
  overdue: boolean;
  respondedAt: string | null;
  /** The CA's answer, once given (R12). */
  response: string | null;
  certificateSerial: string | null;
}

export interface PortalDispute {
  id: string;
  certificateSerial: string | null;
  discoveredOn: string;
  filedAt: string;
  description: string;
  state: 'filed' | 'investigating' | 'negotiation' | 'referred-to-arbitration' | 'closed';
  outcome: string | null;
  updatedAt: string;
}

export interface PortalCharge {
  id: string;
  periodRef: string;
  purpose: 'issuance' | 'renewal';
  profileId: string;
  validityDays: number;
  amountFen: number;
  paidFen: number;
  status: string;
  createdAt: string;
  settledAt: string | null;
}

/** Integer fen as people read money: ¥1,234.50. Exact: no floating point on the way. */
export function yuan(fen: number): string {
  const whole = Math.floor(Math.abs(fen) / 100);
  const cents = String(Math.abs(fen) % 100).padStart(2, '0');
  return `${fen < 0 ? '-' : ''}¥${whole.toLocaleString('en-US')}.${cents}`;
}

/** How a certificate is named in a list to choose from: its serial's start and its expiry, readable on a phone. */
export function certificateLabel(c: PortalCertificate, until: string): string {
  return `${c.serial.slice(0, 12)}… · ${until}`;
}
