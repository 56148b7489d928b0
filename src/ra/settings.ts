/** What a deployment may tune in the RA; each field has a safe default. */
export interface RaSettings {
  /** R4: how long a download credential stays valid. */
  credentialLifetimeDays: number;
  /** R4: wrong authorization codes before the credential locks. */
  credentialMaxAttempts: number;
  /** Wrong passwords before an operator account locks. */
  loginMaxFailures: number;
  loginLockMinutes: number;
  sessionHours: number;
  /** Largest supporting document, in bytes. */
  documentLimitBytes: number;
}

export const DEFAULT_RA_SETTINGS: RaSettings = {
  credentialLifetimeDays: 14,
  credentialMaxAttempts: 5,
  loginMaxFailures: 5,
  loginLockMinutes: 30,
  sessionHours: 8,
  documentLimitBytes: 5 * 1024 * 1024,
};

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** SIGNET_CREDENTIAL_DAYS, SIGNET_DOCUMENT_LIMIT, SIGNET_SESSION_HOURS, SIGNET_LOGIN_LOCK_MINUTES. */
export function raSettingsFrom(env: NodeJS.ProcessEnv, overrides: Partial<RaSettings> = {}): RaSettings {
  return {
    ...DEFAULT_RA_SETTINGS,
    credentialLifetimeDays: positive(env.SIGNET_CREDENTIAL_DAYS, DEFAULT_RA_SETTINGS.credentialLifetimeDays, 'SIGNET_CREDENTIAL_DAYS'),
    documentLimitBytes: positive(env.SIGNET_DOCUMENT_LIMIT, DEFAULT_RA_SETTINGS.documentLimitBytes, 'SIGNET_DOCUMENT_LIMIT'),
    sessionHours: positive(env.SIGNET_SESSION_HOURS, DEFAULT_RA_SETTINGS.sessionHours, 'SIGNET_SESSION_HOURS'),
    loginLockMinutes: positive(env.SIGNET_LOGIN_LOCK_MINUTES, DEFAULT_RA_SETTINGS.loginLockMinutes, 'SIGNET_LOGIN_LOCK_MINUTES'),
    ...overrides,
  };
}
