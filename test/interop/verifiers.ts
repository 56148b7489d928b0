/**
 * The verifiers nobody here wrote, driven in batches: Go (crypto/x509,
 * x/crypto/ocsp, gmsm), Java (PKIX, BouncyCastle) and Python (cryptography,
 * asn1crypto), all from Debian's packages (scripts/setup-test-tools.sh). The Go
 * and Java programs are compiled once per source version into the temp folder
 * and reused by every later run; each takes a list of tasks and answers one
 * result per task, so a whole matrix costs one process per verifier.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const HERE = dirname(fileURLToPath(import.meta.url));
const GO_SOURCE = join(HERE, 'go', 'verify.go');
const JAVA_SOURCE = join(HERE, 'java', 'Verify.java');
const PYTHON_SOURCE = join(HERE, 'python', 'verify.py');
/** Debian's jars: BouncyCastle provider, PKIX (CMS, OCSP, TSP) and util. */
export const BC_CLASSPATH = ['/usr/share/java/bcprov.jar', '/usr/share/java/bcpkix.jar', '/usr/share/java/bcutil.jar'].join(':');
/** Debian's python3 (python3-cryptography 38, python3-asn1crypto), not whichever python3 is first on PATH. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface VerifierResult {
  id: string;
  ok: boolean;
  detail: string;
}

function run(command: string, args: string[], input: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message} (run scripts/setup-test-tools.sh)`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Builds `produce(outDir)` once per source hash; concurrent test files race harmlessly (build aside, rename). */
export function cachedBuild(name: string, source: string, produce: (outDir: string) => void): string {
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const target = join(tmpdir(), `signet-interop-${name}-${hash}`);
  if (existsSync(join(target, 'done'))) return target;
  const scratch = `${target}.${randomBytes(4).toString('hex')}`;
  mkdirSync(scratch, { recursive: true });
  produce(scratch);
  run('touch', [join(scratch, 'done')], '');
  try {
    renameSync(scratch, target);
  } catch {
    // Another run finished first: theirs is the same build.
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}

function goBinary(): string {
  const dir = cachedBuild('go', GO_SOURCE, (out) => {
    // Offline: GOPATH mode against Debian's /usr/share/gocode, no module downloads.
    const env = { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(out, 'cache'), GOPROXY: 'off' };
    run('go', ['build', '-o', join(out, 'verify'), GO_SOURCE], '', env);
    rmSync(join(out, 'cache'), { recursive: true, force: true });
  });
  return join(dir, 'verify');
}

function javaClasses(): string {
  return cachedBuild('java', JAVA_SOURCE, (out) => {
    run('javac', ['-nowarn', '-cp', BC_CLASSPATH, '-d', out, JAVA_SOURCE], '');
  });
}

export interface GoTask {
  id: string;
  op: 'chain' | 'crl' | 'ocsp' | 'sm2' | 'sm2chain' | 'gmenvelope-open' | 'gmenvelope-make' | 'parse';
  roots?: string[];
  intermediates?: string[];
  leaf?: string;
  issuer?: string;
  file?: string;
  distid?: string;
  /** gmenvelope-open: the recipient's PKCS#8 key; -open and -make: the content. */
  key?: string;
  content?: string;
  out?: string;
}

/** Go 1.19's crypto/x509 (chain, parse, crl), x/crypto/ocsp 0.4 (ocsp), gmsm 1.3 (sm2: SIGNED{} with the given ID; sm2chain: a whole SM2 path, leaf to root; gmenvelope-open/-make: GM/T 0010 EnvelopedData). */
export function goVerify(tasks: GoTask[]): Map<string, VerifierResult> {
  const out = run(goBinary(), [], JSON.stringify(tasks));
  return byId(JSON.parse(out) as VerifierResult[]);
}

export interface JavaTask {
  id: string;
  op: 'pkix' | 'bcpkix' | 'pkixbuild' | 'crl' | 'ocsp' | 'cms' | 'tsp' | 'p12' | 'enveloped' | 'sign';
  [key: string]: string | string[] | undefined;
}

/** Java 17's PKIX (pkix; pkixbuild: build from a pool, revocation from CRLs, at a time), BouncyCastle 1.72 (bcpkix, crl, ocsp, cms, tsp, enveloped; sign: makes a SignedData) and KeyStore (p12). */
export function javaVerify(tasks: JavaTask[]): Map<string, VerifierResult> {
  const lines = tasks.map(({ id, op, ...args }) =>
    [id, op, ...Object.entries(args).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`)].join('\t'),
  );
  const out = run('java', ['-cp', `${javaClasses()}:${BC_CLASSPATH}`, 'Verify'], `${lines.join('\n')}\n`);
  const results = out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, status, ...detail] = line.split('\t');
      return { id: id!, ok: status === 'ok', detail: detail.join('\t') };
    });
  return byId(results);
}

export interface PythonTask {
  id: string;
  op: 'cert' | 'crl' | 'ocsp' | 'structure' | 'pkcs12' | 'cms';
  file: string;
  issuer?: string;
  /** cms: the detached content. */
  content?: string;
  kind?: 'cms' | 'certificate' | 'crl' | 'ocsp' | 'pkcs12';
  password?: string;
}

/** python3-cryptography 38 (cert, crl, ocsp, pkcs12: signatures checked), python3-asn1crypto (structure) and both (cms: a SignedData's digest, signature and signer certificate). */
export function pythonVerify(tasks: PythonTask[]): Map<string, VerifierResult> {
  const out = run(DEBIAN_PYTHON, [PYTHON_SOURCE], JSON.stringify(tasks));
  return byId(JSON.parse(out) as VerifierResult[]);
}

function byId(results: VerifierResult[]): Map<string, VerifierResult> {
  return new Map(results.map((r) => [r.id, r]));
}

/** A port nobody listens on now, for a server the test starts itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A tool run asynchronously, its exit status and its stdout and stderr together: for a verifier (Java fetching CRLs over HTTP)
 * that talks to a server in this very process, which must keep serving while it runs.
 */
export function runAsync(command: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', (error) => reject(new Error(`${command} could not run: ${error.message} (run scripts/setup-test-tools.sh)`)));
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}
