import { useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { shanghaiDay, useI18n } from '../i18n';
import { Link } from '../router';
import { myCertificates } from './account-page';
import { certificateLabel, portalApi, post, yuan, type PortalCertificate, type PortalCharge, type PortalComplaint, type PortalDispute } from './portal-api';
import { useSubscriber } from './subscriber-session';

const CATEGORIES = ['service', 'download', 'fees', 'privacy', 'other'] as const;
const COMPLAINT_FIELDS = ['category', 'description', 'complainant.name', 'complainant.contact', 'certificateSerial'] as const;

function CertificateChoice({ certificates, value, onChange, errors }: { certificates: PortalCertificate[] | undefined; value: string; onChange: (serial: string) => void; errors: Record<string, string | undefined> }) {
  const { t, date } = useI18n();
  return (
    <Field label={t('sp.complaints.certificate')} name="certificateSerial" error={errors.certificateSerial}>
      <select {...inputProps('certificateSerial', errors)} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('sp.complaints.no-certificate')}</option>
        {certificates?.map((c) => (
          <option key={c.serial} value={c.serial}>
            {certificateLabel(c, `${t('cert.not-after')} ${date(c.notAfter)}`)}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** R12: a complaint from the subscriber, answered within 7 working days on the holiday calendar. */
export function ComplaintsPage() {
  const { t, time } = useI18n();
  const { me } = useSubscriber();
  const record = me.record.record;
  const contactOf = record.type === 'individual' ? { name: record.name, contact: record.phone } : { name: record.agent.name, contact: record.agent.phone ?? '' };
  const [category, setCategory] = useState<(typeof CATEGORIES)[number]>('service');
  const [description, setDescription] = useState('');
  const [name, setName] = useState(contactOf.name);
  const [contact, setContact] = useState(contactOf.contact);
  const [serial, setSerial] = useState('');
  const [busy, setBusy] = useState(false);
  const [filed, setFiled] = useState<PortalComplaint | null>(null);
  const certificates = useLoad(myCertificates, []);
  const complaints = useLoad(() => portalApi<PortalComplaint[]>('/api/v1/portal/complaints'), [filed]);
  const problem = useProblem(COMPLAINT_FIELDS);
  const e = problem.fieldErrors;

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!description.trim()) return problem.report(new Error(t('common.required')), {}, 'description');
    setBusy(true);
    try {
      const complaint = await post<PortalComplaint>('/api/v1/portal/complaints', {
        category,
        description,
        complainant: { name, contact },
        ...(serial ? { certificateSerial: serial } : {}),
      });
      setFiled(complaint);
      setDescription('');
    } catch (error) {
      problem.report(error, { serial: 'certificateSerial' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <h1>{t('sp.complaints.title')}</h1>
      <p className="lead">{t('sp.complaints.lead')}</p>
      <form onSubmit={submit} noValidate data-testid="complaint">
        <Card>
          <Field label={t('sp.complaints.category')} name="category" error={e.category}>
            <select {...inputProps('category', e)} value={category} onChange={(ev) => setCategory(ev.target.value as (typeof CATEGORIES)[number])}>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t(`sp.complaints.category.${c}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('sp.complaints.description')} name="description" error={e.description}>
            <textarea {...inputProps('description', e)} rows={5} maxLength={10_000} value={description} onChange={(ev) => setDescription(ev.target.value)} />
          </Field>
          <div className="grid two">
            <Field label={t('sp.complaints.contact-name')} name="complainant.name" error={e['complainant.name']}>
              <input {...inputProps('complainant.name', e)} value={name} onChange={(ev) => setName(ev.target.value)} />
            </Field>
            <Field label={t('sp.complaints.contact')} name="complainant.contact" error={e['complainant.contact']}>
              <input {...inputProps('complainant.contact', e)} value={contact} onChange={(ev) => setContact(ev.target.value)} />
            </Field>
          </div>
          <CertificateChoice certificates={certificates.data} value={serial} onChange={setSerial} errors={e} />
          {problem.formError && <Alert>{problem.formError}</Alert>}
          {filed && (
            <Alert kind="success">
              <span data-testid="complaint-filed">{t('sp.complaints.done', { due: time(filed.dueAt) })}</span>
            </Alert>
          )}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('sp.complaints.submit')}
          </button>
        </Card>
      </form>
      <h2>{t('sp.complaints.list')}</h2>
      {complaints.loading && <Loading />}
      <LoadError error={complaints.error} />
      {complaints.data?.length === 0 && <p className="muted">{t('common.none')}</p>}
      {complaints.data && complaints.data.length > 0 && (
        <div className="table-wrap">
          <table className="responsive">
            <thead>
              <tr>
                <th>{t('sp.complaints.received')}</th>
                <th>{t('sp.complaints.category')}</th>
                <th>{t('sp.complaints.due')}</th>
                <th>{t('sp.charges.status')}</th>
                <th>{t('sp.complaints.response')}</th>
              </tr>
            </thead>
            <tbody>
              {complaints.data.map((c) => (
                <tr key={c.id} data-complaint={c.id}>
                  <td data-label={t('sp.complaints.received')}>{time(c.receivedAt)}</td>
                  <td data-label={t('sp.complaints.category')}>{(CATEGORIES as readonly string[]).includes(c.category) ? t(`sp.complaints.category.${c.category as (typeof CATEGORIES)[number]}`) : c.category}</td>
                  <td data-label={t('sp.complaints.due')}>{time(c.dueAt)}</td>
                  <td data-label={t('sp.charges.status')}>
                    {t(`sp.complaints.status.${c.status}`)}
                    {c.overdue && <span className="badge badge-revoked"> {t('sp.complaints.overdue')}</span>}
                  </td>
                  <td data-label={t('sp.complaints.response')} className="break" data-testid="complaint-response">
                    {c.response ?? '—'}
                    {c.respondedAt && <span className="muted small"> ({time(c.respondedAt)})</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const DISPUTE_FIELDS = ['discoveredOn', 'description', 'certificateSerial'] as const;

/** R10: a dispute with the day the problem was discovered; refused beyond the 3-month window. */
export function DisputesPage() {
  const { t, time } = useI18n();
  const [discoveredOn, setDiscoveredOn] = useState(() => shanghaiDay(new Date()));
  const [description, setDescription] = useState('');
  const [serial, setSerial] = useState('');
  const [busy, setBusy] = useState(false);
  const [filed, setFiled] = useState<PortalDispute | null>(null);
  const certificates = useLoad(myCertificates, []);
  const disputes = useLoad(() => portalApi<PortalDispute[]>('/api/v1/portal/disputes'), [filed]);
  const problem = useProblem(DISPUTE_FIELDS);
  const e = problem.fieldErrors;

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!description.trim()) return problem.report(new Error(t('common.required')), {}, 'description');
    setBusy(true);
    try {
      setFiled(await post<PortalDispute>('/api/v1/portal/disputes', { discoveredOn, description, ...(serial ? { certificateSerial: serial } : {}) }));
      setDescription('');
    } catch (error) {
      problem.report(error, { serial: 'certificateSerial' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <h1>{t('sp.disputes.title')}</h1>
      <p className="lead">{t('sp.disputes.lead')}</p>
      <form onSubmit={submit} noValidate data-testid="dispute">
        <Card>
          <Field label={t('sp.disputes.discovered')} name="discoveredOn" error={e.discoveredOn} hint={t('sp.disputes.discovered-hint')}>
            <input {...inputProps('discoveredOn', e)} type="date" value={discoveredOn} onChange={(ev) => setDiscoveredOn(ev.target.value)} />
          </Field>
          <Field label={t('sp.disputes.description')} name="description" error={e.description}>
            <textarea {...inputProps('description', e)} rows={5} maxLength={4000} value={description} onChange={(ev) => setDescription(ev.target.value)} />
          </Field>
          <CertificateChoice certificates={certificates.data} value={serial} onChange={setSerial} errors={e} />
          {problem.formError && <Alert>{problem.formError}</Alert>}
          {filed && <Alert kind="success">{t('sp.disputes.done')}</Alert>}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('sp.disputes.submit')}
          </button>
        </Card>
      </form>
      <h2>{t('sp.disputes.list')}</h2>
      {disputes.loading && <Loading />}
      <LoadError error={disputes.error} />
      {disputes.data?.length === 0 && <p className="muted">{t('common.none')}</p>}
      {disputes.data?.map((d) => (
        <Card key={d.id} title={`${t('sp.disputes.filed')} ${time(d.filedAt)}`} actions={<span className="badge">{t(`sp.disputes.state.${d.state}`)}</span>}>
          <dl className="facts">
            <dt>{t('sp.disputes.discovered')}</dt>
            <dd>{d.discoveredOn}</dd>
            <dt>{t('sp.disputes.description')}</dt>
            <dd>{d.description}</dd>
            {d.outcome && (
              <>
                <dt>{t('sp.app.reason')}</dt>
                <dd>{d.outcome}</dd>
              </>
            )}
          </dl>
        </Card>
      ))}
    </div>
  );
}

/** R9: the subscriber's charges, one per certificate period, integer fen shown as ¥. */
export function ChargesPage() {
  const { t, date } = useI18n();
  const charges = useLoad(() => portalApi<PortalCharge[]>('/api/v1/portal/charges'), []);
  const due = (charges.data ?? []).filter((c) => c.status === 'due').reduce((sum, c) => sum + c.amountFen - c.paidFen, 0);
  return (
    <div className="page">
      <h1>{t('sp.charges.title')}</h1>
      <p className="lead">
        {t('sp.charges.lead')} <Link to="/fees">{t('public-fees.title')}</Link>
      </p>
      {charges.loading && <Loading />}
      <LoadError error={charges.error} />
      {charges.data?.length === 0 && <p className="muted">{t('common.none')}</p>}
      {charges.data && charges.data.length > 0 && (
        <>
          <p>
            <strong data-testid="charges-due">{t('sp.charges.total-due', { amount: yuan(due) })}</strong>
          </p>
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('sp.charges.date')}</th>
                  <th>{t('sp.charges.item')}</th>
                  <th>{t('sp.charges.period')}</th>
                  <th>{t('sp.charges.amount')}</th>
                  <th>{t('sp.charges.paid')}</th>
                  <th>{t('sp.charges.status')}</th>
                </tr>
              </thead>
              <tbody>
                {charges.data.map((c) => (
                  <tr key={c.id}>
                    <td data-label={t('sp.charges.date')}>{date(c.createdAt)}</td>
                    <td data-label={t('sp.charges.item')}>{t(`sp.charges.purpose.${c.purpose}`)}</td>
                    <td data-label={t('sp.charges.period')}>{t('common.days', { n: c.validityDays })}</td>
                    <td data-label={t('sp.charges.amount')}>{yuan(c.amountFen)}</td>
                    <td data-label={t('sp.charges.paid')}>{yuan(c.paidFen)}</td>
                    <td data-label={t('sp.charges.status')}>{['due', 'paid', 'waived'].includes(c.status) ? t(`sp.charges.status.${c.status as 'due' | 'paid' | 'waived'}`) : c.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
