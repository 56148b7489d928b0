import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { SignetConfig } from '../config/settings.js';
import { SignetError } from '../i18n/signet-error.js';
import type { Signet } from '../signet.js';

/** Where the development listener's key and chain are kept, in the data folder. */
export const DEVELOPMENT_TLS_DIR = 'development-tls';
/** Short-lived: it is made again on a start within this many days of its end. */
const VALIDITY_DAYS = 90;
const RENEW_BEFORE_DAYS = 30;

export interface DevelopmentTls {
  cert: Buffer;
  key: Buffer;
  serial: string;
  /** True when this start made it; false when the one in the data folder still fits. */
  created: boolean;
}

/**
 * `SIGNET_TLS=development` (issue 16 §6): a TLS server certificate for the
 * listener, issued by this deployment's own issuing CA under the `tls-server`
 * profile (recorded and audited like any certificate), for the names the
 * server is reached by: the public URL's host, the listening host,
 * 127.0.0.1 and ::1 (not `localhost`: the profile takes fully qualified
 * names only). A client that trusts the development root (under `/ca/`)
 * verifies it; nothing is self-signed. Kept in the data
 * folder (key 0600) and reused while it is valid for 30 more days, names the
 * same and issued by the current issuing CA. Refused in production, where the
 * certificate comes from files (SIGNET_TLS_CERT_FILE, SIGNET_TLS_KEY_FILE).
 */
export async function developmentTls(signet: Signet, config: SignetConfig): Promise<DevelopmentTls> {
  if (config.mode !== 'development') throw new SignetError('deployment.tls-development-only', 400);
  const names = listenerNames(config);
  const issuing = await signet.ca.defaultIssuingCa();
  const dir = join(config.dataDir, DEVELOPMENT_TLS_DIR);
  const keyFile = join(dir, 'key.pem');
  const chainFile = join(dir, 'chain.pem');
  const namesFile = join(dir, 'names.json');
  if (existsSync(keyFile) && existsSync(chainFile)) {
    const chain = readFileSync(chainFile);
    const leaf = new X509Certificate(chain);
    const issuer = new X509Certificate(issuing.certificateDer);
    const fits =
      Date.parse(leaf.validTo) - signet.ca.now().getTime() > RENEW_BEFORE_DAYS * 86_400_000 &&
      leaf.checkIssued(issuer) &&
      leaf.verify(issuer.publicKey) &&
      sameNames(namesFile, names);
    if (fits) return { cert: chain, key: readFileSync(keyFile), serial: leaf.serialNumber.toLowerCase(), created: false };
  }

  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${names.dns[0] ?? names.ip[0]}`, keys, signingAlgorithm: algorithm }, webcrypto);
  const issued = await signet.ca.issue({
    csr: Buffer.from(csr.rawData),
    profileId: 'tls-server',
    subject: `CN=${names.dns[0] ?? names.ip[0]}`,
    subjectAltNames: names,
    issuerCaId: issuing.id,
    validityDays: VALIDITY_DAYS,
    requestedBy: 'system:development-tls',
    reason: 'the development TLS listener (SIGNET_TLS=development)',
  });
  const pem = (label: string, der: Uint8Array) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END ${label}-----\n`;
  const chain = Buffer.from(pem('CERTIFICATE', issued.der) + pem('CERTIFICATE', issuing.certificateDer));
  const key = Buffer.from(pem('PRIVATE KEY', new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(chainFile, chain);
  writeFileSync(namesFile, JSON.stringify(names));
  return { cert: chain, key, serial: issued.serial, created: true };
}

/**
 * `SIGNET_TLS`: unset for the files (or plain HTTP), `development` for a
 * certificate from this deployment's own hierarchy. Anything else, or
 * `development` beside SIGNET_TLS_CERT_FILE, stops the start. `made` is told
 * when a new certificate was issued, for the start-up message.
 */
export async function listenerTlsFromEnv(signet: Signet, config: SignetConfig, env: NodeJS.ProcessEnv, made?: (tls: DevelopmentTls, names: string[], dir: string) => void): Promise<DevelopmentTls | null> {
  const mode = env.SIGNET_TLS?.trim();
  if (!mode) return null;
  if (mode !== 'development') throw new SignetError('deployment.tls-bad-mode', 400, { value: mode.slice(0, 40) });
  if (env.SIGNET_TLS_CERT_FILE?.trim() || env.SIGNET_TLS_KEY_FILE?.trim()) throw new SignetError('deployment.tls-both', 400);
  const tls = await developmentTls(signet, config);
  const names = listenerNames(config);
  if (tls.created) made?.(tls, [...names.dns, ...names.ip], join(config.dataDir, DEVELOPMENT_TLS_DIR));
  return tls;
}

/** The names the listener is reached by, split into DNS names and addresses. */
export function listenerNames(config: Pick<SignetConfig, 'publicUrl' | 'host'>): { dns: string[]; ip: string[] } {
  const hosts = [new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''), config.host, '127.0.0.1', '::1'];
  const wanted = [...new Set(hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::').map((h) => h.toLowerCase()))];
  // The tls-server profile takes fully qualified names only (a single label such as localhost is refused): locally, the addresses.
  return { dns: wanted.filter((h) => isIP(h) === 0 && h.includes('.')), ip: wanted.filter((h) => isIP(h) !== 0) };
}

/** The names the kept certificate was made for (names.json beside it) are those wanted now. */
function sameNames(file: string, names: { dns: string[]; ip: string[] }): boolean {
  try {
    return JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))) === JSON.stringify(names);
  } catch {
    return false;
  }
}
