import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, ProfileName, Steps, download, inputProps, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link, useRouter } from '../router';
import type { BrowserKeyAlgorithm } from './browser-key';
import { keyStore } from './key-store';
import { ID_TYPES } from '../subscriber-record';
import { Dn } from '../identifiers';

interface Downloaded {
  serial: string;
  profileId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  certificatePem: string;
  chainPem: string;
  applicationId: string;
}

const FIELDS = ['referenceNumber', 'authorizationCode', 'algorithm', 'password', 'passwordAgain', 'agent.delegationId', 'agent.idNumber'] as const;
const PASSWORD_MIN = 8;

/**
 * R5: download into the browser. The key pair is generated here; only the
 * signed PKCS#10 request and the download credential travel to the server.
 */
export function DownloadPage() {
  const { t, time } = useI18n();
  const { query } = useRouter();
  // The printed credential slip links here with its reference number (?ref=): only the code is left to type.
  const [referenceNumber, setReferenceNumber] = useState(() => query.get('ref') ?? '');
  const [authorizationCode, setAuthorizationCode] = useState('');
  const [algorithm, setAlgorithm] = useState<BrowserKeyAlgorithm>('ecdsa-p256');
  // Where the key goes: this browser (non-extractable), or a password-protected PKCS#12 file the subscriber saves.
  const [container, setContainer] = useState<'browser' | 'pkcs12'>('browser');
  const [password, setPassword] = useState('');
  const [passwordAgain, setPasswordAgain] = useState('');
  // R6: an agent completes the download for the subscriber, with the delegation number and their own ID.
  const [asAgent, setAsAgent] = useState(false);
  const [agent, setAgent] = useState({ delegationId: '', idType: 'resident-id', idNumber: '' });
  const [step, setStep] = useState(-1);
  const [failed, setFailed] = useState(false);
  const [result, setResult] = useState<Downloaded | null>(null);
  const problem = useProblem(FIELDS);
  const steps = [t('download.step.key'), t('download.step.request'), t('download.step.submit'), t('download.step.check'), t(container === 'pkcs12' ? 'download.step.pkcs12' : 'download.step.store')];
  const busy = step >= 0 && step < steps.length && !failed;

  async function start(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setResult(null);
    setFailed(false);
    const missing = !referenceNumber.trim() ? 'referenceNumber' : !authorizationCode.trim() ? 'authorizationCode' : null;
    if (missing) {
      problem.report(new Error(t('common.required')), {}, missing);
      return;
    }
    if (asAgent && !agent.delegationId.trim()) {
      problem.report(new Error(t('common.required')), {}, 'agent.delegationId');
      return;
    }
    if (asAgent && !agent.idNumber.trim()) {
      problem.report(new Error(t('common.required')), {}, 'agent.idNumber');
      return;
    }
    if (container === 'pkcs12' && [...password].length < PASSWORD_MIN) {
      problem.report(new Error(t('download.password-short', { n: PASSWORD_MIN })), {}, 'password');
      return;
    }
    if (container === 'pkcs12' && password !== passwordAgain) {
      problem.report(new Error(t('download.password-mismatch')), {}, 'passwordAgain');
      return;
    }
    try {
      setStep(0);
      // The PKCS#10 builder loads with this step only: the public pages stay light.
      const { certificateKeyFingerprint, certificationRequest, generateKeyPair, publicKeyFingerprint } = await import('./browser-key');
      // Yield a frame so the progress shows before WebCrypto works (RSA-2048 can take a second on a phone).
      await new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      // Extractable only when the subscriber asked for a file: the key must then be written into it once.
      const pair = await generateKeyPair(algorithm, container === 'pkcs12');
      setStep(1);
      const csr = await certificationRequest(pair);
      setStep(2);
      const issued = await api<Downloaded>('/api/v1/ra/downloads', {
        method: 'POST',
        body: {
          referenceNumber: referenceNumber.trim(),
          authorizationCode: authorizationCode.trim(),
          csr,
          ...(asAgent ? { agent: { delegationId: agent.delegationId.trim(), idType: agent.idType, idNumber: agent.idNumber.trim() } } : {}),
        },
      });
      setStep(3);
      if ((await certificateKeyFingerprint(issued.certificatePem)) !== (await publicKeyFingerprint(pair.keys.publicKey))) {
        throw new Error(t('download.key-mismatch'));
      }
      setStep(4);
      if (container === 'pkcs12') {
        const { buildPkcs12, pemCertificates } = await import('./pkcs12');
        const [certificateDer] = pemCertificates(issued.certificatePem);
        const pfx = await buildPkcs12({ privateKey: pair.keys.privateKey, certificateDer: certificateDer!, chainDer: pemCertificates(issued.chainPem), password, friendlyName: issued.subject });
        download(`${issued.serial}.p12`, pfx, 'application/x-pkcs12');
        setPassword('');
        setPasswordAgain('');
      } else await keyStore.save({
        serial: issued.serial,
        subject: issued.subject,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        certificatePem: issued.certificatePem,
        chainPem: issued.chainPem,
        algorithm,
        privateKey: pair.keys.privateKey,
        storedAt: new Date().toISOString(),
      });
      setStep(5);
      setResult(issued);
      setAuthorizationCode('');
    } catch (error) {
      setFailed(true);
      problem.report(error, { csr: 'algorithm', agent: 'agent.delegationId', 'agent.idNumber': 'agent.idNumber' });
    }
  }

  return (
    <div className="page">
      <h1>{t('download.title')}</h1>
      <p className="lead">{t('download.lead')}</p>
      {!result && (
        <Card title={t('download.credential')}>
          <form onSubmit={start} noValidate>
            <div className="grid two">
              <Field label={t('download.reference-number')} name="referenceNumber" error={problem.fieldErrors.referenceNumber} hint={t('download.reference-hint')}>
                <input {...inputProps('referenceNumber', problem.fieldErrors)} value={referenceNumber} onChange={(e) => setReferenceNumber(e.target.value)} inputMode="numeric" autoComplete="off" disabled={busy} />
              </Field>
              <Field label={t('download.authorization-code')} name="authorizationCode" error={problem.fieldErrors.authorizationCode} hint={t('download.code-hint')}>
                <input {...inputProps('authorizationCode', problem.fieldErrors)} value={authorizationCode} onChange={(e) => setAuthorizationCode(e.target.value)} autoComplete="off" spellCheck={false} disabled={busy} />
              </Field>
            </div>
            <fieldset className="choices" data-field="algorithm">
              <legend>{t('download.algorithm')}</legend>
              {(['ecdsa-p256', 'rsa-2048'] as const).map((a) => (
                <label key={a} className="choice">
                  <input type="radio" name="algorithm" value={a} checked={algorithm === a} onChange={() => setAlgorithm(a)} disabled={busy} />
                  <span>
                    <strong>{t(`download.algorithm.${a}`)}</strong>
                    <small>{t(`download.algorithm.${a}.hint`)}</small>
                  </span>
                </label>
              ))}
              {problem.fieldErrors.algorithm && (
                <small className="field-error" role="alert">
                  {problem.fieldErrors.algorithm}
                </small>
              )}
            </fieldset>
            <fieldset className="choices" data-field="container">
              <legend>{t('download.container')}</legend>
              {(['browser', 'pkcs12'] as const).map((c) => (
                <label key={c} className="choice">
                  <input type="radio" name="container" value={c} checked={container === c} onChange={() => setContainer(c)} disabled={busy} />
                  <span>
                    <strong>{t(`download.container.${c}`)}</strong>
                    <small>{t(`download.container.${c}.hint`)}</small>
                  </span>
                </label>
              ))}
            </fieldset>
            {container === 'pkcs12' && (
              <div className="grid two">
                <Field label={t('download.password')} name="password" error={problem.fieldErrors.password} hint={t('download.password-short', { n: PASSWORD_MIN })}>
                  <input {...inputProps('password', problem.fieldErrors)} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" disabled={busy} />
                </Field>
                <Field label={t('download.password-again')} name="passwordAgain" error={problem.fieldErrors.passwordAgain}>
                  <input {...inputProps('passwordAgain', problem.fieldErrors)} type="password" value={passwordAgain} onChange={(e) => setPasswordAgain(e.target.value)} autoComplete="new-password" disabled={busy} />
                </Field>
              </div>
            )}
            <div className="field">
              <label className="checkbox">
                <input id="f-as-agent" type="checkbox" checked={asAgent} onChange={(e) => setAsAgent(e.target.checked)} disabled={busy} />
                <span>{t('sp.download.as-agent')}</span>
              </label>
            </div>
            {asAgent && (
              <div className="grid three">
                <Field label={t('sp.agents.id')} name="agent.delegationId" error={problem.fieldErrors['agent.delegationId']}>
                  <input {...inputProps('agent.delegationId', problem.fieldErrors)} value={agent.delegationId} onChange={(e) => setAgent({ ...agent, delegationId: e.target.value })} autoComplete="off" disabled={busy} />
                </Field>
                <Field label={t('sp.agents.agent-id-type')} name="agent.idType">
                  <select id="f-agent.idType" value={agent.idType} onChange={(e) => setAgent({ ...agent, idType: e.target.value })} disabled={busy}>
                    {ID_TYPES.map((id) => (
                      <option key={id} value={id}>
                        {t(`id-type.${id}`)}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label={t('sp.agents.agent-id-number')} name="agent.idNumber" error={problem.fieldErrors['agent.idNumber']}>
                  <input {...inputProps('agent.idNumber', problem.fieldErrors)} value={agent.idNumber} onChange={(e) => setAgent({ ...agent, idNumber: e.target.value })} autoComplete="off" disabled={busy} />
                </Field>
              </div>
            )}
            <Alert kind="info">{t(container === 'pkcs12' ? 'download.key-file' : 'download.key-stays')}</Alert>
            <button type="submit" disabled={busy}>
              {busy ? t('common.working') : t('download.start')}
            </button>
          </form>
          {step >= 0 && <Steps steps={steps} current={step} failed={failed} />}
          {problem.formError && <Alert>{problem.formError}</Alert>}
        </Card>
      )}
      {result && (
        <Card title={t('download.done')}>
          <Alert kind="success">{t(container === 'pkcs12' ? 'download.done-pkcs12' : 'download.done-lead')}</Alert>
          <dl className="facts" data-testid="downloaded">
            <dt>{t('cert.serial')}</dt>
            <dd>
              <code className="break" data-testid="serial">
                {result.serial}
              </code>
            </dd>
            <dt>{t('cert.subject')}</dt>
            <dd>
          <Dn value={result.subject} />
        </dd>
            <dt>{t('cert.profile')}</dt>
            <dd>
              <ProfileName id={result.profileId} />
            </dd>
            <dt>{t('cert.not-after')}</dt>
            <dd>{time(result.notAfter)}</dd>
          </dl>
          <div className="button-row">
            <button type="button" className="secondary" onClick={() => download(`${result.serial}.pem`, result.certificatePem, 'application/x-pem-file')}>
              {t('download.save-certificate')}
            </button>
            <button type="button" className="secondary" onClick={() => download(`${result.serial}-chain.pem`, result.chainPem, 'application/x-pem-file')}>
              {t('download.save-chain')}
            </button>
            <Link to={`/status?serial=${result.serial}`} className="button">
              {t('download.check-status')}
            </Link>
            <Link to="/portal/certificates" className="button">
              {t('nav.my-certificates')}
            </Link>
          </div>
        </Card>
      )}
    </div>
  );
}
