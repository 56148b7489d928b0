import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { OCSPResponse, BasicOCSPResponse } from '@peculiar/asn1-ocsp';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { buildSubjectName } from '../ca/subject-name.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { openSignet } from '../signet.js';
import { CodeMigrations } from '../store/migrations.js';
import { openDatabase } from '../store/database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { statusDb } from './schema.js';
import { ocspQuestions } from './test-support/ocsp-question.js';

afterAll(dropFreshStores);

function crlSerials(der: Buffer): string[] {
  const list = AsnConvert.parse(der, CertificateList);
  return (list.tbsCertList.revokedCertificates ?? []).map((e) => Buffer.from(e.userCertificate).toString('hex').replace(/^00/, ''));
}

/**
 * Issue 14, item 2: CRL and delta membership and OCSP invalidation across
 * nodes follow the order in which revocations commit (the revocation counter,
 * docs/status.md "Commit order"), never the times machines stamp on them.
 */
describe.each(storeBackends)('status in commit order on %s (RFC 5280 §5.2.4, RFC 6960, R7)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  beforeAll(async () => {
    // Deltas are off by default (docs/interoperability.md): these tests are about their membership.
    t = await openTestSignet(backend, { clock: () => now, env: { SIGNET_DELTA_CRLS: 'on' } });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  let n = 0;
  async function issueLeaf(signet = t.signet) {
    const profile = signet.ca.profiles.get('tls-client');
    const key = generateSoftwareKey('ecdsa-p256');
    n += 1;
    return signet.ca.signCertificate({
      profile,
      issuer: await signet.ca.issuerContext(h.issuing.caId),
      subject: buildSubjectName({ commonName: `commit order ${n}` }, profile),
      subjectPublicKeyInfo: key.publicKeyInfo,
      keyAlgorithm: 'ecdsa-p256',
      holder: `subscriber:order-${n}`,
      subscriberId: `order-${n}`,
      requestedBy: 'test',
      reason: 'commit order',
    });
  }

  it('puts a revocation stamped before the base CRL was read, but committed after it, on the next delta', async () => {
    const leaf = await issueLeaf();
    const base = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    expect(crlSerials(base.der)).not.toContain(leaf.serial);
    // A node whose clock runs five minutes late, or a revocation stamped before the base read its entries and
    // committed after: revoked_at is earlier than the base's created_at. Under time-based membership it fell
    // between the base and every delta until the next full CRL.
    const baseTime = now;
    now = new Date(baseTime.getTime() - 5 * 60_000);
    const revocation = await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'superseded', channel: 'ra', requestedBy: 'ra:1' });
    expect(revocation.revokedAt < base.createdAt).toBe(true);
    now = new Date(baseTime.getTime() + 60_000);

    const delta = await t.signet.status.crls.publish(h.issuing.caId, 'delta', 'test');
    expect(delta.baseCrlNumber).toBe(base.crlNumber);
    expect(delta.revocationsThrough).toBeGreaterThan(base.revocationsThrough);
    expect(crlSerials(delta.der)).toContain(leaf.serial);
    const full = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    expect(crlSerials(full.der)).toContain(leaf.serial);
  });

  it('numbers revocations from two nodes racing without a gap or a repeat, and every one is on the next delta', async () => {
    // Two nodes on PostgreSQL. On SQLite a second handle in this same process would block the event loop on the
    // file lock the first holds (better-sqlite3 waits synchronously), so the one node races with itself.
    const other = backend === 'postgres' ? await openSignet(t.config, { clock: () => now }) : t.signet;
    try {
      const leaves = await Promise.all(Array.from({ length: 12 }, () => issueLeaf()));
      const base = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
      const deltas: Array<{ through: number; serials: string[] }> = [];
      let revoking = true;
      const publishing = (async () => {
        while (revoking) {
          const d = await t.signet.status.crls.publish(h.issuing.caId, 'delta', 'test');
          deltas.push({ through: d.revocationsThrough, serials: crlSerials(d.der) });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await Promise.all(
        leaves.map((leaf, i) =>
          (i % 2 === 0 ? t.signet : other).status.revokeCertificate({ serial: leaf.serial, reason: 'superseded', channel: 'ra', requestedBy: `ra:${i}` }),
        ),
      );
      revoking = false;
      await publishing;
      const last = await other.status.crls.publish(h.issuing.caId, 'delta', 'test');
      deltas.push({ through: last.revocationsThrough, serials: crlSerials(last.der) });

      const rows = await statusDb(t.signet.store).selectFrom('revocations').select(['serial', 'commit_seq']).orderBy('commit_seq').execute();
      expect(rows.map((r) => Number(r.commit_seq))).toEqual(rows.map((_, i) => i + 1));
      // Each delta lists exactly the revocations numbered after its base's and up to its own value.
      for (const d of deltas) {
        const expected = rows.filter((r) => Number(r.commit_seq) > base.revocationsThrough && Number(r.commit_seq) <= d.through).map((r) => r.serial);
        expect(d.serials.sort()).toEqual(expected.sort());
      }
      expect(deltas.at(-1)!.serials).toEqual(expect.arrayContaining(leaves.map((l) => l.serial)));
    } finally {
      if (other !== t.signet) await other.close();
    }
  });

  it('drops a cached "good" on every node when another node, its clock a day late, revokes: within revocationPollMs', async () => {
    const leaf = await issueLeaf();
    const request = ocspQuestions(h.issuing.der).about(Buffer.from(leaf.serial, 'hex'));
    const status = async () => {
      const reply = await t.signet.status.ocsp.respond(request);
      const response = AsnConvert.parse(reply.der, OCSPResponse);
      const basic = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse);
      return basic.tbsResponseData.responses[0]!.certStatus;
    };
    expect((await status()).good).toBeDefined();
    expect((await status()).good).toBeDefined();

    const lateNode = await openSignet(t.config, { clock: () => new Date(now.getTime() - 86_400_000) });
    try {
      await lateNode.status.revokeCertificate({ serial: leaf.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'subscriber:late' });
    } finally {
      await lateNode.close();
    }
    const revokedAt = Date.now();
    let answer = await status();
    while (!answer.revoked && Date.now() - revokedAt < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await status();
    }
    expect(answer.revoked?.revocationReason?.reason).toBe(5);
    // The default revocationPollMs is 1000: one look at most that old, plus the look itself.
    expect(Date.now() - revokedAt).toBeLessThan(2500);
  });
});

describe.each(storeBackends)('the commit-order migration on %s', (backend) => {
  it('numbers revocations made before it in their time order and gives each archived CRL the numbers it covered', async () => {
    const url = await freshStoreUrl(backend);
    let db: Kysely<unknown>;
    if (backend === 'postgres') {
      db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
    } else {
      mkdirSync(join(url, '..'), { recursive: true });
      db = new Kysely({ dialect: new SqliteDialect({ database: new BetterSqlite3(url) }) });
    }
    const provider = new CodeMigrations(backend);
    await new Migrator({ db, provider }).migrateTo('0800_ca_intent_owner_leases');
    const revoke = (serial: string, at: string) =>
      sql`insert into revocations (serial, issuer_ca_id, reason_code, revoked_at, requested_by, channel, not_after)
          values (${serial}, 'ca', 4, ${at}, 'test', 'ra', '2099-01-01T00:00:00.000Z')`.execute(db);
    const archive = (number: number, at: string) =>
      sql`insert into crl_archive (id, issuer_ca_id, crl_number, kind, this_update, next_update, entries, sha256, der, published_by, created_at)
          values (${`crl-${number}`}, 'ca', ${number}, 'full', ${at}, ${at}, 0, '00', ${Buffer.from([0x30, 0x00])}, 'test', ${at})`.execute(db);
    await revoke('b2', '2026-01-01T00:00:02.000Z');
    await revoke('a1', '2026-01-01T00:00:01.000Z');
    await archive(1, '2026-01-01T00:00:00.500Z');
    await archive(2, '2026-01-01T00:00:02.500Z');
    await revoke('c3', '2026-01-01T00:00:03.000Z');
    await db.destroy();

    const store = await openDatabase(url);
    try {
      const s = statusDb(store);
      const rows = await s.selectFrom('revocations').select(['serial', 'commit_seq']).orderBy('serial').execute();
      expect(rows.map((r) => [r.serial, Number(r.commit_seq)])).toEqual([['a1', 1], ['b2', 2], ['c3', 3]]);
      const crls = await s.selectFrom('crl_archive').select(['crl_number', 'revocations_through']).orderBy('crl_number').execute();
      expect(crls.map((c) => Number(c.revocations_through))).toEqual([0, 2]);
      const counter = await s.selectFrom('status_counters').select('value').where('name', '=', 'revocations').executeTakeFirstOrThrow();
      expect(Number(counter.value)).toBe(3);
      // The append-only guard is back.
      await expect(s.updateTable('revocations').set({ reason_code: 1 }).execute()).rejects.toThrow(/final/);
      await expect(s.deleteFrom('crl_archive').execute()).rejects.toThrow(/unchanged/);
    } finally {
      await store.close();
    }
  });
});
