import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { sm2 } from 'sm-crypto-v2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from '../ca/test-support/ca-fixture.js';
import { envelopeParts } from '../kmc/sm2-enveloped-key.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-kmc-cli-'));
const work = mkdtempSync(join(tmpdir(), 'signet-kmc-cli-work-'));
const ID = '1234567812345678';

function signet(args: string[], lang = 'en') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, SIGNET_DATA: dataDir, SIGNET_LANG: lang, SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function openssl(args: string[]): string {
  const result = runTool('openssl', args);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** An SM2 key made by OpenSSL, and its public key in PEM. */
function sm2Key(name: string): { key: string; pub: string } {
  const key = join(work, `${name}.key`);
  const pub = join(work, `${name}.pub.pem`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]);
  openssl(['pkey', '-in', key, '-pubout', '-out', pub]);
  return { key, pub };
}

/** The enveloped key opened with OpenSSL alone: pkeyutl -decrypt with `key`, then enc -d -sm4-ecb; returns the scalar. */
function openWithOpenssl(envelopePath: string, key: string): string {
  const parts = envelopeParts(readFileSync(envelopePath));
  writeFileSync(join(work, 'sym.der'), parts.symEncryptedKey);
  writeFileSync(join(work, 'priv.enc'), parts.encryptedPrivateKey);
  openssl(['pkeyutl', '-decrypt', '-inkey', key, '-in', join(work, 'sym.der'), '-out', join(work, 'sym.key')]);
  const sessionKey = readFileSync(join(work, 'sym.key')).toString('hex');
  openssl(['enc', '-d', '-sm4-ecb', '-K', sessionKey, '-nopad', '-in', join(work, 'priv.enc'), '-out', join(work, 'priv.bin')]);
  return readFileSync(join(work, 'priv.bin')).toString('hex');
}

describe('dual certificates and key recovery on the command line, with OpenSSL for every key (R22, GM/T 0034)', () => {
  it('signet init --algorithm sm2, kmc init, cert issue-dual, then a recovery two operators sign with openssl', () => {
    const init = signet(['init', '--algorithm', 'sm2', '--json']);
    expect(init.status, init.stderr).toBe(0);
    const kmcInit = signet(['kmc', 'init', '--json']);
    expect(kmcInit.status, kmcInit.stderr).toBe(0);
    expect((JSON.parse(kmcInit.stdout) as { trustedCas: string[] }).trustedCas).toHaveLength(1);

    const subscriber = sm2Key('subscriber');
    openssl(['req', '-new', '-key', subscriber.key, '-sm3', '-sigopt', `distid:${ID}`, '-subj', '/CN=x', '-out', join(work, 'sign.csr')]);
    const out = join(work, 'issued');
    const issued = signet([
      'cert', 'issue-dual', '--csr', join(work, 'sign.csr'), '--signing-profile', 'individual-signing',
      '--encryption-profile', 'individual-encryption', '--subject', 'CN=命令行双证书,C=CN', '--subscriber', 'cli-subscriber', '--out-dir', out, '--json',
    ]);
    expect(issued.status, issued.stderr).toBe(0);
    const { encryption } = JSON.parse(issued.stdout) as { encryption: string };

    // The encryption certificate's public key is d·G for the d OpenSSL recovers from the envelope.
    const d = openWithOpenssl(join(out, 'enveloped-key.der'), subscriber.key);
    expect(d).toHaveLength(64);
    const certKey = openssl(['x509', '-in', join(out, 'encryption.pem'), '-noout', '-pubkey']);
    expect(Buffer.from(certKey.replace(/-----[^-]+-----|\s/g, ''), 'base64').subarray(-65).toString('hex')).toBe(sm2.getPublicKeyFromPrivateKey(d));

    const officers = ['a', 'b'].map((n) => ({ id: `officer-${n}`, ...sm2Key(`officer-${n}`) }));
    for (const officer of officers) {
      const added = signet(['kmc', 'operator-add', '--id', officer.id, '--name', `恢复员${officer.id}`, '--role', 'recovery-officer', '--public-key', officer.pub]);
      expect(added.status, added.stderr).toBe(0);
    }
    const newKey = sm2Key('new-signing-key');
    const statement = join(work, 'statement.json');
    const requested = signet([
      'kmc', 'recovery-request', '--serial', encryption, '--kind', 'subscriber', '--justification', '遗失加密私钥',
      '--requested-by', 'subscriber:cli-subscriber', '--deliver-to', newKey.pub, '--statement-out', statement, '--json',
    ]);
    expect(requested.status, requested.stderr).toBe(0);
    const { recoveryId } = JSON.parse(requested.stdout) as { recoveryId: string };

    const approve = (officer: (typeof officers)[number], lang = 'en') => {
      const signature = join(work, `${officer.id}.sig`);
      openssl(['pkeyutl', '-sign', '-rawin', '-digest', 'sm3', '-inkey', officer.key, '-pkeyopt', `distid:${ID}`, '-in', statement, '-out', signature]);
      return signet(['kmc', 'recovery-approve', '--recovery', recoveryId, '--operator', officer.id, '--signature', signature, '--out', join(work, 'recovered.der')], lang);
    };
    const first = approve(officers[0]!, 'zh-CN');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('等待第二位');
    const twice = approve(officers[0]!);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('a second, different operator must approve');
    const second = approve(officers[1]!);
    expect(second.status, second.stderr).toBe(0);
    expect(openWithOpenssl(join(work, 'recovered.der'), newKey.key)).toBe(d);
    expect(certKey).toContain('PUBLIC KEY');
  }, 300_000);
});
