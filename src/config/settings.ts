import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Pkcs11Settings } from '../crypto/pkcs11-signer.js';
import { mailSettingsFrom, type MailSettings } from '../service/mail-settings.js';

/**
 * Everything a deployment may set, from the environment. Every field has a
 * safe default, so `npm start` on a fresh machine gives a working development CA.
 */
export interface SignetConfig {
  dataDir: string;
  host: string;
  port: number;
  /** The base URL written into certificates (CRLDP, AIA, CPS). */
  publicUrl: string;
  /** postgres://… or a SQLite file path. */
  databaseUrl: string;
  /** The policy OID arc; profiles append their suffix (R11). */
  policyOid: string;
  /** First serial octet (0x10–0x7f): tells deployments or nodes apart, keeps serials positive. */
  serialPrefix: number;
  logLevel: string;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Where the CA key passphrase comes from; read only when a key must be opened. */
  passphrase: () => string;
  /**
   * The key management centre's own passphrase for its signing and escrow
   * keys (GM/T 0034: the KMC is a separate authority): never the CA's, so
   * whoever can open CA keys cannot open escrowed encryption keys too.
   */
  kmcPassphrase: () => string;
  /** The HSM holding CA keys, when SIGNET_PKCS11_MODULE is set (R21). */
  hsm?: Pkcs11Settings;
  /** Bearer token for operator API calls until RA operators exist; read lazily like the passphrase. */
  adminToken: () => string;
  /** SMTP delivery of the notification outbox (SIGNET_SMTP_URL, …); without a URL notices only queue. */
  mail: MailSettings;
}

/** Signet's own arc under the UUID-based OID root 2.25 (ITU-T X.667): no registration needed. */
export const DEFAULT_POLICY_OID = '2.25.65074770238675666515895725593245998664';

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): SignetConfig {
  // An empty variable counts as unset, as shells and service managers often leave them.
  const env = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v !== ''));
  const dataDir = resolve(env.SIGNET_DATA ?? './data');
  const port = Number(env.SIGNET_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SIGNET_PORT ${env.SIGNET_PORT} is not a port`);
  const host = env.SIGNET_HOST ?? '127.0.0.1';
  const serialPrefix = Number(env.SIGNET_SERIAL_PREFIX ?? 0x5c);
  if (!Number.isInteger(serialPrefix) || serialPrefix < 0x10 || serialPrefix > 0x7f) {
    throw new Error('SIGNET_SERIAL_PREFIX must be between 16 and 127');
  }
  const publicUrl = (env.SIGNET_PUBLIC_URL ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  return {
    dataDir,
    host,
    port,
    publicUrl,
    databaseUrl: env.SIGNET_DATABASE_URL ?? join(dataDir, 'signet.db'),
    policyOid: env.SIGNET_POLICY_OID ?? DEFAULT_POLICY_OID,
    serialPrefix,
    logLevel: env.SIGNET_LOG_LEVEL ?? 'info',
    bodyLimit: Number(env.SIGNET_BODY_LIMIT ?? 1024 * 1024),
    passphrase: once(() => secretFrom(env, 'SIGNET_CA_PASSPHRASE', join(dataDir, 'ca-passphrase'))),
    kmcPassphrase: once(() => secretFrom(env, 'SIGNET_KMC_PASSPHRASE', join(dataDir, 'kmc-passphrase'))),
    adminToken: once(() => secretFrom(env, 'SIGNET_ADMIN_TOKEN', join(dataDir, 'admin-token'))),
    mail: mailSettingsFrom(env, publicUrl),
    ...(env.SIGNET_PKCS11_MODULE
      ? {
          hsm: {
            module: env.SIGNET_PKCS11_MODULE,
            token: env.SIGNET_PKCS11_TOKEN ?? 'signet',
            pin: once(() => {
              const pin = env.SIGNET_PKCS11_PIN ?? (env.SIGNET_PKCS11_PIN_FILE ? readFileSync(env.SIGNET_PKCS11_PIN_FILE, 'utf8').trim() : undefined);
              if (!pin) throw new Error('SIGNET_PKCS11_PIN or SIGNET_PKCS11_PIN_FILE is required with SIGNET_PKCS11_MODULE');
              return pin;
            }),
          },
        }
      : {}),
  };
}

function once<T>(read: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= read());
}

/**
 * A secret from NAME, NAME_FILE, or, for development only, a random one
 * generated into the data folder (mode 0600) on first use.
 */
function secretFrom(env: NodeJS.ProcessEnv, name: string, developmentFile: string): string {
  const direct = env[name];
  if (direct) return direct;
  const file = env[`${name}_FILE`] ?? developmentFile;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (env[`${name}_FILE`]) throw new Error(`${name}_FILE points at ${file}, which does not exist`);
  mkdirSync(resolve(developmentFile, '..'), { recursive: true });
  writeFileSync(developmentFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(developmentFile, 0o600);
  return readFileSync(developmentFile, 'utf8').trim();
}
