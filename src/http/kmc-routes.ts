import type { FastifyInstance } from 'fastify';
import type { KeyManagementCentre } from '../kmc/key-management-centre.js';
import type { SignedMessage } from '../kmc/kmc-protocol.js';

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
