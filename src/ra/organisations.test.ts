import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('RA succession on %s (R18)', (backend) => {
  let t: TestSignet;
  const admin = bootstrapPrincipal('cli', 'test');
  const officerOf = (raId: string): Principal => ({ operatorId: null, username: `officer-${raId}`, role: 'ra-officer', raId, via: 'cli' });

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('keeps every period when an RA withdraws and its successor later merges: the living RA inherits, the chain points at it', async () => {
    const { organisations, subscribers } = t.signet.ra;
    const a = await organisations.create(admin, { name: '甲' });
    const b = await organisations.create(admin, { name: '乙' });
    const c = await organisations.create(admin, { name: '丙' });
    const subscriber = await subscribers.register(
      officerOf(a.id),
      {
        record: { type: 'individual', name: '孙八', idType: 'resident-id', idNumber: '11010519491231002X', phone: '13600136000', email: 'sun@example.cn' },
        consent: { agreementVersion: 'v1', accepted: true },
      },
      '192.0.2.1',
    );

    const withdrawn = await organisations.withdraw(admin, a.id, { successor: b.id, reason: '停业' });
    expect(withdrawn).toMatchObject({ subscribersMoved: 1, ra: { status: 'withdrawn', successorId: b.id } });
    await organisations.merge(admin, b.id, { into: c.id });
    expect((await organisations.get(a.id)).successorId).toBe(c.id);
    expect((await subscribers.list(officerOf(c.id))).map((s) => s.id)).toEqual([subscriber.id]);
    await expect(subscribers.list(officerOf(a.id)).then((l) => l.length)).resolves.toBe(0);

    const history = await organisations.history(admin, b.id);
    expect(history.map((p) => [p.raId, p.reason, p.predecessorRaId, p.until === null])).toEqual([
      [b.id, 'withdrawn', a.id, false],
      [c.id, 'merged', b.id, true],
    ]);

    // A closed RA neither succeeds nor is succeeded again, and nothing moves when it is refused.
    await expect(organisations.merge(admin, a.id, { into: c.id })).rejects.toMatchObject({ status: 409, code: 'ra.closed' });
    await expect(organisations.withdraw(admin, c.id, { successor: b.id })).rejects.toMatchObject({ status: 409, code: 'ra.closed' });
    await expect(organisations.merge(admin, c.id, { into: c.id })).rejects.toMatchObject({ status: 400, code: 'ra.successor-is-self' });
    await expect(organisations.merge(officerOf(c.id), c.id, { into: b.id })).rejects.toMatchObject({ status: 403, code: 'ra.role-not-admitted' });
  });
});
