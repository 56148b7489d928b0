import { useState, type FormEvent } from 'react';
import { admin, type MembershipPeriod, type RaOrganisation, type Succession } from '../admin/admin-api';
import { oversight } from '../admin/oversight-api';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { ra } from './ra-api';
import { useOperator } from './session';

function OrganisationBadge({ status }: { status: RaOrganisation['status'] }) {
  const { t } = useI18n();
  return (
    <span className={`badge badge-ra-${status}`} data-status={status}>
      {t(`organisations.status.${status}`)}
    </span>
  );
}

/** R18: an RA closes by merging into another or withdrawing; either way a successor inherits its subscribers and pending work. */
function CloseOrganisation({ ra, others, onClosed }: { ra: RaOrganisation; others: RaOrganisation[]; onClosed: (s: Succession) => void }) {
  const { t } = useI18n();
  const [how, setHow] = useState<'merge' | 'withdraw'>('merge');
  const [successor, setSuccessor] = useState(others[0]?.id ?? '');
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const problem = useProblem(['successor', 'reason', 'confirm']);

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!confirm) {
      problem.report(new Error(t('organisations.confirm-required')), {}, 'confirm');
      return;
    }
    setBusy(true);
    try {
      onClosed(how === 'merge' ? await admin.merge(ra.id, successor, reason.trim()) : await admin.withdraw(ra.id, successor, reason.trim()));
    } catch (error) {
      problem.report(error, { into: 'successor', successor: 'successor', raId: 'successor' }, 'successor');
    } finally {
      setBusy(false);
    }
  }

  const e = problem.fieldErrors;
  return (
    <form onSubmit={submit} noValidate className="close-ra" data-close={ra.id}>
      <fieldset className="choices inline">
        <legend>{t('organisations.how')}</legend>
        {(['merge', 'withdraw'] as const).map((h) => (
          <label key={h} className="choice">
            <input type="radio" name={`how-${ra.id}`} value={h} checked={how === h} onChange={() => setHow(h)} />
            <span>
              {t(`organisations.${h}`)}
              <small>{t(`organisations.${h}-hint`)}</small>
            </span>
          </label>
        ))}
      </fieldset>
      <Field label={how === 'merge' ? t('organisations.into') : t('organisations.successor')} name="successor" error={e.successor}>
        <select {...inputProps('successor', e)} value={successor} onChange={(ev) => setSuccessor(ev.target.value)}>
          {others.length === 0 && <option value="">{t('organisations.no-successor')}</option>}
          {others.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('organisations.reason')} name="reason" error={e.reason}>
        <input {...inputProps('reason', e)} value={reason} onChange={(ev) => setReason(ev.target.value)} />
      </Field>
      <div className={`field${e.confirm ? ' has-error' : ''}`} data-field="confirm">
        <label className="checkbox">
          <input id="f-confirm" type="checkbox" checked={confirm} onChange={(ev) => setConfirm(ev.target.checked)} />
          <span>{t('organisations.confirm', { name: ra.name })}</span>
        </label>
        {e.confirm && (
          <small className="field-error" role="alert">
            {e.confirm}
          </small>
        )}
      </div>
      {problem.formError && <Alert>{problem.formError}</Alert>}
      <button type="submit" className="danger" disabled={busy}>
        {busy ? t('common.working') : how === 'merge' ? t('organisations.do-merge') : t('organisations.do-withdraw')}
      </button>
    </form>
  );
}

const REASONS = ['registered', 'merged', 'withdrawn'] as const;

function History({ ra: organisation, names }: { ra: RaOrganisation; names: Map<string, string> }) {
  const { t, time } = useI18n();
  const data = useLoad(async () => {
    const [periods, subscribers] = await Promise.all([admin.history(organisation.id), ra.subscribers().catch(() => [])]);
    return { periods, people: new Map(subscribers.map((s) => [s.id, s.name])) };
  }, [organisation.id]);
  const why = (m: MembershipPeriod) => ((REASONS as readonly string[]).includes(m.reason) ? t(`organisations.reason.${m.reason as (typeof REASONS)[number]}`) : m.reason);
  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  if (data.data.periods.length === 0) return <p className="muted">{t('common.none')}</p>;
  return (
    <div className="table-wrap">
      <table className="responsive">
        <thead>
          <tr>
            <th>{t('disputes.subscriber')}</th>
            <th>{t('organisations.title-one')}</th>
            <th>{t('organisations.from')}</th>
            <th>{t('organisations.until')}</th>
            <th>{t('organisations.why')}</th>
          </tr>
        </thead>
        <tbody>
          {data.data.periods.map((m, i) => (
            <tr key={`${m.subscriberId}-${i}`}>
              <td data-label={t('disputes.subscriber')}>{data.data!.people.get(m.subscriberId) ?? <code className="break">{m.subscriberId}</code>}</td>
              <td data-label={t('organisations.title-one')}>{names.get(m.raId) ?? m.raId}</td>
              <td data-label={t('organisations.from')}>{time(m.from)}</td>
              <td data-label={t('organisations.until')}>{m.until ? time(m.until) : t('organisations.now')}</td>
              <td data-label={t('organisations.why')}>
                {m.predecessorRaId ? t('organisations.came-from', { how: why(m), from: names.get(m.predecessorRaId) ?? m.predecessorRaId }) : why(m)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The RAs under this CA, and what the CA administrator does when one merges or withdraws (R18). */
export function OrganisationsPage() {
  const { t, time } = useI18n();
  const { operator } = useOperator();
  const data = useLoad(admin.organisations, []);
  const [name, setName] = useState('');
  // A new RA created here starts with two-person approval; the operators page can relax it.
  const [policy, setPolicy] = useState<'two-person' | 'single-person'>('two-person');
  const [closing, setClosing] = useState<string | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const [done, setDone] = useState<Succession | null>(null);
  const [busy, setBusy] = useState(false);
  const create = useProblem(['name']);
  const isCaAdmin = operator.role === 'ca-admin';
  const mayReadHistory = operator.role !== 'ra-officer';

  async function add(event: FormEvent) {
    event.preventDefault();
    create.clear();
    setBusy(true);
    try {
      await oversight.createOrganisation(name.trim(), policy);
      setName('');
      data.reload();
    } catch (error) {
      create.report(error, {}, 'name');
    } finally {
      setBusy(false);
    }
  }

  const list = data.data ?? [];
  const names = new Map(list.map((o) => [o.id, o.name]));
  return (
    <div className="page">
      <h1>{t('organisations.title')}</h1>
      <p className="lead">{t('organisations.lead')}</p>
      {done && (
        <Alert kind="success">
          <span data-testid="succession">
            {t('organisations.closed', {
              name: done.ra.name,
              successor: done.successor.name,
              subscribers: done.subscribersMoved,
              applications: done.applicationsMoved,
              changes: done.changeRequestsMoved,
            })}
          </span>
        </Alert>
      )}
      {data.loading && !data.data && <Loading />}
      <LoadError error={data.error} />
      {list.map((o) => (
        <Card
          key={o.id}
          title={
            <>
              {o.name} <OrganisationBadge status={o.status} />
            </>
          }
        >
          <dl className="facts" data-ra={o.id}>
            <dt>ID</dt>
            <dd>
              <code>{o.id}</code>
            </dd>
            <dt>{t('organisations.created')}</dt>
            <dd>{time(o.createdAt)}</dd>
            {o.approvalPolicy && (
              <>
                <dt>{t('approval.policy')}</dt>
                <dd data-policy={o.approvalPolicy}>{t(`approval.policy.${o.approvalPolicy}`)}</dd>
              </>
            )}
            {o.closedAt && (
              <>
                <dt>{t('organisations.closed-at')}</dt>
                <dd>
                  {time(o.closedAt)}
                  {o.closingReason && <> · {o.closingReason}</>}
                </dd>
              </>
            )}
            {o.successorId && (
              <>
                <dt>{t('organisations.successor')}</dt>
                <dd>{names.get(o.successorId) ?? o.successorId}</dd>
              </>
            )}
          </dl>
          <div className="button-row">
            {mayReadHistory && (
              <button type="button" className="secondary small" aria-expanded={showing === o.id} onClick={() => setShowing(showing === o.id ? null : o.id)}>
                {t('organisations.history')}
              </button>
            )}
            {isCaAdmin && o.status === 'active' && (
              <button type="button" className="secondary small" aria-expanded={closing === o.id} onClick={() => setClosing(closing === o.id ? null : o.id)}>
                {t('organisations.close')}
              </button>
            )}
          </div>
          {showing === o.id && <History ra={o} names={names} />}
          {closing === o.id && (
            <CloseOrganisation
              ra={o}
              others={list.filter((x) => x.id !== o.id && x.status === 'active')}
              onClosed={(s) => {
                setDone(s);
                setClosing(null);
                data.reload();
              }}
            />
          )}
        </Card>
      ))}
      {isCaAdmin && (
        <Card title={t('organisations.create')}>
          <form onSubmit={add} noValidate className="inline-form">
            <Field label={t('organisations.name')} name="name" error={create.fieldErrors.name}>
              <input {...inputProps('name', create.fieldErrors)} value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label={t('approval.policy')} name="approvalPolicy">
              <select id="f-approvalPolicy" name="approvalPolicy" value={policy} onChange={(e) => setPolicy(e.target.value as 'two-person' | 'single-person')}>
                <option value="two-person">{t('approval.policy.two-person')}</option>
                <option value="single-person">{t('approval.policy.single-person')}</option>
              </select>
            </Field>
            <button type="submit" disabled={busy}>
              {t('organisations.add')}
            </button>
          </form>
          {create.formError && <Alert>{create.formError}</Alert>}
        </Card>
      )}
      {!isCaAdmin && <Alert kind="info">{t('organisations.ca-only')}</Alert>}
    </div>
  );
}
