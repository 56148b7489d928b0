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
    // Rate limits are off for tests that send many requests from one address on purpose (brute force,
    // matrices); src/http/rate-limits.test.ts turns them on and tests them.
    // An OCSP question waits on the store up to 60 s here, not the 1.5 s of production: on a loaded test machine a
    // store read can take longer, and tests about what nodes answer (src/several-servers.test.ts) must not turn on
    // the machine's speed. The deadline itself is specified by src/status/ocsp-deadline.test.ts, which sets its own.
    env: { SIGNET_SQLITE_SYNCHRONOUS: 'normal', SIGNET_RATE_LIMITS: 'off', SIGNET_OCSP_ANSWER_WITHIN_MS: '60000' },
    hookTimeout: 120_000,
  },
});
