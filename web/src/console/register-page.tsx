import { useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem, type FieldErrors } from '../components';
import { useI18n } from '../i18n';
import { AgreementText, currentAgreement } from '../public/agreement-page';
import { useRouter } from '../router';
import { ra, type Application, type Subscriber } from './ra-api';

const ID_TYPES = ['resident-id', 'passport', 'hk-macao-permit', 'taiwan-permit', 'foreign-permanent-resident'] as const;

const INDIVIDUAL_FIELDS = ['name', 'idType', 'idNumber', 'phone', 'email'] as const;
const PERSON_FIELDS = ['name', 'idType', 'idNumber'] as const;
const CONTACT_FIELDS = ['phone', 'email'] as const;
/** Every field the API may name in a problem (its `field`), so the error lands beside the right input. */
const ALL_FIELDS = [
  'type',
  'name',
  'idType',
  'idNumber',
  'phone',
  'email',
  'uscc',
  ...PERSON_FIELDS.map((f) => `legalRepresentative.${f}`),
  ...[...PERSON_FIELDS, ...CONTACT_FIELDS].map((f) => `agent.${f}`),
  'legalRepresentative',
  'agent',
  'consent',
  'purpose',
];

type Values = Record<string, string>;

function TextField({ name, values, set, errors, type = 'text', label }: { name: string; values: Values; set: (name: string, value: string) => void; errors: FieldErrors; type?: string; label: string }) {
  const { t } = useI18n();
  if (name.endsWith('idType')) {
    return (
      <Field label={label} name={name} error={errors[name]}>
        <select {...inputProps(name, errors)} value={values[name] ?? 'resident-id'} onChange={(e) => set(name, e.target.value)}>
          {ID_TYPES.map((id) => (
            <option key={id} value={id}>
              {t(`id-type.${id}`)}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  return (
    <Field label={label} name={name} error={errors[name]}>
      <input {...inputProps(name, errors)} type={type} value={values[name] ?? ''} onChange={(e) => set(name, e.target.value)} autoComplete="off" />
    </Field>
  );
}

/**
 * Registration at the RA (R1) with the subscriber's consent to the current
 * agreement (R0), then the certificate application (R4), in one form. The
 * API validates (GB 11643 resident IDs, GB 32100 USCCs, phones, e-mails)
 * and names the field; the error appears beside it.
 */
export function RegisterPage() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [kind, setKind] = useState<'individual' | 'enterprise'>('individual');
  const [values, setValues] = useState<Values>({});
  const [purpose, setPurpose] = useState<'signing' | 'encryption'>('signing');
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [registered, setRegistered] = useState<Subscriber | null>(null);
  const agreement = useLoad(currentAgreement, []);
  const problem = useProblem(ALL_FIELDS);
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));
  const person = (prefix: string, contact: boolean) => {
    const out: Record<string, string> = {};
    for (const f of [...PERSON_FIELDS, ...(contact ? CONTACT_FIELDS : [])]) out[f] = (values[`${prefix}${f}`] ?? (f === 'idType' ? 'resident-id' : '')).trim();
    return out;
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!agreement.data) return;
    setBusy(true);
    try {
      let subscriber = registered;
      if (!subscriber) {
        const record =
          kind === 'individual'
            ? { type: kind, ...person('', true) }
            : { type: kind, name: (values.name ?? '').trim(), uscc: (values.uscc ?? '').trim(), legalRepresentative: person('legalRepresentative.', false), agent: person('agent.', true) };
        subscriber = await ra.act<Subscriber>('/api/v1/ra/subscribers', { ...record, consent: { agreementVersion: agreement.data.id, accepted } });
        setRegistered(subscriber);
      }
      const application = await ra.act<Application>('/api/v1/ra/applications', { subscriberId: subscriber.id, purpose });
      navigate(`/console/applications/${application.id}`);
    } catch (error) {
      problem.report(error, { 'consent.agreementVersion': 'consent', 'consent.accepted': 'consent' });
    } finally {
      setBusy(false);
    }
  }

  const e = problem.fieldErrors;
  return (
    <div className="page">
      <h1>{t('register.title')}</h1>
      <p className="lead">{t('register.lead')}</p>
      <form onSubmit={submit} noValidate>
        <Card title={t('register.subscriber')}>
          {registered ? (
            <Alert kind="success">{t('register.registered', { name: registered.name })}</Alert>
          ) : (
            <>
              <fieldset className="choices inline" data-field="type">
                <legend>{t('subscriber.type')}</legend>
                {(['individual', 'enterprise'] as const).map((k) => (
                  <label key={k} className="choice">
                    <input type="radio" name="type" value={k} checked={kind === k} onChange={() => setKind(k)} />
                    <span>{t(`subscriber.type.${k}`)}</span>
                  </label>
                ))}
              </fieldset>
              {kind === 'individual' ? (
                <div className="grid two">
                  {INDIVIDUAL_FIELDS.map((f) => (
                    <TextField key={f} name={f} label={t(`register.${f}`)} values={values} set={set} errors={e} type={f === 'email' ? 'email' : f === 'phone' ? 'tel' : 'text'} />
                  ))}
                </div>
              ) : (
                <>
                  <div className="grid two">
                    <TextField name="name" label={t('register.enterprise-name')} values={values} set={set} errors={e} />
                    <TextField name="uscc" label={t('register.uscc')} values={values} set={set} errors={e} />
                  </div>
                  <h3>{t('register.legal-representative')}</h3>
                  <div className="grid three">
                    {PERSON_FIELDS.map((f) => (
                      <TextField key={f} name={`legalRepresentative.${f}`} label={t(`register.${f}`)} values={values} set={set} errors={e} />
                    ))}
                  </div>
                  <h3>{t('register.agent')}</h3>
                  <div className="grid three">
                    {[...PERSON_FIELDS, ...CONTACT_FIELDS].map((f) => (
                      <TextField key={f} name={`agent.${f}`} label={t(`register.${f}`)} values={values} set={set} errors={e} type={f === 'email' ? 'email' : f === 'phone' ? 'tel' : 'text'} />
                    ))}
                  </div>
                </>
              )}
            </>
          )}
        </Card>
        <Card title={t('register.application')}>
          <fieldset className="choices inline" data-field="purpose">
            <legend>{t('applications.purpose')}</legend>
            {(['signing', 'encryption'] as const).map((p) => (
              <label key={p} className="choice">
                <input type="radio" name="purpose" value={p} checked={purpose === p} onChange={() => setPurpose(p)} />
                <span>{t(`purpose.${p}`)}</span>
              </label>
            ))}
            {e.purpose && <small className="field-error">{e.purpose}</small>}
          </fieldset>
        </Card>
        <Card title={t('register.agreement')}>
          {agreement.loading && <Loading />}
          <LoadError error={agreement.error} />
          {agreement.data && (
            <>
              <details>
                <summary>{t('register.read-agreement', { version: agreement.data.id })}</summary>
                <AgreementText agreement={agreement.data} />
              </details>
              <div className={`field${e.consent ? ' has-error' : ''}`} data-field="consent">
                <label className="checkbox">
                  <input id="f-consent" type="checkbox" checked={accepted} onChange={(ev) => setAccepted(ev.target.checked)} aria-invalid={e.consent ? true : undefined} />
                  <span>{t('register.accept', { version: agreement.data.id, title: agreement.data.title })}</span>
                </label>
                {e.consent && (
                  <small className="field-error" role="alert">
                    {e.consent}
                  </small>
                )}
              </div>
            </>
          )}
        </Card>
        {problem.formError && <Alert>{problem.formError}</Alert>}
        <button type="submit" disabled={busy || !agreement.data}>
          {busy ? t('common.working') : registered ? t('register.submit-application') : t('register.submit')}
        </button>
      </form>
    </div>
  );
}
