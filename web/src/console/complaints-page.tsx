import { useMemo } from 'react';
import { api } from '../api';
import { Card, LoadError, Loading, useLoad } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { Link, useRouter } from '../router';

/** A complaint as the service API lists it (src/service/complaints.ts): personal data masked. */
export interface ComplaintSummary {
  id: string;
  receivedAt: string;
  channel: string;
  certificateSerial: string | null;
  complainant: { name: string; contact: string } | null;
  category: string;
  dueAt: string;
  status: 'open' | 'responded' | string;
  overdue: boolean;
  respondedAt: string | null;
}

export const complaints = () => api<ComplaintSummary[] | { items: ComplaintSummary[] }>('/api/v1/service/complaints', { operator: true }).then((v) => (Array.isArray(v) ? v : v.items));

/** R12: open complaints by how close their deadline (7 working days) is. */
export const DEADLINE_BUCKETS = ['overdue', 'due-1', 'due-3', 'later'] as const;
export type DeadlineBucket = (typeof DEADLINE_BUCKETS)[number];

export function deadlineBucket(c: ComplaintSummary, now = Date.now()): DeadlineBucket | null {
  if (c.status !== 'open') return null;
  const days = (Date.parse(c.dueAt) - now) / 86_400_000;
  if (c.overdue || days < 0) return 'overdue';
  if (days <= 1) return 'due-1';
  if (days <= 3) return 'due-3';
  return 'later';
}

/** Complaints, the overdue first; the dashboard links here filtered by deadline. */
export function ComplaintsPage() {
  const { t, time } = useI18n();
  const { query, navigate } = useRouter();
  const due = query.get('due') ?? '';
  const data = useLoad(complaints, []);
  const rows = useMemo(
    () => (data.data ?? []).filter((c) => !due || deadlineBucket(c) === due).sort((a, b) => a.dueAt.localeCompare(b.dueAt)),
    [data.data, due],
  );
  return (
    <div className="page">
      <h1>{t('complaints.title')}</h1>
      <Card>
        <div className="filters">
          <label>
            {t('complaints.deadline')}
            <select value={due} name="due" onChange={(e) => navigate(`/console/complaints${e.target.value ? `?due=${e.target.value}` : ''}`, { replace: true })}>
              <option value="">{t('common.all')}</option>
              {DEADLINE_BUCKETS.map((b) => (
                <option key={b} value={b}>
                  {t(`complaints.${b}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
        </div>
        {data.loading && <Loading />}
        <LoadError error={data.error} />
        {data.data && rows.length === 0 && <p className="muted">{t('common.none')}</p>}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('complaints.received')}</th>
                  <th>{t('complaints.category')}</th>
                  <th>{t('complaints.complainant')}</th>
                  <th>{t('complaints.due')}</th>
                  <th>{t('applications.status')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.id} data-complaint={c.id}>
                    <td data-label={t('complaints.received')}>{time(c.receivedAt)}</td>
                    <td data-label={t('complaints.category')}>{c.category}</td>
                    <td data-label={t('complaints.complainant')}>{c.complainant?.name ?? '—'}</td>
                    <td data-label={t('complaints.due')}>
                      {time(c.dueAt)} {c.overdue && <span className="badge badge-revoked">{t('complaints.overdue')}</span>}
                    </td>
                    <td data-label={t('applications.status')}>{t(c.status === 'open' ? 'complaints.open' : 'complaints.responded')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted small">
          {t('complaints.rule')} <Link to="/console">{t('dashboard.title')}</Link>
        </p>
      </Card>
    </div>
  );
}
