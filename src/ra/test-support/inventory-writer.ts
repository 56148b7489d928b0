/**
 * Run as a child process by src/ra/inventory-counts.test.ts: one node of a
 * deployment issuing and revoking at once with another, through the CA and the
 * status domain as `signet serve` does, so that the database's triggers keep
 * the inventory's counters from two processes' transactions interleaved.
 *
 *   inventory-writer.ts <csr file> <subscriber id> <certificates>
 *
 * Every second certificate is revoked as soon as it is issued, while other
 * issuances are in flight. Prints {"issued": [...], "revoked": [...]}.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/settings.js';
import { openSignet } from '../../signet.js';

const [csrFile, subscriberId, howMany] = process.argv.slice(2);
const csr = readFileSync(csrFile!, 'utf8');
const count = Number(howMany);
const signet = await openSignet(loadConfig());
const issued: string[] = [];
const revoked: string[] = [];
let next = 0;
const worker = async () => {
  for (let i = next++; i < count; i = next++) {
    const certificate = await signet.ca.issue({ csr, profileId: 'tls-client', subject: `CN=${subscriberId} ${i}`, subscriberId, requestedBy: 'test', reason: 'inventory counters under two writers' });
    issued.push(certificate.serial);
    if (i % 2 === 0) {
      await signet.status.revokeCertificate({ serial: certificate.serial, reason: 'superseded', channel: 'ra', requestedBy: 'test' });
      revoked.push(certificate.serial);
    }
  }
};
await Promise.all(Array.from({ length: 6 }, worker));
await signet.close();
process.stdout.write(JSON.stringify({ issued, revoked }));
