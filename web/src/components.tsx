import { useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import { useI18n } from './i18n';
import type { MessageKey } from './messages';

/** A form field with its label, hint and the error the server named it for, beside it (not in a banner far away). */
export function Field({ label, name, error, hint, children }: { label: string; name: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div className={`field${error ? ' has-error' : ''}`} data-field={name}>
      <label htmlFor={`f-${name}`}>{label}</label>
      {children}
      {hint && !error && <small className="hint">{hint}</small>}
      {error && (
        <small className="field-error" role="alert" id={`f-${name}-error`}>
          {error}
        </small>
      )}
    </div>
  );
}

/** Props for an <input> inside a Field: id, name and aria wiring for the error. */
export function inputProps(name: string, errors: FieldErrors) {
  return { id: `f-${name}`, name, 'aria-invalid': errors[name] ? true : undefined, 'aria-describedby': errors[name] ? `f-${name}-error` : undefined };
}

export type FieldErrors = Record<string, string | undefined>;

/**
 * Splits a refusal into the error beside a field (the problem's `field`)
 * and, when no field of the form matches, a message for the whole form.
 */
export function useProblem(fields: readonly string[]) {
  const { locale } = useI18n();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  return {
    fieldErrors,
    formError,
    clear() {
      setFieldErrors({});
      setFormError(null);
    },
    /** `fallback`: the field a problem without a (known) field is about, on one-field forms. */
    report(error: unknown, fieldMap: Record<string, string> = {}, fallback?: string) {
      if (error instanceof ApiError) {
        // Several fields at fault: each error beside its own field, focus on the first.
        const several = (error.problem.errors ?? [])
          .map((each) => ({ field: each.field ? (fieldMap[each.field] ?? each.field) : undefined, text: each.messages?.[locale] ?? each.detail }))
          .filter((each): each is { field: string; text: string } => each.field !== undefined && fields.includes(each.field));
        if (several.length > 1) {
          setFieldErrors(Object.fromEntries(several.map((each) => [each.field, each.text])));
          setFormError(null);
          window.setTimeout(() => document.getElementById(`f-${several[0]!.field}`)?.focus(), 0);
          return;
        }
        const named = error.problem.field ? (fieldMap[error.problem.field] ?? error.problem.field) : undefined;
        const field = named && fields.includes(named) ? named : fallback;
        if (field && fields.includes(field)) {
          setFieldErrors({ [field]: error.text(locale) });
          setFormError(null);
          window.setTimeout(() => document.getElementById(`f-${field}`)?.focus(), 0);
          return;
        }
        setFormError(error.text(locale));
        return;
      }
      const text = error instanceof Error ? error.message : String(error);
      if (fallback) setFieldErrors({ [fallback]: text });
      else setFormError(text);
    },
  };
}

export function Alert({ kind = 'error', children }: { kind?: 'error' | 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Card({ title, children, actions }: { title?: ReactNode; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      {(title || actions) && (
        <header className="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

const STATUS_KEYS: Record<string, MessageKey> = {
  good: 'status.good',
  revoked: 'status.revoked',
  expired: 'status.expired',
  'not-yet-valid': 'status.not-yet-valid',
  submitted: 'application.status.submitted',
  'in-review': 'application.status.in-review',
  approved: 'application.status.approved',
  rejected: 'application.status.rejected',
  completed: 'application.status.completed',
};

/** A status as a coloured word: never colour alone, the word is always there. */
export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const key = STATUS_KEYS[status];
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {key ? t(key) : status}
    </span>
  );
}

/** Progress of a slow operation, step by step, announced to screen readers. */
export function Steps({ steps, current, failed }: { steps: string[]; current: number; failed?: boolean }) {
  const percent = Math.round((Math.min(current, steps.length) / steps.length) * 100);
  return (
    <div className="steps" aria-live="polite">
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className={`progress-bar${failed ? ' failed' : ''}${current < steps.length && !failed ? ' running' : ''}`} style={{ width: `${Math.max(percent, 4)}%` }} />
      </div>
      <ol>
        {steps.map((step, i) => (
          <li key={step} className={i < current ? 'done' : i === current ? (failed ? 'failed' : 'active') : 'todo'}>
            {step}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Loads data for a page; `reload` after an action. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setTick((n) => n + 1) };
}

export function LoadError({ error }: { error: unknown }) {
  const { locale, t } = useI18n();
  if (!error) return null;
  return <Alert>{error instanceof ApiError ? error.text(locale) : `${t('common.failed')}: ${String(error)}`}</Alert>;
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="muted" aria-busy="true">
      {t('common.loading')}
    </p>
  );
}

/** Bytes offered as a file the subscriber saves (a certificate, a PKCS#12). */
export function download(filename: string, content: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (page: number) => void }) {
  const { t } = useI18n();
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label={t('common.pages')}>
      <button type="button" className="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ‹ {t('common.previous')}
      </button>
      <span>{t('common.page-of', { page, pages })}</span>
      <button type="button" className="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('common.next')} ›
      </button>
    </nav>
  );
}

const PRODUCTS = ['individual-signing', 'individual-encryption', 'enterprise-signing', 'enterprise-encryption', 'tls-server', 'tls-client', 'code-signing'] as const;

/** A certificate profile as the product people know; the profile's id beside it, as code, for operators. */
export function ProfileName({ id, showId = false }: { id: string; showId?: boolean }) {
  const { t } = useI18n();
  if (!(PRODUCTS as readonly string[]).includes(id)) return <code>{id}</code>;
  return (
    <>
      {t(`fees.product.${id as (typeof PRODUCTS)[number]}`)}
      {showId && (
        <>
          {' '}
          <code className="small">{id}</code>
        </>
      )}
    </>
  );
}
