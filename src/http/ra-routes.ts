import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SignetError } from '../i18n/signet-error.js';
import { bootstrapPrincipal, roleNotAdmitted, ROLES, type Principal, type Role } from '../ra/roles.js';
import type { Signet } from '../signet.js';
import { enforceScope, namedRaOrOwn, OWN_RA, raOfCertificate, raOfDocument, raOfRaObject, raOfSubscriber, type Scope } from './access.js';
import { ACME_BINDING_ROUTES } from './acme-binding-routes.js';

/** Who a route admits: operator roles, or 'public' for the subscriber's own steps (login, download, the agreement). */
export type Admitted = Role | 'public';

const READERS: readonly Admitted[] = ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'];
const EVERY_OPERATOR: readonly Admitted[] = ROLES;
const SESSION_COOKIE = 'signet_session';
const CSRF_COOKIE = 'signet_csrf';
const CSRF_HEADER = 'x-csrf-token';

type Body = Record<string, unknown>;
interface Call {
  signet: Signet;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Null only on public routes. */
  by: Principal;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Body;
}

export interface RaRoute {
  method: 'GET' | 'POST';
  url: string;
  /** Every RA route declares the roles it admits; the route × role matrix test walks them all. */
  roles: readonly Admitted[];
  /**
   * What the route touches (access.ts): checked by the authorisation layer
   * before the handler, so an RA-scoped operator never reaches another RA's
   * object; the domain's own checks stay behind it.
   */
  scope: Scope;
  summary: string;
  body?: Record<string, unknown>;
  /** Raw uploads (supporting documents) take the RA's document limit instead of the JSON limit. */
  upload?: boolean;
  status?: number;
  handle: (call: Call) => Promise<unknown>;
}

const str = { type: 'string', maxLength: 256 } as const;
const text = { type: 'string', maxLength: 4000 } as const;
const person = {
  type: 'object',
  additionalProperties: false,
  properties: { name: str, idType: str, idNumber: str, phone: str, email: str },
} as const;
const consent = {
  type: 'object',
  additionalProperties: false,
  properties: { agreementVersion: str, accepted: { type: 'boolean' }, clientAddress: str },
} as const;
const agent = {
  type: 'object',
  additionalProperties: false,
  required: ['delegationId', 'idType', 'idNumber'],
  properties: { delegationId: str, idType: str, idNumber: str },
} as const;
/** The object scopes most RA routes declare: the RA of the subscriber, application, change or certificate named in the path. */
const SUBSCRIBER: Scope = (signet, { params }) => raOfSubscriber(signet, params.subscriberId);
const APPLICATION: Scope = (signet, { params }) => raOfRaObject(signet, 'application', params.applicationId);
const CHANGE: Scope = (signet, { params }) => raOfRaObject(signet, 'change', params.changeId);
const CERTIFICATE: Scope = (signet, { params }) => raOfCertificate(signet, params.serial);
const OPERATOR: Scope = (signet, { params }) => raOfRaObject(signet, 'operator', params.operatorId);

const object = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, required, properties });

/** The RA's REST surface: every route thin (parse, call the domain, render). */
export const RA_ROUTES: readonly RaRoute[] = [
  // Sessions and tokens
  {
    method: 'POST',
    url: '/api/v1/ra/login', scope: 'none',
    roles: ['public'],
    summary: 'Operator password login: sets the HttpOnly session cookie and returns the CSRF token (also in a cookie)',
    body: object({ username: str, password: { type: 'string', maxLength: 1024 } }, ['username', 'password']),
    handle: async ({ signet, request, reply, body }) => {
      const session = await signet.ra.operators.login(String(body.username), String(body.password), request.ip);
      const maxAge = Math.max(0, Math.floor((Date.parse(session.expiresAt) - signet.ca.now().getTime()) / 1000));
      // Secure + HttpOnly + SameSite=Strict: the browser never shows the session to scripts nor sends it cross-site.
      reply.header('set-cookie', [
        `${SESSION_COOKIE}=${session.sessionToken}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAge}`,
        `${CSRF_COOKIE}=${session.csrfToken}; Path=/; Secure; SameSite=Strict; Max-Age=${maxAge}`,
      ]);
      return { csrfToken: session.csrfToken, expiresAt: session.expiresAt, operator: session.operator };
    },
  },
  {
    method: 'POST',
    url: '/api/v1/ra/logout', scope: 'none',
    roles: EVERY_OPERATOR,
    summary: 'End the current session',
    handle: async ({ signet, request, reply }) => {
      const token = cookies(request)[SESSION_COOKIE];
      if (token) await signet.ra.operators.logout(token);
      reply.header('set-cookie', [`${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`, `${CSRF_COOKIE}=; Path=/; Secure; SameSite=Strict; Max-Age=0`]);
      return { ok: true };
    },
  },
  {
    method: 'GET',
    url: '/api/v1/ra/me', scope: 'none',
    roles: EVERY_OPERATOR,
    summary: 'Who the caller is: role and RA',
    handle: async ({ by }) => by,
  },
  {
    method: 'POST',
    url: '/api/v1/ra/api-tokens', scope: async (signet, { body }) => (typeof body.operatorId === 'string' && body.operatorId ? raOfRaObject(signet, 'operator', body.operatorId) : OWN_RA),
    roles: EVERY_OPERATOR,
    status: 201,
    summary: 'Create an API token for automation (shown once; stored as SHA-256)',
    body: object({ label: str, expiresInDays: { type: 'integer' }, operatorId: str }, ['label']),
    handle: ({ signet, by, body }) =>
      signet.ra.operators.createApiToken(by, { label: String(body.label), expiresInDays: body.expiresInDays as number | undefined, operatorId: body.operatorId as string | undefined }),
  },

  // RA organisations (R18)
  { method: 'GET', url: '/api/v1/ra/organisations', scope: 'none', roles: READERS, summary: 'List RAs', handle: ({ signet }) => signet.ra.organisations.list() },
  {
    method: 'POST',
    url: '/api/v1/ra/organisations', scope: 'ca',
    roles: ['ca-admin'],
    status: 201,
    summary: 'Create an RA',
    body: object({ name: str, approvalPolicy: { type: 'string', enum: ['two-person', 'single-person'] } }, ['name']),
    handle: ({ signet, by, body }) => signet.ra.organisations.create(by, { name: String(body.name), approvalPolicy: body.approvalPolicy as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/organisations/:raId/merge', scope: 'ca',
    roles: ['ca-admin'],
    summary: 'Merge an RA into another: the successor inherits subscribers, pending work and the "original RA" role',
    body: object({ into: str, reason: text }, ['into']),
    handle: ({ signet, by, params, body }) => signet.ra.organisations.merge(by, params.raId!, { into: String(body.into), reason: body.reason as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/organisations/:raId/withdraw', scope: 'ca',
    roles: ['ca-admin'],
    summary: 'Withdraw an RA, naming its successor',
    body: object({ successor: str, reason: text }, ['successor']),
    handle: ({ signet, by, params, body }) =>
      signet.ra.organisations.withdraw(by, params.raId!, { successor: String(body.successor), reason: body.reason as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/organisations/:raId/approval-policy', scope: 'ca',
    roles: ['ca-admin'],
    summary: 'Two-person approval (the registering officer cannot approve) or single-person approval (allowed, with a recorded warning) for one RA',
    body: object({ approvalPolicy: { type: 'string', enum: ['two-person', 'single-person'] } }, ['approvalPolicy']),
    handle: ({ signet, by, params, body }) => signet.ra.organisations.setApprovalPolicy(by, params.raId!, String(body.approvalPolicy)),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/organisations/:raId/history', scope: (signet, { params }) => raOfRaObject(signet, 'organisation', params.raId),
    roles: ['ca-admin', 'ra-admin', 'auditor'],
    summary: 'Membership history: which subscriber belonged to the RA, when',
    handle: ({ signet, by, params }) => signet.ra.organisations.history(by, params.raId!),
  },

  // Operators
  { method: 'GET', url: '/api/v1/ra/operators', scope: 'none', roles: ['ca-admin', 'ra-admin', 'auditor'], summary: 'List operators', handle: ({ signet, by }) => signet.ra.operators.list(by) },
  {
    method: 'POST',
    url: '/api/v1/ra/operators', scope: namedRaOrOwn('raId'),
    roles: ['ca-admin', 'ra-admin'],
    status: 201,
    summary: 'Create an operator (ca-admin: any role; ra-admin: their own RA only)',
    body: object({ username: str, displayName: str, role: str, raId: { type: ['string', 'null'], maxLength: 64 }, password: { type: 'string', maxLength: 1024 } }, ['username', 'role', 'password']),
    handle: ({ signet, by, body }) =>
      signet.ra.operators.create(by, {
        username: String(body.username),
        displayName: body.displayName as string | undefined,
        role: String(body.role),
        raId: body.raId as string | null | undefined,
        password: String(body.password),
      }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/operators/:operatorId/unlock', scope: (signet, { params }) => raOfRaObject(signet, 'operator', params.operatorId),
    roles: ['ca-admin', 'ra-admin'],
    summary: 'Lift a login lockout',
    handle: ({ signet, by, params }) => signet.ra.operators.unlock(by, params.operatorId!),
  },
  // Issue 20: the rest of account administration, as the CLI has it (ra operator disable/enable/role/password).
  {
    method: 'POST',
    url: '/api/v1/ra/operators/:operatorId/status', scope: OPERATOR,
    roles: ['ca-admin', 'ra-admin'],
    summary: 'Disable or enable an operator (never one\'s own account)',
    body: object({ status: { type: 'string', enum: ['active', 'disabled'] }, reason: text }, ['status']),
    handle: ({ signet, by, params, body }) => signet.ra.operators.setStatus(by, params.operatorId!, body.status as 'active' | 'disabled', body.reason as string | undefined),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/operators/:operatorId/role', scope: OPERATOR,
    roles: ['ca-admin', 'ra-admin'],
    summary: 'Give an operator another role (and RA); an RA administrator only within their RA and never ca-admin',
    body: object({ role: str, raId: { type: ['string', 'null'], maxLength: 64 } }, ['role']),
    handle: ({ signet, by, params, body }) => signet.ra.operators.changeRole(by, params.operatorId!, { role: String(body.role), raId: body.raId as string | null | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/operators/:operatorId/password', scope: OPERATOR,
    roles: ['ca-admin', 'ra-admin'],
    summary: 'Set a new password for an operator and lift any lockout',
    body: object({ password: { type: 'string', maxLength: 1024 } }, ['password']),
    handle: ({ signet, by, params, body }) => signet.ra.operators.resetPassword(by, params.operatorId!, String(body.password)),
  },

  // The subscriber agreement (R0)
  {
    method: 'GET',
    url: '/api/v1/agreements/current', scope: 'none',
    roles: ['public'],
    summary: 'The subscriber agreement version in force',
    handle: async ({ signet }) => {
      const current = await signet.ra.agreements.requireCurrent();
      return signet.ra.agreements.version(current.id);
    },
  },
  {
    method: 'GET',
    url: '/api/v1/agreements/:version', scope: 'none',
    roles: ['public'],
    summary: 'Any agreement version, by its id, with its text',
    handle: ({ signet, params }) => signet.ra.agreements.version(params.version!),
  },
  {
    method: 'POST',
    url: '/api/v1/agreements', scope: 'ca',
    roles: ['ca-admin'],
    status: 201,
    summary: 'Publish a new agreement version',
    body: object({ id: str, title: str, text: { type: 'string', maxLength: 500_000 }, publishedAt: str }, ['id', 'text']),
    handle: ({ signet, by, body }) =>
      signet.ra.agreements.publish({
        id: String(body.id),
        title: String(body.title ?? body.id),
        text: String(body.text),
        publishedAt: body.publishedAt ? new Date(String(body.publishedAt)) : undefined,
        actor: `operator:${by.username}`,
      }),
  },

  // Subscribers (R1, R3)
  {
    method: 'GET',
    url: '/api/v1/ra/subscribers', scope: 'none',
    roles: READERS,
    summary: 'List subscribers (identifiers masked)',
    handle: ({ signet, by, query }) => signet.ra.subscribers.list(by, { raId: query.raId }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/subscribers', scope: 'none',
    roles: ['ra-admin', 'ra-officer'],
    status: 201,
    summary: 'Register a subscriber at the officer\'s RA, with consent to the current agreement',
    body: object(
      {
        type: { type: 'string', enum: ['individual', 'enterprise'] },
        name: str,
        idType: str,
        idNumber: str,
        phone: str,
        email: str,
        uscc: str,
        legalRepresentative: person,
        agent: person,
        consent,
      },
      ['type'],
    ),
    handle: ({ signet, by, request, body }) => {
      const { consent: given, ...record } = body;
      return signet.ra.subscribers.register(by, { record, consent: given as Body | undefined }, request.ip);
    },
  },
  {
    method: 'GET',
    url: '/api/v1/ra/subscribers/:subscriberId', scope: SUBSCRIBER,
    roles: READERS,
    summary: 'A subscriber\'s full record as on file now, or at ?at=<date> (the read is audited)',
    handle: ({ signet, by, params, query }) => signet.ra.subscribers.get(by, params.subscriberId!, dateParam(query.at, 'at')),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/subscribers/:subscriberId/versions', scope: SUBSCRIBER,
    roles: READERS,
    summary: 'Every version of the record: who, when, what',
    handle: ({ signet, by, params }) => signet.ra.subscribers.versions(by, params.subscriberId!),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/subscribers/:subscriberId/documents', scope: SUBSCRIBER,
    roles: ['ra-admin', 'ra-officer'],
    status: 201,
    upload: true,
    summary: 'Upload a supporting document (raw body: application/pdf, image/jpeg, image/png; ?kind=&filename=)',
    handle: ({ signet, by, request, params, query }) =>
      signet.ra.subscribers.addDocument(by, params.subscriberId!, {
        kind: query.kind ?? '',
        filename: query.filename ?? 'document',
        mediaType: String(request.headers['content-type'] ?? ''),
        content: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      }),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/subscribers/:subscriberId/documents', scope: SUBSCRIBER,
    roles: READERS,
    summary: 'Supporting documents with their SHA-256',
    handle: ({ signet, by, params }) => signet.ra.subscribers.documents(by, params.subscriberId!),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/subscribers/:subscriberId/documents/:documentId', scope: (signet, { params }) => raOfDocument(signet, params.subscriberId, params.documentId),
    roles: READERS,
    summary: 'One supporting document\'s content, for the officer to see (the read is audited, R2)',
    handle: async ({ signet, by, params, reply }) => {
      const document = await signet.ra.subscribers.readDocument(by, params.subscriberId!, params.documentId!);
      // Shown inline in the console, never cached, never sniffed into something else.
      reply
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(document.filename)}`)
        .type(document.mediaType);
      return document.content;
    },
  },

  {
    method: 'POST',
    url: '/api/v1/ra/subscribers/:subscriberId/portal-access', scope: SUBSCRIBER,
    roles: ['ra-officer'],
    status: 201,
    summary: 'Give the subscriber a new portal tracking number and code (shown once; the old ones stop working)',
    handle: ({ signet, by, params }) => signet.ra.selfService.issueAccess(by, params.subscriberId!),
  },

  // Delegation (R6)
  {
    method: 'GET',
    url: '/api/v1/ra/subscribers/:subscriberId/delegations', scope: SUBSCRIBER,
    roles: READERS,
    summary: 'The subscriber\'s agents',
    handle: ({ signet, by, params }) => signet.ra.delegations.list(by, params.subscriberId!),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/subscribers/:subscriberId/delegations', scope: SUBSCRIBER,
    roles: ['ra-officer'],
    status: 201,
    summary: 'Record a delegation: agent, scope, expiry, evidence document',
    body: object({ agentName: str, agentIdType: str, agentIdNumber: str, scope: { type: 'array', items: str, maxItems: 8 }, expiresAt: str, evidenceDocumentId: str }, [
      'agentName',
      'agentIdType',
      'agentIdNumber',
      'scope',
      'expiresAt',
      'evidenceDocumentId',
    ]),
    handle: ({ signet, by, params, body }) => signet.ra.delegations.create(by, params.subscriberId!, body as never),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/delegations/:delegationId/revoke', scope: (signet, { params }) => raOfRaObject(signet, 'delegation', params.delegationId),
    roles: ['ra-officer'],
    summary: 'End a delegation',
    handle: ({ signet, by, params }) => signet.ra.delegations.revoke(by, params.delegationId!),
  },

  // Changes of information (R3)
  {
    method: 'POST',
    url: '/api/v1/ra/subscribers/:subscriberId/changes', scope: SUBSCRIBER,
    roles: ['ra-officer'],
    status: 201,
    summary: 'Record the subscriber\'s report of changed information, for review',
    body: object({ changes: { type: 'object', maxProperties: 16 } }, ['changes']),
    handle: ({ signet, by, params, body }) => signet.ra.changes.submit(by, params.subscriberId!, { changes: body.changes as Body }),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/changes', scope: 'none',
    roles: READERS,
    summary: 'Change requests (?status=&subscriberId=); new values masked',
    handle: ({ signet, by, query }) => signet.ra.changes.list(by, { status: query.status, subscriberId: query.subscriberId }),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/changes/:changeId', scope: CHANGE,
    roles: READERS,
    summary: 'One change request with its new values in full (the list masks them); the read is audited',
    handle: ({ signet, by, params }) => signet.ra.changes.get(by, params.changeId!),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/changes/:changeId/approve', scope: CHANGE,
    roles: ['ra-officer'],
    summary: 'Approve a change: new version on file; affected certificates revoked (affiliationChanged) and re-issue credentials returned once',
    body: object({ note: text }),
    handle: ({ signet, by, params, body }) => signet.ra.changes.approve(by, params.changeId!, { note: body.note as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/changes/:changeId/reject', scope: CHANGE,
    roles: ['ra-officer'],
    summary: 'Reject a change (reason required)',
    body: object({ reason: text }),
    handle: ({ signet, by, params, body }) => signet.ra.changes.reject(by, params.changeId!, { reason: body.reason as string | undefined }),
  },

  // Applications and review (R4)
  {
    method: 'GET',
    url: '/api/v1/ra/applications', scope: 'none',
    roles: READERS,
    summary: 'Applications of the caller\'s RA (?status=&subscriberId=)',
    handle: ({ signet, by, query }) => signet.ra.applications.list(by, { status: query.status, subscriberId: query.subscriberId }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/applications', scope: (signet, { body }) => raOfSubscriber(signet, body.subscriberId),
    roles: ['ra-admin', 'ra-officer'],
    status: 201,
    summary: 'Submit a certificate application (purpose signing / encryption; the profile follows from the subscriber type)',
    body: object({ subscriberId: str, purpose: str, keyGeneration: str, consent }, ['subscriberId', 'purpose']),
    handle: ({ signet, by, request, body }) =>
      signet.ra.applications.submit(
        by,
        { subscriberId: String(body.subscriberId), purpose: String(body.purpose), keyGeneration: body.keyGeneration as string | undefined, consent: body.consent as Body | undefined },
        request.ip,
      ),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/applications/:applicationId', scope: APPLICATION,
    roles: READERS,
    summary: 'One application',
    handle: ({ signet, by, params }) => signet.ra.applications.get(by, params.applicationId!),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/applications/:applicationId/review', scope: APPLICATION,
    roles: ['ra-officer'],
    summary: 'Take an application into review',
    handle: ({ signet, by, params }) => signet.ra.applications.startReview(by, params.applicationId!),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/applications/:applicationId/approve', scope: APPLICATION,
    roles: ['ra-officer'],
    summary: 'Approve: returns the download credential (reference number + authorization code) once',
    body: object({ note: text }),
    handle: ({ signet, by, params, body }) => signet.ra.applications.approve(by, params.applicationId!, { note: body.note as string | undefined }),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/applications/:applicationId/approval-check', scope: APPLICATION,
    roles: READERS,
    summary: 'What approving would mean for the caller now: refused under two-person approval, or the warnings it would record (issue 20)',
    handle: ({ signet, by, params }) => signet.ra.applications.approvalCheck(by, params.applicationId!),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/applications/:applicationId/reject', scope: APPLICATION,
    roles: ['ra-officer'],
    summary: 'Reject (reason required)',
    body: object({ reason: text }),
    handle: ({ signet, by, params, body }) => signet.ra.applications.reject(by, params.applicationId!, { reason: body.reason as string | undefined }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/applications/:applicationId/credential', scope: APPLICATION,
    roles: ['ra-officer'],
    summary: 'A new download credential for an approved application (the old one stops working)',
    handle: ({ signet, by, params }) => signet.ra.applications.reissueCredential(by, params.applicationId!),
  },

  // Renewal and re-key (R16)
  {
    method: 'POST',
    url: '/api/v1/ra/certificates/:serial/renewals', scope: CERTIFICATE,
    roles: ['ra-officer'],
    status: 201,
    summary: 'Apply to renew (same key) or re-key (new key) a certificate before it expires',
    body: object({ rekey: { type: 'boolean' } }),
    handle: ({ signet, by, params, body }) => signet.ra.renewals.request(by, params.serial!, { rekey: body.rekey === true }),
  },

  {
    method: 'POST',
    url: '/api/v1/ra/certificates/:serial/revocations', scope: CERTIFICATE,
    roles: ['ra-officer'],
    summary: 'Revoke on the subscriber\'s request at their (original or successor) RA (R7, R18)',
    body: object({ reason: str, justification: text }, ['reason']),
    handle: ({ signet, by, params, body }) =>
      signet.ra.revocations.request(by, params.serial!, { reason: String(body.reason), justification: body.justification as string | undefined }),
  },

  // Download (R5, R6): the subscriber or their agent, with the credential
  {
    method: 'POST',
    url: '/api/v1/ra/downloads', scope: 'none',
    roles: ['public'],
    status: 201,
    summary: 'Download: credential + PKCS#10 (PEM or base64 DER) → certificate and chain',
    body: object({ referenceNumber: str, authorizationCode: str, csr: { type: 'string', maxLength: 65536 }, agent }, ['referenceNumber', 'authorizationCode', 'csr']),
    handle: ({ signet, request, body }) => {
      const csr = String(body.csr);
      return signet.ra.downloads.withRequest(
        {
          referenceNumber: String(body.referenceNumber),
          authorizationCode: String(body.authorizationCode),
          csr: csr.includes('-----BEGIN') ? csr : Buffer.from(csr, 'base64'),
          agent: body.agent as never,
        },
        request.ip,
      );
    },
  },
  {
    method: 'POST',
    url: '/api/v1/ra/downloads/pkcs12', scope: 'none',
    roles: ['public'],
    status: 201,
    summary: 'Download with server-side key generation (profiles that allow it): application/x-pkcs12, AES-256-CBC + PBKDF2-SHA256',
    body: object({ referenceNumber: str, authorizationCode: str, password: { type: 'string', maxLength: 1024 }, keyAlgorithm: str, agent }, ['referenceNumber', 'authorizationCode', 'password']),
    handle: async ({ signet, request, reply, body }) => {
      const result = await signet.ra.downloads.withServerKey(
        {
          referenceNumber: String(body.referenceNumber),
          authorizationCode: String(body.authorizationCode),
          password: String(body.password),
          keyAlgorithm: body.keyAlgorithm as string | undefined,
          agent: body.agent as never,
        },
        request.ip,
      );
      reply.header('x-certificate-serial', result.serial).header('cache-control', 'no-store').type('application/x-pkcs12');
      return result.pkcs12;
    },
  },
  // ACME external account bindings (docs/acme.md)
  ...ACME_BINDING_ROUTES,
];

function dateParam(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new SignetError('request.invalid', 400, { detail: `${field} is not a date` }, field);
  return at;
}

const paramsOf = (request: FastifyRequest) => (request.params ?? {}) as Record<string, string>;
const queryOf = (request: FastifyRequest) => (request.query ?? {}) as Record<string, string | undefined>;

function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Who is calling: the bootstrap admin token (a CA administrator), an API
 * token, or a session cookie, which for anything but GET must come with the
 * session's CSRF token in X-CSRF-Token.
 */
async function authenticate(signet: Signet, request: FastifyRequest): Promise<Principal | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) {
    if (sameSecret(bearer, signet.config.adminToken())) return bootstrapPrincipal('admin-token');
    return signet.ra.operators.apiTokenPrincipal(bearer);
  }
  const session = cookies(request)[SESSION_COOKIE];
  if (session) {
    const safe = request.method === 'GET' || request.method === 'HEAD';
    const csrf = request.headers[CSRF_HEADER];
    if (!safe && typeof csrf !== 'string') throw new SignetError('ra.csrf-mismatch', 403);
    return signet.ra.operators.sessionPrincipal(session, safe ? null : (csrf as string));
  }
  return null;
}

export async function raRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await app.register(async (scope) => {
    const principals = new WeakMap<FastifyRequest, Principal>();
    for (const type of ['application/pdf', 'image/jpeg', 'image/png']) {
      scope.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    }
    for (const route of RA_ROUTES) {
      const isPublic = route.roles.includes('public');
      scope.route({
        method: route.method,
        url: route.url,
        bodyLimit: route.upload ? signet.ra.settings.documentLimitBytes : undefined,
        schema: {
          tags: [route.url.startsWith('/api/v1/agreements') ? 'agreement' : 'ra'],
          summary: route.summary,
          description: `Admits: ${route.roles.join(', ')}. Scope: ${typeof route.scope === 'string' ? route.scope : 'the RA of the object named'}.`,
          ...(isPublic ? {} : { security: [{ bearer: [] }] }),
          ...(route.body ? { body: route.body } : {}),
        },
        // Before the body is read: an unauthorised upload is refused without being received.
        onRequest: async (request) => {
          if (isPublic) return;
          const principal = await authenticate(signet, request);
          if (!principal) throw new SignetError('auth.required', 401);
          if (!route.roles.includes(principal.role)) {
            throw roleNotAdmitted(principal.role, route.roles);
          }
          principals.set(request, principal);
          // An upload's scope is told by its path: another RA's subscriber is refused before the document is received.
          if (route.upload) await enforceScope(signet, principal, route.scope, { params: paramsOf(request), query: queryOf(request), body: {} });
        },
        handler: async (request, reply) => {
          const by = principals.get(request) ?? (undefined as unknown as Principal);
          const params = paramsOf(request);
          const query = queryOf(request);
          const body = (request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? request.body : {}) as Body;
          if (!route.upload) await enforceScope(signet, by, route.scope, { params, query, body });
          const result = await route.handle({ signet, request, reply, by, params, query, body });
          if (route.status) reply.code(route.status);
          return result;
        },
      });
    }
  });
}
