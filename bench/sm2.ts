/**
 * SM2 issuance per second beside its physical limits measured in the same run:
 * sm-crypto-v2's own signing rate (the library Signet signs with) and
 * `openssl speed sm2` (native code, for scale).
 *
 *   npx tsx bench/sm2.ts [count]
 *
 * Issuance is measured in process (ca.issue: PoP check, lint, intent, sign,
 * self-check, SQLite WAL commit, audit), one request after another on one
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
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function perSecond(seconds: number, operation: () => unknown): number {
  for (let i = 0; i < 50; i++) operation();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    operation();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
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

async function issuanceRate(caAlgorithm: 'sm2' | 'ecdsa-p256', keyAlgorithm: 'sm2' | 'ecdsa-p256', count: number): Promise<number> {
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
    const start = performance.now();
    for (let i = 50; i < count + 50; i++) await issue(i);
    return count / ((performance.now() - start) / 1000);
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

const pct = (x: number) => `${((x / librarySign) * 100).toFixed(1)}%`;
console.log(`sm-crypto-v2 doSignature {hash, der, userId, publicKey}   ${fmt(librarySign).padStart(7)} sign/s   (verify, fresh point: ${fmt(libraryVerify)}/s)`);
console.log(`openssl speed sm2 (native)                               ${fmt(native.sign).padStart(7)} sign/s   (verify ${fmt(native.verify)}/s)`);
console.log(`SM2 CA issuing for SM2 requests                          ${fmt(sm2Issuance).padStart(7)} certs/s  ${pct(sm2Issuance)} of the library's sign rate`);
console.log(`SM2 CA issuing for P-256 requests                        ${fmt(p256Issuance).padStart(7)} certs/s  ${pct(p256Issuance)} of the library's sign rate`);
console.log(`ECDSA P-256 CA issuing for P-256 requests (the core)     ${fmt(coreCeiling).padStart(7)} certs/s  the issuance cycle's own ceiling on this machine`);
console.log(`
Issuance in process through ca.issue (PoP check + lint + intent + SM2 sign + SM2 self-check + SQLite WAL commit + audit),
${COUNT} requests after 50 warm-up, one at a time on one core. Target: ≥ 60% of the library's sign rate.
Reproduce: npx tsx bench/sm2.ts ${COUNT}    peers: the same process's sm-crypto-v2 loop; openssl speed -mr -seconds 3 sm2`);
