import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { canonicalJson } from './canonical-json.js';
import { entryHash, verifyAuditChain } from './audit-log.js';
import { verifyAuditCheckpoints } from './checkpoints.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('signed audit checkpoints on %s (R8, R20)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let now = new Date('2026-11-24T02:00:00.000Z');
  const tick = () => (now = new Date(now.getTime() + 60_000));

  /** What an intruder with the database but not the audit key could do: drop the triggers. */
  async function dropTriggers(): Promise<void> {
    const db = t.signet.store.db;
    if (backend === 'sqlite') {
      for (const name of ['audit_entries_no_update', 'audit_entries_no_delete', 'audit_checkpoints_no_update', 'audit_checkpoints_no_delete']) await sql.raw(`drop trigger if exists ${name}`).execute(db);
    } else {
      await sql`drop trigger if exists audit_entries_append_only on audit_entries`.execute(db);
      await sql`drop trigger if exists audit_checkpoints_append_only on audit_checkpoints`.execute(db);
    }
  }

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('produces a checkpoint OpenSSL verifies: the ECDSA signature (openssl dgst) and the RFC 3161 token (openssl ts -verify)', async () => {
    const checkpoint = await t.signet.auditCheckpoints.checkpoint();
    const row = (await t.signet.store.db.selectFrom('audit_checkpoints' as never).selectAll().where('id' as never, '=', checkpoint.id as never).executeTakeFirstOrThrow()) as unknown as {
      payload: string;
      signature: Buffer;
      timestamp_token: Buffer;
      key_id: string;
    };
    const key = (await t.signet.store.db.selectFrom('audit_keys' as never).selectAll().where('id' as never, '=', row.key_id as never).executeTakeFirstOrThrow()) as unknown as { public_key_info: Buffer };
    const payload = join(t.dir, 'checkpoint.json');
    writeFileSync(payload, row.payload);
    writeFileSync(join(t.dir, 'checkpoint.sig'), row.signature);
    writeFileSync(join(t.dir, 'audit-key.pem'), createPublicKey({ key: key.public_key_info, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    const dgst = runTool('openssl', ['dgst', '-sha256', '-verify', join(t.dir, 'audit-key.pem'), '-signature', join(t.dir, 'checkpoint.sig'), payload]);
    expect(dgst.stdout.trim(), dgst.stderr).toBe('Verified OK');
    writeFileSync(join(t.dir, 'checkpoint.tst'), row.timestamp_token);
    const root = writePem(t.dir, 'root.pem', h.root.der);
    const untrusted = writePem(t.dir, 'chain.pem', h.tsa.der, h.issuing.der);
    const ts = runTool('openssl', ['ts', '-verify', '-data', payload, '-in', join(t.dir, 'checkpoint.tst'), '-token_in', '-CAfile', root, '-untrusted', untrusted]);
    expect(ts.stdout.trim(), ts.stderr).toBe('Verification: OK');
  });

  it('signs the chain head with a sealed audit key and has our TSA stamp it; verification needs no private key', async () => {
    const first = await t.signet.auditCheckpoints.checkpoint();
    expect(first.timeStamped).toBe(true);
    const [key] = await t.signet.auditCheckpoints.keys();
    expect(await t.signet.auditCheckpoints.keys()).toHaveLength(1);
    // The audit key is sealed like every CA key (R21) and its fingerprint is in the chain.
    const row = await t.signet.store.db.selectFrom('audit_keys' as never).selectAll().executeTakeFirstOrThrow() as unknown as { encrypted_private_key: string };
    expect(JSON.parse(row.encrypted_private_key)).toMatchObject({ v: 1, kdf: 'scrypt' });
    const created = await t.signet.store.db.selectFrom('audit_entries').selectAll().where('action', '=', 'audit.key-created').execute();
    expect(JSON.parse(created[0]!.details)).toMatchObject({ spkiSha256: key!.spkiSha256 });

    for (let i = 0; i < 3; i++) {
      tick();
      await t.signet.service.complaints.file('operator:clerk', { channel: 'web', complainant: { name: '王五', contact: 'w@example.cn' }, category: 'other', description: `第 ${i} 件` });
    }
    tick();
    const second = await t.signet.auditCheckpoints.checkpoint();
    expect(second.upToSeq).toBeGreaterThan(first.upToSeq);
    expect(await verifyAuditChain(t.signet.store)).toMatchObject({ ok: true });
    expect(await verifyAuditCheckpoints(t.signet.store)).toEqual({ ok: true, checkpoints: 3, timeStamped: 3, lastCheckpointSeq: second.upToSeq });
    expect(await verifyAuditCheckpoints(t.signet.store, { trustedKeys: ['00'.repeat(32)] })).toMatchObject({ ok: false });
    expect(await verifyAuditCheckpoints(t.signet.store, { trustedKeys: [key!.spkiSha256] })).toMatchObject({ ok: true });
  });

  it('is refused by the database itself when anyone tries to change a checkpoint', async () => {
    await expect(sql`update audit_checkpoints set head_hash = 'x'`.execute(t.signet.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_checkpoints`.execute(t.signet.store.db)).rejects.toThrow(/append-only/);
  });

  it('names the exact entry edited through raw SQL with the triggers dropped, and the checkpoint when the whole chain was rehashed', async () => {
    await dropTriggers();
    const db = t.signet.store.db;
    const target = await db.selectFrom('audit_entries').selectAll().where('action', '=', 'service.complaint-filed').orderBy('seq').limit(1).executeTakeFirstOrThrow();
    const seq = Number(target.seq);
    const forged = canonicalJson({ ...JSON.parse(target.details), category: 'forged' });
    await sql`update audit_entries set details = ${forged} where seq = ${seq}`.execute(db);
    expect(await verifyAuditChain(t.signet.store)).toMatchObject({ ok: false, firstBadSeq: seq, problem: 'its content does not match its hash' });

    // A better forger recomputes every hash from there on: the chain is consistent again…
    const rows = await db.selectFrom('audit_entries').selectAll().where('seq', '>=', seq).orderBy('seq').execute();
    let prev = (await db.selectFrom('audit_entries').select('hash').where('seq', '=', seq - 1).executeTakeFirstOrThrow()).hash;
    for (const row of rows) {
      const hash = entryHash({ seq: Number(row.seq), at: row.at, actor: row.actor, action: row.action, target: row.target, details: JSON.parse(row.details), prevHash: prev });
      await sql`update audit_entries set prev_hash = ${prev}, hash = ${`tmp-${row.seq}`} where seq = ${row.seq}`.execute(db);
      await sql`update audit_entries set hash = ${hash} where seq = ${row.seq}`.execute(db);
      prev = hash;
    }
    expect(await verifyAuditChain(t.signet.store)).toMatchObject({ ok: true });
    // …but the signed head no longer matches: the checkpoint after the forgery says so.
    const checkpoints = await t.signet.auditCheckpoints.list();
    const covering = checkpoints.find((c) => c.upToSeq >= seq)!;
    const verdict = await verifyAuditCheckpoints(t.signet.store);
    expect(verdict).toMatchObject({ ok: false, checkpointId: covering.id, upToSeq: covering.upToSeq });
    expect(verdict.ok === false && verdict.problem).toContain('rewritten');
  });

  it('notices a checkpoint that was deleted (its announcement is in the chain)', async () => {
    const checkpoints = await t.signet.auditCheckpoints.list();
    const last = checkpoints.at(-1)!;
    await sql`delete from audit_checkpoints where id = ${last.id}`.execute(t.signet.store.db);
    const verdict = await verifyAuditCheckpoints(t.signet.store);
    expect(verdict.ok).toBe(false);
  });

  it('takes a checkpoint only when one is due', async () => {
    const fresh = await openTestSignet(backend, { clock: () => now });
    try {
      await createHierarchy(fresh.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const made = await fresh.signet.auditCheckpoints.checkpointIfDue({ minEntries: 1 });
      expect(made).not.toBeNull();
      expect(await fresh.signet.auditCheckpoints.checkpointIfDue({ minEntries: 1 })).toBeNull();
      tick();
      await fresh.signet.service.calendars.load('operator:admin', { year: 2027, holidays: [], makeUpWorkdays: [] });
      expect(await fresh.signet.auditCheckpoints.checkpointIfDue({ minEntries: 5, maxAgeMs: 3_600_000 })).toBeNull();
      now = new Date(now.getTime() + 3_600_000);
      expect(await fresh.signet.auditCheckpoints.checkpointIfDue({ minEntries: 5, maxAgeMs: 3_600_000 })).not.toBeNull();
      expect(await verifyAuditCheckpoints(fresh.signet.store)).toMatchObject({ ok: true, checkpoints: 2, timeStamped: 2 });
    } finally {
      await fresh.signet.close();
    }
  });
});
