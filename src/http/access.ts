import { SignetError } from '../i18n/signet-error.js';
import { requireScope, type Principal } from '../ra/roles.js';
import type { Signet } from '../signet.js';

/**
 * What a route touches, for the authorisation layer (issue 16 §2): every
 * operator route declares it next to its roles, and the layer checks it
 * before the handler runs.
 * - 'none': nothing that belongs to one RA (the calendar, the fee standard,
 *   the caller's own session), or a list the handler narrows to `by.raId`;
 * - 'ca': CA-wide matters (disputes, notifications, retention holds, the
 *   audit chain): RA-scoped principals are refused, whatever their role;
 * - a function: the RA of the object named in the request (a subscriber,
 *   certificate, complaint, charge, claim); an RA-scoped principal acting
 *   on another RA's object, or on one of no RA, is refused with nothing done.
 */
export type Scope = 'none' | 'ca' | ((signet: Signet, call: ScopeInput) => Promise<string | null>);

export interface ScopeInput {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Record<string, unknown>;
}

/** What a scope function returns when the request names no RA: the caller's own (the handler uses by.raId). */
export const OWN_RA = '__own-ra__';

/** Applies a route's declared scope to the principal; throws before anything is read or changed. */
export async function enforceScope(signet: Signet, by: Principal | undefined, scope: Scope, input: ScopeInput): Promise<void> {
  if (!by || by.raId === null || scope === 'none') return;
  if (scope === 'ca') throw new SignetError('auth.ca-wide-only', 403, { role: by.role });
  const raId = await scope(signet, input);
  if (raId === OWN_RA) return;
  if (raId === null) throw new SignetError('ra.other-ra', 403, { ra: '-' });
  requireScope(by, raId);
}

/** The RA a subscriber belongs to now; unknown ids are for the domain to refuse (404). */
export async function raOfSubscriber(signet: Signet, subscriberId: unknown): Promise<string | null> {
  if (typeof subscriberId !== 'string' || !subscriberId) return null;
  const row = await signet.store.db.selectFrom('ra_subscribers' as never).select('ra_id' as never).where('id' as never, '=', subscriberId as never).executeTakeFirst();
  if (!row) throw new SignetError('ra.unknown-subscriber', 404, { subscriber: subscriberId.slice(0, 80) }, 'subscriberId');
  return (row as { ra_id: string }).ra_id;
}

/** The RA of a certificate's subscriber; null for certificates issued outside the RA. */
export async function raOfCertificate(signet: Signet, serial: unknown): Promise<string | null> {
  if (typeof serial !== 'string' || !serial) return null;
  const [found] = await signet.ca.findCertificates({ serial, limit: 1 }).catch(() => []);
  if (!found) throw new SignetError('certificate.not-found', 404, { serial: serial.slice(0, 80) }, 'serial');
  return found.subscriberId ? raOfSubscriber(signet, found.subscriberId) : null;
}

export async function raOfComplaint(signet: Signet, id: string | undefined): Promise<string | null> {
  const row = await signet.store.db.selectFrom('service_complaints' as never).select('subscriber_id' as never).where('id' as never, '=', (id ?? '') as never).executeTakeFirst();
  if (!row) throw new SignetError('service.unknown-complaint', 404, { complaint: String(id).slice(0, 80) }, 'complaintId');
  const subscriberId = (row as { subscriber_id: string | null }).subscriber_id;
  return subscriberId ? raOfSubscriber(signet, subscriberId) : null;
}

export async function raOfCharge(signet: Signet, id: string | undefined): Promise<string | null> {
  const row = await signet.store.db.selectFrom('service_charges' as never).select('ra_id' as never).where('id' as never, '=', (id ?? '') as never).executeTakeFirst();
  if (!row) throw new SignetError('service.unknown-charge', 404, { charge: String(id).slice(0, 80) }, 'chargeId');
  return (row as { ra_id: string }).ra_id;
}

export async function raOfClaim(signet: Signet, id: string | undefined): Promise<string | null> {
  const row = await signet.store.db.selectFrom('service_liability_claims' as never).select('certificate_serial' as never).where('id' as never, '=', (id ?? '') as never).executeTakeFirst();
  if (!row) throw new SignetError('service.unknown-claim', 404, { claim: String(id).slice(0, 80) }, 'claimId');
  return raOfCertificate(signet, (row as { certificate_serial: string }).certificate_serial);
}

/** Narrows a list to the principal's RA: items whose RA cannot be told are left out for RA-scoped principals. */
export async function narrowToRa<T>(signet: Signet, by: Principal, items: T[], raOf: (item: T) => Promise<string | null>): Promise<T[]> {
  if (by.raId === null) return items;
  const out: T[] = [];
  for (const item of items) if ((await raOf(item).catch(() => null)) === by.raId) out.push(item);
  return out;
}
