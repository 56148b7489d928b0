import type { ReactNode } from 'react';
import { EvidencePage } from '../public/evidence-page';
import { AccountPage, RenewPage, SelfRevocationPage } from './account-page';
import { AgentsPage } from './agents-page';
import { ChangesPage } from './changes-page';
import { SelfRegisterPage } from './register-page';
import { ChargesPage, ComplaintsPage, DisputesPage } from './service-pages';
import { RequireSubscriber } from './subscriber-session';

const ACCOUNT: Record<string, () => ReactNode> = {
  '/portal/account': () => <AccountPage />,
  '/portal/account/revocation': () => <SelfRevocationPage />,
  '/portal/account/renew': () => <RenewPage />,
  '/portal/account/changes': () => <ChangesPage />,
  '/portal/account/agents': () => <AgentsPage />,
  '/portal/account/complaints': () => <ComplaintsPage />,
  '/portal/account/disputes': () => <DisputesPage />,
  '/portal/account/charges': () => <ChargesPage />,
};

/** The subscriber's own pages and the public evidence viewer; null for paths that are not theirs. */
export function portalPage(path: string): ReactNode | null {
  if (path === '/portal/register') return <SelfRegisterPage />;
  if (path === '/evidence') return <EvidencePage />;
  const page = ACCOUNT[path.replace(/\/$/, '')];
  if (page) return <RequireSubscriber>{page()}</RequireSubscriber>;
  return null;
}
