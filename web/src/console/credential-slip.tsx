import { useState } from 'react';
import { createPortal, flushSync } from 'react-dom';
import { Alert, useLoad } from '../components';
import { useI18n } from '../i18n';
import { ContactDetails, loadContact } from '../public/site-pages';
import type { Credential } from './ra-api';

/** Where the subscriber downloads with this credential: the reference number already filled in. */
export function downloadUrl(referenceNumber: string): string {
  return `${window.location.origin}/portal/download?ref=${encodeURIComponent(referenceNumber)}`;
}

/**
 * The download credential, shown once: the officer hands it to the subscriber
 * on a printed slip (reference number, code, where to download, until when,
 * whom to call) or by SMS. "Print slip" prints the slip alone, not the
 * console page around it: the slip is rendered outside the app's root and the
 * print stylesheet shows only it while the print dialog is open.
 */
export function CredentialSlip({ credential, subscriberName }: { credential: Credential; subscriberName?: string }) {
  const { t, time } = useI18n();
  const [printing, setPrinting] = useState(false);
  const contact = useLoad(loadContact, []);
  const url = downloadUrl(credential.referenceNumber);

  function print() {
    // The sheet must be in the document before the print dialog reads it.
    flushSync(() => setPrinting(true));
    document.body.classList.add('print-slip');
    const done = () => {
      window.removeEventListener('afterprint', done);
      document.body.classList.remove('print-slip');
      setPrinting(false);
    };
    window.addEventListener('afterprint', done);
    window.print();
  }

  return (
    <div className="credential" data-testid="credential">
      <Alert kind="warning">{t('credential.once')}</Alert>
      <dl className="facts big">
        <dt>{t('download.reference-number')}</dt>
        <dd>
          <code data-testid="reference-number">{credential.referenceNumber}</code>
        </dd>
        <dt>{t('download.authorization-code')}</dt>
        <dd>
          <code data-testid="authorization-code">{credential.authorizationCode}</code>
        </dd>
        <dt>{t('credential.expires')}</dt>
        <dd>{time(credential.expiresAt)}</dd>
        <dt>{t('slip.url')}</dt>
        <dd>
          <code className="break small" data-testid="download-url">
            {url}
          </code>
        </dd>
      </dl>
      <button type="button" className="secondary" data-testid="print-slip" onClick={print}>
        {t('slip.print')}
      </button>
      {printing &&
        createPortal(
          <article className="slip-sheet" data-testid="slip-sheet" lang={document.documentElement.lang}>
            <header>
              <strong>{t('app.name')}</strong>
              <h1>{t('slip.title')}</h1>
            </header>
            {subscriberName && (
              <p>
                {t('slip.for')}
                {subscriberName}
              </p>
            )}
            <dl>
              <dt>{t('download.reference-number')}</dt>
              <dd>
                <code>{credential.referenceNumber}</code>
              </dd>
              <dt>{t('download.authorization-code')}</dt>
              <dd>
                <code>{credential.authorizationCode}</code>
              </dd>
              <dt>{t('credential.expires')}</dt>
              <dd>{time(credential.expiresAt)}</dd>
              <dt>{t('slip.url')}</dt>
              <dd>
                <code>{url}</code>
              </dd>
            </dl>
            <h2>{t('slip.how')}</h2>
            <ol>
              <li>{t('slip.step1')}</li>
              <li>{t('slip.step2')}</li>
              <li>{t('slip.step3')}</li>
            </ol>
            <p className="slip-warning">{t('slip.keep')}</p>
            <h2>{t('contact.title')}</h2>
            <ContactDetails contact={contact.data} />
            <p className="slip-printed">{t('slip.printed', { at: time(new Date()) })}</p>
          </article>,
          document.body,
        )}
    </div>
  );
}
