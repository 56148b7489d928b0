import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SmtpSink } from '../service/test-support/smtp-sink.js';
import { openDatabase } from '../store/database.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-service-cli-'));
const ENV = { SIGNET_DATA: dataDir, SIGNET_LANG: 'en', SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase' };

let main: (argv: string[]) => Promise<void>;
/** The program in this process (a spawn costs seconds): output captured, exit code as main() sets it. */
async function signet(args: string[]) {
  Object.assign(process.env, ENV);
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
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

beforeAll(async () => {
  Object.assign(process.env, ENV);
  ({ main } = await import('./main.js'));
});

describe('the service domain on the command line (docs/architecture.md: CLI; R12, R17, R20)', () => {
  it('answers --help for its commands in a real process', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', entry, 'complaint', 'file', '--help'], { env: { ...process.env, ...ENV }, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--received-at');
  });

  it('files a complaint before National Day with the right deadline, refuses a year the calendar does not know, lists overdue ones as JSON', async () => {
    expect((await signet(['init'])).status).toBe(0);
    const filed = await signet(['complaint', 'file', '--channel', 'phone', '--name', '张三', '--contact', '13812345678', '--category', 'download', '--description', '无法下载', '--received-at', '2026-09-24T10:00:00+08:00', '--json']);
    expect(filed.status, filed.stderr).toBe(0);
    expect(JSON.parse(filed.stdout)).toMatchObject({ dueDay: '2026-10-12', dueShown: '2026-10-12 23:59:59 +08:00' });

    const unknown = await signet(['complaint', 'file', '--channel', 'phone', '--name', '李四', '--contact', '13812345678', '--category', 'x', '--description', 'y', '--received-at', '2025-12-30T10:00:00+08:00']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('does not know 2025');

    const overdue = await signet(['complaint', 'list', '--overdue', '--json']);
    const items = JSON.parse(overdue.stdout) as { overdue: boolean; complainant: { name: string } }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ overdue: true, complainant: { name: '张*' } });

    const calendarFile = join(dataDir, '2025.json');
    writeFileSync(calendarFile, JSON.stringify({ year: 2025, holidays: [{ name: '元旦', from: '2025-01-01', to: '2025-01-01' }], makeUpWorkdays: [], source: 'test' }));
    expect((await signet(['calendar', 'load', '--file', calendarFile])).stdout).toContain('Loaded the 2025 calendar');
    const nowKnown = await signet(['complaint', 'file', '--channel', 'phone', '--name', '李四', '--contact', '13812345678', '--category', 'x', '--description', 'y', '--received-at', '2025-12-30T10:00:00+08:00', '--json']);
    expect(JSON.parse(nowKnown.stdout).dueDay).toBe('2026-01-09');
  });

  it('sends the outbox by hand with `notification send`: nothing without SIGNET_SMTP_URL, a delivery round with it (R12)', async () => {
    const filed = await signet(['complaint', 'file', '--channel', 'web', '--name', '王五', '--contact', 'wang@example.cn', '--category', 'download', '--description', '下载失败', '--subscriber', 'sub-cli-unknown', '--received-at', '2026-09-24T10:00:00+08:00', '--json']);
    expect(filed.status, filed.stderr).toBe(0);
    expect((await signet(['complaint', 'respond', JSON.parse(filed.stdout).id, '--response', '已处理'])).status).toBe(0);
    const idle = await signet(['notification', 'send']);
    expect(idle.status).toBe(0);
    expect(idle.stdout).toContain('SIGNET_SMTP_URL is not set');
    const sink = await new SmtpSink().start();
    try {
      process.env.SIGNET_SMTP_URL = sink.url;
      const round = await signet(['notification', 'send', '--json']);
      expect(round.status, round.stderr).toBe(0);
      // The RA knows no such subscriber: the notice is kept, undeliverable, and nothing reaches the server.
      expect(JSON.parse(round.stdout)).toMatchObject({ attempted: 1, sent: 0, undeliverable: 1 });
      const listed = JSON.parse((await signet(['notification', 'list', '--json'])).stdout) as { kind: string; state: string }[];
      expect(listed.find((n) => n.kind === 'complaint-response')).toMatchObject({ state: 'undeliverable' });
      expect(sink.received).toHaveLength(0);
    } finally {
      delete process.env.SIGNET_SMTP_URL;
      await sink.stop();
    }
  });

  it('signs a checkpoint, and `audit verify` checks chain and checkpoints, naming the edited entry', async () => {
    const checkpoint = await signet(['audit', 'checkpoint']);
    expect(checkpoint.status, checkpoint.stderr).toBe(0);
    expect(checkpoint.stdout).toContain('time-stamped');
    const verify = await signet(['audit', 'verify']);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/1 signed checkpoints are valid/);

    const store = await openDatabase(join(dataDir, 'signet.db'));
    try {
      await sql`drop trigger audit_entries_no_update`.execute(store.db);
      await sql`update audit_entries set actor = 'someone else' where seq = 4`.execute(store.db);
    } finally {
      await store.close();
    }
    const broken = await signet(['audit', 'verify', '--json']);
    expect(broken.status).toBe(3);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBadSeq: 4 });
  });
});
