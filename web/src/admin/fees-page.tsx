import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, ProfileName, inputProps, useLoad, useProblem } from '../components';
import { useOperator } from '../console/session';
import { useI18n } from '../i18n';
import { useRouter } from '../router';
import { AdminPage } from './admin-nav';
import { admin, yuanToFen, type FeeSettings } from './admin-api';

const PRODUCTS = ['individual-signing', 'individual-encryption', 'enterprise-signing', 'enterprise-encryption', 'tls-server', 'tls-client', 'code-signing'] as const;

/** A profile as a product people recognise (in a list box, where no code can be set apart; the table shows the id beside it). */
function useProduct() {
  const { t } = useI18n();
  return (id: string) => ((PRODUCTS as readonly string[]).includes(id) ? t(`fees.product.${id as (typeof PRODUCTS)[number]}`) : id);
}

function Settings({ raId, editable }: { raId: string; editable: boolean }) {
  const { t } = useI18n();
  const data = useLoad<FeeSettings>(() => admin.feeSettings(raId), [raId]);
  const [paymentRequired, setPaymentRequired] = useState(false);
  const [reminderDays, setReminderDays] = useState('30');
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const problem = useProblem(['reminderDays', 'paymentRequired']);
  useEffect(() => {
    if (!data.data) return;
    setPaymentRequired(data.data.paymentRequired);
    setReminderDays(String(data.data.reminderDays));
  }, [data.data]);

  async function save(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setSaved(false);
    const days = Number(reminderDays);
    if (!/^\d+$/.test(reminderDays.trim())) {
      problem.report(new Error(t('fees.whole-days')), {}, 'reminderDays');
      return;
    }
    setBusy(true);
    try {
      await admin.configureFees(raId, { paymentRequired, reminderDays: days });
      setSaved(true);
      data.reload();
    } catch (error) {
      problem.report(error, {}, 'reminderDays');
    } finally {
      setBusy(false);
    }
  }

  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  return (
    <form onSubmit={save} noValidate>
      <div className="field" data-field="paymentRequired">
        <label className="checkbox">
          <input id="f-paymentRequired" type="checkbox" checked={paymentRequired} disabled={!editable} onChange={(e) => setPaymentRequired(e.target.checked)} />
          <span>{t('fees.payment-required')}</span>
        </label>
      </div>
      <Field label={t('fees.reminder-days')} name="reminderDays" error={problem.fieldErrors.reminderDays} hint={t('fees.reminder-hint')}>
        <input {...inputProps('reminderDays', problem.fieldErrors)} inputMode="numeric" value={reminderDays} disabled={!editable} onChange={(e) => setReminderDays(e.target.value)} />
      </Field>
      {saved && <Alert kind="success">{t('fees.saved')}</Alert>}
      {problem.formError && <Alert>{problem.formError}</Alert>}
      {editable && (
        <button type="submit" className="secondary" disabled={busy}>
          {busy ? t('common.working') : t('fees.save')}
        </button>
      )}
    </form>
  );
}

/** R9: the fee standard per RA and product (profile × validity), in integer fen, shown as ¥. */
export function FeesPage() {
  const { t, date } = useI18n();
  const product = useProduct();
  const { operator } = useOperator();
  const { query, navigate } = useRouter();
  const organisations = useLoad(admin.organisations, []);
  const profiles = useLoad(admin.profiles, []);
  const raId = operator.raId ?? query.get('ra') ?? organisations.data?.find((o) => o.status === 'active')?.id ?? '';
  const schedules = useLoad(() => (raId ? admin.schedules(raId) : Promise.resolve([])), [raId]);
  const [form, setForm] = useState({ profileId: '', validityDays: '365', amount: '', effectiveFrom: '' });
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const problem = useProblem(['profileId', 'validityDays', 'amount', 'effectiveFrom']);
  const editable = operator.role === 'ca-admin' || operator.role === 'ra-admin';
  const profileId = form.profileId || profiles.data?.[0]?.id || '';

  async function add(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setAdded(null);
    const amountFen = yuanToFen(form.amount);
    if (amountFen === null) {
      problem.report(new Error(t('fees.bad-amount')), {}, 'amount');
      return;
    }
    if (!/^\d+$/.test(form.validityDays.trim())) {
      problem.report(new Error(t('fees.whole-days')), {}, 'validityDays');
      return;
    }
    setBusy(true);
    try {
      const schedule = await admin.addSchedule({
        raId,
        profileId,
        validityDays: Number(form.validityDays),
        amountFen,
        // A fee starts at the beginning of its day in Beijing.
        ...(form.effectiveFrom ? { effectiveFrom: new Date(`${form.effectiveFrom}T00:00:00+08:00`).toISOString() } : {}),
      });
      setAdded(schedule.amountShown);
      setForm({ ...form, amount: '', effectiveFrom: '' });
      schedules.reload();
    } catch (error) {
      problem.report(error, { amountFen: 'amount' }, 'amount');
    } finally {
      setBusy(false);
    }
  }

  const e = problem.fieldErrors;
  const raName = organisations.data?.find((o) => o.id === raId)?.name ?? raId;
  return (
    <AdminPage title={t('admin.fees')} lead={t('fees.lead')}>
      <LoadError error={organisations.error} />
      <Card>
        <div className="filters">
          <label>
            {t('organisations.title-one')}
            <select name="ra" value={raId} disabled={operator.raId !== null} onChange={(ev) => navigate(`/console/admin/fees?ra=${encodeURIComponent(ev.target.value)}`, { replace: true })}>
              {(organisations.data ?? []).map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        {schedules.loading && !schedules.data && <Loading />}
        <LoadError error={schedules.error} />
        {schedules.data && schedules.data.length === 0 && <p className="muted">{t('fees.none', { ra: raName })}</p>}
        {schedules.data && schedules.data.length > 0 && (
          <div className="table-wrap">
            <table className="responsive" data-testid="fee-schedules">
              <thead>
                <tr>
                  <th>{t('cert.profile')}</th>
                  <th>{t('fees.validity')}</th>
                  <th>{t('fees.amount')}</th>
                  <th>{t('fees.effective-from')}</th>
                </tr>
              </thead>
              <tbody>
                {schedules.data.map((s) => (
                  <tr key={s.id} data-fee={s.profileId}>
                    <td data-label={t('cert.profile')}>
                      <ProfileName id={s.profileId} showId />
                    </td>
                    <td data-label={t('fees.validity')}>{t('common.days', { n: s.validityDays })}</td>
                    <td data-label={t('fees.amount')}>
                      <span className="money">{s.amountShown}</span>
                    </td>
                    <td data-label={t('fees.effective-from')}>{date(s.effectiveFrom)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {editable && raId && (
        <div className="grid two">
          <Card title={t('fees.add')}>
            <form onSubmit={add} noValidate>
              <Field label={t('cert.profile')} name="profileId" error={e.profileId}>
                <select {...inputProps('profileId', e)} value={profileId} onChange={(ev) => setForm({ ...form, profileId: ev.target.value })}>
                  {(profiles.data ?? []).map((p) => (
                    <option key={p.id} value={p.id}>
                      {product(p.id)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('fees.validity-days')} name="validityDays" error={e.validityDays}>
                <input {...inputProps('validityDays', e)} inputMode="numeric" value={form.validityDays} onChange={(ev) => setForm({ ...form, validityDays: ev.target.value })} />
              </Field>
              <Field label={t('fees.amount-yuan')} name="amount" error={e.amount} hint={t('fees.amount-hint')}>
                <input {...inputProps('amount', e)} inputMode="decimal" value={form.amount} onChange={(ev) => setForm({ ...form, amount: ev.target.value })} placeholder="¥0.00" />
              </Field>
              <Field label={t('fees.effective-from')} name="effectiveFrom" error={e.effectiveFrom} hint={t('fees.effective-hint')}>
                <input {...inputProps('effectiveFrom', e)} type="date" value={form.effectiveFrom} onChange={(ev) => setForm({ ...form, effectiveFrom: ev.target.value })} />
              </Field>
              {added && <Alert kind="success">{t('fees.added', { amount: added })}</Alert>}
              {problem.formError && <Alert>{problem.formError}</Alert>}
              <button type="submit" disabled={busy}>
                {busy ? t('common.working') : t('fees.add')}
              </button>
            </form>
          </Card>
          <Card title={t('fees.settings')}>
            <Settings raId={raId} editable={editable} />
          </Card>
        </div>
      )}
    </AdminPage>
  );
}
