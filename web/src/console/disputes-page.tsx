import { useState } from 'react';
import { admin, DISPUTE_PATH, type DisputeState } from '../admin/admin-api';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link, useRouter } from '../router';
import { ra } from './ra-api';
import { useOperator } from './session';
import { Actor } from '../identifiers';

export function DisputeBadge({ state }: { state: DisputeState }) {
  const { t } = useI18n();
  return (
    <span className={`badge badge-dispute-${state}`} data-state={state}>
      {t(`disputes.state.${state}`)}
    </span>
  );
}

/** The subscriber's name from the RA's list (masked identifiers, no audited full read); the id when the RA does not know them. */
function subscriberNames(): Promise<Map<string, string>> {
  return ra.subscribers().then(
    (list) => new Map(list.map((s) => [s.id, s.name])),
    () => new Map<string, string>(),
  );
}

function Subscriber({ id, names }: { id: string; names: Map<string, string> }) {
  const name = names.get(id);
  return name ? (
    <span>{name}</span>
  ) : (
    <code className="break">{id}</code>
  );
}

/** R10: disputes, the open ones first; each moves on through negotiation and arbitration to closure. */
export function DisputesPage() {
  const { t, time } = useI18n();
  const { query, navigate } = useRouter();
  const open = query.get('open') !== 'false';
  const data = useLoad(async () => {
    const [disputes, people] = await Promise.all([admin.disputes(open), subscriberNames()]);
    return { disputes, people };
  }, [open]);
  return (
    <div className="page">
      <h1>{t('disputes.title')}</h1>
      <p className="lead">{t('disputes.lead')}</p>
      <Card>
        <div className="filters">
          <label>
            {t('applications.status')}
            <select name="open" value={open ? 'true' : 'false'} onChange={(e) => navigate(`/console/disputes?open=${e.target.value}`, { replace: true })}>
              <option value="true">{t('disputes.open')}</option>
              <option value="false">{t('common.all')}</option>
            </select>
          </label>
        </div>
        {data.loading && <Loading />}
        <LoadError error={data.error} />
        {data.data && data.data.disputes.length === 0 && <p className="muted">{t('common.none')}</p>}
        {data.data && data.data.disputes.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('disputes.filed')}</th>
                  <th>{t('disputes.discovered')}</th>
                  <th>{t('disputes.subscriber')}</th>
                  <th>{t('applications.status')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.data.disputes.map((d) => (
                  <tr key={d.id} data-dispute={d.id}>
                    <td data-label={t('disputes.filed')}>{time(d.filedAt)}</td>
                    <td data-label={t('disputes.discovered')}>{d.discoveredOn}</td>
                    <td data-label={t('disputes.subscriber')}>
                      <Subscriber id={d.subscriberId} names={data.data!.people} />
                    </td>
                    <td data-label={t('applications.status')}>
                      <DisputeBadge state={d.state} />
                    </td>
                    <td>
                      <Link to={`/console/disputes/${encodeURIComponent(d.id)}`}>{t('common.open')}</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted small">{t('disputes.rule')}</p>
      </Card>
    </div>
  );
}

/** Where the dispute stands on the agreement's path (III.4), as a row of steps. */
function DisputePath({ state, visited }: { state: DisputeState; visited: Set<string> }) {
  const { t } = useI18n();
  return (
    <ol className="dispute-path" aria-label={t('disputes.path')}>
      {DISPUTE_PATH.map((s) => (
        <li key={s} className={s === state ? 'current' : visited.has(s) ? 'done' : 'todo'} aria-current={s === state ? 'step' : undefined}>
          {t(`disputes.state.${s}`)}
        </li>
      ))}
    </ol>
  );
}

export function DisputePage({ id }: { id: string }) {
  const { t, time } = useI18n();
  const { operator } = useOperator();
  const data = useLoad(async () => {
    const [dispute, people] = await Promise.all([admin.dispute(id), subscriberNames()]);
    return { ...dispute, people };
  }, [id]);
  const [to, setTo] = useState<DisputeState | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [moved, setMoved] = useState<DisputeState | null>(null);
  const problem = useProblem(['to', 'note']);

  async function advance() {
    problem.clear();
    const next = to || data.data?.next[0];
    if (!next) return;
    setBusy(true);
    try {
      const answer = await admin.advanceDispute(id, next, note);
      setMoved(answer.state);
      setNote('');
      setTo('');
      data.reload();
    } catch (error) {
      problem.report(error, { state: 'to' }, 'note');
    } finally {
      setBusy(false);
    }
  }

  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  const d = data.data;
  const chosen = to || d.next[0];
  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/console/disputes">{t('disputes.title')}</Link> ›
      </p>
      <div className="page-title">
        <h1>
          {t('disputes.one')} <DisputeBadge state={d.state} />
        </h1>
      </div>
      <DisputePath state={d.state} visited={new Set(d.events.map((e) => e.to))} />
      {moved && <Alert kind="success">{t('disputes.moved', { state: t(`disputes.state.${moved}`) })}</Alert>}
      <div className="grid two">
        <Card title={t('disputes.facts')}>
          <dl className="facts">
            <dt>{t('disputes.subscriber')}</dt>
            <dd>
              <Subscriber id={d.subscriberId} names={d.people} />
            </dd>
            {d.certificateSerial && (
              <>
                <dt>{t('cert.serial')}</dt>
                <dd>
                  <Link to={`/status?serial=${d.certificateSerial}`}>
                    <code className="break">{d.certificateSerial}</code>
                  </Link>
                </dd>
              </>
            )}
            <dt>{t('disputes.discovered')}</dt>
            <dd>{d.discoveredOn}</dd>
            <dt>{t('disputes.filed')}</dt>
            <dd>{time(d.filedAt)}</dd>
            <dt>{t('disputes.description')}</dt>
            <dd className="break">{d.description}</dd>
            {d.outcome && (
              <>
                <dt>{t('disputes.outcome')}</dt>
                <dd className="break">{d.outcome}</dd>
              </>
            )}
          </dl>
        </Card>
        <Card title={t('disputes.next')}>
          {d.next.length === 0 ? (
            <p className="muted">{t('disputes.final')}</p>
          ) : operator.role !== 'ca-admin' ? (
            <Alert kind="info">{t('disputes.ca-only')}</Alert>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void advance();
              }}
              noValidate
            >
              <Field label={t('disputes.to')} name="to" error={problem.fieldErrors.to}>
                <select {...inputProps('to', problem.fieldErrors)} value={chosen} onChange={(e) => setTo(e.target.value as DisputeState)}>
                  {d.next.map((s) => (
                    <option key={s} value={s}>
                      {t(`disputes.state.${s}`)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('disputes.note')} name="note" error={problem.fieldErrors.note} hint={t('disputes.note-hint')}>
                <textarea {...inputProps('note', problem.fieldErrors)} value={note} onChange={(e) => setNote(e.target.value)} rows={3} />
              </Field>
              {problem.formError && <Alert>{problem.formError}</Alert>}
              <button type="submit" className={chosen === 'closed' ? 'danger' : undefined} disabled={busy}>
                {busy ? t('common.working') : t('disputes.advance')}
              </button>
            </form>
          )}
        </Card>
      </div>
      <Card title={t('disputes.history')}>
        <ol className="timeline" data-testid="dispute-history">
          {[...d.events].reverse().map((e, i) => (
            <li key={`${e.at}-${i}`} data-to={e.to}>
              <h3>
                <DisputeBadge state={e.to} /> {time(e.at)}
              </h3>
              <p className="muted small">
                <Actor id={e.actor} />
              </p>
              <p className="break">{e.note}</p>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
