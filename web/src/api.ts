import { currentLocale, type Locale } from './i18n';

/** An RFC 9457 problem as Signet sends it: the field that caused it and the text in both languages. */
export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail: string;
  field?: string;
  messages?: Partial<Record<Locale, string>>;
  /** Every field at fault, when there was more than one. */
  errors?: { code: string; field?: string; detail: string; messages?: Partial<Record<Locale, string>> }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }

  /** The problem's text in the reader's language. */
  text(locale: Locale): string {
    return this.problem.messages?.[locale] ?? this.problem.detail;
  }
}

const TOKEN_KEY = 'signet.console.token';

/** An operator's API token (or the deployment's admin token), for this tab only. */
export const operatorToken = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string | null) => (token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY)),
};

function cookie(name: string): string | undefined {
  return document.cookie
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Raw bytes (a certificate upload) with their media type. */
  raw?: { bytes: BodyInit; type: string };
  /** Send the operator's credentials (token or session cookie with its CSRF token). */
  operator?: boolean;
  /** Further headers (the subscriber portal's bearer token). */
  headers?: Record<string, string>;
  /** The answer's bytes as a Blob (a document to show), not text. */
  blob?: boolean;
}

/** Calls Signet's API in the reader's language; a refusal becomes an ApiError carrying the problem. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { 'accept-language': currentLocale(), accept: 'application/json, application/problem+json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.raw) {
    body = options.raw.bytes;
    headers['content-type'] = options.raw.type;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  if (options.operator) {
    const token = operatorToken.get();
    if (token) headers.authorization = `Bearer ${token}`;
    else {
      // Session cookie (HttpOnly, sent by the browser) plus the CSRF token the server set beside it.
      const csrf = cookie('signet_csrf');
      if (csrf && options.method && options.method !== 'GET') headers['x-csrf-token'] = csrf;
    }
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body, credentials: 'same-origin' });
  } catch (error) {
    throw new ApiError({ status: 0, code: 'network', detail: (error as Error).message });
  }
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok) {
    if (type.includes('json')) throw new ApiError((await response.json()) as Problem);
    throw new ApiError({ status: response.status, code: `http-${response.status}`, detail: `${response.status} ${response.statusText}` });
  }
  if (options.blob) return (await response.blob()) as unknown as T;
  if (type.includes('json')) return (await response.json()) as T;
  return (await response.text()) as unknown as T;
}

/** The routes this Signet offers, from its OpenAPI document: pages offer only what the server can do. */
let routes: Promise<Set<string>> | undefined;
export function availableRoutes(): Promise<Set<string>> {
  routes ??= api<{ paths?: Record<string, Record<string, unknown>> }>('/api/openapi.json')
    .then((doc) => {
      const out = new Set<string>();
      for (const [path, methods] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(methods)) out.add(`${m.toUpperCase()} ${path}`);
      return out;
    })
    .catch(() => new Set<string>());
  return routes;
}
