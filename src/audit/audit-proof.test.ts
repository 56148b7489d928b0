import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import type { Tx } from '../store/database.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { appendAuditEntry, entryHash, GENESIS_HASH, verifyAuditEntries, type AuditEntryRow } from './audit-log.js';
import { canonicalJson } from './canonical-json.js';
import { spkiFingerprint, trustedKeyFingerprint, type ExportedHead } from './head-export.js';
import { verifyAudit } from './verification.js';

afterAll(dropFreshStores);

/** Rows as an intruder would write them: consistent hashes, wrong positions. */
function forgedRows(positions: number[]): AuditEntryRow[] {
  let prev = GENESIS_HASH;
  return positions.map((seq) => {
    const row = { seq, at: '2026-12-01T00:00:00.000Z', actor: 'x', action: 'test.forged', target: 't', details: {}, prevHash: prev };
    const hash = entryHash(row);
    prev = hash;
    return { seq, at: row.at, actor: 'x', action: row.action, target: 't', details: '{}', prev_hash: row.prevHash, hash };
  });
}

describe('the audit chain rules, over any entry source (R20)', () => {
  it('accepts exactly 1, 2, 3, … and nothing else', async () => {
    expect(await verifyAuditEntries(forgedRows([1, 2, 3]))).toMatchObject({ ok: true, entries: 3 });
    expect(await verifyAuditEntries(forgedRows([0, 1, 2]))).toMatchObject({ ok: false, firstBadSeq: 0, code: 'audit.problem.position-before-start' });
    expect(await verifyAuditEntries(forgedRows([-4, 1]))).toMatchObject({ ok: false, firstBadSeq: -4, code: 'audit.problem.position-before-start' });
    expect(await verifyAuditEntries(forgedRows([1, 1.5, 2]))).toMatchObject({ ok: false, firstBadSeq: 1.5, code: 'audit.problem.position-not-integer' });
    expect(await verifyAuditEntries(forgedRows([1, 2, 4]))).toMatchObject({ ok: false, firstBadSeq: 3, code: 'audit.problem.position-missing', params: { next: 4 } });
    // PostgreSQL gives bigints back as text: "2.0" or "02" are not positions either.
    const text = forgedRows([1, 2]).map((r, i) => ({ ...r, seq: ['1', '2.0'][i]! }));
    expect(await verifyAuditEntries(text)).toMatchObject({ ok: false, code: 'audit.problem.position-not-integer', params: { stored: '2.0' } });
  });
});

describe.each(storeBackends)('an audit log that proves itself against heads exported outside the database, on %s (R20)', (backend) => {
  let t: TestSignet;
  let exportDir: string;
  let heads: string;
  let pinned: string;
  let now = new Date('2026-12-01T02:00:00.000Z');

  /** The intruder: full write access to the database, none to the exported-head file or the audit key. */
  async function dropTriggers(): Promise<void> {
    const db = t.signet.store.db;
    if (backend === 'sqlite') {
      for (const name of ['audit_entries_no_update', 'audit_entries_no_delete', 'audit_checkpoints_no_update', 'audit_checkpoints_no_delete']) await sql.raw(`drop trigger if exists ${name}`).execute(db);
    } else {
      await sql`drop trigger if exists audit_entries_append_only on audit_entries`.execute(db);
      await sql`drop trigger if exists audit_checkpoints_append_only on audit_checkpoints`.execute(db);
    }
  }

  async function record(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      now = new Date(now.getTime() + 1000);
      await t.signet.store.db.transaction().execute((trx) =>
        appendAuditEntry(trx as unknown as Tx, t.signet.store.dialect, { actor: 'operator:clerk', action: 'test.recorded', target: `thing:${i}`, details: { i } }, now),
      );
    }
  }

  /** Re-chains every entry from `from` on, as a careful forger would after editing one. */
  async function rehashFrom(from: number): Promise<void> {
    const db = t.signet.store.db;
    const rows = await db.selectFrom('audit_entries').selectAll().where('seq', '>=', from).orderBy('seq').execute();
    let prev = from === 1 ? GENESIS_HASH : (await db.selectFrom('audit_entries').select('hash').where('seq', '=', from - 1).executeTakeFirstOrThrow()).hash;
    for (const row of rows) {
      const hash = entryHash({ seq: Number(row.seq), at: row.at, actor: row.actor, action: row.action, target: row.target, details: JSON.parse(row.details), prevHash: prev });
      await sql`update audit_entries set prev_hash = ${prev}, hash = ${`tmp-${row.seq}`} where seq = ${row.seq}`.execute(db);
      await sql`update audit_entries set hash = ${hash} where seq = ${row.seq}`.execute(db);
      prev = hash;
    }
  }

  const verify = (options: { heads?: string | null; trustedKeys?: string[] } = {}) =>
    verifyAudit(t.signet.store, { heads: options.heads === null ? undefined : (options.heads ?? heads), trustedKeys: options.trustedKeys ?? [pinned] });

  beforeEach(async () => {
    exportDir = mkdtempSync(join(tmpdir(), 'signet-heads-'));
    heads = join(exportDir, 'audit-heads.jsonl');
    t = await openTestSignet(backend, { clock: () => now, env: { SIGNET_AUDIT_HEAD_EXPORT: heads } });
    // Entries 1-5, a checkpoint over them (its key's entry is 1), 5 more, another checkpoint, 3 unvouched.
    await record(4);
    await t.signet.auditCheckpoints.checkpoint();
    await record(5);
    await t.signet.auditCheckpoints.checkpoint();
    await record(3);
    pinned = (await t.signet.auditCheckpoints.publicKeys())[0]!.spkiSha256;
  });
  afterEach(async () => {
    await t.signet.close();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('exports every checkpoint as a signed line and verifies clean against it, counting the entries no head covers yet', async () => {
    const lines = readFileSync(heads, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExportedHead);
    expect(lines).toHaveLength(2);
    const [first, second] = (await t.signet.auditCheckpoints.list()).map((c) => c.upToSeq);
    expect(lines.map((l) => (JSON.parse(l.payload) as { upToSeq: number }).upToSeq)).toEqual([first, second]);
    const result = await verify();
    expect(result.ok).toBe(true);
    // After the second head: its own checkpoint entry and three more.
    expect(result.chain).toMatchObject({ ok: true, entries: second! + 4, anchoredUpTo: second, unanchored: 4 });
    expect(result.heads).toMatchObject({ ok: true, heads: 2, pinned: true, keys: [pinned] });
    // Production requires the pin: without one the same log does not pass.
    expect(await verifyAudit(t.signet.store, { heads, requirePinnedKeys: true })).toMatchObject({ ok: false, unpinned: true });
    expect(await verifyAudit(t.signet.store, { heads, requirePinnedKeys: true, trustedKeys: [pinned] })).toMatchObject({ ok: true, unpinned: false });
  });

  it('names an inserted row at seq 0 or a negative seq, which the triggers do not stop', async () => {
    const db = t.signet.store.db;
    const row = { at: now.toISOString(), actor: 'intruder', action: 'test.inserted', target: 't', details: '{}', prev_hash: GENESIS_HASH };
    await sql`insert into audit_entries (seq, at, actor, action, target, details, prev_hash, hash) values (0, ${row.at}, ${row.actor}, ${row.action}, ${row.target}, ${row.details}, ${row.prev_hash}, ${'a'.repeat(64)})`.execute(db);
    expect((await verify()).chain).toMatchObject({ ok: false, firstBadSeq: 0, code: 'audit.problem.position-before-start' });
    await sql`insert into audit_entries (seq, at, actor, action, target, details, prev_hash, hash) values (-7, ${row.at}, ${row.actor}, ${row.action}, ${row.target}, ${row.details}, ${row.prev_hash}, ${'b'.repeat(64)})`.execute(db);
    expect((await verify()).chain).toMatchObject({ ok: false, firstBadSeq: -7, code: 'audit.problem.position-before-start' });
  });

  it('names a row at a fractional seq (SQLite stores it; PostgreSQL\'s bigint refuses it)', async () => {
    const insert = sql`insert into audit_entries (seq, at, actor, action, target, details, prev_hash, hash) values (2.5, ${now.toISOString()}, 'intruder', 'test.inserted', 't', '{}', ${GENESIS_HASH}, ${'c'.repeat(64)})`;
    if (backend === 'postgres') {
      // bigint rounds 2.5 to 3, which is taken: the primary key refuses it.
      await expect(insert.execute(t.signet.store.db)).rejects.toThrow();
      return;
    }
    await insert.execute(t.signet.store.db);
    expect((await verify()).chain).toMatchObject({ ok: false, firstBadSeq: 2.5, code: 'audit.problem.position-not-integer' });
  });

  it('names the first missing entry of a gap', async () => {
    await dropTriggers();
    await sql`delete from audit_entries where seq in (6, 7)`.execute(t.signet.store.db);
    expect((await verify()).chain).toMatchObject({ ok: false, firstBadSeq: 6, code: 'audit.problem.position-missing', params: { next: 8 } });
  });

  it('detects a tail cut off together with the checkpoint rows, which the database alone cannot', async () => {
    await dropTriggers();
    const [first] = await t.signet.auditCheckpoints.list();
    const keep = first!.upToSeq + 2;
    await sql`delete from audit_checkpoints where up_to_seq > ${first!.upToSeq}`.execute(t.signet.store.db);
    await sql`delete from audit_entries where seq > ${keep}`.execute(t.signet.store.db);
    // What the database says about itself is consistent again…
    const inside = await verify({ heads: null });
    expect(inside.chain.ok && inside.checkpoints.ok).toBe(true);
    // …but the exported head says the chain reached further.
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.chain).toMatchObject({ ok: false, firstBadSeq: keep + 1, code: 'audit.problem.truncated', params: { end: keep } });
    expect(result.chain.ok === false && result.chain.problem).toContain(`the chain ends at entry ${keep}`);
  });

  it('detects a rewritten and re-hashed tail with the checkpoints deleted, naming the first rewritten entry when it follows a head', async () => {
    await dropTriggers();
    const [first, second] = await t.signet.auditCheckpoints.list();
    // The entry right after the first head (the first checkpoint's own announcement) is forged.
    const forged = first!.upToSeq + 1;
    const db = t.signet.store.db;
    await sql`update audit_entries set details = ${canonicalJson({ forged: true })} where seq = ${forged}`.execute(db);
    expect((await verify()).chain).toMatchObject({ ok: false, firstBadSeq: forged, code: 'audit.problem.hash-mismatch' });
    await rehashFrom(forged);
    await sql`delete from audit_checkpoints`.execute(db);
    expect((await verify({ heads: null })).chain.ok).toBe(true);
    expect((await verify()).chain).toMatchObject({ ok: false, firstBadSeq: forged, code: 'audit.problem.anchor-mismatch', params: { from: forged, to: second!.upToSeq } });
  });

  it('narrows a consistent rewrite deeper inside to the span between the last matching head and the first that no longer matches', async () => {
    await dropTriggers();
    const [first, second] = await t.signet.auditCheckpoints.list();
    const forged = first!.upToSeq + 3;
    const db = t.signet.store.db;
    await sql`update audit_entries set actor = 'someone else' where seq = ${forged}`.execute(db);
    await rehashFrom(forged);
    const result = await verify();
    expect(result.chain).toMatchObject({ ok: false, firstBadSeq: first!.upToSeq + 1, code: 'audit.problem.anchor-mismatch', params: { from: first!.upToSeq + 1, to: second!.upToSeq } });
    // The rows of the checkpoints that were left say the same from inside.
    expect(result.checkpoints).toMatchObject({ ok: false, upToSeq: second!.upToSeq });
  });

  it('refuses an exported head signed by a key that is not pinned, and a line written out of order', async () => {
    const intruderKey = generateSoftwareKey('ecdsa-p256');
    const payload = canonicalJson({ type: 'signet-audit-checkpoint', v: 1, id: 'ckp-forged', upToSeq: 9999, headHash: 'f'.repeat(64), at: now.toISOString(), keyId: 'audit-forged' });
    const forged: ExportedHead = {
      type: 'signet-audit-head',
      v: 1,
      payload,
      signatureAlgorithm: Buffer.from(AsnConvert.serialize(intruderKey.signatureAlgorithm)).toString('base64'),
      signature: Buffer.from(await intruderKey.sign(Buffer.from(payload))).toString('base64'),
      publicKeyInfo: Buffer.from(intruderKey.publicKeyInfo).toString('base64'),
      timeStampToken: null,
    };
    appendFileSync(heads, `${JSON.stringify(forged)}\n`);
    const result = await verify();
    expect(result.heads).toMatchObject({ ok: false, line: 3, code: 'audit.head-export.untrusted-key', params: { fingerprint: spkiFingerprint(intruderKey.publicKeyInfo) } });
    expect(result.ok).toBe(false);
    // Not pinned, the forged head is accepted as signed, and then the chain does not reach it.
    expect((await verify({ trustedKeys: [] })).chain).toMatchObject({ ok: false, code: 'audit.problem.truncated' });

    const copy = join(exportDir, 'reordered.jsonl');
    const [a, b] = readFileSync(heads, 'utf8').trim().split('\n');
    appendFileSync(copy, `${b}\n${a}\n`);
    expect((await verify({ heads: copy })).heads).toMatchObject({ ok: false, line: 2, code: 'audit.head-export.out-of-order' });
  });

  it('refuses a pinned database checkpoint signed by a key the intruder added, and takes pins as fingerprints or PEM files', async () => {
    const keys = await t.signet.auditCheckpoints.publicKeys();
    const pem = join(exportDir, 'audit-key.pem');
    appendFileSync(pem, keys[0]!.publicKeyPem);
    expect(trustedKeyFingerprint(pem)).toBe(pinned);
    expect(trustedKeyFingerprint(pinned.replace(/(..)(?!$)/g, '$1:').toUpperCase())).toBe(pinned);
    expect(() => trustedKeyFingerprint(join(exportDir, 'nothing.pem'))).toThrow(/neither a SHA-256 fingerprint/);
    // A new audit key created by whoever can open the CA keys: not the pinned one.
    await t.signet.auditCheckpoints.createKey('intruder');
    await t.signet.auditCheckpoints.checkpoint();
    const result = await verify();
    expect(result.checkpoints).toMatchObject({ ok: false, problem: expect.stringContaining('not among the trusted keys') });
    expect(result.heads).toMatchObject({ ok: false, code: 'audit.head-export.untrusted-key' });
  });
});
