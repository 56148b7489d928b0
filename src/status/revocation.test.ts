import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/audit-log.js';
import type { SignetError } from '../i18n/signet-error.js';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { CA_REVOCATION_GROUNDS } from './revocation-reasons.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('revocation on %s (R7, R15)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let now = new Date('2026-03-01T10:00:00.000Z');

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-revocation-'));
  });
  afterAll(async () => {
    await t.signet.close();
  });

  let counter = 0;
  async function issueLeaf(subscriberId = `subscriber-${++counter}`) {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `leaf-${counter}`);
    return t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=leaf ${counter}`, subscriberId, requestedBy: 'test', reason: 'test' });
  }
  const count = async (table: 'revocations' | 'audit_entries') =>
    Number((await statusDb(t.signet.store).selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('revokes at the subscriber\'s request, records who, why and when, and writes the audit entry in the same step (R7, R8)', async () => {
    const leaf = await issueLeaf();
    const auditBefore = await count('audit_entries');
    const revocation = await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'subscriber:s1' });
    expect(revocation).toMatchObject({ serial: leaf.serial, reason: 'cessationOfOperation', reasonCode: 5, channel: 'subscriber', revokedAt: now.toISOString(), issuerCaId: h.issuing.caId });
    expect(await count('audit_entries')).toBe(auditBefore + 1);
    const entry = await t.signet.store.db.selectFrom('audit_entries').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ action: 'certificate.revoked', target: `certificate:${leaf.serial}`, actor: 'subscriber:s1' });
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });

  it('is final: a second revocation is refused with a clear error and changes nothing (R7)', async () => {
    const leaf = await issueLeaf();
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'superseded', channel: 'ra', requestedBy: 'ra:officer' });
    const before = [await count('revocations'), await count('audit_entries')];
    await expect(
      t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'ra:officer' }),
    ).rejects.toMatchObject({ code: 'revocation.already-revoked', status: 409 });
    // Issue 20: the refusal reads in each language, Beijing time and the reason in words (no UTC, no RFC 5280 name).
    const refusal = await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'ra:officer' }).then(
      () => expect.unreachable(),
      (error: unknown) => error as SignetError,
    );
    expect(refusal.messageIn('zh-CN')).toMatch(/已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00 吊销（原因 已被替换）/);
    expect(refusal.messageIn('en')).toMatch(/already revoked at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00 \(superseded\)/);
    expect(refusal.messageIn('zh-CN')).not.toMatch(/superseded|Z（/);
    expect([await count('revocations'), await count('audit_entries')]).toEqual(before);
    expect((await t.signet.status.revocation(leaf.serial))?.reason).toBe('superseded');
  });

  it('the database itself refuses to change or delete a revocation: no un-revoke, whatever the code does (R7)', async () => {
    const leaf = await issueLeaf();
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'superseded', channel: 'subscriber', requestedBy: 'subscriber:x' });
    const db = statusDb(t.signet.store);
    await expect(db.updateTable('revocations').set({ reason_code: 0 }).where('serial', '=', leaf.serial).execute()).rejects.toThrow(/final/);
    await expect(db.deleteFrom('revocations').where('serial', '=', leaf.serial).execute()).rejects.toThrow(/final/);
    if (backend === 'postgres') await expect(sql`truncate revocations`.execute(db)).rejects.toThrow(/final/);
    expect(await t.signet.status.revocation(leaf.serial)).not.toBeNull();
  });

  it.each(Object.entries(CA_REVOCATION_GROUNDS))('CA-initiated on ground %s maps to RFC 5280 %s and needs a justification (R15)', async (ground, reason) => {
    const leaf = await issueLeaf();
    await expect(
      t.signet.status.revokeCertificate({ serial: leaf.serial, ground, channel: 'ca', requestedBy: 'operator:alice' }),
    ).rejects.toMatchObject({ code: 'revocation.justification-required', status: 400 });
    const revocation = await t.signet.status.revokeCertificate({
      serial: leaf.serial,
      ground,
      channel: 'ca',
      requestedBy: 'operator:alice',
      justification: `工单 2026-0042：${ground}`,
    });
    expect(revocation).toMatchObject({ ground, reason, channel: 'ca', justification: `工单 2026-0042：${ground}` });
  });

  it('refuses a CA revocation without a ground, a ground outside the CA channel, and a reason the ground does not map to (R15)', async () => {
    const leaf = await issueLeaf();
    const base = { serial: leaf.serial, requestedBy: 'operator:alice', justification: 'x' };
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ca', reason: 'keyCompromise' })).rejects.toMatchObject({ code: 'revocation.ground-required' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ra', ground: 'breach' })).rejects.toMatchObject({ code: 'revocation.ground-needs-ca' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ca', ground: 'breach', reason: 'superseded' })).rejects.toMatchObject({ code: 'revocation.ground-reason-mismatch' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ca', ground: 'whim' })).rejects.toMatchObject({ code: 'revocation.bad-ground' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ra', reason: 'certificateHold' })).rejects.toMatchObject({ code: 'revocation.bad-reason' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ra', reason: 'cACompromise' })).rejects.toMatchObject({ code: 'revocation.reason-only-for-ca' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'rights-holder', reason: 'cessationOfOperation', justification: ' ' })).rejects.toMatchObject({ code: 'revocation.justification-required' });
    await expect(t.signet.status.revokeCertificate({ ...base, channel: 'ra', reason: 'keyCompromise', invalidityDate: '2099-01-01T00:00:00Z' })).rejects.toMatchObject({ code: 'revocation.bad-invalidity-date' });
    expect(await t.signet.status.revocation(leaf.serial)).toBeNull();
  });

  it('a legal rights holder revokes for a subscriber that ceased to exist, with the evidence recorded (R7)', async () => {
    const leaf = await issueLeaf();
    const revocation = await t.signet.status.revokeCertificate({
      serial: leaf.serial,
      reason: 'cessationOfOperation',
      channel: 'rights-holder',
      requestedBy: 'ra:officer-bob',
      justification: '注销登记证明 编号 123，RA 审核通过',
    });
    expect(revocation.channel).toBe('rights-holder');
  });

  it('keyCompromise blocks the key: it is never certified again, for anybody (R7, issuance cycle step 2)', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'compromised');
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=compromised', subscriberId: 'victim', requestedBy: 'test', reason: 'test' });
    now = new Date(now.getTime() + 60_000);
    const invalidityDate = new Date(now.getTime() - 3_600_000);
    const revocation = await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:victim', invalidityDate });
    expect(revocation.invalidityDate).toBe(invalidityDate.toISOString());
    await expect(
      t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=compromised again', subscriberId: 'victim', requestedBy: 'test', reason: 'test' }),
    ).rejects.toMatchObject({ code: 'request.key-blocked' });
  });

  it('revokes an issuing CA certificate for cACompromise, but never the self-signed root', async () => {
    await expect(
      t.signet.status.revokeCertificate({ serial: h.root.serial, reason: 'cACompromise', channel: 'ra', requestedBy: 'operator:alice' }),
    ).rejects.toMatchObject({ code: 'revocation.root-not-revocable', status: 409 });
  });

  it('an unknown serial is a 404 and writes nothing', async () => {
    const before = await count('revocations');
    await expect(
      t.signet.status.revokeCertificate({ serial: '5c00ff', reason: 'superseded', channel: 'ra', requestedBy: 'operator:alice' }),
    ).rejects.toMatchObject({ code: 'certificate.not-found', status: 404 });
    expect(await count('revocations')).toBe(before);
  });
});
