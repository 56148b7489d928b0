import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opensslRequest, runTool } from '../ca/test-support/ca-fixture.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-status-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-status-cli-work-'));

function signet(args: string[], lang = 'en') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, SIGNET_DATA: dataDir, SIGNET_LANG: lang, SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('status on the command line: signet cert status | cert revoke | crl generate (ARCHITECTURE.md: CLI)', () => {
  it('shows a good certificate, revokes it for ever, publishes a CRL OpenSSL verifies that lists it', () => {
    const init = signet(['init', '--json']);
    expect(init.status, init.stderr).toBe(0);
    const { issuing } = JSON.parse(init.stdout) as { root: string; issuing: string };
    opensslRequest(work, 'ecdsa-p256');
    const issued = signet(['cert', 'issue', '--csr', join(work, 'request.csr'), '--profile', 'tls-client', '--subject', 'CN=命令行测试', '--json']);
    expect(issued.status, issued.stderr).toBe(0);
    const { serial, pem } = JSON.parse(issued.stdout) as { serial: string; pem: string };

    const good = JSON.parse(signet(['cert', 'status', serial, '--json']).stdout) as { status: string; subject: string };
    expect(good).toMatchObject({ status: 'good', subject: 'CN=命令行测试' });

    const refused = signet(['cert', 'revoke', '--serial', serial, '--ground', 'breach']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('needs a written justification');

    const revoked = signet(['cert', 'revoke', '--serial', serial, '--reason', 'keyCompromise', '--channel', 'subscriber']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked certificate ${serial} (keyCompromise)`);
    const again = signet(['cert', 'revoke', '--serial', serial, '--reason', 'superseded']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('a revocation is final');

    const status = signet(['cert', 'status', serial], 'zh-CN');
    expect(status.stdout).toContain('已吊销');
    expect(status.stdout).toContain('keyCompromise');

    const out = join(work, 'issuing.crl');
    const generated = signet(['crl', 'generate', '--ca', issuing, '--out', out, '--json']);
    expect(generated.status, generated.stderr).toBe(0);
    expect(JSON.parse(generated.stdout)).toMatchObject([{ issuerCaId: issuing, kind: 'full', entries: 1 }]);
    const delta = signet(['crl', 'generate', '--delta', '--json']);
    expect(delta.status, delta.stderr).toBe(0);
    expect((JSON.parse(delta.stdout) as Array<{ kind: string }>).map((c) => c.kind)).toEqual(['delta']);

    const chain = join(work, 'chain.pem');
    const authorities = JSON.parse(signet(['ca', 'list', '--json']).stdout) as Array<{ serial: string }>;
    writeFileSync(chain, authorities.map((a) => signet(['cert', 'show', a.serial, '--pem']).stdout).join(''));
    const verified = runTool('openssl', ['crl', '-inform', 'DER', '-in', out, '-CAfile', chain, '-noout', '-text']);
    expect(verified.stderr).toContain('verify OK');
    expect(verified.stdout).toContain(`Serial Number: ${serial.toUpperCase()}`);
    expect(pem).toContain('BEGIN CERTIFICATE');

    const list = signet(['crl', 'show', '--ca', issuing, '--json']);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(2);
  }, 240_000);
});
