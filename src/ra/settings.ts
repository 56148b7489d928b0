import { configError } from '../config/config-error.js';

/** What a deployment may tune in the RA; each field has a safe default. */
export interface RaSettings {
  /** R4: how long a download credential stays valid. */
  credentialLifetimeDays: number;
  /** R4: wrong authorization codes before the credential locks. */
  credentialMaxAttempts: number;
  /** Wrong passwords before an operator account locks. */
  loginMaxFailures: number;
  /** Wrong passwords for one username from addresses it never logged in from, summed over them (per loginLockMinutes). */
  loginAccountMaxFailures: number;
  loginLockMinutes: number;
  sessionHours: number;
  /** How long a claimed download credential may take to become a certificate before crash recovery gives it back. */
  downloadLeaseSeconds: number;
  /** Largest supporting document, in bytes. */
  documentLimitBytes: number;
}

export const DEFAULT_RA_SETTINGS: RaSettings = {
  credentialLifetimeDays: 14,
  credentialMaxAttempts: 5,
  loginMaxFailures: 5,
  loginAccountMaxFailures: 100,
  loginLockMinutes: 30,
  sessionHours: 8,
  downloadLeaseSeconds: 120,
  documentLimitBytes: 5 * 1024 * 1024,
};

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw configError('config.whole-number-min', { variable: name, value, min: 1 });
  return n;
}

/** SIGNET_CREDENTIAL_DAYS, SIGNET_DOCUMENT_LIMIT, SIGNET_SESSION_HOURS, SIGNET_LOGIN_LOCK_MINUTES, SIGNET_LOGIN_MAX_FAILURES, SIGNET_LOGIN_ACCOUNT_MAX_FAILURES, SIGNET_DOWNLOAD_LEASE_SECONDS. */
export function raSettingsFrom(env: NodeJS.ProcessEnv, overrides: Partial<RaSettings> = {}): RaSettings {
  return {
    ...DEFAULT_RA_SETTINGS,
    credentialLifetimeDays: positive(env.SIGNET_CREDENTIAL_DAYS, DEFAULT_RA_SETTINGS.credentialLifetimeDays, 'SIGNET_CREDENTIAL_DAYS'),
    documentLimitBytes: positive(env.SIGNET_DOCUMENT_LIMIT, DEFAULT_RA_SETTINGS.documentLimitBytes, 'SIGNET_DOCUMENT_LIMIT'),
    sessionHours: positive(env.SIGNET_SESSION_HOURS, DEFAULT_RA_SETTINGS.sessionHours, 'SIGNET_SESSION_HOURS'),
    downloadLeaseSeconds: positive(env.SIGNET_DOWNLOAD_LEASE_SECONDS, DEFAULT_RA_SETTINGS.downloadLeaseSeconds, 'SIGNET_DOWNLOAD_LEASE_SECONDS'),
    loginMaxFailures: positive(env.SIGNET_LOGIN_MAX_FAILURES, DEFAULT_RA_SETTINGS.loginMaxFailures, 'SIGNET_LOGIN_MAX_FAILURES'),
    loginAccountMaxFailures: positive(env.SIGNET_LOGIN_ACCOUNT_MAX_FAILURES, DEFAULT_RA_SETTINGS.loginAccountMaxFailures, 'SIGNET_LOGIN_ACCOUNT_MAX_FAILURES'),
    loginLockMinutes: positive(env.SIGNET_LOGIN_LOCK_MINUTES, DEFAULT_RA_SETTINGS.loginLockMinutes, 'SIGNET_LOGIN_LOCK_MINUTES'),
    ...overrides,
  };
}
