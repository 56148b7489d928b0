import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SignetError } from '../i18n/signet-error.js';

/**
 * Until RA operators and roles exist (issue 3), operator calls carry the
 * deployment's admin token. Compared as SHA-256 digests in constant time.
 */
export function requireOperator(adminToken: () => string) {
  // The token can change (a reload); its digest is recomputed only when it does.
  let token: string | undefined;
  let expected = Buffer.alloc(0);
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (adminToken() !== token) {
      token = adminToken();
      expected = createHash('sha256').update(token).digest();
    }
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(expected, given)) throw new SignetError('auth.required', 401);
  };
}
