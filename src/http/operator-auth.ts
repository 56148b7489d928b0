import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SignetError } from '../i18n/signet-error.js';

/**
 * Until RA operators and roles exist (issue 3), operator calls carry the
 * deployment's admin token. Compared as SHA-256 digests in constant time.
 */
export function requireOperator(adminToken: () => string) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const expected = createHash('sha256').update(adminToken()).digest();
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(expected, given)) throw new SignetError('auth.required', 401);
  };
}
