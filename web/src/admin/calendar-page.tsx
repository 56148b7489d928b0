import { useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { useOperator } from '../console/session';
import { useI18n } from '../i18n';
import { AdminPage } from './admin-nav';
import { admin, type CalendarYear } from './admin-api';

const DAY_MS = 86_400_000;

function daysIn(from: string, to: string): number {
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  return Number.isNaN(a) || Number.isNaN(b) || b < a ? 0 : Math.round((b - a) / DAY_MS) + 1;
}

/** The names the server gives a refused entry (holidays[2].from): one input each. */
function fieldNames(draft: CalendarYear): string[] {
  return ['year', 'holidays', 'makeUpWorkdays', 'source', ...draft.holidays.flatMap((_, i) => [`holidays[${i}].name`, `holidays[${i}].from`, `holidays[${i}].to`]), ...draft.makeUpWorkdays.map((_, i) => `makeUpWorkdays[${i}]`)];
}

const empty = (year: number): CalendarYear => ({ year, holidays: [], makeUpWorkdays: [], source: '' });

/** R12: the working-day calendar complaints' deadlines are counted on, one year at a time (holidays and make-up working days). */
export function CalendarPage() {
  const { t } = useI18n();
  const { operator } = useOperator();
  const years = useLoad(admin.calendar, []);
  const [draft, setDraft] = useState<CalendarYear | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<number | null>(null);
  const [newYear, setNewYear] = useState('');
  const [importError, setImportError] = useState<string | null>(null);
  const editable = operator.role === 'ca-admin';
  const problem = useProblem(draft ? fieldNames(draft) : ['year']);
  const e = problem.fieldErrors;

  function choose(year: CalendarYear) {
    problem.clear();
    setSaved(null);
    setDraft(structuredClone(year));
  }

  /** A JSON file like the one the State Council's notice is transcribed into (src/service/calendars/2026.json). */
  async function importFile(file: File | undefined) {
    setImportError(null);
    if (!file) return;
    try {
      const parsed = JSON.parse(await file.text()) as Partial<CalendarYear>;
      if (typeof parsed.year !== 'number' || !Array.isArray(parsed.holidays) || !Array.isArray(parsed.makeUpWorkdays)) throw new Error(t('calendar.bad-file'));
      choose({ year: parsed.year, holidays: parsed.holidays, makeUpWorkdays: parsed.makeUpWorkdays, source: typeof parsed.source === 'string' ? parsed.source : file.name });
    } catch (error) {
      setImportError(error instanceof SyntaxError ? t('calendar.bad-file') : (error as Error).message);
    }
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    problem.clear();
    setSaved(null);
    setBusy(true);
    try {
      const stored = await admin.loadCalendar({ ...draft, source: draft.source.trim() || 'operator' });
      setSaved(stored.year);
      setDraft(stored);
      years.reload();
    } catch (error) {
      problem.report(error, {}, 'year');
    } finally {
      setBusy(false);
    }
  }

  const update = (next: Partial<CalendarYear>) => draft && setDraft({ ...draft, ...next });
  const holidayDays = draft ? draft.holidays.reduce((n, h) => n + daysIn(h.from, h.to), 0) : 0;
  return (
    <AdminPage title={t('admin.calendar')} lead={t('calendar.lead')}>
      <Card title={t('calendar.years')}>
        {years.loading && !years.data && <Loading />}
        <LoadError error={years.error} />
        <div className="years">
          {(years.data ?? []).map((y) => (
            <button key={y.year} type="button" className="secondary small" aria-pressed={draft?.year === y.year} onClick={() => choose(y)} data-year={y.year}>
              {y.year}
            </button>
          ))}
        </div>
        {editable && (
          <div className="inline-form">
            <Field label={t('calendar.new-year')} name="newYear">
              <input id="f-newYear" inputMode="numeric" value={newYear} onChange={(ev) => setNewYear(ev.target.value)} placeholder="2027" />
            </Field>
            <button type="button" className="secondary" onClick={() => choose(empty(Number(newYear)))} disabled={!/^\d{4}$/.test(newYear)}>
              {t('calendar.start')}
            </button>
            <Field label={t('calendar.import')} name="import" error={importError ?? undefined} hint={t('calendar.import-hint')}>
              <input id="f-import" type="file" accept="application/json,.json" onChange={(ev) => void importFile(ev.target.files?.[0])} />
            </Field>
          </div>
        )}
      </Card>
      {draft && (
        <form onSubmit={save} noValidate>
          <Card title={t('calendar.editing', { year: draft.year })}>
            {e.year && <Alert>{e.year}</Alert>}
            <p className="muted" data-testid="calendar-summary">
              {t('calendar.summary', { holidays: draft.holidays.length, days: holidayDays, makeUp: draft.makeUpWorkdays.length })}
            </p>
            <h3>{t('calendar.holidays')}</h3>
            {e.holidays && <Alert>{e.holidays}</Alert>}
            <div className="rows">
              {draft.holidays.map((h, i) => {
                const set = (key: 'name' | 'from' | 'to', value: string) => update({ holidays: draft.holidays.map((x, j) => (j === i ? { ...x, [key]: value } : x)) });
                return (
                  <div key={i} className="row-edit holiday" data-holiday={i}>
                    <Field label={t('calendar.holiday-name')} name={`holidays[${i}].name`} error={e[`holidays[${i}].name`]}>
                      <input {...inputProps(`holidays[${i}].name`, e)} value={h.name} disabled={!editable} onChange={(ev) => set('name', ev.target.value)} />
                    </Field>
                    <Field label={t('calendar.from')} name={`holidays[${i}].from`} error={e[`holidays[${i}].from`]}>
                      <input {...inputProps(`holidays[${i}].from`, e)} type="date" value={h.from} disabled={!editable} onChange={(ev) => set('from', ev.target.value)} />
                    </Field>
                    <Field label={t('calendar.to')} name={`holidays[${i}].to`} error={e[`holidays[${i}].to`]}>
                      <input {...inputProps(`holidays[${i}].to`, e)} type="date" value={h.to} disabled={!editable} onChange={(ev) => set('to', ev.target.value)} />
                    </Field>
                    {editable && (
                      <button type="button" className="secondary small" onClick={() => update({ holidays: draft.holidays.filter((_, j) => j !== i) })}>
                        {t('calendar.remove')}
                      </button>
                    )}
                  </div>
                );
              })}
            </div>
            {editable && (
              <button type="button" className="secondary small" onClick={() => update({ holidays: [...draft.holidays, { name: '', from: `${draft.year}-01-01`, to: `${draft.year}-01-01` }] })}>
                + {t('calendar.add-holiday')}
              </button>
            )}
            <h3>{t('calendar.make-up')}</h3>
            {e.makeUpWorkdays && <Alert>{e.makeUpWorkdays}</Alert>}
            <p className="muted small">{t('calendar.make-up-hint')}</p>
            <div className="rows">
              {draft.makeUpWorkdays.map((d, i) => (
                <div key={i} className="row-edit day" data-make-up={i}>
                  <Field label={t('calendar.day')} name={`makeUpWorkdays[${i}]`} error={e[`makeUpWorkdays[${i}]`]}>
                    <input
                      {...inputProps(`makeUpWorkdays[${i}]`, e)}
                      type="date"
                      value={d}
                      disabled={!editable}
                      onChange={(ev) => update({ makeUpWorkdays: draft.makeUpWorkdays.map((x, j) => (j === i ? ev.target.value : x)) })}
                    />
                  </Field>
                  {editable && (
                    <button type="button" className="secondary small" onClick={() => update({ makeUpWorkdays: draft.makeUpWorkdays.filter((_, j) => j !== i) })}>
                      {t('calendar.remove')}
                    </button>
                  )}
                </div>
              ))}
            </div>
            {editable && (
              <button type="button" className="secondary small" onClick={() => update({ makeUpWorkdays: [...draft.makeUpWorkdays, ''] })}>
                + {t('calendar.add-day')}
              </button>
            )}
            <Field label={t('calendar.source')} name="source" error={e.source} hint={t('calendar.source-hint')}>
              <input {...inputProps('source', e)} value={draft.source} disabled={!editable} onChange={(ev) => update({ source: ev.target.value })} />
            </Field>
            {saved !== null && <Alert kind="success">{t('calendar.saved', { year: saved })}</Alert>}
            {problem.formError && <Alert>{problem.formError}</Alert>}
            {editable ? (
              <button type="submit" disabled={busy}>
                {busy ? t('common.working') : t('calendar.save', { year: draft.year })}
              </button>
            ) : (
              <Alert kind="info">{t('calendar.ca-only')}</Alert>
            )}
          </Card>
        </form>
      )}
    </AdminPage>
  );
}
