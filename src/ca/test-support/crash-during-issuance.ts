/**
 * Run as a child process by the crash-consistency test: issues three
 * certificates at once (one group commit) and kills itself with SIGKILL at the
 * named point of the cycle, the way a power cut or an OOM killer would.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/settings.js';
import { openSignet } from '../../signet.js';

const [point, csrPath] = process.argv.slice(2);
const die = () => {
  process.kill(process.pid, 'SIGKILL');
};
const signet = await openSignet(loadConfig(), {
  faults: point === 'after-intent' ? { afterIntentRecorded: die } : { afterSigned: die },
});
const csr = readFileSync(csrPath!, 'utf8');
await Promise.all(
  [1, 2, 3].map((n) =>
    signet.ca.issue({
      csr,
      profileId: 'tls-client',
      subject: `CN=killed mid-issuance ${n}`,
      subscriberId: 'subscriber-killed',
      requestedBy: 'test:crash',
      reason: 'crash consistency',
    }),
  ),
);
console.log('the process should have died before this line');
