import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { appendAuditEntries } from './audit-log.js';
import { verifyAudit } from './verification.js';

afterAll(dropFreshStores);

const ENTRIES = 100_000;
const BATCH = 2_000;

/**
 * Issue 22: `signet audit verify` over a long chain walks it in keyed pages,
 * reports progress, and holds a page at a time, not the chain (R20).
 */
describe.each(storeBackends)('audit verification of a long chain on %s (R20)', (backend) => {
  it(`verifies ${ENTRIES.toLocaleString('en')} entries in pages, reporting progress, one page at a time`, async () => {
    const store = await openDatabase(await freshStoreUrl(backend));
    try {
      const at = new Date('2026-12-01T02:00:00.000Z');
      for (let first = 0; first < ENTRIES; first += BATCH) {
        const events = Array.from({ length: BATCH }, (_, i) => ({
          event: { actor: 'system:scale', action: 'certificate.issued', target: `certificate:${(first + i).toString(16).padStart(32, '5')}`, details: { profile: 'tls-client', n: first + i } },
          at,
        }));
        await store.db.transaction().execute((trx) => appendAuditEntries(trx, store.dialect, events));
      }

      const baseline = process.memoryUsage().heapUsed;
      let peak = 0;
      const progress: Array<[number, number]> = [];
      const started = performance.now();
      const result = await verifyAudit(store, {
        progressEvery: 25_000,
        onProgress: (entries, total) => {
          progress.push([entries, total]);
          peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
        },
      });
      const ms = performance.now() - started;
      expect(result.chain).toMatchObject({ ok: true, entries: ENTRIES });
      expect(progress).toEqual([25_000, 50_000, 75_000, 100_000].map((n) => [n, ENTRIES]));
      // Heap is logged, not asserted (the collector decides when it falls); the reader holds one page of 5,000 rows.
      console.log(`[audit at scale, ${backend}] ${ENTRIES} entries verified in ${ms.toFixed(0)} ms, heap peak +${(peak / 1048576).toFixed(1)} MB`);
    } finally {
      await store.close();
    }
  });
});
