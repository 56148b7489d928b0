import { useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { shanghaiDay, useI18n } from '../i18n';
import { portalApi, post, type PortalDelegation, type PortalDocument } from './portal-api';
import { RecordInput } from '../subscriber-record';

const FIELDS = ['letter', 'content', 'kind', 'mediaType', 'agentName', 'agentIdType', 'agentIdNumber', 'expiresAt', 'evidenceDocumentId'] as const;

/** The end of a Beijing calendar day, as an instant: what "valid until" means to the subscriber. */
function endOfShanghaiDay(day: string): string {
  return new Date(`${day}T23:59:59+08:00`).toISOString();
}

/** R6: the subscriber authorises an agent to download for them, with the signed letter as evidence. */
export function AgentsPage() {
  const { t, time } = useI18n();
  const [letter, setLetter] = useState<File | null>(null);
  const [values, setValues] = useState<Record<string, string>>({ agentIdType: 'resident-id' });
  const [expires, setExpires] = useState(() => shanghaiDay(new Date(Date.now() + 30 * 86_400_000)));
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<PortalDelegation | null>(null);
  const [tick, setTick] = useState(0);
  const delegations = useLoad(() => portalApi<PortalDelegation[]>('/api/v1/portal/delegations'), [tick]);
  const problem = useProblem(FIELDS);
  const e = problem.fieldErrors;
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setDone(null);
    if (!letter) return problem.report(new Error(t('sp.agents.letter-required')), {}, 'letter');
    setBusy(true);
    try {
      const query = new URLSearchParams({ kind: 'authorisation-letter', filename: letter.name });
      const document = await portalApi<PortalDocument>(`/api/v1/portal/documents?${query}`, { method: 'POST', raw: { bytes: letter, type: letter.type || 'application/octet-stream' } });
      const delegation = await post<PortalDelegation>('/api/v1/portal/delegations', {
        agentName: (values.agentName ?? '').trim(),
        agentIdType: values.agentIdType,
        agentIdNumber: (values.agentIdNumber ?? '').trim(),
        scope: ['download'],
        expiresAt: endOfShanghaiDay(expires),
        evidenceDocumentId: document.id,
      });
      setDone(delegation);
      setTick((n) => n + 1);
    } catch (error) {
      problem.report(error, { content: 'letter', kind: 'letter', mediaType: 'letter', evidenceDocumentId: 'letter' });
    } finally {
      setBusy(false);
    }
  }

  async function end(id: string) {
    await post(`/api/v1/portal/delegations/${encodeURIComponent(id)}/revoke`).catch((error: unknown) => problem.report(error));
    setTick((n) => n + 1);
  }

  return (
    <div className="page">
      <h1>{t('sp.agents.title')}</h1>
      <p className="lead">{t('sp.agents.lead')}</p>
      <form onSubmit={submit} noValidate data-testid="agent-authorisation">
        <Card>
          <Field label={t('sp.agents.letter')} name="letter" error={e.letter}>
            <input {...inputProps('letter', e)} type="file" accept="application/pdf,image/jpeg,image/png" onChange={(ev) => setLetter(ev.target.files?.[0] ?? null)} />
          </Field>
          <div className="grid three">
            <RecordInput name="agentName" label={t('sp.agents.agent-name')} values={values} set={set} errors={e} />
            <RecordInput name="agentIdType" label={t('sp.agents.agent-id-type')} values={values} set={set} errors={e} />
            <RecordInput name="agentIdNumber" label={t('sp.agents.agent-id-number')} values={values} set={set} errors={e} />
          </div>
          <Field label={t('sp.agents.expires')} name="expiresAt" error={e.expiresAt} hint={t('sp.agents.expires-hint')}>
            <input {...inputProps('expiresAt', e)} type="date" value={expires} onChange={(ev) => setExpires(ev.target.value)} />
          </Field>
          <p className="muted">{t('sp.agents.scope')}</p>
          {problem.formError && <Alert>{problem.formError}</Alert>}
          {done && <Alert kind="success">{t('sp.agents.done', { name: done.agentName, id: done.id })}</Alert>}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('sp.agents.submit')}
          </button>
        </Card>
      </form>
      <h2>{t('sp.agents.list')}</h2>
      {delegations.loading && <Loading />}
      <LoadError error={delegations.error} />
      {delegations.data?.length === 0 && <p className="muted">{t('common.none')}</p>}
      {delegations.data?.map((d) => (
        <Card key={d.id} title={d.agentName} actions={<span className={`badge badge-${d.status === 'active' ? 'good' : 'revoked'}`}>{t(`sp.agents.status.${d.status}`)}</span>}>
          <dl className="facts">
            <dt>{t('sp.agents.id')}</dt>
            <dd>
              <code className="break">{d.id}</code>
            </dd>
            <dt>{t('sp.agents.agent-id-number')}</dt>
            <dd>
              <code>{d.agentIdNumberMasked}</code>
            </dd>
            <dt>{t('sp.agents.expires')}</dt>
            <dd>{time(d.expiresAt)}</dd>
          </dl>
          {d.status === 'active' && (
            <button type="button" className="secondary" onClick={() => void end(d.id)}>
              {t('sp.agents.end')}
            </button>
          )}
        </Card>
      ))}
    </div>
  );
}
