import type { FastifyInstance } from 'fastify';
import { inProcessKmcClient, issueDualCertificates } from '../kmc/dual-certificates.js';
import type { KeyManagementCentre } from '../kmc/key-management-centre.js';
import type { SignedMessage } from '../kmc/kmc-protocol.js';
import type { Signet } from '../signet.js';
import { toPem } from './der.js';
import { requireOperator } from './operator-auth.js';

interface DualBody {
  csr: string;
  signingProfile: string;
  encryptionProfile: string;
  subject: string | Record<string, string>;
  subscriberId: string;
  caId?: string;
  validityDays?: number;
  reason?: string;
}

const signedMessageSchema = {
  type: 'object',
  required: ['payload', 'sender', 'signatureAlgorithm', 'signature'],
  additionalProperties: false,
  properties: {
    payload: { type: 'string', maxLength: 65536 },
    sender: { type: 'string', maxLength: 200 },
    signatureAlgorithm: { type: 'string', maxLength: 1024 },
    signature: { type: 'string', maxLength: 2048 },
  },
} as const;

/**
 * The KMC's one door (GM/T 0034 CA ↔ KMC): a signed request in, a signed
 * response out. Authentication is the CA's signature, checked by the KMC;
 * the same route serves a KMC running in its own process.
 */
export async function kmcRoutes(app: FastifyInstance, kmc: KeyManagementCentre): Promise<void> {
  app.post<{ Body: SignedMessage }>(
    '/kmc/v1/requests',
    {
      schema: {
        tags: ['key management centre'],
        summary: 'A CA’s signed request to the key management centre (generate an SM2 encryption key, bind its certificate)',
        description:
          'Body and response are signed messages {payload (base64 JSON), sender, signatureAlgorithm (base64 DER), signature (base64)}. ' +
          'Only registered CAs are answered; a replayed or stale request is refused.',
        body: signedMessageSchema,
      },
    },
    async (request) => kmc.handle(request.body),
  );
}

/**
 * Operator API: dual SM2 certificates (GM/T 0034) from the subscriber's
 * PKCS#10 for the signing key; the KMC makes the encryption key. The
 * enveloped key goes back to the subscriber, who alone can open it.
 */
export async function dualCertificateRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  app.post<{ Body: DualBody }>(
    '/api/v1/certificates/dual',
    {
      onRequest: requireOperator(signet.config.adminToken),
      schema: {
        tags: ['certificates'],
        summary: 'Issue a signing and an encryption SM2 certificate together (operator)',
        description:
          'The CSR proves the subscriber\'s SM2 signing key; the key management centre generates and escrows the encryption key ' +
          'and returns it as a GM/T 0009 SM2EnvelopedKey (base64 DER) openable only with the signing key.',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['csr', 'signingProfile', 'encryptionProfile', 'subject', 'subscriberId'],
          additionalProperties: false,
          properties: {
            csr: { type: 'string', maxLength: 65536, description: 'PEM, or base64 of the DER' },
            signingProfile: { type: 'string', maxLength: 64 },
            encryptionProfile: { type: 'string', maxLength: 64 },
            subject: {
              oneOf: [
                { type: 'string', maxLength: 2048 },
                { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
              ],
            },
            subscriberId: { type: 'string', minLength: 1, maxLength: 128 },
            caId: { type: 'string', maxLength: 64 },
            validityDays: { type: 'integer', minimum: 1 },
            reason: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const dual = await issueDualCertificates(signet.ca, await inProcessKmcClient(signet.kmc), {
        csr: body.csr.includes('-----BEGIN') ? body.csr : Buffer.from(body.csr, 'base64'),
        signingProfileId: body.signingProfile,
        encryptionProfileId: body.encryptionProfile,
        subject: body.subject,
        subscriberId: body.subscriberId,
        issuerCaId: body.caId,
        validityDays: body.validityDays,
        requestedBy: 'operator:api',
        reason: body.reason ?? 'operator API dual issuance',
      });
      const render = (c: typeof dual.signing) => ({ serial: c.serial, issuerCaId: c.issuerCaId, profile: c.profileId, subject: c.subject, notBefore: c.notBefore, notAfter: c.notAfter, pem: toPem('CERTIFICATE', c.der) });
      return reply.code(201).send({
        signing: render(dual.signing),
        encryption: render(dual.encryption),
        envelopedKey: dual.envelopedKey.toString('base64'),
        escrowId: dual.escrowId,
      });
    },
  );
}
