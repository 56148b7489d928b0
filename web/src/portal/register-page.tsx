import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, LoadError, Loading, download, inputProps, useLoad, useProblem, type FieldErrors } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { AgreementText, currentAgreement } from '../public/agreement-page';
import { useRouter } from '../router';
import type { PortalAccess } from './portal-api';
import { signIn } from './subscriber-session';

export const ID_TYPES = ['resident-id', 'passport', 'hk-macao-permit', 'taiwan-permit', 'foreign-permanent-resident'] as const;
const PERSON = ['name', 'idType', 'idNumber'] as const;
const CONTACT = ['phone', 'email'] as const;
/** Every field a problem may name (its `field`), so the error lands beside the right input. */
const FIELDS = [
  'raId',
  'name',
  'idType',
  'idNumber',
  'phone',
  'email',
  'uscc',
  ...PERSON.map((f) => `legalRepresentative.${f}`),
  ...[...PERSON, ...CONTACT].map((f) => `agent.${f}`),
  'legalRepresentative',
  'agent',
  'purpose',
  'consent',
];

type Values = Record<string, string>;

/** One input of a person's record; ID types as a list, errors beside it. */
export function RecordInput({ name, label, values, set, errors }: { name: string; label: string; values: Values; set: (name: string, value: string) => void; errors: FieldErrors }) {
  const { t } = useI18n();
  if (name.toLowerCase().endsWith('idtype')) {
    return (
      <Field label={label} name={name} error={errors[name]}>
        <select {...inputProps(name, errors)} value={values[name] ?? 'resident-id'} onChange={(e) => set(name, e.target.value)}>
          {ID_TYPES.map((id) => (
            <option key={id} value={id}>
              {t(`id-type.${id}` as MessageKey)}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  const type = name.endsWith('email') ? 'email' : name.endsWith('phone') ? 'tel' : 'text';
  return (
    <Field label={label} name={name} error={errors[name]}>
      <input {...inputProps(name, errors)} type={type} value={values[name] ?? ''} onChange={(e) => set(name, e.target.value)} autoComplete="off" />
    </Field>
  );
}

/**
 * Self-registration (R0, R1): the applicant fills in their record, reads and
 * accepts the agreement in force, and applies. The server validates exactly
 * as at the RA's counter and names the field at fault. The tracking number
 * and code are shown once.
 */
export function SelfRegisterPage() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [kind, setKind] = useState<'individual' | 'enterprise'>('individual');
  const [values, setValues] = useState<Values>({});
  const [purpose, setPurpose] = useState<'signing' | 'encryption'>('signing');
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [access, setAccess] = useState<PortalAccess | null>(null);
  const agreement = useLoad(currentAgreement, []);
  const ras = useLoad(() => api<Array<{ id: string; name: string }>>('/api/v1/portal/organisations'), []);
  const problem = useProblem(FIELDS);
  const e = problem.fieldErrors;
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));
  const person = (prefix: string, contact: boolean) => {
    const out: Record<string, string> = {};
    for (const f of [...PERSON, ...(contact ? CONTACT : [])]) out[f] = (values[`${prefix}${f}`] ?? (f === 'idType' ? 'resident-id' : '')).trim();
    return out;
  };
  const raId = values.raId ?? ras.data?.[0]?.id ?? '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!agreement.data) return;
    setBusy(true);
    try {
      const record =
        kind === 'individual'
          ? { type: kind, ...person('', true) }
          : { type: kind, name: (values.name ?? '').trim(), uscc: (values.uscc ?? '').trim(), legalRepresentative: person('legalRepresentative.', false), agent: person('agent.', true) };
      const registered = await api<{ access: PortalAccess }>('/api/v1/portal/registrations', {
        method: 'POST',
        body: { raId, purpose, ...record, consent: { agreementVersion: agreement.data.id, accepted } },
      });
      setAccess(registered.access);
      window.scrollTo(0, 0);
    } catch (error) {
      problem.report(error, { 'consent.agreementVersion': 'consent', 'consent.accepted': 'consent' });
    } finally {
      setBusy(false);
    }
  }

  if (access) {
    return (
      <div className="page narrow">
        <h1>{t('sp.register.done')}</h1>
        <Alert kind="success">{t('sp.register.done-lead')}</Alert>
        <Card>
          <dl className="facts big" data-testid="tracking">
            <dt>{t('sp.register.tracking-number')}</dt>
            <dd>
              <code data-testid="tracking-number">{access.trackingNumber}</code>
            </dd>
            <dt>{t('sp.register.tracking-code')}</dt>
            <dd>
              <code data-testid="tracking-code">{access.trackingCode}</code>
            </dd>
          </dl>
          <p className="muted">{t('sp.register.next')}</p>
          <div className="button-row">
            <button type="button" className="secondary" onClick={() => download('signet-application.txt', t('sp.register.file-text', { number: access.trackingNumber, code: access.trackingCode }), 'text/plain;charset=utf-8')}>
              {t('sp.register.save')}
            </button>
            <button
              type="button"
              onClick={() =>
                void signIn(access.trackingNumber, access.trackingCode).then(
                  () => navigate('/portal/account'),
                  () => navigate('/portal/account'),
                )
              }
            >
              {t('sp.register.continue')}
            </button>
          </div>
        </Card>
      </div>
    );
  }

  return (
    <div className="page">
      <h1>{t('sp.register.title')}</h1>
      <p className="lead">{t('sp.register.lead')}</p>
      <form onSubmit={submit} noValidate data-testid="self-registration">
        <Card title={t('sp.register.ra')}>
          {ras.loading && <Loading />}
          <LoadError error={ras.error} />
          {ras.data?.length === 0 && <Alert kind="warning">{t('sp.register.ra-none')}</Alert>}
          {ras.data && ras.data.length > 0 && (
            <Field label={t('sp.register.ra')} name="raId" error={e.raId} hint={t('sp.register.ra-hint')}>
              <select {...inputProps('raId', e)} value={raId} onChange={(ev) => set('raId', ev.target.value)}>
                {ras.data.map((ra) => (
                  <option key={ra.id} value={ra.id}>
                    {ra.name}
                  </option>
                ))}
              </select>
            </Field>
          )}
        </Card>
        <Card title={t('sp.register.applicant')}>
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
              {[...PERSON, ...CONTACT].map((f) => (
                <RecordInput key={f} name={f} label={t(`register.${f}`)} values={values} set={set} errors={e} />
              ))}
            </div>
          ) : (
            <>
              <div className="grid two">
                <RecordInput name="name" label={t('register.enterprise-name')} values={values} set={set} errors={e} />
                <RecordInput name="uscc" label={t('register.uscc')} values={values} set={set} errors={e} />
              </div>
              <h3>{t('register.legal-representative')}</h3>
              <div className="grid three">
                {PERSON.map((f) => (
                  <RecordInput key={f} name={`legalRepresentative.${f}`} label={t(`register.${f}`)} values={values} set={set} errors={e} />
                ))}
              </div>
              <h3>{t('register.agent')}</h3>
              <div className="grid three">
                {[...PERSON, ...CONTACT].map((f) => (
                  <RecordInput key={f} name={`agent.${f}`} label={t(`register.${f}`)} values={values} set={set} errors={e} />
                ))}
              </div>
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
                  <span>{t('sp.register.accept', { version: agreement.data.id, title: agreement.data.title })}</span>
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
        <button type="submit" disabled={busy || !agreement.data || !raId}>
          {busy ? t('common.working') : t('sp.register.submit')}
        </button>
      </form>
    </div>
  );
}
