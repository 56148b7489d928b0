import { Bar, BarChart, CartesianGrid, Cell, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Card, LoadError, Loading, useLoad } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import { reasonKey } from '../public/status-page';
import { Link, useRouter } from '../router';
import { availableRoutes } from '../api';
import { complaints, deadlineBucket, DEADLINE_BUCKETS, type ComplaintSummary } from './complaints-page';
import { inventoryStatistics } from './inventory';
import { AGE_BUCKETS, ageInDays, ra } from './ra-api';

const COLOURS = ['#1d4ed8', '#0891b2', '#16a34a', '#ca8a04', '#dc2626', '#7c3aed', '#64748b', '#db2777'];
const DAYS_SHOWN = 30;

/**
 * What an operator would rather look at than read: each chart is built
 * from the inventory's figures and the RA's queue, and every bar leads to
 * the list behind it.
 */
export default function DashboardPage() {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const data = useLoad(async () => {
    const routes = await availableRoutes();
    // The complaints service (R12) may be absent from an older server: the chart then says so.
    const filed: ComplaintSummary[] | null = routes.has('GET /api/v1/service/complaints') ? await complaints().catch(() => null) : null;
    // The figures are counted by the server (src/ra/inventory.ts): one request, whatever the size of the inventory.
    const [statistics, applications] = await Promise.all([inventoryStatistics(DAYS_SHOWN), ra.applications()]);
    return { statistics, applications, filed };
  }, []);
  if (data.loading && !data.data) return <Loading />;
  if (!data.data) return <LoadError error={data.error} />;
  const { statistics, applications, filed } = data.data;

  const today = Date.now();
  const perDay = statistics.issuedPerDay.map(({ day, count }) => ({ day, label: day.slice(5), count }));
  const expiring = statistics.expiring.map(({ days, count }) => ({ days, label: t('inventory.within-days', { n: days }), count }));
  const revocations = statistics.revocationsByReason.map(({ reason, count }) => ({ reason, label: t(reasonKey(reason)), count }));
  const pending = applications.filter((a) => a.status === 'submitted' || a.status === 'in-review');
  const ages = AGE_BUCKETS.map((b) => ({
    id: b.id,
    label: t(`age.${b.id}` as MessageKey),
    count: pending.filter((a) => ageInDays(a.submittedAt, today) >= b.min && ageInDays(a.submittedAt, today) < b.max).length,
  }));
  const deadlines = DEADLINE_BUCKETS.map((id) => ({ id, label: t(`complaints.${id}` as MessageKey), count: (filed ?? []).filter((c) => deadlineBucket(c, today) === id).length }));

  return (
    <div className="page wide">
      <h1>{t('dashboard.title')}</h1>
      <div className="tiles">
        <Link className="tile" to="/console/applications?status=submitted">
          <strong>{pending.length}</strong>
          <span>{t('dashboard.pending')}</span>
        </Link>
        <Link className="tile" to="/console/certificates?status=good">
          <strong>{statistics.byStatus.good}</strong>
          <span>{t('dashboard.valid')}</span>
        </Link>
        <Link className="tile" to="/console/certificates?expiring=30">
          <strong>{expiring[0]!.count}</strong>
          <span>{t('dashboard.expiring-30')}</span>
        </Link>
        <Link className="tile" to="/console/certificates?status=revoked">
          <strong>{statistics.byStatus.revoked}</strong>
          <span>{t('dashboard.revoked')}</span>
        </Link>
      </div>
      <div className="grid two">
        <Card title={t('dashboard.issued-per-day')}>
          <div className="chart" data-chart="issued">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={perDay}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" fontSize={11} interval="preserveStartEnd" />
                <YAxis allowDecimals={false} fontSize={11} width={28} />
                <Tooltip formatter={(v) => [v, t('dashboard.certificates')]} />
                <Bar isAnimationActive={false} dataKey="count" fill={COLOURS[0]} cursor="pointer" onClick={(d: { payload?: { day: string } }) => d.payload && navigate(`/console/certificates?issued=${d.payload.day}`)} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </Card>
        <Card title={t('dashboard.expiring')}>
          <div className="chart" data-chart="expiring">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={expiring}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" fontSize={11} />
                <YAxis allowDecimals={false} fontSize={11} width={28} />
                <Tooltip formatter={(v) => [v, t('dashboard.certificates')]} />
                <Bar isAnimationActive={false} dataKey="count" fill={COLOURS[3]} cursor="pointer" onClick={(d: { payload?: { days: number } }) => d.payload && navigate(`/console/certificates?expiring=${d.payload.days}`)} />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <p className="chart-links">
            {expiring.map((e) => (
              <Link key={e.days} to={`/console/certificates?expiring=${e.days}`}>
                {e.label}: {e.count}
              </Link>
            ))}
          </p>
        </Card>
        <Card title={t('dashboard.revocations')}>
          <div className="chart" data-chart="revocations">
            {revocations.length === 0 ? (
              <p className="muted">{t('dashboard.no-revocations')}</p>
            ) : (
              <ResponsiveContainer width="100%" height={220}>
                <PieChart>
                  <Pie isAnimationActive={false} data={revocations} dataKey="count" nameKey="label" outerRadius={80} label cursor="pointer" onClick={(_d, index) => {
                      const picked = revocations[index];
                      if (picked) navigate(`/console/certificates?status=revoked&reason=${picked.reason}`);
                    }}>
                    {revocations.map((r, i) => (
                      <Cell key={r.reason} fill={COLOURS[i % COLOURS.length]} />
                    ))}
                  </Pie>
                  <Tooltip />
                </PieChart>
              </ResponsiveContainer>
            )}
          </div>
          <p className="chart-links">
            {revocations.map((r) => (
              <Link key={r.reason} to={`/console/certificates?status=revoked&reason=${r.reason}`}>
                {r.label}: {r.count}
              </Link>
            ))}
          </p>
        </Card>
        <Card title={t('dashboard.pending-by-age')}>
          <div className="chart" data-chart="pending">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={ages}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" fontSize={11} />
                <YAxis allowDecimals={false} fontSize={11} width={28} />
                <Tooltip formatter={(v) => [v, t('dashboard.applications')]} />
                <Bar isAnimationActive={false} dataKey="count" cursor="pointer" onClick={(d: { payload?: { id: string } }) => d.payload && navigate(`/console/applications?age=${d.payload.id}`)}>
                  {ages.map((a, i) => (
                    <Cell key={a.id} fill={i >= 2 ? COLOURS[4] : COLOURS[1]} />
                  ))}
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </div>
          <p className="chart-links">
            {ages.map((a) => (
              <Link key={a.id} to={`/console/applications?age=${a.id}`}>
                {a.label}: {a.count}
              </Link>
            ))}
          </p>
        </Card>
        <Card title={t('dashboard.complaints')}>
          {filed === null ? (
            <p className="muted">{t('dashboard.complaints-unavailable')}</p>
          ) : (
            <>
              <div className="chart" data-chart="complaints">
                <ResponsiveContainer width="100%" height={220}>
                  <BarChart data={deadlines}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="label" fontSize={11} />
                    <YAxis allowDecimals={false} fontSize={11} width={28} />
                    <Tooltip formatter={(v) => [v, t('complaints.title')]} />
                    <Bar isAnimationActive={false} dataKey="count" cursor="pointer" onClick={(d: { payload?: { id: string } }) => d.payload && navigate(`/console/complaints?due=${d.payload.id}`)}>
                      {deadlines.map((d, i) => (
                        <Cell key={d.id} fill={i === 0 ? COLOURS[4] : i === 1 ? COLOURS[3] : COLOURS[2]} />
                      ))}
                    </Bar>
                  </BarChart>
                </ResponsiveContainer>
              </div>
              <p className="chart-links">
                {deadlines.map((d) => (
                  <Link key={d.id} to={`/console/complaints?due=${d.id}`}>
                    {d.label}: {d.count}
                  </Link>
                ))}
              </p>
            </>
          )}
        </Card>
      </div>
    </div>
  );
}
