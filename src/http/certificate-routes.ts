import type { FastifyInstance } from 'fastify';
import { certsOnly } from '../est/certs-only.js';
import { X509Certificate } from 'node:crypto';
import type { SubscriberIdentity } from '../ca/subject-identity.js';
import { publicSubject } from '../ca/identifier-disclosure.js';
import type { Signet } from '../signet.js';
import { SignetError } from '../i18n/signet-error.js';
import { toPem } from './der.js';
import { requireOperator } from './operator-auth.js';
import type { ServerMetrics } from './metrics.js';
import { validateResidentId, validateUscc } from '../ra/identifiers.js';

/**
 * The admin API's identity, checked as the RA checks a subscriber's: the
 * GB 11643 check digit of a resident ID, the GB 32100 check character of a
 * USCC (other documents have no public check character). The CA checks
 * only the shape: the checksum is the RA's rule (R1), applied here because
 * this route bypasses the RA.
 */
function checkedIdentity(identity: SubscriberIdentity): SubscriberIdentity {
  const field = 'identity.value';
  // A value of the wrong shape is left to the CA, whose refusal names the shape (subject-identity.ts).
  const value = identity.value.trim();
  if (identity.type === 'resident-id' && /^\d{17}[\dX]$/.test(value)) return { ...identity, value: validateResidentId(value, field) };
  if (identity.type === 'uscc' && /^[0-9A-HJ-NPQRTUWXY]{18}$/.test(value)) return { ...identity, value: validateUscc(value, field) };
  return identity;
}

interface IssueBody {
  csr: string;
  profile: string;
  subject: string | Record<string, string>;
  subjectAltNames?: { dns?: string[]; ip?: string[]; email?: string[] };
  identity?: SubscriberIdentity;
  subscriberId?: string;
  caId?: string;
  validityDays?: number;
  reason?: string;
}

const certificateSchema = {
  type: 'object',
  properties: {
    serial: { type: 'string' },
    issuerCaId: { type: 'string' },
    profile: { type: 'string' },
    subject: { type: 'string' },
    notBefore: { type: 'string', format: 'date-time' },
    notAfter: { type: 'string', format: 'date-time' },
    pem: { type: 'string' },
  },
} as const;

export async function certificateRoutes(app: FastifyInstance, signet: Signet, metrics: ServerMetrics): Promise<void> {
  app.post<{ Body: IssueBody }>(
    '/api/v1/certificates',
    {
      onRequest: requireOperator(signet.config.adminToken),
      schema: {
        tags: ['certificates'],
        summary: 'Issue a certificate from a PKCS#10 request (operator)',
        description:
          'The CSR contributes only its public key (proven by its signature); the subject comes from the body. ' +
          'Profiles of kind "subscriber" only.',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['csr', 'profile', 'subject'],
          additionalProperties: false,
          properties: {
            csr: { type: 'string', maxLength: 65536, description: 'PEM, or base64 of the DER' },
            profile: { type: 'string', maxLength: 64 },
            subject: {
              oneOf: [
                { type: 'string', maxLength: 2048 },
                { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
              ],
            },
            subjectAltNames: {
              type: 'object',
              additionalProperties: false,
              properties: {
                dns: { type: 'array', items: { type: 'string', maxLength: 253 }, maxItems: 100 },
                ip: { type: 'array', items: { type: 'string', maxLength: 45 }, maxItems: 100 },
                email: { type: 'array', items: { type: 'string', maxLength: 254 }, maxItems: 100 },
              },
            },
            identity: {
              type: 'object',
              description: 'The verified identity number, for the GM/T 0015 extension the profile names (IdentifyCode or the USCC)',
              required: ['type', 'value'],
              additionalProperties: false,
              properties: {
                type: { type: 'string', enum: ['resident-id', 'passport', 'military-officer', 'uscc'] },
                value: { type: 'string', maxLength: 64 },
              },
            },
            subscriberId: { type: 'string', maxLength: 128 },
            caId: { type: 'string', maxLength: 64 },
            validityDays: { type: 'integer', minimum: 1 },
            reason: { type: 'string', maxLength: 1024 },
          },
        },
        response: { 201: certificateSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const csr = body.csr.includes('-----BEGIN') ? body.csr : Buffer.from(body.csr, 'base64');
      // The identity number goes into the GM/T 0015 extension as given: checked by its own standard first (issue 16 §5).
      const identity = body.identity ? checkedIdentity(body.identity) : undefined;
      const issued = await signet.ca.issue({
        csr,
        profileId: body.profile,
        subject: body.subject,
        subjectAltNames: body.subjectAltNames,
        identity,
        subscriberId: body.subscriberId,
        issuerCaId: body.caId,
        validityDays: body.validityDays,
        requestedBy: 'operator:admin-token',
        reason: body.reason ?? 'issued through the operator API',
      });
      metrics.certificatesIssued.inc({ profile: issued.profileId });
      return reply
        .code(201)
        .header('location', `/api/v1/certificates/${issued.serial}`)
        .send({
          serial: issued.serial,
          issuerCaId: issued.issuerCaId,
          profile: issued.profileId,
          subject: issued.subject,
          notBefore: issued.notBefore,
          notAfter: issued.notAfter,
          pem: toPem('CERTIFICATE', issued.der),
        });
    },
  );

  app.get<{ Params: { ref: string } }>(
    '/api/v1/certificates/:ref',
    {
      schema: {
        tags: ['certificates'],
        summary: 'A certificate by serial: JSON ({serial}), PEM ({serial}.pem), DER ({serial}.der / .crt / .cer) or with its chain to the root as PKCS#7 certs-only ({serial}.p7b / .p7c)',
        params: { type: 'object', properties: { ref: { type: 'string', maxLength: 80 } }, required: ['ref'] },
      },
    },
    async (request, reply) => {
      const [serialPart, extension] = request.params.ref.split(/\.(?=[a-z0-9]+$)/);
      const row = await signet.ca.certificate(serialPart ?? '');
      if (extension === 'pem') return reply.type('application/x-pem-file').send(toPem('CERTIFICATE', row.der));
      if (extension === 'der' || extension === 'crt' || extension === 'cer') {
        return reply.type('application/pkix-cert').send(row.der);
      }
      if (extension === 'p7b' || extension === 'p7c') {
        // The certificate and the CA certificates above it, issuing CA first, root last (RFC 5652 certs-only, as EST serves them).
        const chain = [row.der];
        for (let caId: string | null = row.issuer_ca_id, depth = 0; caId && depth < 8; depth++) {
          const authority = await signet.ca.authority(caId);
          chain.push(authority.certificateDer);
          caId = authority.parentId;
        }
        return reply.type('application/pkcs7-mime; smime-type=certs-only').send(certsOnly(chain));
      }
      if (extension !== undefined) throw new SignetError('certificate.not-found', 404, { serial: request.params.ref });
      const x509 = new X509Certificate(row.der);
      return {
        serial: row.serial,
        issuerCaId: row.issuer_ca_id,
        profile: row.profile_id,
        // Anyone may ask: ID numbers and e-mail addresses masked, as on the public status page.
        subject: publicSubject(row.subject),
        issuer: x509.issuer.split('\n').join(', '),
        keyAlgorithm: row.key_algorithm,
        notBefore: row.not_before,
        notAfter: row.not_after,
        fingerprintSha256: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
        pem: toPem('CERTIFICATE', row.der),
      };
    },
  );
}
