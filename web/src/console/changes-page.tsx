import { useMemo, useState } from 'react';
import { admin, type ChangeApproval, type SubscriberVersion } from '../admin/admin-api';
import { ApiError } from '../api';
import { Alert, Card, Field, LoadError, Loading, StatusBadge, inputProps, useLoad, useProblem } from '../components';
import { useI18n, type Translate } from '../i18n';
import type { MessageKey } from '../messages';
import { Link, useRouter } from '../router';
import { CredentialSlip } from './credential-slip';
import { ra } from './ra-api';
import { useOperator } from './session';
import { Actor } from '../identifiers';

const STATUSES = ['submitted', 'approved', 'rejected'] as const;

/** A record as flat lines (agent.phone, legalRepresentative.name): what an officer compares, field by field. */
export function flatten(value: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) Object.assign(out, flatten(inner, prefix ? `${prefix}.${key}` : key));
  } else if (prefix) {
    out[prefix] = value === undefined || value === null ? '' : String(value);
  }
  return out;
}

const FIELD_KEYS: Record<string, MessageKey> = {
  type: 'subscriber.type',
  name: 'register.name',
  idType: 'register.idType',
  idNumber: 'register.idNumber',
  phone: 'register.phone',
  email: 'register.email',
  uscc: 'register.uscc',
  legalRepresentative: 'register.legal-representative',
  agent: 'register.agent',
};

/** "agent.phone" as people read it: 经办人 · 手机号码. */
export function fieldLabel(t: Translate, path: string): string {
  return path
    .split('.')
    .map((part) => (FIELD_KEYS[part] ? t(FIELD_KEYS[part]) : part))
    .join(' · ');
}

/** Old and new side by side, only the lines that differ. */
export function differences(before: unknown, after: unknown): Array<{ field: string; old: string; new: string }> {
  const a = flatten(before);
  const b = flatten(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => (a[k] ?? '') !== (b[k] ?? '')).map((k) => ({ field: k, old: a[k] ?? '', new: b[k] ?? '' }));
}

function merged(record: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const [key, value] of Object.entries(changes)) {
    const existing = out[key];
    out[key] = existing && typeof existing === 'object' && value && typeof value === 'object' ? { ...existing, ...(value as object) } : value;
  }
  return out;
}

function DiffTable({ rows }: { rows: Array<{ field: string; old: string; new: string }> }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="responsive diff">
        <thead>
          <tr>
            <th>{t('changes.field')}</th>
            <th>{t('changes.old')}</th>
            <th>{t('changes.new')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.field} data-diff={r.field}>
              <td data-label={t('changes.field')}>{fieldLabel(t, r.field)}</td>
              <td data-label={t('changes.old')}>
                <del>{r.old || '—'}</del>
              </td>
              <td data-label={t('changes.new')}>
                <ins>{r.new || '—'}</ins>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** R3: changes of information reported by subscribers, waiting for the RA's review. */
export function ChangesPage() {
  const { t, time } = useI18n();
  const { query, navigate } = useRouter();
  const status = query.get('status') ?? 'submitted';
  const data = useLoad(async () => {
    const [changes, subscribers] = await Promise.all([admin.changes(status === 'all' ? undefined : status), ra.subscribers()]);
    return { changes: [...changes].reverse(), names: new Map(subscribers.map((s) => [s.id, s.name])) };
  }, [status]);
  return (
    <div className="page">
      <h1>{t('changes.title')}</h1>
      <p className="lead">{t('changes.lead')}</p>
      <Card>
        <div className="filters">
          <label>
            {t('applications.status')}
            <select name="status" value={status} onChange={(e) => navigate(`/console/changes?status=${e.target.value}`, { replace: true })}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`changes.status.${s}`)}
                </option>
              ))}
              <option value="all">{t('common.all')}</option>
            </select>
          </label>
        </div>
        {data.loading && <Loading />}
        <LoadError error={data.error} />
        {data.data && data.data.changes.length === 0 && <p className="muted">{t('common.none')}</p>}
        {data.data && data.data.changes.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('applications.submitted')}</th>
                  <th>{t('applications.subscriber')}</th>
                  <th>{t('changes.fields')}</th>
                  <th>{t('applications.status')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.data.changes.map((c) => (
                  <tr key={c.id} data-change={c.id}>
                    <td data-label={t('applications.submitted')}>{time(c.submittedAt)}</td>
                    <td data-label={t('applications.subscriber')}>{data.data!.names.get(c.subscriberId) ?? c.subscriberId}</td>
                    <td data-label={t('changes.fields')}>{Object.keys(flatten(c.changes)).map((f) => fieldLabel(t, f)).join('，')}</td>
                    <td data-label={t('applications.status')}>
                      <StatusBadge status={c.status} />
                    </td>
                    <td>
                      <Link to={`/console/changes/${encodeURIComponent(c.id)}`}>{c.status === 'submitted' ? t('changes.review') : t('common.open')}</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

/** Who changed what, when: every version of the record against the one before it (R3). */
export function VersionHistory({ versions }: { versions: SubscriberVersion[] }) {
  const { t, time } = useI18n();
  return (
    <ol className="timeline" data-testid="version-history">
      {[...versions].reverse().map((v) => {
        const previous = versions.find((p) => p.version === v.version - 1);
        const rows = previous ? differences(previous.record, v.record) : [];
        return (
          <li key={v.version} data-version={v.version}>
            <h3>
              v{v.version} · {time(v.validFrom)}
            </h3>
            <p className="muted small">
              {t('actor.recorded-by')}
              <Actor id={v.recordedBy} />
              {v.validUntil ? ` · ${t('changes.valid-until', { until: time(v.validUntil) })}` : ` · ${t('changes.current')}`}
            </p>
            {previous ? rows.length > 0 ? <DiffTable rows={rows} /> : <p className="muted">{t('changes.no-difference')}</p> : <p className="muted">{t('changes.first-version')}</p>}
          </li>
        );
      })}
    </ol>
  );
}

/** One change of information: what is on file, what the subscriber reported, the decision, and the record's history. */
export function ChangePage({ id }: { id: string }) {
  const { t, time } = useI18n();
  const { operator } = useOperator();
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [approval, setApproval] = useState<ChangeApproval | null>(null);
  const problem = useProblem(['note', 'reason']);
  const data = useLoad(async () => {
    // The full values of one report: an audited read (the list masks them).
    const change = await admin.change(id).catch((error: unknown) => {
      if (error instanceof ApiError && error.problem.status === 404) return null;
      throw error;
    });
    if (!change) return null;
    const [subscriber, versions] = await Promise.all([ra.subscriber(change.subscriberId), admin.versions(change.subscriberId)]);
    return { change, subscriber, versions };
  }, [id]);
  const proposed = useMemo(() => {
    if (!data.data) return [];
    const { change, versions } = data.data;
    const base = versions.find((v) => v.version === change.baseVersion)?.record ?? {};
    return differences(base, merged(base, change.changes));
  }, [data.data]);

  async function decide(kind: 'approve' | 'reject') {
    problem.clear();
    setBusy(true);
    try {
      if (kind === 'approve') setApproval(await admin.approveChange(id, note.trim()));
      else await admin.rejectChange(id, reason.trim());
      data.reload();
    } catch (error) {
      problem.report(error, {}, kind === 'approve' ? 'note' : 'reason');
    } finally {
      setBusy(false);
    }
  }

  if (data.loading && !data.data) return <Loading />;
  if (data.error) return <LoadError error={data.error} />;
  if (!data.data) return <Alert>{t('changes.not-found')}</Alert>;
  const { change, subscriber, versions } = data.data;
  const officer = operator.role === 'ra-officer';
  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/console/changes">{t('changes.title')}</Link> ›
      </p>
      <div className="page-title">
        <h1>
          {subscriber.name} <StatusBadge status={change.status} />
        </h1>
      </div>
      {approval && (
        <Card title={t('changes.approved-title')}>
          <Alert kind="success">{t('changes.approved', { version: approval.version })}</Alert>
          {approval.revoked.length === 0 ? (
            <p data-testid="no-reissue">
              {t(
                approval.certificateContentChanged
                  ? 'changes.content-changed-none-in-force'
                  : approval.certificatesInForce > 0
                    ? 'changes.no-certificate-affected'
                    : 'changes.content-unchanged-none-in-force',
              )}
            </p>
          ) : (
            <>
              <p>{t('changes.revoked', { n: approval.revoked.length })}</p>
              <ul className="plain" data-testid="revoked-serials">
                {approval.revoked.map((s) => (
                  <li key={s}>
                    <Link to={`/status?serial=${s}`}>
                      <code className="break">{s}</code>
                    </Link>{' '}
                    · {t('reason.affiliationChanged')}
                  </li>
                ))}
              </ul>
              {approval.reissues.map((r) => (
                <div key={r.applicationId} className="reissue">
                  <h3>{t('changes.reissue', { serial: r.replaces.slice(0, 16) })}</h3>
                  <CredentialSlip credential={r.credential} subscriberName={subscriber.name} />
                </div>
              ))}
            </>
          )}
        </Card>
      )}
      <Card title={t('changes.reported')}>
        <dl className="facts">
          <dt>{t('applications.submitted')}</dt>
          <dd>
            {time(change.submittedAt)} · <Actor id={change.submittedBy} />
          </dd>
          <dt>{t('changes.base-version')}</dt>
          <dd>v{change.baseVersion}</dd>
          {change.decidedAt && (
            <>
              <dt>{t('application.decided')}</dt>
              <dd>
                {time(change.decidedAt)} · <Actor id={change.decidedBy} />
                {change.decisionReason && <> · {change.decisionReason}</>}
              </dd>
            </>
          )}
        </dl>
        {proposed.length > 0 ? <DiffTable rows={proposed} /> : <p className="muted">{t('changes.no-difference')}</p>}
        <p className="muted small">{t('changes.certificate-rule')}</p>
      </Card>
      {officer && change.status === 'submitted' && (
        <Card title={t('application.decision')}>
          <div className="decision">
            <Field label={t('application.note')} name="note" error={problem.fieldErrors.note}>
              <input {...inputProps('note', problem.fieldErrors)} value={note} onChange={(e) => setNote(e.target.value)} />
            </Field>
            <button type="button" disabled={busy} onClick={() => void decide('approve')}>
              {busy ? t('common.working') : t('changes.approve')}
            </button>
          </div>
          <div className="decision">
            <Field label={t('application.reject-reason')} name="reason" error={problem.fieldErrors.reason}>
              <textarea {...inputProps('reason', problem.fieldErrors)} value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
            </Field>
            <button type="button" className="danger" disabled={busy} onClick={() => void decide('reject')}>
              {t('application.reject')}
            </button>
          </div>
          {problem.formError && <Alert>{problem.formError}</Alert>}
        </Card>
      )}
      {!officer && change.status === 'submitted' && <Alert kind="info">{t('application.officers-only')}</Alert>}
      <Card title={t('changes.history')}>
        <VersionHistory versions={versions} />
      </Card>
    </div>
  );
}
