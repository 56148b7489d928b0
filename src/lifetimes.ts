import { randomUUID, X509Certificate } from 'node:crypto';
import { tryTakeLease } from './status/lease.js';
import type { IdentityLifetime } from './ca/delegated-signers.js';
import type { MessageCode } from './i18n/messages.js';
import { translate } from './i18n/messages.js';
import { formatShanghaiTime } from './i18n/locale.js';
import { evidenceSigner, evidenceSignerLifetimes } from './evidence/evidence-signer.js';
import type { Signet } from './signet.js';

/**
 * The deployment's calendar across domains (docs/operations.md): every
 * signing identity with its expiry and next rollover, and the warnings an
 * operator must act on. Composed here, beside the composition root, because
 * it reads the CA, evidence and audit domains together.
 */
export interface LifetimeWarning {
  code: MessageCode;
  params: Record<string, string>;
  /** Both languages, for logs, /healthz and the console. */
  text: { 'zh-CN': string; en: string };
}

export interface Calendar {
  at: string;
  identities: IdentityLifetime[];
  /** The root's offline status: nextUpdate of its CRL and earliest pre-signed OCSP answer (null: none); how many root-signed certificates have none. */
  root: { caId: string; crlNextUpdate: string | null; ocspNextUpdate: string | null; rootSigned: number; ocspMissing: number }[];
  warnings: LifetimeWarning[];
}

export interface CalendarThresholds {
  /** Warn this long before a CA certificate expires (default a year: an issuing CA ceremony takes planning). */
  caWarningMs: number;
  /** Warn this long before the root's ceremony output goes stale (default 60 days). */
  rootStatusWarningMs: number;
  /** A rollover this late is reported (default a day: the scheduler runs every quarter hour). */
  rolloverGraceMs: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_THRESHOLDS: CalendarThresholds = { caWarningMs: 365 * DAY_MS, rootStatusWarningMs: 60 * DAY_MS, rolloverGraceMs: DAY_MS };

function warning(code: MessageCode, params: Record<string, string>): LifetimeWarning {
  // The params stay ISO for machines; the texts give times as people here read them (Beijing time).
  const shown = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, /^\d{4}-\d\d-\d\dT/.test(v) ? formatShanghaiTime(v) : v]));
  return { code, params, text: { 'zh-CN': translate(code, 'zh-CN', shown), en: translate(code, 'en', shown) } };
}

export async function calendar(signet: Signet, thresholds: CalendarThresholds = DEFAULT_THRESHOLDS): Promise<Calendar> {
  const now = signet.ca.now();
  const identities: IdentityLifetime[] = [];
  const warnings: LifetimeWarning[] = [];
  const root: Calendar['root'] = [];
  const authorities = await signet.ca.authorities();
  for (const authority of authorities) {
    const notBefore = new Date(new X509Certificate(authority.certificateDer).validFrom);
    identities.push({
      kind: authority.role,
      id: authority.id,
      caId: authority.parentId,
      notBefore: notBefore.toISOString(),
      notAfter: authority.notAfter.toISOString(),
      nextRollover: null,
      inForce: authority.notAfter > now,
    });
  }
  const newestIssuing = authorities.filter((a) => a.role === 'issuing').at(-1);
  for (const authority of authorities) {
    // An issuing CA already succeeded by a newer one only answers status now: its end needs no ceremony.
    const succeeded = authority.role === 'issuing' && authority !== newestIssuing;
    if (!succeeded && authority.notAfter > now && authority.notAfter.getTime() - now.getTime() < thresholds.caWarningMs) {
      warnings.push(warning('lifetime.ca-expiring', { kind: authority.role, id: authority.id, notAfter: authority.notAfter.toISOString() }));
    }
    if (authority.role === 'root') {
      const horizon = await signet.status.rootStatusHorizon(authority.id);
      root.push({ caId: authority.id, ...horizon });
      const soon = new Date(now.getTime() + thresholds.rootStatusWarningMs).toISOString();
      if (!horizon.crlNextUpdate) {
        warnings.push(warning('lifetime.root-crl-missing', { caId: authority.id }));
      } else if (horizon.crlNextUpdate < soon) {
        warnings.push(warning('lifetime.root-crl-stale', { caId: authority.id, at: horizon.crlNextUpdate }));
      }
      if (horizon.ocspMissing > 0) {
        warnings.push(warning('lifetime.root-ocsp-missing', { caId: authority.id, count: String(horizon.ocspMissing) }));
      } else if (horizon.rootSigned > 0 && (!horizon.ocspNextUpdate || horizon.ocspNextUpdate < soon)) {
        warnings.push(warning('lifetime.root-ocsp-stale', { caId: authority.id, at: horizon.ocspNextUpdate ?? now.toISOString() }));
      }
    }
  }

  const delegated = await signet.signers.lifetimes();
  identities.push(...delegated);
  if (newestIssuing && newestIssuing.notAfter > now) {
    for (const kind of ['ocsp', 'tsa'] as const) {
      if (!delegated.some((d) => d.kind === kind && d.caId === newestIssuing.id && d.inForce)) {
        warnings.push(warning('lifetime.no-identity', { kind, caId: newestIssuing.id }));
      }
    }
  }
  identities.push(...(await evidenceSignerLifetimes(signet.ca, signet.signers.policy.remainingFraction)));
  identities.push(...(await signet.auditCheckpoints.lifetimes()));
  for (const identity of identities) {
    if (identity.kind === 'root' || identity.kind === 'issuing' || !identity.nextRollover || !identity.inForce) continue;
    const late = now.getTime() - new Date(identity.nextRollover).getTime();
    // Near its CA's end an identity cannot roll over; the CA warning covers that.
    const ca = authorities.find((a) => a.id === identity.caId);
    const blockedByCa = ca && ca.notAfter.getTime() <= new Date(identity.notAfter).getTime() + 1000;
    if (late > thresholds.rolloverGraceMs && !blockedByCa) {
      warnings.push(warning('lifetime.rollover-overdue', { kind: identity.kind, id: identity.id, at: identity.nextRollover, notAfter: identity.notAfter }));
    }
  }
  return { at: now.toISOString(), identities, root, warnings };
}

/**
 * Every online identity's rollover in one round (the scheduler and the start
 * of `signet serve`): OCSP responders and TSAs, the evidence signer, the
 * audit key. Each step is idempotent; a crash in one leaves its predecessor
 * in force and the next round finishes it.
 */
export async function rollOverIdentities(signet: Signet, actor = 'system:rollover'): Promise<{ delegated: string[]; evidence: boolean; audit: string | null }> {
  const made = await signet.signers.rollOverDue(actor);
  // SCEP's RSA identities are made on first use (src/scep/ra-identity.ts); only existing ones roll over here.
  const scep = await signet.scepIdentities.rollOverDue(actor);
  const before = (await evidenceSignerLifetimes(signet.ca, signet.signers.policy.remainingFraction)).length;
  const hasIssuing = (await signet.ca.authorities()).some((a) => a.role === 'issuing');
  let evidence = false;
  if (hasIssuing && before > 0) {
    await evidenceSigner(signet.ca, signet.signers.policy.remainingFraction);
    evidence = (await evidenceSignerLifetimes(signet.ca, signet.signers.policy.remainingFraction)).length > before;
  }
  // Audit and evidence keys are made on first use; only existing ones roll over here.
  const audit = (await signet.auditCheckpoints.keys()).length > 0 ? (await signet.auditCheckpoints.activeKey(actor)).id : null;
  return { delegated: [...made.map((m) => m.id), ...scep], evidence, audit };
}

/** Prometheus text lines for the calendar (appended to /metrics). */
export function calendarMetrics(c: Calendar): string {
  const label = (v: string | null) => (v ?? '').replace(/["\\\n]/g, '_');
  const lines = [
    '# HELP signet_identity_not_after_seconds When each signing identity expires (Unix time).',
    '# TYPE signet_identity_not_after_seconds gauge',
    ...c.identities.map((i) => `signet_identity_not_after_seconds{kind="${i.kind}",id="${label(i.id)}",ca="${label(i.caId)}",in_force="${i.inForce}"} ${Math.floor(Date.parse(i.notAfter) / 1000)}`),
    '# HELP signet_identity_next_rollover_seconds When each identity in force is replaced automatically (Unix time).',
    '# TYPE signet_identity_next_rollover_seconds gauge',
    ...c.identities
      .filter((i) => i.nextRollover && i.inForce)
      .map((i) => `signet_identity_next_rollover_seconds{kind="${i.kind}",id="${label(i.id)}",ca="${label(i.caId)}"} ${Math.floor(Date.parse(i.nextRollover!) / 1000)}`),
    '# HELP signet_root_status_next_update_seconds When the root ceremony output goes stale (Unix time).',
    '# TYPE signet_root_status_next_update_seconds gauge',
    ...c.root.flatMap((r) => [
      `signet_root_status_next_update_seconds{ca="${label(r.caId)}",kind="crl"} ${r.crlNextUpdate ? Math.floor(Date.parse(r.crlNextUpdate) / 1000) : 0}`,
      // 0 (already stale) while any root-signed certificate has no answer at all; none when no certificate names OCSP (CRL-only).
      ...(r.rootSigned > 0
        ? [`signet_root_status_next_update_seconds{ca="${label(r.caId)}",kind="ocsp"} ${r.ocspNextUpdate && r.ocspMissing === 0 ? Math.floor(Date.parse(r.ocspNextUpdate) / 1000) : 0}`]
        : []),
    ]),
    '# HELP signet_lifetime_warnings Calendar warnings an operator must act on.',
    '# TYPE signet_lifetime_warnings gauge',
    `signet_lifetime_warnings ${c.warnings.length}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `rollOverIdentities` now and every `intervalMs` on whichever node holds
 * the `identity-rollover` lease (unref'd timers). Returns the stop function.
 */
export function startRolloverSchedule(signet: Signet, intervalMs = 15 * 60_000, onError: (error: unknown) => void = () => undefined): () => void {
  const nodeId = `node-${randomUUID()}`;
  let running = false;
  const round = () => {
    if (running) return;
    running = true;
    (async () => {
      if (await tryTakeLease(signet.store, 'identity-rollover', nodeId, 10 * 60_000)) await rollOverIdentities(signet);
    })()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  round();
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The clocks in /healthz: skew to the database server and whether the TSA would stamp now (issue 13, clocks). */
export interface ClockHealth {
  skewMs: number;
  roundTripMs: number;
  /** SQLite: the database reads this host's clock, the skew witnesses nothing. */
  sameHost: boolean;
  databaseTime: string;
  limitMs: number;
  tsa: { refusing: { code: string; text: { 'zh-CN': string; en: string } } | null; highWater: string | null; lastReset: number };
}

export async function clockHealth(signet: Signet): Promise<ClockHealth> {
  const s = await signet.tsa.clockStatus();
  const refusing = s.refusing
    ? { code: s.refusing.code, text: { 'zh-CN': translate(s.refusing.code as MessageCode, 'zh-CN', s.refusing.params), en: translate(s.refusing.code as MessageCode, 'en', s.refusing.params) } }
    : null;
  return { skewMs: s.skewMs, roundTripMs: s.roundTripMs, sameHost: s.sameHost, databaseTime: s.databaseTime, limitMs: s.limitMs, tsa: { refusing, highWater: s.highWater, lastReset: s.lastReset } };
}

/** Prometheus lines for the clocks (appended to /metrics); alert on signet_tsa_clock_refusing > 0. */
export function clockMetrics(h: ClockHealth): string {
  return [
    "# HELP signet_database_clock_skew_seconds This node's clock minus the database server's (0 by construction on SQLite).",
    '# TYPE signet_database_clock_skew_seconds gauge',
    `signet_database_clock_skew_seconds{same_host="${h.sameHost}"} ${h.skewMs / 1000}`,
    '# HELP signet_clock_limit_seconds Past this skew, or a jump of the clock this large, the TSA refuses to stamp.',
    '# TYPE signet_clock_limit_seconds gauge',
    `signet_clock_limit_seconds ${h.limitMs / 1000}`,
    '# HELP signet_tsa_clock_refusing 1 while the TSA refuses to stamp because of its clock.',
    '# TYPE signet_tsa_clock_refusing gauge',
    `signet_tsa_clock_refusing{reason="${h.tsa.refusing?.code ?? ''}"} ${h.tsa.refusing ? 1 : 0}`,
    '# HELP signet_tsa_high_water_seconds The latest genTime the TSA stamped (Unix time); it never stamps below it.',
    '# TYPE signet_tsa_high_water_seconds gauge',
    `signet_tsa_high_water_seconds ${h.tsa.highWater ? Date.parse(h.tsa.highWater) / 1000 : 0}`,
    '',
  ].join('\n');
}
