import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Signet } from '../signet.js';
import { localeFrom } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import { toSignetError } from './problem.js';

const PATH = '/scep';
const MAX_BODY = 256 * 1024;

/** A GET PKIOperation carries the message base64 in the query (RFC 8894 §4.3); clients wrap it and escape '+'. */
function messageFromQuery(message: unknown): Buffer {
  const compact = typeof message === 'string' ? message.replace(/\s+/g, '') : '';
  if (compact.length === 0 || compact.length > (MAX_BODY * 4) / 3 + 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SignetError('scep.malformed', 400, { detail: 'message is not base64' });
  }
  return Buffer.from(compact, 'base64');
}

/**
 * SCEP (RFC 8894 §4) at /scep?operation=…: thin over src/scep/scep-server.ts.
 * Refusals inside a readable pkiMessage are CertRep FAILURE answers (200);
 * what cannot be read at all is 400 with a text/plain line in the reader's
 * language. Plain HTTP is allowed: SCEP encrypts and signs its messages.
 */
export async function scepRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await app.register(async (scep) => {
    // §4.3: the body is the DER pkiMessage whatever the client calls it (strongSwan sends none, curl form-urlencoded).
    scep.removeAllContentTypeParsers();
    scep.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY }, (_request, body, done) => done(null, body));
    scep.setErrorHandler((error, request, reply) => {
      const signetError = toSignetError(error, request);
      if (signetError.status >= 500) request.log.error({ err: error }, 'SCEP request failed');
      return reply
        .code(signetError.status)
        .header('content-type', 'text/plain; charset=utf-8')
        // The sentence alone, as at the EST door: the client's operator reads it in a log; Signet's internal code is no part of SCEP.
        .send(`${signetError.messageIn(localeFrom(request.headers['accept-language']))}\n`);
    });

    const pkiOperation = async (request: FastifyRequest, reply: FastifyReply, der: Buffer) => {
      const answer = await signet.scep.pkiOperation(der, request.ip);
      return reply.header('content-type', 'application/x-pki-message').header('cache-control', 'no-store').send(answer);
    };

    scep.get(PATH, { schema: { hide: true } }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      switch (query.operation) {
        case 'GetCACaps':
          return reply.header('content-type', 'text/plain; charset=us-ascii').send(signet.scep.capabilities());
        case 'GetCACert':
          // §4.2.1.2: with an RA, a certs-only SignedData of the RA and CA certificates.
          return reply.header('content-type', 'application/x-x509-ca-ra-cert').send(await signet.scep.caCertificates());
        case 'PKIOperation':
          return pkiOperation(request, reply, messageFromQuery(query.message));
        default:
          throw new SignetError('scep.unknown-operation', 400, { operation: String(query.operation ?? '-').slice(0, 40) });
      }
    });

    scep.post(PATH, { schema: { hide: true } }, async (request, reply) => {
      const operation = (request.query as Record<string, unknown>).operation;
      if (operation !== 'PKIOperation') throw new SignetError('scep.unknown-operation', 400, { operation: String(operation ?? '-').slice(0, 40) });
      return pkiOperation(request, reply, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    });
  });
}
