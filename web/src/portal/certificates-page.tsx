import { CertificateDetail } from '../certificate-detail';
import { Alert, Card, LoadError, Loading, StatusBadge, download, useLoad } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { lookupBySerial, reasonKey, type PublicStatus } from '../public/status-page';
import { keyStore, type StoredCredential } from './key-store';
import { ContactCard } from '../public/site-pages';
import { Dn } from '../identifiers';
import { useCrlOnly } from '../public/crl-only';

interface Held extends StoredCredential {
  status?: PublicStatus;
}

/** The certificates whose keys this browser holds, with their status as relying parties see it. */
export function CertificatesPage() {
  const { t, time } = useI18n();
  const held = useLoad(async (): Promise<Held[]> => {
    const stored = await keyStore.list();
    return Promise.all(stored.map(async (c) => ({ ...c, status: await lookupBySerial(c.serial).catch(() => undefined) })));
  }, []);
  return (
    <div className="page">
      <h1>{t('mine.title')}</h1>
      <p className="lead">{t('mine.lead')}</p>
      {held.loading && <Loading />}
      <LoadError error={held.error} />
      {held.data?.length === 0 && (
        <Alert kind="info">
          {t('mine.none')} <Link to="/portal/download">{t('nav.download')}</Link>
        </Alert>
      )}
      {held.data?.map((c) => (
        <Card key={c.serial} title={<Dn value={c.subject} />} actions={c.status && <StatusBadge status={c.status.status} />}>
          <dl className="facts" data-serial={c.serial}>
            <dt>{t('cert.serial')}</dt>
            <dd>
              <code className="break">{c.serial}</code>
            </dd>
            <dt>{t('cert.not-after')}</dt>
            <dd>{time(c.notAfter)}</dd>
            <dt>{t('mine.key')}</dt>
            <dd>
              {t(`download.algorithm.${c.algorithm as 'ecdsa-p256' | 'rsa-2048'}`)} · {t('mine.non-extractable')}
            </dd>
            {c.status?.revokedAt && (
              <>
                <dt>{t('cert.revoked-at')}</dt>
                <dd>
                  {time(c.status.revokedAt)} ({c.status.reason ? t(reasonKey(c.status.reason)) : '—'})
                </dd>
              </>
            )}
          </dl>
          <div className="button-row">
            <button type="button" className="secondary" onClick={() => download(`${c.serial}.pem`, c.certificatePem + c.chainPem, 'application/x-pem-file')}>
              {t('download.save-certificate')}
            </button>
            <Link className="button" to={`/portal/certificates/${c.serial}`}>
              {t('cert.detail.open')}
            </Link>
            {c.status?.status === 'good' && (
              <Link className="button danger" to={`/portal/revocation?serial=${c.serial}`}>
                {t('mine.request-revocation')}
              </Link>
            )}
          </div>
        </Card>
      ))}
    </div>
  );
}

/**
 * R7: the subscriber asks for revocation at the original RA or at the CA.
 * The request is recorded by an officer (channel "subscriber") in the RA
 * console; this page tells the subscriber what to bring and what happens.
 */
export function RevocationRequestPage() {
  const { t } = useI18n();
  const crlOnly = useCrlOnly();
  const serial = new URLSearchParams(window.location.search).get('serial') ?? '';
  return (
    <div className="page">
      <h1>{t('portal-revoke.title')}</h1>
      <Card>
        <p>{t('portal-revoke.lead')}</p>
        {serial && (
          <p>
            {t('cert.serial')}: <code className="break">{serial}</code>
          </p>
        )}
        <ol>
          <li>{t('portal-revoke.step1')}</li>
          <li>{t('portal-revoke.step2')}</li>
          <li>{t(crlOnly ? 'portal-revoke.step3-crl-only' : 'portal-revoke.step3')}</li>
        </ol>
        <Alert kind="warning">{t('portal-revoke.final')}</Alert>
        <p>
          <Link to={`/portal/account/revocation${serial ? `?serial=${serial}` : ''}`}>{t('sp.revoke.online')}</Link>
        </p>
      </Card>
      <ContactCard />
    </div>
  );
}

/** One certificate in the portal: status, downloads, and the way to ask for revocation while it is good. */
export function PortalCertificatePage({ serial }: { serial: string }) {
  const { t } = useI18n();
  return (
    <CertificateDetail
      serial={serial}
      actions={(status) =>
        status.status === 'good' && (
          <Link className="button danger" to={`/portal/revocation?serial=${status.serial}`}>
            {t('mine.request-revocation')}
          </Link>
        )
      }
    />
  );
}
