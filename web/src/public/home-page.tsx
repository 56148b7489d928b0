import { useState, type FormEvent } from 'react';
import { Card } from '../components';
import { useI18n } from '../i18n';
import { Link, useRouter } from '../router';

/** The front page: what a relying party, a subscriber and an officer each come for. */
export function HomePage() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [serial, setSerial] = useState('');
  const lookup = (event: FormEvent) => {
    event.preventDefault();
    if (serial.trim()) navigate(`/status?serial=${encodeURIComponent(serial.trim())}`);
  };
  return (
    <div className="page">
      <section className="hero">
        <h1>{t('home.title')}</h1>
        <p className="lead">{t('home.lead')}</p>
        <form className="lookup" onSubmit={lookup} role="search">
          <label htmlFor="home-serial" className="visually-hidden">
            {t('cert.serial')}
          </label>
          <input id="home-serial" value={serial} onChange={(e) => setSerial(e.target.value)} placeholder={t('home.serial-placeholder')} autoComplete="off" spellCheck={false} />
          <button type="submit">{t('status.lookup')}</button>
        </form>
      </section>
      <div className="grid three">
        <Card title={t('home.subscribers')}>
          <p>{t('home.subscribers-lead')}</p>
          <ul className="plain">
            <li>
              <Link to="/portal/apply">{t('nav.apply')}</Link>
            </li>
            <li>
              <Link to="/portal/register">{t('sp.register.title')}</Link>
            </li>
            <li>
              <Link to="/portal/account">{t('sp.nav.account')}</Link>
            </li>
            <li>
              <Link to="/portal/download">{t('nav.download')}</Link>
            </li>
            <li>
              <Link to="/portal/certificates">{t('nav.my-certificates')}</Link>
            </li>
          </ul>
        </Card>
        <Card title={t('home.relying-parties')}>
          <p>{t('home.relying-parties-lead')}</p>
          <ul className="plain">
            <li>
              <Link to="/status">{t('status.title')}</Link>
            </li>
            <li>
              <Link to="/repository">{t('repository.title')}</Link>
            </li>
            <li>
              <Link to="/repository/cps">{t('cps.title')}</Link>
            </li>
            <li>
              <Link to="/evidence">{t('evidence-viewer.title')}</Link>
            </li>
          </ul>
        </Card>
        <Card title={t('home.operators')}>
          <p>{t('home.operators-lead')}</p>
          <ul className="plain">
            <li>
              <Link to="/console">{t('nav.console')}</Link>
            </li>
            <li>
              <a href="/api/docs">{t('repository.api')}</a>
            </li>
          </ul>
        </Card>
      </div>
    </div>
  );
}

/** How a certificate is obtained (R0, R1, R4, R5): the steps, and where each happens. */
export function ApplyPage() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t('apply.title')}</h1>
      <p className="lead">{t('apply.lead')}</p>
      <ol className="timeline">
        {(['agreement', 'register', 'review', 'download', 'use'] as const).map((step) => (
          <li key={step}>
            <h3>{t(`apply.${step}`)}</h3>
            <p>{t(`apply.${step}.text`)}</p>
            {step === 'agreement' && <Link to="/agreement">{t('agreement.title')}</Link>}
            {step === 'register' && <Link to="/portal/register">{t('sp.register.title')}</Link>}
            {step === 'download' && <Link to="/portal/download">{t('nav.download')}</Link>}
            {step === 'use' && <Link to="/portal/certificates">{t('nav.my-certificates')}</Link>}
          </li>
        ))}
      </ol>
    </div>
  );
}
