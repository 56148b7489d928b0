import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { Signet } from '../signet.js';
import type { BasicCredentials } from '../est/est-server.js';
import { localeFrom } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import { toSignetError } from './problem.js';

const PREFIX = '/.well-known/est';
const CERTS_ONLY = 'application/pkcs7-mime; smime-type=certs-only';

/** RFC 7617: "Basic base64(user:pass)"; anything else is no credentials at all. */
function basicCredentials(header: string | undefined): BasicCredentials | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function tlsSocket(request: FastifyRequest): TLSSocket | null {
  const socket = request.raw.socket as Partial<TLSSocket>;
  return socket.encrypted ? (socket as TLSSocket) : null;
}

/** Base64 DER in, base64 DER out (RFC 7030 §4.1.3, §4.2.3; RFC 8951), on one line: strongSwan's decoder misreads the end of CRLF-wrapped text. */
function sendBase64(reply: FastifyReply, contentType: string, der: Buffer): FastifyReply {
  return reply
    .header('content-type', contentType)
    .header('content-transfer-encoding', 'base64')
    .header('cache-control', 'no-store')
    .send(der.toString('base64'));
}

/**
 * EST (RFC 7030) at /.well-known/est: thin over src/est/est-server.ts.
 * Errors are the HTTP status with a text/plain explanation (§4.2.3) in the
 * reader's language, not problem documents: EST clients log the body as is,
 * so it is the sentence alone, without Signet's internal error code.
 */
export async function estRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await app.register(async (est) => {
    // application/pkcs10 arrives as bytes (server.ts) and text/plain as a string; both are base64 text.
    est.setErrorHandler((error, request, reply) => {
      const signetError = toSignetError(error, request);
      if (signetError.status >= 500) request.log.error({ err: error }, 'EST request failed');
      if (signetError.status === 401) reply.header('www-authenticate', 'Basic realm="signet-est", charset="UTF-8"');
      return reply
        .code(signetError.status)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(`${signetError.messageIn(localeFrom(request.headers['accept-language']))}\n`);
    });
    const requireTls = (request: FastifyRequest): TLSSocket => {
      const socket = tlsSocket(request);
      // §3.3: a password and a certificate proof travel only inside TLS.
      if (!socket) throw new SignetError('est.tls-required', 403);
      return socket;
    };

    est.get(`${PREFIX}/cacerts`, { schema: { hide: true } }, async (_request, reply) => sendBase64(reply, CERTS_ONLY, await signet.est.caCertificates()));

    est.post(`${PREFIX}/simpleenroll`, { schema: { hide: true } }, async (request, reply) => {
      requireTls(request);
      const issued = await signet.est.enroll(basicCredentials(request.headers.authorization), request.body, request.ip);
      return sendBase64(reply, CERTS_ONLY, issued);
    });

    est.post(`${PREFIX}/simplereenroll`, { schema: { hide: true } }, async (request, reply) => {
      const socket = requireTls(request);
      const peer = socket.getPeerX509Certificate();
      const outcome = await signet.est.reenroll(peer ? peer.raw : null, request.body, request.ip);
      if ('certificate' in outcome) return sendBase64(reply, CERTS_ONLY, outcome.certificate);
      const pending = new SignetError('est.renewal-pending', 202, { application: outcome.applicationId, seconds: outcome.retryAfterSeconds });
      return reply
        .code(202)
        .header('retry-after', String(outcome.retryAfterSeconds))
        .header('content-type', 'text/plain; charset=utf-8')
        .send(`${pending.messageIn(localeFrom(request.headers['accept-language']))}\n`);
    });
  });
}
