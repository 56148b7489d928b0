import type { FastifyInstance } from 'fastify';
import type { Signet } from '../signet.js';
import { SignetError } from '../i18n/signet-error.js';
import { toPem } from './der.js';
import { caNameIn } from '../ca/hierarchy-names.js';

const authoritySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    role: { type: 'string', enum: ['root', 'issuing'] },
    parentId: { type: ['string', 'null'] },
    name: { type: 'string' },
    /** The name as each language's reader sees it (src/ca/hierarchy-names.ts). */
    names: { type: 'object', properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } } },
    keyAlgorithm: { type: 'string' },
    serial: { type: 'string' },
    notAfter: { type: 'string', format: 'date-time' },
    certificateUrl: { type: 'string' },
    crlUrl: { type: 'string' },
    /** Where OCSP answers about its certificates; null in CRL-only mode (SIGNET_CRL_ONLY: its certificates name no responder). */
    ocspUrl: { type: ['string', 'null'] },
    pem: { type: 'string' },
  },
} as const;

export async function caRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  const describe = async (includePem: boolean) =>
    (await signet.ca.authorities()).map((a) => ({
      id: a.id,
      role: a.role,
      parentId: a.parentId,
      name: a.name,
      names: { 'zh-CN': caNameIn(a, 'zh-CN'), en: caNameIn(a, 'en') },
      keyAlgorithm: a.keyAlgorithm,
      serial: a.serial,
      notAfter: a.notAfter.toISOString(),
      certificateUrl: `${signet.config.publicUrl}/ca/${a.id}.crt`,
      crlUrl: `${signet.config.publicUrl}/crl/${a.id}.crl`,
      ocspUrl: signet.config.crlOnly ? null : `${signet.config.publicUrl}/ocsp`,
      ...(includePem ? { pem: toPem('CERTIFICATE', a.certificateDer) } : {}),
    }));

  app.get(
    '/api/v1/cas',
    {
      schema: {
        tags: ['ca'],
        summary: 'The CA hierarchy: roots and issuing CAs',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: authoritySchema } } } },
      },
    },
    async () => ({ items: await describe(false) }),
  );

  app.get<{ Params: { caId: string } }>(
    '/api/v1/cas/:caId',
    {
      schema: {
        tags: ['ca'],
        summary: 'One CA, with its certificate in PEM',
        params: { type: 'object', properties: { caId: { type: 'string' } }, required: ['caId'] },
        response: { 200: authoritySchema },
      },
    },
    async (request) => {
      const found = (await describe(true)).find((a) => a.id === request.params.caId);
      if (!found) throw new SignetError('ca.unknown', 404, { caId: request.params.caId });
      return found;
    },
  );

  // The caIssuers URL of every certificate (RFC 5280 §4.2.2.1): DER, application/pkix-cert.
  app.get<{ Params: { file: string } }>(
    '/ca/:file',
    {
      schema: {
        tags: ['publication'],
        summary: 'A CA certificate, DER (caId.crt) or PEM (caId.pem)',
        params: { type: 'object', properties: { file: { type: 'string' } }, required: ['file'] },
      },
    },
    async (request, reply) => {
      const match = /^([a-z0-9-]+)\.(crt|cer|der|pem)$/.exec(request.params.file);
      if (!match) throw new SignetError('ca.unknown', 404, { caId: request.params.file });
      const authority = await signet.ca.authority(match[1]!);
      reply.header('cache-control', 'public, max-age=86400');
      if (match[2] === 'pem') {
        return reply.type('application/x-pem-file').send(toPem('CERTIFICATE', authority.certificateDer));
      }
      return reply.type('application/pkix-cert').send(authority.certificateDer);
    },
  );

  app.get('/api/v1/profiles', { schema: { tags: ['ca'], summary: 'Certificate profiles (data, not code)' } }, async () => ({
    items: signet.ca.profiles.list(),
  }));

  // What the site shows where it tells people to contact the CA (SIGNET_CONTACT_*, src/config/contact.ts); public by nature.
  const bilingual = { type: ['object', 'null'], properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } } } as const;
  app.get(
    '/api/v1/contact',
    {
      schema: {
        tags: ['ca'],
        summary: "The CA's contact details as the deployment published them (SIGNET_CONTACT_*); null where none was given",
        response: {
          200: {
            type: 'object',
            properties: { name: bilingual, phone: { type: ['string', 'null'] }, email: { type: ['string', 'null'] }, address: bilingual, hours: bilingual },
          },
        },
      },
    },
    async () => signet.config.contact,
  );
}
