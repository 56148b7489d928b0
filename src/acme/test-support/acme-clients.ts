/**
 * What every real-client ACME test shares: running a client process (its
 * output kept for the failure message), judging what it saved with `openssl
 * verify`, a plain web server for the http-01 files that clients without a
 * server of their own write, and pebble, the reference ACME server, started
 * beside Signet so each client runs the same steps against both: when pebble
 * accepts what Signet refuses, the fault is ours, not the client's.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolResult } from '../../ca/test-support/ca-fixture.js';
import type { StoreBackendName } from '../../store/test-support/store-backends.js';
import { freePort, openAcmeFixture, type AcmeFixture } from './acme-fixture.js';

export interface ClientRun {
  ok: boolean;
  /** The command, its exit and everything it printed, for failure messages. */
  out: string;
  /** Standard output alone (acme-tiny prints the certificate there). */
  stdout: string;
}

/** Runs a client to its end (a generous bound: the machine may be loaded); never throws for a failing exit. */
export function runClient(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<ClientRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, out: `${command} could not run: ${error.message} (run scripts/setup-test-tools.sh)`, stdout });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, out: `$ ${command} ${args.join(' ')}\n(exit ${code ?? signal})\n${out}`, stdout });
    });
  });
}

/** `openssl verify` of a TLS server certificate against one root, intermediates from `chain` (a bundle may hold the leaf too). */
export function verifyServerCertificate(rootPem: string, leaf: string, chain = leaf): ToolResult {
  return runTool('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', chain, leaf]);
}

/** The first certificate's serial in lower-case hex without leading zero octets (how the status domain keys it). */
export function serialOf(file: string): string {
  const text = runTool('openssl', ['x509', '-in', file, '-noout', '-serial']).stdout.trim();
  return text.split('=')[1]!.toLowerCase().replace(/^(00)+(?=..)/, '');
}

export function namesOf(file: string): string {
  return runTool('openssl', ['x509', '-in', file, '-noout', '-ext', 'subjectAltName']).stdout;
}

export interface ChallengeFiles {
  /** Where a client writes its http-01 files; served as /.well-known/acme-challenge/<token>. */
  dir: string;
  /** The port it listens on (0 asked: the system's choice, held from then on). */
  port: number;
  close(): Promise<void>;
}

/** A plain web server for http-01 key authorizations that a client wrote as files (RFC 8555 §8.3). */
export async function serveChallengeFiles(port: number, dir: string): Promise<ChallengeFiles> {
  mkdirSync(dir, { recursive: true });
  const server = createServer((request, response) => {
    const match = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '');
    try {
      if (!match) throw new Error('not a challenge path');
      const body = readFileSync(join(dir, match[1]!));
      response.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: listening } = server.address() as { port: number };
  return { dir, port: listening, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', '', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];

/** One ACME server a client is pointed at: Signet, or pebble as the reference. */
export interface AcmeServer {
  name: 'signet' | 'pebble';
  directory: string;
  /** The same External Account Binding works at both (pebble is configured with Signet's key id and HMAC key). */
  eab: { keyId: string; macKey: string };
  /** The root `openssl verify` trusts for what this server issues. */
  rootPem: string;
  /** PEM file of the CA a client must trust to reach the directory over HTTPS; null for plain HTTP. */
  tlsTrust: string | null;
  /** The RFC 5280 reason name when the certificate with this serial (as serialOf gives it) is revoked, null when not. */
  revocationReason(serial: string): Promise<string | null>;
}

export function signetServer(f: AcmeFixture): AcmeServer {
  return {
    name: 'signet',
    directory: f.directory,
    eab: f.binding,
    rootPem: f.rootPem,
    tlsTrust: null,
    revocationReason: async (serial) => (await f.t.signet.status.revocation(serial))?.reason ?? null,
  };
}

export interface Pebble extends AcmeServer {
  close(): Promise<void>;
}

/**
 * Starts Debian's pebble (Let's Encrypt's test ACME server) with EAB required,
 * validating http-01 and tls-alpn-01 on the same ports as Signet's fixture, its
 * lookups answered 127.0.0.1 by pebble-challtestsrv; no random validation
 * sleeps and no rejected good nonces, so runs are quick and deterministic.
 */
export async function startPebble(f: AcmeFixture): Promise<Pebble> {
  const dir = join(f.dir, 'pebble');
  mkdirSync(dir, { recursive: true });
  const [acmePort, managementPort, dnsPort, challtestManagementPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const tlsCert = join(dir, 'listener.pem');
  const tlsKey = join(dir, 'listener-key.pem');
  const made = runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', tlsKey, '-out', tlsCert, '-days', '2', '-subj', '/CN=pebble listener', '-addext', 'subjectAltName=IP:127.0.0.1']);
  if (made.status !== 0) throw new Error(made.stderr);
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tlsCert,
        privateKey: tlsKey,
        httpPort: f.http01Port,
        tlsPort: f.tlsAlpnPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: true,
        externalAccountMACKeys: { [f.binding.keyId]: f.binding.macKey },
      },
    }),
  );
  const dns = spawn('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challtestManagementPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''], { stdio: 'ignore' });
  const pebble = spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  pebble.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  pebble.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const management = `https://127.0.0.1:${managementPort}`;
  // pebble's management API speaks TLS with the same listener certificate.
  const ca = readFileSync(tlsCert, 'utf8');
  const get = (path: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      httpsGet(`${management}${path}`, { ca }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      }).on('error', reject);
    });
  const stop = async () => {
    pebble.kill('SIGTERM');
    dns.kill('SIGTERM');
    await Promise.all([pebble, dns].map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)))));
  };
  let root = '';
  for (let attempt = 0; attempt < 300 && !root; attempt++) {
    try {
      const answer = await get('/roots/0');
      if (answer.status === 200) root = answer.text;
    } catch {
      // not listening yet
    }
    if (!root) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!root) {
    await stop();
    throw new Error(`pebble did not start:\n${log}`);
  }
  const rootPem = join(dir, 'pebble-root.pem');
  writeFileSync(rootPem, root);
  return {
    name: 'pebble',
    directory: `https://127.0.0.1:${acmePort}/dir`,
    eab: f.binding,
    rootPem,
    tlsTrust: tlsCert,
    revocationReason: async (serial) => {
      const answer = await get(`/cert-status-by-serial/${serial}`);
      const status = JSON.parse(answer.text) as { Status: string; Reason?: number };
      return status.Status === 'Revoked' ? (REASONS[status.Reason ?? 0] ?? String(status.Reason)) : null;
    },
    close: stop,
  };
}

/**
 * For clients that trust only the system's CA file (uacme: libcurl-gnutls has no
 * setting for it): run them in a private mount namespace where that file is
 * `trust`, so the machine's own file stays untouched.
 */
export function withSystemTrust(trust: string | null, command: string, args: string[]): [string, string[]] {
  if (!trust) return [command, args];
  return ['unshare', ['--mount', 'sh', '-c', 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"', trust, command, ...args]];
}

/**
 * Runs one step against pebble first, then Signet (never at once: they share
 * the http-01 and tls-alpn-01 ports), so each test can compare the outcomes.
 */
export async function onBoth<T>(pebble: AcmeServer, signet: AcmeServer, step: (server: AcmeServer) => Promise<T>): Promise<{ pebble: T; signet: T }> {
  const onPebble = await step(pebble);
  return { pebble: onPebble, signet: await step(signet) };
}

/** What a real-client test stands on: the ACME fixture, pebble beside Signet, and the http-01 file server. */
export interface ClientBench {
  f: AcmeFixture;
  pebble: Pebble;
  signet: AcmeServer;
  files: ChallengeFiles;
  /** Closes them in the reverse order. */
  close(): Promise<void>;
}

/** Opens the bench on one store: the fixture, then pebble with the same EAB and ports, then the challenge-file server. */
export async function openClientBench(backend: StoreBackendName): Promise<ClientBench> {
  // The challenge-file server listens first, on a port of the system's choice, and the validators are pointed at it:
  // a port looked up free and bound seconds later could meanwhile be taken by another test file (EADDRINUSE).
  const files = await serveChallengeFiles(0, mkdtempSync(join(tmpdir(), 'signet-acme-challenges-')));
  let f: AcmeFixture;
  let pebble: Pebble;
  try {
    f = await openAcmeFixture(backend, { http01Port: files.port });
    pebble = await startPebble(f);
  } catch (error) {
    await files.close();
    throw error;
  }
  return {
    f,
    pebble,
    signet: signetServer(f),
    files,
    async close() {
      await files.close();
      rmSync(files.dir, { recursive: true, force: true });
      await pebble.close();
      await f.close();
    },
  };
}
