/**
 * Test support: another Signet node paying a liability claim on the same
 * database, in its own process. It opens the store, prints READY, waits for a
 * line on stdin, pays, and prints the outcome as JSON.
 *   node --import tsx pay-claim.ts <databaseUrl> <dataDir> <claimId>
 */
import { createInterface } from 'node:readline';
import { CertificateAuthority } from '../../ca/authority.js';
import { SignetError } from '../../i18n/signet-error.js';
import { openDatabase } from '../../store/database.js';
import { PersonalDataCipher } from '../personal-data.js';
import { SubscriberServices } from '../subscriber-services.js';

const [databaseUrl, dataDir, claimId, at] = process.argv.slice(2) as [string, string, string, string];
const store = await openDatabase(databaseUrl);
const clock = () => new Date(at);
const ca = new CertificateAuthority({ store, config: { publicUrl: 'http://127.0.0.1', policyOid: '1.2.3', serialPrefix: 0x5c, passphrase: () => 'unused-passphrase' }, clock });
const services = new SubscriberServices({ ca, personalData: PersonalDataCipher.fromEnvironment({}, dataDir), clock });
process.stdout.write('READY\n');
const lines = createInterface({ input: process.stdin });
for await (const _line of lines) break;
try {
  const paid = await services.liability.pay('operator:other-node', claimId);
  process.stdout.write(`${JSON.stringify({ ok: true, status: paid.status })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: error instanceof SignetError ? error.code : String(error) })}\n`);
} finally {
  await store.close();
}
