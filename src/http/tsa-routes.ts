import type { FastifyInstance } from 'fastify';
import type { Signet } from '../signet.js';
import { toPem } from './der.js';

const QUERY_TYPE = 'application/timestamp-query';
const REPLY_TYPE = 'application/timestamp-reply';

/** RFC 3161 §3.4 over HTTP: a TimeStampReq in, a TimeStampResp out (200 even for a rejection). */
export async function tsaRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(QUERY_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    scope.post(
      '/tsa',
      {
        schema: {
          tags: ['time-stamping'],
          summary: 'RFC 3161 time-stamp (application/timestamp-query → application/timestamp-reply)',
          description:
            'SHA-256/384/512 imprints; policy is the deployment policy arc + .9.1; the nonce is echoed; the TSA ' +
            'certificate is included when certReq is true. Requests it cannot honour get a rejection PKIStatus ' +
            'with the PKIFailureInfo of RFC 3161 §2.4.2, never an HTTP error.',
        },
      },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const answer = await signet.tsa.reply(body);
        return reply.type(REPLY_TYPE).send(answer.der);
      },
    );

    scope.get(
      '/tsa/certificate.pem',
      { schema: { tags: ['time-stamping'], summary: 'The TSA certificate (PEM), for `openssl ts -verify -untrusted`' } },
      async (_request, reply) => {
        const { der } = await signet.tsa.certificate();
        return reply.type('application/x-pem-file').send(toPem('CERTIFICATE', der));
      },
    );
  });
}
