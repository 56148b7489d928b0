import { useMemo, useState } from 'react';
import { Card, LoadError, Loading, Pager, StatusBadge, useLoad } from '../components';
import { shanghaiDay, useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { reasonKey } from '../public/status-page';
import { Link, useRouter } from '../router';
import { daysUntil, loadInventory } from './inventory';

const PAGE_SIZE = 20;

/** Certificate inventory: search by serial, subject, status, expiry and RA, with paging; the dashboard links here with filters. */
export function InventoryPage() {
  const { t, time } = useI18n();
  const { query, navigate } = useRouter();
  const inventory = useLoad(loadInventory, []);
  const [search, setSearch] = useState(query.get('q') ?? '');
  const [page, setPage] = useState(1);
  const status = query.get('status') ?? '';
  const expiring = Number(query.get('expiring') ?? 0);
  const issued = query.get('issued') ?? '';
  const reason = query.get('reason') ?? '';
  const raId = query.get('ra') ?? '';
  const setFilter = (name: string, value: string) => {
    const params = new URLSearchParams(window.location.search);
    if (value) params.set(name, value);
    else params.delete(name);
    setPage(1);
    navigate(`/console/certificates${params.size ? `?${params}` : ''}`, { replace: true });
  };
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase().replace(/:/g, '');
    return (inventory.data?.entries ?? [])
      .filter((e) => !status || e.status?.status === status)
      .filter((e) => !reason || e.status?.reason === reason)
      .filter((e) => !raId || e.application.raId === raId)
      .filter((e) => !issued || (e.status && shanghaiDay(e.status.notBefore) === issued))
      .filter((e) => !expiring || (e.status?.status === 'good' && daysUntil(e.status.notAfter) <= expiring))
      .filter((e) => !needle || `${e.serial} ${e.status?.subject ?? ''} ${e.subscriber?.name ?? ''}`.toLowerCase().includes(needle))
      .sort((a, b) => (b.status?.notBefore ?? '').localeCompare(a.status?.notBefore ?? ''));
  }, [inventory.data, search, status, reason, raId, issued, expiring]);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return (
    <div className="page">
      <h1>{t('inventory.title')}</h1>
      <Card>
        <div className="filters">
          <label className="grow">
            {t('common.search')}
            <input type="search" value={search} onChange={(e) => { setSearch(e.target.value); setPage(1); }} placeholder={t('inventory.search-hint')} name="q" />
          </label>
          <label>
            {t('applications.status')}
            <select value={status} onChange={(e) => setFilter('status', e.target.value)} name="status">
              <option value="">{t('common.all')}</option>
              {['good', 'revoked', 'expired'].map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('inventory.expiring')}
            <select value={expiring || ''} onChange={(e) => setFilter('expiring', e.target.value)} name="expiring">
              <option value="">{t('common.all')}</option>
              {[30, 60, 90].map((d) => (
                <option key={d} value={d}>
                  {t('inventory.within-days', { n: d })}
                </option>
              ))}
            </select>
          </label>
          {(issued || reason || raId) && (
            <p className="active-filters">
              {issued && <span className="chip">{t('inventory.issued-on', { day: issued })}</span>}
              {reason && <span className="chip">{t(reasonKey(reason))}</span>}
              {raId && <span className="chip">RA {raId}</span>}
              <button type="button" className="link" onClick={() => navigate('/console/certificates', { replace: true })}>
                {t('common.clear-filters')}
              </button>
            </p>
          )}
        </div>
        {inventory.loading && <Loading />}
        <LoadError error={inventory.error} />
        {inventory.data && <p className="muted small">{t('inventory.count', { n: rows.length })}</p>}
        {shown.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('cert.serial')}</th>
                  <th>{t('cert.subject')}</th>
                  <th>{t('applications.status')}</th>
                  <th>{t('cert.not-after')}</th>
                  <th>RA</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr key={e.serial} data-serial={e.serial}>
                    <td data-label={t('cert.serial')}>
                      <code className="small break">{e.serial}</code>
                    </td>
                    <td data-label={t('cert.subject')} className="break">
                      {e.status?.subject ?? e.subscriber?.name}
                    </td>
                    <td data-label={t('applications.status')}>{e.status ? <StatusBadge status={e.status.status} /> : '—'}</td>
                    <td data-label={t('cert.not-after')}>{time(e.status?.notAfter)}</td>
                    <td data-label="RA">
                      <code className="small">{e.application.raId.slice(0, 8)}</code>
                    </td>
                    <td>
                      <Link className="button small" to={`/console/applications/${e.application.id}`}>
                        {t('common.open')}
                      </Link>{' '}
                      {e.status?.status === 'good' && (
                        <Link className="button small danger" to={`/console/revoke?serial=${e.serial}`}>
                          {t('revoke.action')}
                        </Link>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={page} pages={pages} onPage={setPage} />
      </Card>
    </div>
  );
}
