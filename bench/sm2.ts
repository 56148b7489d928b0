/**
 * SM2 issuance per second beside its physical limits measured in the same run:
 * sm-crypto-v2's own signing rate (the library Signet signs with) and
 * `openssl speed sm2` (native code, for scale).
 *
 *   npx tsx bench/sm2.ts [count]
 *
 * Issuance is measured in process (ca.issue: PoP check, lint, intent, sign,
 * self-check, SQLite WAL group commit, audit), 32 concurrent orders on one
 * core, with SM2 requests made beforehand, and again with P-256 requests to
 * show what the SM2 proof-of-possession check costs on its own, and with an
 * ECDSA P-256 CA: the issuance cycle's own ceiling, whatever the algorithm.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { sm2 } from 'sm-crypto-v2';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { loadConfig } from '../src/config/settings.js';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { DEFAULT_SM2_ID } from '../src/crypto/sm2-key.js';
import { openSignet } from '../src/signet.js';

const COUNT = Number(process.argv[2] ?? 1500);
const CLIENTS = 32;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * Rates per CPU-second of this process, as `openssl speed` counts by default
 * (user CPU time, not -elapsed): on a shared machine wall time measures the
 * neighbours. Wall-clock rates are printed beside them.
 */
interface Rate {
  cpu: number;
  wall: number;
}

function measureRate(count: number, started: { wall: number; cpu: NodeJS.CpuUsage }): Rate {
  const cpu = process.cpuUsage(started.cpu);
  return { cpu: count / ((cpu.user + cpu.system) / 1e6), wall: count / ((performance.now() - started.wall) / 1000) };
}

function start(): { wall: number; cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

function perSecond(seconds: number, operation: () => unknown): Rate {
  for (let i = 0; i < 50; i++) operation();
  const started = start();
  let n = 0;
  while (performance.now() - started.wall < seconds * 1000) {
    operation();
    n++;
  }
  return measureRate(n, started);
}

/** `openssl speed -mr sm2`: +F7:idx:bits:CurveSM2:sign/s:verify/s */
function opensslSm2(seconds = 3): { sign: number; verify: number } {
  const result = spawnSync('openssl', ['speed', '-mr', '-seconds', String(seconds), 'sm2'], { encoding: 'utf8' });
  const line = result.stdout.split('\n').find((l) => l.startsWith('+F7:'));
  if (!line) throw new Error(`openssl speed sm2 gave no figure:\n${result.stdout}${result.stderr}`);
  const fields = line.split(':');
  return { sign: Number(fields[4]), verify: Number(fields[5]) };
}

async function request(keyAlgorithm: 'sm2' | 'ecdsa-p256'): Promise<Uint8Array> {
  const key = generateSoftwareKey(keyAlgorithm);
  const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
  const signature = await key.sign(new Uint8Array(AsnConvert.serialize(info)));
  return new Uint8Array(
    AsnConvert.serialize(new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: new Uint8Array(signature).buffer })),
  );
}

async function issuanceRate(caAlgorithm: 'sm2' | 'ecdsa-p256', keyAlgorithm: 'sm2' | 'ecdsa-p256', count: number): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-sm2-'));
  const config = loadConfig({ SIGNET_DATA: dir, SIGNET_CA_PASSPHRASE: 'bench-passphrase', SIGNET_ADMIN_TOKEN: 'bench', SIGNET_LOG_LEVEL: 'silent' });
  const signet = await openSignet(config);
  try {
    await createHierarchy(signet.ca, { algorithm: caAlgorithm, actor: 'bench' });
    const csrs: Uint8Array[] = [];
    for (let i = 0; i < count + 50; i++) csrs.push(await request(keyAlgorithm));
    const issue = (i: number) =>
      signet.ca.issue({ csr: csrs[i]!, profileId: 'tls-client', subject: `CN=bench subscriber ${i}`, subscriberId: `bench-${i}`, requestedBy: 'bench', reason: 'bench' });
    for (let i = 0; i < 50; i++) await issue(i);
    // Orders from several clients at once, as a CA serves them: group commit batches their transactions.
    let next = 50;
    const client = async () => {
      while (next < count + 50) await issue(next++);
    };
    const started = start();
    await Promise.all(Array.from({ length: CLIENTS }, client));
    return measureRate(count, started);
  } finally {
    await signet.close();
  }
}

const message = new Uint8Array(700).fill(0x5c); // about a TBSCertificate
const pair = sm2.generateKeyPairHex();
const options = { hash: true, der: true, userId: DEFAULT_SM2_ID, publicKey: pair.publicKey };
const librarySign = perSecond(3, () => sm2.doSignature(message, pair.privateKey, options));
const signature = sm2.doSignature(message, pair.privateKey, options);
const libraryVerify = perSecond(3, () => sm2.doVerifySignature(message, signature, pair.publicKey, { hash: true, der: true, userId: DEFAULT_SM2_ID }));
const native = opensslSm2();
const sm2Issuance = await issuanceRate('sm2', 'sm2', COUNT);
const p256Issuance = await issuanceRate('sm2', 'ecdsa-p256', COUNT);
const coreCeiling = await issuanceRate('ecdsa-p256', 'ecdsa-p256', COUNT);

const pct = (x: Rate) => `${((x.cpu / librarySign.cpu) * 100).toFixed(1)}%`;
const both = (x: Rate, unit: string) => `${fmt(x.cpu).padStart(7)} ${unit}/CPU-s (${fmt(x.wall)}/s wall)`;
console.log(`sm-crypto-v2 doSignature {hash, der, userId, publicKey}   ${both(librarySign, 'sign')}   verify, fresh point: ${fmt(libraryVerify.cpu)}/CPU-s`);
console.log(`openssl speed sm2 (native, user CPU time)                ${fmt(native.sign).padStart(7)} sign/CPU-s   verify ${fmt(native.verify)}/CPU-s`);
console.log(`SM2 CA issuing for SM2 requests                          ${both(sm2Issuance, 'certs')}  ${pct(sm2Issuance)} of the library's sign rate`);
console.log(`SM2 CA issuing for P-256 requests                        ${both(p256Issuance, 'certs')}  ${pct(p256Issuance)} of the library's sign rate`);
console.log(`ECDSA P-256 CA issuing for P-256 requests (the core)     ${both(coreCeiling, 'certs')}  the issuance cycle's own ceiling, whatever the algorithm`);
console.log(`
Issuance in process through ca.issue (PoP check + lint + intent + SM2 sign + SM2 self-check + audit, SQLite WAL group commits,
synchronous=${(process.env.SIGNET_SQLITE_SYNCHRONOUS || 'full').toUpperCase()}), ${COUNT} requests after 50 warm-up, ${CLIENTS} concurrent orders on one core. Target: ≥ 60% of the library's sign rate.
Reproduce: npx tsx bench/sm2.ts ${COUNT}    peers: the same process's sm-crypto-v2 loop; openssl speed -mr -seconds 3 sm2`);
