import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link, useRouter } from '../router';
import { fieldLabel, flatten } from './changes-page';
import { ra } from './ra-api';
import { useOperator } from './session';
import { ID_TYPES } from '../subscriber-record';


/** The lines of a record an officer may correct: everything but the subscriber type, which never changes. */
const editable = (path: string) => path !== 'type';

/** agent.phone = x → { agent: { phone: x } }: the shape the RA merges into the record on file. */
export function nest(lines: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(lines)) {
    const parts = path.split('.');
    let at = out;
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** R3: the officer records the change a subscriber reports at the counter; it then waits for review like any other. */
export function ReportChangePage({ subscriberId }: { subscriberId: string }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const { operator } = useOperator();
  const data = useLoad(() => ra.subscriber(subscriberId), [subscriberId]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const onFile = data.data ? flatten(data.data.record.record) : {};
  const fields = Object.keys(onFile).filter(editable);
  const problem = useProblem(fields);
  useEffect(() => {
    if (data.data) setValues(flatten(data.data.record.record));
  }, [data.data]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    const changed = Object.fromEntries(fields.filter((f) => (values[f] ?? '').trim() !== (onFile[f] ?? '')).map((f) => [f, (values[f] ?? '').trim()]));
    if (Object.keys(changed).length === 0) {
      problem.report(new Error(t('changes.nothing-changed')));
      return;
    }
    setBusy(true);
    try {
      const change = await api<{ id: string }>(`/api/v1/ra/subscribers/${encodeURIComponent(subscriberId)}/changes`, { method: 'POST', body: { changes: nest(changed) }, operator: true });
      navigate(`/console/changes/${encodeURIComponent(change.id)}`);
    } catch (error) {
      problem.report(error);
    } finally {
      setBusy(false);
    }
  }

  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  const e = problem.fieldErrors;
  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/console/subscribers">{t('subscribers.title')}</Link> ›
      </p>
      <h1>{t('changes.report-title', { name: data.data.name })}</h1>
      <p className="lead">{t('changes.report-lead')}</p>
      {operator.role !== 'ra-officer' ? (
        <Alert kind="info">{t('application.officers-only')}</Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <Card>
            <div className="grid two">
              {fields.map((f) => (
                <Field key={f} label={fieldLabel(t, f)} name={f} error={e[f]} hint={values[f] !== onFile[f] ? t('changes.was', { value: onFile[f] || '—' }) : undefined}>
                  {f === 'idType' || f.endsWith('.idType') ? (
                    <select {...inputProps(f, e)} value={values[f] ?? ''} onChange={(ev) => setValues({ ...values, [f]: ev.target.value })}>
                      {ID_TYPES.map((type) => (
                        <option key={type} value={type}>
                          {t(`id-type.${type}`)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input {...inputProps(f, e)} value={values[f] ?? ''} onChange={(ev) => setValues({ ...values, [f]: ev.target.value })} autoComplete="off" />
                  )}
                </Field>
              ))}
            </div>
            {problem.formError && <Alert>{problem.formError}</Alert>}
            <button type="submit" disabled={busy}>
              {busy ? t('common.working') : t('changes.submit-report')}
            </button>
          </Card>
        </form>
      )}
    </div>
  );
}
