import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../store/database.js';

const dataDir = mkdtempSync(join(tmpdir(), 'signet-audit-cli-'));
const heads = join(dataDir, 'elsewhere-heads.jsonl');
const ENV = { SIGNET_DATA: dataDir, SIGNET_LANG: 'en', SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase', SIGNET_AUDIT_HEAD_EXPORT: heads };

let main: (argv: string[]) => Promise<void>;
/** The program in this process (a spawn costs seconds): output captured, exit code as main() sets it. */
async function signet(args: string[]) {
  Object.assign(process.env, ENV);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const log = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void (stderr += `${parts.join(' ')}\n`));
  process.exitCode = undefined;
  try {
    await main(['node', 'signet', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

beforeAll(async () => {
  Object.assign(process.env, ENV);
  ({ main } = await import('./main.js'));
});

describe('`signet audit verify` against pinned keys and exported heads (R20)', () => {
  it('pins the key `audit keys` shows, then names a cut-off tail by the exported head', async () => {
    // Commands other than init and serve refuse a data folder without a store (issue 19).
    expect((await signet(['init'])).status).toBe(0);
    expect((await signet(['audit', 'checkpoint'])).status).toBe(0);
    expect((await signet(['audit', 'checkpoint'])).status).toBe(0);
    const keys = JSON.parse((await signet(['audit', 'keys', '--json'])).stdout) as { spkiSha256: string; publicKeyPem: string }[];
    expect(keys).toHaveLength(1);
    const fingerprint = keys[0]!.spkiSha256;

    const clean = await signet(['audit', 'verify', '--trusted-key', fingerprint]);
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/2 heads exported outside the database are valid \(signed by a pinned key\)/);

    const badPin = await signet(['audit', 'verify', '--trusted-key', 'not-a-key']);
    expect(badPin.status).toBe(2);
    expect(badPin.stderr).toContain('neither a SHA-256 fingerprint');

    const store = await openDatabase(join(dataDir, 'signet.db'));
    try {
      for (const t of ['audit_entries_no_delete', 'audit_checkpoints_no_delete']) await sql.raw(`drop trigger ${t}`).execute(store.db);
      await sql`delete from audit_checkpoints`.execute(store.db);
      await sql`delete from audit_entries where seq > 1`.execute(store.db);
    } finally {
      await store.close();
    }
    const cut = await signet(['audit', 'verify', '--trusted-key', fingerprint]);
    expect(cut.status).toBe(3);
    expect(cut.stdout).toMatch(/Audit chain broken at entry 2: the chain ends at entry 1, but checkpoint ckp-\S+ exported outside the database/);
    const json = JSON.parse((await signet(['audit', 'verify', '--json'])).stdout) as { ok: boolean; firstBadSeq: number; code: string };
    expect(json).toMatchObject({ ok: false, firstBadSeq: 2, code: 'audit.problem.truncated' });
  });
});
