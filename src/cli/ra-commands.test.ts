import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/settings.js';
import { openSignet } from '../signet.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-ra-cli-'));
const ENV = { SIGNET_DATA: dataDir, SIGNET_LANG: 'en', SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase' };

/** One spawned process, for what only a real process shows (--help exits). */
function spawned(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { env: { ...process.env, ...ENV }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same program in this process (a spawn costs seconds): stdout and stderr captured, exit code as main() sets it. */
let main: (argv: string[]) => Promise<void>;
async function signet(args: string[], env: Record<string, string> = {}) {
  Object.assign(process.env, ENV, env);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void (stderr += `${parts.join(' ')}\n`));
  process.exitCode = undefined;
  try {
    await main(['node', 'signet', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const key of Object.keys(env)) delete process.env[key];
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

beforeAll(async () => {
  Object.assign(process.env, ENV);
  ({ main } = await import('./main.js'));
  // Only init and serve create a store; an empty one is enough for the RA's commands.
  await (await openSignet(loadConfig(ENV))).close();
});

describe('the RA on the command line: signet ra … and signet agreement … (docs/architecture.md: CLI)', () => {
  it('creates RAs, the first operators and an API token without prompts, lists them as JSON, merges an RA', async () => {
    const a = JSON.parse((await signet(['ra', 'org', 'create', '--name', '广州注册机构', '--json'])).stdout) as { id: string };
    const b = await signet(['ra', 'org', 'create', '--name', '深圳注册机构']);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('Created RA');
    const bId = b.stdout.match(/ra-[0-9a-f]{8}/)![0];

    const noPassword = await signet(['ra', 'operator', 'create', '--username', 'boss', '--role', 'ca-admin']);
    expect(noPassword.status).toBe(2);
    expect(noPassword.stderr).toContain('--password-env');
    const boss = await signet(['ra', 'operator', 'create', '--username', 'boss', '--role', 'ca-admin', '--password-env', 'BOSS_PASSWORD', '--json'], { BOSS_PASSWORD: 'the boss password' });
    expect(boss.status, boss.stderr).toBe(0);
    expect(JSON.parse(boss.stdout)).toMatchObject({ username: 'boss', role: 'ca-admin', raId: null });
    const passwordFile = join(dataDir, 'officer-password');
    writeFileSync(passwordFile, 'officer password here\n');
    const officer = await signet(['ra', 'operator', 'create', '--username', 'clerk', '--role', 'ra-officer', '--ra', bId, '--password-file', passwordFile]);
    expect(officer.status, officer.stderr).toBe(0);

    const token = await signet(['ra', 'token', 'create', '--username', 'clerk', '--label', 'batch jobs']);
    expect(token.status, token.stderr).toBe(0);
    expect(token.stdout).toMatch(/sgt_[A-Za-z0-9_-]{43}/);

    const operators = JSON.parse((await signet(['ra', 'operator', 'list', '--json'])).stdout) as Array<{ username: string }>;
    expect(operators.map((o) => o.username).sort()).toEqual(['boss', 'clerk']);

    const merged = await signet(['ra', 'org', 'merge', bId, '--into', a.id]);
    expect(merged.status, merged.stderr).toBe(0);
    const list = JSON.parse((await signet(['ra', 'org', 'list', '--json'])).stdout) as Array<{ id: string; status: string; successorId: string | null }>;
    expect(list.find((o) => o.id === bId)).toMatchObject({ status: 'merged', successorId: a.id });
    const again = await signet(['ra', 'org', 'merge', bId, '--into', a.id]);
    expect(again.status).toBe(2);
  });

  it('publishes an agreement version and shows the current one', async () => {
    const file = join(dataDir, 'agreement.txt');
    writeFileSync(file, '订户协议 测试版\n');
    const published = await signet(['agreement', 'publish', '--id', '2026-01', '--file', file, '--json']);
    expect(published.status, published.stderr).toBe(0);
    const shown = JSON.parse((await signet(['agreement', 'show', '--json'])).stdout) as { id: string; text: string };
    expect(shown).toMatchObject({ id: '2026-01', text: '订户协议 测试版\n' });
  });

  it('has --help (a real process: help exits)', () => {
    const help = spawned(['ra', 'operator', 'create', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: signet ra operator create');
    expect(help.stdout).toContain('--password-env');
  });
});
