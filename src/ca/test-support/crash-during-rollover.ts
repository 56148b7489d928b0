/**
 * Run as a child process by the rollover test: with the clock moved to
 * `offsetMs` ahead, starts the OCSP responder's rollover and kills itself
 * with SIGKILL after the successor's key exists and its certificate is
 * signed, before anything is recorded: a power cut mid-rollover.
 */
import { loadConfig } from '../../config/settings.js';
import { openSignet } from '../../signet.js';

const offsetMs = Number(process.argv[2]);
const die = () => {
  process.kill(process.pid, 'SIGKILL');
};
const signet = await openSignet(loadConfig(), { clock: () => new Date(Date.now() + offsetMs), faults: { afterSigned: die } });
await signet.signers.rollOverDue('test:crash');
console.log('the process should have died before this line');
