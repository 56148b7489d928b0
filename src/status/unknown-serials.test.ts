import { afterAll, describe, expect, it } from 'vitest';
import { OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { ocspQuestions } from './test-support/ocsp-question.js';

afterAll(dropFreshStores);

/** RFC 6960 §2.2: "unknown" for a serial never issued, but not a fresh signature for every anonymous request. */
describe.each(storeBackends)('questions about serials never issued on %s', (backend) => {
  it('cost at most unknownPerSecond signatures per second and CA; past that, unauthorized (unsigned)', async () => {
    let now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t = await openTestSignet(backend, { clock: () => now });
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const questions = ocspQuestions(h.issuing.der);
      const ask = () => t.signet.status.ocsp.respond(questions.aboutUnissued());
      const statuses: OCSPResponseStatus[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await ask()).responseStatus);
      expect(statuses.filter((s) => s === OCSPResponseStatus.successful)).toHaveLength(10);
      expect(statuses.filter((s) => s === OCSPResponseStatus.unauthorized)).toHaveLength(20);
      // A second later the budget is back.
      now = new Date(now.getTime() + 1000);
      expect((await ask()).responseStatus).toBe(OCSPResponseStatus.successful);
    } finally {
      await t.signet.close();
    }
  });
});
