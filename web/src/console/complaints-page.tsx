import { useMemo, useState } from 'react';
import { api } from '../api';
import { Alert, Card, Field, inputProps, LoadError, Loading, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { Link, useRouter } from '../router';
import { Actor } from '../identifiers';

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

/** One complaint in full (reading it is audited, R2): its text, the complainant, and the answer once given. */
export interface Complaint extends ComplaintSummary {
  description: string | null;
  response: string | null;
  respondedBy: string | null;
  filedBy: string;
}

const COMPLAINT_CATEGORIES = ['service', 'download', 'fees', 'privacy', 'other'] as const;
const COMPLAINT_CHANNELS = ['phone', 'email', 'web', 'letter', 'counter'] as const;

/** The category as people say it; a category typed at the counter shows as typed. */
export function useCategoryLabel(): (category: string) => string {
  const { t } = useI18n();
  return (category) => ((COMPLAINT_CATEGORIES as readonly string[]).includes(category) ? t(`sp.complaints.category.${category}` as MessageKey) : category);
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
  const category = useCategoryLabel();
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
                    <td data-label={t('complaints.received')}>
                      <Link to={`/console/complaints/${encodeURIComponent(c.id)}`}>{time(c.receivedAt)}</Link>
                    </td>
                    <td data-label={t('complaints.category')}>{category(c.category)}</td>
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

/** R12: the officer reads a complaint (an audited read) and answers it here; the subscriber sees the answer in the portal and is notified through the outbox. */
export function ComplaintPage({ id }: { id: string }) {
  const { t, time } = useI18n();
  const category = useCategoryLabel();
  const path = `/api/v1/service/complaints/${encodeURIComponent(id)}`;
  const data = useLoad(() => api<Complaint>(path, { operator: true }), [id]);
  const [response, setResponse] = useState('');
  const [busy, setBusy] = useState(false);
  const [answered, setAnswered] = useState(false);
  const problem = useProblem(['response']);

  async function respond() {
    problem.clear();
    setBusy(true);
    try {
      await api<Complaint>(`${path}/response`, { method: 'POST', body: { response }, operator: true });
      setAnswered(true);
      data.reload();
    } catch (error) {
      problem.report(error, {}, 'response');
    } finally {
      setBusy(false);
    }
  }

  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  const c = data.data;
  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/console/complaints">{t('complaints.title')}</Link> ›
      </p>
      <h1>
        {t('complaints.one')} <span className={`badge ${c.status === 'open' ? (c.overdue ? 'badge-revoked' : 'badge-submitted') : 'badge-good'}`}>{t(c.status === 'open' ? (c.overdue ? 'complaints.overdue' : 'complaints.open') : 'complaints.responded')}</span>
      </h1>
      {answered && <Alert kind="success">{t('complaints.answered')}</Alert>}
      <div className="grid two">
        <Card title={t('complaints.facts')}>
          <dl className="facts">
            <dt>{t('complaints.received')}</dt>
            <dd>{time(c.receivedAt)}</dd>
            <dt>{t('complaints.channel')}</dt>
            <dd>{(COMPLAINT_CHANNELS as readonly string[]).includes(c.channel) ? t(`complaints.channel.${c.channel}` as MessageKey) : c.channel}</dd>
            <dt>{t('complaints.category')}</dt>
            <dd>{category(c.category)}</dd>
            <dt>{t('complaints.complainant')}</dt>
            <dd>{c.complainant ? `${c.complainant.name} · ${c.complainant.contact}` : '—'}</dd>
            {c.certificateSerial && (
              <>
                <dt>{t('cert.serial')}</dt>
                <dd>
                  <code className="break">{c.certificateSerial}</code>
                </dd>
              </>
            )}
            <dt>{t('complaints.due')}</dt>
            <dd>{time(c.dueAt)}</dd>
            <dt>{t('complaints.description')}</dt>
            <dd className="break" data-testid="complaint-description">{c.description ?? '—'}</dd>
          </dl>
        </Card>
        <Card title={t('complaints.response')}>
          {c.status === 'responded' ? (
            <>
              <p className="break" data-testid="complaint-response">{c.response}</p>
              <p className="muted small">
                {c.respondedAt && time(c.respondedAt)} · <Actor id={c.respondedBy} />
              </p>
            </>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void respond();
              }}
              noValidate
              data-testid="complaint-respond"
            >
              <Field label={t('complaints.response')} name="response" error={problem.fieldErrors.response} hint={t('complaints.response-hint')}>
                <textarea {...inputProps('response', problem.fieldErrors)} value={response} onChange={(e) => setResponse(e.target.value)} rows={5} />
              </Field>
              {problem.formError && <Alert>{problem.formError}</Alert>}
              <button type="submit" disabled={busy}>
                {busy ? t('common.working') : t('complaints.send-response')}
              </button>
            </form>
          )}
        </Card>
      </div>
    </div>
  );
}
