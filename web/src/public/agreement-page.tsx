import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Card, Field, LoadError, Loading, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { useRouter } from '../router';

export interface AgreementVersion {
  id: string;
  title: string;
  textSha256: string;
  publishedAt: string;
  text: string;
  /** The English text and title, when the version was published with them (R11). */
  titleEn?: string;
  textEn?: string;
}

export const currentAgreement = () => api<AgreementVersion>('/api/v1/agreements/current');

/** The agreement's text with its version, date and digest: what the subscriber accepts is exactly this (R0, R11). */
export function AgreementText({ agreement }: { agreement: AgreementVersion }) {
  const { t, time, locale } = useI18n();
  // An English reader gets the English text when one was published, and is told when there is none.
  const english = locale === 'en' && Boolean(agreement.textEn);
  return (
    <article className="agreement" data-version={agreement.id}>
      <header>
        <h2>{locale === 'en' && agreement.titleEn ? agreement.titleEn : agreement.title}</h2>
        <p className="muted small">
          {t('agreement.version')}: <code>{agreement.id}</code> · {t('agreement.published')}: {time(agreement.publishedAt)} · SHA-256:{' '}
          <code className="break">{agreement.textSha256.slice(0, 16)}…</code>
        </p>
        {locale === 'en' && !english && (
          <p className="muted small" lang="en" data-testid="agreement-no-english">
            {t('agreement.no-english')}
          </p>
        )}
      </header>
      <pre className="document" tabIndex={0} lang={english ? 'en' : 'zh-CN'}>
        {english ? agreement.textEn : agreement.text}
      </pre>
    </article>
  );
}

/** The current agreement, and any earlier version by its id (every version stays retrievable, R0). */
export function AgreementPage({ version }: { version?: string }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const agreement = useLoad(() => (version ? api<AgreementVersion>(`/api/v1/agreements/${encodeURIComponent(version)}`) : currentAgreement()), [version]);
  const [wanted, setWanted] = useState('');
  const problem = useProblem(['version']);
  const open = async (event: FormEvent) => {
    event.preventDefault();
    problem.clear();
    try {
      await api(`/api/v1/agreements/${encodeURIComponent(wanted.trim())}`);
      navigate(`/agreement/${encodeURIComponent(wanted.trim())}`);
    } catch (error) {
      problem.report(error, {}, 'version');
    }
  };
  return (
    <div className="page">
      <h1>{t('agreement.title')}</h1>
      <p className="lead">{version ? t('agreement.lead-version') : t('agreement.lead')}</p>
      <Card>
        {agreement.loading && <Loading />}
        <LoadError error={agreement.error} />
        {agreement.data && <AgreementText agreement={agreement.data} />}
      </Card>
      <Card title={t('agreement.other-versions')}>
        <form onSubmit={open} className="inline-form" noValidate>
          <Field label={t('agreement.version')} name="version" error={problem.fieldErrors.version}>
            <input {...inputProps('version', problem.fieldErrors)} value={wanted} onChange={(e) => setWanted(e.target.value)} placeholder="2022-08" />
          </Field>
          <button type="submit">{t('agreement.open')}</button>
        </form>
      </Card>
    </div>
  );
}
