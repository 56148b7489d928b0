import { OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { OcspResponder, ocspAnswerWithinFrom } from './ocsp-responder.js';
import { ocspQuestions } from './test-support/ocsp-question.js';

afterAll(dropFreshStores);

/**
 * RFC 6960 §2.3 tryLater: a relying party is told at once that the responder cannot answer now, rather than kept
 * waiting on a stalled store (a locked table during an upgrade, a database paused). PostgreSQL only: on SQLite the
 * responder's reads go through a WAL reader that no other connection's write ever makes wait, so there is no
 * stall of this kind to bound.
 */
describe('SIGNET_OCSP_ANSWER_WITHIN_MS', () => {
  it('is 1,500 ms unless set, takes whole milliseconds from 100 to 60,000, and stops the start on anything else', () => {
    expect(ocspAnswerWithinFrom({})).toBe(1500);
    expect(ocspAnswerWithinFrom({ SIGNET_OCSP_ANSWER_WITHIN_MS: ' 2500 ' })).toBe(2500);
    for (const bad of ['0', '99', '60001', '1.5', '-200', '2e3', 'soon']) {
      expect(() => ocspAnswerWithinFrom({ SIGNET_OCSP_ANSWER_WITHIN_MS: bad })).toThrow(`SIGNET_OCSP_ANSWER_WITHIN_MS must be a whole number from 100 to 60000, not "${bad}"`);
    }
  });
});

describe('an OCSP question whose store does not answer in time, on postgres (RFC 6960 §2.3)', () => {
  it('is told tryLater (unsigned) after answerWithinMs, and answered as usual once the store is back', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t = await openTestSignet('postgres', { clock: () => now });
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const question = ocspQuestions(h.issuing.der).aboutUnissued;
      // revocationPollMs 0: every question looks at the revocations first.
      const responder = new OcspResponder(t.signet.ca, { answerWithinMs: 300, revocationPollMs: 0 });
      const asked = question();
      expect((await responder.respond(asked)).responseStatus).toBe(OCSPResponseStatus.successful);

      // The stored answers locked (as an upgrade's table swap does): a cold question is not kept waiting.
      const cold = question();
      const whileLocked = await t.signet.store.db.transaction().execute(async (trx) => {
        await sql`lock table ocsp_responses in access exclusive mode`.execute(trx);
        return responder.respond(cold);
      });
      expect(whileLocked.responseStatus).toBe(OCSPResponseStatus.tryLater);
      expect(whileLocked.cache).toBeUndefined();
      expect((await responder.respond(cold)).responseStatus).toBe(OCSPResponseStatus.successful);

      // The revocations locked: even a question answered a moment ago is not answered from memory, since a
      // revocation made meanwhile on another node could not be seen (R7).
      expect((await responder.respond(asked)).responseStatus).toBe(OCSPResponseStatus.successful);
      const revocationsLocked = await t.signet.store.db.transaction().execute(async (trx) => {
        await sql`lock table revocations in access exclusive mode`.execute(trx);
        return responder.respond(asked);
      });
      expect(revocationsLocked.responseStatus).toBe(OCSPResponseStatus.tryLater);
      expect((await responder.respond(asked)).responseStatus).toBe(OCSPResponseStatus.successful);
    } finally {
      await t.signet.close();
    }
  }, 60_000);
});
