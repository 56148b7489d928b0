import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedCertificate } from './authority.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { buildSubjectName } from './subject-name.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { SignetError } from '../i18n/signet-error.js';
import { verifyAuditChain } from '../audit/audit-log.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

/**
 * Concurrent orders are recorded in group commits (docs/issuance-cycle.md):
 * the guarantees of the cycle must hold for every order of a batch as they
 * do for one alone.
 */
describe.each(storeBackends)('orders issued together on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    dir = mkdtempSync(join(tmpdir(), 'signet-batch-'));
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  const order = (csr: string, i: number | string, subscriberId = `batch-${i}`) => ({
    csr,
    profileId: 'tls-client',
    subject: `CN=batch ${i}`,
    subscriberId,
    requestedBy: 'test',
    reason: 'batch',
  });

  it('issues twenty at once, each with its closed intent and audit entry, each accepted by openssl verify', async () => {
    const csrs = Array.from({ length: 20 }, (_, i) => opensslRequest(dir, 'ecdsa-p256', `many-${i}`).csrPem);
    const issued = await Promise.all(csrs.map((csr, i) => t.signet.ca.issue(order(csr, i))));

    expect(new Set(issued.map((c) => c.serial)).size).toBe(20);
    const serials = issued.map((c) => c.serial);
    const intents = await t.signet.store.db.selectFrom('issuance_intents').select(['serial', 'state']).where('serial', 'in', serials).execute();
    expect(intents.map((i) => i.state)).toEqual(Array(20).fill('issued'));
    const audited = await t.signet.store.db
      .selectFrom('audit_entries')
      .select('target')
      .where('target', 'in', serials.map((s) => `certificate:${s}`))
      .execute();
    expect(audited).toHaveLength(20);
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);

    const root = writePem(dir, 'root.pem', h.root.der);
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const leaves = issued.map((c, i) => writePem(dir, `leaf-${i}.pem`, c.der));
    const verified = runTool('openssl', ['verify', '-x509_strict', '-CAfile', root, '-untrusted', issuing, ...leaves]);
    expect(verified.stderr).toBe('');
    expect(verified.stdout.match(/: OK/g)).toHaveLength(20);
    for (const [i, c] of issued.entries()) {
      const stored = await t.signet.ca.certificate(c.serial);
      expect(Buffer.compare(stored.der, c.der)).toBe(0);
      expect(stored.subject).toBe(`CN=batch ${i}`);
    }
  });

  it('refuses, within one batch, the same key for a second holder, and records nothing for it', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'shared-key');
    const before = await t.signet.store.db.selectFrom('issuance_intents').select('id').execute();
    const orders = [order(csrPem, 'first', 'holder-a'), order(csrPem, 'second', 'holder-b'), order(csrPem, 'renewal', 'holder-a')];
    const results = await Promise.allSettled(orders.map((o) => t.signet.ca.issue(o)));
    // The three run concurrently, so either holder may be first to the key; whoever is first keeps it
    // (one holder per key) and every order of the other holder is refused.
    const winner = orders[results.findIndex((r) => r.status === 'fulfilled')]!.subscriberId;
    expect(results.map((r) => r.status)).toEqual(
      orders.map((o) => (o.subscriberId === winner ? 'fulfilled' : 'rejected')),
    );
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    for (const refusal of refusals) {
      expect(refusal.reason).toBeInstanceOf(SignetError);
      expect((refusal.reason as SignetError).code).toBe('request.key-already-certified');
      expect((refusal.reason as SignetError).status).toBe(409);
    }
    const fulfilled = results.filter((r): r is PromiseFulfilledResult<IssuedCertificate> => r.status === 'fulfilled');
    const after = await t.signet.store.db.selectFrom('issuance_intents').select('id').execute();
    expect(after.length - before.length).toBe(fulfilled.length);
    const holders = await t.signet.store.db
      .selectFrom('certificates')
      .select('subscriber_id')
      .where('spki_sha256', '=', (await t.signet.ca.certificate(fulfilled[0]!.value.serial)).spki_sha256)
      .execute();
    expect(holders.map((r) => r.subscriber_id)).toEqual(fulfilled.map(() => winner));
  });

  it('lets a blocked key in a batch fail alone while the others are issued', async () => {
    const blocked = opensslRequest(dir, 'ecdsa-p256', 'to-block').csrPem;
    const first = await t.signet.ca.issue(order(blocked, 'to-block'));
    await t.signet.ca.blockKey((await t.signet.ca.certificate(first.serial)).spki_sha256, 'keyCompromise reported', 'test');
    const fresh = Array.from({ length: 4 }, (_, i) => opensslRequest(dir, 'ecdsa-p256', `beside-${i}`).csrPem);
    const results = await Promise.allSettled([
      ...fresh.slice(0, 2).map((csr, i) => t.signet.ca.issue(order(csr, `beside-${i}`))),
      t.signet.ca.issue(order(blocked, 'to-block')),
      ...fresh.slice(2).map((csr, i) => t.signet.ca.issue(order(csr, `beside-${i + 2}`))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(((results[2] as PromiseRejectedResult).reason as SignetError).code).toBe('request.key-blocked');
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });

  it('lets an order whose own rows cannot be recorded fail alone: the others of its batch are recorded', async () => {
    const issuer = await t.signet.ca.issuerContext(h.issuing.caId);
    const profile = t.signet.ca.profiles.get('tls-client');
    const orders = [0, 1, 2].map((i) => {
      const key = generateSoftwareKey('ecdsa-p256');
      return {
        profile,
        issuer,
        subject: buildSubjectName({ commonName: `caller rows ${i}` }, profile),
        subjectPublicKeyInfo: key.publicKeyInfo,
        keyAlgorithm: 'ecdsa-p256' as const,
        holder: `subscriber:caller-rows-${i}`,
        subscriberId: `caller-rows-${i}`,
        requestedBy: 'test',
        reason: 'batch fallback',
      };
    });
    const results = await Promise.allSettled(
      orders.map((order, i) =>
        t.signet.ca.signCertificate(order, async () => {
          if (i === 1) throw new Error('the caller cannot record its own rows');
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toBe('the caller cannot record its own rows');
    for (const i of [0, 2]) {
      const issued = (results[i] as PromiseFulfilledResult<{ serial: string }>).value;
      expect((await t.signet.ca.certificate(issued.serial)).subscriber_id).toBe(`caller-rows-${i}`);
    }
    // The refused order's intent is closed by its owner at once, not left for a server's recovery.
    const pending = await t.signet.store.db.selectFrom('issuance_intents').select('serial').where('state', '=', 'pending').execute();
    expect(pending).toHaveLength(0);
    const abandoned = await t.signet.store.db.selectFrom('audit_entries').select(['target', 'details']).where('action', '=', 'issuance.abandoned').execute();
    expect(abandoned).toHaveLength(1);
    expect(JSON.parse(abandoned[0]!.details)).toMatchObject({ owner: t.signet.instance.id, why: expect.stringContaining('the caller cannot record its own rows') });
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });

  it('refuses an order the lint rejects in the caller\'s turn, before anything is queued or stored', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'empty-subject');
    const before = await t.signet.store.db.selectFrom('issuance_intents').select('id').execute();
    const error = (await t.signet.ca
      .issue({ ...order(csrPem, 'x'), subject: {} })
      .catch((e: unknown) => e)) as SignetError;
    expect(error).toBeInstanceOf(SignetError);
    expect(error.status).toBe(400);
    expect(await t.signet.store.db.selectFrom('issuance_intents').select('id').execute()).toHaveLength(before.length);
    expect(error.messageIn('zh-CN')).not.toBe(error.messageIn('en'));
  });
});
