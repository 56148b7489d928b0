import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, TEST_PASSPHRASE, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import type { Principal } from './roles.js';
import { countersAndRecount } from './test-support/inventory-recount.js';

afterAll(dropFreshStores);

const ADMIN: Principal = { operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' };
const DAY = 86_400_000;
const writer = join(import.meta.dirname, 'test-support', 'inventory-writer.ts');

function runWriter(t: TestSignet, csrFile: string, subscriberId: string, count: number): Promise<{ issued: string[]; revoked: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, csrFile, subscriberId, String(count)], {
      env: { ...process.env, SIGNET_DATA: t.dir, SIGNET_DATABASE_URL: t.config.databaseUrl, SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE, SIGNET_LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as { issued: string[]; revoked: string[] }) : reject(new Error(`writer ${subscriberId} exited ${code}: ${stderr}`))));
  });
}

/**
 * Issue 22, item 4: the dashboard's figures are running totals and day/month
 * roll-ups kept by the database's triggers (src/ra/inventory-counts.ts). They
 * must stay exact whatever the interleaving: two processes issuing and revoking
 * at once, with the service round folding slots meanwhile, lose no count.
 */
describe.each(storeBackends)('the inventory counters on %s (issue 22)', (backend) => {
  it('stay exact with two processes issuing and revoking at once while the slots are folded', { timeout: 240_000 }, async () => {
    const t = await openTestSignet(backend);
    try {
      await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const before = await t.signet.ra.inventory.statistics(ADMIN);
      const csrs = ['a', 'b'].map((name) => {
        const file = join(t.dir, `${name}.csr`);
        writeFileSync(file, opensslRequest(t.dir, 'ecdsa-p256', `writer ${name}`).csrPem);
        return file;
      });
      let writing = true;
      const folding = (async () => {
        let rounds = 0;
        while (writing || rounds === 0) {
          await t.signet.ra.inventory.compactCounters();
          rounds += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return rounds;
      })();
      const [a, b] = await Promise.all([runWriter(t, csrs[0]!, 'writer-a', 16), runWriter(t, csrs[1]!, 'writer-b', 16)]).finally(() => (writing = false));
      expect(await folding).toBeGreaterThan(0);
      expect(a.issued.length + b.issued.length).toBe(32);

      const { kept, recounted } = await countersAndRecount(t.signet.store.db as unknown as Kysely<never>);
      expect(kept).toEqual(recounted);
      const after = await t.signet.ra.inventory.statistics(ADMIN);
      expect(after.total - before.total).toBe(32);
      expect(after.byStatus.revoked - before.byStatus.revoked).toBe(a.revoked.length + b.revoked.length);
      expect(after.byStatus.good - before.byStatus.good).toBe(32 - a.revoked.length - b.revoked.length);
      expect((await t.signet.ra.inventory.page(ADMIN)).total).toBe(after.total);
      // Folded once more with nobody writing: one row per bucket, the same sums.
      await t.signet.ra.inventory.compactCounters();
      const slots = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ra_inventory_rollups WHERE slot <> 0`.execute(t.signet.store.db);
      expect(Number(slots.rows[0]!.n)).toBe(0);
      expect({ ...(await t.signet.ra.inventory.statistics(ADMIN)), at: after.at }).toEqual(after);
    } finally {
      await t.signet.close();
    }
  });

  it('count expired and expiring across hour, day and month boundaries exactly as the certificates say, at any moment', { timeout: 120_000 }, async () => {
    let now = new Date('2025-01-30T21:17:05.123Z');
    const t = await openTestSignet(backend, { clock: () => now });
    try {
      await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const csr = opensslRequest(t.dir, 'ecdsa-p256', 'spread').csrPem;
      // Validity begins at odd moments over fourteen months: ends fall in many hours, days and months.
      for (let i = 0; i < 14; i++) {
        now = new Date(Date.parse('2025-01-30T21:17:05.123Z') + i * (31 * DAY + 7 * 3_600_000 + 13 * 60_000));
        const issued = await t.signet.ca.issue({ csr, profileId: 'tls-client', subject: `CN=spread ${i}`, subscriberId: 'spread', requestedBy: 'test', reason: 'test' });
        if (i % 5 === 0) await t.signet.status.revokeCertificate({ serial: issued.serial, reason: 'superseded', channel: 'ra', requestedBy: 'test' });
      }
      const rows = await sql<{ not_before: string; not_after: string }>`
        SELECT c.not_before, c.not_after FROM certificates c WHERE NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = c.serial)`.execute(t.signet.store.db);
      const live = rows.rows;
      for (let step = 0; step < 40; step++) {
        now = new Date(Date.parse('2025-01-01T00:00:00.000Z') + step * (23 * DAY + 5 * 3_600_000 + 41 * 60_000 + 7_000));
        const at = now.toISOString();
        const stats = await t.signet.ra.inventory.statistics(ADMIN);
        expect(stats.byStatus.expired, at).toBe(live.filter((c) => c.not_after <= at).length);
        for (const { days, count } of stats.expiring) {
          const until = new Date(now.getTime() + days * DAY).toISOString();
          expect(count, `${at} +${days}`).toBe(live.filter((c) => c.not_before <= at && c.not_after > at && c.not_after <= until).length);
        }
      }
    } finally {
      await t.signet.close();
    }
  });
});
