import { lazy, Suspense, useState, type ReactNode } from 'react';
import { AgreementsPage } from './admin/agreements-page';
import { AuditPage } from './admin/audit-page';
import { AuditLogPage } from './admin/audit-log-page';
import { OperatorsPage } from './admin/operators-page';
import { CalendarPage } from './admin/calendar-page';
import { IdentitiesPage } from './admin/identities-page';
import { FeesPage } from './admin/fees-page';
import { Loading } from './components';
import { ApplicationPage } from './console/application-page';
import { ApplicationsPage } from './console/applications-page';
import { ChangePage, ChangesPage } from './console/changes-page';
import { DisputePage, DisputesPage } from './console/disputes-page';
import { OrganisationsPage } from './console/organisations-page';
import { ReportChangePage } from './console/report-change-page';
import { ComplaintPage, ComplaintsPage } from './console/complaints-page';
import { ConsoleCertificatePage, InventoryPage } from './console/certificates-page';
import { RegisterPage } from './console/register-page';
import { RevokePage } from './console/revoke-page';
import { RequireOperator, useOperator } from './console/session';
import { SubscribersPage } from './console/subscribers-page';
import { useI18n, type Locale } from './i18n';
import { CertificatesPage, PortalCertificatePage, RevocationRequestPage } from './portal/certificates-page';
import { DownloadPage } from './portal/download-page';
import { portalPage } from './portal/routes';
import { AgreementPage } from './public/agreement-page';
import { ApplyPage, HomePage } from './public/home-page';
import { CpsPage, NoticesPage, RepositoryPage } from './public/repository-page';
import { StatusPage } from './public/status-page';
import { ContactPage, PublicFeesPage } from './public/site-pages';
import { Link, match, useRouter } from './router';

// The charts load only with the dashboard: the public pages stay small on a phone.
const DashboardPage = lazy(() => import('./console/dashboard-page'));

function NavLink({ to, children, exact }: { to: string; children: ReactNode; exact?: boolean }) {
  const { path } = useRouter();
  const active = exact ? path === to : path === to || path.startsWith(`${to}/`);
  return (
    <Link to={to} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function LanguageSwitch() {
  const { locale, setLocale } = useI18n();
  const other: Locale = locale === 'zh-CN' ? 'en' : 'zh-CN';
  return (
    <button type="button" className="language" onClick={() => setLocale(other)} lang={other} data-testid="language">
      {other === 'en' ? 'English' : '中文'}
    </button>
  );
}

function Header() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <header className="site-header">
      <div className="bar">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true">
            ✓
          </span>
          <span>{t('app.name')}</span>
        </Link>
        <button type="button" className="menu-toggle" aria-expanded={open} aria-controls="site-nav" onClick={() => setOpen(!open)}>
          {t('nav.menu')}
        </button>
        <nav id="site-nav" className={open ? 'open' : undefined} onClick={() => setOpen(false)}>
          <NavLink to="/status">{t('nav.status')}</NavLink>
          <NavLink to="/repository">{t('nav.repository')}</NavLink>
          <NavLink to="/agreement">{t('nav.agreement')}</NavLink>
          <NavLink to="/portal/download">{t('nav.download')}</NavLink>
          <NavLink to="/portal/certificates">{t('nav.my-certificates')}</NavLink>
          <NavLink to="/portal/account">{t('sp.nav.account')}</NavLink>
          <NavLink to="/console">{t('nav.console')}</NavLink>
        </nav>
        <LanguageSwitch />
      </div>
    </header>
  );
}

function ConsoleNav() {
  const { t } = useI18n();
  const { operator, signOut } = useOperator();
  return (
    <div className="console-nav">
      <nav>
        <NavLink to="/console" exact>
          {t('dashboard.title')}
        </NavLink>
        <NavLink to="/console/applications">{t('applications.title')}</NavLink>
        <NavLink to="/console/subscribers">{t('subscribers.title')}</NavLink>
        <NavLink to="/console/certificates">{t('inventory.title')}</NavLink>
        <NavLink to="/console/revoke">{t('revoke.title')}</NavLink>
        <NavLink to="/console/complaints">{t('complaints.title')}</NavLink>
        <NavLink to="/console/changes">{t('changes.title')}</NavLink>
        {(operator.role === 'ca-admin' || operator.role === 'auditor') && <NavLink to="/console/disputes">{t('disputes.title')}</NavLink>}
        <NavLink to="/console/organisations">{t('organisations.title')}</NavLink>
        {operator.role !== 'ra-officer' && <NavLink to="/console/admin">{t('admin.title')}</NavLink>}
      </nav>
      <span className="who">
        <span data-testid="operator">{operator.username === 'admin-token' ? t('actor.admin-token') : <code>{operator.username}</code>}</span> · {t(`role.${operator.role}`)}{' '}
        <button type="button" className="link" onClick={() => void signOut()}>
          {t('console.sign-out')}
        </button>
      </span>
    </div>
  );
}

function consolePage(path: string): ReactNode {
  let params: Record<string, string> | null;
  if (path === '/console' || path === '/console/') {
    return (
      <Suspense fallback={<Loading />}>
        <DashboardPage />
      </Suspense>
    );
  }
  if (path === '/console/applications') return <ApplicationsPage />;
  if ((params = match('/console/applications/:id', path))) return <ApplicationPage id={params.id!} />;
  if (path === '/console/subscribers') return <SubscribersPage />;
  if (path === '/console/subscribers/new') return <RegisterPage />;
  if ((params = match('/console/subscribers/:id/change', path))) return <ReportChangePage subscriberId={params.id!} />;
  if (path === '/console/certificates') return <InventoryPage />;
  if ((params = match('/console/certificates/:serial', path))) return <ConsoleCertificatePage serial={params.serial!} />;
  if (path === '/console/revoke') return <RevokePage />;
  if (path === '/console/complaints') return <ComplaintsPage />;
  if ((params = match('/console/complaints/:id', path))) return <ComplaintPage id={params.id!} />;
  if (path === '/console/changes') return <ChangesPage />;
  if ((params = match('/console/changes/:id', path))) return <ChangePage id={params.id!} />;
  if (path === '/console/disputes') return <DisputesPage />;
  if ((params = match('/console/disputes/:id', path))) return <DisputePage id={params.id!} />;
  if (path === '/console/organisations') return <OrganisationsPage />;
  if (path === '/console/admin' || path === '/console/admin/agreements') return <AgreementsPage />;
  if (path === '/console/admin/fees') return <FeesPage />;
  if (path === '/console/admin/calendar') return <CalendarPage />;
  if (path === '/console/admin/identities') return <IdentitiesPage />;
  if (path === '/console/admin/audit') return <AuditPage />;
  if (path === '/console/admin/audit-log') return <AuditLogPage />;
  if (path === '/console/admin/operators') return <OperatorsPage />;
  return <NotFound />;
}

function NotFound() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t('notfound.title')}</h1>
      <p>
        <Link to="/">{t('notfound.home')}</Link>
      </p>
    </div>
  );
}

function Page() {
  const { path } = useRouter();
  let params: Record<string, string> | null;
  if (path === '/') return <HomePage />;
  const portal = portalPage(path);
  if (portal) return portal;
  if (path === '/status') return <StatusPage />;
  if (path === '/fees') return <PublicFeesPage />;
  if (path === '/contact') return <ContactPage />;
  if (path === '/repository') return <RepositoryPage />;
  if (path === '/repository/cps') return <CpsPage />;
  if (path === '/repository/notices') return <NoticesPage />;
  if (path === '/agreement') return <AgreementPage />;
  if ((params = match('/agreement/:version', path))) return <AgreementPage version={params.version} />;
  if (path === '/portal' || path === '/portal/apply') return <ApplyPage />;
  if (path === '/portal/download') return <DownloadPage />;
  if (path === '/portal/certificates') return <CertificatesPage />;
  if ((params = match('/portal/certificates/:serial', path))) return <PortalCertificatePage serial={params.serial!} />;
  if (path === '/portal/revocation') return <RevocationRequestPage />;
  if (path === '/console' || path.startsWith('/console/')) {
    return (
      <RequireOperator>
        <ConsoleNav />
        <div key={path}>{consolePage(path)}</div>
      </RequireOperator>
    );
  }
  return <NotFound />;
}

export function App() {
  const { t } = useI18n();
  const { path } = useRouter();
  return (
    <div className={path.startsWith('/console') ? 'app console' : 'app'}>
      <a href="#main" className="skip">
        {t('nav.skip')}
      </a>
      <Header />
      <main id="main">
        {path.startsWith('/console') ? <Page /> : <Page key={path} />}
      </main>
      <footer className="site-footer">
        <p>
          {t('footer.text')} · <Link to="/repository/cps">{t('cps.title')}</Link> · <Link to="/evidence">{t('sp.nav.evidence')}</Link> · <Link to="/fees">{t('public-fees.title')}</Link> · <Link to="/contact">{t('contact.title')}</Link> · <a href="/api/docs">API</a>
        </p>
        <p className="muted small">{t('footer.time')}</p>
      </footer>
    </div>
  );
}
