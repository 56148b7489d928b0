import { createContext, useContext, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, operatorToken } from '../api';
import { Alert, Card, Field, Loading, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';

export interface Operator {
  operatorId: string | null;
  username: string;
  role: 'ca-admin' | 'ra-admin' | 'ra-officer' | 'auditor';
  raId: string | null;
  via: string;
}

interface SessionValue {
  operator: Operator;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useOperator(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useOperator outside the console');
  return value;
}

/** The console is for operators: it asks who the caller is and shows the sign-in form otherwise. */
export function RequireOperator({ children }: { children: ReactNode }) {
  const me = useLoad(
    () =>
      api<Operator>('/api/v1/ra/me', { operator: true }).catch((error: unknown) => {
        if (error instanceof ApiError && (error.problem.status === 401 || error.problem.status === 403)) return null;
        throw error;
      }),
    [],
  );
  if (me.loading && me.data === undefined) return <Loading />;
  if (!me.data) return <SignIn onSignedIn={me.reload} />;
  const signOut = async () => {
    if (operatorToken.get()) operatorToken.set(null);
    else await api('/api/v1/ra/logout', { method: 'POST', operator: true }).catch(() => undefined);
    me.reload();
  };
  return <SessionContext.Provider value={{ operator: me.data, signOut }}>{children}</SessionContext.Provider>;
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const problem = useProblem(['username', 'password', 'token']);

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setBusy(true);
    try {
      if (mode === 'password') {
        operatorToken.set(null);
        await api('/api/v1/ra/login', { method: 'POST', body: { username, password } });
      } else {
        operatorToken.set(token.trim());
        await api('/api/v1/ra/me', { operator: true }).catch((error: unknown) => {
          operatorToken.set(null);
          throw error;
        });
      }
      onSignedIn();
    } catch (error) {
      problem.report(error, {}, mode === 'password' ? 'password' : 'token');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page narrow">
      <h1>{t('console.sign-in')}</h1>
      <p className="lead">{t('console.sign-in-lead')}</p>
      <Card>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'password'} className={mode === 'password' ? 'tab active' : 'tab'} onClick={() => setMode('password')}>
            {t('console.with-password')}
          </button>
          <button type="button" role="tab" aria-selected={mode === 'token'} className={mode === 'token' ? 'tab active' : 'tab'} onClick={() => setMode('token')}>
            {t('console.with-token')}
          </button>
        </div>
        <form onSubmit={submit} noValidate>
          {mode === 'password' ? (
            <>
              <Field label={t('console.username')} name="username" error={problem.fieldErrors.username}>
                <input {...inputProps('username', problem.fieldErrors)} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
              </Field>
              <Field label={t('console.password')} name="password" error={problem.fieldErrors.password}>
                <input {...inputProps('password', problem.fieldErrors)} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
              </Field>
            </>
          ) : (
            <Field label={t('console.token')} name="token" error={problem.fieldErrors.token} hint={t('console.token-hint')}>
              <input {...inputProps('token', problem.fieldErrors)} type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
            </Field>
          )}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('console.sign-in')}
          </button>
        </form>
        {problem.formError && <Alert>{problem.formError}</Alert>}
      </Card>
    </div>
  );
}
