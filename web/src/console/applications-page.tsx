import { useMemo, useState } from 'react';
import { Card, LoadError, Loading, Pager, StatusBadge, useLoad } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { Link, useRouter } from '../router';
import { AGE_BUCKETS, ageInDays, ra } from './ra-api';
import { waited } from '../words';

const PAGE_SIZE = 20;
const STATUSES = ['', 'submitted', 'in-review', 'approved', 'rejected', 'completed'] as const;

/** R4: the review queue: oldest waiting first, filterable by status and age (the dashboard links here). */
export function ApplicationsPage() {
  const { t, time } = useI18n();
  const { query, navigate } = useRouter();
  const status = query.get('status') ?? '';
  const age = query.get('age') ?? '';
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const data = useLoad(async () => {
    const [applications, subscribers] = await Promise.all([ra.applications(status || undefined), ra.subscribers()]);
    const names = new Map(subscribers.map((s) => [s.id, s]));
    return applications.map((a) => ({ ...a, subscriber: names.get(a.subscriberId) }));
  }, [status]);
  const rows = useMemo(() => {
    const bucket = AGE_BUCKETS.find((b) => b.id === age);
    return (data.data ?? [])
      .filter((a) => !bucket || (ageInDays(a.submittedAt) >= bucket.min && ageInDays(a.submittedAt) < bucket.max))
      .filter((a) => !search.trim() || `${a.subscriber?.name ?? ''} ${a.id} ${a.certificateSerial ?? ''}`.toLowerCase().includes(search.trim().toLowerCase()))
      .sort((x, y) => x.submittedAt.localeCompare(y.submittedAt));
  }, [data.data, age, search]);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const filter = (next: { status?: string; age?: string }) => {
    const params = new URLSearchParams();
    const s = next.status ?? status;
    const a = next.age ?? age;
    if (s) params.set('status', s);
    if (a) params.set('age', a);
    setPage(1);
    navigate(`/console/applications${params.size ? `?${params}` : ''}`, { replace: true });
  };

  return (
    <div className="page">
      <div className="page-title">
        <h1>{t('applications.title')}</h1>
        <Link to="/console/subscribers/new" className="button">
          + {t('register.title')}
        </Link>
      </div>
      <Card>
        <div className="filters">
          <label>
            {t('applications.status')}
            <select value={status} onChange={(e) => filter({ status: e.target.value })} name="status">
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s ? t(`application.status.${s}` as MessageKey) : t('common.all')}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('applications.age')}
            <select value={age} onChange={(e) => filter({ age: e.target.value })} name="age">
              <option value="">{t('common.all')}</option>
              {AGE_BUCKETS.map((b) => (
                <option key={b.id} value={b.id}>
                  {t(`age.${b.id}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <label className="grow">
            {t('common.search')}
            <input value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t('applications.search-hint')} type="search" />
          </label>
        </div>
        {data.loading && <Loading />}
        <LoadError error={data.error} />
        {data.data && rows.length === 0 && <p className="muted">{t('common.none')}</p>}
        {shown.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('applications.subscriber')}</th>
                  <th>{t('applications.purpose')}</th>
                  <th>{t('applications.status')}</th>
                  <th>{t('applications.submitted')}</th>
                  <th>{t('applications.waiting')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {shown.map((a) => (
                  <tr key={a.id} data-application={a.id}>
                    <td data-label={t('applications.subscriber')}>
                      <strong>{a.subscriber?.name ?? a.subscriberId}</strong>
                      <br />
                      <small className="muted">
                        {a.subscriber ? t(`subscriber.type.${a.subscriber.type}`) : ''} {a.subscriber?.identifierMasked}
                      </small>
                    </td>
                    <td data-label={t('applications.purpose')}>{t(`purpose.${a.purpose}`)}</td>
                    <td data-label={t('applications.status')}>
                      <StatusBadge status={a.status} />
                    </td>
                    <td data-label={t('applications.submitted')}>{time(a.submittedAt)}</td>
                    <td data-label={t('applications.waiting')}>{['submitted', 'in-review'].includes(a.status) ? waited(t, a.submittedAt) : '—'}</td>
                    <td>
                      <Link to={`/console/applications/${a.id}`} className="button small">
                        {t('common.open')}
                      </Link>
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
