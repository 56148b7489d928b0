import { useEffect, useState } from 'react';
import { Alert, Card, Field, LoadError, Loading, useLoad } from '../components';
import { useOperator } from '../console/session';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { admin, type AuditVerification } from './admin-api';
import { AdminPage } from './admin-nav';
import { oversight, type AuditEntry, type AuditSearch } from './oversight-api';

/** What the prefix of an actor or subject names, in words; the identifier itself stays in a `code` element. */
const ACTOR_KINDS: Record<string, MessageKey> = {
  operator: 'audit-log.actor.operator',
  cli: 'audit-log.actor.cli',
  subscriber: 'audit-log.actor.subscriber',
  system: 'audit-log.actor.system',
  ca: 'audit-log.actor.ca',
  'kmc-operator': 'audit-log.actor.kmc-operator',
};
const SUBJECT_KINDS: Record<string, MessageKey> = {
  certificate: 'audit-log.subject.certificate',
  application: 'audit-log.subject.application',
  subscriber: 'audit-log.subject.subscriber',
  operator: 'audit-log.subject.operator',
  ra: 'audit-log.subject.ra',
  ca: 'audit-log.subject.ca',
  crl: 'audit-log.subject.crl',
  change: 'audit-log.subject.change',
  complaint: 'audit-log.subject.complaint',
  dispute: 'audit-log.subject.dispute',
  agreement: 'audit-log.subject.agreement',
  escrow: 'audit-log.subject.escrow',
};

function Named({ value, kinds, fallback }: { value: string; kinds: Record<string, MessageKey>; fallback: MessageKey }) {
  const { t } = useI18n();
  const colon = value.indexOf(':');
  const kind = colon > 0 ? kinds[value.slice(0, colon)] : undefined;
  return (
    <>
      {t(kind ?? fallback)} <code className="small break">{kind ? value.slice(colon + 1) : value}</code>
    </>
  );
}

/** A datetime-local value is read as Beijing time, whatever the browser's zone. */
function beijingInstant(local: string): string | undefined {
  return local ? `${local.length === 16 ? `${local}:00` : local}+08:00` : undefined;
}

/** The chain's state from the verification run when the page opened: which positions it vouches for. */
function ChainStatus({ verification, error }: { verification: AuditVerification | undefined; error: unknown }) {
  const { t, locale } = useI18n();
  if (error) return <LoadError error={error} />;
  if (!verification) return <p className="muted" data-testid="chain-status" data-chain="checking">{t('audit-log.chain-checking')}</p>;
  const { chain } = verification;
  return chain.ok ? (
    <div data-testid="chain-status" data-chain="ok">
      <Alert kind="success">{t('audit-log.chain-ok', { n: chain.entries })}</Alert>
    </div>
  ) : (
    <div data-testid="chain-status" data-chain="broken">
      <Alert>
        {t('audit-log.chain-broken', { seq: chain.firstBadSeq })}
        <br />
        {verification.texts[locale].chain}
      </Alert>
    </div>
  );
}

/**
 * R20 for auditors (issue 20): the audit log searched by Beijing time, actor,
 * action and subject or serial, newest first, a page at a time; every entry
 * marked with what the chain verification says of its position.
 */
export function AuditLogPage() {
  const { t, time, locale } = useI18n();
  const { operator } = useOperator();
  const allowed = operator.role === 'ca-admin' || (operator.role === 'auditor' && operator.raId === null);
  const [form, setForm] = useState({ from: '', to: '', actor: '', action: '', subject: '' });
  const [search, setSearch] = useState<AuditSearch>({});
  // The positions of the pages before this one, to go back (keyset paging only knows "older than").
  const [cursors, setCursors] = useState<number[]>([]);
  const actions = useLoad(() => (allowed ? oversight.auditActions() : Promise.resolve([])), [allowed]);
  const page = useLoad(() => (allowed ? oversight.auditEntries(search) : Promise.resolve({ entries: [], next: null })), [allowed, JSON.stringify(search)]);
  const [verification, setVerification] = useState<AuditVerification | undefined>();
  const [verificationError, setVerificationError] = useState<unknown>(null);
  useEffect(() => {
    if (!allowed) return;
    let live = true;
    admin.verifyAudit().then(
      (v) => live && setVerification(v),
      (e: unknown) => live && setVerificationError(e),
    );
    return () => {
      live = false;
    };
  }, [allowed]);

  if (!allowed) {
    return (
      <AdminPage title={t('admin.audit-log')} lead={t('audit-log.lead')}>
        <Alert kind="info">{t('audit-log.ca-wide-only')}</Alert>
      </AdminPage>
    );
  }

  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  function submit(event: React.FormEvent) {
    event.preventDefault();
    setCursors([]);
    setSearch({ from: beijingInstant(form.from), to: beijingInstant(form.to), actor: form.actor.trim() || undefined, action: form.action || undefined, subject: form.subject.trim() || undefined });
  }
  const sortedActions = [...(actions.data ?? [])].sort((a, b) => a[locale].localeCompare(b[locale], locale));
  const chain = verification?.chain;
  const verdictOf = (entry: AuditEntry): 'ok' | 'broken' | 'unchecked' => {
    if (!chain) return 'unchecked';
    if (!chain.ok && entry.seq >= chain.firstBadSeq) return 'broken';
    return entry.seq <= (chain.ok ? chain.entries : chain.firstBadSeq - 1) ? 'ok' : 'unchecked';
  };

  return (
    <AdminPage title={t('admin.audit-log')} lead={t('audit-log.lead')}>
      <ChainStatus verification={verification} error={verificationError} />
      <Card title={t('audit-log.search')}>
        <form onSubmit={submit} data-testid="audit-search" noValidate>
          <div className="grid two">
            <Field label={t('audit-log.from')} name="from" hint={t('time.zone')}>
              <input id="f-from" name="from" type="datetime-local" value={form.from} onChange={set('from')} />
            </Field>
            <Field label={t('audit-log.to')} name="to" hint={t('time.zone')}>
              <input id="f-to" name="to" type="datetime-local" value={form.to} onChange={set('to')} />
            </Field>
            <Field label={t('audit-log.actor')} name="actor" hint={t('audit-log.actor-hint')}>
              <input id="f-actor" name="actor" value={form.actor} onChange={set('actor')} />
            </Field>
            <Field label={t('audit-log.action')} name="action">
              <select id="f-action" name="action" value={form.action} onChange={set('action')}>
                <option value="">{t('audit-log.any-action')}</option>
                {sortedActions.map((a) => (
                  <option key={a.action} value={a.action}>
                    {a[locale]}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('audit-log.subject')} name="subject" hint={t('audit-log.subject-hint')}>
              <input id="f-subject" name="subject" value={form.subject} onChange={set('subject')} />
            </Field>
          </div>
          <button type="submit">{t('audit-log.find')}</button>
        </form>
      </Card>
      <Card title={t('audit-log.entries')}>
        <LoadError error={page.error} />
        {page.loading && !page.data && <Loading />}
        {page.data && page.data.entries.length === 0 && <p className="muted">{t('audit-log.nothing')}</p>}
        {page.data && page.data.entries.length > 0 && (
          <div className="table-wrap">
            <table className="responsive" data-testid="audit-entries">
              <thead>
                <tr>
                  <th>{t('audit-log.position')}</th>
                  <th>{t('audit-log.time')}</th>
                  <th>{t('audit-log.action')}</th>
                  <th>{t('audit-log.actor')}</th>
                  <th>{t('audit-log.subject')}</th>
                  <th>{t('audit-log.chain')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.entries.map((entry) => {
                  const verdict = verdictOf(entry);
                  return (
                    <tr key={entry.seq} data-seq={entry.seq} data-action={entry.action}>
                      <td data-label={t('audit-log.position')}>#{entry.seq}</td>
                      <td data-label={t('audit-log.time')}>{time(entry.at)}</td>
                      <td data-label={t('audit-log.action')}>
                        <span data-testid="action-words">{entry.actionWords[locale]}</span>
                        {!entry.actionWords.known && (
                          <>
                            {' '}
                            <code className="small">{entry.action}</code>
                          </>
                        )}
                        <details>
                          <summary className="small">{t('audit-log.details')}</summary>
                          <code className="small break">{JSON.stringify(entry.details)}</code>
                        </details>
                      </td>
                      <td data-label={t('audit-log.actor')}>
                        <Named value={entry.actor} kinds={ACTOR_KINDS} fallback="audit-log.actor.other" />
                      </td>
                      <td data-label={t('audit-log.subject')}>
                        <Named value={entry.target} kinds={SUBJECT_KINDS} fallback="audit-log.subject.other" />
                      </td>
                      <td data-label={t('audit-log.chain')}>
                        <span className={`badge ${verdict === 'ok' ? 'badge-verified' : verdict === 'broken' ? 'badge-broken' : ''}`} data-verdict={verdict}>
                          {t(`audit-log.verdict.${verdict}`)}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <p className="pager">
          {cursors.length > 0 && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                const previous = cursors.slice(0, -1);
                setCursors(previous);
                setSearch({ ...search, before: cursors[cursors.length - 1] || undefined });
              }}
            >
              {t('audit-log.newer')}
            </button>
          )}{' '}
          {page.data?.next != null && (
            <button
              type="button"
              className="secondary"
              data-testid="older"
              onClick={() => {
                setCursors([...cursors, search.before ?? 0]);
                setSearch({ ...search, before: page.data!.next! });
              }}
            >
              {t('audit-log.older')}
            </button>
          )}
        </p>
      </Card>
    </AdminPage>
  );
}
