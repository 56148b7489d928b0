import { Field, LoadError, Loading, inputProps, type FieldErrors } from './components';
import { useI18n } from './i18n';
import type { MessageKey } from './messages';
import { AgreementText, type AgreementVersion } from './public/agreement-page';

/**
 * The subscriber's record as both registration forms take it (R1): at the
 * RA's counter (console) and in self-registration (portal). The server
 * validates and names the field at fault; these names are the ones it uses.
 */
export const ID_TYPES = ['resident-id', 'passport', 'hk-macao-permit', 'taiwan-permit', 'foreign-permanent-resident'] as const;
const PERSON = ['name', 'idType', 'idNumber'] as const;
const CONTACT = ['phone', 'email'] as const;

/** Every field of the record a problem may name, so the error lands beside the right input. */
export const RECORD_FIELDS = [
  'type',
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

/** Where the API names a consent problem, and the one field the page shows it beside. */
export const CONSENT_FIELDS = { 'consent.agreementVersion': 'consent', 'consent.accepted': 'consent' };

export type SubscriberKind = 'individual' | 'enterprise';
export type RecordValues = Record<string, string>;

/** The record in the API's shape: an individual, or an enterprise with its legal representative and handling agent. */
export function subscriberRecord(kind: SubscriberKind, values: RecordValues): Record<string, unknown> {
  const person = (prefix: string, contact: boolean) => {
    const out: Record<string, string> = {};
    for (const f of [...PERSON, ...(contact ? CONTACT : [])]) out[f] = (values[`${prefix}${f}`] ?? (f === 'idType' ? 'resident-id' : '')).trim();
    return out;
  };
  return kind === 'individual'
    ? { type: kind, ...person('', true) }
    : {
        type: kind,
        name: (values.name ?? '').trim(),
        uscc: (values.uscc ?? '').trim(),
        legalRepresentative: person('legalRepresentative.', false),
        agent: person('agent.', true),
      };
}

/** One input of a person's record; ID types as a list, errors beside it. */
export function RecordInput({ name, label, values, set, errors }: { name: string; label: string; values: RecordValues; set: (name: string, value: string) => void; errors: FieldErrors }) {
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

/** Individual or enterprise, and the fields that kind of subscriber has. */
export function SubscriberRecordFields({
  kind,
  setKind,
  values,
  set,
  errors,
}: {
  kind: SubscriberKind;
  setKind: (kind: SubscriberKind) => void;
  values: RecordValues;
  set: (name: string, value: string) => void;
  errors: FieldErrors;
}) {
  const { t } = useI18n();
  const input = (name: string, label: string) => <RecordInput key={name} name={name} label={label} values={values} set={set} errors={errors} />;
  return (
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
        <div className="grid two">{[...PERSON, ...CONTACT].map((f) => input(f, t(`register.${f}`)))}</div>
      ) : (
        <>
          <div className="grid two">
            {input('name', t('register.enterprise-name'))}
            {input('uscc', t('register.uscc'))}
          </div>
          <h3>{t('register.legal-representative')}</h3>
          <div className="grid three">{PERSON.map((f) => input(`legalRepresentative.${f}`, t(`register.${f}`)))}</div>
          <h3>{t('register.agent')}</h3>
          <div className="grid three">{[...PERSON, ...CONTACT].map((f) => input(`agent.${f}`, t(`register.${f}`)))}</div>
        </>
      )}
    </>
  );
}

/** What the certificate is for: signing or encryption. */
export function PurposeChoice({ purpose, setPurpose, error }: { purpose: 'signing' | 'encryption'; setPurpose: (p: 'signing' | 'encryption') => void; error?: string }) {
  const { t } = useI18n();
  return (
    <fieldset className="choices inline" data-field="purpose">
      <legend>{t('applications.purpose')}</legend>
      {(['signing', 'encryption'] as const).map((p) => (
        <label key={p} className="choice">
          <input type="radio" name="purpose" value={p} checked={purpose === p} onChange={() => setPurpose(p)} />
          <span>{t(`purpose.${p}`)}</span>
        </label>
      ))}
      {error && <small className="field-error">{error}</small>}
    </fieldset>
  );
}

/** The agreement in force, to read and accept before applying (R0); the consent error beside the box. */
export function AgreementConsent({
  agreement,
  accepted,
  setAccepted,
  error,
  acceptLabel,
}: {
  agreement: { data: AgreementVersion | undefined; error: unknown; loading: boolean };
  accepted: boolean;
  setAccepted: (accepted: boolean) => void;
  error?: string;
  acceptLabel: (agreement: AgreementVersion) => string;
}) {
  const { t } = useI18n();
  return (
    <>
      {agreement.loading && <Loading />}
      <LoadError error={agreement.error} />
      {agreement.data && (
        <>
          <details>
            <summary>{t('register.read-agreement', { version: agreement.data.id })}</summary>
            <AgreementText agreement={agreement.data} />
          </details>
          <div className={`field${error ? ' has-error' : ''}`} data-field="consent">
            <label className="checkbox">
              <input id="f-consent" type="checkbox" checked={accepted} onChange={(ev) => setAccepted(ev.target.checked)} aria-invalid={error ? true : undefined} />
              <span>{acceptLabel(agreement.data)}</span>
            </label>
            {error && (
              <small className="field-error" role="alert">
                {error}
              </small>
            )}
          </div>
        </>
      )}
    </>
  );
}
