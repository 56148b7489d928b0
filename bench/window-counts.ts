/**
 * The per-process rate-limit counts (src/http/rate-limits.ts WindowCounts) under many distinct sources: the
 * status and TSA doors count every request there, and a responder for a large population hears from tens of
 * thousands of addresses. Figures per CPU-second of this process (user + system), so a shared machine's load
 * changes them less than wall time would.
 *
 *   npx tsx bench/window-counts.ts [--requests 1000000] [--sources 1,1000,10000,50000,100000,1000000]
 *     [--module src/http/rate-limits-before.ts]
 *
 * --module measures another version of the module, for a before/after in one sitting:
 *   git show <commit>:src/http/rate-limits.ts > src/http/rate-limits-before.ts (and delete it afterwards).
 *
 * Counted straight (incr, as @fastify/rate-limit calls it). For scale: a hot OCSP answer costs the server about
 * 40 µs of CPU (25,000/s on one core, docs/performance.md). Not through Fastify's inject: it keeps ~10 KB per
 * request whatever the limits (600 MB after 60,000 requests, with or without registerRateLimits).
 */
import { cpuUsage } from 'node:process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
};
const requests = Number(argument('requests', '1000000'));
const sourceCounts = argument('sources', '1,1000,10000,50000,100000,1000000').split(',').map(Number);
const measured = argument('module', 'src/http/rate-limits.ts');
const { WindowCounts } = (await import(pathToFileURL(resolve(measured)).href)) as typeof import('../src/http/rate-limits.js');
const WINDOW_MS = 60_000;

/** Source addresses in a random order, drawn from `sources` distinct ones: each request from any of them alike. */
function drawn(sources: number, length: number): string[] {
  const address = (i: number) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
  // One string per source, made when first drawn: no array of every address (a million of them grew the heap the GC walks).
  const known = new Map<number, string>();
  return Array.from({ length }, () => {
    const i = Math.floor(Math.random() * sources);
    let key = known.get(i);
    if (key === undefined) known.set(i, (key = address(i)));
    return key;
  });
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

console.log(`${measured}: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${fmt(requests)} counts per row, window ${WINDOW_MS / 1000} s`);
console.log('| distinct sources | counts per CPU-second | CPU ns per count |');
console.log('|---|---|---|');
for (const sources of sourceCounts) {
  const keys = drawn(sources, Math.min(requests, 1_000_000));
  const counts = new WindowCounts();
  let seen = 0;
  const done = () => {
    seen += 1;
  };
  // A first pass fills the counts, so the row measures the steady state, not the growth.
  for (const key of keys) counts.incr(key, done, WINDOW_MS);
  const started = cpuUsage();
  for (let i = 0; i < requests; i++) counts.incr(keys[i % keys.length]!, done, WINDOW_MS);
  const seconds = cpuSeconds(started);
  console.log(`| ${fmt(sources)} | ${fmt(Math.round(requests / seconds))} | ${((seconds * 1e9) / requests).toFixed(0)} |`);
  if (seen !== requests + keys.length) throw new Error('a count went unanswered');
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
