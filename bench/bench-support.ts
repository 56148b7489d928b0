/** Shared by the benchmarks: free ports, a Signet server in its own process, OpenSSL's own speed. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningServer {
  url: string;
  dataDir: string;
  adminToken: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface ServerPlacement {
  /** Another server's data folder (its generated secrets), for a second node over the same store. */
  dataDir?: string;
  /** taskset's CPU list; default core 0. */
  cores?: string;
}

/** `signet serve` from the compiled package, in its own process (so it has one core to itself). */
export async function startSignetServer(algorithm: string, env: Record<string, string> = {}, placement: ServerPlacement = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = placement.dataDir ?? mkdtempSync(join(tmpdir(), 'signet-bench-'));
  const adminToken = 'bench-admin-token';
  // SIGNET_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (node refuses those in NODE_OPTIONS).
  const nodeArgs = process.env.SIGNET_BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  // Pinned to core 0 (taskset, util-linux) so "the server on one core" holds; the load generator takes core 1.
  const child = spawn('taskset', ['-c', placement.cores ?? '0', process.execPath, ...nodeArgs, 'bin/signet.js', 'serve', '--algorithm', algorithm], {
    env: {
      ...process.env,
      SIGNET_DATA: dataDir,
      SIGNET_PORT: String(port),
      SIGNET_LOG_LEVEL: 'warn',
      SIGNET_CA_PASSPHRASE: 'bench-passphrase',
      SIGNET_ADMIN_TOKEN: adminToken,
      // The bench measures signing from one client address; the per-source limits (rate-limits.ts) would measure the limiter.
      SIGNET_RATE_LIMITS: 'off',
      ...env,
    },
    // SIGNET_BENCH_SERVER_STDOUT=FILE keeps what the server prints (with --trace-opt, say).
    stdio: ['ignore', process.env.SIGNET_BENCH_SERVER_STDOUT ? openSync(process.env.SIGNET_BENCH_SERVER_STDOUT, 'w') : 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // First start makes the whole hierarchy (four RSA key generations for rsa-2048): on a loaded machine
  // that took over the former 30 s, and the bench then measured connection errors. Wait up to 5 minutes,
  // and stop with a message rather than print a figure for a server that is not there.
  let up = false;
  for (let i = 0; i < 3000 && !up; i++) {
    try {
      up = (await fetch(`${url}/healthz`)).ok;
    } catch {
      // not up yet
    }
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    child.kill('SIGTERM');
    throw new Error(`signet serve --algorithm ${algorithm} did not answer /healthz within 5 minutes`);
  }
  return {
    url,
    dataDir,
    adminToken,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `openssl speed` signing rate (signatures/s on one core), parsed from its machine-readable output. */
export function opensslSignRate(algorithm: 'rsa2048' | 'ecdsap256' | 'ecdsap384' | 'ed25519', seconds = 3, core?: number): number {
  const command = ['openssl', 'speed', '-mr', '-seconds', String(seconds), algorithm];
  // On the benchmarked server's core when asked, so both figures of a ratio come from the same core.
  const [program, ...args] = core === undefined ? command : ['taskset', '-c', String(core), ...command];
  const result = spawnSync(program!, args, { encoding: 'utf8' });
  // -mr summary: +F2:idx:bits:sign/s:verify/s (RSA), +F4:… (ECDSA), +F6:idx:bits:name:sign/s:verify/s (EdDSA)
  const line = result.stdout.split('\n').find((l) => /^\+F\d+:/.test(l));
  if (!line) throw new Error(`openssl speed ${algorithm} gave no figure:\n${result.stdout}${result.stderr}`);
  const fields = line.split(':').slice(3);
  if (Number.isNaN(Number(fields[0]))) fields.shift();
  return Number(fields[0]);
}

/**
 * Signatures per second of node:crypto (the OpenSSL Node carries) for an
 * algorithm the system's `openssl speed` does not know (ML-DSA on Debian's
 * 3.0), in a child process pinned like opensslSignRate: the same kind of peer.
 * Only the signing loop is timed, not the process start or the key.
 */
export function nodeSignRate(algorithm: 'ml-dsa-44' | 'ml-dsa-65' | 'ml-dsa-87', seconds = 3, core?: number): number {
  // Per CPU-second, as openssl speed counts (its user time): a shared machine's load does not lower it.
  const script = `const c = require('node:crypto'); const k = c.generateKeyPairSync(${JSON.stringify(algorithm)}).privateKey;
    const m = Buffer.alloc(600, 0x30); let n = 0; const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
    const t = cpu(); while (cpu() - t < ${seconds}) { for (let i = 0; i < 10; i++) c.sign(null, m, k); n += 10; }
    console.log(n / (cpu() - t));`;
  const command = [process.execPath, '-e', script];
  const [program, ...args] = core === undefined ? command : ['taskset', '-c', String(core), ...command];
  const result = spawnSync(program!, args, { encoding: 'utf8' });
  const rate = Number(result.stdout.trim());
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`node:crypto ${algorithm} sign loop gave no figure:\n${result.stdout}${result.stderr}`);
  return rate;
}

/**
 * CPU seconds (user + system) used so far by a process: this one when no pid
 * is given, else /proc/PID/stat fields 14 and 15 in clock ticks (USER_HZ = 100).
 * Rates per CPU-second stay comparable when other work shares the machine.
 */
export function processCpuSeconds(pid?: number): number {
  if (pid === undefined) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Where a bench's store lives: a SQLite file in `dataDir`, or a fresh database on the test PostgreSQL cluster. */
export async function benchDatabaseUrl(store: 'sqlite' | 'postgres', dataDir: string, prefix: string): Promise<string> {
  if (store === 'sqlite') return join(dataDir, 'signet.db');
  const admin = process.env.SIGNET_TEST_POSTGRES_URL!;
  const name = `${prefix}_${Date.now().toString(36)}_${randomInt(1e6)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The cluster's postmaster and its children (the backends): PostgreSQL's CPU, apart from other clusters on the machine. */
export async function postgresPids(): Promise<() => number[]> {
  const client = new pg.Client({ connectionString: process.env.SIGNET_TEST_POSTGRES_URL! });
  await client.connect();
  const dataDirectory = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
  await client.end();
  const postmaster = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return () => {
    const pids = [postmaster];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        if (ppid === postmaster) pids.push(Number(entry));
      } catch {
        // gone
      }
    }
    return pids;
  };
}

/** CPU seconds of each of a set of processes now (those gone are left out). */
export function cpuOf(pids: number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    try {
      seconds.set(pid, processCpuSeconds(pid));
    } catch {
      // gone
    }
  }
  return seconds;
}

/**
 * CPU seconds spent between two cpuOf readings by the processes alive at the second; one that began in between
 * counts whole, one that ended in between is lost (connections are pooled, so few come and go).
 */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
}
