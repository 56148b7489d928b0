import type { FastifyInstance, FastifyRequest } from 'fastify';
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

export interface PortalRoute {
  method: 'GET' | 'POST';
  url: string;
  /** Public routes are registration and sign-in; every other one needs the subscriber's portal session. */
  public?: boolean;
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
    public: true,
    summary: 'The registration authorities accepting applications',
    handle: ({ signet }) => signet.ra.selfService.organisations(),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/registrations',
    public: true,
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
    public: true,
    status: 201,
    summary: 'Sign in with the tracking number and code: a bearer token (sgp_…) for this browser tab',
    body: object({ trackingNumber: str, trackingCode: str }),
    handle: ({ signet, request, body }) => signet.ra.selfService.signIn(body.trackingNumber, body.trackingCode, request.ip),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/sessions/end',
    summary: 'Sign out',
    handle: async ({ signet, request }) => {
      await signet.ra.selfService.signOut(bearer(request) ?? '');
      return { ok: true };
    },
  },
  { method: 'GET', url: '/api/v1/portal/me', summary: 'The subscriber and their record as on file now (the read is audited, R2)', handle: ({ signet, me }) => signet.ra.selfService.record(me) },
  { method: 'GET', url: '/api/v1/portal/applications', summary: 'Where each application stands (R4)', handle: ({ signet, me }) => signet.ra.selfService.applicationsOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/applications',
    status: 201,
    summary: 'Apply again, for a subscriber on file (after a revocation or expiry): refused while an application is open or a certificate for the purpose is in force',
    body: object({ purpose: str, keyGeneration: str, consent: { type: 'object', additionalProperties: false, properties: { agreementVersion: str, accepted: { type: 'boolean' } } } }, ['purpose']),
    handle: ({ signet, me, request, body }) =>
      signet.ra.selfService.applyAgain(me, { purpose: body.purpose as string, keyGeneration: body.keyGeneration as string | undefined, consent: body.consent as never }, request.ip),
  },
  { method: 'GET', url: '/api/v1/portal/certificates', summary: 'The subscriber\'s certificates and their status (R16)', handle: ({ signet, me }) => signet.ra.selfService.certificates(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/certificates/:serial/revocation',
    summary: 'Revoke one\'s own certificate (R7): key compromise, no longer wanted, entity ceased…; OCSP says revoked at once',
    body: object({ reason: str, justification: { type: 'string', maxLength: 2000 } }, []),
    handle: ({ signet, me, params, body }) =>
      signet.ra.selfService.requestRevocation(me, params.serial, { reason: body.reason as string | undefined, justification: body.justification as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/certificates/:serial/renewals',
    status: 201,
    summary: 'Apply to renew (same key) or re-key one\'s certificate before it expires (R16); the RA reviews it',
    body: object({ rekey: { type: 'boolean' } }),
    handle: ({ signet, me, params, body }) => signet.ra.selfService.renew(me, params.serial, { rekey: body.rekey === true }),
  },
  { method: 'GET', url: '/api/v1/portal/changes', summary: 'Reports of changed information and their review', handle: ({ signet, me }) => signet.ra.selfService.changesOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/changes',
    status: 201,
    summary: 'Report changed information (R3): reviewed by the RA before it is on file',
    body: object({ changes: { type: 'object', maxProperties: 16 } }, []),
    handle: ({ signet, me, body }) => signet.ra.selfService.reportChange(me, body.changes as Body | undefined),
  },
  { method: 'GET', url: '/api/v1/portal/documents', summary: 'Supporting documents with their SHA-256', handle: ({ signet, me }) => signet.ra.selfService.documentsOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/documents',
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
  { method: 'GET', url: '/api/v1/portal/delegations', summary: 'The agents one has authorised', handle: ({ signet, me }) => signet.ra.selfService.delegationsOf(me) },
  {
    method: 'POST',
    url: '/api/v1/portal/delegations',
    status: 201,
    summary: 'Authorise an agent (R6): scope, expiry, and the signed letter uploaded as a document',
    body: object({ agentName: str, agentIdType: str, agentIdNumber: str, scope: { type: 'array', items: str, maxItems: 8 }, expiresAt: str, evidenceDocumentId: str }),
    handle: ({ signet, me, body }) => signet.ra.selfService.authoriseAgent(me, body as never),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/delegations/:delegationId/revoke',
    summary: 'End a delegation',
    handle: ({ signet, me, params }) => signet.ra.selfService.endDelegation(me, params.delegationId!),
  },
  {
    method: 'GET',
    url: '/api/v1/portal/complaints',
    summary: 'One\'s complaints, their response deadlines and the answers given (R12)',
    handle: ({ signet, me }) => signet.service.complaints.ofSubscriber(me.subscriberId),
  },
  {
    method: 'POST',
    url: '/api/v1/portal/complaints',
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
  { method: 'GET', url: '/api/v1/portal/disputes', summary: 'One\'s disputes and where they stand', handle: ({ signet, me }) => signet.disputes.of(me.subscriberId) },
  {
    method: 'POST',
    url: '/api/v1/portal/disputes',
    status: 201,
    summary: 'File a dispute (R10) with the day the problem was discovered: refused later than the window (3 months)',
    body: object({ discoveredOn: str, description: text, certificateSerial: str }),
    handle: async ({ signet, me, body }) => {
      const serial = body.certificateSerial ? await signet.ra.selfService.ownCertificate(me, body.certificateSerial) : undefined;
      return signet.disputes.file({ subscriberId: me.subscriberId, discoveredOn: String(body.discoveredOn ?? ''), description: String(body.description ?? ''), certificateSerial: serial, filedBy: me.actor });
    },
  },
  { method: 'GET', url: '/api/v1/portal/charges', summary: 'One\'s charges, in integer fen (R9)', handle: ({ signet, me }) => signet.service.fees.charges({ subscriberId: me.subscriberId }) },
];

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
          description: route.public ? 'Public.' : 'The subscriber\'s portal session: Authorization: Bearer sgp_…',
          ...(route.public ? {} : { security: [{ bearer: [] }] }),
          ...(route.body ? { body: route.body } : {}),
        },
        // Before the body is read: an upload without a session is refused without being received.
        onRequest: async (request) => {
          if (route.public) return;
          subscribers.set(request, await signet.ra.selfService.principal(bearer(request)));
        },
        handler: async (request, reply) => {
          const result = await route.handle({
            signet,
            request,
            me: subscribers.get(request) ?? (undefined as unknown as PortalSubscriber),
            params: (request.params ?? {}) as Record<string, string>,
            query: (request.query ?? {}) as Record<string, string | undefined>,
            body: (request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? request.body : {}) as Body,
          });
          if (route.status) reply.code(route.status);
          return result;
        },
      });
    }
  });
}
