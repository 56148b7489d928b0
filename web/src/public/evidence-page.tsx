import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, inputProps, useProblem } from '../components';
import { useI18n, type Locale } from '../i18n';
import { Dn } from '../identifiers';

interface Verification {
  valid: boolean;
  /** The verification's own conclusion: the report's when the package holds, otherwise that it failed and why. */
  verdict: Record<Locale, string>;
  /** What the server itself checked, each passed or failed. */
  verification: Array<{ id: string; ok: boolean; text: Record<Locale, string> }>;
  /** What the report states: given only for a package that verified. */
  conclusion: Record<Locale, string> | null;
  statusAtTime: 'not-revoked' | 'revoked' | 'not-valid' | null;
  transactionTime: string | null;
  timeSourceText: Record<Locale, string> | null;
  certificate: { serial: string; subject: string; issuer: string; notBefore: string; notAfter: string } | null;
  crl: { crlNumber: number; thisUpdate: string; nextUpdate: string; listed: boolean } | null;
  checks: Array<{ id: string; ok: boolean; text: Record<Locale, string> }>;
  signer: string | null;
  signedAt: string | null;
  rootFingerprint: string | null;
  problems: string[];
}

/**
 * R14, for anyone holding an evidence package: upload it, and the server
 * checks it against this CA's own roots (not the root inside the package)
 * and answers in the words the package itself carries, in both languages.
 */
export function EvidencePage() {
  const { t, time, locale } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);
  const problem = useProblem(['package']);

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setResult(null);
    if (!file) return problem.report(new Error(t('evidence-viewer.file-required')), {}, 'package');
    setBusy(true);
    try {
      setResult(await api<Verification>('/api/v1/evidence/verification', { method: 'POST', raw: { bytes: file, type: 'application/octet-stream' } }));
    } catch (error) {
      problem.report(error, {}, 'package');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page">
      <h1>{t('evidence-viewer.title')}</h1>
      <p className="lead">{t('evidence-viewer.lead')}</p>
      <form onSubmit={submit} noValidate>
        <Card>
          <Field label={t('evidence-viewer.file')} name="package" error={problem.fieldErrors.package}>
            <input {...inputProps('package', problem.fieldErrors)} type="file" accept=".p7m,.p7s,.der,application/pkcs7-mime,application/octet-stream" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </Field>
          {problem.formError && <Alert>{problem.formError}</Alert>}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('evidence-viewer.check')}
          </button>
        </Card>
      </form>
      {result && (
        <div data-testid="evidence-result" data-valid={String(result.valid)}>
          <Alert kind={result.valid ? 'success' : 'error'}>{t(result.valid ? 'evidence-viewer.valid' : 'evidence-viewer.invalid')}</Alert>
          <Card title={t('evidence-viewer.conclusion')}>
            <p className="status-line" data-testid="evidence-verdict">
              <strong>{result.verdict[locale]}</strong>
            </p>
            {result.valid && result.timeSourceText && <p className="muted">{result.timeSourceText[locale]}</p>}
          </Card>
          <Card title={t('evidence-viewer.verification')}>
            <ul className="plain checks">
              {result.verification.map((c) => (
                <li key={c.id} data-verification={c.id} data-ok={String(c.ok)}>
                  <span className={`badge badge-${c.ok ? 'good' : 'revoked'}`}>{t(c.ok ? 'evidence-viewer.ok' : 'evidence-viewer.failed')}</span> {c.text[locale]}
                </li>
              ))}
            </ul>
          </Card>
          {result.valid && result.checks.length > 0 && (
            <Card title={t('evidence-viewer.checks')}>
              <ul className="plain checks">
                {result.checks.map((c) => (
                  <li key={c.id} data-check={c.id} data-ok={String(c.ok)}>
                    <span className={`badge badge-${c.ok ? 'good' : 'revoked'}`}>{t(c.ok ? 'evidence-viewer.ok' : 'evidence-viewer.failed')}</span> {c.text[locale]}
                  </li>
                ))}
              </ul>
            </Card>
          )}
          {result.valid && result.certificate && (
            <Card title={t('evidence-viewer.certificate')}>
              <dl className="facts">
                <dt>{t('cert.serial')}</dt>
                <dd>
                  <code className="break">{result.certificate.serial}</code>
                </dd>
                <dt>{t('cert.subject')}</dt>
                <dd>
          <Dn value={result.certificate.subject} />
        </dd>
                <dt>{t('cert.issuer')}</dt>
                <dd>
          <Dn value={result.certificate.issuer} />
        </dd>
                <dt>{t('evidence-viewer.transaction-time')}</dt>
                <dd>{time(result.transactionTime)}</dd>
                {result.crl && (
                  <>
                    <dt>{t('evidence-viewer.crl')}</dt>
                    <dd>
                      {t('evidence-viewer.crl-number', { n: result.crl.crlNumber, from: time(result.crl.thisUpdate), to: time(result.crl.nextUpdate) })} ·{' '}
                      {t(result.crl.listed ? 'evidence-viewer.listed' : 'evidence-viewer.not-listed')}
                    </dd>
                  </>
                )}
                <dt>{t('evidence-viewer.signed-at')}</dt>
                <dd>{time(result.signedAt)}</dd>
                <dt>{t('evidence-viewer.signer')}</dt>
                <dd className="break">{result.signer ?? '—'}</dd>
                <dt>{t('evidence-viewer.root')}</dt>
                <dd>
                  <code className="break">{result.rootFingerprint ?? '—'}</code>
                </dd>
              </dl>
            </Card>
          )}
          {result.problems.length > 0 && (
            <details>
              <summary>{t('evidence-viewer.problems')}</summary>
              <ul lang="en">
                {result.problems.map((p) => (
                  <li key={p}>
                    <code className="break">{p}</code>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
