import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildPkcs12 } from './pkcs12.js';

function openssl(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('PKCS#12 for server-side key generation (R5, RFC 7292)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-p12-'));
  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=测试', '-days', '1', '-outform', 'DER']);
  const keyDer = spawnSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-outform', 'DER']).stdout;
  const certDer = spawnSync('openssl', ['x509', '-in', cert, '-inform', 'DER', '-outform', 'DER']).stdout;

  it('opens in OpenSSL with the password, showing PBES2 / PBKDF2 / AES-256-CBC / hmacWithSHA256 and a SHA-256 MAC', () => {
    const p12 = buildPkcs12({ privateKeyPkcs8: keyDer, certificate: certDer, chain: [], password: 'correct horse 电池', friendlyName: '张三' });
    const file = join(dir, 'a.p12');
    writeFileSync(file, p12);
    const info = openssl(['pkcs12', '-in', file, '-info', '-nodes', '-passin', 'pass:correct horse 电池']);
    expect(info.status, info.out).toBe(0);
    expect(info.out).toContain('MAC: sha256');
    expect(info.out).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256/);
    expect(info.out).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256/);
    expect(info.out).toContain('BEGIN PRIVATE KEY');
    expect(info.out).toContain('BEGIN CERTIFICATE');
    // The algorithm lines only: the PEM blocks are random base64, where "rc2" or "3des" turns up by chance.
    const described = info.out.replace(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g, '');
    expect(described).toContain('Shrouded Keybag');
    expect(described).not.toMatch(/RC2|3DES|TripleDES/i);
  });

  it('refuses the wrong password (the MAC fails)', () => {
    const file = join(dir, 'b.p12');
    writeFileSync(file, buildPkcs12({ privateKeyPkcs8: keyDer, certificate: certDer, chain: [certDer], password: 'right password', friendlyName: 'x' }));
    const info = openssl(['pkcs12', '-in', file, '-info', '-nodes', '-passin', 'pass:wrong password']);
    expect(info.status).not.toBe(0);
    expect(info.out).toMatch(/mac verify/i);
  });
});
