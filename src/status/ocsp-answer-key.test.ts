import { afterAll, describe, expect, it } from 'vitest';
import { hash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem } from '../ca/test-support/ca-fixture.js';
import { openSignet } from '../signet.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { ocspAnswerKeyOf } from './ocsp-answer-key.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

const single = (der: Buffer) =>
  AsnConvert.parse(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!;

/**
 * Issue 22: stored OCSP answers keyed by a 63-bit hash of their CertID (migration 2700), so a cold question is one
 * B-tree descent; the ETag written with the answer. A store populated before the migration keeps its answers, and
 * a second CertID in the same slot is never answered with the first one's bytes (RFC 6960 §4.2.2.1: the response
 * names the CertID asked about).
 */
describe.each(storeBackends)('stored OCSP answers under their CertID key on %s (issue 22, migration 2700)', (backend) => {
  it('upgrades a populated store in place, serves its answers as they were signed, and keeps a shared slot from giving the wrong answer', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t = await openTestSignet(backend, { clock: () => now });
    const dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-key-'));
    let signet = t.signet;
    try {
      const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const leaves: Array<{ serial: string; pem: string }> = [];
      for (let i = 0; i < 2; i++) {
        const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `key-${i}`);
        const leaf = await signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=key ${i}`, subscriberId: `k${i}`, requestedBy: 'test', reason: 'test' });
        leaves.push({ serial: leaf.serial, pem: writePem(dir, `key-${i}.pem`, leaf.der) });
      }
      // Also the responder's own certificates: every valid certificate of the CA is signed ahead.
      expect(await signet.status.ocsp.presignCold(100)).toBeGreaterThanOrEqual(2);
      // The key read as text: SQLite's driver would give a 63-bit integer as a rounded number.
      const rows = (store: typeof signet.store) =>
        statusDb(store).selectFrom('ocsp_responses').selectAll().select(sql<string>`cast(id as text)`.as('id')).orderBy('serial').execute();
      const all = await rows(signet.store);
      const signed = leaves.map((leaf) => all.find((row) => row.serial === leaf.serial)!);
      for (const row of all) {
        expect(row.id).toBe(ocspAnswerKeyOf(row.cert_id));
        expect(row.etag).toBe(`"${hash('sha1', row.der, 'hex')}"`);
      }

      // The store as it was before migration 2700: keyed by cert_id, no id, no etag.
      const binary = backend === 'postgres' ? 'bytea' : 'blob';
      await sql
        .raw(
          `CREATE TABLE ocsp_responses_before (cert_id text PRIMARY KEY, serial text NOT NULL, issuer_ca_id text NOT NULL,
             status text NOT NULL CHECK (status IN ('good', 'revoked', 'unknown')), this_update text NOT NULL, next_update text NOT NULL, der ${binary} NOT NULL)`,
        )
        .execute(signet.store.db);
      await sql`INSERT INTO ocsp_responses_before SELECT cert_id, serial, issuer_ca_id, status, this_update, next_update, der FROM ocsp_responses`.execute(signet.store.db);
      await sql`DROP TABLE ocsp_responses`.execute(signet.store.db);
      await sql`ALTER TABLE ocsp_responses_before RENAME TO ocsp_responses`.execute(signet.store.db);
      await sql`CREATE INDEX ocsp_responses_serial ON ocsp_responses (serial)`.execute(signet.store.db);
      await sql`DELETE FROM kysely_migration WHERE name = '2700_status_ocsp_answer_key'`.execute(signet.store.db);
      await signet.close();

      signet = await openSignet(t.config, { clock: () => now });
      const upgraded = await rows(signet.store);
      expect(upgraded.map((r) => [r.id, r.cert_id, r.serial, r.status, r.etag, r.der.toString('hex')])).toEqual(
        all.map((r) => [ocspAnswerKeyOf(r.cert_id), r.cert_id, r.serial, r.status, null, r.der.toString('hex')]),
      );

      const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
      const requestOf = (leaf: { serial: string; pem: string }) => {
        const file = join(dir, `req-${leaf.serial}.der`);
        const made = runTool('openssl', ['ocsp', '-issuer', issuing, '-cert', leaf.pem, '-no_nonce', '-reqout', file]);
        expect(made.status, made.stderr).toBe(0);
        return readFileSync(file);
      };
      // Served from the upgraded rows as they were signed (no new signature), the ETag computed for a row without one.
      const first = await signet.status.ocsp.respond(requestOf(leaves[0]!));
      expect(first.der.equals(signed[0]!.der)).toBe(true);
      expect(first.cache?.etag).toBe(signed[0]!.etag);

      // Leaf 0's slot taken by leaf 1's CertID and answer (what a hash shared by two CertIDs would leave).
      const slot = ocspAnswerKeyOf(signed[0]!.cert_id);
      await statusDb(signet.store)
        .updateTable('ocsp_responses')
        .set({ cert_id: signed[1]!.cert_id, serial: signed[1]!.serial, der: signed[1]!.der, etag: signed[1]!.etag })
        .where('id', '=', slot)
        .execute();
      const request = requestOf(leaves[0]!);
      const again = await openSignet(t.config, { clock: () => now });
      try {
        const reply = await again.status.ocsp.respond(request);
        expect(reply.der.equals(signed[1]!.der)).toBe(false);
        const answer = single(reply.der);
        expect(Buffer.from(AsnConvert.serialize(answer.certID)).toString('hex')).toBe(signed[0]!.cert_id);
        expect(answer.certStatus.good).toBeDefined();
        // Signed afresh for leaf 0 and stored in its slot again.
        const row = await statusDb(again.store).selectFrom('ocsp_responses').selectAll().where('id', '=', slot).executeTakeFirstOrThrow();
        expect([row.cert_id, row.der.equals(reply.der)]).toEqual([signed[0]!.cert_id, true]);
      } finally {
        await again.close();
      }
    } finally {
      await signet.close();
    }
  }, 120_000);
});
