import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';

afterAll(dropFreshStores);

const PASSWORD = 'correct horse battery';

describe.each(storeBackends)('operator and role management on %s (issue 19 item 3, R18, R20)', (backend) => {
  let t: TestSignet;
  const admin = bootstrapPrincipal('cli', 'test');

  beforeAll(async () => {
    t = await openTestSignet(backend);
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('disables and enables accounts (sessions stop at once), changes roles within the rules, resets passwords; audited, nothing changed when refused', async () => {
    const { organisations, operators } = t.signet.ra;
    const ra = await organisations.create(admin, { name: '管理测试注册机构' });
    const other = await organisations.create(admin, { name: '另一注册机构' });
    const chief = await operators.create(admin, { username: 'chief', role: 'ra-admin', raId: ra.id, password: PASSWORD });
    const clerk = await operators.create(admin, { username: 'clerk', role: 'ra-officer', raId: ra.id, password: PASSWORD });
    const root = await operators.create(admin, { username: 'root-admin', role: 'ca-admin', password: PASSWORD });
    const asChief: Principal = { operatorId: chief.id, username: 'chief', role: 'ra-admin', raId: ra.id, via: 'session' };

    const session = await operators.login('clerk', PASSWORD, '192.0.2.7');
    await expect(operators.sessionPrincipal(session.sessionToken, null)).resolves.toMatchObject({ username: 'clerk' });
    expect(await operators.setStatus(asChief, clerk.id, 'disabled', '离职')).toMatchObject({ status: 'disabled' });
    await expect(operators.sessionPrincipal(session.sessionToken, null)).rejects.toMatchObject({ code: 'ra.operator-disabled', status: 403 });
    await expect(operators.setStatus(asChief, clerk.id, 'disabled')).rejects.toMatchObject({ code: 'ra.operator-already-disabled', status: 409 });
    await operators.setStatus(asChief, clerk.id, 'active');
    await expect(operators.sessionPrincipal(session.sessionToken, null)).resolves.toMatchObject({ username: 'clerk' });

    // An RA administrator: only inside their RA, never a CA administrator, never themselves.
    await expect(operators.setStatus(asChief, chief.id, 'disabled')).rejects.toMatchObject({ code: 'ra.operator-self', status: 409 });
    await expect(operators.setStatus(asChief, root.id, 'disabled')).rejects.toMatchObject({ status: 403 });
    await expect(operators.changeRole(asChief, clerk.id, { role: 'ca-admin' })).rejects.toMatchObject({ code: 'ra.role-not-grantable', status: 403 });
    await expect(operators.changeRole(asChief, clerk.id, { role: 'ra-officer', raId: other.id })).rejects.toMatchObject({ code: 'ra.other-ra', status: 403 });
    await expect(operators.changeRole(admin, clerk.id, { role: 'ra-officer', raId: ra.id })).rejects.toMatchObject({ code: 'ra.operator-role-unchanged', status: 409 });
    await expect(operators.changeRole(admin, clerk.id, { role: 'chief' })).rejects.toMatchObject({ code: 'ra.unknown-role', status: 400 });
    expect(await operators.changeRole(asChief, clerk.id, { role: 'auditor' })).toMatchObject({ role: 'auditor', raId: ra.id });
    // The next request already acts in the new role.
    await expect(operators.sessionPrincipal(session.sessionToken, null)).resolves.toMatchObject({ role: 'auditor' });

    await expect(operators.resetPassword(asChief, clerk.id, 'short')).rejects.toMatchObject({ code: 'ra.weak-password', status: 400 });
    await operators.resetPassword(asChief, clerk.id, 'a new long password');
    await expect(operators.login('clerk', PASSWORD, '192.0.2.7')).rejects.toMatchObject({ code: 'ra.login-failed' });
    await expect(operators.login('clerk', 'a new long password', '192.0.2.7')).resolves.toMatchObject({ operator: { username: 'clerk' } });

    const actions = (await t.signet.store.db.selectFrom('audit_entries').select(['action', 'details']).where('target', '=', `operator:${clerk.id}`).orderBy('seq').execute()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['ra.operator-disabled', 'ra.operator-enabled', 'ra.operator-role-changed', 'ra.operator-password-reset']));
    expect(JSON.stringify(await t.signet.store.db.selectFrom('audit_entries').select('details').where('action', '=', 'ra.operator-password-reset').execute())).not.toContain('a new long password');
  });
});
