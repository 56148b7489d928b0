import { Alert, Card, LoadError, Loading, useLoad } from '../components';
import { api } from '../api';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { AdminPage } from './admin-nav';
import { WithCodes } from '../identifiers';

/** What /healthz says about the deployment's calendar and clocks (src/lifetimes.ts). */
interface Health {
  identities: { kind: string; id: string; caId: string | null; notAfter: string; nextRollover: string | null; inForce: boolean }[];
  root: { caId: string; crlNextUpdate: string | null; ocspNextUpdate: string | null; rootSigned: number; ocspMissing: number }[];
  warnings: { code: string; text: { 'zh-CN': string; en: string } }[];
  clock?: { skewMs: number; limitMs: number; sameHost: boolean; tsa: { refusing: { code: string; text: { 'zh-CN': string; en: string } } | null; highWater: string | null } };
}

const KINDS = ['root', 'issuing', 'ocsp', 'tsa', 'evidence', 'audit'];

/** Issue 13: every signing identity with its expiry and next rollover, the root's status horizon, the TSA's clock. */
export function IdentitiesPage() {
  const { t, time, locale } = useI18n();
  const health = useLoad(() => api<Health>('/healthz'), []);
  const h = health.data;
  const kind = (k: string) => (KINDS.includes(k) ? t(`identities.kind.${k}` as MessageKey) : k);
  return (
    <AdminPage title={t('admin.identities')} lead={t('identities.lead')}>
      {health.loading && !h && <Loading />}
      <LoadError error={health.error} />
      {h && (
        <>
          <Card title={t('identities.warnings')}>
            {h.warnings.length === 0 ? (
              <p className="muted" data-testid="identity-warnings">{t('identities.no-warnings')}</p>
            ) : (
              <div data-testid="identity-warnings">
                {h.warnings.map((w, i) => (
                  <Alert key={i} kind="warning">
                    <WithCodes text={w.text[locale]} ids={[...h.root.map((r) => r.caId), ...h.identities.flatMap((x) => [x.id, x.caId ?? ''])]} />
                  </Alert>
                ))}
              </div>
            )}
          </Card>
          <Card title={t('admin.identities')}>
            <div className="table-wrap">
              <table className="responsive" data-testid="identities">
                <thead>
                  <tr>
                    <th>{t('identities.kind')}</th>
                    <th>{t('identities.id')}</th>
                    <th>{t('identities.ca')}</th>
                    <th>{t('identities.not-after')}</th>
                    <th>{t('identities.next-rollover')}</th>
                    <th>{t('identities.state')}</th>
                  </tr>
                </thead>
                <tbody>
                  {h.identities.map((i) => (
                    <tr key={`${i.kind}:${i.id}`}>
                      <td data-label={t('identities.kind')}>{kind(i.kind)}</td>
                      <td data-label={t('identities.id')}>
                        <code className="small">{i.id}</code>
                      </td>
                      <td data-label={t('identities.ca')}>{i.caId ? <code className="small">{i.caId}</code> : '—'}</td>
                      <td data-label={t('identities.not-after')}>{time(i.notAfter)}</td>
                      <td data-label={t('identities.next-rollover')}>{i.nextRollover ? time(i.nextRollover) : i.kind === 'root' || i.kind === 'issuing' ? t('identities.by-ceremony') : '—'}</td>
                      <td data-label={t('identities.state')}>{i.inForce ? t('identities.in-force') : t('identities.kept')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
          <Card title={t('identities.root')}>
            <dl className="facts">
              {h.root.map((r) => [
                <dt key={`${r.caId}-crl`}>{t('identities.root-crl')}</dt>,
                <dd key={`${r.caId}-crl-v`} data-testid="root-crl">{r.crlNextUpdate ? time(r.crlNextUpdate) : t('identities.root-crl-none')}</dd>,
                <dt key={`${r.caId}-ocsp`}>{t('identities.root-ocsp')}</dt>,
                // Said in words when there is no answer to date (it once showed "1970-01-01").
                <dd key={`${r.caId}-ocsp-v`} data-testid="root-ocsp">
                  {r.rootSigned === 0
                    ? t('identities.root-ocsp-not-needed')
                    : r.ocspMissing > 0 || !r.ocspNextUpdate
                      ? t('identities.root-ocsp-missing', { count: r.ocspMissing })
                      : time(r.ocspNextUpdate)}
                </dd>,
              ])}
            </dl>
          </Card>
          {h.clock && (
            <Card title={t('identities.clock')}>
              <p>
                {t('identities.skew', { skew: h.clock.skewMs, limit: h.clock.limitMs })} {h.clock.sameHost ? t('identities.same-host') : ''}
              </p>
              {h.clock.tsa.refusing ? (
                <Alert kind="error">{t('identities.tsa-refusing', { reason: h.clock.tsa.refusing.text[locale] })}</Alert>
              ) : (
                <p data-testid="tsa-clock">{t('identities.tsa-ok', { time: h.clock.tsa.highWater ? time(h.clock.tsa.highWater) : '—' })}</p>
              )}
            </Card>
          )}
        </>
      )}
    </AdminPage>
  );
}
