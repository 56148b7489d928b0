import { OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { inProcessRequestPem, openTestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { OcspResponder, ocspErrorResponse, ocspPendingReadsFrom, ocspStoreMetrics, type OcspReply } from './ocsp-responder.js';
import { statusDb } from './schema.js';
import { ocspQuestions } from './test-support/ocsp-question.js';

afterAll(dropFreshStores);

/**
 * RFC 6960 §2.3 tryLater, and what a stalled store may make the responder hold: a question told tryLater after
 * answerWithinMs leaves its read going, so without a bound the reads held grow with request rate × length of the
 * stall. PostgreSQL only, as src/status/ocsp-deadline.test.ts: the stall is a real lock on the table.
 */
describe('SIGNET_OCSP_PENDING_READS', () => {
  it('is 1,000 unless set, takes whole numbers from 1 to 1,000,000, and stops the start on anything else', () => {
    expect(ocspPendingReadsFrom({})).toBe(1000);
    expect(ocspPendingReadsFrom({ SIGNET_OCSP_PENDING_READS: ' 250 ' })).toBe(250);
    expect(ocspPendingReadsFrom({ SIGNET_OCSP_PENDING_READS: '1000000' })).toBe(1_000_000);
    for (const bad of ['0', '1000001', '1.5', '-3', '1e3', 'many', '12345678']) {
      expect(() => ocspPendingReadsFrom({ SIGNET_OCSP_PENDING_READS: bad })).toThrow(`SIGNET_OCSP_PENDING_READS must be a whole number from 1 to 1000000, not "${bad}"`);
    }
  });
});

describe('cold OCSP questions while the store is stalled, on postgres (RFC 6960 §2.3)', () => {
  it('never hold more than maxPendingReads reads: past it, tryLater at once with nothing queued; the same question shares one read', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t = await openTestSignet('postgres', { clock: () => now });
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const questions = ocspQuestions(h.issuing.der);
      const cold: Buffer[] = [];
      for (let i = 0; i < 12; i++) {
        const leaf = await t.signet.ca.issue({ csr: await inProcessRequestPem(), profileId: 'tls-client', subject: `CN=cold ${i}`, subscriberId: `cold-${i}`, requestedBy: 'test', reason: 'test' });
        cold.push(questions.about(Buffer.from(leaf.serial, 'hex')));
      }
      const bound = 4;
      // answerWithinMs longer than the test: a question answered while the table is locked was answered without
      // waiting for its deadline. revocationPollMs an hour: the revocation look is made once, by the first question.
      const responder = new OcspResponder(t.signet.ca, { answerWithinMs: 600_000, revocationPollMs: 3_600_000, maxPendingReads: bound });
      expect((await responder.respond(questions.aboutUnissued())).responseStatus).toBe(OCSPResponseStatus.successful);
      const storedAnswers = async () => (await statusDb(t.signet.store).selectFrom('ocsp_responses').select('cert_id').execute()).length;
      expect(await storedAnswers()).toBe(0);

      const answered = new Set<number>();
      const waiting: Array<Promise<OcspReply>> = [];
      let shared: Promise<OcspReply> | undefined;
      await t.signet.store.db.transaction().execute(async (trx) => {
        // As an upgrade's table swap does: every read of the stored answers waits until this transaction ends.
        await sql`lock table ocsp_responses in access exclusive mode`.execute(trx);
        const refused: Array<Promise<OcspReply>> = [];
        for (const [i, question] of cold.entries()) {
          const reply = responder.respond(question);
          void reply.then(() => answered.add(i));
          (i < bound ? waiting : refused).push(reply);
          expect(responder.storeStats().reads).toBe(Math.min(i + 1, bound));
        }
        // Beyond the bound: answered while the table is still locked, so without waiting on the store.
        for (const reply of await Promise.all(refused)) {
          expect(reply.responseStatus).toBe(OCSPResponseStatus.tryLater);
          expect(reply.der).toEqual(ocspErrorResponse(OCSPResponseStatus.tryLater));
          expect(reply.cache).toBeUndefined();
        }
        expect(responder.storeStats()).toEqual({ reads: bound, limit: bound, refusals: cold.length - bound });
        // The same question as one already waiting shares its read: not refused, nothing more out.
        shared = responder.respond(cold[0]!);
        expect(responder.storeStats()).toEqual({ reads: bound, limit: bound, refusals: cold.length - bound });
        // The ones within the bound are really held by the lock (a round trip on the locking connection later).
        await sql`select 1`.execute(trx);
        expect([...answered].filter((i) => i < bound)).toEqual([]);
      });

      // The store is back: the held questions are answered as usual, and only they reached it (one stored answer
      // each); the refused ones left nothing behind to run.
      const held = await Promise.all(waiting);
      for (const reply of held) expect(reply.responseStatus).toBe(OCSPResponseStatus.successful);
      expect((await shared!).der).toEqual(held[0]!.der);
      expect(responder.storeStats().reads).toBe(0);
      expect(await storedAnswers()).toBe(bound);
      // And every question is answered normally again, the refused ones included.
      for (const question of cold.slice(bound)) expect((await responder.respond(question)).responseStatus).toBe(OCSPResponseStatus.successful);
      expect(await storedAnswers()).toBe(cold.length);
      expect(responder.storeStats()).toEqual({ reads: 0, limit: bound, refusals: cold.length - bound });
      expect(ocspStoreMetrics(responder.storeStats())).toMatch(/^signet_ocsp_store_refusals_total 8$/m);
    } finally {
      await t.signet.close();
    }
  }, 120_000);
});
