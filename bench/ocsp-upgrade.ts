/**
 * Migration 2700 (stored OCSP answers keyed by a hash of their CertID) on a store of --population answers in the
 * layout before it: how long the upgrade takes, what it costs in CPU, and how long a node still running the old
 * version waits for its one-row read of an answer meanwhile (the lock the rebuild holds).
 *
 *   npx tsx bench/ocsp-upgrade.ts [--population 1000000] [--stores postgres,sqlite] [--keep-template]
 *
 * PostgreSQL: the test cluster (SIGNET_TEST_POSTGRES_URL, else a throwaway one as test/global-setup.ts starts:
 * fsync off, so the figures leave out the disk's flushes). The populated store is seeded once into a template
 * database (signet_bench_upgrade_template, kept with --keep-template so a second run, say of another build, copies
 * it instead of seeding again) and each run upgrades a copy. Every row carries one real answer's bytes under its
 * own CertID, as bench/ocsp-population.ts seeds them.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { opensslRequest } from '../src/ca/test-support/ca-fixture.js';
import { loadConfig } from '../src/config/settings.js';
import { openSignet } from '../src/signet.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, cpuBetween, cpuOf, postgresPids, processCpuSeconds } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const POPULATION = Number(argument('population', '1000000'));
const STORES = argument('stores', 'postgres').split(',') as Array<'sqlite' | 'postgres'>;
const KEEP_TEMPLATE = process.argv.includes('--keep-template');
const TEMPLATE = 'signet_bench_upgrade_template';
const PASSPHRASE = 'bench-passphrase';

const envOf = (dataDir: string, url: string) => ({
  SIGNET_DATA: dataDir,
  SIGNET_DATABASE_URL: url,
  SIGNET_CA_PASSPHRASE: PASSPHRASE,
  SIGNET_ADMIN_TOKEN: 'bench-admin-token',
  SIGNET_LOG_LEVEL: 'warn',
});

/** A store at the latest schema with one real answer, then put back to the layout before 2700 and filled. */
async function seed(store: 'sqlite' | 'postgres', dataDir: string, url: string): Promise<string> {
  const signet = await openSignet(loadConfig(envOf(dataDir, url)));
  const db = signet.store.db;
  try {
    await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
    const { csrPem } = opensslRequest(dataDir, 'ecdsa-p256', 'upgrade');
    await signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=upgrade', subscriberId: 's1', requestedBy: 'bench', reason: 'bench' });
    await signet.status.ocsp.presignCold(10);
    const binary = store === 'postgres' ? 'bytea' : 'blob';
    await sql
      .raw(
        `CREATE TABLE ocsp_responses_before (cert_id text PRIMARY KEY, serial text NOT NULL, issuer_ca_id text NOT NULL,
           status text NOT NULL CHECK (status IN ('good', 'revoked', 'unknown')), this_update text NOT NULL, next_update text NOT NULL, der ${binary} NOT NULL)`,
      )
      .execute(db);
    // Serials `5` + 31 hex digits, the CertID's prefix (hash algorithm, issuer name and key hashes) kept from the real answer.
    const copies =
      store === 'postgres'
        ? `SELECT substr(o.cert_id, 1, length(o.cert_id) - 32) || '5' || lpad(to_hex(i), 31, '0'), '5' || lpad(to_hex(i), 31, '0'), o.issuer_ca_id, o.status, o.this_update, o.next_update, o.der
           FROM generate_series(0, ${POPULATION - 1}) AS i, (SELECT * FROM ocsp_responses LIMIT 1) AS o`
        : `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${POPULATION - 1})
           SELECT substr(o.cert_id, 1, length(o.cert_id) - 32) || '5' || printf('%031x', i), '5' || printf('%031x', i), o.issuer_ca_id, o.status, o.this_update, o.next_update, o.der
           FROM n, (SELECT * FROM ocsp_responses LIMIT 1) AS o`;
    const size = await sql<{ n: number }>`SELECT length(der) AS n FROM ocsp_responses LIMIT 1`.execute(db);
    console.log(`${store}: seeding ${POPULATION} answers of ${size.rows[0]!.n} octets in the layout before 2700`);
    await sql.raw(`INSERT INTO ocsp_responses_before ${copies}`).execute(db);
    await sql`DROP TABLE ocsp_responses`.execute(db);
    await sql`ALTER TABLE ocsp_responses_before RENAME TO ocsp_responses`.execute(db);
    await sql`CREATE INDEX ocsp_responses_serial ON ocsp_responses (serial)`.execute(db);
    await sql`CREATE INDEX ocsp_responses_next_update ON ocsp_responses (next_update)`.execute(db);
    await sql`DELETE FROM kysely_migration WHERE name = '2700_status_ocsp_answer_key'`.execute(db);
    if (store === 'postgres') {
      await sql`VACUUM ANALYZE ocsp_responses`.execute(db);
      await sql`CHECKPOINT`.execute(db);
    } else await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    return (await sql<{ cert_id: string }>`SELECT cert_id FROM ocsp_responses ORDER BY serial DESC LIMIT 1`.execute(db)).rows[0]!.cert_id;
  } finally {
    await signet.close();
  }
}

/**
 * A node of the old version serving meanwhile (PostgreSQL): a read of one answer, one after another. The longest
 * wait is the time serving stood still behind the rebuild's lock. By serial, indexed in both layouts: read by
 * CertID alone (as the old version did), the new table has no index for it, so a read after the swap scans it.
 */
function oldNodeReads(url: string, certId: string): { stop(): Promise<{ reads: number; longestMs: number; longestAt: number; failures: string[] }> } {
  let running = true;
  let reads = 0;
  let longestMs = 0;
  let longestAt = 0;
  const failures: string[] = [];
  const loop = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (running) {
        const started = performance.now();
        try {
          const found = await client.query('SELECT der FROM ocsp_responses WHERE serial = $1 AND cert_id = $2', [certId.slice(-32), certId]);
          if (found.rowCount !== 1) failures.push(`${found.rowCount} rows`);
          reads++;
        } catch (error) {
          failures.push((error as Error).message);
        }
        if (performance.now() - started > longestMs) {
          longestMs = performance.now() - started;
          longestAt = started;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { reads, longestMs, longestAt, failures };
    },
  };
}

let teardown: (() => Promise<void>) | undefined;
if (STORES.includes('postgres') && !process.env.SIGNET_TEST_POSTGRES_URL) {
  teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
}
try {
  for (const store of STORES) {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-upgrade-'));
    let url: string;
    let certId: string;
    if (store === 'postgres') {
      const admin = new pg.Client({ connectionString: process.env.SIGNET_TEST_POSTGRES_URL! });
      await admin.connect();
      const template = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE])).rowCount === 1;
      if (!template) {
        const seeded = performance.now();
        const seedUrl = new URL(process.env.SIGNET_TEST_POSTGRES_URL!);
        await admin.query(`CREATE DATABASE ${TEMPLATE}`);
        seedUrl.pathname = `/${TEMPLATE}`;
        await seed(store, dataDir, seedUrl.toString());
        console.log(`postgres: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      }
      const copy = `signet_bench_upgrade_${Date.now().toString(36)}`;
      const copied = performance.now();
      await admin.query(`CREATE DATABASE ${copy} TEMPLATE ${TEMPLATE}`);
      console.log(`postgres: copied the template in ${((performance.now() - copied) / 1000).toFixed(1)} s`);
      await admin.end();
      const target = new URL(process.env.SIGNET_TEST_POSTGRES_URL!);
      target.pathname = `/${copy}`;
      url = target.toString();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      certId = (await client.query<{ cert_id: string }>('SELECT cert_id FROM ocsp_responses ORDER BY serial DESC LIMIT 1')).rows[0]!.cert_id;
      await client.query('CHECKPOINT');
      await client.end();
    } else {
      url = await benchDatabaseUrl(store, dataDir, 'unused');
      const seeded = performance.now();
      certId = await seed(store, dataDir, url);
      console.log(`sqlite: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    }

    const postgres = store === 'postgres' ? await postgresPids() : () => [];
    // SQLite's upgrade runs synchronously in this process (better-sqlite3), so a reader here would measure nothing; a
    // reader elsewhere reads its snapshot (WAL) throughout.
    const reader = store === 'postgres' ? oldNodeReads(url, certId) : { stop: async () => ({ reads: 0, longestMs: NaN, longestAt: NaN, failures: [] }) };
    await new Promise((r) => setTimeout(r, 200));
    const load0 = loadavg()[0]!;
    const cpu0 = processCpuSeconds();
    const pg0 = cpuOf(postgres());
    const started = performance.now();
    const signet = await openSignet(loadConfig(envOf(dataDir, url)));
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = processCpuSeconds() - cpu0;
    const pgCpu = cpuBetween(pg0, cpuOf(postgres()));
    const reads = await reader.stop();
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ocsp_responses`.execute(signet.store.db);
    await signet.close();
    console.log(
      `${store}: ${POPULATION} answers upgraded (${rows.rows[0]!.n} rows after) in ${seconds.toFixed(1)} s wall; CPU ${nodeCpu.toFixed(1)} s this process` +
        (store === 'postgres' ? ` + ${pgCpu.toFixed(1)} s the cluster` : '') +
        `; load ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}` +
        (store === 'postgres' ? `; an old node's read meanwhile: ${reads.reads} reads, longest ${(reads.longestMs / 1000).toFixed(2)} s from ${((reads.longestAt - started) / 1000).toFixed(1)} s on` : '') +
        (reads.failures.length > 0 ? `, ${reads.failures.length} failed (${reads.failures[0]})` : ''),
    );
    if (store === 'postgres') {
      const admin = new pg.Client({ connectionString: process.env.SIGNET_TEST_POSTGRES_URL! });
      await admin.connect();
      await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)}`);
      if (!KEEP_TEMPLATE) await admin.query(`DROP DATABASE ${TEMPLATE}`);
      await admin.end();
    }
  }
} finally {
  await teardown?.();
}
