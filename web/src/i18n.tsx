import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { MESSAGES, type MessageKey } from './messages';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
const STORAGE_KEY = 'signet.locale';

/** zh-CN unless the reader chose English (or came with ?lang=en, e.g. from a link in an English e-mail). */
function initialLocale(): Locale {
  const fromQuery = new URLSearchParams(window.location.search).get('lang');
  if (fromQuery === 'en' || fromQuery === 'zh-CN') return fromQuery;
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'en' ? 'en' : 'zh-CN';
}

let active: Locale = 'zh-CN';
/** The locale API calls ask for (Accept-Language), so problems come back in the reader's language. */
export function currentLocale(): Locale {
  return active;
}

type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

interface I18nValue {
  locale: Locale;
  setLocale(locale: Locale): void;
  t: Translate;
  /** A time as people here read it: Beijing time (Asia/Shanghai), whatever the browser's zone. */
  time(at: string | Date | null | undefined): string;
  date(at: string | Date | null | undefined): string;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  active = locale;
  const value = useMemo<I18nValue>(() => {
    const timeFormat = new Intl.DateTimeFormat(locale, {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    const dateFormat = new Intl.DateTimeFormat(locale, { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
    const t: Translate = (key, params) => {
      // "1 certificate", not "1 certificates": a key may have a `.one` form for a count of one.
      const one = params?.n === 1 || params?.n === '1' ? (`${key}.one` as MessageKey) : null;
      const text: string = (one && MESSAGES[locale][one]) || (MESSAGES[locale][key] ?? MESSAGES['zh-CN'][key] ?? key);
      return params ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : text;
    };
    return {
      locale,
      setLocale(next) {
        localStorage.setItem(STORAGE_KEY, next);
        document.documentElement.lang = next;
        setLocaleState(next);
      },
      t,
      time: (at) => (at ? `${timeFormat.format(new Date(at))} ${t('time.zone')}` : '—'),
      date: (at) => (at ? dateFormat.format(new Date(at)) : '—'),
    };
  }, [locale]);
  document.documentElement.lang = locale;
  document.title = value.t('app.title');
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

/** The day (YYYY-MM-DD) a time falls on in Beijing: for "issued per day" buckets. */
export function shanghaiDay(at: string | Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
}
