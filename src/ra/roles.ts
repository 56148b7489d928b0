import { SignetError } from '../i18n/signet-error.js';

export const ROLES = ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that only make sense inside one RA. */
export const RA_SCOPED_ROLES: readonly Role[] = ['ra-admin', 'ra-officer'];

/** Who is acting, however they proved it: a session, an API token, the bootstrap admin token, the CLI. */
export interface Principal {
  /** Null for the bootstrap admin token and the local CLI, which are not operator accounts. */
  operatorId: string | null;
  username: string;
  role: Role;
  /** The RA this principal works for; null for CA-wide principals. */
  raId: string | null;
  via: 'session' | 'api-token' | 'admin-token' | 'cli';
}

/** How a principal appears in the audit log. */
export function actorOf(principal: Principal): string {
  if (principal.via === 'admin-token') return 'operator:admin-token';
  if (principal.via === 'cli') return `cli:${principal.username}`;
  return `operator:${principal.username}`;
}

/** The deployment's admin token and the local CLI act as CA administrator (the bootstrap credential). */
export function bootstrapPrincipal(via: 'admin-token' | 'cli', username = 'admin-token'): Principal {
  return { operatorId: null, username, role: 'ca-admin', raId: null, via };
}

/** A role in words, each language its own ("RA 审核员", not `ra-officer`), for refusals people read. */
const ROLE_WORDS: Record<string, Record<'zh-CN' | 'en', string>> = {
  'ca-admin': { 'zh-CN': 'CA 管理员', en: 'CA administrator' },
  'ra-admin': { 'zh-CN': 'RA 管理员', en: 'RA administrator' },
  'ra-officer': { 'zh-CN': 'RA 审核员', en: 'RA officer' },
  auditor: { 'zh-CN': '审计员', en: 'auditor' },
};

/** The refusal of a role a step does not admit: the roles named in words, in the reader's language. */
export function roleNotAdmitted(role: string, roles: readonly string[]): SignetError {
  const words = (r: string) => ROLE_WORDS[r] ?? { 'zh-CN': r, en: r };
  return new SignetError('ra.role-not-admitted', 403, {
    role: words(role),
    roles: { 'zh-CN': roles.map((r) => words(r)['zh-CN']).join('、'), en: roles.map((r) => words(r).en).join(', ') },
  });
}

export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (!roles.includes(principal.role)) throw roleNotAdmitted(principal.role, roles);
}

/**
 * An RA's operators act only on their own RA's subscribers; CA-wide roles
 * (ca-admin, a CA-wide auditor) see every RA.
 */
export function requireScope(principal: Principal, raId: string): void {
  if (principal.raId !== null && principal.raId !== raId) {
    throw new SignetError('ra.other-ra', 403, { ra: raId });
  }
}
