/**
 * Test support: fresh, empty databases on both store backends, so that every store
 * test runs on SQLite and on PostgreSQL.
 *
 *   describe.each(storeBackends)('the store on %s', (backend) => {
 *     afterAll(dropFreshStores);
 *     it('…', async () => {
 *       const store = await openDatabase(await freshStoreUrl(backend));
 *       try { … } finally { await store.close(); }
 *     });
 *   });
 *
 * PostgreSQL comes from the throwaway cluster started by test/global-setup.ts (or
 * from SIGNET_TEST_POSTGRES_URL). When neither is there the tests fail: they never skip.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** postgres://… URL of the throwaway cluster's `postgres` database (superuser, trust auth). */
    postgresUrl: string;
  }
}

export type StoreBackendName = 'sqlite' | 'postgres';

export interface StoreBackend {
  name: StoreBackendName;
  url: string;
}

/** Every backend the store supports, for `describe.each(storeBackends)`. */
export const storeBackends: readonly StoreBackendName[] = Object.freeze(['sqlite', 'postgres'] as const);

const createdDatabases: string[] = [];
const createdDirs: string[] = [];

/** The admin URL of the test PostgreSQL server; throws (never skips) when there is none. */
export function testPostgresUrl(): string {
  let url = process.env.SIGNET_TEST_POSTGRES_URL;
  if (!url) {
    try {
      url = inject('postgresUrl');
    } catch {
      // Not inside a vitest worker: only the environment variable can help.
    }
  }
  if (!url) {
    throw new Error(
      'No PostgreSQL server for the store tests: SIGNET_TEST_POSTGRES_URL is not set and test/global-setup.ts ' +
        'did not provide one. Run the tests with `npx vitest` from the repository root (vitest.config.ts starts a ' +
        'throwaway cluster; `bash scripts/setup-test-tools.sh` installs PostgreSQL 15), or set SIGNET_TEST_POSTGRES_URL.',
    );
  }
  return url;
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database on the given backend: a new SQLite file in a new temp dir,
 * or a new PostgreSQL database `signet_t_<random hex>` on the test cluster.
 * The result is what `openDatabase(url)` takes.
 */
export async function freshStoreUrl(backend: StoreBackendName): Promise<string> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'signet-store-'));
    createdDirs.push(dir);
    return join(dir, 'signet.db');
  }
  if (backend === 'postgres') {
    const name = `signet_t_${randomBytes(8).toString('hex')}`;
    await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
    createdDatabases.push(name);
    const url = new URL(testPostgresUrl());
    url.pathname = `/${name}`;
    return url.toString();
  }
  throw new Error(`unknown store backend: ${String(backend)}`);
}

/** Both fields at once, for tests that want the name alongside the URL. */
export async function freshStoreBackend(name: StoreBackendName): Promise<StoreBackend> {
  return { name, url: await freshStoreUrl(name) };
}

/**
 * Drops every database and removes every temp dir this module created (in this test
 * file). Call it in afterAll, after closing the stores opened on them.
 */
export async function dropFreshStores(): Promise<void> {
  const databases = createdDatabases.splice(0);
  const dirs = createdDirs.splice(0);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (databases.length === 0) return;
  const stillOpen: string[] = [];
  await withAdminClient(async (client) => {
    for (const name of databases) {
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
      } catch (error) {
        // 55006 object_in_use: a store on it was never closed.
        if ((error as { code?: string }).code === '55006') stillOpen.push(name);
        else throw error;
      }
    }
  });
  if (stillOpen.length > 0) {
    throw new Error(
      `dropFreshStores: database(s) ${stillOpen.join(', ')} still have open connections: ` +
        'close every store opened on them (await store.close()) before dropFreshStores().',
    );
  }
}
