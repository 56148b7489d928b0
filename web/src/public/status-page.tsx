import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, inputProps, StatusBadge, useProblem } from '../components';
import { useCrlOnly } from './crl-only';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { useRouter } from '../router';
import { Dn } from '../identifiers';

/** What the public lookup says (R16): the certificate's own content and its status, nothing about the subscriber. */
export interface PublicStatus {
  serial: string;
  status: 'good' | 'revoked' | 'expired' | 'not-yet-valid';
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  revokedAt?: string;
  reason?: string;
  fingerprintSha256: string;
}

export function reasonKey(reason: string): MessageKey {
  return `reason.${reason}` as MessageKey;
}

export function lookupBySerial(serial: string): Promise<PublicStatus> {
  return api<PublicStatus>(`/api/v1/status/${encodeURIComponent(serial.trim().replace(/[:\s]/g, ''))}`);
}

export function StatusResult({ result }: { result: PublicStatus }) {
  const { t, time } = useI18n();
  return (
    <div className="status-result" data-testid="status-result" data-status={result.status}>
      <p className="status-line">
        <StatusBadge status={result.status} /> <span>{t(`status.explain.${result.status}` as MessageKey)}</span>
      </p>
      <dl className="facts">
        <dt>{t('cert.serial')}</dt>
        <dd>
          <code className="break">{result.serial}</code>
        </dd>
        <dt>{t('cert.subject')}</dt>
        <dd>
          <Dn value={result.subject} />
        </dd>
        <dt>{t('cert.issuer')}</dt>
        <dd>
          <Dn value={result.issuer} />
        </dd>
        <dt>{t('cert.not-before')}</dt>
        <dd>{time(result.notBefore)}</dd>
        <dt>{t('cert.not-after')}</dt>
        <dd>{time(result.notAfter)}</dd>
        {result.revokedAt && (
          <>
            <dt>{t('cert.revoked-at')}</dt>
            <dd>{time(result.revokedAt)}</dd>
            <dt>{t('cert.reason')}</dt>
            <dd>{result.reason ? t(reasonKey(result.reason)) : '—'}</dd>
          </>
        )}
        <dt>{t('cert.fingerprint')}</dt>
        <dd>
          <code className="break small">{result.fingerprintSha256}</code>
        </dd>
      </dl>
      <p className="links">
        <a href={`/api/v1/certificates/${result.serial}.pem`} download={`${result.serial}.pem`}>
          {t('cert.download-pem')}
        </a>{' '}
        ·{' '}
        <a href={`/api/v1/certificates/${result.serial}.crt`} download={`${result.serial}.crt`}>
          {t('cert.download-der')}
        </a>{' '}
        ·{' '}
        <a href={`/api/v1/certificates/${result.serial}.p7b`} download={`${result.serial}.p7b`}>
          {t('cert.download-p7b')}
        </a>
      </p>
    </div>
  );
}

/** The public status lookup: by serial number, or by uploading the certificate itself. */
export function StatusPage() {
  const { t } = useI18n();
  const { query, navigate } = useRouter();
  const [serial, setSerial] = useState(query.get('serial') ?? '');
  const [result, setResult] = useState<PublicStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const problem = useProblem(['serial', 'certificate']);
  // CRL-only mode (SIGNET_CRL_ONLY): no CA names an OCSP responder, so the page does not send relying parties there.
  const crlOnly = useCrlOnly();

  async function lookup(value: string) {
    problem.clear();
    setResult(null);
    if (!value.trim()) {
      problem.report(new Error(t('status.serial-required')), {}, 'serial');
      return;
    }
    setBusy(true);
    try {
      setResult(await lookupBySerial(value));
    } catch (error) {
      // A serial the CA does not know is an answer about the field the reader typed in.
      problem.report(error, {}, 'serial');
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    const initial = query.get('serial');
    if (initial) void lookup(initial);
    // Only on arrival with ?serial=…
  }, []);

  async function upload(file: File | undefined) {
    if (!file) return;
    problem.clear();
    setResult(null);
    setBusy(true);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const pem = new TextDecoder('latin1').decode(bytes.slice(0, 64)).includes('-----BEGIN');
      setResult(await api<PublicStatus>('/api/v1/status', { method: 'POST', raw: { bytes, type: pem ? 'application/x-pem-file' : 'application/pkix-cert' } }));
    } catch (error) {
      problem.report(error, {}, 'certificate');
    } finally {
      setBusy(false);
    }
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/status?serial=${encodeURIComponent(serial.trim())}`, { replace: true });
    void lookup(serial);
  };

  return (
    <div className="page">
      <h1>{t('status.title')}</h1>
      <p className="lead">{t('status.lead')}</p>
      <div className="grid two">
        <Card title={t('status.by-serial')}>
          <form onSubmit={submit} noValidate>
            <Field label={t('cert.serial')} name="serial" error={problem.fieldErrors.serial} hint={t('status.serial-hint')}>
              <input {...inputProps('serial', problem.fieldErrors)} value={serial} onChange={(e) => setSerial(e.target.value)} autoComplete="off" spellCheck={false} inputMode="text" />
            </Field>
            <button type="submit" disabled={busy}>
              {busy ? t('common.working') : t('status.lookup')}
            </button>
          </form>
        </Card>
        <Card title={t('status.by-upload')}>
          <Field label={t('status.certificate-file')} name="certificate" error={problem.fieldErrors.certificate} hint={t('status.upload-hint')}>
            <input {...inputProps('certificate', problem.fieldErrors)} type="file" accept=".pem,.crt,.cer,.der" onChange={(e) => void upload(e.target.files?.[0])} />
          </Field>
        </Card>
      </div>
      {problem.formError && <Alert>{problem.formError}</Alert>}
      {result && (
        <Card title={t('status.result')}>
          <StatusResult result={result} />
        </Card>
      )}
      <p className="muted small">{t(crlOnly ? 'status.relying-parties-crl-only' : 'status.relying-parties')}</p>
    </div>
  );
}
