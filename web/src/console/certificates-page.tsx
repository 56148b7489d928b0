import { useEffect, useState } from 'react';
import { CertificateDetail } from '../certificate-detail';
import { Card, LoadError, Loading, Pager, StatusBadge, useLoad } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { reasonKey } from '../public/status-page';
import { Link, useRouter } from '../router';
import { inventoryPage } from './inventory';
import { ra } from './ra-api';
import { Dn } from '../identifiers';

const PAGE_SIZE = 20;

/** Certificate inventory: search by serial, subject, status, expiry and RA, paged by the server; the dashboard links here with filters. */
export function InventoryPage() {
  const { t, time } = useI18n();
  const { query, navigate } = useRouter();
  const q = query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const status = query.get('status') ?? '';
  const expiring = query.get('expiring') ?? '';
  const issued = query.get('issued') ?? '';
  const reason = query.get('reason') ?? '';
  const raId = query.get('ra') ?? '';
  const setFilter = (name: string, value: string) => {
    const params = new URLSearchParams(window.location.search);
    if (value) params.set(name, value);
    else params.delete(name);
    if (name !== 'page') params.delete('page');
    navigate(`/console/certificates${params.size ? `?${params}` : ''}`, { replace: true });
  };
  // Typing searches after a pause, not on every key.
  useEffect(() => {
    if (search === q) return;
    const timer = window.setTimeout(() => setFilter('q', search.trim()), 300);
    return () => window.clearTimeout(timer);
  }, [search]);
  const inventory = useLoad(
    () => inventoryPage({ q, status, reason, raId, issuedOn: issued, expiringWithinDays: expiring, page, pageSize: PAGE_SIZE }),
    [q, status, reason, raId, issued, expiring, page],
  );
  const organisations = useLoad(() => ra.organisations().catch(() => []), []);
  const raName = (id: string | null) => (id ? (organisations.data?.find((o) => o.id === id)?.name ?? id.slice(0, 8)) : '—');
  const shown = inventory.data?.items ?? [];
  return (
    <div className="page">
      <h1>{t('inventory.title')}</h1>
      <Card>
        <div className="filters">
          <label className="grow">
            {t('common.search')}
            <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t('inventory.search-hint')} name="q" />
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
            <select value={expiring} onChange={(e) => setFilter('expiring', e.target.value)} name="expiring">
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
              {raId && <span className="chip">{raName(raId)}</span>}
              <button type="button" className="link" onClick={() => navigate('/console/certificates', { replace: true })}>
                {t('common.clear-filters')}
              </button>
            </p>
          )}
        </div>
        {inventory.loading && !inventory.data && <Loading />}
        <LoadError error={inventory.error} />
        {inventory.data && <p className="muted small" aria-live="polite">{t('inventory.count', { n: inventory.data.total })}</p>}
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
                      <Dn value={e.subject} />
                      {e.subscriberName && <span className="muted small"> · {e.subscriberName}</span>}
                    </td>
                    <td data-label={t('applications.status')}>
                      <StatusBadge status={e.status} />
                      {e.reason && <span className="muted small"> {t(reasonKey(e.reason))}</span>}
                    </td>
                    <td data-label={t('cert.not-after')}>{time(e.notAfter)}</td>
                    <td data-label="RA">{raName(e.raId)}</td>
                    <td>
                      <Link className="button small secondary" to={`/console/certificates/${e.serial}`}>
                        {t('cert.detail.open')}
                      </Link>{' '}
                      {e.applicationId && (
                        <Link className="button small" to={`/console/applications/${e.applicationId}`}>
                          {t('common.open')}
                        </Link>
                      )}{' '}
                      {e.status === 'good' && (
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
        {inventory.data && <Pager page={inventory.data.page} pages={inventory.data.pages} onPage={(n) => setFilter('page', String(n))} />}
      </Card>
    </div>
  );
}

/** One certificate in the console: status, downloads, and revocation while it is good. */
export function ConsoleCertificatePage({ serial }: { serial: string }) {
  const { t } = useI18n();
  return (
    <CertificateDetail
      serial={serial}
      crumbs={
        <>
          <Link to="/console/certificates">{t('inventory.title')}</Link> ›
        </>
      }
      actions={(status) =>
        status.status === 'good' && (
          <Link className="button danger" to={`/console/revoke?serial=${status.serial}`}>
            {t('revoke.action')}
          </Link>
        )
      }
    />
  );
}
