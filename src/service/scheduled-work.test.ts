import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditCheckpoints } from '../audit/checkpoints.js';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { runServiceRound } from './scheduled-work.js';
import { issueFor } from './test-support/certificates.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('the scheduled service round on %s (R19, R9, R2, R20)', (backend) => {
  let t: TestSignet;
  let now = new Date('2026-10-01T02:00:00.000Z');

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await issueFor(t.signet, t.dir, 'sub-1', 'individual-signing', 60);
    await t.signet.publication.publishAgreement('operator:admin', { id: 'v2', title: { 'zh-CN': '协议', en: 'Agreement' }, text: { 'zh-CN': '正文', en: 'Text' } });
  });
  afterAll(() => t.signet.close());

  it('runs on the node holding the lease only, recording deemed acceptance, reminders and a signed checkpoint', async () => {
    now = new Date('2026-11-01T02:00:00.000Z');
    const round = await runServiceRound(t.signet, 'node-a');
    expect(round).toMatchObject({ deemedAcceptances: 1, renewalReminders: 1, purged: 0 });
    expect(round?.checkpoint).toMatch(/^ckp-/);
    // Another node at the same moment finds the lease taken.
    expect(await runServiceRound(t.signet, 'node-b')).toBeNull();
    // The same node again: nothing is done twice.
    expect(await runServiceRound(t.signet, 'node-a')).toMatchObject({ deemedAcceptances: 0, renewalReminders: 0, purged: 0 });
    expect(await verifyAuditCheckpoints(t.signet.store)).toMatchObject({ ok: true, checkpoints: 1 });
  });
});
