import { useState, type FormEvent } from 'react';
import { Alert, Card, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { currentAgreement } from '../public/agreement-page';
import { useRouter } from '../router';
import { AgreementConsent, CONSENT_FIELDS, PurposeChoice, RECORD_FIELDS, SubscriberRecordFields, subscriberRecord, type RecordValues, type SubscriberKind } from '../subscriber-record';
import { ra, type Application, type Subscriber } from './ra-api';

/**
 * Registration at the RA (R1) with the subscriber's consent to the current
 * agreement (R0), then the certificate application (R4), in one form. The
 * API validates (GB 11643 resident IDs, GB 32100 USCCs, phones, e-mails)
 * and names the field; the error appears beside it.
 */
export function RegisterPage() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [kind, setKind] = useState<SubscriberKind>('individual');
  const [values, setValues] = useState<RecordValues>({});
  const [purpose, setPurpose] = useState<'signing' | 'encryption'>('signing');
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [registered, setRegistered] = useState<Subscriber | null>(null);
  const agreement = useLoad(currentAgreement, []);
  const problem = useProblem(RECORD_FIELDS);
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!agreement.data) return;
    setBusy(true);
    try {
      let subscriber = registered;
      if (!subscriber) {
        subscriber = await ra.act<Subscriber>('/api/v1/ra/subscribers', { ...subscriberRecord(kind, values), consent: { agreementVersion: agreement.data.id, accepted } });
        setRegistered(subscriber);
      }
      const application = await ra.act<Application>('/api/v1/ra/applications', { subscriberId: subscriber.id, purpose });
      navigate(`/console/applications/${application.id}`);
    } catch (error) {
      problem.report(error, CONSENT_FIELDS);
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
            <SubscriberRecordFields kind={kind} setKind={setKind} values={values} set={set} errors={e} />
          )}
        </Card>
        <Card title={t('register.application')}>
          <PurposeChoice purpose={purpose} setPurpose={setPurpose} error={e.purpose} />
        </Card>
        <Card title={t('register.agreement')}>
          <AgreementConsent
            agreement={agreement}
            accepted={accepted}
            setAccepted={setAccepted}
            error={e.consent}
            acceptLabel={(version) => t('register.accept', { version: version.id, title: version.title })}
          />
        </Card>
        {problem.formError && <Alert>{problem.formError}</Alert>}
        <button type="submit" disabled={busy || !agreement.data}>
          {busy ? t('common.working') : registered ? t('register.submit-application') : t('register.submit')}
        </button>
      </form>
    </div>
  );
}
