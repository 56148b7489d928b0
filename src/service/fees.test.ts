import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { revokeCertificate } from '../status/revocation.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { issueFor } from './test-support/certificates.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('fees on %s (R9)', (backend) => {
  let t: TestSignet;
  let now = new Date('2026-11-02T02:00:00.000Z');

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('keeps a fee standard per RA and product (profile × validity), queryable as in force at a date', async () => {
    const fees = t.signet.service.fees;
    await fees.setSchedule('operator:admin', { raId: 'ra-gz', profileId: 'enterprise-signing', validityDays: 365, amountFen: 30_000 });
    await fees.setSchedule('operator:admin', { raId: 'ra-gz', profileId: 'enterprise-signing', validityDays: 730, amountFen: 50_000 });
    await fees.setSchedule('operator:admin', { raId: 'ra-gz', profileId: 'enterprise-signing', validityDays: 365, amountFen: 32_000, effectiveFrom: '2027-01-01T00:00:00+08:00' });
    expect((await fees.schedules({ raId: 'ra-gz' })).map((s) => [s.validityDays, s.amountFen, s.amountShown])).toEqual([
      [365, 30_000, '¥300.00'],
      [730, 50_000, '¥500.00'],
    ]);
    expect((await fees.schedules({ raId: 'ra-gz', at: new Date('2027-01-01T00:00:00+08:00') })).map((s) => s.amountFen)).toEqual([32_000, 50_000]);
    await expect(fees.setSchedule('operator:admin', { raId: 'ra-gz', profileId: 'root-ca', validityDays: 365, amountFen: 1 })).rejects.toMatchObject({ status: 400, field: 'profileId' });
    await expect(fees.setSchedule('operator:admin', { raId: 'ra-gz', profileId: 'enterprise-signing', validityDays: 365, amountFen: '300.00' })).rejects.toMatchObject({ code: 'service.bad-amount' });
  });

  it('gates issuance on payment when the RA says so: 402 until the charge for the period is paid in full', async () => {
    const fees = t.signet.service.fees;
    const period = { raId: 'ra-gz', purpose: 'issuance' as const, reference: 'app-1' };
    expect(await fees.paymentGate(period)).toEqual({ required: false, paid: false, chargeId: null });
    await fees.requirePayment(period); // not required yet
    await fees.configure('operator:admin', 'ra-gz', { paymentRequired: true, reminderDays: 30 });
    await expect(fees.requirePayment(period)).rejects.toMatchObject({ code: 'service.payment-required', status: 402 });

    const charge = await fees.charge('operator:clerk', { raId: 'ra-gz', subscriberId: 'sub-1', purpose: 'issuance', reference: 'app-1', profileId: 'enterprise-signing', validityDays: 365 });
    expect(charge).toMatchObject({ amountFen: 30_000, paidFen: 0, status: 'due', periodRef: 'application:app-1' });
    // One charge per certificate period: charging again returns the same one.
    expect((await fees.charge('operator:clerk', { raId: 'ra-gz', subscriberId: 'sub-1', purpose: 'issuance', reference: 'app-1', profileId: 'enterprise-signing', validityDays: 365 })).id).toBe(charge.id);

    await fees.recordPayment('operator:cashier', charge.id, { amountFen: 10_000, method: 'bank-transfer', reference: 'TX-1' });
    await expect(fees.requirePayment(period)).rejects.toMatchObject({ status: 402 });
    await expect(fees.recordPayment('operator:cashier', charge.id, { amountFen: 20_001, method: 'bank-transfer' })).rejects.toMatchObject({ code: 'service.overpayment', status: 409 });
    const settled = await fees.recordPayment('operator:cashier', charge.id, { amountFen: 20_000, method: 'bank-transfer', reference: 'TX-2' });
    expect(settled).toMatchObject({ status: 'paid', paidFen: 30_000 });
    await fees.requirePayment(period);
    await expect(fees.charge('operator:clerk', { raId: 'ra-gz', subscriberId: 'sub-2', purpose: 'renewal', reference: 'abcd', profileId: 'enterprise-signing', validityDays: 90 })).rejects.toMatchObject({
      code: 'service.no-fee-schedule',
      status: 409,
    });
  });

  it('lists charges with what was paid on each, asking the store twice however many charges there are (issue 16)', async () => {
    const fees = t.signet.service.fees;
    await fees.setSchedule('operator:admin', { raId: 'ra-list', profileId: 'enterprise-signing', validityDays: 365, amountFen: 1_000 });
    const made = [];
    for (let i = 0; i < 12; i++) made.push(await fees.charge('operator:clerk', { raId: 'ra-list', subscriberId: `sub-l${i}`, purpose: 'issuance', reference: `list-${i}`, profileId: 'enterprise-signing', validityDays: 365 }));
    for (let i = 0; i < 12; i += 3) {
      await fees.recordPayment('operator:cashier', made[i]!.id, { amountFen: 400, method: 'cash' });
      await fees.recordPayment('operator:cashier', made[i]!.id, { amountFen: 150 * (i / 3 + 1), method: 'cash' });
    }
    const db = (fees as unknown as { context: { db: { selectFrom: (...args: never[]) => unknown } } }).context.db;
    const queries = vi.spyOn(db, 'selectFrom');
    try {
      const listed = await fees.charges({ raId: 'ra-list' });
      const paidOn = new Map(listed.map((c) => [c.id, [c.paidFen, c.status]]));
      expect(made.map((c) => paidOn.get(c.id))).toEqual(made.map((_, i) => (i % 3 === 0 ? [400 + 150 * (i / 3 + 1), i === 9 ? 'paid' : 'due'] : [0, 'due'])));
      expect(queries).toHaveBeenCalledTimes(2);
    } finally {
      queries.mockRestore();
    }
  });

  it('queues one renewal reminder per certificate inside its RA reminder window, none for revoked ones', async () => {
    now = new Date('2026-11-02T02:00:00.000Z');
    const soon = await issueFor(t.signet, t.dir, 'sub-soon', 'enterprise-signing', 40);
    const later = await issueFor(t.signet, t.dir, 'sub-later', 'enterprise-signing', 90);
    const revoked = await issueFor(t.signet, t.dir, 'sub-revoked', 'enterprise-signing', 40);
    await revokeCertificate(t.signet.ca, { serial: revoked.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'subscriber:sub-revoked' });
    const raOf = async () => 'ra-gz';
    now = new Date('2026-11-20T02:00:00.000Z'); // 22 days before sub-soon's certificate ends, 70 before sub-later's
    expect(await t.signet.service.fees.queueRenewalReminders(raOf)).toBe(1);
    expect(await t.signet.service.fees.queueRenewalReminders(raOf)).toBe(0);
    const reminders = await t.signet.service.outbox.list({ kind: 'renewal-reminder' });
    expect(reminders.map((r) => r.recipient)).toEqual(['subscriber:sub-soon']);
    expect(reminders[0]!.body['zh-CN']).toContain(soon.serial);
    expect(later.serial).not.toBe(soon.serial);
  });
});
