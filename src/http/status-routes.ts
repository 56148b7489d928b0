import type { FastifyInstance, FastifyReply } from 'fastify';
import { OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { SignetError } from '../i18n/signet-error.js';
import type { Signet } from '../signet.js';
import type { CrlKind, PublishedCrl } from '../status/crl-publisher.js';
import { ocspErrorResponse, type OcspReply } from '../status/ocsp-responder.js';
import { actorOf, roleNotAdmitted, type Principal } from '../ra/roles.js';
import { requireOperator } from './operator-auth.js';
import { operatorPrincipal } from './service-routes.js';

const OCSP_BODY_LIMIT = 64 * 1024;

function httpDate(at: Date | string): string {
  return new Date(at).toUTCString();
}

/**
 * CRL-only mode (SIGNET_CRL_ONLY): a revocation is on a new CRL within a scheduler round (5 min), so HTTP caches
 * in front (a CDN) ask again, by ETag, at least that often rather than keep the old list until its nextUpdate.
 */
const CRL_ONLY_MAX_AGE_SECONDS = 300;

/** RFC 5019 §6.2 / RFC 5280 §5: static bytes any cache may keep until nextUpdate (or `capSeconds`, if sooner). */
function cacheHeaders(reply: FastifyReply, thisUpdate: Date | string, nextUpdate: Date | string, etag: string, now: Date, capSeconds = Infinity): void {
  const maxAge = Math.min(capSeconds, Math.max(0, Math.floor((new Date(nextUpdate).getTime() - now.getTime()) / 1000)));
  reply.headers({
    'cache-control': `public, max-age=${maxAge}, no-transform, must-revalidate`,
    'last-modified': httpDate(thisUpdate),
    expires: httpDate(nextUpdate),
    etag,
  });
}

function sendCrl(reply: FastifyReply, crl: PublishedCrl, now: Date, crlOnly: boolean): FastifyReply {
  cacheHeaders(reply, crl.thisUpdate, crl.nextUpdate, `"${crl.sha256}"`, now, crlOnly ? CRL_ONLY_MAX_AGE_SECONDS : Infinity);
  return reply.type('application/pkix-crl').send(crl.der);
}

/** CRL distribution points, the OCSP responder, the public status query, revocation for operators. */
export async function statusRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  const status = signet.status;
  const operator = requireOperator(signet.config.adminToken);

  app.get<{ Params: { file: string } }>(
    '/crl/:file',
    {
      schema: {
        tags: ['status'],
        summary: 'The current CRL of a CA (DER): /crl/{caId}.crl, or its delta CRL: /crl/{caId}-delta.crl',
        params: { type: 'object', properties: { file: { type: 'string', maxLength: 100 } }, required: ['file'] },
      },
    },
    async (request, reply) => {
      const match = /^(.+?)(-delta)?\.crl$/.exec(request.params.file);
      if (!match) throw new SignetError('route.not-found', 404, { path: request.url });
      const caId = match[1]!;
      const kind: CrlKind = match[2] ? 'delta' : 'full';
      return sendCrl(reply, await status.crls.current(caId, kind), signet.ca.now(), signet.config.crlOnly);
    },
  );

  app.get<{ Params: { caId: string; count: string; file: string } }>(
    '/crl/:caId/:count/:file',
    {
      schema: {
        tags: ['status'],
        summary: 'A partition CRL (RFC 5280 §5.2.5, SIGNET_CRL_PARTITIONS): /crl/{caId}/{count}/{index}.crl, as certificates name it',
        params: {
          type: 'object',
          properties: { caId: { type: 'string', maxLength: 64 }, count: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' }, file: { type: 'string', maxLength: 10 } },
          required: ['caId', 'count', 'file'],
        },
      },
    },
    async (request, reply) => {
      const match = /^(0|[1-9][0-9]{0,3})\.crl$/.exec(request.params.file);
      if (!match) throw new SignetError('route.not-found', 404, { path: request.url });
      const partition = { count: Number(request.params.count), index: Number(match[1]) };
      return sendCrl(reply, await status.crls.currentPartition(request.params.caId, partition), signet.ca.now(), signet.config.crlOnly);
    },
  );

  app.get<{ Params: { caId: string }; Querystring: { at?: string; number?: string } }>(
    '/api/v1/crls/:caId',
    {
      schema: {
        tags: ['status'],
        summary:
          'Archived CRLs of a CA: with ?at=ISO-8601 the signed CRL in force at that time, with ?number=N the CRL of that number (DER, R14); without, the list',
        params: { type: 'object', properties: { caId: { type: 'string', maxLength: 64 } }, required: ['caId'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { at: { type: 'string', maxLength: 40 }, number: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
        },
      },
    },
    async (request, reply) => {
      const { caId } = request.params;
      await signet.ca.authority(caId);
      if (request.query.at === undefined && request.query.number === undefined) return status.crls.history(caId);
      let crl;
      if (request.query.number !== undefined) {
        crl = await status.crls.byNumber(caId, Number(request.query.number));
        if (!crl) throw new SignetError('crl.no-such-number', 404, { caId, number: request.query.number });
      } else {
        const at = new Date(request.query.at!);
        if (Number.isNaN(at.getTime())) throw new SignetError('crl.bad-time', 400, { value: request.query.at }, 'at');
        crl = await status.crlInForceAt(caId, at);
        if (!crl) throw new SignetError('crl.none-in-force', 404, { caId, at: at.toISOString() });
      }
      return reply
        .type('application/pkix-crl')
        .header('x-crl-number', String(crl.crlNumber))
        .header('x-crl-this-update', crl.thisUpdate)
        .send(crl.der);
    },
  );

  app.post<{ Params: { caId: string }; Body: { kind?: CrlKind } }>(
    '/api/v1/crls/:caId',
    {
      onRequest: operator,
      schema: {
        tags: ['status'],
        summary: 'Publish a CRL now (operator)',
        security: [{ bearer: [] }],
        params: { type: 'object', properties: { caId: { type: 'string', maxLength: 64 } }, required: ['caId'] },
        body: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: ['full', 'delta'] } } },
      },
    },
    async (request, reply) => {
      // Archived, not held: a CRL of a million entries is never whole in this process (issue 22).
      const { bytes: _bytes, ...summary } = await status.crls.publishArchived(request.params.caId, request.body?.kind ?? 'full', 'operator:admin-token');
      return reply.code(201).send(summary);
    },
  );

  // R15: revocation at the CA is a CA administrator's act (the deployment's token, or an operator with the ca-admin role,
  // by API token or session); the revocation records who they are, never a name the request body gives.
  const revokers = new WeakMap<object, Principal>();
  app.post<{ Params: { serial: string }; Body: { reason?: string; ground?: string; justification?: string; channel?: 'subscriber' | 'rights-holder' | 'ra' | 'ca'; invalidityDate?: string } }>(
    '/api/v1/certificates/:serial/revocation',
    {
      onRequest: async (request) => {
        const by = await operatorPrincipal(signet, request);
        if (!by) throw new SignetError('auth.required', 401);
        if (by.role !== 'ca-admin') throw roleNotAdmitted(by.role, ['ca-admin']);
        revokers.set(request, by);
      },
      schema: {
        tags: ['status'],
        summary: 'Revoke a certificate, for ever (CA administrator; R7, R15)',
        description:
          'Admits: ca-admin (the admin token, or an operator\'s API token or session with its CSRF token). CA-initiated revocations (channel "ca") name one of the agreement\'s grounds and a written justification; the operator is recorded as the one who revoked.',
        security: [{ bearer: [] }],
        params: { type: 'object', properties: { serial: { type: 'string', maxLength: 80 } }, required: ['serial'] },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            reason: { type: 'string', maxLength: 40 },
            ground: { type: 'string', maxLength: 40 },
            justification: { type: 'string', maxLength: 4000 },
            channel: { type: 'string', enum: ['subscriber', 'rights-holder', 'ra', 'ca'] },
            invalidityDate: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const revocation = await status.revokeCertificate({
        serial: request.params.serial,
        reason: body.reason,
        ground: body.ground,
        justification: body.justification,
        channel: body.channel ?? (body.ground ? 'ca' : 'ra'),
        invalidityDate: body.invalidityDate,
        requestedBy: actorOf(revokers.get(request)!),
      });
      return reply.code(201).send(revocation);
    },
  );

  app.get<{ Params: { serial: string } }>(
    '/api/v1/status/:serial',
    {
      schema: {
        tags: ['status'],
        summary: 'Public status of a certificate by serial: status, validity, issuer and subject as in the certificate (R16)',
        params: { type: 'object', properties: { serial: { type: 'string', maxLength: 80 } }, required: ['serial'] },
      },
    },
    async (request) => status.publicStatus(request.params.serial),
  );

  await app.register(async (upload) => {
    for (const type of ['application/pkix-cert', 'application/x-pem-file', 'application/x-x509-ca-cert']) {
      upload.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    }
    upload.post<{ Body: Buffer | string | { certificate?: string } }>(
      '/api/v1/status',
      {
        bodyLimit: 64 * 1024,
        schema: {
          tags: ['status'],
          summary: 'Public status of an uploaded certificate (PEM or DER; or JSON {"certificate": PEM or base64})',
        },
      },
      async (request) => {
        const body = request.body;
        const upload: unknown = Buffer.isBuffer(body) || typeof body === 'string' ? body : body?.certificate;
        // `{"certificate": 5}` and the like are the client's mistake (issue 16), not a failure of ours.
        if (upload !== undefined && typeof upload !== 'string' && !Buffer.isBuffer(upload)) {
          throw new SignetError('status.bad-certificate', 400, { detail: 'certificate must be a PEM or base64 string' }, 'certificate');
        }
        if (upload === undefined || upload.length === 0) throw new SignetError('status.bad-certificate', 400, { detail: 'empty upload' }, 'certificate');
        return status.publicStatusOfCertificate(upload);
      },
    );
  });

  // OCSP (RFC 6960 Appendix A, RFC 5019 §5): its own content types, and every failure answered in OCSP, never as a problem document.
  await app.register(async (ocsp) => {
    ocsp.removeAllContentTypeParsers();
    ocsp.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: OCSP_BODY_LIMIT }, (_req, body, done) => done(null, body));
    ocsp.setErrorHandler((error, request, reply) => {
      // Over the relying-party rate limit (rate-limits.ts): RFC 6960 §4.2.1 tryLater, with the HTTP 429 and Retry-After already set.
      if (error instanceof SignetError && error.code === 'request.rate-limited') {
        return reply.code(429).headers({ 'content-type': 'application/ocsp-response', 'cache-control': 'no-store' }).send(ocspErrorResponse(OCSPResponseStatus.tryLater));
      }
      const e = error as { statusCode?: number };
      const code = e.statusCode ?? (error instanceof SignetError ? error.status : undefined);
      const client = code !== undefined && code >= 400 && code < 500;
      if (!client) request.log.error({ err: error }, 'OCSP request failed');
      return sendOcsp(reply, { der: ocspErrorResponse(client ? OCSPResponseStatus.malformedRequest : OCSPResponseStatus.internalError), responseStatus: OCSPResponseStatus.malformedRequest });
    });
    const sendOcsp = (reply: FastifyReply, answer: OcspReply) => {
      const cache = answer.cache;
      if (cache) {
        // RFC 5019 §6.2; the dates were formatted when the response was signed: this is the hot path.
        const maxAge = Math.max(0, Math.floor((cache.nextUpdate.getTime() - signet.ca.now().getTime()) / 1000));
        reply.headers({
          'content-type': 'application/ocsp-response',
          'cache-control': `public, max-age=${maxAge}, no-transform, must-revalidate`,
          'last-modified': cache.lastModified,
          expires: cache.expires,
          etag: cache.etag,
        });
      } else {
        reply.headers({ 'content-type': 'application/ocsp-response', 'cache-control': 'no-store' });
      }
      return reply.send(answer.der);
    };
    // Per-request logs at this volume would cost more than the answer; errors are still logged.
    const routeOptions = { logLevel: 'warn' as const, schema: { tags: ['status'] } };
    ocsp.post('/ocsp', { ...routeOptions, schema: { ...routeOptions.schema, summary: 'OCSP over POST (application/ocsp-request)' } }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return sendOcsp(reply, await status.ocsp.respond(body));
    });
    ocsp.get<{ Params: { '*': string } }>(
      '/ocsp/*',
      { ...routeOptions, schema: { ...routeOptions.schema, summary: 'OCSP over GET: /ocsp/{url-encoded base64 of the DER request}' } },
      async (request, reply) => {
        const encoded = request.params['*'];
        let der: Buffer;
        try {
          der = Buffer.from(decodeURIComponent(encoded), 'base64');
        } catch {
          der = Buffer.alloc(0);
        }
        return sendOcsp(reply, await status.ocsp.respond(der));
      },
    );
  });

  let stopSchedule: (() => void) | undefined;
  app.addHook('onReady', async () => {
    stopSchedule = status.startSchedule(5 * 60_000, (error) => app.log.error({ err: error }, 'scheduled CRL/OCSP work failed'));
  });
  app.addHook('onClose', async () => stopSchedule?.());
}
