import { useState, type FormEvent } from 'react';
import { Alert, Card, LoadError, Loading, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { portalApi, post, type ChangeReport, type SubscriberRecord } from './portal-api';
import { RecordInput } from '../subscriber-record';
import { useSubscriber } from './subscriber-session';

/** The fields a subscriber may report as changed (the type never changes), flattened as the API names them. */
function flatten(record: SubscriberRecord): Record<string, string> {
  if (record.type === 'individual') return { name: record.name, idType: record.idType, idNumber: record.idNumber, phone: record.phone, email: record.email };
  const out: Record<string, string> = { name: record.name, uscc: record.uscc };
  for (const [prefix, person] of [['legalRepresentative', record.legalRepresentative], ['agent', record.agent]] as const) {
    for (const [key, value] of Object.entries(person)) if (typeof value === 'string') out[`${prefix}.${key}`] = value;
  }
  return out;
}

/** Only what differs, nested the way the RA's change requests take it. */
function changesBetween(before: Record<string, string>, after: Record<string, string>): Record<string, unknown> {
  const out: Record<string, Record<string, string> | string> = {};
  for (const [key, value] of Object.entries(after)) {
    if ((before[key] ?? '') === value.trim()) continue;
    const [head, tail] = key.split('.') as [string, string | undefined];
    if (tail) out[head] = { ...((out[head] as Record<string, string>) ?? {}), [tail]: value.trim() };
    else out[head] = value.trim();
  }
  return out;
}

const LABEL: Record<string, MessageKey> = {
  name: 'register.name',
  idType: 'register.idType',
  idNumber: 'register.idNumber',
  phone: 'register.phone',
  email: 'register.email',
  uscc: 'register.uscc',
};

/** R3: the subscriber reports changed information; it is on file only once the RA approves it. */
export function ChangesPage() {
  const { t, time } = useI18n();
  const { me, refresh } = useSubscriber();
  const onFile = flatten(me.record.record);
  const [values, setValues] = useState<Record<string, string>>(onFile);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const reports = useLoad(() => portalApi<ChangeReport[]>('/api/v1/portal/changes'), [done]);
  const fields = Object.keys(onFile);
  const problem = useProblem(fields);
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));
  const label = (key: string) => {
    const [head, tail] = key.split('.') as [string, string | undefined];
    if (!tail) return t(head === 'name' && me.type === 'enterprise' ? 'register.enterprise-name' : LABEL[head]!);
    return `${t(head === 'agent' ? 'register.agent' : 'register.legal-representative')} · ${t(LABEL[tail]!)}`;
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setDone(false);
    const changes = changesBetween(onFile, values);
    if (Object.keys(changes).length === 0) return problem.report(new Error(t('sp.changes.unchanged')));
    setBusy(true);
    try {
      await post('/api/v1/portal/changes', { changes });
      setDone(true);
      refresh();
    } catch (error) {
      problem.report(error, {}, undefined);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <h1>{t('sp.changes.title')}</h1>
      <p className="lead">{t('sp.changes.lead')}</p>
      <form onSubmit={submit} noValidate data-testid="change-report">
        <Card title={t('sp.changes.on-file', { version: me.record.version })}>
          <div className="grid two">
            {fields.map((f) => (
              <RecordInput key={f} name={f} label={label(f)} values={values} set={set} errors={problem.fieldErrors} />
            ))}
          </div>
          {problem.formError && <Alert>{problem.formError}</Alert>}
          {done && <Alert kind="success">{t('sp.changes.done')}</Alert>}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('sp.changes.submit')}
          </button>
        </Card>
      </form>
      <h2>{t('sp.changes.history')}</h2>
      {reports.loading && <Loading />}
      <LoadError error={reports.error} />
      {reports.data?.length === 0 && <p className="muted">{t('common.none')}</p>}
      {reports.data?.map((r) => (
        <Card key={r.id} title={time(r.submittedAt)} actions={<span className={`badge badge-${r.status}`}>{t(`sp.changes.status.${r.status}`)}</span>}>
          <p>
            {t('sp.changes.fields')}: {Object.entries(r.changes).flatMap(([head, value]) => (value && typeof value === 'object' ? Object.keys(value).map((tail) => label(`${head}.${tail}`)) : [label(head)])).join('、')}
          </p>
          {r.decisionReason && <p className="muted">{r.decisionReason}</p>}
        </Card>
      ))}
    </div>
  );
}
