import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, LoadError, Loading, download, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { currentAgreement } from '../public/agreement-page';
import { useRouter } from '../router';
import { AgreementConsent, CONSENT_FIELDS, PurposeChoice, RECORD_FIELDS, SubscriberRecordFields, subscriberRecord, type RecordValues, type SubscriberKind } from '../subscriber-record';
import type { PortalAccess } from './portal-api';
import { signIn } from './subscriber-session';

/** Self-registration names the RA too. */
const FIELDS = ['raId', ...RECORD_FIELDS];

/**
 * Self-registration (R0, R1): the applicant fills in their record, reads and
 * accepts the agreement in force, and applies. The server validates exactly
 * as at the RA's counter and names the field at fault. The tracking number
 * and code are shown once.
 */
export function SelfRegisterPage() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [kind, setKind] = useState<SubscriberKind>('individual');
  const [values, setValues] = useState<RecordValues>({});
  const [purpose, setPurpose] = useState<'signing' | 'encryption'>('signing');
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [access, setAccess] = useState<PortalAccess | null>(null);
  const agreement = useLoad(currentAgreement, []);
  const ras = useLoad(() => api<Array<{ id: string; name: string }>>('/api/v1/portal/organisations'), []);
  const problem = useProblem(FIELDS);
  const e = problem.fieldErrors;
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));
  const raId = values.raId ?? ras.data?.[0]?.id ?? '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!agreement.data) return;
    setBusy(true);
    try {
      const record = subscriberRecord(kind, values);
      const registered = await api<{ access: PortalAccess }>('/api/v1/portal/registrations', {
        method: 'POST',
        body: { raId, purpose, ...record, consent: { agreementVersion: agreement.data.id, accepted } },
      });
      setAccess(registered.access);
      window.scrollTo(0, 0);
    } catch (error) {
      problem.report(error, CONSENT_FIELDS);
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
          <p className="muted">{t('sp.register.if-registered')}</p>
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
          <SubscriberRecordFields kind={kind} setKind={setKind} values={values} set={set} errors={e} />
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
            acceptLabel={(version) => t('sp.register.accept', { version: version.id, title: version.title })}
          />
        </Card>
        {problem.formError && <Alert>{problem.formError}</Alert>}
        <button type="submit" disabled={busy || !agreement.data || !raId}>
          {busy ? t('common.working') : t('sp.register.submit')}
        </button>
      </form>
    </div>
  );
}
