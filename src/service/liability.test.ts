import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { issueFor } from './test-support/certificates.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

afterAll(dropFreshStores);

/** Another Signet node in its own process, ready to pay `claimId` when told to go. */
async function otherNode(databaseUrl: string, dataDir: string, claimId: string, at: Date): Promise<{ go: () => void; outcome: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'test-support', 'pay-claim.ts'), databaseUrl, dataDir, claimId, at.toISOString()], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  let ready: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const outcome = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('READY\n')) ready();
    });
    child.once('exit', () => {
      const last = output.trim().split('\n').at(-1) ?? '';
      try {
        const result = JSON.parse(last) as { ok: boolean; code?: string };
        resolve(result.ok ? 'paid' : result.code!);
      } catch {
        reject(new Error(`the other node failed: ${output}`));
      }
    });
  });
  await isReady;
  return { go: () => child.stdin.end('go\n'), outcome };
}

const claimant = { name: '某银行股份有限公司', contact: 'legal@bank.example.cn' };

describe.each(storeBackends)('liability on %s (R17)', (backend) => {
  let t: TestSignet;
  const now = new Date('2026-11-02T02:00:00Z');

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('caps an enterprise certificate at ¥500,000.00 and an individual one at ¥20,000.00 by default, in integer fen', async () => {
    const enterprise = await issueFor(t.signet, t.dir, 'sub-ent', 'enterprise-signing');
    const individual = await issueFor(t.signet, t.dir, 'sub-ind', 'individual-signing');
    expect(await t.signet.service.liability.certificate(enterprise.serial)).toMatchObject({ subscriberType: 'enterprise', capFen: 50_000_000, paidFen: 0, remainingFen: 50_000_000 });
    expect(await t.signet.service.liability.certificate(individual.serial)).toMatchObject({ subscriberType: 'individual', capFen: 2_000_000 });
    await expect(t.signet.service.liability.register('operator:a', { certificateSerial: individual.serial, amountFen: 12.5, claimant, description: 'x' })).rejects.toMatchObject({
      code: 'service.bad-amount',
      status: 400,
      field: 'amountFen',
    });
  });

  it('pays claims up to the cap and refuses the one that would pass it, with nothing changed', async () => {
    const cert = await issueFor(t.signet, t.dir, 'sub-ind-2', 'individual-signing');
    const liability = t.signet.service.liability;
    const first = await liability.register('operator:a', { certificateSerial: cert.serial, amountFen: 1_500_000, claimant, description: '冒用证书造成损失' });
    expect(first.claimant).toEqual({ name: '某*******司', contact: 'l***@bank.example.cn' });
    await liability.pay('operator:a', first.id);
    const second = await liability.register('operator:a', { certificateSerial: cert.serial, amountFen: 500_001, claimant, description: '第二笔' });
    await expect(liability.pay('operator:a', second.id)).rejects.toMatchObject({ code: 'service.liability-cap-exceeded', status: 409 });
    expect(await liability.certificate(cert.serial)).toMatchObject({ paidFen: 1_500_000, remainingFen: 500_000 });
    expect((await liability.claim(second.id, true))?.status).toBe('registered');
    // Part of it fits exactly up to the cap.
    const paid = await liability.pay('operator:a', second.id, { amountFen: 500_000, note: '以上限为限' });
    expect(paid).toMatchObject({ status: 'paid', paidFen: 500_000 });
    expect(await liability.certificate(cert.serial)).toMatchObject({ paidFen: 2_000_000, remainingFen: 0 });
  });

  it('refuses one of two claims that arrive at once and together exceed the cap: exactly one is paid', async () => {
    const cert = await issueFor(t.signet, t.dir, 'sub-ent-2', 'enterprise-signing');
    const a = await t.signet.service.liability.register('operator:a', { certificateSerial: cert.serial, amountFen: 30_000_000, claimant, description: 'A' });
    const b = await t.signet.service.liability.register('operator:b', { certificateSerial: cert.serial, amountFen: 30_000_000, claimant, description: 'B' });
    // Another node (its own process and connection) pays B at the moment this one pays A.
    const node = await otherNode(t.config.databaseUrl, t.dir, b.id, now);
    const [here, there] = await Promise.allSettled([(node.go(), t.signet.service.liability.pay('operator:a', a.id)), node.outcome]);
    const outcomes = [here.status === 'fulfilled' ? 'paid' : (here.reason as { code: string }).code, there.status === 'fulfilled' ? there.value : 'crashed'];
    expect(outcomes.sort()).toEqual(['paid', 'service.liability-cap-exceeded']);
    expect(await t.signet.service.liability.certificate(cert.serial)).toMatchObject({ capFen: 50_000_000, paidFen: 30_000_000 });
    const statuses = (await t.signet.service.liability.claims({ certificateSerial: cert.serial })).map((c) => c.status).sort();
    expect(statuses).toEqual(['paid', 'registered']);
  });

  it('keeps exactly one of two payments on the same node (one connection pool) when together they pass the cap', async () => {
    const cert = await issueFor(t.signet, t.dir, 'sub-ent-4', 'enterprise-signing');
    const a = await t.signet.service.liability.register('operator:a', { certificateSerial: cert.serial, amountFen: 40_000_000, claimant, description: 'A' });
    const b = await t.signet.service.liability.register('operator:b', { certificateSerial: cert.serial, amountFen: 10_000_001, claimant, description: 'B' });
    const results = await Promise.allSettled([t.signet.service.liability.pay('operator:a', a.id), t.signet.service.liability.pay('operator:b', b.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['service.liability-cap-exceeded']);
    expect((await t.signet.service.liability.certificate(cert.serial)).paidFen).toBeLessThanOrEqual(50_000_000);
  });

  it('is enforced by the database too: a raw UPDATE past the cap violates the CHECK constraint', async () => {
    const cert = await issueFor(t.signet, t.dir, 'sub-ent-3', 'enterprise-signing');
    const claim = await t.signet.service.liability.register('operator:a', { certificateSerial: cert.serial, amountFen: 100, claimant, description: 'C' });
    expect(claim.status).toBe('registered');
    await expect(sql`update service_liability_ledgers set paid_fen = cap_fen + 1 where certificate_serial = ${cert.serial}`.execute(t.signet.store.db)).rejects.toThrow(/check|constraint/i);
    expect((await t.signet.service.liability.certificate(cert.serial)).paidFen).toBe(0);
  });

  it('takes a cap configured for a policy (profile) over the default, and needs the subscriber type where the profile has none', async () => {
    await t.signet.service.liability.setCap('operator:admin', { policyId: 'individual-signing', subscriberType: 'individual', capFen: 5_000_000 });
    const cert = await issueFor(t.signet, t.dir, 'sub-ind-3', 'individual-signing');
    expect((await t.signet.service.liability.certificate(cert.serial)).capFen).toBe(5_000_000);
    const tls = await issueFor(t.signet, t.dir, 'sub-tls', 'tls-client');
    await expect(t.signet.service.liability.register('operator:a', { certificateSerial: tls.serial, amountFen: 100, claimant, description: 'x' })).rejects.toMatchObject({ code: 'service.subscriber-type-required', status: 400 });
    const typed = await t.signet.service.liability.register('operator:a', { certificateSerial: tls.serial, amountFen: 100, claimant, description: 'x', subscriberType: 'enterprise' });
    expect(typed.status).toBe('registered');
    expect((await t.signet.service.liability.certificate(tls.serial)).capFen).toBe(50_000_000);
    await expect(t.signet.service.liability.register('operator:a', { certificateSerial: 'ab12', amountFen: 100, claimant, description: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});
