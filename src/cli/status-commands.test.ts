import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opensslRequest, runTool } from '../ca/test-support/ca-fixture.js';

const dataDir = mkdtempSync(join(tmpdir(), 'signet-status-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-status-cli-work-'));
// The program runs in this process (a child per command costs seconds of start-up each): same parser, same output.
process.env.SIGNET_DATA = dataDir;
process.env.SIGNET_LANG = 'en';
process.env.SIGNET_CA_PASSPHRASE = 'cli-test-passphrase';
// Delta CRLs are opt-in (docs/interoperability.md); this test publishes one.
process.env.SIGNET_DELTA_CRLS = 'on';
delete process.env.SIGNET_DATABASE_URL;
const { main } = await import('./main.js');

async function signet(args: string[]) {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr), console: console.error };
  // vitest captures console.*: errors printed with console.error are caught here too.
  console.error = (...parts: unknown[]) => void (stderr += `${parts.map(String).join(' ')}\n`);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await main(['node', 'signet', ...args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    console.error = write.console;
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

describe('status on the command line: signet cert status | cert revoke | crl generate | crl show (docs/architecture.md: CLI)', () => {
  it('revokes for ever, shows the status, publishes full and delta CRLs OpenSSL verifies that list the certificate', async () => {
    const init = await signet(['init', '--json']);
    expect(init.status, init.stderr).toBe(0);
    const { issuing } = JSON.parse(init.stdout) as { root: string; issuing: string };
    opensslRequest(work, 'ecdsa-p256');
    const issued = await signet(['cert', 'issue', '--csr', join(work, 'request.csr'), '--profile', 'tls-client', '--subject', 'CN=命令行测试', '--json']);
    expect(issued.status, issued.stderr).toBe(0);
    const { serial } = JSON.parse(issued.stdout) as { serial: string };

    const good = JSON.parse((await signet(['cert', 'status', serial, '--json'])).stdout) as { status: string; subject: string };
    expect(good).toMatchObject({ status: 'good', subject: 'CN=命令行测试' });

    const refused = await signet(['cert', 'revoke', '--serial', serial, '--ground', 'breach']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('needs a written justification');

    const revoked = await signet(['cert', 'revoke', serial, '--reason', 'keyCompromise', '--channel', 'subscriber']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked certificate ${serial} (key compromise)`);
    const again = await signet(['cert', 'revoke', '--serial', serial, '--reason', 'superseded']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('a revocation is final');
    expect(again.stderr).toMatch(/already revoked at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00 \(key compromise\)/);

    const status = await signet(['cert', 'status', serial]);
    expect(status.stdout).toContain(': revoked');
    expect(status.stdout).toContain('reason key compromise');

    const out = join(work, 'issuing.crl');
    const generated = await signet(['crl', 'generate', '--ca', issuing, '--out', out, '--json']);
    expect(generated.status, generated.stderr).toBe(0);
    expect(JSON.parse(generated.stdout)).toMatchObject([{ issuerCaId: issuing, kind: 'full', entries: 1 }]);
    const delta = await signet(['crl', 'generate', '--delta', '--json']);
    expect(delta.status, delta.stderr).toBe(0);
    expect((JSON.parse(delta.stdout) as Array<{ kind: string }>).map((c) => c.kind)).toEqual(['delta']);

    const authorities = JSON.parse((await signet(['ca', 'list', '--json'])).stdout) as Array<{ serial: string }>;
    const chain = join(work, 'chain.pem');
    const pems: string[] = [];
    for (const a of authorities) pems.push((await signet(['cert', 'show', a.serial, '--pem'])).stdout);
    writeFileSync(chain, pems.join(''));
    const verified = runTool('openssl', ['crl', '-inform', 'DER', '-in', out, '-CAfile', chain, '-noout', '-text']);
    expect(verified.stderr).toContain('verify OK');
    expect(verified.stdout).toContain(`Serial Number: ${serial.toUpperCase()}`);

    const list = await signet(['crl', 'show', '--ca', issuing, '--json']);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(2);
    const inForce = await signet(['crl', 'show', '--ca', issuing, '--at', new Date(Date.now() + 1000).toISOString(), '--json']);
    expect(JSON.parse(inForce.stdout)).toMatchObject({ kind: 'full', entries: 1 });
    expect((await signet(['crl', 'show', '--ca', issuing, '--at', 'yesterday'])).status).toBe(2);
  }, 120_000);
});
