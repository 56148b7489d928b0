/**
 * Run as a child process by src/status/crl-pieces.test.ts: publishes a full CRL of the named CA in pieces of
 * 1,000 octets and kills itself with SIGKILL right after the second piece of entries (seq 2) is archived, the way a
 * power cut or the OOM killer would, before the CRL is signed and before the row that would put it in force.
 */
import { loadConfig } from '../../config/settings.js';
import { openSignet } from '../../signet.js';
import { CrlPublisher, DEFAULT_CRL_SCHEDULE } from '../crl-publisher.js';

const [caId] = process.argv.slice(2);
const config = loadConfig();
const signet = await openSignet(config);
const publisher = new CrlPublisher(signet.ca, config.publicUrl, { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000 }, {
  afterArchivedPiece: (seq) => {
    if (seq === 2) process.kill(process.pid, 'SIGKILL');
  },
});
await publisher.publish(caId!, 'full', 'test:crash');
console.log('the process should have died before this line');
