import { useMemo, useState } from 'react';
import { Alert, Card, LoadError, Loading, Pager, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { ra, type PortalAccess } from './ra-api';
import { useOperator } from './session';

const PAGE_SIZE = 20;

/** Subscribers of the operator's RA, identifiers masked (R2); opening one is an audited read. */
export function SubscribersPage() {
  const { t, time } = useI18n();
  const officer = useOperator().operator.role === 'ra-officer';
  const data = useLoad(async () => {
    const [subscribers, applications] = await Promise.all([ra.subscribers(), ra.applications()]);
    return subscribers.map((s) => ({ ...s, latest: applications.filter((a) => a.subscriberId === s.id).sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))[0] }));
  }, []);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const rows = useMemo(() => (data.data ?? []).filter((s) => !search.trim() || s.name.includes(search.trim())), [data.data, search]);
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  // Portal access for a subscriber registered at the counter or locked out: confirmed first, as it ends the old code.
  const [confirming, setConfirming] = useState<{ id: string; name: string } | null>(null);
  const [access, setAccess] = useState<(PortalAccess & { name: string }) | null>(null);
  const [busy, setBusy] = useState(false);
  const problem = useProblem([]);
  async function issueAccess() {
    if (!confirming) return;
    problem.clear();
    setBusy(true);
    try {
      setAccess({ ...(await ra.portalAccess(confirming.id)), name: confirming.name });
      setConfirming(null);
    } catch (error) {
      problem.report(error);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="page">
      <div className="page-title">
        <h1>{t('subscribers.title')}</h1>
        <Link to="/console/subscribers/new" className="button">
          + {t('register.title')}
        </Link>
      </div>
      {confirming && (
        <Alert kind="warning">
          <span data-testid="portal-access-confirm">{t('subscribers.portal-access-confirm', { name: confirming.name })}</span>{' '}
          <button type="button" className="small" disabled={busy} onClick={() => void issueAccess()}>
            {busy ? t('common.working') : t('subscribers.portal-access-issue')}
          </button>{' '}
          <button type="button" className="small secondary" onClick={() => setConfirming(null)}>
            {t('subscribers.portal-access-cancel')}
          </button>
        </Alert>
      )}
      {problem.formError && <Alert>{problem.formError}</Alert>}
      {access && (
        <Card title={t('subscribers.portal-access-title', { name: access.name })}>
          <dl className="facts" data-testid="portal-access">
            <dt>{t('subscribers.tracking-number')}</dt>
            <dd>
              <code data-testid="tracking-number">{access.trackingNumber}</code>
            </dd>
            <dt>{t('subscribers.tracking-code')}</dt>
            <dd>
              <code data-testid="tracking-code">{access.trackingCode}</code>
            </dd>
          </dl>
          <p className="muted small">{t('subscribers.portal-access-once')}</p>
        </Card>
      )}
      <Card>
        <div className="filters">
          <label className="grow">
            {t('common.search')}
            <input type="search" value={search} onChange={(e) => { setSearch(e.target.value); setPage(1); }} />
          </label>
        </div>
        {data.loading && <Loading />}
        <LoadError error={data.error} />
        {shown.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('subscribers.name')}</th>
                  <th>{t('subscriber.type')}</th>
                  <th>{t('subscribers.identifier')}</th>
                  <th>{t('subscribers.registered')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {shown.map((s) => (
                  <tr key={s.id}>
                    <td data-label={t('subscribers.name')}>{s.name}</td>
                    <td data-label={t('subscriber.type')}>{t(`subscriber.type.${s.type}`)}</td>
                    <td data-label={t('subscribers.identifier')}>
                      <code>{s.identifierMasked}</code>
                    </td>
                    <td data-label={t('subscribers.registered')}>{time(s.createdAt)}</td>
                    <td>
                      {s.latest && (
                        <Link className="button small" to={`/console/applications/${s.latest.id}`}>
                          {t('common.open')}
                        </Link>
                      )}{' '}
                      {officer && (
                        <Link className="button small secondary" to={`/console/subscribers/${encodeURIComponent(s.id)}/change`} data-report-change={s.id}>
                          {t('changes.report')}
                        </Link>
                      )}{' '}
                      {officer && (
                        <button type="button" className="small secondary" data-portal-access={s.id} onClick={() => { setAccess(null); setConfirming({ id: s.id, name: s.name }); }}>
                          {t('subscribers.portal-access')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={page} pages={Math.max(1, Math.ceil(rows.length / PAGE_SIZE))} onPage={setPage} />
      </Card>
    </div>
  );
}
