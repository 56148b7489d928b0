import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Link, useRouter } from '../router';
import './admin.css';

const PAGES = [
  ['/console/admin/agreements', 'admin.agreements'],
  ['/console/admin/fees', 'admin.fees'],
  ['/console/admin/calendar', 'admin.calendar'],
  ['/console/admin/audit', 'admin.audit'],
  ['/console/admin/audit-log', 'admin.audit-log'],
  ['/console/admin/operators', 'admin.operators'],
  ['/console/admin/identities', 'admin.identities'],
] as const;

/** The administration pages share a heading and a row of tabs. */
export function AdminPage({ title, lead, children }: { title: string; lead: string; children: ReactNode }) {
  const { t } = useI18n();
  const { path: at } = useRouter();
  const path = at === '/console/admin' ? PAGES[0][0] : at;
  return (
    <div className="page">
      <nav className="admin-tabs" aria-label={t('admin.title')}>
        {PAGES.map(([to, key]) => (
          <Link key={to} to={to} className={path === to ? 'active' : undefined} aria-current={path === to ? 'page' : undefined}>
            {t(key)}
          </Link>
        ))}
      </nav>
      <h1>{title}</h1>
      <p className="lead">{lead}</p>
      {children}
    </div>
  );
}
