import { api } from '../api';
import { Card, LoadError, Loading, useLoad } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { KeyAlgorithm } from '../identifiers';

export interface Authority {
  id: string;
  role: 'root' | 'issuing';
  parentId: string | null;
  name: string;
  /** The name in each language (a name the hierarchy set-up made has an English one). */
  names?: { 'zh-CN': string; en: string };
  keyAlgorithm: string;
  serial: string;
  notAfter: string;
  certificateUrl: string;
  crlUrl: string;
  /** null in CRL-only mode: the CA's certificates name no OCSP responder. */
  ocspUrl?: string | null;
}

/** R11: the repository: CA certificates, their CRLs, the CPS, the agreement and the status services' addresses. */
export function RepositoryPage() {
  const { t, time, locale } = useI18n();
  const cas = useLoad(() => api<{ items: Authority[] }>('/api/v1/cas'), []);
  const origin = window.location.origin;
  return (
    <div className="page">
      <h1>{t('repository.title')}</h1>
      <p className="lead">{t('repository.lead')}</p>
      <Card title={t('repository.cas')}>
        {cas.loading && <Loading />}
        <LoadError error={cas.error} />
        {cas.data && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('repository.ca-name')}</th>
                  <th>{t('repository.role')}</th>
                  <th>{t('repository.algorithm')}</th>
                  <th>{t('cert.not-after')}</th>
                  <th>{t('repository.certificate')}</th>
                  <th>{t('repository.crl')}</th>
                </tr>
              </thead>
              <tbody>
                {cas.data.items.map((ca) => (
                  <tr key={ca.id} data-ca={ca.id}>
                    <td data-label={t('repository.ca-name')}>
                      <strong translate="no">{ca.names?.[locale] ?? ca.name}</strong>
                      <br />
                      <code className="small">{ca.id}</code>
                    </td>
                    <td data-label={t('repository.role')}>{t(ca.role === 'root' ? 'repository.root' : 'repository.issuing')}</td>
                    <td data-label={t('repository.algorithm')}><KeyAlgorithm id={ca.keyAlgorithm} /></td>
                    <td data-label={t('cert.not-after')}>{time(ca.notAfter)}</td>
                    <td data-label={t('repository.certificate')}>
                      <a href={`/ca/${ca.id}.crt`} download>
                        DER
                      </a>{' '}
                      ·{' '}
                      <a href={`/ca/${ca.id}.pem`} download>
                        PEM
                      </a>
                    </td>
                    <td data-label={t('repository.crl')}>
                      <a href={`/crl/${ca.id}.crl`} download>
                        {t('repository.full-crl')}
                      </a>
                      {ca.role === 'issuing' && (
                        <>
                          {' '}
                          ·{' '}
                          <a href={`/crl/${ca.id}-delta.crl`} download>
                            {t('repository.delta-crl')}
                          </a>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <div className="grid two">
        <Card title={t('repository.services')}>
          <dl className="facts">
            <dt>OCSP</dt>
            <dd>
              {cas.data && !cas.data.items.some((a) => a.ocspUrl !== null) ? t('repository.crl-only') : <code className="break">{origin}/ocsp</code>}
            </dd>
            <dt>{t('repository.tsa')}</dt>
            <dd>
              <code className="break">{origin}/tsa</code>
            </dd>
            <dt>{t('repository.api')}</dt>
            <dd>
              <a href="/api/docs">{origin}/api/docs</a>
            </dd>
          </dl>
        </Card>
        <Card title={t('repository.documents')}>
          <ul className="plain">
            <li>
              <Link to="/repository/cps">{t('cps.title')}</Link>
            </li>
            <li>
              <Link to="/agreement">{t('agreement.title')}</Link>
            </li>
            <li>
              <Link to="/repository/notices">{t('notices.title')}</Link>
            </li>
            <li>
              <Link to="/status">{t('status.title')}</Link>
            </li>
          </ul>
        </Card>
      </div>
    </div>
  );
}

/** The CPS, as the server publishes it at /cps (the URI written into every certificate). */
export function CpsPage() {
  const { t } = useI18n();
  const cps = useLoad(() => api<string>('/cps'), []);
  return (
    <div className="page">
      <h1>{t('cps.title')}</h1>
      <p className="lead">
        {t('cps.lead')} <a href="/cps">/cps</a>
      </p>
      <Card>
        {cps.loading && <Loading />}
        <LoadError error={cps.error} />
        {cps.data !== undefined && <pre className="document">{cps.data}</pre>}
      </Card>
    </div>
  );
}

interface PublishedNotice {
  version: string;
  title: { 'zh-CN': string; en: string };
  text: { 'zh-CN': string; en: string };
  textSha256: string;
  effectiveAt: string;
  publishedAt: string;
}

/** R11: every notice the CA published, newest first, each at its stable URL /notices/{version}. */
export function NoticesPage() {
  const { t, time, locale } = useI18n();
  const notices = useLoad(() => api<PublishedNotice[]>('/notices'), []);
  const newestFirst = notices.data ? [...notices.data].reverse() : undefined;
  return (
    <div className="page">
      <h1>{t('notices.title')}</h1>
      <p className="lead">{t('notices.lead')}</p>
      {notices.loading && <Loading />}
      <LoadError error={notices.error} />
      {newestFirst?.length === 0 && (
        <Card>
          <p className="muted">{t('notices.none')}</p>
        </Card>
      )}
      {newestFirst?.map((notice) => (
        <Card key={notice.version} title={notice.title[locale]}>
          <article className="agreement" data-notice={notice.version}>
            <p className="muted small">
              {t('agreement.version')}: <code>{notice.version}</code> · {t('agreement.published')}: {time(notice.publishedAt)} · {t('notices.effective')}:{' '}
              {time(notice.effectiveAt)} · SHA-256: <code className="break">{notice.textSha256.slice(0, 16)}…</code>
            </p>
            <pre className="document" tabIndex={0}>
              {notice.text[locale]}
            </pre>
            <p className="small">
              <a href={`/notices/${encodeURIComponent(notice.version)}?lang=${locale}`}>{`/notices/${notice.version}`}</a>
            </p>
          </article>
        </Card>
      ))}
    </div>
  );
}
