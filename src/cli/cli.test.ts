import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { opensslRequest, runTool } from '../ca/test-support/ca-fixture.js';
import { openDatabase } from '../store/database.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-cli-work-'));

function signet(args: string[], lang = 'en') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, SIGNET_DATA: dataDir, SIGNET_LANG: lang, SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase' },
    encoding: 'utf8',
    // Under a loaded machine a tsx start alone has taken two minutes of wall time for five CPU-seconds.
    timeout: 180_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Each command is a fresh Node process compiling TypeScript on the fly: seconds apiece on a busy machine.
describe('the signet command line (docs/architecture.md: CLI)', { timeout: 900_000 }, () => {
  it('creates the hierarchy with init, lists it, issues, shows, and verifies the audit chain', () => {
    const init = signet(['init', '--algorithm', 'ecdsa-p384', '--json']);
    expect(init.status, init.stderr).toBe(0);
    const created = JSON.parse(init.stdout) as { root: string; issuing: string };
    expect(created.root).toMatch(/^root-/);

    const again = signet(['init']);
    expect(again.status, again.stderr).toBe(2);
    expect(again.stderr).toContain('already exists');

    const list = JSON.parse(signet(['ca', 'list', '--json']).stdout) as Array<{ id: string; role: string; keyAlgorithm: string }>;
    expect(list.map((a) => a.role)).toEqual(['root', 'issuing']);
    expect(list[0]!.keyAlgorithm).toBe('ecdsa-p384');

    const { csrPem } = opensslRequest(work, 'ecdsa-p256');
    const csrPath = join(work, 'request.csr');
    const out = join(work, 'leaf.pem');
    const issued = signet(['cert', 'issue', '--csr', csrPath, '--profile', 'enterprise-signing', '--subject', 'CN=张三,O=示例有限公司,C=CN', '--out', out]);
    expect(issued.status, issued.stderr).toBe(0);
    expect(issued.stderr).toMatch(/Issued certificate 5c[0-9a-f]{32} \(enterprise-signing\)/);
    expect(csrPem).toContain('CERTIFICATE REQUEST');
    // The development issuing CA's Chinese name (UTF8String), printed as UTF-8 rather than \E5… escapes.
    expect(runTool('openssl', ['x509', '-in', out, '-noout', '-issuer', '-nameopt', 'RFC2253,-esc_msb']).stdout).toMatch(/CN=Signet 开发测试签发 CA \d{4}/);

    const root = list.find((a) => a.role === 'root')!;
    const rootPem = signet(['cert', 'show', root.id]);
    expect(rootPem.status).toBe(2);
    const serial = /Issued certificate (\w+)/.exec(issued.stderr)![1]!;
    const shown = JSON.parse(signet(['cert', 'show', serial, '--json']).stdout) as { subject: string; pem: string };
    expect(shown.subject).toBe('C=CN, O=示例有限公司, CN=张三');
    expect(shown.pem).toBe(readFileSync(out, 'utf8'));
    const human = signet(['cert', 'show', serial], 'zh-CN');
    expect(human.stdout).toMatch(/失效时间: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00/);

    const audit = signet(['audit', 'verify']);
    expect(audit.status).toBe(0);
    // Four certificates at init, the root ceremony's CRL and its record, the subscriber's certificate.
    expect(audit.stdout).toMatch(/Audit chain intact: 7 entries/);
    const calendarOut = JSON.parse(signet(['ca', 'calendar', '--json']).stdout) as { identities: { kind: string; inForce: boolean }[]; warnings: unknown[] };
    expect(calendarOut.identities.filter((i) => i.inForce).map((i) => i.kind).sort()).toEqual(['issuing', 'ocsp', 'root', 'tsa']);
    expect(calendarOut.warnings).toEqual([]);

    // The issuing CA ceremony (docs/operations.md): a new issuing CA, issuance moves to it, the root ceremony follows.
    const ceremony = signet(['ca', 'new-issuing', '--json']);
    expect(ceremony.status, ceremony.stderr).toBe(0);
    const made = JSON.parse(ceremony.stdout) as { issuing: string; predecessor: string };
    const cas = JSON.parse(signet(['ca', 'list', '--json']).stdout) as { id: string; role: string }[];
    expect(cas.filter((a) => a.role === 'issuing').map((a) => a.id).sort()).toEqual([made.issuing, made.predecessor].sort());
    const rootCeremony = signet(['ca', 'root-ceremony', '--next-update-days', '400']);
    expect(rootCeremony.status).not.toBe(0);
  });

  it('explains refusals in Chinese by default and exits non-zero', () => {
    const csrPath = join(work, 'request.csr');
    const unknown = signet(['cert', 'issue', '--csr', csrPath, '--profile', 'nope', '--subject', 'CN=x'], 'zh-CN');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('错误：未知的证书模板：nope');
    const missing = signet(['cert', 'issue', '--csr', join(work, 'missing.csr'), '--profile', 'tls-client', '--subject', 'CN=x']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Cannot read file');
    const badAlgorithm = signet(['init', '--algorithm', 'dsa-1024']);
    expect(badAlgorithm.status).not.toBe(0);
    expect(badAlgorithm.stderr).toContain('dsa-1024');
  });

  it('names the first tampered entry when the audit chain is broken (R20)', async () => {
    const store = await openDatabase(join(dataDir, 'signet.db'));
    await sql`drop trigger audit_entries_no_update`.execute(store.db);
    await sql`update audit_entries set actor = 'someone else' where seq = 3`.execute(store.db);
    await store.close();
    const audit = signet(['audit', 'verify']);
    expect(audit.status).toBe(3);
    expect(audit.stdout).toContain('Audit chain broken at entry 3');
  });

  it('has --help on every command', async () => {
    const { buildProgram } = await import('./main.js');
    const walk = (command: import('commander').Command): import('commander').Command[] => [command, ...command.commands.flatMap(walk)];
    for (const command of walk(buildProgram())) {
      // In the reader's language (src/cli/help.ts).
      expect(command.helpInformation()).toMatch(/^(Usage:|用法：) signet/);
      expect(command.description() || command.name()).not.toBe('');
    }
  });
});
