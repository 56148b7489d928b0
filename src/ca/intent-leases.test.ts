import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../audit/audit-log.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { openSignet } from '../signet.js';
import { ProcessInstance } from '../store/process-instances.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { buildSubjectName } from './subject-name.js';
import { openTestSignet, opensslRequest, TEST_PASSPHRASE, type TestSignet } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

const cliEntry = join(import.meta.dirname, '..', 'cli', 'entry.ts');

/** A real `signet` CLI process on the same store; resolves with its exit code and output. */
function runCli(t: TestSignet, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
      env: { ...process.env, SIGNET_DATA: t.dir, SIGNET_DATABASE_URL: t.config.databaseUrl, SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE, SIGNET_LANG: 'en' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Issue 14, item 1: an issuance intent belongs to the process that made it.
 * Only a server closes intents as abandoned, and only once their owner's
 * lease (renewed by the owner, judged by the database's clock) has run out.
 */
describe.each(storeBackends)('issuance intents owned by their process on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;

  beforeAll(async () => {
    // A long lease, so that the server's own recovery rounds never run in the middle of a test.
    t = await openTestSignet(backend, { role: 'server', processLeaseMs: 600_000 });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  const pendingIntent = async (serial: string, owner: string | null) =>
    t.signet.store.db
      .insertInto('issuance_intents')
      .values({
        id: `intent-${serial}`,
        serial,
        issuer_ca_id: h.issuing.caId,
        profile_id: 'tls-client',
        tbs_sha256: 'ab'.repeat(32),
        tbs_der: Buffer.from([0x30, 0x00]),
        requested_by: 'test',
        reason: 'lease test',
        state: 'pending',
        created_at: new Date().toISOString(),
        resolved_at: null,
        owner_instance: owner,
      })
      .execute();

  it('closes the intents of an owner whose lease ran out and of no owner, never those of a live owner', async () => {
    const live = new ProcessInstance(t.signet.store, 'command', { leaseMs: 60_000 });
    await live.start();
    const dying = new ProcessInstance(t.signet.store, 'command', { leaseMs: 1000 });
    await dying.renew();
    await pendingIntent('7e01', live.id);
    await pendingIntent('7e02', dying.id);
    await pendingIntent('7e03', null);
    await pendingIntent('7e04', t.signet.instance.id);

    // Within the dying owner's lease, it is alive too.
    expect((await t.signet.ca.recoverAbandonedIntents()).sort()).toEqual(['7e03']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await t.signet.ca.recoverAbandonedIntents()).toEqual(['7e02']);

    const states = await t.signet.store.db.selectFrom('issuance_intents').select(['serial', 'state']).where('serial', 'in', ['7e01', '7e02', '7e03', '7e04']).orderBy('serial').execute();
    expect(states.map((s) => s.state)).toEqual(['pending', 'abandoned', 'abandoned', 'pending']);
    const audited = await t.signet.store.db.selectFrom('audit_entries').select(['target', 'details']).where('action', '=', 'issuance.abandoned').execute();
    expect(audited.map((a) => a.target).sort()).toEqual(['certificate:7e02', 'certificate:7e03']);
    expect(JSON.parse(audited.find((a) => a.target === 'certificate:7e02')!.details)).toMatchObject({ owner: dying.id });

    // A live owner that gives its lease up (a clean exit) leaves its intents recoverable at once.
    await live.release();
    expect(await t.signet.ca.recoverAbandonedIntents()).toEqual(['7e01']);
    // This process's own intent is never closed by its own recovery.
    expect(await t.signet.ca.recoverAbandonedIntents()).toEqual([]);
    await t.signet.store.db.updateTable('issuance_intents').set({ state: 'abandoned' }).where('serial', '=', '7e04').execute();
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });

  it('never closes anything when opened as a command, however dead the owner', async () => {
    await pendingIntent('7e05', 'a-process-that-never-was');
    const command = await openSignet(t.config);
    try {
      expect(command.instance.role).toBe('command');
      const row = await command.store.db.selectFrom('issuance_intents').select('state').where('serial', '=', '7e05').executeTakeFirstOrThrow();
      expect(row.state).toBe('pending');
    } finally {
      await command.close();
    }
    expect(await t.signet.ca.recoverAbandonedIntents()).toEqual(['7e05']);
  });

  it('lets real CLI processes run beside a server under load: no order fails, no intent is closed as abandoned', { timeout: 180_000 }, async () => {
    const before = await t.signet.store.db.selectFrom('audit_entries').select('seq').where('action', '=', 'issuance.abandoned').execute();
    const issuer = await t.signet.ca.issuerContext(h.issuing.caId);
    const profile = t.signet.ca.profiles.get('tls-client');
    const keys = Array.from({ length: 8 }, () => generateSoftwareKey('ecdsa-p256'));
    let n = 0;
    const orderOf = () => {
      const i = n++;
      return {
        profile,
        issuer,
        subject: buildSubjectName({ commonName: `beside the CLI ${i}` }, profile),
        subjectPublicKeyInfo: keys[i % keys.length]!.publicKeyInfo,
        keyAlgorithm: 'ecdsa-p256' as const,
        holder: `subscriber:load-${i % keys.length}`,
        subscriberId: `load-${i % keys.length}`,
        requestedBy: 'test:load',
        reason: 'load beside CLI commands',
      };
    };

    const dir = mkdtempSync(join(tmpdir(), 'signet-lease-cli-'));
    const csrPath = join(dir, 'cli.csr');
    writeFileSync(csrPath, opensslRequest(dir, 'ecdsa-p256', 'cli').csrPem);
    // Each CLI command opens the deployment while the server has intents pending: before issue 14 every one of them closed those.
    const commands = Promise.all([
      runCli(t, ['ca', 'list', '--json']),
      runCli(t, ['cert', 'issue', '--csr', csrPath, '--profile', 'tls-client', '--subject', 'CN=from the CLI', '--json']),
    ]);
    let finished = false;
    void commands.finally(() => (finished = true));

    const failures: unknown[] = [];
    let issued = 0;
    while (!finished) {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => t.signet.ca.signCertificate(orderOf())));
      for (const r of results) {
        if (r.status === 'fulfilled') issued++;
        else failures.push(r.reason);
      }
      // SQLite has one writer: a loop that never pauses could starve the CLI's writes past busy_timeout (15 s).
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const outputs = await commands;
    for (const output of outputs) expect(output.code, output.stderr).toBe(0);
    expect(failures).toEqual([]);
    expect(issued).toBeGreaterThan(0);
    const after = await t.signet.store.db.selectFrom('audit_entries').select('seq').where('action', '=', 'issuance.abandoned').execute();
    expect(after).toHaveLength(before.length);
    const pending = await t.signet.store.db.selectFrom('issuance_intents').select('serial').where('state', '=', 'pending').execute();
    expect(pending).toEqual([]);
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });
});
