/** A private SoftHSM2 token for tests, in a temporary folder (INTEROP.md: address tokens by label). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface TestToken {
  module: string;
  label: string;
  pin: string;
}

/**
 * SoftHSM2 reads SOFTHSM2_CONF when the library initialises, and a process
 * initialises it once: call this before the first PKCS#11 use in the process.
 */
export function createSoftHsmToken(label = `signet-${process.pid}-${Date.now()}`): TestToken {
  if (!process.env.SOFTHSM2_CONF) {
    const dir = mkdtempSync(join(tmpdir(), 'signet-softhsm-'));
    mkdirSync(join(dir, 'tokens'));
    writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
  }
  const pin = '5678-signet';
  const result = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '1234-signet', '--pin', pin], {
    encoding: 'utf8',
    env: process.env,
  });
  if (result.status !== 0) throw new Error(`softhsm2-util failed (run scripts/setup-test-tools.sh): ${result.stderr}${result.stdout}`);
  return { module: SOFTHSM_MODULE, label, pin };
}
