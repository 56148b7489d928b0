import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SignetError } from '../i18n/signet-error.js';
import type { PortalSubscriber } from '../ra/self-service.js';
import type { Signet } from '../signet.js';

type Body = Record<string, unknown>;

interface PortalCall {
  signet: Signet;
  request: FastifyRequest;
  /** The signed-in subscriber; undefined only on the public routes. */
  me: PortalSubscriber;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Body;
}

/**
 * Who may call a portal route and what it touches (issue 16 §2), checked
 * before the handler: 'public' (registration, sign-in); 'self', the signed-in
 * subscriber's own records, with nothing named in the request; or an object
 * named in the path or body, which must be the subscriber's own. Another
 * subscriber's object gets the same 404 as one that does not exist.
 */
export type PortalScope =
  | 'public'
  | 'self'
  | { object: 'certificate' | 'delegation'; from: (input: { params: Record<string, string>; body: Body }) => unknown; optional?: boolean };

export interface PortalRoute {
  method: 'GET' | 'POST';
  url: string;
  scope: PortalScope;
  summary: string;
  body?: Record<string, unknown>;
  upload?: boolean;
  status?: number;
  handle: (call: PortalCall) => Promise<unknown>;
}

const str = { type: 'string', maxLength: 256 } as const;
const text = { type: 'string', maxLength: 10_000 } as const;
const person = { type: 'object', additionalProperties: false, properties: { name: str, idType: str, idNumber: str, phone: str, email: str } } as const;
const object = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, required, properties });

/** The subscriber's own steps (issue 7): thin adapters over the RA, service and evidence domains. */
export const PORTAL_ROUTES: readonly PortalRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/portal/organisations',
    scope: 'public',
    summary: 'The registration authorities accepting applications',
    handle: ({ signet }) => signet.ra.selfService.organisations(),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/registrations',
    scope: 'public',
    status: 201,
    summary: 'Register oneself (individual or enterprise) with consent to the current agreement and apply; returns the tracking number and code once (R0, R1)',
    body: object(
      {
        raId: str,
        purpose: str,
        keyGeneration: str,
        type: str,
        name: str,
        idType: str,
        idNumber: str,
        phone: str,
        email: str,
        uscc: str,
        legalRepresentative: person,
        agent: person,
        // No clientAddress here: where the subscriber consented is the request's own address (R0), not what the body claims.
        consent: { type: 'object', additionalProperties: false, properties: { agreementVersion: str, accepted: { type: 'boolean' } } },
      },
      [],
    ),
    handle: ({ signet, request, body }) => {
      const { raId, purpose, keyGeneration, consent, ...record } = body;
      return signet.ra.selfService.register(
        { raId: raId as string, purpose: purpose as string, keyGeneration: keyGeneration as string | undefined, record, consent: consent as never },
        request.ip,
      );
    },
  },
  {
    method: 'POST',
    url: '/api/v1/portal/sessions',
    scope: 'public',
    status: 201,
    summary: 'Sign in with the tracking number and code: a bearer token (sgp_…) for this browser tab',
    body: object({ trackingNumber: str, trackingCode: str }),
    handle: ({ signet, request, body }) => signet.ra.selfService.signIn(body.trackingNumber, body.trackingCode, request.ip),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/sessions/end', scope: 'self',
    summary: 'Sign out',
    handle: async ({ signet, request }) => {
      await signet.ra.selfService.signOut(bearer(request) ?? '');
      return { ok: true };
    },
  },
  { method: 'GET', url: '/api/v1/portal/me', scope: 'self', summary: 'The subscriber and their record as on file now (the read is audited, R2)', handle: ({ signet, me }) => signet.ra.selfService.record(me) },
  { method: 'GET', url: '/api/v1/portal/applications', scope: 'self', summary: 'Where each application stands (R4)', handle: ({ signet, me }) => signet.ra.selfService.applicationsOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/applications', scope: 'self',
    status: 201,
    summary: 'Apply again, for a subscriber on file (after a revocation or expiry): refused while an application is open or a certificate for the purpose is in force',
    body: object({ purpose: str, keyGeneration: str, consent: { type: 'object', additionalProperties: false, properties: { agreementVersion: str, accepted: { type: 'boolean' } } } }, ['purpose']),
    handle: ({ signet, me, request, body }) =>
      signet.ra.selfService.applyAgain(me, { purpose: body.purpose as string, keyGeneration: body.keyGeneration as string | undefined, consent: body.consent as never }, request.ip),
  },
  { method: 'GET', url: '/api/v1/portal/certificates', scope: 'self', summary: 'The subscriber\'s certificates and their status (R16)', handle: ({ signet, me }) => signet.ra.selfService.certificates(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/certificates/:serial/revocation', scope: { object: 'certificate', from: ({ params }) => params.serial },
    summary: 'Revoke one\'s own certificate (R7): key compromise, no longer wanted, entity ceased…; OCSP says revoked at once',
    body: object({ reason: str, justification: { type: 'string', maxLength: 2000 } }, []),
    handle: ({ signet, me, params, body }) =>
      signet.ra.selfService.requestRevocation(me, params.serial, { reason: body.reason as string | undefined, justification: body.justification as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/certificates/:serial/renewals', scope: { object: 'certificate', from: ({ params }) => params.serial },
    status: 201,
    summary: 'Apply to renew (same key) or re-key one\'s certificate before it expires (R16); the RA reviews it',
    body: object({ rekey: { type: 'boolean' } }),
    handle: ({ signet, me, params, body }) => signet.ra.selfService.renew(me, params.serial, { rekey: body.rekey === true }),
  },
  { method: 'GET', url: '/api/v1/portal/changes', scope: 'self', summary: 'Reports of changed information and their review', handle: ({ signet, me }) => signet.ra.selfService.changesOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/changes', scope: 'self',
    status: 201,
    summary: 'Report changed information (R3): reviewed by the RA before it is on file',
    body: object({ changes: { type: 'object', maxProperties: 16 } }, []),
    handle: ({ signet, me, body }) => signet.ra.selfService.reportChange(me, body.changes as Body | undefined),
  },
  { method: 'GET', url: '/api/v1/portal/documents', scope: 'self', summary: 'Supporting documents with their SHA-256', handle: ({ signet, me }) => signet.ra.selfService.documentsOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/documents', scope: 'self',
    status: 201,
    upload: true,
    summary: 'Upload a supporting document (raw body: application/pdf, image/jpeg, image/png; ?kind=&filename=)',
    handle: ({ signet, me, request, query }) =>
      signet.ra.selfService.addDocument(me, {
        kind: query.kind ?? '',
        filename: query.filename ?? 'document',
        mediaType: String(request.headers['content-type'] ?? ''),
        content: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      }),
  },
  { method: 'GET', url: '/api/v1/portal/delegations', scope: 'self', summary: 'The agents one has authorised', handle: ({ signet, me }) => signet.ra.selfService.delegationsOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/delegations', scope: 'self',
    status: 201,
    summary: 'Authorise an agent (R6): scope, expiry, and the signed letter uploaded as a document',
    body: object({ agentName: str, agentIdType: str, agentIdNumber: str, scope: { type: 'array', items: str, maxItems: 8 }, expiresAt: str, evidenceDocumentId: str }),
    handle: ({ signet, me, body }) => signet.ra.selfService.authoriseAgent(me, body as never),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/delegations/:delegationId/revoke', scope: { object: 'delegation', from: ({ params }) => params.delegationId },
    summary: 'End a delegation',
    handle: ({ signet, me, params }) => signet.ra.selfService.endDelegation(me, params.delegationId!),
  },
  {
    method: 'GET',
    url: '/api/v1/portal/complaints', scope: 'self',
    summary: 'One\'s complaints, their response deadlines and the answers given (R12)',
    handle: ({ signet, me }) => signet.service.complaints.ofSubscriber(me.subscriberId),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/complaints', scope: { object: 'certificate', from: ({ body }) => body.certificateSerial, optional: true },
    status: 201,
    summary: 'File a complaint (R12): answered within 7 working days',
    body: object({ category: str, description: text, certificateSerial: str, complainant: object({ name: str, contact: str }) }),
    handle: async ({ signet, me, body }) => {
      const serial = body.certificateSerial ? await signet.ra.selfService.ownCertificate(me, body.certificateSerial) : null;
      const complainant = (body.complainant ?? {}) as { name: string; contact: string };
      return signet.service.complaints.file(me.actor, {
        channel: 'web',
        subscriberId: me.subscriberId,
        certificateSerial: serial,
        complainant,
        category: body.category as string,
        description: body.description as string,
      });
    },
  },
  { method: 'GET', url: '/api/v1/portal/disputes', scope: 'self', summary: 'One\'s disputes and where they stand', handle: ({ signet, me }) => signet.disputes.of(me.subscriberId) },
  {
    method: 'POST',
    url: '/api/v1/portal/disputes', scope: { object: 'certificate', from: ({ body }) => body.certificateSerial, optional: true },
    status: 201,
    summary: 'File a dispute (R10) with the day the problem was discovered: refused later than the window (3 months)',
    body: object({ discoveredOn: str, description: text, certificateSerial: str }),
    handle: async ({ signet, me, body }) => {
      const serial = body.certificateSerial ? await signet.ra.selfService.ownCertificate(me, body.certificateSerial) : undefined;
      return signet.disputes.file({ subscriberId: me.subscriberId, discoveredOn: String(body.discoveredOn ?? ''), description: String(body.description ?? ''), certificateSerial: serial, filedBy: me.actor });
    },
  },
  { method: 'GET', url: '/api/v1/portal/charges', scope: 'self', summary: 'One\'s charges, in integer fen (R9)', handle: ({ signet, me }) => signet.service.fees.charges({ subscriberId: me.subscriberId }) },
];

/** The portal's object scope: a named certificate or delegation must be the signed-in subscriber's; anything else is the unknown object's 404. */
async function enforceOwnObject(signet: Signet, me: PortalSubscriber, scope: Exclude<PortalScope, string>, input: { params: Record<string, string>; body: Body }): Promise<void> {
  const named = scope.from(input);
  if ((named === undefined || named === null || named === '') && scope.optional) return;
  const id = typeof named === 'string' ? named.trim() : '';
  if (scope.object === 'certificate') {
    const [found] = id ? await signet.ca.findCertificates({ serials: [id], limit: 1 }).catch(() => []) : [];
    if (!found || found.subscriberId !== me.subscriberId) throw new SignetError('ra.portal-unknown-certificate', 404, { serial: id.slice(0, 80) || '-' }, 'serial');
    return;
  }
  const owner = id ? await signet.ra.ownership.of('delegation', id).catch(() => null) : null;
  if (!owner || owner.subscriberId !== me.subscriberId) throw new SignetError('ra.unknown-delegation', 404, { delegation: id.slice(0, 80) || '-' }, 'delegationId');
}

function bearer(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

export async function portalRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await app.register(async (scope) => {
    const subscribers = new WeakMap<FastifyRequest, PortalSubscriber>();
    for (const type of ['application/pdf', 'image/jpeg', 'image/png']) {
      scope.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    }
    for (const route of PORTAL_ROUTES) {
      scope.route({
        method: route.method,
        url: route.url,
        bodyLimit: route.upload ? signet.ra.settings.documentLimitBytes : undefined,
        schema: {
          tags: ['portal'],
          summary: route.summary,
          description: (route.scope === 'public') ? 'Public.' : 'The subscriber\'s portal session: Authorization: Bearer sgp_…',
          ...((route.scope === 'public') ? {} : { security: [{ bearer: [] }] }),
          ...(route.body ? { body: route.body } : {}),
        },
        // Before the body is read: an upload without a session is refused without being received.
        onRequest: async (request) => {
          if ((route.scope === 'public')) return;
          subscribers.set(request, await signet.ra.selfService.principal(bearer(request)));
        },
        handler: async (request, reply) => {
          const me = subscribers.get(request) ?? (undefined as unknown as PortalSubscriber);
          const params = (request.params ?? {}) as Record<string, string>;
          const body = (request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? request.body : {}) as Body;
          if (typeof route.scope === 'object') await enforceOwnObject(signet, me, route.scope, { params, body });
          const result = await route.handle({ signet, request, me, params, query: (request.query ?? {}) as Record<string, string | undefined>, body });
          if (route.status) reply.code(route.status);
          return result;
        },
      });
    }
  });
}
