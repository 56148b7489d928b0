/**
 * OCSP over HTTP for random serials across a large population (issue 22 item 2): `signet serve` on a store holding
 * --population answers signed ahead, each question about a serial asked once (cold: not in the node's memory),
 * beside one hot serial and a bare node:http server returning the same bytes on the same core (the ceiling).
 *
 *   npm run build && npx tsx bench/ocsp-population.ts [--population 1000000] [--stores sqlite,postgres] [--seconds 10]
 *     [--phases cold,hot,bare,floor]   (floor: bare node:http doing the one-row read, SQLite or PostgreSQL; one phase alone, e.g. to profile the server in it: SIGNET_BENCH_NODE_ARGS)
 *     [--warmup 3]               (seconds of cold questions first, unmeasured: a running server, not a fresh one)
 *
 * The store gets a hierarchy, one certificate and its answer signed ahead by presignCold; the database then
 * copies that row --population times under other CertIDs (serials `5` + 31 hex digits, as
 * src/status/test-support/bulk-revocations.ts writes them). Every copy carries the one answer's bytes: what is
 * measured is finding a stored answer among a million by a question nobody asked before, not signing (which
 * presignCold does ahead, bench/ocsp-cold.ts). Requests are RFC 5019's (one SHA-1 CertID, no nonce); the serials
 * asked walk the population with a stride, so none is asked twice within a run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { opensslRequest } from '../src/ca/test-support/ca-fixture.js';
import { loadConfig } from '../src/config/settings.js';
import { openSignet } from '../src/signet.js';
import { ocspAnswerKeyOf } from '../src/status/ocsp-answer-key.js';
import setupPostgres from '../test/global-setup.js';
import { benchDatabaseUrl, cpuBetween, cpuOf, fmt, freePort, postgresPids, processCpuSeconds } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const POPULATION = Number(argument('population', '1000000'));
const STORES = argument('stores', 'sqlite,postgres').split(',') as Array<'sqlite' | 'postgres'>;
const SECONDS = Number(argument('seconds', '10'));
/** --phases cold: only the cold phase (to profile it alone with SIGNET_BENCH_NODE_ARGS); ratios need cold and hot. */
const PHASES = new Set(argument('phases', 'cold,hot,bare,floor').split(','));
/** Seconds of cold questions (not measured, none asked again) before the cold phase: the server's JIT and SQLite's cache of index interiors warm up. */
const WARMUP = Number(argument('warmup', '3'));
const PASSPHRASE = 'bench-passphrase';

/** The RFC 5019 request for seeded serial `index`: the CertID bytes the seeded row is keyed by, wrapped in four SEQUENCEs. */
function requestFor(prefix: Buffer, index: number): Buffer {
  const serial = Buffer.from(`5${index.toString(16).padStart(31, '0')}`, 'hex');
  // CertID content: 11 + 22 + 22 + 18 = 73 octets; each wrapper adds two.
  return Buffer.concat([Buffer.from([0x30, 0x51, 0x30, 0x4f, 0x30, 0x4d, 0x30, 0x4b, 0x30, 0x49]), prefix, Buffer.from([0x02, 0x10]), serial]);
}

/** Servers on core 0; SIGNET_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles them. */
function pinned(args: string[], env: Record<string, string>): ChildProcess {
  const nodeArgs = process.env.SIGNET_BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  return spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

// The load generator on core 1, apart from the server it measures (taskset -a: every thread of this process).
spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

async function waitFor(url: string, body?: Buffer): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    try {
      const response = body ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body }) : await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} does not answer`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface Phase {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  sent: number;
  /** CPU milliseconds per answer: the server process, PostgreSQL's processes (0 for SQLite), this load generator. */
  serverMs: number;
  postgresMs: number;
  clientMs: number;
}

/**
 * One phase: 32 connections for SECONDS, each request's body from `body`. Hot and cold go through the same
 * setupRequest path, so the client's cost per request is the same in both; what differs is the server's work.
 * CPU is read from /proc around the phase: on a shared machine answers per CPU-millisecond hold where rates swing.
 */
async function load(url: string, body: (n: number) => Buffer, serverPid: number, postgres: () => number[], seconds = SECONDS): Promise<Phase> {
  let n = 0;
  const server0 = processCpuSeconds(serverPid);
  const postgres0 = cpuOf(postgres());
  const client0 = processCpuSeconds();
  const result = await autocannon({
    url,
    connections: 32,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, setupRequest: (r) => ({ ...r, body: body(n++) }) }],
  });
  const answers = result.requests.total || 1;
  return {
    perSecond: result.requests.total / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    sent: n,
    serverMs: ((processCpuSeconds(serverPid) - server0) * 1000) / answers,
    postgresMs: (cpuBetween(postgres0, cpuOf(postgres())) * 1000) / answers,
    clientMs: ((processCpuSeconds() - client0) * 1000) / answers,
  };
}

let teardown: (() => Promise<void>) | undefined;
if (STORES.includes('postgres') && !process.env.SIGNET_TEST_POSTGRES_URL) {
  teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
}
const lines: string[] = [];
try {
  for (const store of STORES) {
    const dataDir = mkdtempSync(join(tmpdir(), 'signet-bench-ocsp-population-'));
    const env = {
      SIGNET_DATA: dataDir,
      SIGNET_DATABASE_URL: await benchDatabaseUrl(store, dataDir, 'signet_bench_ocsp_population'),
      SIGNET_CA_PASSPHRASE: PASSPHRASE,
      SIGNET_ADMIN_TOKEN: 'bench-admin-token',
      SIGNET_LOG_LEVEL: 'warn',
      SIGNET_RATE_LIMITS: 'off',
    };
    const signet = await openSignet(loadConfig(env));
    const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
    const { csrPem } = opensslRequest(dataDir, 'ecdsa-p256', 'population');
    await signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=population', subscriberId: 's1', requestedBy: 'bench', reason: 'bench' });
    await signet.status.ocsp.presignCold(10);
    const issuer = AsnConvert.parse(h.issuing.der, Certificate);
    const sha1 = (bytes: ArrayBuffer) => createHash('sha1').update(new Uint8Array(bytes)).digest();
    const prefix = Buffer.concat([
      Buffer.from('300906052b0e03021a0500', 'hex'),
      Buffer.from([0x04, 20]),
      sha1(AsnConvert.serialize(issuer.tbsCertificate.subject)),
      Buffer.from([0x04, 20]),
      sha1(issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
    ]);
    const prefixHex = `3049${prefix.toString('hex')}0210`;
    const seeded = performance.now();
    const db = signet.store.db;
    // Each row under its key (ocspAnswerKey, migration 2700): computed here for SQLite, which has no SHA-256.
    if (store === 'sqlite') {
      // In key order, so the table grows at its end (random order splits pages all over a 1.6 GB B-tree: minutes).
      const keyed = Array.from({ length: POPULATION }, (_, i) => ({ key: BigInt(ocspAnswerKeyOf(`${prefixHex}5${i.toString(16).padStart(31, '0')}`)), i }));
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (let first = 0; first < POPULATION; first += 4000) {
        const keys = keyed.slice(first, first + 4000).map(({ key, i }) => sql`(${key.toString()}, ${i})`);
        await sql`
          INSERT INTO ocsp_responses (id, cert_id, serial, issuer_ca_id, status, this_update, next_update, etag, der)
          SELECT k.column1, ${prefixHex} || '5' || printf('%031x', k.column2), '5' || printf('%031x', k.column2), o.issuer_ca_id, o.status, o.this_update, o.next_update, o.etag, o.der
          FROM (VALUES ${sql.join(keys)}) AS k, (SELECT * FROM ocsp_responses LIMIT 1) AS o`.execute(db);
      }
    } else {
      await sql`
        INSERT INTO ocsp_responses (id, cert_id, serial, issuer_ca_id, status, this_update, next_update, etag, der)
        SELECT ('x' || encode(substr(sha256(decode(c.cert_id, 'hex')), 1, 8), 'hex'))::bit(64)::bigint & 9223372036854775807, c.cert_id, c.serial, o.issuer_ca_id, o.status, o.this_update, o.next_update, o.etag, o.der
        FROM (SELECT ${prefixHex} || '5' || lpad(to_hex(i), 31, '0') AS cert_id, '5' || lpad(to_hex(i), 31, '0') AS serial FROM generate_series(0, ${POPULATION - 1}) AS i) AS c,
          (SELECT * FROM ocsp_responses LIMIT 1) AS o`.execute(db);
    }
    // The seed's own aftermath is not the responder's cost: SQLite's 2 GB of WAL copied into the file, PostgreSQL's
    // autovacuum of a million fresh rows and its checkpoint would otherwise run during the first phase (cold).
    if (store === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    else {
      await sql`VACUUM ANALYZE ocsp_responses`.execute(db);
      await sql`CHECKPOINT`.execute(db);
    }
    const seedSeconds = (performance.now() - seeded) / 1000;
    await signet.close();
    const postgres = store === 'postgres' ? await postgresPids() : () => [];

    const port = await freePort();
    const server = pinned(['bin/signet.js', 'serve'], { ...env, SIGNET_PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    let row: string;
    try {
      await waitFor(`${url}/healthz`);
      // A stride coprime with the population: each question in a run is about a serial not asked before.
      const stride = 7_919;
      const start = Math.floor(Math.random() * POPULATION);
      const load0 = loadavg()[0]!;
      const skipped: Phase = { perSecond: NaN, p50: NaN, p99: NaN, errors: 0, sent: 0, serverMs: NaN, postgresMs: NaN, clientMs: NaN };
      // A running server, not one just started, is what relying parties meet: its warm-up is not in either phase.
      const warm = WARMUP > 0 ? await load(`${url}/ocsp`, (n) => requestFor(prefix, (start + n * stride) % POPULATION), server.pid!, postgres, WARMUP) : skipped;
      const cold = PHASES.has('cold') ? await load(`${url}/ocsp`, (n) => requestFor(prefix, (start + (warm.sent + n) * stride) % POPULATION), server.pid!, postgres) : skipped;
      const hotBody = requestFor(prefix, start);
      const hot = PHASES.has('hot') ? await load(`${url}/ocsp`, () => hotBody, server.pid!, postgres) : skipped;
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;
      const response = Buffer.from(await (await fetch(`${url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: hotBody })).arrayBuffer());
      await stop(server);
      const responseFile = join(dataDir, 'response.der');
      writeFileSync(responseFile, response);
      const barePort = await freePort();
      const bare = pinned(
        [
          '-e',
          `const body = require('fs').readFileSync(${JSON.stringify(responseFile)});
           require('http').createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length }); res.end(body); }); }).listen(${barePort}, '127.0.0.1');`,
        ],
        {},
      );
      await waitFor(`http://127.0.0.1:${barePort}/`, hotBody);
      const ceiling = PHASES.has('bare') ? await load(`http://127.0.0.1:${barePort}/`, () => hotBody, bare.pid!, () => []) : skipped;
      await stop(bare);
      // The floor: the same bare node:http server doing the responder's one-row read per question, no framework, no
      // cache. What a cold answer costs any server that reads it from this store on this machine. SQLite: one read
      // on a read-only connection (a transaction per read, as a plain server would). PostgreSQL: the responder's read
      // as it does it, one named statement out at a time for every question waiting meanwhile (`o.id = any($1)`).
      let floor = skipped;
      if (PHASES.has('floor')) {
        const floorPort = await freePort();
        const columns = 'o.serial, o.status, o.this_update, o.next_update, o.etag, o.der, r.serial AS revoked FROM ocsp_responses o LEFT JOIN revocations r ON r.serial = o.serial';
        const reply = `res.writeHead(row ? 200 : 404, { 'content-type': 'application/ocsp-response', 'content-length': row ? row.der.length : 0 }); res.end(row ? row.der : undefined);`;
        const serve = (read: string) =>
          `require('http').createServer((req, res) => { const parts = []; req.on('data', (c) => parts.push(c)); req.on('end', () => {
             const certId = Buffer.concat(parts).subarray(8);
             const key = hash('sha256', certId, 'buffer').readBigUInt64BE(0) & 0x7fffffffffffffffn;
             ${read} }); }).listen(${floorPort}, '127.0.0.1');`;
        const reader = pinned(
          [
            '-e',
            store === 'sqlite'
              ? `const { hash } = require('node:crypto');
                 const Database = require(${JSON.stringify(join(process.cwd(), 'node_modules/better-sqlite3'))});
                 const db = new Database(${JSON.stringify(env.SIGNET_DATABASE_URL)}, { readonly: true }); db.pragma('cache_size = -16384');
                 const read = db.prepare('SELECT ${columns} WHERE o.id = ? AND o.cert_id = ?');
                 ${serve(`const row = read.get(key, certId.toString('hex')); ${reply}`)}`
              : `const { hash } = require('node:crypto');
                 const pg = require(${JSON.stringify(join(process.cwd(), 'node_modules/pg'))});
                 const pool = new pg.Pool({ connectionString: ${JSON.stringify(env.SIGNET_DATABASE_URL)}, max: 10 });
                 const waiting = new Map(); let out = false;
                 const send = () => { if (out || waiting.size === 0) return; out = true;
                   const batch = [...waiting].slice(0, 256); for (const [id] of batch) waiting.delete(id);
                   pool.query({ name: 'floor', text: 'SELECT o.cert_id, ${columns} WHERE o.id = any($1::bigint[])', values: [batch.map(([, q]) => q.key)] }).then(({ rows }) => {
                     const found = new Map(rows.map((row) => [row.cert_id, row]));
                     for (const [id, q] of batch) for (const done of q.done) done(found.get(id));
                   }, () => { for (const [, q] of batch) for (const done of q.done) done(undefined); }).finally(() => { out = false; send(); }); };
                 ${serve(`const id = certId.toString('hex'); const q = waiting.get(id) ?? { key: key.toString(), done: [] }; waiting.set(id, q);
                   q.done.push((row) => { ${reply} }); send();`)}`,
          ],
          {},
        );
        await waitFor(`http://127.0.0.1:${floorPort}/`, hotBody);
        floor = await load(`http://127.0.0.1:${floorPort}/`, (n) => requestFor(prefix, (start + (warm.sent + cold.sent + n) * stride) % POPULATION), reader.pid!, postgres);
        await stop(reader);
      }
      const cpu = (f: Phase) => f.serverMs + f.postgresMs;
      row =
        `${store.padEnd(9)} ${fmt(POPULATION)} stored answers (seeded in ${seedSeconds.toFixed(0)} s), load ${load0.toFixed(1)}–${loadavg()[0]!.toFixed(1)}:\n` +
        `  cold ${fmt(cold.perSecond)}/s p50 ${cold.p50} ms p99 ${cold.p99} ms (${fmt(cold.sent)} distinct serials after ${fmt(warm.sent)} in ${WARMUP} s of warm-up${cold.errors ? `, ${cold.errors} errors` : ''}); ` +
        `hot ${fmt(hot.perSecond)}/s p50 ${hot.p50} ms p99 ${hot.p99} ms${hot.errors ? ` (${hot.errors} errors)` : ''}; bare node:http ${fmt(ceiling.perSecond)}/s\n` +
        `  cold/hot: ${((cold.perSecond / hot.perSecond) * 100).toFixed(0)}% by rate, ${((cpu(hot) / cpu(cold)) * 100).toFixed(0)}% per CPU-second of server${store === 'postgres' ? ' + PostgreSQL' : ''}\n` +
        `  CPU ms per answer (server / PostgreSQL / load generator): cold ${cold.serverMs.toFixed(3)} / ${cold.postgresMs.toFixed(3)} / ${cold.clientMs.toFixed(3)}, ` +
        `hot ${hot.serverMs.toFixed(3)} / ${hot.postgresMs.toFixed(3)} / ${hot.clientMs.toFixed(3)}, bare ${ceiling.serverMs.toFixed(3)} / - / ${ceiling.clientMs.toFixed(3)}; server RSS after ${rss.toFixed(0)} MB` +
        (floor === skipped
          ? ''
          : `\n  floor (bare node:http + the one-row read, distinct serials): ${fmt(floor.perSecond)}/s p99 ${floor.p99} ms, ${floor.serverMs.toFixed(3)}${store === 'postgres' ? ` + ${floor.postgresMs.toFixed(3)} PostgreSQL` : ''} ms CPU per answer = ${((floor.perSecond / ceiling.perSecond) * 100).toFixed(0)}% of bare by rate, ${((ceiling.serverMs / cpu(floor)) * 100).toFixed(0)}% by CPU`);
    } finally {
      await stop(server);
      // 1.6–2.3 GB per SQLite store of a million answers: not left behind in the temp folder.
      rmSync(dataDir, { recursive: true, force: true });
    }
    console.log(row);
    lines.push(row);
  }
} finally {
  await teardown?.();
}
console.log(`\n${lines.join('\n')}\n\nReproduce: npm run build && npx tsx bench/ocsp-population.ts --population ${POPULATION} --stores ${STORES.join(',')} --seconds ${SECONDS}${WARMUP !== 3 ? ` --warmup ${WARMUP}` : ''}${PHASES.size < 4 ? ` --phases ${[...PHASES].join(',')}` : ''}`);
