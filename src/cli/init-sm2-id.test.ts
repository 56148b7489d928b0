import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { runTool, writePem } from '../ca/test-support/ca-fixture.js';
import { openDatabase } from '../store/database.js';

const dataDir = mkdtempSync(join(tmpdir(), 'signet-sm2-id-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-sm2-id-cli-work-'));
// The program runs in this process, as in status-commands.test.ts: same parser, same output, no start-up per command.
process.env.SIGNET_DATA = dataDir;
process.env.SIGNET_LANG = 'en';
process.env.SIGNET_CA_PASSPHRASE = 'cli-test-passphrase';
delete process.env.SIGNET_DATABASE_URL;
const { main } = await import('./main.js');

/** The GM/T 0003.2 Annex A example ID: anything but the default shows the option took effect. */
const CA_ID = 'ALICE123@YAHOO.COM';

async function signet(args: string[]) {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr), console: console.error };
  console.error = (...parts: unknown[]) => void (stderr += `${parts.map(String).join(' ')}\n`);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await main(['node', 'signet', ...args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    console.error = write.console;
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

/** `openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:…` of a certificate's signature under `issuerDer`'s key. */
function signedWithId(der: Uint8Array, issuerDer: Uint8Array, distid: string): boolean {
  const cert = AsnConvert.parse(der, Certificate);
  writeFileSync(join(work, 'tbs.der'), Buffer.from(cert.tbsCertificateRaw!));
  writeFileSync(join(work, 'sig.der'), Buffer.from(cert.signatureValue));
  writeFileSync(join(work, 'spki.der'), Buffer.from(AsnConvert.serialize(AsnConvert.parse(issuerDer, Certificate).tbsCertificate.subjectPublicKeyInfo)));
  const result = runTool('openssl', [
    'pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER', '-inkey', join(work, 'spki.der'),
    '-pkeyopt', `distid:${distid}`, '-in', join(work, 'tbs.der'), '-sigfile', join(work, 'sig.der'),
  ]);
  return result.status === 0 && result.stdout.includes('Verified Successfully');
}

describe('signet init --algorithm sm2 --sm2-id (GM/T 0009 §10, GB/T 32918.2 §5.5)', () => {
  it('refuses --sm2-id with another algorithm, and an empty or oversized ID (a usage error, exit 1), creating nothing', async () => {
    const p256 = await signet(['init', '--algorithm', 'ecdsa-p256', '--sm2-id', CA_ID]);
    expect(p256.status).toBe(1);
    expect(p256.stderr).toContain('--sm2-id applies only to --algorithm sm2 (not ecdsa-p256)');
    const empty = await signet(['init', '--algorithm', 'sm2', '--sm2-id', '']);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('must be 1 to 8191 bytes');
    const long = await signet(['init', '--algorithm', 'sm2', '--sm2-id', '标'.repeat(2731)]);
    expect(long.status).toBe(1);
    expect(long.stderr).toContain('not 8193');
    // Not even an empty store: the next command finds no deployment and says where it looked.
    const list = await signet(['ca', 'list', '--json']);
    expect(list.status).toBe(2);
    expect(list.stderr).toContain('There is no Signet database in the data folder');
  });

  it('refuses --hsm with sm2 before anything is made, saying why and what to do instead (issue 17: no silent software fallback)', async () => {
    const refused = await signet(['init', '--algorithm', 'sm2', '--hsm']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('sm2 keys cannot be kept in a PKCS#11 HSM, and are not made in software instead: PKCS#11 defines no SM2 mechanism');
    expect(refused.stderr).toContain('leave out --hsm and send the root key offline with --root-key-out');
    expect((await signet(['ca', 'list', '--json'])).stderr).toContain('There is no Signet database in the data folder');
  });

  it('refuses --hsm without SIGNET_PKCS11_MODULE as a bad invocation (exit 2) before the store exists, naming what to set', async () => {
    expect(process.env.SIGNET_PKCS11_MODULE).toBeUndefined();
    const refused = await signet(['init', '--hsm']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--hsm makes the CA keys in a PKCS#11 token, but SIGNET_PKCS11_MODULE is not set: set SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_PIN (or SIGNET_PKCS11_PIN_FILE), or leave out --hsm');
    expect((await signet(['ca', 'list', '--json'])).stderr).toContain('There is no Signet database in the data folder');
  });

  it("creates a hierarchy whose every signature is made with that ID: openssl pkeyutl verifies the root and issuing CA with it and not with the default, and a leaf with openssl verify -vfyopt distid", async () => {
    const init = await signet(['init', '--algorithm', 'sm2', '--sm2-id', CA_ID, '--json']);
    expect(init.status, init.stderr).toBe(0);
    const created = JSON.parse(init.stdout) as { root: string; issuing: string; sm2Id: string };
    expect(created.sm2Id).toBe(CA_ID);

    const store = await openDatabase(join(dataDir, 'signet.db'));
    const der = async (id: string) =>
      (await store.db.selectFrom('certificate_authorities').select('certificate_der').where('id', '=', id).executeTakeFirstOrThrow()).certificate_der;
    const root = await der(created.root);
    const issuing = await der(created.issuing);
    await store.close();
    expect(signedWithId(root, root, CA_ID)).toBe(true);
    expect(signedWithId(root, root, '1234567812345678')).toBe(false);
    expect(signedWithId(issuing, root, CA_ID)).toBe(true);

    // The subscriber's request keeps the default ID; the CA signs the leaf with its own (each key its own ID).
    const key = join(work, 'subscriber.key');
    const csr = join(work, 'subscriber.csr');
    expect(runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]).status).toBe(0);
    expect(runTool('openssl', ['req', '-new', '-key', key, '-sm3', '-sigopt', 'distid:1234567812345678', '-subj', '/CN=x', '-out', csr]).status).toBe(0);
    const out = join(work, 'leaf.pem');
    const issued = await signet(['cert', 'issue', '--csr', csr, '--profile', 'individual-signing', '--subject', 'CN=张三', '--resident-id', '11010519491231002X', '--out', out]);
    expect(issued.status, issued.stderr).toBe(0);
    const issuingPem = writePem(work, 'issuing.pem', issuing);
    const withId = runTool('openssl', ['verify', '-vfyopt', `distid:${CA_ID}`, '-partial_chain', '-CAfile', issuingPem, out]);
    expect(withId.status, withId.stderr).toBe(0);
    const withDefault = runTool('openssl', ['verify', '-vfyopt', 'distid:1234567812345678', '-partial_chain', '-CAfile', issuingPem, out]);
    expect(withDefault.status).not.toBe(0);
    // The operator's --resident-id went into the GM/T 0015 IdentifyCode.
    const text = runTool('openssl', ['x509', '-in', out, '-noout', '-text']).stdout;
    expect(text).toContain('1.2.156.10260.4.1.1:');
    expect(text).toContain('11010519491231002X');
    expect(readFileSync(out, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('a process that never opened a key verifies what they signed: `signet cms verify` in its own process checks the leaf under the issuing CA and the SM2 TSA token with the CA’s ID, read from the store (issue 14)', async () => {
    const document = join(work, 'contract.txt');
    writeFileSync(document, '合同正文：国密 SM2 签名');
    const p7s = join(work, 'contract.p7s');
    const signed = await signet(['cms', 'sign', '--in', document, '--key', join(work, 'subscriber.key'), '--cert', join(work, 'leaf.pem'), '--out', p7s, '--json']);
    expect(signed.status, signed.stderr).toBe(0);
    // A second process: the store is all it shares with this one, which made and opened the keys.
    const verify = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'entry.ts'), 'cms', 'verify', '--in', p7s, '--json'], { env: process.env, encoding: 'utf8', timeout: 280_000 });
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ valid: true, timeStamp: { valid: true } });
  }, 300_000);
});
