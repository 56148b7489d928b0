import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { opensslRequest, runTool, writePem } from '../ca/test-support/ca-fixture.js';
import { loadConfig } from '../config/settings.js';
import { openSignet } from '../signet.js';
import { seedRevocations } from '../status/test-support/bulk-revocations.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-evidence-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-evidence-cli-work-'));
const PASSPHRASE = 'cli-test-passphrase';

function signet(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, SIGNET_DATA: dataDir, SIGNET_LANG: 'en', SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: PASSPHRASE },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('signet evidence report|verify when the CRL in force is too large to embed (R14, issue 22)', () => {
  it('writes the CRL beside the package, verifies the pair offline, and names what is missing without it', async () => {
    // The deployment and a CRL of 30,000 entries (~1.4 MB, over the 1 MiB embedding limit) are made in-process.
    const setup = await openSignet(loadConfig({ SIGNET_DATA: dataDir, SIGNET_CA_PASSPHRASE: PASSPHRASE }));
    const h = await createHierarchy(setup.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    const { csrPem } = opensslRequest(work, 'ecdsa-p256', 'holder');
    const issued = await setup.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=holder', subscriberId: 'holder', requestedBy: 'test', reason: 'cli test' });
    await seedRevocations(setup.store, h.issuing.caId, 30_000, { revokedAt: new Date(Date.now() - 60_000).toISOString(), notAfter: '2036-01-01T00:00:00.000Z' });
    await setup.status.crls.publish(h.issuing.caId, 'full', 'test');
    await setup.close();

    const out = join(work, 'dispute.evidence');
    const report = signet(['evidence', 'report', '--serial', issued.serial, '--at', new Date().toISOString(), '--out', out]);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain(`too large to embed and was written to ${out}.crl`);
    expect(readFileSync(out).length).toBeLessThan(64 * 1024);
    expect(readFileSync(`${out}.crl`).length).toBeGreaterThan(1024 * 1024);
    // The companion is the CRL as published: OpenSSL verifies it against the issuing CA.
    expect(runTool('openssl', ['crl', '-inform', 'DER', '-in', `${out}.crl`, '-CAfile', writePem(work, 'issuing.pem', h.issuing.der), '-noout']).stderr).toContain('verify OK');

    const rootPem = writePem(work, 'root.pem', h.root.der);
    const offline = signet(['evidence', 'verify', out, '--ca', rootPem]);
    expect(offline.status, offline.stdout + offline.stderr).toBe(0);
    expect(offline.stdout).toContain('Evidence package verified');

    renameSync(`${out}.crl`, join(work, 'elsewhere.crl'));
    expect(existsSync(`${out}.crl`)).toBe(false);
    const alone = signet(['evidence', 'verify', out, '--ca', rootPem, '--json']);
    expect(alone.status).toBe(3);
    expect((JSON.parse(alone.stdout) as { problems: string[] }).problems.join()).toMatch(/travels beside the package and was not given/);
    expect(signet(['evidence', 'verify', out, '--ca', rootPem, '--crl', join(work, 'elsewhere.crl')]).status).toBe(0);
    // Four command-line processes, each loading the CLI through tsx.
  }, 600_000);
});
