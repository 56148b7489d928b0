/**
 * A full CRL of a million revoked certificates, on SQLite and on PostgreSQL
 * (issue 22: ≤ 5 s and ≤ 200 MB), and its partitions.
 *
 *   npm run build && npx tsx bench/crl-stores.ts [--entries 1000000] [--stores sqlite,postgres] [--partitions 64] [--node-flags=--max-semi-space-size=8]
 *
 * For each store: a hierarchy (ECDSA P-256), the revocations written by the database in one statement
 * (src/status/test-support/bulk-revocations.ts), then each publication in a process of its own (the compiled
 * dist/, as deployed) under /usr/bin/time: wall time, CPU and peak RSS of the process (and the PostgreSQL cluster's
 * CPU meanwhile), and inside it the time of publish() alone and the RSS just before it (modules loaded, key
 * unsealed). Three publications: the first full
 * CRL (no previous one), the next, and every partition of --partitions. Each is published as the scheduler and
 * the API's publish call do (CrlPublisher.publishArchived: archived, its bytes not handed back; `publish()` on a
 * build that predates it, for a before/after pair).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { openSignet } from '../src/signet.js';
import { seedRevocations } from '../src/status/test-support/bulk-revocations.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, fmt, postgresPids } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const ENTRIES = Number(argument('entries', '1000000'));
const STORES = argument('stores', 'sqlite,postgres').split(',') as Array<'sqlite' | 'postgres'>;
const PARTITIONS = Number(argument('partitions', '64'));
const PASSPHRASE = 'bench-passphrase';
/**
 * V8 flags for the publishing processes, e.g. `--node-flags=--max-semi-space-size=8`: then the next full CRL is
 * published once more with them, beside the run with Node's defaults (the young generation grows to 2 x 32 MB
 * under the entry pass by default: docs/performance.md).
 */
const NODE_FLAGS = (process.argv.find((a) => a.startsWith('--node-flags='))?.slice('--node-flags='.length) ?? '').split(' ').filter(Boolean);

interface Run {
  wallSeconds: number;
  /** user + system CPU of the process (the machine is shared: compare per CPU-second). */
  cpuSeconds: number;
  /** PostgreSQL: CPU of the whole cluster meanwhile (its backends, parallel workers, writer); null on SQLite. */
  serverCpuSeconds: number | null;
  peakMb: number;
  publishSeconds: number;
  rssBeforeMb: number;
  entries: number;
  bytes: number;
}

/**
 * CPU seconds of a PostgreSQL cluster so far: the postmaster with its children that ended (its cutime, cstime) and
 * those alive. A publication's backends end with its process, so this is read before and after it.
 */
function clusterCpuSeconds(postmaster: number): number {
  const ticks = (pid: number | string, withChildren: boolean) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { ppid: Number(fields[1]), cpu: Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0) };
  };
  let sum = ticks(postmaster, true).cpu;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === postmaster) continue;
    try {
      const child = ticks(entry, false);
      if (child.ppid === postmaster) sum += child.cpu;
    } catch {
      // gone
    }
  }
  // Linux reports these in clock ticks of 1/100 s.
  return sum / 100;
}

/** One publication in a process of its own; `partitions` publishes every partition instead of the full CRL. */
function publishInProcess(env: NodeJS.ProcessEnv, caId: string, partitions: number | null, flags: string[] = []): Run {
  const serverBefore = postmaster === null ? 0 : clusterCpuSeconds(postmaster);
  const script = `
    const { loadConfig } = await import('./dist/config/settings.js');
    const { openSignet } = await import('./dist/signet.js');
    const signet = await openSignet(loadConfig());
    // What the scheduler and the API's publish call run (archived, not held); publish() where it does not exist yet.
    const PUBLISH = typeof signet.status.crls.publishArchived === 'function' ? 'publishArchived' : 'publish';
    await signet.ca.issuerContext(${JSON.stringify(caId)});
    const rssBeforeMb = process.memoryUsage().rss / 1e6;
    const t0 = performance.now();
    let entries = 0, bytes = 0;
    if (${partitions === null ? 'true' : 'false'}) {
      const crl = await signet.status.crls[PUBLISH](${JSON.stringify(caId)}, 'full', 'bench');
      entries = crl.entries; bytes = crl.bytes ?? crl.der.length;
    } else {
      for (let index = 0; index < ${partitions ?? 0}; index++) {
        const crl = await signet.status.crls[PUBLISH](${JSON.stringify(caId)}, 'full', 'bench', { partition: { count: ${partitions ?? 0}, index } });
        entries += crl.entries; bytes = Math.max(bytes, crl.bytes ?? crl.der.length);
      }
    }
    const publishSeconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ publishSeconds, rssBeforeMb, entries, bytes }));
    await signet.close();`;
  const result = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %M %U %S', process.execPath, ...flags, '--input-type=module', '-e', script], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const line = /BENCH ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(result.stderr);
  if (result.status !== 0 || !line) throw new Error(`publication failed:\n${result.stdout}${result.stderr}`);
  const inner = JSON.parse(result.stdout.trim().split('\n').pop()!) as Omit<Run, 'wallSeconds' | 'peakMb' | 'cpuSeconds' | 'serverCpuSeconds'>;
  // The backends of the closed pool are reaped by the postmaster once they have exited.
  spawnSync('sleep', ['0.5']);
  const serverCpuSeconds = postmaster === null ? null : clusterCpuSeconds(postmaster) - serverBefore;
  return { wallSeconds: Number(line[1]), peakMb: Number(line[2]) / 1024, cpuSeconds: Number(line[3]) + Number(line[4]), serverCpuSeconds, ...inner };
}

let teardown: (() => Promise<void>) | undefined;
if (STORES.includes('postgres') && !process.env.SIGNET_TEST_POSTGRES_URL) {
  teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
}
const rows: string[] = [];
/** The PostgreSQL cluster's postmaster (its CPU is PostgreSQL's part of a publication); null without PostgreSQL. */
const postmaster = STORES.includes('postgres') ? (await postgresPids())()[0]! : null;
try {
  for (const store of STORES) {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-crl-stores-'));
    const vars = {
      SIGNET_DATA: dataDir,
      SIGNET_DATABASE_URL: await benchDatabaseUrl(store, dataDir, 'signet_bench_crl'),
      SIGNET_CA_PASSPHRASE: PASSPHRASE,
      SIGNET_LOG_LEVEL: 'warn',
      SIGNET_CRL_PARTITIONS: String(PARTITIONS),
    };
    const signet = await openSignet(loadConfig(vars));
    const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
    const seeded = performance.now();
    await seedRevocations(signet.store, h.issuing.caId, ENTRIES, { revokedAt: new Date(Date.now() - 3_600_000).toISOString(), notAfter: '2036-01-01T00:00:00.000Z' });
    console.log(`[${store}] ${fmt(ENTRIES)} revocations seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    await signet.close();
    const env = { ...process.env, ...vars };
    const runs: Array<[string, Run]> = [
      ['full CRL, first', publishInProcess(env, h.issuing.caId, null)],
      ['full CRL, next', publishInProcess(env, h.issuing.caId, null)],
      [`${PARTITIONS} partitions, first`, publishInProcess(env, h.issuing.caId, PARTITIONS)],
      ...(NODE_FLAGS.length ? [[`full CRL, next, ${NODE_FLAGS.join(' ')}`, publishInProcess(env, h.issuing.caId, null, NODE_FLAGS)] as [string, Run]] : []),
    ];
    for (const [name, r] of runs) {
      const line = `${store.padEnd(9)} ${name.padEnd(42)} publish ${r.publishSeconds.toFixed(2).padStart(6)} s  process ${r.wallSeconds.toFixed(2).padStart(6)} s (CPU ${r.cpuSeconds.toFixed(2)} s${r.serverCpuSeconds === null ? '' : `, PostgreSQL ${r.serverCpuSeconds.toFixed(2)} s`})  peak RSS ${fmt(r.peakMb).padStart(4)} MB (before publish ${fmt(r.rssBeforeMb)} MB, +${fmt(r.peakMb - r.rssBeforeMb)})  entries ${fmt(r.entries)}  largest CRL ${(r.bytes / 1e6).toFixed(2)} MB`;
      console.log(line);
      rows.push(line);
    }
  }
} finally {
  await teardown?.();
}
console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n${rows.join('\n')}\n\nReproduce: npm run build && npx tsx bench/crl-stores.ts --entries ${ENTRIES} --stores ${STORES.join(',')} --partitions ${PARTITIONS}${NODE_FLAGS.length ? ` --node-flags=${NODE_FLAGS.join(' ')}` : ''}`);
