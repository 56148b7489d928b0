import { api } from '../api';

/** The operator accounts, the RA settings and the audit log, as src/ra and src/audit return them (issue 20). */

export type Role = 'ca-admin' | 'ra-admin' | 'ra-officer' | 'auditor';
export const ROLES: readonly Role[] = ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'];

export interface OperatorAccount {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  raId: string | null;
  status: 'active' | 'disabled';
  locked: boolean;
  createdAt: string;
}

export interface RaOrganisation {
  id: string;
  name: string;
  status: 'active' | 'merged' | 'withdrawn';
  approvalPolicy: 'two-person' | 'single-person';
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  actionWords: { 'zh-CN': string; en: string; known: boolean };
  target: string;
  details: unknown;
  hash: string;
}

export interface AuditSearch {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  subject?: string;
  before?: number;
  limit?: number;
}

const post = <T,>(path: string, body: unknown) => api<T>(path, { method: 'POST', body, operator: true });
const id = (value: string) => encodeURIComponent(value);

export const oversight = {
  operators: () => api<OperatorAccount[]>('/api/v1/ra/operators', { operator: true }),
  organisations: () => api<RaOrganisation[]>('/api/v1/ra/organisations', { operator: true }),
  createOperator: (input: { username: string; displayName?: string; role: Role; raId: string | null; password: string }) => post<OperatorAccount>('/api/v1/ra/operators', input),
  setStatus: (operatorId: string, status: 'active' | 'disabled') => post<OperatorAccount>(`/api/v1/ra/operators/${id(operatorId)}/status`, { status }),
  changeRole: (operatorId: string, role: Role, raId: string | null) => post<OperatorAccount>(`/api/v1/ra/operators/${id(operatorId)}/role`, { role, raId }),
  resetPassword: (operatorId: string, password: string) => post<OperatorAccount>(`/api/v1/ra/operators/${id(operatorId)}/password`, { password }),
  unlock: (operatorId: string) => post<OperatorAccount>(`/api/v1/ra/operators/${id(operatorId)}/unlock`, {}),
  createOrganisation: (name: string, approvalPolicy: RaOrganisation['approvalPolicy']) => post<RaOrganisation>('/api/v1/ra/organisations', { name, approvalPolicy }),
  setApprovalPolicy: (raId: string, approvalPolicy: RaOrganisation['approvalPolicy']) => post<RaOrganisation>(`/api/v1/ra/organisations/${id(raId)}/approval-policy`, { approvalPolicy }),
  auditEntries: (search: AuditSearch) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(search)) if (value !== undefined && value !== '') query.set(key, String(value));
    return api<{ entries: AuditEntry[]; next: number | null }>(`/api/v1/audit/entries?${query}`, { operator: true });
  },
  auditActions: () => api<{ action: string; 'zh-CN': string; en: string }[]>('/api/v1/audit/actions', { operator: true }),
};
