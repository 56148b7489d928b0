import { SignetError } from '../i18n/signet-error.js';
import { requireScope, type Principal } from '../ra/roles.js';
import { normaliseSerial } from '../ca/serial-number.js';
import type { RaObjectKind } from '../ra/ownership.js';
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

/**
 * What an object is about, as far as its RA goes: a subscriber, or failing
 * that a certificate (whose subscriber then tells the RA).
 */
export interface Party {
  subscriberId?: string | null;
  certificateSerial?: string | null;
}

/**
 * The RA of each party, asked of the owning domains (never their tables):
 * one CA query for the certificates among them, one RA query for the
 * subscribers, whatever the number of parties. null where no RA can be
 * told (a certificate issued outside the RA, an unknown subscriber).
 */
export async function rasOf(signet: Signet, parties: readonly Party[]): Promise<(string | null)[]> {
  const serials = [...new Set(parties.filter((p) => !p.subscriberId && p.certificateSerial).map((p) => p.certificateSerial!))];
  const holderOf = new Map<string, string | null>();
  if (serials.length > 0) {
    for (const c of await signet.ca.findCertificates({ serials, limit: serials.length })) holderOf.set(c.serial, c.subscriberId);
  }
  const subscriberOf = (p: Party): string | null => p.subscriberId || (p.certificateSerial ? (holderOf.get(normalised(p.certificateSerial)) ?? null) : null);
  const raOf = await signet.ra.subscribers.raOf(parties.map(subscriberOf).filter((id): id is string => id !== null));
  return parties.map((p) => {
    const subscriber = subscriberOf(p);
    return subscriber ? (raOf.get(subscriber) ?? null) : null;
  });
}

function normalised(serial: string): string {
  try {
    return normaliseSerial(serial);
  } catch {
    return serial;
  }
}

/** The RA a subscriber belongs to now; an unknown id is refused here (404), before the handler. */
export async function raOfSubscriber(signet: Signet, subscriberId: unknown): Promise<string | null> {
  if (typeof subscriberId !== 'string' || !subscriberId) return null;
  const raId = (await signet.ra.subscribers.raOf([subscriberId])).get(subscriberId);
  if (!raId) throw new SignetError('ra.unknown-subscriber', 404, { subscriber: subscriberId.slice(0, 80) }, 'subscriberId');
  return raId;
}

/** The RA of a certificate's subscriber; null for certificates issued outside the RA. */
export async function raOfCertificate(signet: Signet, serial: unknown): Promise<string | null> {
  if (typeof serial !== 'string' || !serial) return null;
  const [found] = await signet.ca.findCertificates({ serials: [serial], limit: 1 });
  if (!found) throw new SignetError('certificate.not-found', 404, { serial: serial.slice(0, 80) }, 'serial');
  return found.subscriberId ? raOfSubscriber(signet, found.subscriberId) : null;
}

export async function raOfComplaint(signet: Signet, id: string | undefined): Promise<string | null> {
  const about = await signet.service.complaints.about(id ?? '');
  return about.subscriberId ? raOfSubscriber(signet, about.subscriberId) : raOfCertificate(signet, about.certificateSerial);
}

export async function raOfCharge(signet: Signet, id: string | undefined): Promise<string | null> {
  return signet.service.fees.raOfCharge(id ?? '');
}

export async function raOfClaim(signet: Signet, id: string | undefined): Promise<string | null> {
  return raOfCertificate(signet, await signet.service.liability.certificateOfClaim(id ?? ''));
}

/**
 * Narrows a list to the principal's RA, resolving every item at once (rasOf):
 * items whose RA cannot be told are left out for RA-scoped principals.
 */
export async function narrowToRa<T>(signet: Signet, by: Principal, items: T[], partyOf: (item: T) => Party): Promise<T[]> {
  if (by.raId === null || items.length === 0) return items;
  const ras = await rasOf(signet, items.map(partyOf));
  return items.filter((_, i) => ras[i] === by.raId);
}

/** The RA of an RA object named in the path (application, change, delegation, operator, RA, document); unknown is 404. */
export async function raOfRaObject(signet: Signet, kind: RaObjectKind, id: string | undefined): Promise<string | null> {
  return (await signet.ra.ownership.of(kind, id ?? '')).raId;
}

/** A document named under a subscriber: it must be that subscriber's (else the same 404 as an unknown one), and the RA is theirs. */
export async function raOfDocument(signet: Signet, subscriberId: string | undefined, documentId: string | undefined): Promise<string | null> {
  const owner = await signet.ra.ownership.of('document', documentId ?? '');
  if (owner.subscriberId !== subscriberId) throw new SignetError('ra.unknown-document', 404, { document: (documentId ?? '').slice(0, 80) }, 'documentId');
  return owner.raId;
}

/** A route acting at the caller's own RA unless the body names one: the named one must be the caller's. */
export function namedRaOrOwn(field: string): Scope {
  return async (_signet, { body }) => (typeof body[field] === 'string' && body[field] ? (body[field] as string) : OWN_RA);
}
