import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { levels as pinoLevels } from 'pino';
import { parseCrlPartitions } from '../ca/crl-partition.js';
import { contactFrom, type CaContact } from './contact.js';
import type { Pkcs11Settings } from '../crypto/pkcs11-signer.js';
import { mailSettingsFrom, type MailSettings } from '../service/mail-settings.js';
import { PersonalDataCipher, parseKeyList } from '../service/personal-data.js';
import { SignetError } from '../i18n/signet-error.js';
import { configError } from './config-error.js';

export type SignetMode = 'development' | 'production';

/**
 * Everything a deployment may set, from the environment. Every field has a
 * safe default, so `npm start` on a fresh machine gives a working development CA.
 */
export interface SignetConfig {
  /**
   * SIGNET_MODE. 'production' never generates a secret and never builds a
   * development hierarchy: every secret must be given, each its own
   * (productionProblems says what is missing). Other domains check this
   * before doing anything only a development deployment may do.
   */
  mode: SignetMode;
  /** Whether SIGNET_PUBLIC_URL was given (production needs it: the URL goes into every certificate). */
  publicUrlGiven: boolean;
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
  /** Where the CA key passphrase comes from; read only when a key must be opened. Seals root and issuing CA keys. */
  passphrase: () => string;
  /** SIGNET_RESPONDER_PASSPHRASE: seals the online responder keys (OCSP, TSA, evidence signer), which sign all day. */
  responderPassphrase: () => string;
  /** SIGNET_AUDIT_PASSPHRASE: seals the audit checkpoint key, so neither CA nor responder custodians can re-sign the log. */
  auditPassphrase: () => string;
  /** SIGNET_ROOT_PASSPHRASE: seals the root key sent offline at the root ceremony; needed only by ceremonies. */
  rootPassphrase: () => string;
  /** SIGNET_ROOT_KEY_FILE: the offline root key, given only to a ceremony process, never to a server. */
  rootKeyFile?: string;
  /** SIGNET_PII_KEY: the personal-data keys, `id:base64[,id:base64…]`, current first (src/service/personal-data.ts). */
  personalDataKeys: () => string;
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
  /** SIGNET_CONTACT_*: the CA's contact details the site shows (src/config/contact.ts). */
  contact: CaContact;
  /**
   * SIGNET_AUDIT_HEAD_EXPORT: a file, outside the database and ideally on
   * another machine or an append-only mount, to which every signed audit
   * checkpoint is appended (R20). `signet audit verify` checks the chain against it.
   */
  auditHeadExport?: string;
  /** SIGNET_AUDIT_TRUSTED_KEYS: audit key fingerprints (SHA-256 of the SPKI, hex, comma-separated) that verification pins. */
  auditTrustedKeys: string[];
  /**
   * SIGNET_AUDIT_KEY_STORAGE=pkcs11: new audit checkpoint keys are generated in
   * the HSM (needs SIGNET_PKCS11_MODULE). Unset: a successor keeps its
   * predecessor's storage; the first is software, sealed under SIGNET_AUDIT_PASSPHRASE.
   */
  auditKeyStorage?: 'software' | 'pkcs11';
  /** SIGNET_EVIDENCE_KEY_STORAGE=pkcs11: the evidence-signing key made in the HSM; unset, a successor keeps its predecessor's storage. */
  evidenceKeyStorage?: 'software' | 'pkcs11';
  /**
   * SIGNET_DELTA_CRLS=on: issuing CAs publish delta CRLs too and their full CRLs point at them
   * (freshestCRL). Off by default: OpenSSL without -use_deltas and GnuTLS take a delta found
   * beside the full CRL for a complete list and accept what the base lists as revoked
   * (docs/interoperability.md, "Delta CRLs").
   */
  deltaCrls: boolean;
  /**
   * SIGNET_CRL_PARTITIONS=N (or N,M,…): issuing CAs' certificates name partition CRLs of N
   * (src/ca/crl-partition.ts); every count listed is published, the full CRL too. Empty: off.
   */
  crlPartitions: number[];
  /**
   * SIGNET_CRL_ONLY=on: the deployment follows the field away from OCSP (CA/B Forum BR 2.0.1, SC063;
   * Let's Encrypt, 2025). New certificates name no OCSP responder, only their CRL (or partition); the
   * responder answers only for certificates issued with its URL while they are valid and signs nothing
   * ahead; CRLs are republished within a scheduler round of a revocation (docs/status.md, "CRL-only mode").
   */
  crlOnly: boolean;
}

/**
 * The arc a development deployment's policies hang under: IANA's enterprise
 * number 32473, which RFC 5612 sets aside for documentation and examples and
 * which nobody can be assigned. It tells anyone who reads it "not a real policy",
 * and its arcs are small. (Signet used a UUID arc under 2.25 before: legal, but its
 * 128-bit arc is refused by Go's encoding/asn1, python-cryptography 38 and gmsm.
 * The X.660 example arc 2.999 was tried next: NSS cannot name it, as SEC_StringToOID
 * refuses a second arc above 39 under 2, so `vfychain -o OID.2.999…` fails.)
 * A production deployment asserts its operator's own registered arc (README,
 * "Certificate policies"); isExamplePolicyArc tells the production check which
 * arcs are not one.
 */
export const DEFAULT_POLICY_OID = '1.3.6.1.4.1.32473.1';
export const EXAMPLE_POLICY_ARCS = ['1.3.6.1.4.1.32473', '2.999'] as const;

/** True for an arc under one set aside for examples (RFC 5612's PEN 32473, X.660's 2.999): never a production policy. */
export function isExamplePolicyArc(oid: string): boolean {
  return EXAMPLE_POLICY_ARCS.some((arc) => oid === arc || oid.startsWith(`${arc}.`));
}

/**
 * Largest arc every relying party we test reads: Go's encoding/asn1 refuses arcs
 * above 2^31 - 1 ("base 128 integer too large"), so do gmsm and python-cryptography 38.
 */
export const LARGEST_PORTABLE_ARC = 2 ** 31 - 1;

/** Why `oid` cannot be a policy arc, or null when it can (dotted decimal, X.660 first arcs, every arc portable). */
export function policyArcProblem(oid: string, variable = 'SIGNET_POLICY_OID'): SignetError | null {
  if (!/^\d+(\.\d+)+$/.test(oid)) return configError('config.policy-oid.not-dotted', { variable, value: oid });
  const arcs = oid.split('.');
  if (arcs.some((arc) => arc.length > 1 && arc.startsWith('0'))) return configError('config.policy-oid.leading-zero', { variable, value: oid });
  const [first, second] = arcs.map(Number);
  if (first! > 2) return configError('config.policy-oid.first-arc', { variable, value: oid });
  if (first! < 2 && second! > 39) return configError('config.policy-oid.second-arc', { variable, value: oid, first });
  const large = arcs.find((arc) => arc.length > 10 || Number(arc) > LARGEST_PORTABLE_ARC);
  if (large !== undefined) return configError('config.policy-oid.arc-too-large', { variable, value: oid, arc: large });
  return null;
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): SignetConfig {
  // An empty variable counts as unset, as shells and service managers often leave them.
  const env = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v !== ''));
  const dataDir = resolve(env.SIGNET_DATA ?? './data');
  const port = Number(env.SIGNET_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw configError('config.whole-number-range', { variable: 'SIGNET_PORT', value: env.SIGNET_PORT, min: 0, max: 65535 });
  const host = env.SIGNET_HOST ?? '127.0.0.1';
  const serialPrefix = Number(env.SIGNET_SERIAL_PREFIX ?? 0x5c);
  if (!Number.isInteger(serialPrefix) || serialPrefix < 0x10 || serialPrefix > 0x7f) {
    throw configError('config.whole-number-range', { variable: 'SIGNET_SERIAL_PREFIX', value: env.SIGNET_SERIAL_PREFIX, min: 0x10, max: 0x7f });
  }
  const policyOid = env.SIGNET_POLICY_OID ?? DEFAULT_POLICY_OID;
  const policyProblem = policyArcProblem(policyOid);
  if (policyProblem) throw policyProblem;
  const mode = env.SIGNET_MODE ?? 'development';
  if (mode !== 'development' && mode !== 'production') throw configError('config.mode-invalid', { variable: 'SIGNET_MODE', value: mode });
  const production = mode === 'production';
  const secret = (name: string, file: string, generate?: () => string) => once(() => secretFrom(env, name, join(dataDir, file), production, generate));
  const keyStorage = (variable: 'SIGNET_AUDIT_KEY_STORAGE' | 'SIGNET_EVIDENCE_KEY_STORAGE'): 'software' | 'pkcs11' | undefined => {
    const value = env[variable];
    if (value !== undefined && value !== 'software' && value !== 'pkcs11') throw new SignetError('config.key-storage-invalid', 400, { variable, value });
    if (value === 'pkcs11' && !env.SIGNET_PKCS11_MODULE) throw new SignetError('config.key-storage-no-hsm', 400, { variable });
    return value;
  };
  const auditKeyStorage = keyStorage('SIGNET_AUDIT_KEY_STORAGE');
  const evidenceKeyStorage = keyStorage('SIGNET_EVIDENCE_KEY_STORAGE');
  const publicUrl = publicUrlFrom(env.SIGNET_PUBLIC_URL ?? `http://127.0.0.1:${port}`);
  return {
    mode,
    publicUrlGiven: env.SIGNET_PUBLIC_URL !== undefined,
    dataDir,
    host,
    port,
    publicUrl,
    databaseUrl: env.SIGNET_DATABASE_URL ?? join(dataDir, 'signet.db'),
    policyOid,
    serialPrefix,
    logLevel: logLevelFrom(env.SIGNET_LOG_LEVEL),
    bodyLimit: bodyLimitFrom(env.SIGNET_BODY_LIMIT),
    passphrase: secret('SIGNET_CA_PASSPHRASE', 'ca-passphrase'),
    responderPassphrase: secret('SIGNET_RESPONDER_PASSPHRASE', 'responder-passphrase'),
    auditPassphrase: secret('SIGNET_AUDIT_PASSPHRASE', 'audit-passphrase'),
    kmcPassphrase: secret('SIGNET_KMC_PASSPHRASE', 'kmc-passphrase'),
    rootPassphrase: secret('SIGNET_ROOT_PASSPHRASE', 'root-passphrase'),
    ...(env.SIGNET_ROOT_KEY_FILE ? { rootKeyFile: resolve(env.SIGNET_ROOT_KEY_FILE) } : {}),
    adminToken: secret('SIGNET_ADMIN_TOKEN', 'admin-token'),
    // The same file and form PersonalDataCipher.fromEnvironment generated before, so existing development data still opens.
    personalDataKeys: secret('SIGNET_PII_KEY', 'pii-keys', () => `dev1:${randomBytes(32).toString('base64')}`),
    mail: mailSettingsFrom(env, publicUrl),
    contact: contactFrom(env),
    ...(env.SIGNET_AUDIT_HEAD_EXPORT ? { auditHeadExport: resolve(env.SIGNET_AUDIT_HEAD_EXPORT) } : {}),
    deltaCrls: onOff('SIGNET_DELTA_CRLS', env.SIGNET_DELTA_CRLS),
    crlPartitions: parseCrlPartitions(env.SIGNET_CRL_PARTITIONS),
    crlOnly: onOff('SIGNET_CRL_ONLY', env.SIGNET_CRL_ONLY),
    auditTrustedKeys: (env.SIGNET_AUDIT_TRUSTED_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''),
    ...(auditKeyStorage ? { auditKeyStorage } : {}),
    ...(evidenceKeyStorage ? { evidenceKeyStorage } : {}),
    ...(env.SIGNET_PKCS11_MODULE
      ? {
          hsm: {
            module: env.SIGNET_PKCS11_MODULE,
            token: env.SIGNET_PKCS11_TOKEN ?? 'signet',
            pin: once(() => {
              const pin = env.SIGNET_PKCS11_PIN ?? (env.SIGNET_PKCS11_PIN_FILE ? readFileSync(env.SIGNET_PKCS11_PIN_FILE, 'utf8').trim() : undefined);
              if (!pin) throw configError('config.pkcs11-pin-missing', { variable: 'SIGNET_PKCS11_PIN' });
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
 * Thrown in production mode instead of generating a secret. Start-up reports it through the production refusal;
 * a command reading a secret the refusal does not cover (the root ceremony's) shows it as it is, in either language.
 */
export class MissingSecretError extends SignetError {
  constructor(readonly variable: string) {
    super('config.secret-missing', 400, { variable, fileVariable: `${variable}_FILE` });
  }
}

/** Pino's levels (the logger Fastify runs) and 'silent', in its order from most to least said. */
export const LOG_LEVELS: readonly string[] = [...Object.keys(pinoLevels.values), 'silent'];

/** SIGNET_LOG_LEVEL: a level pino knows, checked here so a typo stops the start with its name rather than inside Fastify. */
export function logLevelFrom(value: string | undefined): string {
  if (value === undefined) return 'info';
  if (!LOG_LEVELS.includes(value)) {
    throw configError('config.log-level-invalid', { variable: 'SIGNET_LOG_LEVEL', value, levels: { 'zh-CN': LOG_LEVELS.join('、'), en: LOG_LEVELS.join(', ') } });
  }
  return value;
}

/**
 * SIGNET_BODY_LIMIT bounds, bytes. It is Fastify's limit for every route without its own (OCSP, SCEP, evidence
 * and RA uploads set theirs), and Fastify holds a body whole, a JSON body as one string. Below 64 KiB an
 * ML-DSA-87 CSR (about 10 KB in base64, more inside an ACME JWS) would no longer fit with room to spare;
 * above 256 MiB one request could hold a large share of a node's memory, and V8's longest string (just under
 * 512 MiB) could not take the JSON at all.
 */
export const BODY_LIMIT = { min: 64 * 1024, max: 256 * 1024 * 1024, default: 1024 * 1024 } as const;

export function bodyLimitFrom(value: string | undefined): number {
  if (value === undefined) return BODY_LIMIT.default;
  const bytes = Number(value);
  if (!/^\d+$/.test(value.trim()) || bytes < BODY_LIMIT.min || bytes > BODY_LIMIT.max) {
    throw configError('config.bytes-range', { variable: 'SIGNET_BODY_LIMIT', value, min: BODY_LIMIT.min, max: BODY_LIMIT.max, minSize: '64 KiB', maxSize: '256 MiB' });
  }
  return bytes;
}

/**
 * A secret from NAME, NAME_FILE, or, for development only, a random one
 * generated into the data folder (mode 0600) on first use. In production
 * a file left in the data folder by a development run does not count either.
 */
function secretFrom(env: NodeJS.ProcessEnv, name: string, developmentFile: string, production: boolean, generate = () => randomBytes(24).toString('base64url')): string {
  const direct = env[name];
  if (direct) return direct;
  const named = env[`${name}_FILE`];
  if (named) {
    if (!existsSync(named)) throw configError('config.file-missing', { variable: `${name}_FILE`, file: named });
    return readFileSync(named, 'utf8').trim();
  }
  if (production) throw new MissingSecretError(name);
  if (existsSync(developmentFile)) return readFileSync(developmentFile, 'utf8').trim();
  mkdirSync(resolve(developmentFile, '..'), { recursive: true });
  writeFileSync(developmentFile, `${generate()}\n`, { mode: 0o600 });
  chmodSync(developmentFile, 0o600);
  return readFileSync(developmentFile, 'utf8').trim();
}

function onOff(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'off') return false;
  if (value === 'on') return true;
  throw new SignetError('config.on-off-invalid', 400, { variable: name, value });
}

/** One thing a production deployment lacks, by the variable that would supply it. */
export interface ProductionProblem {
  variable: string;
  /** 'example': a policy arc set aside for documentation (isExamplePolicyArc), which no relying party should be asked to accept. */
  problem: 'missing' | 'unreadable' | 'short' | 'shared' | 'example';
  /** For 'shared': the variable holding the same secret. */
  other?: string;
}

/**
 * What a production deployment lacks: every secret given (never generated),
 * each secret its own (one passphrase must not open CA, responder, audit and
 * KMC keys alike), the head export the audit log is checked against, and the
 * public URL written into certificates. Empty: ready.
 */
export function productionProblems(config: SignetConfig): ProductionProblem[] {
  const problems: ProductionProblem[] = [];
  const secrets: [string, () => string][] = [
    ['SIGNET_CA_PASSPHRASE', config.passphrase],
    ['SIGNET_RESPONDER_PASSPHRASE', config.responderPassphrase],
    ['SIGNET_AUDIT_PASSPHRASE', config.auditPassphrase],
    ['SIGNET_KMC_PASSPHRASE', config.kmcPassphrase],
    ['SIGNET_PII_KEY', config.personalDataKeys],
    ['SIGNET_ADMIN_TOKEN', config.adminToken],
  ];
  const seen = new Map<string, string>();
  for (const [variable, read] of secrets) {
    let value: string;
    try {
      value = read();
    } catch (error) {
      problems.push({ variable, problem: error instanceof MissingSecretError ? 'missing' : 'unreadable' });
      continue;
    }
    if (variable.endsWith('_PASSPHRASE') && value.length < 16) problems.push({ variable, problem: 'short' });
    if (variable === 'SIGNET_PII_KEY') {
      try {
        new PersonalDataCipher(parseKeyList(value));
      } catch {
        problems.push({ variable, problem: 'unreadable' });
        continue;
      }
    }
    const same = seen.get(value);
    if (same) problems.push({ variable, problem: 'shared', other: same });
    else seen.set(value, variable);
  }
  if (!config.auditHeadExport) problems.push({ variable: 'SIGNET_AUDIT_HEAD_EXPORT', problem: 'missing' });
  if (!config.publicUrlGiven) problems.push({ variable: 'SIGNET_PUBLIC_URL', problem: 'missing' });
  // Certificates would assert a documentation arc (RFC 5612): the operator's own registered arc is required.
  if (isExamplePolicyArc(config.policyOid)) problems.push({ variable: 'SIGNET_POLICY_OID', problem: 'example' });
  return problems;
}

/**
 * SIGNET_PUBLIC_URL is written into every certificate and CRL as the address of
 * the CRL, the OCSP responder and the CA certificate. Relying parties fetch those
 * over plain http (RFC 5280 §4.2.1.13 and §4.2.2.1, RFC 6960 appendix A; BR
 * §7.1.2.7): an https address would need the very status it points to. Refused
 * here, at start, rather than by the certificate lint at the first issuance.
 */
function publicUrlFrom(given: string): string {
  const value = given.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SignetError('config.public-url-invalid', 400, { value: given });
  }
  if (url.protocol !== 'http:') throw new SignetError('config.public-url-not-http', 400, { value: given });
  if (url.search || url.hash || url.username || url.password || /[^\x21-\x7e]/.test(value)) throw new SignetError('config.public-url-invalid', 400, { value: given });
  return value;
}
