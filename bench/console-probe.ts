/**
 * One dashboard and a few inventory pages on a seeded store, timed one by one
 * (for the slow-statement log): npx tsx bench/console-probe.ts <data dir> <database url> [--retention]
 */
import { loadConfig } from '../src/config/settings.js';
import { bootstrapPrincipal } from '../src/ra/roles.js';
import { openSignet } from '../src/signet.js';

const [dataDir, databaseUrl] = process.argv.slice(2);
const signet = await openSignet(loadConfig({ SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: databaseUrl, SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_ADMIN_TOKEN: 'bench-admin-token', SIGNET_LOG_LEVEL: 'warn' }));
const by = bootstrapPrincipal('cli', 'bench');
const time = async (label: string, work: () => Promise<unknown>) => {
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await work();
    console.log(`${label}: ${(performance.now() - started).toFixed(1)} ms`);
  }
};
await time('dashboard', () => signet.ra.inventory.statistics(by));
await time('status=good', () => signet.ra.inventory.page(by, { pageSize: 20, status: 'good' }));
await time('first page', () => signet.ra.inventory.page(by, { pageSize: 20 }));
await time('subject that exists', () => signet.ra.inventory.page(by, { pageSize: 20, q: 'scale 1234' }));
await time('subject that does not exist', () => signet.ra.inventory.page(by, { pageSize: 20, q: 'nobody here' }));
if (process.argv.includes('--retention')) {
  for (const run of ['retention run', 'retention run again']) {
    const started = performance.now();
    const report = await signet.service.retention.run('bench');
    console.log(`${run}: ${(performance.now() - started).toFixed(0)} ms, purged ${report.purged.length}, retained ${report.retained}`);
  }
}
await signet.close();
process.exit(0);
