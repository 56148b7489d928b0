import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AcmeProblem } from '../acme/problems.js';
import type { AcmeResponse, AcmeService, Authenticated } from '../acme/acme-service.js';
import type { Signet } from '../signet.js';
import { SignetError } from '../i18n/signet-error.js';

type Mode = 'jwk' | 'kid' | 'either';

/**
 * The ACME door (RFC 8555), docs/acme.md: each route authenticates the JWS
 * and hands it to src/acme. Problems are ACME's own documents
 * (urn:ietf:params:acme:error:*), and every answer carries a fresh nonce.
 * Not in the OpenAPI document: ACME is its own protocol with its own clients.
 */
export async function acmeRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  const acme = signet.acme;
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/jose+json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new AcmeProblem('malformed', 'the request body is not JSON'), undefined);
      }
    });

    scope.addHook('onSend', async (request, reply, payload) => {
      reply.header('cache-control', 'no-store');
      reply.header('link', [...linksOf(reply), `<${baseOf(request)}/acme/directory>;rel="index"`]);
      // A fresh nonce on every answer (RFC 8555 §6.5), refusals included, so the client can try again at once.
      if (request.url !== '/acme/directory' && !request.url.startsWith('/acme/renewal-info/')) reply.header('replay-nonce', await acme.nonces.issue());
      return payload;
    });

    scope.setErrorHandler((error, request, reply) => {
      const problem = toProblem(error);
      if (problem.status >= 500) request.log.error({ err: error }, 'ACME request failed');
      if (problem.retryAfterSeconds) reply.header('retry-after', String(problem.retryAfterSeconds));
      if (problem.location) reply.header('location', problem.location);
      return reply.code(problem.status).header('content-type', 'application/problem+json').send(problem.document());
    });

    const hide = { schema: { hide: true } };
    scope.get('/acme/directory', hide, async (request) => acme.directory(baseOf(request)));
    scope.head('/acme/new-nonce', hide, async (_request, reply) => reply.code(200).send());
    scope.get('/acme/new-nonce', hide, async (_request, reply) => reply.code(204).send());
    scope.get('/acme/renewal-info/:certId', hide, async (request, reply) => send(reply, await acme.renewalInfo((request.params as { certId: string }).certId)));

    const post = (url: string, mode: Mode, handle: (auth: Authenticated, base: string, request: FastifyRequest) => Promise<AcmeResponse>) =>
      scope.post(url, hide, async (request, reply) => {
        const type = String(request.headers['content-type'] ?? '');
        if (!/^application\/jose\+json\s*(;|$)/i.test(type)) throw new AcmeProblem('malformed', 'ACME requests are application/jose+json', { status: 415 });
        const base = baseOf(request);
        const auth = await acme.authenticate(request.body, `${base}${request.url}`, base, mode);
        return send(reply, await handle(auth, base, request));
      });
    const id = (request: FastifyRequest) => (request.params as { id: string }).id;

    post('/acme/new-account', 'jwk', (auth, base, request) => acme.newAccount(auth, base, `${base}${request.url}`));
    post('/acme/acct/:id', 'kid', (auth, base, request) => acme.account(auth, base, id(request)));
    post('/acme/acct/:id/orders', 'kid', (auth, base, request) => acme.accountOrders(auth, base, id(request)));
    post('/acme/key-change', 'kid', (auth, base, request) => acme.keyChange(auth, base, `${base}${request.url}`));
    post('/acme/new-order', 'kid', (auth, base) => acme.newOrder(auth, base));
    post('/acme/order/:id', 'kid', (auth, base, request) => acme.order(auth, base, id(request)));
    post('/acme/order/:id/finalize', 'kid', (auth, base, request) => acme.finalize(auth, base, id(request)));
    post('/acme/authz/:id', 'kid', (auth, base, request) => acme.authorization(auth, base, id(request)));
    post('/acme/chall/:id', 'kid', (auth, base, request) => acme.challenge(auth, base, id(request)));
    post('/acme/cert/:id', 'kid', (auth, _base, request) => acme.certificate(auth, id(request)));
    post('/acme/revoke-cert', 'either', (auth) => acme.revoke(auth));
  });
}

const LINKS = Symbol('acme links');

function linksOf(reply: FastifyReply): string[] {
  return (reply as unknown as Record<symbol, string[] | undefined>)[LINKS] ?? [];
}

function send(reply: FastifyReply, response: AcmeResponse): FastifyReply {
  if (response.location) reply.header('location', response.location);
  if (response.links) (reply as unknown as Record<symbol, string[]>)[LINKS] = response.links;
  if (response.retryAfter) reply.header('retry-after', String(response.retryAfter));
  reply.code(response.status);
  if (response.contentType) return reply.header('content-type', response.contentType).send(response.body);
  return response.body === null ? reply.send() : reply.send(response.body);
}

/**
 * The origin ACME URLs are built on: SIGNET_ACME_BASE_URL when the operator
 * fixed it (behind a proxy), else the one the client reached. The JWS `url`
 * check compares against the same value, so a client is held to what it asked.
 */
function baseOf(request: FastifyRequest): string {
  const fixed = process.env.SIGNET_ACME_BASE_URL?.trim();
  return fixed ? fixed.replace(/\/+$/, '') : `${request.protocol}://${request.host}`;
}

function toProblem(error: unknown): AcmeProblem {
  if (error instanceof AcmeProblem) return error;
  // The per-source door limit (rate-limits.ts), said in ACME's terms (RFC 8555 §6.6) with its Retry-After.
  if (error instanceof SignetError && error.code === 'request.rate-limited') {
    const seconds = Number(error.params.seconds) || 1;
    return new AcmeProblem('rateLimited', `too many requests from this address; try again in ${seconds} seconds`, { retryAfterSeconds: seconds });
  }
  const e = error as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new AcmeProblem('malformed', 'ACME requests are application/jose+json', { status: 415 });
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AcmeProblem('malformed', 'the request is too large', { status: 413 });
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new AcmeProblem('malformed', e.message ?? 'bad request', { status: e.statusCode });
  return new AcmeProblem('serverInternal', 'the server failed; the request may be retried', { status: 500 });
}

export type { AcmeService };
