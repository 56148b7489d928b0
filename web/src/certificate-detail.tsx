import type { ReactNode } from 'react';
import { api } from './api';
import { Card, LoadError, Loading, ProfileName, useLoad } from './components';
import { useI18n } from './i18n';
import { lookupBySerial, StatusResult, type PublicStatus } from './public/status-page';
import { KeyAlgorithm } from './identifiers';

/** What GET /api/v1/certificates/{serial} says beyond the public status: the profile and the key. */
interface CertificateInfo {
  serial: string;
  profile: string;
  keyAlgorithm: string;
  issuerCaId: string;
}

/**
 * One certificate, for the console and the portal: its status as relying
 * parties see it, what it is, and the downloads (PEM, DER, PKCS#7 with the
 * chain). `actions` adds what the reader may do next (revoke, open the application).
 */
export function CertificateDetail({ serial, actions, crumbs }: { serial: string; actions?: (status: PublicStatus) => ReactNode; crumbs?: ReactNode }) {
  const { t } = useI18n();
  const data = useLoad(async () => {
    const [status, info] = await Promise.all([lookupBySerial(serial), api<CertificateInfo>(`/api/v1/certificates/${encodeURIComponent(serial)}`)]);
    return { status, info };
  }, [serial]);
  return (
    <div className="page" data-testid="certificate-detail">
      {crumbs && <p className="crumbs">{crumbs}</p>}
      <h1>{t('cert.detail.title')}</h1>
      {data.loading && !data.data && <Loading />}
      <LoadError error={data.error} />
      {data.data && (
        <>
          <Card>
            <StatusResult result={data.data.status} />
          </Card>
          <Card title={t('cert.detail.what')}>
            <dl className="facts">
              <dt>{t('cert.profile')}</dt>
              <dd>
                <ProfileName id={data.data.info.profile} showId />
              </dd>
              <dt>{t('download.algorithm')}</dt>
              <dd>
                <KeyAlgorithm id={data.data.info.keyAlgorithm} />
              </dd>
            </dl>
            <p className="muted small">{t('cert.detail.downloads-hint')}</p>
          </Card>
          {actions && <div className="button-row">{actions(data.data.status)}</div>}
        </>
      )}
    </div>
  );
}
