import { useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, StatusBadge, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { reasonKey } from '../public/status-page';
import { Link, useRouter } from '../router';
import { certificateLabel, portalApi, post, type PortalApplication, type PortalCertificate, type PortalDocument } from './portal-api';
import { useSubscriber } from './subscriber-session';
import { currentAgreement } from '../public/agreement-page';
import { AgreementConsent, CONSENT_FIELDS, PurposeChoice } from '../subscriber-record';
import { Dn } from '../identifiers';
import { useCrlOnly } from '../public/crl-only';

export const myCertificates = () => portalApi<PortalCertificate[]>('/api/v1/portal/certificates');

/** Where the subscriber stands: their record, each application and what comes next, each certificate and its status. */
/**
 * A subscriber on file with no application under way and no certificate in
 * force (revoked or expired) applies again here, under the agreement in force
 * (issue 20; registering again is not the way, they are known).
 */
function ApplyAgainCard({ onApplied }: { onApplied: () => void }) {
  const { t } = useI18n();
  const [purpose, setPurpose] = useState<'signing' | 'encryption'>('signing');
  const [accepted, setAccepted] = useState(false);
  const [busy, setBusy] = useState(false);
  const agreement = useLoad(currentAgreement, []);
  const problem = useProblem(['purpose', 'consent']);

  async function apply(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!agreement.data) return;
    setBusy(true);
    try {
      await post('/api/v1/portal/applications', { purpose, consent: { agreementVersion: agreement.data.id, accepted } });
      onApplied();
    } catch (error) {
      problem.report(error, CONSENT_FIELDS);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title={t('sp.again.title')}>
      <form onSubmit={(e) => void apply(e)} noValidate data-testid="apply-again">
        <p>{t('sp.again.lead')}</p>
        <PurposeChoice purpose={purpose} setPurpose={setPurpose} error={problem.fieldErrors.purpose} />
        <AgreementConsent
          agreement={agreement}
          accepted={accepted}
          setAccepted={setAccepted}
          error={problem.fieldErrors.consent}
          acceptLabel={(version) => t('sp.register.accept', { version: version.id, title: version.title })}
        />
        {problem.formError && <Alert>{problem.formError}</Alert>}
        <button type="submit" disabled={busy || !agreement.data}>
          {busy ? t('common.working') : t('sp.again.submit')}
        </button>
      </form>
    </Card>
  );
}

export function AccountPage() {
  const { t, time } = useI18n();
  const { me } = useSubscriber();
  const applications = useLoad(() => portalApi<PortalApplication[]>('/api/v1/portal/applications'), []);
  const certificates = useLoad(myCertificates, []);
  return (
    <div className="page">
      <h1>{t('sp.overview.title')}</h1>
      <Card title={t('sp.overview.subscriber')}>
        <dl className="facts">
          <dt>{t('subscriber.type')}</dt>
          <dd>{t(`subscriber.type.${me.type}`)}</dd>
          <dt>{me.type === 'enterprise' ? t('register.enterprise-name') : t('register.name')}</dt>
          <dd>{me.name}</dd>
          <dt>{t('sp.overview.identifier')}</dt>
          <dd>
            <code>{me.identifierMasked}</code>
          </dd>
          <dt>{t('sp.overview.version')}</dt>
          <dd>
            {me.record.version} · {time(me.record.validFrom)}
          </dd>
        </dl>
      </Card>

      <DocumentsCard />

      <h2>{t('sp.overview.applications')}</h2>
      {applications.data && certificates.data && !applications.data.some((a) => ['submitted', 'in-review', 'approved'].includes(a.status)) && !certificates.data.some((c) => c.status === 'good') && (
        <ApplyAgainCard onApplied={applications.reload} />
      )}
      {applications.loading && <Loading />}
      <LoadError error={applications.error} />
      {applications.data?.map((a) => (
        <Card key={a.id} title={`${t(`sp.app.kind.${a.kind}`)} · ${t(`purpose.${a.purpose}`)}`} actions={<StatusBadge status={a.status} />}>
          <div data-testid="portal-application" data-status={a.status} data-id={a.id}>
            <p>{t(`sp.app.next.${a.status}` as MessageKey)}</p>
            <dl className="facts">
              <dt>{t('sp.app.submitted-at')}</dt>
              <dd>{time(a.submittedAt)}</dd>
              {a.decidedAt && (
                <>
                  <dt>{t('sp.app.decided-at')}</dt>
                  <dd>{time(a.decidedAt)}</dd>
                </>
              )}
              {a.decisionReason && (
                <>
                  <dt>{t('sp.app.reason')}</dt>
                  <dd>{a.decisionReason}</dd>
                </>
              )}
              {a.certificateSerial && (
                <>
                  <dt>{t('cert.serial')}</dt>
                  <dd>
                    <code className="break">{a.certificateSerial}</code>
                  </dd>
                </>
              )}
            </dl>
            {a.status === 'approved' && (
              <Link className="button" to="/portal/download">
                {t('sp.app.download')}
              </Link>
            )}
          </div>
        </Card>
      ))}

      <h2>{t('sp.overview.certificates')}</h2>
      {certificates.loading && <Loading />}
      <LoadError error={certificates.error} />
      {certificates.data?.length === 0 && <p className="muted">{t('sp.overview.no-certificates')}</p>}
      {certificates.data?.map((c) => (
        <Card key={c.serial} title={<Dn value={c.subject} />} actions={<StatusBadge status={c.status} />}>
          <dl className="facts" data-testid="portal-certificate" data-serial={c.serial} data-status={c.status}>
            <dt>{t('cert.serial')}</dt>
            <dd>
              <code className="break">{c.serial}</code>
            </dd>
            <dt>{t('cert.not-before')}</dt>
            <dd>{time(c.notBefore)}</dd>
            <dt>{t('cert.not-after')}</dt>
            <dd>{time(c.notAfter)}</dd>
            {c.revokedAt && (
              <>
                <dt>{t('cert.revoked-at')}</dt>
                <dd>
                  {time(c.revokedAt)} ({c.reason ? t(reasonKey(c.reason)) : '—'})
                </dd>
              </>
            )}
          </dl>
          <div className="button-row">
            <Link className="button secondary" to={`/portal/certificates/${c.serial}`}>
              {t('cert.detail.open')}
            </Link>
            {c.status === 'good' && (
              <>
                <Link className="button secondary" to={`/portal/account/renew?serial=${c.serial}`}>
                  {t('sp.cert.renew')}
                </Link>
                <Link className="button danger" to={`/portal/account/revocation?serial=${c.serial}`}>
                  {t('sp.cert.revoke')}
                </Link>
              </>
            )}
          </div>
        </Card>
      ))}
    </div>
  );
}

const DOCUMENT_KINDS = ['id-document', 'business-licence', 'change-evidence', 'other'] as const;

/** R1: supporting documents for the RA's review, each kept with its SHA-256 (shown, so the subscriber can compare). */
function DocumentsCard() {
  const { t, time } = useI18n();
  const [kind, setKind] = useState<(typeof DOCUMENT_KINDS)[number]>('id-document');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const documents = useLoad(() => portalApi<PortalDocument[]>('/api/v1/portal/documents'), [tick]);
  const problem = useProblem(['document']);

  async function upload(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!file) return problem.report(new Error(t('common.required')), {}, 'document');
    setBusy(true);
    try {
      const query = new URLSearchParams({ kind, filename: file.name });
      await portalApi(`/api/v1/portal/documents?${query}`, { method: 'POST', raw: { bytes: file, type: file.type || 'application/octet-stream' } });
      setFile(null);
      setTick((n) => n + 1);
    } catch (error) {
      problem.report(error, {}, 'document');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title={t('sp.documents.title')}>
      <p className="muted">{t('sp.documents.lead')}</p>
      <form onSubmit={upload} noValidate>
        <div className="grid two">
          <Field label={t('sp.documents.kind')} name="kind">
            <select id="f-kind" value={kind} onChange={(e) => setKind(e.target.value as (typeof DOCUMENT_KINDS)[number])}>
              {DOCUMENT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`sp.documents.kind.${k}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('sp.documents.file')} name="document" error={problem.fieldErrors.document}>
            <input {...inputProps('document', problem.fieldErrors)} type="file" accept="application/pdf,image/jpeg,image/png" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </Field>
        </div>
        {problem.formError && <Alert>{problem.formError}</Alert>}
        <button type="submit" className="secondary" disabled={busy}>
          {busy ? t('common.working') : t('sp.documents.upload')}
        </button>
      </form>
      {documents.data && documents.data.length > 0 && (
        <ul className="plain" data-testid="portal-documents">
          {documents.data.map((d) => (
            <li key={d.id}>
              {d.filename} · {time(d.uploadedAt)} · SHA-256 <code className="break">{d.sha256}</code>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

const REASONS = ['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'superseded'] as const;
const REVOKE_FIELDS = ['serial', 'reason', 'justification', 'confirm'] as const;

/** R7: the subscriber revokes their own certificate; OCSP says so before the answer comes back. */
export function SelfRevocationPage() {
  const { t, date } = useI18n();
  const { query } = useRouter();
  const crlOnly = useCrlOnly();
  const certificates = useLoad(myCertificates, []);
  const [serial, setSerial] = useState(query.get('serial') ?? '');
  // Nothing chosen for the subscriber: key compromise blocks the key for ever, so it is picked, never pre-selected.
  const [reason, setReason] = useState<(typeof REASONS)[number] | ''>('');
  const [justification, setJustification] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const problem = useProblem(REVOKE_FIELDS);
  const e = problem.fieldErrors;
  const live = certificates.data?.filter((c) => c.status === 'good') ?? [];
  const chosen = serial || live[0]?.serial || '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!chosen) return problem.report(new Error(t('sp.revoke.choose')), {}, 'serial');
    if (!reason) return problem.report(new Error(t('sp.revoke.reason-required')), {}, 'reason');
    if (!confirmed) return problem.report(new Error(t('sp.revoke.confirm-required')), {}, 'confirm');
    setBusy(true);
    try {
      const result = await post<{ serial: string }>(`/api/v1/portal/certificates/${encodeURIComponent(chosen)}/revocation`, { reason, justification: justification.trim() || undefined });
      setDone(result.serial);
    } catch (error) {
      problem.report(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <h1>{t('sp.revoke.title')}</h1>
      <p className="lead">{t(crlOnly ? 'sp.revoke.lead-crl-only' : 'sp.revoke.lead')}</p>
      {certificates.loading && <Loading />}
      <LoadError error={certificates.error} />
      {done ? (
        <Alert kind="success">
          <span data-testid="revocation-done">{t(crlOnly ? 'sp.revoke.done-crl-only' : 'sp.revoke.done')}</span>{' '}
          <Link to={`/status?serial=${done}`}>{t('sp.revoke.check')}</Link>
        </Alert>
      ) : (
        certificates.data && (
          <form onSubmit={submit} noValidate data-testid="self-revocation">
            <Card>
              <Field label={t('sp.revoke.certificate')} name="serial" error={e.serial}>
                <select {...inputProps('serial', e)} value={chosen} onChange={(ev) => setSerial(ev.target.value)}>
                  {live.map((c) => (
                    <option key={c.serial} value={c.serial}>
                      {certificateLabel(c, `${t('cert.not-after')} ${date(c.notAfter)}`)}
                    </option>
                  ))}
                </select>
              </Field>
              <fieldset className="choices" data-field="reason">
                <legend>{t('sp.revoke.reason')}</legend>
                {REASONS.map((r) => (
                  <label key={r} className="choice">
                    <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} />
                    <span>
                      {t(`sp.revoke.reason.${r}`)}
                      <small>{t(`sp.revoke.reason.${r}.hint`)}</small>
                    </span>
                  </label>
                ))}
                {e.reason && <small className="field-error">{e.reason}</small>}
              </fieldset>
              <Field label={t('sp.revoke.declaration')} name="justification" error={e.justification} hint={t('sp.revoke.declaration-hint')}>
                <textarea {...inputProps('justification', e)} rows={3} maxLength={2000} value={justification} onChange={(ev) => setJustification(ev.target.value)} />
              </Field>
              <div className={`field${e.confirm ? ' has-error' : ''}`} data-field="confirm">
                <label className="checkbox">
                  <input id="f-confirm" type="checkbox" checked={confirmed} onChange={(ev) => setConfirmed(ev.target.checked)} />
                  <span>{t('sp.revoke.confirm')}</span>
                </label>
                {e.confirm && (
                  <small className="field-error" role="alert">
                    {e.confirm}
                  </small>
                )}
              </div>
              {problem.formError && <Alert>{problem.formError}</Alert>}
              <button type="submit" className="danger" disabled={busy}>
                {busy ? t('common.working') : t('sp.revoke.submit')}
              </button>
            </Card>
          </form>
        )
      )}
    </div>
  );
}

/** R16: renewal or re-key of one of the subscriber's certificates, for the RA to review. */
export function RenewPage() {
  const { t } = useI18n();
  const { query } = useRouter();
  const serial = query.get('serial') ?? '';
  const [rekey, setRekey] = useState(true);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const problem = useProblem(['serial']);

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setBusy(true);
    try {
      await post(`/api/v1/portal/certificates/${encodeURIComponent(serial)}/renewals`, { rekey });
      setDone(true);
    } catch (error) {
      problem.report(error, {}, 'serial');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <h1>{t('sp.renew.title')}</h1>
      <p className="lead">{t('sp.renew.lead')}</p>
      {done ? (
        <Alert kind="success">
          {t('sp.renew.done')} <Link to="/portal/account">{t('sp.nav.overview')}</Link>
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <Card>
            <Field label={t('cert.serial')} name="serial" error={problem.fieldErrors.serial}>
              <input {...inputProps('serial', problem.fieldErrors)} value={serial} readOnly />
            </Field>
            <fieldset className="choices">
              <legend>{t('sp.renew.mode')}</legend>
              <label className="choice">
                <input type="radio" name="rekey" checked={rekey} onChange={() => setRekey(true)} />
                <span>{t('sp.renew.rekey')}</span>
              </label>
              <label className="choice">
                <input type="radio" name="rekey" checked={!rekey} onChange={() => setRekey(false)} />
                <span>{t('sp.renew.renewal')}</span>
              </label>
            </fieldset>
            {problem.formError && <Alert>{problem.formError}</Alert>}
            <button type="submit" disabled={busy || !serial}>
              {busy ? t('common.working') : t('sp.renew.submit')}
            </button>
          </Card>
        </form>
      )}
    </div>
  );
}
