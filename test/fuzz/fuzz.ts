/**
 * Structure-aware fuzzing of the parsers that take outside input (issue 15
 * item 6): PKCS#10 requests (parse + proof of possession), OCSP requests,
 * time-stamp queries, and the DER checker under them. Seeds are made by tools
 * nobody here wrote (OpenSSL, NSS ocspclnt, Java keytool, Go's crypto/x509 and
 * BouncyCastle: test/fuzz/seeds/), at each run; mutations work on the DER tree
 * (lengths, tags, truncation, deletion, duplication, nesting, contents bit
 * flips) and re-encode the lengths around the change, so most mutants get
 * past the outer framing and into the parsers. Invariants: every input is
 * either accepted or refused with the parser's own refusal (never another
 * exception), no input takes longer than the per-input limit, and whatever is
 * accepted is strict DER.
 *
 *   npm run fuzz -- [--seed N] [--seconds S] [--inputs N]
 *
 * A seeded slice of the same campaign runs in the test suite (fuzz.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRequestBytes, parseCertificationRequest, provePublicKey } from '../../src/ca/certification-request.js';
import { SignetError } from '../../src/i18n/signet-error.js';
import { checkDer, DerError } from '../../src/crypto/strict-der.js';
import { MalformedOcspRequest, parseOcspRequest } from '../../src/status/ocsp-request.js';
import { parseTimeStampQuery, TimeStampRefusal } from '../../src/tsa/time-stamp-query.js';
import { BC_CLASSPATH, cachedBuild } from '../interop/verifiers.js';

export interface Target {
  name: string;
  seeds: Buffer[];
  /** Parses; returns normally when accepted, throws when refused. */
  parse(input: Buffer): void;
  /** Whether an exception is this parser's own refusal (anything else breaks the invariant). */
  refusal(error: unknown): boolean;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  perTarget: Record<string, { inputs: number; accepted: number; refused: number }>;
  failures: Array<{ target: string; input: string; problem: string }>;
  slowestMs: number;
}

/** mulberry32: a small seeded PRNG, so a campaign can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tree {
  identifier: Buffer;
  contents?: Buffer;
  children?: Tree[];
}

function toTree(bytes: Buffer): Tree | undefined {
  try {
    const walk = (node: ReturnType<typeof checkDer>): Tree => {
      const identifier = bytes.subarray(node.offset, node.offset + idLength(bytes, node.offset));
      if (node.constructed) return { identifier, children: node.children.map(walk) };
      return { identifier, contents: bytes.subarray(node.offset + node.header, node.offset + node.header + node.length) };
    };
    return walk(checkDer(bytes));
  } catch {
    return undefined;
  }
}

function idLength(bytes: Buffer, at: number): number {
  if ((bytes[at]! & 0x1f) !== 0x1f) return 1;
  let n = 1;
  while (bytes[at + n]! & 0x80) n++;
  return n + 1;
}

function lengthOctets(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

function encode(tree: Tree): Buffer {
  const body = tree.children ? Buffer.concat(tree.children.map(encode)) : tree.contents!;
  return Buffer.concat([tree.identifier, lengthOctets(body.length), body]);
}

function nodes(tree: Tree, out: Tree[] = []): Tree[] {
  out.push(tree);
  for (const child of tree.children ?? []) nodes(child, out);
  return out;
}

/** One mutant of `seed`: a structural change re-encoded, or a raw one at the byte level. */
export function mutate(seed: Buffer, random: () => number): Buffer {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const tree = toTree(seed);
  const kind = Math.floor(random() * 12);
  if (!tree || kind >= 9) {
    // Byte-level: bit flip, truncation, a length octet changed, indefinite length, trailing bytes.
    const out = Buffer.from(seed);
    const at = Math.floor(random() * out.length);
    switch (kind % 5) {
      case 0:
        out[at] = out[at]! ^ (1 << Math.floor(random() * 8));
        return out;
      case 1:
        return out.subarray(0, at);
      case 2:
        out[at] = Math.floor(random() * 256);
        return out;
      case 3:
        return Buffer.concat([out.subarray(0, 1), Buffer.from([0x80]), out.subarray(2), Buffer.from([0, 0])]);
      default:
        return Buffer.concat([out, Buffer.from([Math.floor(random() * 256)])]);
    }
  }
  const all = nodes(tree);
  const target = pick(all);
  switch (kind) {
    case 0: // contents bit flip
      if (target.contents && target.contents.length) {
        target.contents = Buffer.from(target.contents);
        const at = Math.floor(random() * target.contents.length);
        target.contents[at] = target.contents[at]! ^ (1 << Math.floor(random() * 8));
      }
      break;
    case 1: // tag changed (number, class or constructed bit)
      target.identifier = Buffer.from([pick([0x02, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x30, 0x31, 0xa0, 0xa1, 0xa2, 0x80, target.identifier[0]! ^ 0x20])]);
      break;
    case 2: // a child deleted
      if (target.children?.length) target.children.splice(Math.floor(random() * target.children.length), 1);
      break;
    case 3: // a child duplicated
      if (target.children?.length) {
        const i = Math.floor(random() * target.children.length);
        target.children.splice(i, 0, target.children[i]!);
      }
      break;
    case 4: // nested one level deeper
      if (target !== tree) {
        const inner = { ...target };
        target.identifier = Buffer.from([pick([0x30, 0x31, 0xa0])]);
        target.children = [inner];
        target.contents = undefined;
      }
      break;
    case 5: // contents truncated or grown
      if (target.contents) target.contents = random() < 0.5 ? target.contents.subarray(0, Math.floor(random() * target.contents.length)) : Buffer.concat([Buffer.from([0]), target.contents]);
      break;
    case 6: // contents replaced by a node from elsewhere
      if (target.contents) target.contents = encode(pick(all));
      break;
    case 7: // deep nesting
      if (target !== tree) {
        let inner: Tree = { ...target };
        for (let i = 0; i < 20 + Math.floor(random() * 60); i++) inner = { identifier: Buffer.from([0x30]), children: [inner] };
        Object.assign(target, inner);
      }
      break;
    default: {
      // A length written in the long form (non-minimal) for one node: done on the re-encoded bytes.
      const bytes = encode(tree);
      const node = toTreeOffsets(bytes, random);
      if (node === undefined) return bytes;
      const header = bytes[node + 1]!;
      if (header >= 0x80) return bytes;
      return Buffer.concat([bytes.subarray(0, node + 1), Buffer.from([0x81, header]), bytes.subarray(node + 2)]);
    }
  }
  return encode(tree);
}

function toTreeOffsets(bytes: Buffer, random: () => number): number | undefined {
  try {
    const offsets: number[] = [];
    const walk = (n: ReturnType<typeof checkDer>) => {
      if (idLength(bytes, n.offset) === 1) offsets.push(n.offset);
      n.children.forEach(walk);
    };
    walk(checkDer(bytes));
    return offsets[Math.floor(random() * offsets.length)];
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Buffer {
  // Generous: a JVM or a Go build on a machine at load 20 takes tens of seconds.
  const result = spawnSync(command, args, { timeout: 180_000, env });
  if (result.error || result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr.toString()} (run scripts/setup-test-tools.sh)`);
  return result.stdout;
}

const SEEDS = join(dirname(fileURLToPath(import.meta.url)), 'seeds');

/**
 * PKCS#10 requests written by Go's crypto/x509 (CreateCertificateRequest) and by BouncyCastle
 * (PKCS10CertificationRequestBuilder), fresh keys at each call: the generators in test/fuzz/seeds/,
 * built once per source hash, print one base64 DER per line. Named by tool and key.
 */
export function foreignRequestSeeds(): Array<{ name: string; der: Buffer }> {
  const lines = (out: Buffer) => out.toString('latin1').trim().split('\n').map((line) => Buffer.from(line, 'base64'));
  const goSource = join(SEEDS, 'go-requests.go');
  const goDir = cachedBuild('fuzz-go', goSource, (out) => {
    // Offline, as the interop verifiers build: GOPATH mode against Debian's /usr/share/gocode.
    run('go', ['build', '-o', join(out, 'go-requests'), goSource], { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(out, 'cache'), GOPROXY: 'off' });
    rmSync(join(out, 'cache'), { recursive: true, force: true });
  });
  const javaSource = join(SEEDS, 'BcRequests.java');
  const javaDir = cachedBuild('fuzz-bc', javaSource, (out) => void run('javac', ['-nowarn', '-cp', BC_CLASSPATH, '-d', out, javaSource]));
  const go = lines(run(join(goDir, 'go-requests'), []));
  const bc = lines(run('java', ['-cp', `${javaDir}:${BC_CLASSPATH}`, 'BcRequests']));
  const goNames = ['go p256', 'go p384', 'go rsa', 'go rsa-pss', 'go ed25519'];
  const bcNames = ['bouncycastle p256', 'bouncycastle p384', 'bouncycastle rsa', 'bouncycastle rsa-pss', 'bouncycastle ed25519', 'bouncycastle sm2'];
  if (go.length !== goNames.length || bc.length !== bcNames.length) throw new Error(`go-requests gave ${go.length} requests, BcRequests ${bc.length}`);
  return [...go.map((der, i) => ({ name: goNames[i]!, der })), ...bc.map((der, i) => ({ name: bcNames[i]!, der }))];
}

/** Seeds from OpenSSL, NSS, keytool, Go and BouncyCastle, made in a temporary folder. */
export function makeTargets(): Target[] {
  const dir = mkdtempSync(join(tmpdir(), 'signet-fuzz-'));
  const p = (name: string) => join(dir, name);
  try {
    const csrs: Buffer[] = [];
    for (const [name, args] of [
      ['p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
      ['p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
      ['rsa', ['-newkey', 'rsa:2048']],
      ['ed25519', ['-newkey', 'ed25519']],
    ] as const) {
      run('openssl', ['req', '-new', ...args, '-nodes', '-keyout', p(`${name}.key`), '-subj', `/CN=fuzz ${name}/O=Signet`, '-addext', 'subjectAltName=DNS:fuzz.example', '-outform', 'DER', '-out', p(`${name}.csr`)]);
      csrs.push(readFileSync(p(`${name}.csr`)));
    }
    // Requests from encoders nobody here wrote besides OpenSSL's RSA/EC/Ed25519 (issue 15 §6): an SM2 key signed with
    // SM3 (OpenSSL's SM2), and Java's keytool -certreq (the JDK's own DER encoder, PEM as it writes it).
    run('openssl', ['genpkey', '-algorithm', 'SM2', '-out', p('sm2.key')]);
    run('openssl', ['req', '-new', '-key', p('sm2.key'), '-sm3', '-subj', '/CN=fuzz sm2/O=Signet', '-outform', 'DER', '-out', p('sm2.csr')]);
    csrs.push(readFileSync(p('sm2.csr')));
    const store = ['-keystore', p('keytool.p12'), '-storetype', 'PKCS12', '-storepass', 'fuzz-pass', '-alias', 'fuzz'];
    run('keytool', ['-genkeypair', '-keyalg', 'EC', '-groupname', 'secp256r1', ...store, '-dname', 'CN=fuzz keytool, O=Signet', '-validity', '2']);
    run('keytool', ['-certreq', ...store, '-file', p('keytool.csr')]);
    csrs.push(Buffer.from(decodeRequestBytes(readFileSync(p('keytool.csr')))));
    // Go's crypto/x509 and BouncyCastle (issue 15 §6). Go's RSA-PSS request is signed PKCS#1 v1.5 under an RSASSA-PSS
    // identifier (golang/go#45990, Go ≤ 1.22): refused as a seed, its mutants still reach the PSS parameters.
    csrs.push(...foreignRequestSeeds().map((seed) => seed.der));
    run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-subj', '/CN=Fuzz CA', '-days', '2']);
    run('openssl', ['req', '-new', '-key', p('p256.key'), '-subj', '/CN=leaf', '-out', p('leaf.csr')]);
    writeFileSync(p('ext.cnf'), 'authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\n');
    run('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-set_serial', '0x5c01', '-out', p('leaf.pem'), '-days', '1', '-extfile', p('ext.cnf')]);
    const ocsp: Buffer[] = [];
    for (const [name, args] of [
      ['nonce', []],
      ['plain', ['-no_nonce']],
      ['signed', ['-signer', p('leaf.pem'), '-signkey', p('p256.key')]],
    ] as const) {
      run('openssl', ['ocsp', '-issuer', p('ca.pem'), '-cert', p('leaf.pem'), ...args, '-reqout', p(`${name}.ocsp`)]);
      ocsp.push(readFileSync(p(`${name}.ocsp`)));
    }
    const db = `sql:${p('nssdb')}`;
    run('mkdir', [p('nssdb')]);
    run('certutil', ['-N', '-d', db, '--empty-password']);
    run('certutil', ['-A', '-d', db, '-n', 'ca', '-t', 'C,,', '-i', p('ca.pem')]);
    run('certutil', ['-A', '-d', db, '-n', 'leaf', '-t', ',,', '-i', p('leaf.pem')]);
    ocsp.push(run('ocspclnt', ['-d', db, '-r', 'leaf', '-L']));
    const tsq: Buffer[] = [];
    writeFileSync(p('doc.txt'), 'fuzz');
    for (const args of [['-sha256', '-cert'], ['-sha512', '-no_nonce'], ['-sha384', '-tspolicy', '1.2.3.4']]) {
      run('openssl', ['ts', '-query', '-data', p('doc.txt'), ...args, '-out', p('q.tsq')]);
      tsq.push(readFileSync(p('q.tsq')));
    }
    return [
      {
        name: 'PKCS#10 (parse + proof of possession)',
        seeds: csrs,
        parse: (input) => void provePublicKey(parseCertificationRequest(decodeRequestBytes(input))),
        refusal: (error) => error instanceof SignetError && error.status >= 400 && error.status < 500,
      },
      { name: 'OCSP request', seeds: ocsp, parse: (input) => void parseOcspRequest(input, 50), refusal: (error) => error instanceof MalformedOcspRequest },
      { name: 'time-stamp query', seeds: tsq, parse: (input) => void parseTimeStampQuery(input), refusal: (error) => error instanceof TimeStampRefusal },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runFuzz(options: { seed: number; inputs: number; seconds: number; targets: Target[]; perInputMs?: number }): FuzzReport {
  const random = prng(options.seed);
  const report: FuzzReport = { seed: options.seed, inputs: 0, perTarget: {}, failures: [], slowestMs: 0 };
  const deadline = performance.now() + options.seconds * 1000;
  const limit = options.perInputMs ?? 1000;
  for (const target of options.targets) report.perTarget[target.name] = { inputs: 0, accepted: 0, refused: 0 };
  while (report.inputs < options.inputs && performance.now() < deadline) {
    for (const target of options.targets) {
      const seed = target.seeds[Math.floor(random() * target.seeds.length)]!;
      let input = mutate(seed, random);
      // Sometimes two mutations on top of each other.
      if (random() < 0.3) input = mutate(input, random);
      const counts = report.perTarget[target.name]!;
      counts.inputs++;
      report.inputs++;
      const started = performance.now();
      try {
        target.parse(input);
        counts.accepted++;
        try {
          checkDer(input);
        } catch (error) {
          if (error instanceof DerError && target.name !== 'PKCS#10 (parse + proof of possession)') {
            report.failures.push({ target: target.name, input: input.toString('base64'), problem: `accepted, but not DER: ${error.reason}` });
          }
        }
      } catch (error) {
        if (target.refusal(error)) counts.refused++;
        else report.failures.push({ target: target.name, input: input.toString('base64'), problem: `unexpected ${(error as Error)?.name}: ${(error as Error)?.message}` });
      }
      const took = performance.now() - started;
      report.slowestMs = Math.max(report.slowestMs, took);
      if (took > limit) report.failures.push({ target: target.name, input: input.toString('base64'), problem: `took ${took.toFixed(0)} ms` });
    }
  }
  return report;
}

const invokedDirectly = process.argv[1]?.endsWith('fuzz.ts') && !process.env.VITEST;
if (invokedDirectly) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const seed = arg('seed', Date.now() % 2 ** 31);
  const report = runFuzz({ seed, inputs: arg('inputs', 1_000_000), seconds: arg('seconds', 300), targets: makeTargets() });
  console.log(`fuzz seed ${report.seed}: ${report.inputs} inputs, slowest ${report.slowestMs.toFixed(1)} ms`);
  for (const [name, c] of Object.entries(report.perTarget)) console.log(`  ${name}: ${c.inputs} inputs, ${c.accepted} accepted, ${c.refused} refused`);
  for (const f of report.failures.slice(0, 20)) console.log(`  FAIL ${f.target}: ${f.problem}\n    ${f.input}`);
  console.log(`replay: npm run fuzz -- --seed ${report.seed} --inputs ${report.inputs}`);
  process.exitCode = report.failures.length ? 1 : 0;
}
