/**
 * Run as a child process by src/several-servers.test.ts: the server `signet
 * serve` builds (a server-role Signet, the same HTTP routes) that kills itself
 * with SIGKILL once `SIGNET_TEST_DIE_AFTER_SIGNED` certificates have been
 * signed, at the next signature: that certificate's intent is recorded and its
 * signature made, but nothing is recorded or answered, as in a power cut in
 * the middle of a batch. The port comes from SIGNET_PORT.
 */
import { loadConfig } from '../../config/settings.js';
import { buildServer } from '../../http/server.js';
import { openSignet } from '../../signet.js';

const survive = Number(process.env.SIGNET_TEST_DIE_AFTER_SIGNED ?? '0');
let signed = 0;
const config = loadConfig();
const signet = await openSignet(config, {
  role: 'server',
  faults: {
    afterSigned: () => {
      signed += 1;
      if (signed > survive) process.kill(process.pid, 'SIGKILL');
    },
  },
});
const app = await buildServer(signet, { logger: false });
await app.listen({ host: '127.0.0.1', port: config.port });
