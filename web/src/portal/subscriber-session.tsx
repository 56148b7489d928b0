import { createContext, useContext, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api';
import { Alert, Card, Field, inputProps, useLoad, Loading, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link, useRouter } from '../router';
import { portalApi, portalToken, post, type Me, type SubscriberSummary } from './portal-api';

interface SubscriberValue {
  me: Me;
  /** Reload after an action that changes the record (an approved change). */
  refresh(): void;
  signOut(): Promise<void>;
}

const SubscriberContext = createContext<SubscriberValue | null>(null);

export function useSubscriber(): SubscriberValue {
  const value = useContext(SubscriberContext);
  if (!value) throw new Error('useSubscriber outside RequireSubscriber');
  return value;
}

/** Signs in with the tracking number and code; the token stays in this tab only. */
export async function signIn(trackingNumber: string, trackingCode: string): Promise<SubscriberSummary> {
  const session = await post<{ token: string; expiresAt: string; subscriber: SubscriberSummary }>('/api/v1/portal/sessions', { trackingNumber, trackingCode });
  portalToken.set(session.token);
  return session.subscriber;
}

const SIGN_IN_FIELDS = ['trackingNumber', 'trackingCode'] as const;

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useI18n();
  const [trackingNumber, setTrackingNumber] = useState('');
  const [trackingCode, setTrackingCode] = useState('');
  const [busy, setBusy] = useState(false);
  const problem = useProblem(SIGN_IN_FIELDS);
  const e = problem.fieldErrors;

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    if (!trackingNumber.trim()) return problem.report(new Error(t('common.required')), {}, 'trackingNumber');
    if (!trackingCode.trim()) return problem.report(new Error(t('common.required')), {}, 'trackingCode');
    setBusy(true);
    try {
      await signIn(trackingNumber.trim(), trackingCode.trim());
      onSignedIn();
    } catch (error) {
      problem.report(error, {}, 'trackingCode');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page narrow">
      <h1>{t('sp.signin.title')}</h1>
      <p className="lead">{t('sp.signin.lead')}</p>
      <Card>
        <form onSubmit={submit} noValidate data-testid="portal-sign-in">
          <Field label={t('sp.register.tracking-number')} name="trackingNumber" error={e.trackingNumber} hint={t('sp.signin.number-hint')}>
            <input {...inputProps('trackingNumber', e)} inputMode="numeric" autoComplete="off" value={trackingNumber} onChange={(ev) => setTrackingNumber(ev.target.value)} />
          </Field>
          <Field label={t('sp.register.tracking-code')} name="trackingCode" error={e.trackingCode} hint={t('sp.signin.code-hint')}>
            <input {...inputProps('trackingCode', e)} autoComplete="off" autoCapitalize="characters" value={trackingCode} onChange={(ev) => setTrackingCode(ev.target.value)} />
          </Field>
          {problem.formError && <Alert>{problem.formError}</Alert>}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('sp.signin.submit')}
          </button>
        </form>
      </Card>
      <p>
        {t('sp.signin.no-access')} <Link to="/portal/register">{t('sp.register.title')}</Link>
      </p>
      <p className="muted small">{t('sp.signin.counter')}</p>
    </div>
  );
}

function PortalNav() {
  const { t } = useI18n();
  const { path } = useRouter();
  const { me, signOut } = useSubscriber();
  const items: Array<[string, Parameters<typeof t>[0]]> = [
    ['/portal/account', 'sp.nav.overview'],
    ['/portal/account/changes', 'sp.nav.changes'],
    ['/portal/account/agents', 'sp.nav.agents'],
    ['/portal/account/complaints', 'sp.nav.complaints'],
    ['/portal/account/disputes', 'sp.nav.disputes'],
    ['/portal/account/charges', 'sp.nav.charges'],
  ];
  return (
    <div className="console-nav portal-nav">
      <nav aria-label={t('sp.nav.account')}>
        {items.map(([to, key]) => (
          <Link key={to} to={to} className={path === to ? 'active' : undefined} aria-current={path === to ? 'page' : undefined}>
            {t(key)}
          </Link>
        ))}
      </nav>
      <span className="who">
        <span data-testid="subscriber">{me.name}</span>{' '}
        <button type="button" className="link" onClick={() => void signOut()}>
          {t('sp.nav.sign-out')}
        </button>
      </span>
    </div>
  );
}

/** The subscriber's pages: signed in with the tracking code, or the sign-in form in their place. */
export function RequireSubscriber({ children }: { children: ReactNode }) {
  const [tick, setTick] = useState(0);
  const me = useLoad(() => (portalToken.get() ? portalApi<Me>('/api/v1/portal/me') : Promise.resolve(null)), [tick]);
  if (me.loading && !me.data) return <Loading />;
  const expired = me.error instanceof ApiError && me.error.problem.status === 401;
  if (!me.data || expired) {
    if (expired) portalToken.set(null);
    return <SignIn onSignedIn={() => setTick((n) => n + 1)} />;
  }
  const value: SubscriberValue = {
    me: me.data,
    refresh: () => setTick((n) => n + 1),
    async signOut() {
      await post('/api/v1/portal/sessions/end').catch(() => undefined);
      portalToken.set(null);
      setTick((n) => n + 1);
    },
  };
  return (
    <SubscriberContext.Provider value={value}>
      <PortalNav />
      {children}
    </SubscriberContext.Provider>
  );
}
