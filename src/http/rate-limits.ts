import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler, RouteOptions } from 'fastify';
import { isIP } from 'node:net';
import { SignetError } from '../i18n/signet-error.js';
import { configError } from '../config/config-error.js';

/**
 * Rate limits on the public doors (issue 16 §3): one table of route classes,
 * each limited per source (the address, IPv6 grouped by /56 as
 * @fastify/rate-limit does) and, where the request names an account, per
 * account as well. Over the limit: `429 request.rate-limited` with
 * Retry-After, nothing evaluated. The classes guarding secrets are counted
 * in the store and shared by every server process; the relying parties'
 * classes in each process (registerRateLimits).
 *
 * These are a throttle in front of the attempt counters (src/ra/attempts.ts),
 * which stay the bound on guesses per secret; the per-account limits are
 * therefore generous, so a stranger cannot keep an account's holder out for
 * long by spending its allowance.
 */
export type LimitClass = 'login' | 'portal-sign-in' | 'download' | 'registration' | 'status' | 'tsa' | 'evidence' | 'enrolment' | 'acme';

export interface Limit {
  max: number;
  windowSeconds: number;
}

export interface RateLimitSettings {
  source: Record<LimitClass, Limit>;
  account: Partial<Record<LimitClass, Limit>>;
}

/** Which routes each class covers, and the body field naming the account (if any). */
const CLASSES: ReadonlyArray<{ name: LimitClass; routes: ReadonlyArray<[string, string]>; accountField?: string }> = [
  { name: 'login', routes: [['POST', '/api/v1/ra/login']], accountField: 'username' },
  { name: 'portal-sign-in', routes: [['POST', '/api/v1/portal/sessions']], accountField: 'trackingNumber' },
  { name: 'download', routes: [['POST', '/api/v1/ra/downloads'], ['POST', '/api/v1/ra/downloads/pkcs12']], accountField: 'referenceNumber' },
  { name: 'registration', routes: [['POST', '/api/v1/portal/registrations']] },
  // Relying parties: validators behind one NAT ask often, so these are set for traffic, not for guessing.
  {
    name: 'status',
    routes: [['GET', '/ocsp/*'], ['POST', '/ocsp'], ['GET', '/api/v1/status/:serial'], ['POST', '/api/v1/status']],
  },
  { name: 'tsa', routes: [['POST', '/tsa']] },
  { name: 'evidence', routes: [['POST', '/api/v1/evidence/verification'], ['POST', '/api/v1/cms/verify']] },
  // The standard doors (issue 21): each request may carry a guess at a download credential; the attempt counter bounds guesses per credential.
  {
    name: 'enrolment',
    routes: [['POST', '/.well-known/est/simpleenroll'], ['POST', '/.well-known/est/simplereenroll'], ['POST', '/.well-known/cmp'], ['POST', '/.well-known/cmp/p/:label'], ['GET', '/scep'], ['POST', '/scep']],
  },
  // ACME's requests that make something (RFC 8555 §6.6): an account, an order, a validation (Signet fetches from the
  // named host), a signature, a revocation. Polling an order or authorization and fetching a certificate stay open:
  // clients poll every few seconds. Over the limit ACME callers get urn:ietf:params:acme:error:rateLimited (acme-routes.ts).
  {
    name: 'acme',
    routes: [['POST', '/acme/new-account'], ['POST', '/acme/new-order'], ['POST', '/acme/order/:id/finalize'], ['POST', '/acme/chall/:id'], ['POST', '/acme/revoke-cert']],
  },
];

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  source: {
    login: { max: 30, windowSeconds: 300 },
    'portal-sign-in': { max: 30, windowSeconds: 300 },
    download: { max: 30, windowSeconds: 300 },
    registration: { max: 20, windowSeconds: 3600 },
    status: { max: 1200, windowSeconds: 60 },
    tsa: { max: 300, windowSeconds: 60 },
    evidence: { max: 60, windowSeconds: 60 },
    enrolment: { max: 60, windowSeconds: 300 },
    // One certificate is 3-4 of these (order, a challenge per name, finalize): about 75 certificates per source in 5 minutes.
    acme: { max: 300, windowSeconds: 300 },
  },
  account: {
    login: { max: 20, windowSeconds: 300 },
    'portal-sign-in': { max: 20, windowSeconds: 300 },
    download: { max: 20, windowSeconds: 300 },
  },
};

const CLASS_NAMES = new Set<string>(CLASSES.map((c) => c.name));
/** Counted in the store, shared by every server process (registerRateLimits); ACME's requests each write to the store anyway. */
const SHARED_CLASSES = new Set<LimitClass>(['login', 'portal-sign-in', 'download', 'registration', 'acme']);
/** Longest window: the store forgets request counts older than a day (RegistrationAuthority.pruneAttempts). */
const MAX_WINDOW_SECONDS = 86_400;

/**
 * `SIGNET_RATE_LIMITS`: unset for the defaults, `off` for none (a deployment
 * whose reverse proxy limits), or changes to the defaults as
 * `class=max/seconds` and `class.account=max/seconds`, comma-separated, e.g.
 * `status=6000/60,login.account=10/600`. A malformed value stops the start.
 */
export function rateLimitsFrom(env: NodeJS.ProcessEnv): RateLimitSettings | false {
  const text = env.SIGNET_RATE_LIMITS?.trim();
  if (!text) return DEFAULT_RATE_LIMITS;
  if (text === 'off') return false;
  const settings: RateLimitSettings = { source: { ...DEFAULT_RATE_LIMITS.source }, account: { ...DEFAULT_RATE_LIMITS.account } };
  for (const part of text.split(',')) {
    const match = /^\s*([a-z-]+)(\.account)?\s*=\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(part);
    if (!match || !CLASS_NAMES.has(match[1]!) || Number(match[3]) < 1 || Number(match[4]) < 1 || Number(match[4]) > MAX_WINDOW_SECONDS) {
      throw configError('http.config.rate-limit-invalid', { variable: 'SIGNET_RATE_LIMITS', value: part.trim(), max: MAX_WINDOW_SECONDS, classes: [...CLASS_NAMES].join(', ') });
    }
    const name = match[1] as LimitClass;
    const limit = { max: Number(match[3]), windowSeconds: Number(match[4]) };
    if (match[2]) {
      if (!CLASSES.find((c) => c.name === name)?.accountField) throw configError('http.config.rate-limit-no-account', { variable: 'SIGNET_RATE_LIMITS', value: part.trim(), name });
      settings.account[name] = limit;
    } else {
      settings.source[name] = limit;
    }
  }
  return settings;
}

/** The account a body names, as the limiter counts it: NFKC (full-width letters are the same name), no spaces, lower case. */
export function accountKey(value: unknown): string {
  return typeof value === 'string' ? value.normalize('NFKC').replace(/\s+/g, '').toLowerCase().slice(0, 256) : '';
}

function refuse(reply: FastifyReply, ttlSeconds: number): never {
  const seconds = Math.max(1, Math.ceil(ttlSeconds));
  reply.header('retry-after', String(seconds));
  throw new SignetError('request.rate-limited', 429, { seconds });
}

/** Where the shared classes are counted: the store's request counts (RegistrationAuthority.requestCounts). */
export interface SharedCounts {
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
}

/**
 * The source a request is counted under: its address (request.ip, which
 * believes X-Forwarded-For only from SIGNET_TRUSTED_PROXIES), IPv6 grouped by
 * its /56 as @fastify/rate-limit does (one customer's allocation is one
 * source). An IPv4-mapped IPv6 address is its IPv4 address.
 */
export function sourceKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  const words = groups.map((g) => parseInt(g, 16) || 0);
  // 56 bits: three whole groups and the high byte of the fourth.
  return `${words.slice(0, 3).map((w) => w.toString(16)).join(':')}:${((words[3] ?? 0) & 0xff00).toString(16)}::/56`;
}

/** A source's count in its current window. */
interface WindowCount {
  current: number;
  startedMs: number;
}

/**
 * The per-process counts. @fastify/rate-limit's own LocalStore answers every
 * caller with the same counter object, which the plugin reads after an await:
 * requests counted in one turn of the microtask queue all saw the last count,
 * so a burst past the limit was refused whole instead of beyond the limit.
 * Each caller gets its own figures here.
 *
 * Bounded by generations rather than by least-recent order: keys counted in
 * this generation, and in the one before. Moving a key to the back of one Map
 * on every count (delete and set) cost 7-22 µs a count once tens of thousands
 * of sources passed the bound (V8 skips the deleted slots at the front on
 * every eviction; bench/window-counts.ts). Here a count is a lookup; a key
 * seen only in the previous generation is carried into the current one once.
 * A generation ends after one window (what the previous one held, and was not
 * counted since, has expired then: nothing live is forgotten) or when it holds
 * `kept / 2` keys (then the keys not counted during a whole generation are
 * forgotten, as the least recently counted were before). Never more than
 * `kept` keys.
 */
export class WindowCounts implements FastifyRateLimitStore {
  private current = new Map<string, WindowCount>();
  private previous = new Map<string, WindowCount>();
  private readonly perGeneration: number;
  private readonly now: () => number;
  private generationStartedMs: number;

  /** @fastify/rate-limit constructs the store with its own options, which name neither of these. */
  constructor(options: { keptKeys?: number; clockMs?: () => number } = {}) {
    this.perGeneration = Math.max(1, Math.floor((options.keptKeys ?? 50_000) / 2));
    this.now = options.clockMs ?? Date.now;
    this.generationStartedMs = this.now();
  }

  /** Keys held now (both generations; a key carried over may be in both): at most `keptKeys`. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
    const now = this.now();
    if (now - this.generationStartedMs >= timeWindow || this.current.size >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Map();
      this.generationStartedMs = now;
    }
    let entry = this.current.get(key);
    if (entry === undefined) {
      entry = this.previous.get(key) ?? { current: 0, startedMs: now };
      this.current.set(key, entry);
    }
    if (entry.startedMs + timeWindow <= now) {
      entry.current = 0;
      entry.startedMs = now;
    }
    entry.current += 1;
    callback(null, { current: entry.current, ttl: entry.startedMs + timeWindow - now });
  }

  child(): FastifyRateLimitStore {
    return new WindowCounts();
  }
}

/**
 * Registers the limits; call before any route is added (they attach through
 * an onRoute hook, so a route in the table cannot escape them). The classes
 * that guard secrets and registrations, and ACME's, are counted in the store (`shared`),
 * so several server processes on one database allow the limit once between
 * them; the relying parties' classes (status, TSA, evidence) in each process,
 * where a write per OCSP request would cost the responder its throughput.
 */
export async function registerRateLimits(app: FastifyInstance, settings: RateLimitSettings | false, shared?: SharedCounts): Promise<void> {
  if (settings === false) return;
  await app.register(rateLimit, { global: false, store: WindowCounts });
  const hooks = new Map<string, { onRequest: onRequestHookHandler; preHandler?: preHandlerHookHandler }>();
  for (const cls of CLASSES) {
    const source = settings.source[cls.name];
    const account = cls.accountField ? settings.account[cls.name] : undefined;
    const field = cls.accountField;
    const named = (request: FastifyRequest) => accountKey((request.body as Record<string, unknown> | undefined)?.[field ?? '']);
    let onRequest: onRequestHookHandler;
    let preHandler: preHandlerHookHandler | undefined;
    if (shared && SHARED_CLASSES.has(cls.name)) {
      const count = async (reply: FastifyReply, key: string, limit: Limit) => {
        const { count: n, resetInMs } = await shared.hit(`rate:${cls.name}:${key}`, limit.windowSeconds * 1000);
        if (n > limit.max) refuse(reply, resetInMs / 1000);
      };
      onRequest = async (request, reply) => count(reply, `source:${sourceKey(request.ip)}`, source);
      // After the route's schema has validated the body (a body that fails it is a 400 and never reaches here).
      if (account && field) {
        preHandler = async (request, reply) => {
          const name = named(request);
          if (name) await count(reply, `account:${name}`, account);
        };
      }
    } else {
      const bySource = app.createRateLimit({ max: source.max, timeWindow: source.windowSeconds * 1000 });
      onRequest = async (request, reply) => {
        const result = await bySource(request);
        if (!result.isAllowed && result.isExceeded) refuse(reply, result.ttlInSeconds);
      };
      if (account && field) {
        // Counted in preHandler, after the route's schema has validated the body; only a string names an account.
        const byAccount = app.createRateLimit({ max: account.max, timeWindow: account.windowSeconds * 1000, keyGenerator: (request: FastifyRequest) => `${cls.name}:${named(request)}` });
        preHandler = async (request, reply) => {
          const result = await byAccount(request);
          if (!result.isAllowed && result.isExceeded) refuse(reply, result.ttlInSeconds);
        };
      }
    }
    for (const [method, url] of cls.routes) hooks.set(`${method} ${url}`, { onRequest, preHandler });
  }
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      const hook = hooks.get(`${method} ${route.url}`);
      if (!hook) continue;
      route.onRequest = [hook.onRequest, ...[route.onRequest ?? []].flat()];
      if (hook.preHandler) route.preHandler = [hook.preHandler, ...[route.preHandler ?? []].flat()];
    }
  });
}

/** The routes each class covers, for the test that keeps this table in step with the routes. */
export function limitedRoutes(): ReadonlyArray<{ name: LimitClass; method: string; url: string }> {
  return CLASSES.flatMap((c) => c.routes.map(([method, url]) => ({ name: c.name, method, url })));
}
