import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { opensslRequest } from '../ca/test-support/ca-fixture.js';
import { loadConfig } from '../config/settings.js';
import { openSignet } from '../signet.js';
import { helpTexts, localiseError, localiseHelp } from './help.js';
import { HELP_ZH } from './help-zh.js';

const dataDir = mkdtempSync(join(tmpdir(), 'signet-cli-habits-'));
const work = mkdtempSync(join(tmpdir(), 'signet-cli-habits-work-'));
// The program runs in this process (a child per command costs seconds of start-up each): same parser, same output.
process.env.SIGNET_DATA = dataDir;
process.env.SIGNET_LANG = 'en';
process.env.SIGNET_CA_PASSPHRASE = 'cli-test-passphrase';
delete process.env.SIGNET_DATABASE_URL;
const { main, buildCommands } = await import('./main.js');

async function signet(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  Object.assign(process.env, env);
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr), console: console.error };
  console.error = (...parts: unknown[]) => void (stderr += `${parts.map(String).join(' ')}\n`);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await main(['node', 'signet', ...args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    console.error = write.console;
    for (const key of Object.keys(env)) delete process.env[key];
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

/** Every command of a program with the text `--help` prints for it. */
function helpPages(program: Command): Array<{ name: string; text: string; options: string[] }> {
  const pages: Array<{ name: string; text: string; options: string[] }> = [];
  const walk = (command: Command, path: string) => {
    pages.push({ name: path, text: command.helpInformation(), options: (command.options as Option[]).map((o) => o.description) });
    for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`);
  };
  walk(program, 'signet');
  return pages;
}

describe('a CLI an operator expects (issue 19 item 3: step-ca and EJBCA habits)', () => {
  it('has help for every command and option in Chinese and in English, without requirement numbers', () => {
    // Every option and argument text has its Chinese: a new option without one fails here.
    const untranslated = helpTexts(buildCommands())
      .map((text) => text.replace(/\s*[(（]R\d+(?:[,，、\s]+(?:R|§)?\d+)*[)）]/g, ''))
      .filter((text) => !(text in HELP_ZH));
    expect(untranslated).toEqual([]);
    for (const locale of ['zh-CN', 'en'] as const) {
      const program = buildCommands();
      localiseHelp(program, locale);
      for (const page of helpPages(program)) {
        expect(page.text, `${page.name} (${locale})`).not.toMatch(/\bR\d{1,2}\b/);
        if (locale === 'zh-CN') for (const option of page.options) expect(option, `${page.name} (${locale})`).toMatch(/\p{Script=Han}/u);
        // English help is English, examples in quotes apart ("CN=张三,…").
        else expect(page.text.replace(/"[^"]*"/g, ''), `${page.name} (${locale})`).not.toMatch(/\p{Script=Han}/u);
      }
    }
    const zh = buildCommands();
    localiseHelp(zh, 'zh-CN');
    const revoke = zh.commands.find((c) => c.name() === 'cert')!.commands.find((c) => c.name() === 'revoke')!;
    expect(revoke.helpInformation()).toMatch(/用法： signet cert revoke \[options\] \[serial\]\n\n吊销证书（不可撤销）\n\n选项：/);
  });

  it('prints its version with --version, as a separate process does', () => {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'entry.ts'), '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout.trim()).toBe(version);
  });

  it("says commander's own parse errors in the reader's language too, as a separate process does", () => {
    const run = (lang: string, args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'entry.ts'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIGNET_LANG: lang } });
    const zh = run('zh-CN', ['cert', 'revok']);
    expect(zh.status).toBe(1);
    expect(zh.stderr).toMatch(/^错误：未知命令 'revok'\n（您是否想输入 revoke？）/);
    expect(zh.stderr).not.toMatch(/error:|Did you mean/);
    const en = run('en', ['cert', 'revok']);
    expect(en.stderr).toMatch(/^error: unknown command 'revok'\n\(Did you mean revoke\?\)/);
  });

  it('puts every kind of commander error into Chinese', () => {
    const cases: Array<[string, string]> = [
      ["error: unknown option '--serail'\n(Did you mean --serial?)", "错误：未知选项 '--serail'\n（您是否想输入 --serial？）"],
      ["error: missing required argument 'file'", "错误：缺少必需的参数 'file'"],
      ["error: option '--csr <file>' argument missing", "错误：选项 '--csr <file>' 缺少取值"],
      ["error: required option '--profile <id>' not specified", "错误：未给出必需的选项 '--profile <id>'"],
      ["error: too many arguments for 'show'. Expected 1 argument but got 2.", "错误：命令 'show' 的参数过多：应为 1 个，实际 2 个。"],
      ["error: option '--algorithm <algorithm>' argument 'dsa' is invalid. Allowed choices are rsa-2048, sm2.", "错误：选项 '--algorithm <algorithm>' 的取值 'dsa' 无效。 可选值：rsa-2048, sm2。"],
      ["error: option '--json' cannot be used with option '--pem'", "错误：选项 '--json' 不能与选项 '--pem' 同时使用"],
    ];
    for (const [en, zh] of cases) {
      expect(localiseError(en, 'zh-CN')).toBe(zh);
      expect(localiseError(en, 'en')).toBe(en);
    }
  });

  it('takes the serial after every cert command, lists with filters, shows status, reviews applications and manages operators; empty lists say so', async () => {
    const init = await signet(['init', '--json']);
    expect(init.status, init.stderr).toBe(0);

    // Empty lists say so, and --json stays an empty array for scripts.
    expect((await signet(['ra', 'org', 'list'])).stdout).toBe('No RAs. Create one with signet ra org create --name NAME.\n');
    expect((await signet(['ra', 'subscriber', 'list'])).stdout).toBe('No subscribers.\n');
    expect((await signet(['cert', 'list', '--status', 'revoked'])).stdout).toBe('No certificates match.\n');
    expect((await signet(['ra', 'application', 'list', '--json'])).stdout).toBe('[]\n');

    // Certificates: issued, listed with filters, shown with status, revoked by the serial after the command.
    const serials: string[] = [];
    for (const cn of ['甲证书', '乙证书']) {
      const folder = mkdtempSync(join(work, 'key-'));
      opensslRequest(folder, 'ecdsa-p256');
      const issued = await signet(['cert', 'issue', '--csr', join(folder, 'request.csr'), '--profile', 'tls-client', '--subject', `CN=${cn}`, '--json']);
      expect(issued.status, issued.stderr).toBe(0);
      serials.push((JSON.parse(issued.stdout) as { serial: string }).serial);
    }
    const [first, second] = serials as [string, string];
    expect((await signet(['cert', 'list', '--search', '证书'])).stdout.trim().split('\n')).toHaveLength(2);
    expect((await signet(['cert', 'revoke', first, '--reason', 'superseded'])).status).toBe(0);
    const twice = await signet(['cert', 'revoke', second, '--serial', second, '--reason', 'superseded']);
    expect([twice.status, twice.stderr]).toEqual([2, 'error: Give the serial once: after the command (signet cert revoke SERIAL), not also with --serial\n']);
    expect((await signet(['cert', 'revoke', '--reason', 'superseded'])).stderr).toContain('Give the certificate serial');
    const revoked = JSON.parse((await signet(['cert', 'list', '--status', 'revoked', '--json'])).stdout) as Array<{ serial: string }>;
    expect(revoked.map((c) => c.serial)).toEqual([first]);
    const good = (await signet(['cert', 'list', '--status', 'good', '--search', '证书'])).stdout;
    expect(good).toMatch(new RegExp(`^${second}\\tvalid\\ttls-client\\t.+\\tCN=乙证书\\n$`));
    expect((await signet(['cert', 'list', '--search', '乙证书', '--json'])).stdout).toContain(second);
    expect((await signet(['cert', 'list', '--search', '丙证书'])).stdout).toBe('No certificates match.\n');
    expect((await signet(['cert', 'list', '--status', 'lost'])).status).not.toBe(0);
    const shown = await signet(['cert', 'show', first]);
    expect(shown.stdout).toMatch(/^Status: revoked \(.+, superseded\)$/m);
    expect(JSON.parse((await signet(['cert', 'show', second, '--json'])).stdout)).toMatchObject({ status: 'good', revokedAt: null });

    // An RA, an officer, and an application from the portal to review.
    const ra = JSON.parse((await signet(['ra', 'org', 'create', '--name', '命令行注册机构', '--json'])).stdout) as { id: string };
    const created = await signet(['ra', 'operator', 'create', '--username', 'clerk', '--role', 'ra-officer', '--ra', ra.id, '--password-env', 'PW'], { PW: 'correct horse battery' });
    expect(created.status, created.stderr).toBe(0);
    await signet(['agreement', 'publish', '--id', 'v1', '--file', new URL('../../README.md', import.meta.url).pathname]);
    const store = await openSignet(loadConfig());
    const applied = [];
    try {
      for (const [name, idNumber] of [['张三', '110101199003077571'], ['李四', '11010519491231002X']] as const) {
        applied.push(
          await store.ra.selfService.register(
            { raId: ra.id, purpose: 'signing', record: { type: 'individual', name, idType: 'resident-id', idNumber, phone: '13800138000', email: 'a@example.cn' }, consent: { agreementVersion: 'v1', accepted: true } },
            '192.0.2.1',
          ),
        );
      }
    } finally {
      await store.close();
    }
    const [zhang, li] = applied as [(typeof applied)[0], (typeof applied)[0]];
    expect((await signet(['ra', 'application', 'list', '--status', 'submitted'])).stdout.trim().split('\n')).toHaveLength(2);

    const withoutOfficer = await signet(['ra', 'application', 'approve', zhang.application.id]);
    expect([withoutOfficer.status, withoutOfficer.stderr]).toEqual([2, expect.stringContaining('--officer USERNAME')]);
    const approved = await signet(['ra', 'application', 'approve', zhang.application.id, '--officer', 'clerk']);
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/^Reference number: \S+\nAuthorization code: \S+$/m);
    const again = await signet(['ra', 'application', 'approve', zhang.application.id, '--officer', 'clerk']);
    expect(again.status).toBe(2);
    expect((await signet(['ra', 'application', 'reject', li.application.id, '--officer', 'clerk', '--reason', '材料不全'])).stdout).toBe(`Rejected application ${li.application.id}\n`);
    expect(JSON.parse((await signet(['ra', 'application', 'show', li.application.id, '--json'])).stdout)).toMatchObject({ status: 'rejected', decisionReason: '材料不全', decidedBy: 'cli:clerk' });

    // A subscriber registered at the counter or locked out gets new portal access; the old code stops working.
    const access = await signet(['ra', 'subscriber', 'portal-access', zhang.subscriber.id, '--officer', 'clerk', '--json']);
    const fresh = JSON.parse(access.stdout) as { trackingNumber: string; trackingCode: string };
    const portal = await openSignet(loadConfig());
    try {
      await expect(portal.ra.selfService.signIn(zhang.access.trackingNumber, zhang.access.trackingCode, '192.0.2.1')).rejects.toThrow();
      await expect(portal.ra.selfService.signIn(fresh.trackingNumber, fresh.trackingCode, '192.0.2.1')).resolves.toMatchObject({ subscriber: { id: zhang.subscriber.id } });
    } finally {
      await portal.close();
    }

    // Operators and roles: disable, enable, another role, a new password.
    expect((await signet(['ra', 'role', 'list'])).stdout).toMatch(/^ra-officer\t/m);
    expect((await signet(['ra', 'operator', 'disable', 'clerk', '--reason', '离职'])).stdout).toContain('Disabled operator clerk');
    expect((await signet(['ra', 'application', 'approve', li.application.id, '--officer', 'clerk'])).stderr).toContain('not an enabled RA officer');
    expect((await signet(['ra', 'operator', 'disable', 'clerk'])).stderr).toContain('already disabled');
    expect((await signet(['ra', 'operator', 'enable', 'clerk'])).status).toBe(0);
    expect((await signet(['ra', 'operator', 'set-role', 'clerk', '--role', 'ra-admin', '--ra', ra.id])).stdout).toBe(`Operator clerk now has role ra-admin (RA ${ra.id})\n`);
    expect((await signet(['ra', 'operator', 'set-role', 'clerk', '--role', 'ca-admin', '--ra', ra.id])).stderr).toContain('whole CA');
    expect((await signet(['ra', 'operator', 'reset-password', 'clerk', '--password-env', 'PW'], { PW: 'short' })).stderr).toContain('at least 12');
    expect((await signet(['ra', 'operator', 'reset-password', 'clerk', '--password-env', 'PW'], { PW: 'another long password' })).status).toBe(0);
    const listed = JSON.parse((await signet(['ra', 'operator', 'list', '--json'])).stdout) as Array<{ username: string; role: string; status: string }>;
    expect(listed).toEqual([expect.objectContaining({ username: 'clerk', role: 'ra-admin', status: 'active' })]);
  }, 120_000);
});
