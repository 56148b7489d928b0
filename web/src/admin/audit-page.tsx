import { useState } from 'react';
import { Alert, Card, LoadError, Loading, Steps, useLoad } from '../components';
import { useOperator } from '../console/session';
import { useI18n } from '../i18n';
import { AdminPage } from './admin-nav';
import { admin, type AuditVerification, type AuditVerificationText, type ChainVerification, type CheckpointVerification } from './admin-api';

function Verdict({ ok }: { ok: boolean }) {
  const { t } = useI18n();
  return (
    <span className={`badge ${ok ? 'badge-verified' : 'badge-broken'}`} data-verdict={ok ? 'ok' : 'broken'}>
      {ok ? t('audit.intact') : t('audit.broken')}
    </span>
  );
}

function ChainResult({ chain, text }: { chain: ChainVerification; text: AuditVerificationText }) {
  const { t } = useI18n();
  return (
    <div data-testid="chain-result">
      <p className="verdict">
        <strong>{t('audit.chain')}</strong> <Verdict ok={chain.ok} />
      </p>
      {chain.ok ? (
        <dl className="facts">
          <dt>{t('audit.entries')}</dt>
          <dd data-testid="chain-entries">{chain.entries}</dd>
          <dt>{t('audit.head')}</dt>
          <dd>
            <code className="break small">{chain.headHash}</code>
          </dd>
        </dl>
      ) : (
        <Alert>
          {t('audit.first-bad', { seq: chain.firstBadSeq, good: chain.entries })}
          <br />
          <span className="break">{text.chain ?? chain.problem}</span>
        </Alert>
      )}
    </div>
  );
}

function CheckpointResult({ result, text }: { result: CheckpointVerification; text: AuditVerificationText }) {
  const { t } = useI18n();
  return (
    <div data-testid="checkpoint-result">
      <p className="verdict">
        <strong>{t('audit.checkpoints')}</strong> <Verdict ok={result.ok} />
      </p>
      {result.ok ? (
        <p>
          {result.checkpoints === 0
            ? t('audit.no-checkpoints')
            : t('audit.checkpoints-ok', { n: result.checkpoints, stamped: result.timeStamped, seq: result.lastCheckpointSeq ?? '—' })}
        </p>
      ) : (
        <Alert>
          {t('audit.checkpoint-bad', { id: result.checkpointId, seq: result.upToSeq })}
          <br />
          <span className="break">{text.checkpoints ?? result.problem}</span>
        </Alert>
      )}
    </div>
  );
}

/** The heads exported outside the database (SIGNET_AUDIT_HEAD_EXPORT), and whether production lacks pinned keys. */
function HeadsResult({ result, text }: { result: AuditVerification; text: AuditVerificationText }) {
  const { t } = useI18n();
  return (
    <div data-testid="heads-result">
      <p className="verdict">
        <strong>{t('audit.heads')}</strong> {result.heads && <Verdict ok={result.heads.ok} />}
      </p>
      {result.heads && !result.heads.ok ? <Alert>{text.heads}</Alert> : <p className={result.heads ? undefined : 'muted'}>{text.heads}</p>}
      {text.unpinned && <Alert>{text.unpinned}</Alert>}
    </div>
  );
}

/** R20: recompute the whole hash chain and check every signed checkpoint, and see the answer. */
export function AuditPage() {
  const { t, time, locale } = useI18n();
  const { operator } = useOperator();
  const checkpoints = useLoad(admin.checkpoints, []);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<(AuditVerification & { at: Date; ms: number }) | null>(null);
  const [signing, setSigning] = useState(false);
  const [signError, setSignError] = useState<unknown>(null);

  async function verify() {
    setRunning(true);
    setError(null);
    setResult(null);
    const started = performance.now();
    try {
      const answer = await admin.verifyAudit();
      setResult({ ...answer, at: new Date(), ms: Math.round(performance.now() - started) });
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  }

  async function sign() {
    setSigning(true);
    setSignError(null);
    try {
      await admin.checkpoint();
      checkpoints.reload();
    } catch (e) {
      setSignError(e);
    } finally {
      setSigning(false);
    }
  }

  return (
    <AdminPage title={t('admin.audit')} lead={t('audit.lead')}>
      <Card title={t('audit.verify-title')}>
        <button type="button" onClick={() => void verify()} disabled={running}>
          {running ? t('audit.verifying') : t('audit.verify')}
        </button>
        {running && <Steps steps={[t('audit.step-chain'), t('audit.step-checkpoints')]} current={0} />}
        <LoadError error={error} />
        {result && (
          <div className="audit-result" aria-live="polite">
            <p className="muted small">{t('audit.verified-at', { at: time(result.at), ms: result.ms.toLocaleString(locale) })}</p>
            <ChainResult chain={result.chain} text={result.texts[locale]} />
            <CheckpointResult result={result.checkpoints} text={result.texts[locale]} />
            <HeadsResult result={result} text={result.texts[locale]} />
          </div>
        )}
      </Card>
      <Card
        title={t('audit.signed-checkpoints')}
        actions={
          operator.role === 'ca-admin' && (
            <button type="button" className="secondary small" onClick={() => void sign()} disabled={signing}>
              {signing ? t('common.working') : t('audit.sign-now')}
            </button>
          )
        }
      >
        <LoadError error={signError} />
        {checkpoints.loading && !checkpoints.data && <Loading />}
        <LoadError error={checkpoints.error} />
        {checkpoints.data && checkpoints.data.length === 0 && <p className="muted">{t('common.none')}</p>}
        {checkpoints.data && checkpoints.data.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('audit.signed-at')}</th>
                  <th>{t('audit.up-to')}</th>
                  <th>{t('audit.head')}</th>
                  <th>{t('audit.time-stamp')}</th>
                </tr>
              </thead>
              <tbody>
                {[...checkpoints.data].reverse().map((c) => (
                  <tr key={c.id}>
                    <td data-label={t('audit.signed-at')}>{time(c.at)}</td>
                    <td data-label={t('audit.up-to')}>#{c.upToSeq}</td>
                    <td data-label={t('audit.head')}>
                      <code className="small">{c.headHash.slice(0, 16)}…</code>
                    </td>
                    <td data-label={t('audit.time-stamp')}>{c.timeStamped ? t('audit.stamped') : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </AdminPage>
  );
}
