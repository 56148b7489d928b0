/**
 * Vitest globalSetup: a throwaway PostgreSQL 15 cluster for the whole run, so that
 * every store test runs on PostgreSQL as well as on SQLite.
 *
 * - If SIGNET_TEST_POSTGRES_URL is already set, that server is used and nothing starts.
 * - Otherwise a cluster is created in a temp dir, started on a free loopback port,
 *   and stopped and deleted in teardown.
 *
 * The URL reaches the test workers two ways: process.env.SIGNET_TEST_POSTGRES_URL
 * (vitest 4 builds each fork's environment from process.env after globalSetup has
 * run) and project.provide('postgresUrl') / inject('postgresUrl').
 *
 * A missing PostgreSQL installation is a failure, never a skip.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  interface ProvidedContext {
    /** postgres://… URL of the throwaway cluster's `postgres` database (superuser, trust auth). */
    postgresUrl: string;
  }
}

const PG_BIN = '/usr/lib/postgresql/15/bin';
const ENV_URL = 'SIGNET_TEST_POSTGRES_URL';

interface RunningCluster {
  dir: string;
  dataDir: string;
  asPostgresUser: boolean;
  stopped: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free TCP port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** argv for running a PostgreSQL binary: directly, or as the `postgres` user when we are root. */
function pgCommand(asPostgresUser: boolean, binary: string, args: string[]): [string, string[]] {
  const path = join(PG_BIN, binary);
  return asPostgresUser ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

function run(asPostgresUser: boolean, binary: string, args: string[]): Promise<void> {
  const [command, argv] = pgCommand(asPostgresUser, binary, args);
  return new Promise((resolve, reject) => {
    // stdin ignored; output collected for the error message. pg_ctl redirects the
    // server's own output to the log file, so the server never holds these pipes.
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${[command, ...argv].join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      stdio: 'inherit',
    });
  }
}

function stopCluster(cluster: RunningCluster): void {
  if (cluster.stopped) return;
  cluster.stopped = true;
  const [command, argv] = pgCommand(cluster.asPostgresUser, 'pg_ctl', ['-D', cluster.dataDir, '-m', 'immediate', '-w', 'stop']);
  try {
    // Synchronous so that it also works from a process 'exit' handler.
    if (existsSync(join(cluster.dataDir, 'postmaster.pid'))) execFileSync(command, argv, { stdio: 'ignore' });
  } catch (error) {
    console.error(`global-setup: stopping the test PostgreSQL cluster in ${cluster.dataDir} failed:`, error);
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}

async function startCluster(): Promise<{ url: string; cluster: RunningCluster }> {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) {
    throw new Error(
      `PostgreSQL 15 server binaries not found in ${PG_BIN}: the store tests run on PostgreSQL too. ` +
        `Run \`bash scripts/setup-test-tools.sh\` (or set ${ENV_URL}=postgres://… to use an existing server).`,
    );
  }
  const asPostgresUser = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'signet-pg-'));
  const dataDir = join(dir, 'data');
  const cluster: RunningCluster = { dir, dataDir, asPostgresUser, stopped: false };
  try {
    mkdirSync(dataDir, { mode: 0o700 });
    if (asPostgresUser) {
      // PostgreSQL refuses to run as root.
      ensurePostgresUser();
      execFileSync('chown', ['-R', 'postgres:', dir]);
    }
    await run(asPostgresUser, 'initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);

    // The port is free when we look; another process may take it before the server
    // binds, so try a few ports before giving up.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const options = [
        '-c listen_addresses=127.0.0.1',
        `-p ${port}`,
        `-k '${dir}'`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        await run(asPostgresUser, 'pg_ctl', ['-D', dataDir, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', options, 'start']);
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, cluster };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  } catch (error) {
    stopCluster(cluster);
    throw error;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env[ENV_URL];
  if (existing) {
    project.provide('postgresUrl', existing);
    return undefined;
  }

  const { url, cluster } = await startCluster();
  process.env[ENV_URL] = url;
  project.provide('postgresUrl', url);

  // If vitest dies without running teardown (an uncaught error, Ctrl-C), do not
  // leave a server running.
  const onExit = (): void => stopCluster(cluster);
  process.once('exit', onExit);

  return async () => {
    process.off('exit', onExit);
    stopCluster(cluster);
    delete process.env[ENV_URL];
  };
}
