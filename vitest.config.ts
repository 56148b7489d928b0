import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Starts a throwaway PostgreSQL 15 cluster (unless SIGNET_TEST_POSTGRES_URL is set):
    // the store tests run on SQLite and PostgreSQL alike.
    globalSetup: ['test/global-setup.ts'],
    setupFiles: [],
    // Native modules (better-sqlite3, pkcs11js) and child processes: forks, not threads.
    pool: 'forks',
    // Test files in parallel, two at a time (the machines have 2 vCPUs).
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    // What FULL adds over NORMAL (surviving a power cut) no test can observe; its fsync per
    // commit would only slow the suite. src/store/database.test.ts checks FULL is the default.
    env: { SIGNET_SQLITE_SYNCHRONOUS: 'normal' },
    hookTimeout: 120_000,
  },
});
