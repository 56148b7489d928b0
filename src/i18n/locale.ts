export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

/** Chinese first: anything that does not ask for English gets zh-CN. */
export function localeFrom(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return 'zh-CN';
  const first = acceptLanguage.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'zh-CN';
}

/** The CLI's locale: SIGNET_LANG, then LANG (en_US.UTF-8 → en), else zh-CN. */
export function cliLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  const value = env.SIGNET_LANG ?? env.LC_ALL ?? env.LANG;
  return value?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

const shanghai = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** Times are stored in UTC and shown in Asia/Shanghai with the offset spelled out. */
export function formatShanghaiTime(at: Date | string): string {
  return `${shanghai.format(typeof at === 'string' ? new Date(at) : at)} +08:00`;
}
