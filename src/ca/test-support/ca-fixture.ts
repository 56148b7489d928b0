/**
 * Test support for anything built on the CA: a Signet on a fresh database of
 * either backend, OpenSSL-made requests, and a way to run the tools nobody
 * here wrote. Shared by the CA, status, TSA, RA and evidence tests.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type SignetConfig } from '../../config/settings.js';
import { openSignet, type OpenOptions, type Signet } from '../../signet.js';
import { generateSoftwareKey } from '../../crypto/software-signer.js';
import { toPem } from '../../http/der.js';
import { freshStoreUrl, type StoreBackendName } from '../../store/test-support/store-backends.js';

export const TEST_PASSPHRASE = 'test-passphrase-not-secret';

export interface TestSignet {
  signet: Signet;
  dir: string;
  config: SignetConfig;
}

export async function openTestSignet(
  backend: StoreBackendName,
  options: OpenOptions & { publicUrl?: string; env?: Record<string, string> } = {},
): Promise<TestSignet> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-test-'));
  const config = loadConfig({
    SIGNET_DATA: dir,
    SIGNET_DATABASE_URL: await freshStoreUrl(backend),
    SIGNET_PORT: '0',
    SIGNET_PUBLIC_URL: options.publicUrl ?? 'http://127.0.0.1:8080',
    SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE,
    SIGNET_ADMIN_TOKEN: 'test-admin-token',
    SIGNET_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const signet = await openSignet(config, options);
  return { signet, dir, config };
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[], input?: string | Buffer): ToolResult {
  const result = spawnSync(command, args, { input, encoding: 'buffer', timeout: 60_000 });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message} (run scripts/setup-test-tools.sh)`);
  return { status: result.status, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
}

/**
 * A client nobody here wrote, run as its own process without blocking the event loop (the server under test
 * answers it from this process). `env` is the whole environment; the child is killed after `killAfterMs`,
 * generous because a loaded machine slows every tool: never a timing assertion.
 */
export function runToolAsync(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 170_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** OpenSSL key specs for `openssl req -newkey`. */
export const OPENSSL_KEY_SPEC = {
  'rsa-1024': ['-newkey', 'rsa:1024'],
  'rsa-2048': ['-newkey', 'rsa:2048'],
  'rsa-3072': ['-newkey', 'rsa:3072'],
  'rsa-4096': ['-newkey', 'rsa:4096'],
  'ecdsa-p256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ecdsa-p384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'ecdsa-secp256k1': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  ed25519: ['-newkey', 'ed25519'],
} as const;

/** A PKCS#10 request made by OpenSSL, the way a subscriber's own tool would make it. */
export function opensslRequest(dir: string, keySpec: keyof typeof OPENSSL_KEY_SPEC, name = 'request'): { csrPem: string; keyPath: string } {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  const result = runTool('openssl', ['req', '-new', ...OPENSSL_KEY_SPEC[keySpec], '-nodes', '-keyout', keyPath, '-subj', '/CN=ignored by the CA', '-out', csrPath]);
  if (result.status !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  return { csrPem: readFileSync(csrPath, 'utf8'), keyPath };
}

export function writePem(dir: string, name: string, ...ders: Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(path, ders.map((der) => toPem('CERTIFICATE', der)).join(''));
  return path;
}

/** A PKCS#10 request (empty subject) in a fresh P-256 key, made in process: for tests that need many and no OpenSSL run each. */
export async function inProcessRequestPem(): Promise<string> {
  const key = generateSoftwareKey('ecdsa-p256');
  const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
  const signature = await key.sign(new Uint8Array(AsnConvert.serialize(info)));
  const csr = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: new Uint8Array(signature).buffer });
  return toPem('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(csr)));
}
