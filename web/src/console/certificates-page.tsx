import { useEffect, useState } from 'react';
import { CertificateDetail } from '../certificate-detail';
import { Card, LoadError, Loading, StatusBadge, useLoad } from '../components';
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
  const after = query.get('after') ?? '';
  const before = query.get('before') ?? '';
  const status = query.get('status') ?? '';
  const expiring = query.get('expiring') ?? '';
  const issued = query.get('issued') ?? '';
  const reason = query.get('reason') ?? '';
  const raId = query.get('ra') ?? '';
  const setFilter = (name: string, value: string) => {
    const params = new URLSearchParams(window.location.search);
    if (value) params.set(name, value);
    else params.delete(name);
    // A new search or filter starts at the top; paging keeps the filters and moves the cursor.
    params.delete('after');
    params.delete('before');
    if (value && (name === 'after' || name === 'before')) params.set(name, value);
    navigate(`/console/certificates${params.size ? `?${params}` : ''}`, { replace: true });
  };
  // Typing searches after a pause, not on every key.
  useEffect(() => {
    if (search === q) return;
    const timer = window.setTimeout(() => setFilter('q', search.trim()), 300);
    return () => window.clearTimeout(timer);
  }, [search]);
  const inventory = useLoad(
    () => inventoryPage({ q, status, reason, raId, issuedOn: issued, expiringWithinDays: expiring, after, before, pageSize: PAGE_SIZE }),
    [q, status, reason, raId, issued, expiring, after, before],
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
        {inventory.data && (
          <p className="muted small" aria-live="polite">
            {t(inventory.data.totalExact ? 'inventory.count' : 'inventory.count-at-least', { n: inventory.data.total })}
          </p>
        )}
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
        {inventory.data && (
          <KeysetPager
            previous={inventory.data.previous}
            next={inventory.data.next}
            onPrevious={(cursor) => setFilter('before', cursor)}
            onNext={(cursor) => setFilter('after', cursor)}
            onFirst={after || before ? () => setFilter('after', '') : undefined}
          />
        )}
      </Card>
    </div>
  );
}

/**
 * Previous and next by keyset cursor (issue 22): the server continues from the
 * last row shown through its index, so the millionth row costs what the first
 * does. There are no page numbers to jump to; the search finds a certificate.
 */
function KeysetPager(props: { previous: string | null; next: string | null; onPrevious: (cursor: string) => void; onNext: (cursor: string) => void; onFirst?: () => void }) {
  const { t } = useI18n();
  if (!props.previous && !props.next && !props.onFirst) return null;
  return (
    <nav className="pager" aria-label={t('common.pages')}>
      <button type="button" className="secondary" disabled={!props.previous} onClick={() => props.previous && props.onPrevious(props.previous)}>
        ‹ {t('common.previous')}
      </button>
      {props.onFirst && (
        <button type="button" className="link" onClick={props.onFirst}>
          {t('inventory.first-page')}
        </button>
      )}
      <button type="button" className="secondary" disabled={!props.next} onClick={() => props.next && props.onNext(props.next)}>
        {t('common.next')} ›
      </button>
    </nav>
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
