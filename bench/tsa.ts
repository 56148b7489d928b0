/**
 * RFC 3161 time-stamps per second, beside the raw signing rate and OpenSSL's
 * `openssl ts -reply`, all measured in the same run on this machine.
 *
 *   npm run build && npx tsx bench/tsa.ts [seconds]
 *
 * 1. raw: node:crypto ECDSA P-256 signatures/s (one core) and `openssl speed ecdsap256`.
 * 2. in-process: TimeStampAuthority.reply() on SQLite, 64 requests in flight;
 *    every token signed AND recorded (serial, time, imprint, token) before it is returned.
 *    With SIGNET_BENCH_POSTGRES_URL=postgres://… (a server where it may create a database) also on PostgreSQL.
 * Each is warmed up for 2 s first. CPU: process.cpuUsage() for this process, /proc/PID/stat for the server,
 * both every thread of the process (V8's GC helpers included).
 * Placement: raw signing and the in-process TSA run with this process pinned to core 0 (taskset -a), as the
 * server is; for the HTTP run this process, the load generator, moves to core 1. Unpinned, the in-process
 * run had both cores and its GC helpers ran beside the main thread (1.11 cores busy for 1,190 tokens per
 * CPU-s on a quiet machine, against 0.93 and 1,676 for the pinned server): parallel GC on an idle second
 * core costs more CPU than the same GC on the one core, so the two figures were not counted alike.
 * 3. HTTP: `signet serve` in its own process, autocannon POSTing application/timestamp-query
 *    to /tsa over loopback (keep-alive, 64 connections).
 * 4. `openssl ts -reply`: OpenSSL's TSA, one process per token (it has no server mode).
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq, TimeStampResp } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { openSignet } from '../src/signet.js';
import { fmt, opensslSignRate, startSignetServer } from './bench-support.js';

const SECONDS = Number(process.argv[2] ?? 5);
const IN_FLIGHT = 64;
const WARM_UP_MS = 2000;
/** Also measure in process on PostgreSQL: postgres://… of a database the bench may fill. */
const POSTGRES_URL = process.env.SIGNET_BENCH_POSTGRES_URL;

function query(): Buffer {
  return Buffer.from(
    AsnConvert.serialize(
      new TimeStampReq({
        messageImprint: new MessageImprint({
          hashAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
          hashedMessage: new OctetString(createHash('sha256').update(randomBytes(64)).digest()),
        }),
        // Positive and minimal (RFC 3161 §2.4.1, DER): a first octet of 00 would be padding, one of 80 or more negative.
        nonce: new Uint8Array(randomBytes(8).map((b, i) => (i === 0 ? (b & 0x7f) | 0x40 : b))).buffer,
        certReq: true,
      }),
    ),
  );
}

/** A rate by the wall clock, and by the CPU time the work really got (fair when the machine is shared). */
interface Rate {
  wall: number;
  cpu: number;
}

function cpuSecondsOf(pid?: number): number {
  if (pid === undefined) {
    // This process: process.cpuUsage(), user + system, in microseconds.
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  // Another process (the server): /proc/PID/stat fields 14 and 15, user and system time in clock ticks (USER_HZ = 100 on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measureRate(work: (until: number) => Promise<number> | number, pid?: number): Promise<Rate> {
  const cpu0 = cpuSecondsOf(pid);
  const t0 = performance.now();
  const n = await work(t0 + SECONDS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(pid) - cpu0;
  return { wall: n / wall, cpu: n / Math.max(cpu, 0.01) };
}

function rawSigningRate(): Promise<Rate> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const message = randomBytes(120);
  return measureRate((until) => {
    let n = 0;
    while (performance.now() < until) {
      for (let i = 0; i < 100; i++) sign('sha256', message, privateKey);
      n += 100;
    }
    return n;
  });
}

async function inProcessRate(databaseUrl?: string): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-tsa-'));
  const signet = await openSignet(
    loadConfig({ SIGNET_DATA: dir, SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_LOG_LEVEL: 'silent', ...(databaseUrl ? { SIGNET_DATABASE_URL: databaseUrl } : {}) }),
  );
  try {
    await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'bench' });
    const queries = Array.from({ length: 256 }, query);
    const run = async (end: number) => {
      let issued = 0;
      const worker = async (offset: number) => {
        for (let i = offset; performance.now() < end; i += IN_FLIGHT) {
          const reply = await signet.tsa.reply(queries[i % queries.length]!);
          if (!reply.granted) throw new Error(`refused: ${reply.failure}`);
          issued++;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => worker(i)));
      return issued;
    };
    // Warm-up (JIT, layouts, statement cache), not measured.
    await run(performance.now() + WARM_UP_MS);
    return await measureRate(run);
  } finally {
    await signet.close();
  }
}

/** A database of its own on the given server, dropped afterwards. */
async function onFreshPostgresDatabase<T>(serverUrl: string, work: (databaseUrl: string) => Promise<T>): Promise<T> {
  const name = `signet_bench_tsa_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const result = await work(url.toString()).finally(() => dropWhenIdle(admin, name));
    return result;
  } finally {
    await admin.end();
  }
}

/** The pool's connections close a moment after close() returns; the database goes once they have. */
async function dropWhenIdle(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await admin.query(`drop database ${name}`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  console.error(`could not drop the bench database ${name}; drop it by hand`);
}

async function httpRate(databaseUrl?: string): Promise<{ rate: Rate; errors: number; p99: number }> {
  const server = await startSignetServer('ecdsa-p256', databaseUrl ? { SIGNET_DATABASE_URL: databaseUrl } : {});
  try {
    const body = query();
    const check = await fetch(`${server.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body });
    const status = AsnConvert.parse(Buffer.from(await check.arrayBuffer()), TimeStampResp).status.status;
    if (status !== 0) throw new Error(`the server refused the bench query (status ${status})`);
    // Warm-up (JIT, layouts, statement cache), not measured.
    await autocannon({ url: `${server.url}/tsa`, connections: IN_FLIGHT, duration: WARM_UP_MS / 1000, method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body });
    let result: autocannon.Result | undefined;
    const rate = await measureRate(async () => {
      result = await autocannon({
        url: `${server.url}/tsa`,
        connections: IN_FLIGHT,
        duration: SECONDS,
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body,
      });
      return result.requests.total;
    }, server.process.pid);
    return { rate, errors: result!.errors + result!.non2xx, p99: result!.latency.p99 };
  } finally {
    await server.stop();
  }
}

/** OpenSSL's own TSA, with the same kind of key and certificate (critical timeStamping EKU). */
function opensslReplyRate(): { perSecond: number; command: string } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-ossl-ts-'));
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.pem', '-subj', '/CN=bench TSA', '-days', '30', '-addext', 'extendedKeyUsage=critical,timeStamping']);
  writeFileSync(
    join(dir, 'ts.cnf'),
    ['[ tsa ]', 'default_tsa = tsa_config', '[ tsa_config ]', `serial = ${join(dir, 'serial')}`, 'crypto_device = builtin', 'signer_digest = sha256',
      'default_policy = 1.2.3.4.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1', 'ess_cert_id_alg = sha256', 'ess_cert_id_chain = no', ''].join('\n'),
  );
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'q.tsq'), query());
  const args = ['ts', '-reply', '-config', 'ts.cnf', '-queryfile', 'q.tsq', '-inkey', 'tsa.key', '-signer', 'tsa.pem', '-out', 'r.tsr'];
  run(args);
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    run(args);
    n++;
  }
  if (AsnConvert.parse(readFileSync(join(dir, 'r.tsr')), TimeStampResp).status.status !== 0) throw new Error('openssl ts -reply refused');
  return { perSecond: n / ((performance.now() - started) / 1000), command: `openssl ${args.join(' ')}` };
}

/** Moves every thread of this process to the given cores (taskset -a -p, util-linux; bench-support pins the server with it too). */
function pinThisProcess(cores: string): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset -a -p -c ${cores} ${process.pid}: ${result.stderr || result.error}`);
}

pinThisProcess('0');
const raw = await rawSigningRate();
const speed = opensslSignRate('ecdsap256', SECONDS);
const inProcess = await inProcessRate();
const onPostgres = POSTGRES_URL ? await onFreshPostgresDatabase(POSTGRES_URL, inProcessRate) : undefined;
// The load generator beside the server (core 0), not on it.
pinThisProcess('1');
const http = await httpRate();
const httpOnPostgres = POSTGRES_URL ? await onFreshPostgresDatabase(POSTGRES_URL, httpRate) : undefined;
const openssl = opensslReplyRate();

const line = (label: string, rate: Rate, unit: string, note = '') =>
  console.log(`  ${label.padEnd(38)} ${fmt(rate.wall).padStart(8)} ${unit}/s wall  ${fmt(rate.cpu).padStart(8)} ${unit}/CPU-s  ${note}`);
console.log(`\nRFC 3161 time-stamping, ECDSA P-256 TSA key, SHA-256 imprints, certReq=true, ${SECONDS} s each (this machine, this run)`);
console.log(`  (per CPU-second = the rate the work ran at while it had a core: fair on a shared machine; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
line('raw node:crypto P-256 signing', raw, 'sig', '(core 0)');
console.log(`  ${'openssl speed ecdsap256'.padEnd(38)} ${fmt(speed).padStart(8)} sig/CPU-s                      openssl speed -seconds ${SECONDS} ecdsap256`);
line('Signet TSA in-process (signed+stored)', inProcess, 'tok', `${((inProcess.cpu / raw.cpu) * 100).toFixed(0)}% of raw signing per CPU-s; pinned to core 0 as the server is`);
if (onPostgres) line('Signet TSA in-process on PostgreSQL', onPostgres, 'tok', `${((onPostgres.cpu / raw.cpu) * 100).toFixed(0)}% of raw signing per CPU-s (this process only; the server's CPU is not counted)`);
line('Signet POST /tsa over HTTP (server)', http.rate, 'tok', `p99 ${http.p99} ms, ${http.errors} errors; autocannon -c ${IN_FLIGHT} -d ${SECONDS} -m POST -H content-type=application/timestamp-query -i q.tsq URL/tsa`);
if (httpOnPostgres) line('Signet POST /tsa over HTTP on PostgreSQL', httpOnPostgres.rate, 'tok', `p99 ${httpOnPostgres.p99} ms, ${httpOnPostgres.errors} errors (the Signet server's CPU only)`);
console.log(`  ${'openssl ts -reply (process per token)'.padEnd(38)} ${fmt(openssl.perSecond).padStart(8)} tok/s wall                        ${openssl.command}`);
console.log(`  issue 15 floor ≥ 2,000 tokens per CPU-s: in-process ${inProcess.cpu >= 2000 ? 'met' : 'NOT met'}, HTTP ${http.rate.cpu >= 2000 ? 'met' : 'NOT met'} per server CPU-s`);
console.log(`  target ≥ 5,000 tokens/s with P-256: in-process ${inProcess.cpu >= 5000 ? 'met' : 'NOT met'} per CPU-s (${inProcess.wall >= 5000 ? 'met' : 'not met'} by the wall clock), HTTP ${http.rate.cpu >= 5000 ? 'met' : 'NOT met'} per server CPU-s`);
console.log(`  reproduce: npm run build && ${POSTGRES_URL ? 'SIGNET_BENCH_POSTGRES_URL=… ' : ''}npx tsx bench/tsa.ts ${SECONDS}`);
