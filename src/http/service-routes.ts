import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_ACTION_NAMES } from '../audit/action-names.js';
import { searchAuditLog } from '../audit/audit-search.js';
import { auditVerificationTexts, verifyAudit } from '../audit/verification.js';
import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';
import { actorOf, bootstrapPrincipal, requireScope, roleNotAdmitted, type Principal, type Role } from '../ra/roles.js';
import type { Signet } from '../signet.js';
import { enforceScope, narrowToRa, OWN_RA, raOfCertificate, raOfCharge, raOfClaim, raOfComplaint, raOfSubscriber, type Scope } from './access.js';

/** Who a route admits: operator roles, or 'public' (the fee standard, published documents). */
export type Admitted = Role | 'public';
type Body = Record<string, unknown>;

export interface OperatorCall {
  signet: Signet;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Undefined only on public routes. */
  by: Principal;
  actor: string;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Body;
}

export interface OperatorRoute {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  roles: readonly Admitted[];
  /** What the route touches, checked by the authorisation layer before the handler (access.ts). */
  scope: Scope;
  summary: string;
  tag: string;
  body?: Record<string, unknown>;
  status?: number;
  handle: (call: OperatorCall) => Promise<unknown>;
}

const READERS: readonly Admitted[] = ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'];
const STAFF: readonly Admitted[] = ['ca-admin', 'ra-admin', 'ra-officer'];
const CA_ADMIN: readonly Admitted[] = ['ca-admin'];
const SESSION_COOKIE = 'signet_session';

const str = { type: 'string', maxLength: 256 } as const;
const text = { type: 'string', maxLength: 10_000 } as const;
const fen = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]{1,15}$' }] } as const;
const contact = { type: 'object', additionalProperties: false, required: ['name', 'contact'], properties: { name: str, contact: str } } as const;
export const object = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, required, properties });

function date(value: string | undefined, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new SignetError('service.bad-date', 400, { value }, field);
  return at;
}

/** RA-scoped operators work on their own RA's fees only (R18); CA-wide roles on any. */
function scoped(by: Principal, raId: unknown): string {
  const id = typeof raId === 'string' && raId ? raId : by.raId;
  if (!id) throw new SignetError('service.field-required', 400, { field: fieldWords('raId') }, 'raId');
  requireScope(by, id);
  return id;
}

export const SERVICE_ROUTES: readonly OperatorRoute[] = [
  // Working-day calendar and complaints (R12)
  { method: 'GET', url: '/api/v1/service/calendar', scope: 'none', tag: 'complaints', roles: READERS, summary: 'Years the working-day calendar knows', handle: ({ signet }) => signet.service.calendars.list() },
  {
    method: 'PUT',
    url: '/api/v1/service/calendar', scope: 'ca',
    tag: 'complaints',
    roles: CA_ADMIN,
    summary: "Load or replace one year's holidays and make-up working days",
    body: object({ year: { type: 'integer' }, holidays: { type: 'array', maxItems: 50, items: object({ name: str, from: str, to: str }, ['name', 'from', 'to']) }, makeUpWorkdays: { type: 'array', maxItems: 50, items: str }, source: str }, ['year', 'holidays', 'makeUpWorkdays']),
    handle: ({ signet, actor, body }) => signet.service.calendars.load(actor, body),
  },
  {
    method: 'POST',
    url: '/api/v1/service/complaints', scope: async (signet, { body }) => (body.subscriberId ? raOfSubscriber(signet, body.subscriberId) : raOfCertificate(signet, body.certificateSerial)),
    tag: 'complaints',
    roles: STAFF,
    status: 201,
    summary: 'File a complaint; its response deadline is the end of the 7th working day after the day received (Asia/Shanghai)',
    body: object({ receivedAt: str, channel: str, subscriberId: str, certificateSerial: str, complainant: contact, category: str, description: text }, ['channel', 'complainant', 'category', 'description']),
    handle: ({ signet, actor, body }) => signet.service.complaints.file(actor, body as never),
  },
  {
    method: 'GET',
    url: '/api/v1/service/complaints', scope: 'none',
    tag: 'complaints',
    roles: READERS,
    summary: 'Complaints, personal data masked; ?overdue=true lists open ones past their deadline',
    handle: async ({ signet, by, query }) =>
      narrowToRa(signet, by, await signet.service.complaints.list({ overdue: query.overdue === 'true', status: query.status === 'open' || query.status === 'responded' ? query.status : undefined }), (c) => c),
  },
  { method: 'GET', url: '/api/v1/service/complaints/:id', scope: (signet, { params }) => raOfComplaint(signet, params.id), tag: 'complaints', roles: READERS, summary: 'One complaint in full (the read is audited)', handle: ({ signet, actor, params }) => signet.service.complaints.get(actor, params.id!) },
  {
    method: 'POST',
    url: '/api/v1/service/complaints/:id/response', scope: (signet, { params }) => raOfComplaint(signet, params.id),
    tag: 'complaints',
    roles: STAFF,
    summary: 'Record the response to a complaint',
    body: object({ response: text }, ['response']),
    handle: ({ signet, actor, params, body }) => signet.service.complaints.respond(actor, params.id!, { response: String(body.response) }),
  },

  // Liability (R17)
  { method: 'GET', url: '/api/v1/service/liability/caps', scope: 'none', tag: 'liability', roles: READERS, summary: 'Liability caps per policy and subscriber type, in fen', handle: ({ signet }) => signet.service.liability.caps() },
  {
    method: 'PUT',
    url: '/api/v1/service/liability/caps', scope: 'ca',
    tag: 'liability',
    roles: CA_ADMIN,
    summary: 'Set the cap for a policy (a profile id, or default)',
    body: object({ policyId: str, subscriberType: str, capFen: fen }, ['policyId', 'subscriberType', 'capFen']),
    handle: ({ signet, actor, body }) => signet.service.liability.setCap(actor, body as never),
  },
  { method: 'GET', url: '/api/v1/service/liability/certificates/:serial', scope: (signet, { params }) => raOfCertificate(signet, params.serial), tag: 'liability', roles: READERS, summary: "A certificate's cap and what was paid on it", handle: ({ signet, params }) => signet.service.liability.certificate(params.serial!) },
  {
    method: 'POST',
    url: '/api/v1/service/liability/claims', scope: (signet, { body }) => raOfCertificate(signet, body.certificateSerial),
    tag: 'liability',
    roles: STAFF,
    status: 201,
    summary: 'Register a claim against a certificate',
    body: object({ certificateSerial: str, amountFen: fen, claimant: contact, description: text, subscriberType: str }, ['certificateSerial', 'amountFen', 'claimant', 'description']),
    handle: ({ signet, actor, body }) => signet.service.liability.register(actor, body as never),
  },
  { method: 'GET', url: '/api/v1/service/liability/claims', scope: 'none', tag: 'liability', roles: READERS, summary: 'The claims register, claimants masked', handle: async ({ signet, by, query }) => narrowToRa(signet, by, await signet.service.liability.claims({ certificateSerial: query.serial }), (c) => ({ certificateSerial: c.certificateSerial })) },
  { method: 'GET', url: '/api/v1/service/liability/claims/:id', scope: (signet, { params }) => raOfClaim(signet, params.id), tag: 'liability', roles: READERS, summary: 'One claim in full (the read is audited)', handle: ({ signet, actor, params }) => signet.service.liability.readClaim(actor, params.id!) },
  {
    method: 'POST',
    url: '/api/v1/service/liability/claims/:id/payment', scope: 'ca',
    tag: 'liability',
    roles: CA_ADMIN,
    summary: 'Pay a claim; refused (409) when the certificate cap would be passed',
    body: object({ amountFen: fen, note: str }),
    handle: ({ signet, actor, params, body }) => signet.service.liability.pay(actor, params.id!, body as never),
  },
  {
    method: 'POST',
    url: '/api/v1/service/liability/claims/:id/rejection', scope: 'ca',
    tag: 'liability',
    roles: CA_ADMIN,
    summary: 'Reject a claim',
    body: object({ note: str }, ['note']),
    handle: ({ signet, actor, params, body }) => signet.service.liability.reject(actor, params.id!, { note: String(body.note) }),
  },

  // Fees (R9)
  {
    method: 'GET',
    url: '/api/v1/service/fees/schedules', scope: 'none',
    tag: 'fees',
    roles: ['public'],
    summary: 'The fee standard in force (?raId, ?at, ?all=true for every version)',
    handle: ({ signet, query }) => signet.service.fees.schedules({ raId: query.raId, at: date(query.at, 'at'), all: query.all === 'true' }),
  },
  {
    method: 'POST',
    url: '/api/v1/service/fees/schedules', scope: async (_signet, { body }) => (typeof body.raId === 'string' && body.raId ? body.raId : OWN_RA),
    tag: 'fees',
    roles: ['ca-admin', 'ra-admin'],
    status: 201,
    summary: "Add a fee for a product (profile × validity) at the caller's RA",
    body: object({ raId: str, profileId: str, validityDays: { type: 'integer' }, amountFen: fen, effectiveFrom: str }, ['profileId', 'validityDays', 'amountFen']),
    handle: ({ signet, by, actor, body }) => signet.service.fees.setSchedule(actor, { ...(body as Record<string, never>), raId: scoped(by, body.raId) } as never),
  },
  { method: 'GET', url: '/api/v1/service/fees/settings/:raId', scope: async (_signet, { params }) => params.raId ?? null, tag: 'fees', roles: READERS, summary: "An RA's payment gate and reminder window", handle: ({ signet, by, params }) => signet.service.fees.settings(scoped(by, params.raId)) },
  {
    method: 'PUT',
    url: '/api/v1/service/fees/settings/:raId', scope: async (_signet, { params }) => params.raId ?? null,
    tag: 'fees',
    roles: ['ca-admin', 'ra-admin'],
    summary: 'Require payment before issuance and renewal; set the renewal reminder window',
    body: object({ paymentRequired: { type: 'boolean' }, reminderDays: { type: 'integer' } }),
    handle: ({ signet, by, actor, params, body }) => signet.service.fees.configure(actor, scoped(by, params.raId), body as never),
  },
  {
    method: 'POST',
    url: '/api/v1/service/fees/charges', scope: (signet, { body }) => raOfSubscriber(signet, body.subscriberId),
    tag: 'fees',
    roles: STAFF,
    status: 201,
    summary: 'Charge a certificate period (issuance after an application, or a renewal)',
    body: object({ raId: str, subscriberId: str, purpose: str, reference: str, profileId: str, validityDays: { type: 'integer' } }, ['subscriberId', 'purpose', 'reference', 'profileId', 'validityDays']),
    handle: ({ signet, by, actor, body }) => signet.service.fees.charge(actor, { ...(body as Record<string, never>), raId: scoped(by, body.raId) } as never),
  },
  { method: 'GET', url: '/api/v1/service/fees/charges', scope: 'none', tag: 'fees', roles: READERS, summary: 'Charges', handle: ({ signet, by, query }) => signet.service.fees.charges({ raId: by.raId ?? query.raId, subscriberId: query.subscriberId, status: query.status }) },
  {
    method: 'POST',
    url: '/api/v1/service/fees/charges/:id/payments', scope: (signet, { params }) => raOfCharge(signet, params.id),
    tag: 'fees',
    roles: STAFF,
    status: 201,
    summary: 'Record a payment against a charge',
    body: object({ amountFen: fen, method: str, reference: str, receivedAt: str }, ['amountFen', 'method']),
    handle: ({ signet, actor, params, body }) => signet.service.fees.recordPayment(actor, params.id!, body as never),
  },
  {
    method: 'GET',
    url: '/api/v1/service/fees/gate', scope: async (_signet, { query }) => query.raId || OWN_RA,
    tag: 'fees',
    roles: READERS,
    summary: 'Whether issuance or renewal may proceed (?raId, ?purpose=issuance|renewal, ?reference)',
    handle: ({ signet, by, query }) => {
      if (query.purpose !== 'issuance' && query.purpose !== 'renewal') throw new SignetError('service.bad-purpose', 400, {}, 'purpose');
      return signet.service.fees.paymentGate({ raId: scoped(by, query.raId), purpose: query.purpose, reference: query.reference ?? '' });
    },
  },

  // Retention (R2)
  {
    method: 'POST',
    url: '/api/v1/service/retention/holds', scope: 'ca',
    tag: 'retention',
    roles: CA_ADMIN,
    status: 201,
    summary: 'Place a legal hold or dispute hold on a subscriber',
    body: object({ subscriberId: str, kind: str, reason: text }, ['subscriberId', 'reason']),
    handle: ({ signet, actor, body }) => signet.service.retention.placeHold(actor, body as never),
  },
  { method: 'POST', url: '/api/v1/service/retention/holds/:id/release', scope: 'ca', tag: 'retention', roles: CA_ADMIN, summary: 'Release a hold', handle: ({ signet, actor, params }) => signet.service.retention.releaseHold(actor, params.id!) },
  { method: 'GET', url: '/api/v1/service/retention/holds', scope: 'ca', tag: 'retention', roles: ['ca-admin', 'auditor'], summary: 'Holds', handle: ({ signet, query }) => signet.service.retention.holds({ subscriberId: query.subscriberId, active: query.active === 'true' }) },
  { method: 'POST', url: '/api/v1/service/retention/run', scope: 'ca', tag: 'retention', roles: CA_ADMIN, summary: 'Run the retention job now', handle: ({ signet, actor }) => signet.service.retention.run(actor) },

  { method: 'GET', url: '/api/v1/service/notifications', scope: 'ca', tag: 'notifications', roles: ['ca-admin', 'auditor'], summary: 'The notification outbox (?pending=true): state and subject, not the bodies (personal data)', handle: ({ signet, query }) => signet.service.outbox.summaries({ pending: query.pending === 'true', recipient: query.recipient }) },

  // Audit (R20)
  { method: 'POST', url: '/api/v1/audit/checkpoints', scope: 'ca', tag: 'audit', roles: CA_ADMIN, status: 201, summary: 'Sign the audit chain head now (time-stamped by our TSA)', handle: ({ signet, actor }) => signet.auditCheckpoints.checkpoint(actor) },
  { method: 'GET', url: '/api/v1/audit/checkpoints', scope: 'ca', tag: 'audit', roles: ['ca-admin', 'auditor'], summary: 'Signed checkpoints', handle: ({ signet }) => signet.auditCheckpoints.list() },
  {
    method: 'GET',
    url: '/api/v1/audit/entries', scope: 'ca',
    tag: 'audit',
    roles: ['ca-admin', 'auditor'],
    summary: 'Search the audit log, newest first (?from, ?to: instants with offset; ?actor, ?subject: contained text; ?action: one code; ?before: the previous page\'s next; ?limit ≤ 200)',
    handle: ({ signet, query }) => searchAuditLog(signet.store, query),
  },
  {
    method: 'GET',
    url: '/api/v1/audit/actions', scope: 'ca',
    tag: 'audit',
    roles: ['ca-admin', 'auditor'],
    summary: 'The audit actions and their names in zh-CN and en, for the search form',
    handle: async () => Object.entries(AUDIT_ACTION_NAMES).map(([action, words]) => ({ action, ...words })),
  },
  {
    method: 'GET',
    url: '/api/v1/audit/verification', scope: 'ca',
    tag: 'audit',
    roles: ['ca-admin', 'auditor'],
    summary: 'Verify the hash chain, the signed checkpoints and the heads exported outside the database; `texts` says each verdict in zh-CN and en',
    handle: async ({ signet }) => {
      const result = await verifyAudit(signet.store, { heads: signet.config.auditHeadExport, trustedKeys: signet.config.auditTrustedKeys, requirePinnedKeys: signet.config.mode === 'production' });
      return { ...result, texts: auditVerificationTexts(result) };
    },
  },
];

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The same credentials the RA routes take (src/http/ra-routes.ts): the
 * bootstrap admin token, an operator's API token, or a session cookie with
 * its CSRF token on anything but GET.
 */
export async function operatorPrincipal(signet: Signet, request: FastifyRequest): Promise<Principal | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) {
    const a = createHash('sha256').update(bearer).digest();
    const b = createHash('sha256').update(signet.config.adminToken()).digest();
    if (timingSafeEqual(a, b)) return bootstrapPrincipal('admin-token');
    return signet.ra.operators.apiTokenPrincipal(bearer);
  }
  const session = cookie(request, SESSION_COOKIE);
  if (session) {
    const safe = request.method === 'GET' || request.method === 'HEAD';
    const csrf = request.headers['x-csrf-token'];
    if (!safe && typeof csrf !== 'string') throw new SignetError('ra.csrf-mismatch', 403);
    return signet.ra.operators.sessionPrincipal(session, safe ? null : (csrf as string));
  }
  return null;
}

/** Registers a table of routes: each declares its roles; handlers only parse, call the domain, render. */
export async function registerOperatorRoutes(app: FastifyInstance, signet: Signet, routes: readonly OperatorRoute[]): Promise<void> {
  await app.register(async (scope) => {
    const principals = new WeakMap<FastifyRequest, Principal>();
    for (const route of routes) {
      const isPublic = route.roles.includes('public');
      scope.route({
        method: route.method,
        url: route.url,
        schema: {
          tags: [route.tag],
          summary: route.summary,
          description: `Admits: ${route.roles.join(', ')}. Scope: ${typeof route.scope === 'string' ? route.scope : 'the RA of the object named'}.`,
          ...(isPublic ? {} : { security: [{ bearer: [] }] }),
          ...(route.body ? { body: route.body } : {}),
        },
        onRequest: async (request) => {
          if (isPublic) return;
          const principal = await operatorPrincipal(signet, request);
          if (!principal) throw new SignetError('auth.required', 401);
          if (!route.roles.includes(principal.role)) throw roleNotAdmitted(principal.role, route.roles);
          principals.set(request, principal);
        },
        handler: async (request, reply) => {
          const by = principals.get(request) as Principal;
          const input = {
            params: (request.params ?? {}) as Record<string, string>,
            query: (request.query ?? {}) as Record<string, string | undefined>,
            body: (request.body && typeof request.body === 'object' ? request.body : {}) as Body,
          };
          await enforceScope(signet, by, route.scope, input);
          const result = await route.handle({
            signet,
            request,
            reply,
            by,
            actor: by ? actorOf(by) : 'public',
            params: (request.params ?? {}) as Record<string, string>,
            query: (request.query ?? {}) as Record<string, string | undefined>,
            body: (request.body && typeof request.body === 'object' ? request.body : {}) as Body,
          });
          if (route.status) reply.code(route.status);
          return result;
        },
      });
    }
  });
}

/** The service domain's REST surface (issue 6) and the audit checkpoints. */
export async function serviceRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await registerOperatorRoutes(app, signet, SERVICE_ROUTES);
}

