import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { configError } from '../config/config-error.js';

/**
 * How the notification outbox reaches people by email, from the environment.
 * Every field has a safe zero value: without `SIGNET_SMTP_URL` nothing is
 * sent and every notice stays queued in the outbox (`signet notification
 * list --pending`), so a deployment that has not configured mail loses none.
 */
export interface MailSettings {
  /** `smtp://[user[:password]@]host[:port]` (STARTTLS when offered) or `smtps://…` (TLS from the start); unset: no delivery. */
  url?: string;
  /** The From header, e.g. `CFCA 通知 <notice@example.cn>`. */
  from: string;
  /** Refuse to send in clear: the connection must reach TLS (STARTTLS or smtps). Off only for a loopback server, unless set. */
  requireTls: boolean;
  /** Addresses of the desks that `role:<name>` notices go to (`role:dispute-desk`, …). */
  roleAddresses: Record<string, string>;
  /** How many notices one delivery round takes at most. */
  batchSize: number;
  /** The first retry waits this long; each further one twice as long, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How often the lease holder runs a delivery round (`signet serve`). */
  intervalMs: number;
}

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

export function mailSettingsFrom(environment: NodeJS.ProcessEnv, publicUrl = 'http://127.0.0.1'): MailSettings {
  const env = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v !== ''));
  let url = env.SIGNET_SMTP_URL;
  let loopback = false;
  if (url !== undefined) {
    const parsed = parseSmtpUrl(url);
    const passwordFile = env.SIGNET_SMTP_PASSWORD_FILE;
    if (passwordFile) {
      parsed.password = encodeURIComponent(readFileSync(passwordFile, 'utf8').trim());
      url = parsed.toString();
    }
    loopback = isLoopback(parsed.hostname);
  }
  return {
    ...(url !== undefined ? { url } : {}),
    from: env.SIGNET_SMTP_FROM ?? `Signet <signet@${mailDomainOf(publicUrl)}>`,
    requireTls: env.SIGNET_SMTP_REQUIRE_TLS !== undefined ? flag(env.SIGNET_SMTP_REQUIRE_TLS, 'SIGNET_SMTP_REQUIRE_TLS') : !loopback,
    roleAddresses: roleAddressesFrom(env.SIGNET_NOTIFY_ROLE_ADDRESSES),
    batchSize: positive(env.SIGNET_SMTP_BATCH, 200, 'SIGNET_SMTP_BATCH'),
    backoffMs: positive(env.SIGNET_SMTP_RETRY_SECONDS, 60, 'SIGNET_SMTP_RETRY_SECONDS') * 1000,
    maxBackoffMs: positive(env.SIGNET_SMTP_MAX_RETRY_SECONDS, 6 * 3600, 'SIGNET_SMTP_MAX_RETRY_SECONDS') * 1000,
    intervalMs: positive(env.SIGNET_SMTP_INTERVAL_SECONDS, 60, 'SIGNET_SMTP_INTERVAL_SECONDS') * 1000,
  };
}

function parseSmtpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError('service.config.smtp-url-invalid', { variable: 'SIGNET_SMTP_URL', value: url });
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw configError('service.config.smtp-url-scheme', { variable: 'SIGNET_SMTP_URL', value: url });
  return parsed;
}

/** `dispute-desk=disputes@example.cn,complaints=…`: where `role:<name>` notices go. */
function roleAddressesFrom(value: string | undefined): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const pair of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [role, address] = pair.split('=').map((p) => p.trim());
    if (!role || !address || !ADDRESS.test(address)) throw configError('service.config.role-address-invalid', { variable: 'SIGNET_NOTIFY_ROLE_ADDRESSES', value: pair });
    roles[role] = address;
  }
  return roles;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\./.test(bare);
}

/** The public URL's host, when it is a name a mailbox can live under; else `localhost`. */
function mailDomainOf(publicUrl: string): string {
  try {
    const host = new URL(publicUrl).hostname;
    return host.includes('.') && !isIP(host.replace(/^\[|\]$/g, '')) ? host : 'localhost';
  } catch {
    return 'localhost';
  }
}

function flag(value: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw configError('config.true-false', { variable: name, value });
}

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw configError('config.whole-number-min', { variable: name, value, min: 1 });
  return n;
}

export function isMailAddress(value: string): boolean {
  return ADDRESS.test(value);
}
