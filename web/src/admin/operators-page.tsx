import { useState } from 'react';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { useOperator } from '../console/session';
import { useI18n } from '../i18n';
import { AdminPage } from './admin-nav';
import { oversight, ROLES, type OperatorAccount, type RaOrganisation, type Role } from './oversight-api';

const RA_ROLES: readonly Role[] = ['ra-admin', 'ra-officer', 'auditor'];

/** What each role may do, in words (src/ra/roles.ts and the route table decide; this says it). */
function RolesCard() {
  const { t } = useI18n();
  return (
    <Card title={t('operators.roles')}>
      <ul className="plain" data-testid="role-descriptions">
        {ROLES.map((role) => (
          <li key={role}>
            <strong>{t(`role.${role}`)}</strong>
            <br />
            {t(`operators.role-does.${role}`)}
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** The approval policy of each RA the caller can see: set by a CA administrator (issue 20). */
function ApprovalPolicies({ organisations, reload }: { organisations: RaOrganisation[]; reload: () => void }) {
  const { t } = useI18n();
  const { operator } = useOperator();
  const problem = useProblem([]);
  const [busy, setBusy] = useState(false);
  const shown = organisations.filter((o) => o.status === 'active' && (operator.raId === null || o.id === operator.raId));
  async function set(raId: string, policy: RaOrganisation['approvalPolicy']) {
    problem.clear();
    setBusy(true);
    try {
      await oversight.setApprovalPolicy(raId, policy);
      reload();
    } catch (error) {
      problem.report(error);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title={t('approval.policy')}>
      <p className="muted">{t('operators.policy-lead')}</p>
      <ul className="plain" data-testid="approval-policies">
        {shown.map((o) => (
          <li key={o.id} data-ra={o.id}>
            <strong>{o.name}</strong> · <span data-policy={o.approvalPolicy}>{t(`approval.policy.${o.approvalPolicy}`)}</span>
            {operator.role === 'ca-admin' && (
              <>
                {' '}
                <button type="button" className="small secondary" disabled={busy} onClick={() => void set(o.id, o.approvalPolicy === 'two-person' ? 'single-person' : 'two-person')}>
                  {t(o.approvalPolicy === 'two-person' ? 'operators.allow-single' : 'operators.require-two')}
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {problem.formError && <Alert>{problem.formError}</Alert>}
    </Card>
  );
}

function NewOperator({ organisations, onCreated }: { organisations: RaOrganisation[]; onCreated: (created: OperatorAccount) => void }) {
  const { t } = useI18n();
  const { operator } = useOperator();
  const caAdmin = operator.role === 'ca-admin';
  const grantable = caAdmin ? ROLES : RA_ROLES;
  const [form, setForm] = useState({ username: '', displayName: '', role: 'ra-officer' as Role, raId: operator.raId ?? organisations.find((o) => o.status === 'active')?.id ?? '', password: '' });
  const problem = useProblem(['username', 'displayName', 'role', 'raId', 'password']);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  // A CA administrator and a CA-wide auditor belong to no RA; RA roles always to one.
  const needsRa = form.role === 'ra-admin' || form.role === 'ra-officer';
  const mayChooseRa = caAdmin && form.role !== 'ca-admin';

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    problem.clear();
    setBusy(true);
    try {
      const raId = form.role === 'ca-admin' ? null : caAdmin ? (form.raId === '' ? null : form.raId) : operator.raId;
      const created = await oversight.createOperator({ username: form.username.trim(), displayName: form.displayName.trim() || undefined, role: form.role, raId, password: form.password });
      setForm({ ...form, username: '', displayName: '', password: '' });
      onCreated(created);
    } catch (error) {
      problem.report(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title={t('operators.new')}>
      <form onSubmit={(e) => void submit(e)} noValidate data-testid="new-operator">
        <div className="grid two">
          <Field label={t('operators.username')} name="username" error={problem.fieldErrors.username} hint={t('operators.username-hint')}>
            <input {...inputProps('username', problem.fieldErrors)} value={form.username} onChange={set('username')} autoComplete="off" />
          </Field>
          <Field label={t('operators.display-name')} name="displayName" error={problem.fieldErrors.displayName}>
            <input {...inputProps('displayName', problem.fieldErrors)} value={form.displayName} onChange={set('displayName')} />
          </Field>
          <Field label={t('operators.role')} name="role" error={problem.fieldErrors.role}>
            <select {...inputProps('role', problem.fieldErrors)} value={form.role} onChange={set('role')}>
              {grantable.map((role) => (
                <option key={role} value={role}>
                  {t(`role.${role}`)}
                </option>
              ))}
            </select>
          </Field>
          {mayChooseRa && (
            <Field label={t('operators.ra')} name="raId" error={problem.fieldErrors.raId}>
              <select {...inputProps('raId', problem.fieldErrors)} value={form.raId} onChange={set('raId')}>
                {!needsRa && <option value="">{t('operators.ca-wide')}</option>}
                {organisations
                  .filter((o) => o.status === 'active')
                  .map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
              </select>
            </Field>
          )}
          <Field label={t('operators.password')} name="password" error={problem.fieldErrors.password} hint={t('operators.password-hint')}>
            <input {...inputProps('password', problem.fieldErrors)} type="password" value={form.password} onChange={set('password')} autoComplete="new-password" />
          </Field>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? t('common.working') : t('operators.create')}
        </button>
        {problem.formError && <Alert>{problem.formError}</Alert>}
      </form>
    </Card>
  );
}

/** One account's row with what an administrator may do to it. */
function OperatorRow({ account, organisations, onChanged }: { account: OperatorAccount; organisations: RaOrganisation[]; onChanged: (message: string) => void }) {
  const { t, time } = useI18n();
  const { operator } = useOperator();
  const problem = useProblem(['role', 'password']);
  const [busy, setBusy] = useState(false);
  const [role, setRole] = useState<Role>(account.role);
  const [password, setPassword] = useState('');
  const mayManage = (operator.role === 'ca-admin' || operator.role === 'ra-admin') && account.username !== operator.username && !(operator.role === 'ra-admin' && account.role === 'ca-admin');
  const grantable = operator.role === 'ca-admin' ? ROLES : RA_ROLES;
  const raName = account.raId === null ? t('operators.ca-wide') : (organisations.find((o) => o.id === account.raId)?.name ?? account.raId);

  async function run(work: () => Promise<OperatorAccount>, message: string) {
    problem.clear();
    setBusy(true);
    try {
      await work();
      setPassword('');
      onChanged(message);
    } catch (error) {
      problem.report(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-operator={account.username}>
      <td data-label={t('operators.username')}>
        <strong>{account.displayName}</strong>
        <br />
        <code className="small">{account.username}</code>
      </td>
      <td data-label={t('operators.role')}>{t(`role.${account.role}`)}</td>
      <td data-label={t('operators.ra')}>{raName}</td>
      <td data-label={t('operators.status')}>
        <span className={`badge ${account.status === 'active' ? 'badge-verified' : 'badge-broken'}`} data-status={account.status}>
          {t(account.status === 'active' ? 'operators.active' : 'operators.disabled')}
        </span>
        {account.locked && (
          <>
            {' '}
            <span className="badge badge-broken" data-locked="true">
              {t('operators.locked')}
            </span>
          </>
        )}
        <br />
        <small className="muted">{time(account.createdAt)}</small>
      </td>
      <td data-label={t('operators.actions')}>
        {mayManage ? (
          <div className="operator-actions">
            <button
              type="button"
              className={`small ${account.status === 'active' ? 'danger' : 'secondary'}`}
              disabled={busy}
              data-action="status"
              onClick={() => void run(() => oversight.setStatus(account.id, account.status === 'active' ? 'disabled' : 'active'), t(account.status === 'active' ? 'operators.done-disabled' : 'operators.done-enabled', { username: account.username }))}
            >
              {t(account.status === 'active' ? 'operators.disable' : 'operators.enable')}
            </button>
            {account.locked && (
              <button type="button" className="small secondary" disabled={busy} onClick={() => void run(() => oversight.unlock(account.id), t('operators.done-unlocked', { username: account.username }))}>
                {t('operators.unlock')}
              </button>
            )}
            <span className="inline-form">
              <select aria-label={t('operators.new-role')} value={role} onChange={(e) => setRole(e.target.value as Role)} data-action="role-choice">
                {grantable.map((r) => (
                  <option key={r} value={r}>
                    {t(`role.${r}`)}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="small secondary"
                disabled={busy || role === account.role}
                data-action="role"
                onClick={() => void run(() => oversight.changeRole(account.id, role, role === 'ca-admin' ? null : (account.raId ?? operator.raId)), t('operators.done-role', { username: account.username, role: t(`role.${role}`) }))}
              >
                {t('operators.change-role')}
              </button>
            </span>
            <span className="inline-form">
              <input type="password" aria-label={t('operators.new-password')} placeholder={t('operators.new-password')} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
              <button type="button" className="small secondary" disabled={busy || password === ''} data-action="password" onClick={() => void run(() => oversight.resetPassword(account.id, password), t('operators.done-password', { username: account.username }))}>
                {t('operators.reset-password')}
              </button>
            </span>
            {(problem.formError || problem.fieldErrors.role || problem.fieldErrors.password) && <Alert>{problem.formError ?? problem.fieldErrors.role ?? problem.fieldErrors.password}</Alert>}
          </div>
        ) : (
          <span className="muted">{account.username === operator.username ? t('operators.yourself') : '—'}</span>
        )}
      </td>
    </tr>
  );
}

/**
 * Operators and roles (issue 20): an RA administrator staffs their own RA, a
 * CA administrator every RA; each change is the domain's (src/ra/operators.ts),
 * which refuses another RA's accounts whatever this page shows.
 */
export function OperatorsPage() {
  const { t } = useI18n();
  const { operator } = useOperator();
  const [done, setDone] = useState<string | null>(null);
  const data = useLoad(async () => {
    const [operators, organisations] = await Promise.all([oversight.operators(), oversight.organisations()]);
    return { operators, organisations };
  }, []);
  const manager = operator.role === 'ca-admin' || operator.role === 'ra-admin';

  if (operator.role === 'ra-officer') {
    return (
      <AdminPage title={t('admin.operators')} lead={t('operators.lead')}>
        <Alert kind="info">{t('operators.admins-only')}</Alert>
      </AdminPage>
    );
  }
  return (
    <AdminPage title={t('admin.operators')} lead={t('operators.lead')}>
      {done && <Alert kind="success">{done}</Alert>}
      {data.loading && !data.data && <Loading />}
      <LoadError error={data.error} />
      {data.data && (
        <>
          <Card title={t('operators.accounts')}>
            {data.data.operators.length === 0 ? (
              <p className="muted">{t('common.none')}</p>
            ) : (
              <div className="table-wrap">
                <table className="responsive" data-testid="operators">
                  <thead>
                    <tr>
                      <th>{t('operators.username')}</th>
                      <th>{t('operators.role')}</th>
                      <th>{t('operators.ra')}</th>
                      <th>{t('operators.status')}</th>
                      <th>{t('operators.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.data.operators.map((account) => (
                      <OperatorRow
                        key={`${account.id}:${account.role}:${account.status}:${account.locked}`}
                        account={account}
                        organisations={data.data!.organisations}
                        onChanged={(message) => {
                          setDone(message);
                          data.reload();
                        }}
                      />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          {manager && (
            <NewOperator
              organisations={data.data.organisations}
              onCreated={(created) => {
                setDone(t('operators.done-created', { username: created.username, role: t(`role.${created.role}`) }));
                data.reload();
              }}
            />
          )}
          <ApprovalPolicies organisations={data.data.organisations} reload={data.reload} />
          <RolesCard />
        </>
      )}
    </AdminPage>
  );
}
