import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Signet } from '../signet.js';

/**
 * CMP over HTTP (RFC 6712; paths of RFC 9483 §6.1): DER PKIMessage in and
 * out. CMP protects its messages itself, so plain HTTP is allowed; every
 * refusal is an `error` PKIMessage from src/cmp/cmp-server.ts (400 when the
 * request could not even be read).
 */
export async function cmpRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await app.register(async (cmp) => {
    cmp.addContentTypeParser('application/pkixcmp', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await signet.cmp.handle(body, request.ip);
      return reply.code(answer.malformed ? 400 : 200).header('content-type', 'application/pkixcmp').header('cache-control', 'no-store').send(answer.der);
    };
    cmp.post('/.well-known/cmp', { schema: { hide: true } }, handle);
    cmp.post('/.well-known/cmp/p/:label', { schema: { hide: true } }, handle);
  });
}
