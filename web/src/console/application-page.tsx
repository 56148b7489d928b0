import { useState } from 'react';
import { api } from '../api';
import { Alert, Card, Field, LoadError, Loading, ProfileName, StatusBadge, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { ra, type Application, type ApprovalCheck, type Credential, type PersonRecord, type SubscriberDetail } from './ra-api';
import { useOperator } from './session';
import { CredentialSlip } from './credential-slip';
import { Actor } from '../identifiers';

function Person({ person }: { person: PersonRecord }) {
  const { t } = useI18n();
  return (
    <>
      {person.name} · {t(`id-type.${person.idType}` as never)} <code>{person.idNumber}</code>
      {person.phone && <> · {person.phone}</>}
      {person.email && <> · {person.email}</>}
    </>
  );
}

function SubscriberFacts({ subscriber }: { subscriber: SubscriberDetail }) {
  const { t, time } = useI18n();
  const r = subscriber.record.record;
  return (
    <dl className="facts">
      <dt>{t('subscriber.type')}</dt>
      <dd>{t(`subscriber.type.${r.type}`)}</dd>
      <dt>{t(r.type === 'enterprise' ? 'register.enterprise-name' : 'register.name')}</dt>
      <dd>{r.name}</dd>
      {r.type === 'individual' ? (
        <>
          <dt>{t('register.idNumber')}</dt>
          <dd>
            {t(`id-type.${r.idType}` as never)} <code>{r.idNumber}</code>
          </dd>
          <dt>{t('register.phone')}</dt>
          <dd>{r.phone}</dd>
          <dt>{t('register.email')}</dt>
          <dd>{r.email}</dd>
        </>
      ) : (
        <>
          <dt>{t('register.uscc')}</dt>
          <dd>
            <code>{r.uscc}</code>
          </dd>
          <dt>{t('register.legal-representative')}</dt>
          <dd>
            <Person person={r.legalRepresentative} />
          </dd>
          <dt>{t('register.agent')}</dt>
          <dd>
            <Person person={r.agent} />
          </dd>
        </>
      )}
      <dt>{t('subscriber.version')}</dt>
      <dd>
        v{subscriber.record.version} · {time(subscriber.record.validFrom)} · <Actor id={subscriber.record.recordedBy} />
      </dd>
    </dl>
  );
}

/** One application under review: the subscriber's data and documents beside the decision (R4). */
export function ApplicationPage({ id }: { id: string }) {
  const { t, time, locale } = useI18n();
  const { operator } = useOperator();
  const [acknowledged, setAcknowledged] = useState(false);
  const [recorded, setRecorded] = useState<ApprovalCheck['texts']>([]);
  const data = useLoad(async () => {
    const application = await ra.application(id);
    const [subscriber, documents, approval] = await Promise.all([
      ra.subscriber(application.subscriberId),
      ra.documents(application.subscriberId).catch(() => []),
      // Issue 20: whether this officer may approve, and what the approval will record, before they decide.
      application.status === 'in-review' ? ra.approvalCheck(id).catch(() => null) : Promise.resolve(null),
    ]);
    return { application, subscriber, documents, approval };
  }, [id]);
  const [credential, setCredential] = useState<Credential | null>(null);
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const problem = useProblem(['note', 'reason']);
  const officer = operator.role === 'ra-officer';
  const [kind, setKind] = useState('id-document');
  const upload = useProblem(['document']);
  // The document the officer is looking at, as a data: URL of the bytes fetched with their credentials (the read is audited).
  const [shown, setShown] = useState<{ url: string; filename: string; mediaType: string } | null>(null);

  async function view(document: { id: string; subscriberId: string; filename: string; mediaType: string }) {
    upload.clear();
    try {
      const blob = await api<Blob>(`/api/v1/ra/subscribers/${encodeURIComponent(document.subscriberId)}/documents/${encodeURIComponent(document.id)}`, { operator: true, blob: true });
      const url = await new Promise<string>((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.onerror = () => reject(reader.error ?? new Error('unreadable document'));
        reader.readAsDataURL(new Blob([blob], { type: document.mediaType }));
      });
      setShown({ url, filename: document.filename, mediaType: document.mediaType });
    } catch (error) {
      upload.report(error, {}, 'document');
    }
  }

  /** R1: a supporting document, stored by the RA with its SHA-256 (PDF, JPEG or PNG). */
  async function addDocument(file: File | undefined, subscriberId: string) {
    if (!file) return;
    upload.clear();
    try {
      const query = new URLSearchParams({ kind, filename: file.name });
      await api(`/api/v1/ra/subscribers/${encodeURIComponent(subscriberId)}/documents?${query}`, {
        method: 'POST',
        raw: { bytes: file, type: file.type || 'application/octet-stream' },
        operator: true,
      });
      data.reload();
    } catch (error) {
      upload.report(error, {}, 'document');
    }
  }

  async function act(path: string, body?: unknown, field?: string) {
    problem.clear();
    setBusy(true);
    try {
      const answer = await ra.act<{ credential?: Credential } & Partial<Credential> & Partial<Application>>(`/api/v1/ra/applications/${id}/${path}`, body);
      if (path === 'approve') setRecorded(data.data?.approval?.texts ?? []);
      if (answer.credential) setCredential(answer.credential);
      else if (answer.referenceNumber && answer.authorizationCode && answer.expiresAt) setCredential(answer as Credential);
      data.reload();
    } catch (error) {
      problem.report(error, {}, field);
    } finally {
      setBusy(false);
    }
  }

  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  const { application: a, subscriber, documents, approval } = data.data;
  const mustAcknowledge = (approval?.warnings.length ?? 0) > 0;
  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/console/applications">{t('applications.title')}</Link> ›
      </p>
      <div className="page-title">
        <h1>
          {subscriber.name} <StatusBadge status={a.status} />
        </h1>
      </div>
      {credential && (
        <Card title={t('credential.title')}>
          <CredentialSlip credential={credential} subscriberName={subscriber.name} />
          {recorded.length > 0 && (
            <div data-testid="approval-recorded">
              <p className="muted">{t('approval.recorded')}</p>
              <ul>
                {recorded.map((w) => (
                  <li key={w.code}>{w[locale]}</li>
                ))}
              </ul>
            </div>
          )}
        </Card>
      )}
      <div className="grid two">
        <Card title={t('application.title')}>
          <dl className="facts">
            <dt>{t('applications.purpose')}</dt>
            <dd>{t(`purpose.${a.purpose}`)}</dd>
            <dt>{t('cert.profile')}</dt>
            <dd>
              <ProfileName id={a.profileId} showId />
            </dd>
            <dt>{t('application.key-generation')}</dt>
            <dd>{t(a.keyGeneration === 'server' ? 'application.key-generation.server' : 'application.key-generation.subscriber')}</dd>
            <dt>{t('applications.submitted')}</dt>
            <dd>
              {time(a.submittedAt)} · <Actor id={a.submittedBy} />
            </dd>
            {a.decidedAt && (
              <>
                <dt>{t('application.decided')}</dt>
                <dd>
                  {time(a.decidedAt)} · <Actor id={a.decidedBy} />
                </dd>
              </>
            )}
            {a.decisionReason && (
              <>
                <dt>{t('application.reason')}</dt>
                <dd>{a.decisionReason}</dd>
              </>
            )}
            {a.certificateSerial && (
              <>
                <dt>{t('cert.serial')}</dt>
                <dd>
                  <Link to={`/status?serial=${a.certificateSerial}`}>
                    <code className="break">{a.certificateSerial}</code>
                  </Link>{' '}
                  · <Link to={`/console/revoke?serial=${a.certificateSerial}`}>{t('revoke.title')}</Link>
                </dd>
              </>
            )}
          </dl>
        </Card>
        <Card title={t('subscriber.title')}>
          <SubscriberFacts subscriber={subscriber} />
          <h3>{t('documents.title')}</h3>
          {documents.length === 0 ? (
            <p className="muted">{t('documents.none')}</p>
          ) : (
            <ul className="plain">
              {documents.map((d) => (
                <li key={d.id}>
                  {d.filename} · {t(`documents.kind.${d.kind}` as never)} · {(d.size / 1024).toFixed(1)} KiB · SHA-256 <code className="small">{d.sha256.slice(0, 16)}…</code>{' '}
                  <button type="button" className="small secondary" data-view-document={d.id} onClick={() => void view(d)}>
                    {t('documents.view')}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {shown && (
            <figure className="document-view" data-testid="document-view" data-media-type={shown.mediaType}>
              {/* Images inline; a PDF opens in the browser's own viewer in a new tab (the page's CSP admits no plugins). */}
              {shown.mediaType.startsWith('image/') ? (
                <img src={shown.url} alt={shown.filename} />
              ) : (
                <a className="button" href={shown.url} target="_blank" rel="noopener">
                  {t('documents.open')}
                </a>
              )}
              <figcaption className="muted small">
                {shown.filename} ·{' '}
                <a href={shown.url} download={shown.filename}>
                  {t('documents.download')}
                </a>{' '}
                · {t('documents.audited')}
              </figcaption>
            </figure>
          )}
          {(operator.role === 'ra-officer' || operator.role === 'ra-admin') && (
            <div className="inline-form">
              <label className="field">
                <span>{t('documents.kind')}</span>
                <select value={kind} onChange={(e) => setKind(e.target.value)}>
                  {['id-document', 'business-licence', 'authorisation-letter', 'change-evidence', 'other'].map((k) => (
                    <option key={k} value={k}>
                      {t(`documents.kind.${k}` as never)}
                    </option>
                  ))}
                </select>
              </label>
              <Field label={t('documents.add')} name="document" error={upload.fieldErrors.document} hint={t('documents.hint')}>
                <input {...inputProps('document', upload.fieldErrors)} type="file" accept="application/pdf,image/jpeg,image/png" onChange={(e) => void addDocument(e.target.files?.[0], a.subscriberId)} />
              </Field>
            </div>
          )}
        </Card>
      </div>
      {officer && ['submitted', 'in-review', 'approved'].includes(a.status) && (
        <Card title={t('application.decision')}>
          {a.status === 'submitted' && (
            <p>
              <button type="button" disabled={busy} onClick={() => void act('review')}>
                {t('application.take')}
              </button>
            </p>
          )}
          {a.status === 'in-review' && (
            <div className="decision">
              <Field label={t('application.note')} name="note" error={problem.fieldErrors.note}>
                <input {...inputProps('note', problem.fieldErrors)} value={note} onChange={(e) => setNote(e.target.value)} />
              </Field>
              {approval?.refused && (
                <div data-testid="approval-refused">
                  <Alert>
                    <strong>{t('approval.refused')}</strong>
                    <br />
                    {approval.texts[0]?.[locale]}
                  </Alert>
                </div>
              )}
              {approval && !approval.refused && mustAcknowledge && (
                <div data-testid="approval-warnings">
                  <Alert kind="warning">
                    <strong>{t('approval.warnings')}</strong>
                    <ul>
                      {approval.texts.map((w) => (
                        <li key={w.code} data-warning={w.code}>
                          {w[locale]}
                        </li>
                      ))}
                    </ul>
                  </Alert>
                  <label className="checkbox">
                    <input type="checkbox" name="acknowledge" checked={acknowledged} onChange={(e) => setAcknowledged(e.target.checked)} /> {t('approval.acknowledge')}
                  </label>
                </div>
              )}
              <button
                type="button"
                disabled={busy || approval?.refused === true}
                onClick={() => {
                  if (mustAcknowledge && !acknowledged) {
                    problem.clear();
                    problem.report(new Error(t('approval.acknowledge-required')), {});
                    return;
                  }
                  void act('approve', note.trim() ? { note: note.trim() } : {}, 'note');
                }}
              >
                {t('application.approve')}
              </button>
            </div>
          )}
          {a.status === 'approved' && (
            <p>
              <button type="button" className="secondary" disabled={busy} onClick={() => void act('credential')}>
                {t('application.new-credential')}
              </button>
            </p>
          )}
          {['submitted', 'in-review'].includes(a.status) && (
            <div className="decision">
              <Field label={t('application.reject-reason')} name="reason" error={problem.fieldErrors.reason}>
                <textarea {...inputProps('reason', problem.fieldErrors)} value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
              </Field>
              <button type="button" className="danger" disabled={busy} onClick={() => void act('reject', { reason: reason.trim() }, 'reason')}>
                {t('application.reject')}
              </button>
            </div>
          )}
          {problem.formError && <Alert>{problem.formError}</Alert>}
        </Card>
      )}
      {!officer && ['submitted', 'in-review'].includes(a.status) && <Alert kind="info">{t('application.officers-only')}</Alert>}
    </div>
  );
}
