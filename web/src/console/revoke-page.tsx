import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, Card, Field, inputProps, useProblem } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { useCrlOnly } from '../public/crl-only';
import { StatusResult, lookupBySerial, type PublicStatus } from '../public/status-page';
import { useRouter } from '../router';
import { useOperator } from './session';

const CHANNELS = ['subscriber', 'rights-holder', 'ra', 'ca'] as const;
/** What a subscriber or RA may give as the reason (R7); cACompromise and aACompromise are not for subscriber certificates. */
const REASONS = ['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'unspecified'] as const;
/** What a subscriber may ask their RA for (src/ra/revocation-requests.ts). */
const SUBSCRIBER_REASONS = ['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'superseded', 'unspecified'] as const;
/** R15: the CA's own grounds (agreement II.4); the RFC 5280 reason follows from the ground. */
const GROUNDS = ['false-information', 'breach', 'written-request', 'security-not-ensured', 'use-in-crime', 'other-legal-grounds'] as const;

/** Revocation for ever (R7), on the subscriber's or rights holder's request or on the CA's own ground (R15). */
export function RevokePage() {
  const { t } = useI18n();
  const { query } = useRouter();
  const { operator } = useOperator();
  // A CRL-only deployment (SIGNET_CRL_ONLY) has no OCSP to tell relying parties: the texts speak of the CRL.
  const crlOnly = useCrlOnly();
  const [serial, setSerial] = useState(query.get('serial') ?? '');
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>('subscriber');
  const [reason, setReason] = useState<string>('keyCompromise');
  const [ground, setGround] = useState<string>('false-information');
  const [justification, setJustification] = useState('');
  const [invalidityDate, setInvalidityDate] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<PublicStatus | null>(null);
  const problem = useProblem(['serial', 'channel', 'reason', 'ground', 'justification', 'invalidityDate', 'confirm']);
  // An RA officer records the subscriber's request at their RA (R7, R18); other channels are the CA's operators' (R15).
  const atTheRa = operator.role === 'ra-officer' && channel === 'subscriber';
  const reasons = atTheRa ? SUBSCRIBER_REASONS : REASONS;

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!confirm) {
      problem.report(new Error(t('revoke.confirm-required')), {}, 'confirm');
      return;
    }
    setBusy(true);
    try {
      const id = serial.trim().replace(/[:\s]/g, '');
      if (!id) throw Object.assign(new Error(t('status.serial-required')), { field: 'serial' });
      if (atTheRa) {
        const body: Record<string, string> = { reason };
        if (justification.trim()) body.justification = justification.trim();
        await api(`/api/v1/ra/certificates/${encodeURIComponent(id)}/revocations`, { method: 'POST', body, operator: true });
      } else {
        const body: Record<string, string> = { channel };
        if (channel === 'ca') body.ground = ground;
        else body.reason = reason;
        if (justification.trim()) body.justification = justification.trim();
        if (invalidityDate) body.invalidityDate = new Date(invalidityDate).toISOString();
        await api(`/api/v1/certificates/${encodeURIComponent(id)}/revocation`, { method: 'POST', body, operator: true });
      }
      setDone(await lookupBySerial(id));
    } catch (error) {
      problem.report(error, { serial: 'serial' }, (error as { field?: string }).field);
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <div className="page">
        <h1>{t('revoke.title')}</h1>
        <Alert kind="success">
          <span data-testid="revocation-done">{t(crlOnly ? 'revoke.done-crl-only' : 'revoke.done')}</span>
        </Alert>
        <Card>
          <StatusResult result={done} />
        </Card>
      </div>
    );
  }
  const e = problem.fieldErrors;
  return (
    <div className="page">
      <h1>{t('revoke.title')}</h1>
      <p className="lead" data-testid="revoke-lead">
        {t(crlOnly ? 'revoke.lead-crl-only' : 'revoke.lead')}
      </p>
      <form onSubmit={submit} noValidate>
        <Card>
          <Field label={t('cert.serial')} name="serial" error={e.serial}>
            <input {...inputProps('serial', e)} value={serial} onChange={(ev) => setSerial(ev.target.value)} autoComplete="off" spellCheck={false} />
          </Field>
          <Field label={t('revoke.channel')} name="channel" error={e.channel}>
            <select {...inputProps('channel', e)} value={channel} onChange={(ev) => setChannel(ev.target.value as (typeof CHANNELS)[number])}>
              {CHANNELS.map((c) => (
                <option key={c} value={c}>
                  {t(`revoke.channel.${c}`)}
                </option>
              ))}
            </select>
          </Field>
          {channel === 'ca' ? (
            <Field label={t('revoke.ground')} name="ground" error={e.ground} hint={t('revoke.ground-hint')}>
              <select {...inputProps('ground', e)} value={ground} onChange={(ev) => setGround(ev.target.value)}>
                {GROUNDS.map((g) => (
                  <option key={g} value={g}>
                    {t(`ground.${g}`)}
                  </option>
                ))}
              </select>
            </Field>
          ) : (
            <Field label={t('cert.reason')} name="reason" error={e.reason}>
              <select {...inputProps('reason', e)} value={reason} onChange={(ev) => setReason(ev.target.value)}>
                {reasons.map((r) => (
                  <option key={r} value={r}>
                    {t(`reason.${r}` as MessageKey)}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field label={t('revoke.justification')} name="justification" error={e.justification} hint={channel === 'ca' || channel === 'rights-holder' ? t('revoke.justification-required') : t('revoke.justification-hint')}>
            <textarea {...inputProps('justification', e)} value={justification} onChange={(ev) => setJustification(ev.target.value)} rows={3} />
          </Field>
          {!atTheRa && (
            <Field label={t('revoke.invalidity-date')} name="invalidityDate" error={e.invalidityDate} hint={t('revoke.invalidity-hint')}>
              <input {...inputProps('invalidityDate', e)} type="datetime-local" value={invalidityDate} onChange={(ev) => setInvalidityDate(ev.target.value)} />
            </Field>
          )}
          {!atTheRa && operator.role !== 'ca-admin' && <Alert kind="info">{t('revoke.ca-operators')}</Alert>}
          <div className={`field${e.confirm ? ' has-error' : ''}`} data-field="confirm">
            <label className="checkbox">
              <input id="f-confirm" type="checkbox" checked={confirm} onChange={(ev) => setConfirm(ev.target.checked)} />
              <span>{t('revoke.confirm')}</span>
            </label>
            {e.confirm && (
              <small className="field-error" role="alert">
                {e.confirm}
              </small>
            )}
          </div>
          {problem.formError && <Alert>{problem.formError}</Alert>}
          <button type="submit" className="danger" disabled={busy}>
            {busy ? t('common.working') : t('revoke.action')}
          </button>
        </Card>
      </form>
    </div>
  );
}
