import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/settings.js';
import { openSignet } from '../signet.js';
import { bootstrapPrincipal } from '../ra/roles.js';
import { ENTERPRISE } from '../acme/test-support/acme-fixture.js';

const entry = join(import.meta.dirname, 'entry.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-acme-cli-'));
const env = { SIGNET_DATA: dataDir, SIGNET_DATABASE_URL: '', SIGNET_CA_PASSPHRASE: 'cli-test-passphrase' };

function signet(args: string[], lang = 'en') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { env: { ...process.env, ...env, SIGNET_LANG: lang }, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('signet acme binding: the RA hands a verified enterprise its ACME key on the command line (RFC 8555 §7.3.4)', () => {
  it('issues (key shown once, both languages), lists without the key, revokes; refuses an unknown subscriber and a bad domain with exit 2', async () => {
    expect(signet(['init', '--json']).status).toBe(0);
    const s = await openSignet(loadConfig({ ...process.env, ...env }));
    let subscriberId: string;
    try {
      await s.ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
      const ra = await s.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '北京注册机构' });
      const officer = { operatorId: null, username: 'officer', role: 'ra-officer' as const, raId: ra.id, via: 'cli' as const };
      subscriberId = (await s.ra.subscribers.register(officer, { record: ENTERPRISE, consent: { agreementVersion: 'v1', accepted: true } }, '192.0.2.1')).id;
    } finally {
      await s.close();
    }
    const zh = signet(['acme', 'binding', 'issue', '--subscriber', subscriberId, '--domain', '*.example.com', '--validity-days', '7'], 'zh-CN');
    expect(zh.status, zh.stderr).toBe(0);
    expect(zh.stdout).toContain('HMAC 密钥（只显示这一次）');
    expect(zh.stdout).toContain('证书有效期最长 7 天');
    const issued = signet(['acme', 'binding', 'issue', '--subscriber', subscriberId, '--domain', 'shop.example.com', '--json']);
    expect(issued.status, issued.stderr).toBe(0);
    const binding = JSON.parse(issued.stdout) as { keyId: string; macKey: string; identifiers: string[]; validityDays: number };
    expect(binding.macKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([binding.identifiers, binding.validityDays]).toEqual([['shop.example.com'], 397]);
    const listed = signet(['acme', 'binding', 'list', '--json']);
    expect(listed.stdout).not.toContain(binding.macKey);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(2);
    const revoked = signet(['acme', 'binding', 'revoke', binding.keyId], 'zh-CN');
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('已撤销');
    expect(signet(['acme', 'binding', 'list']).stdout).toMatch(new RegExp(`${binding.keyId}.*revoked`));
    const unknown = signet(['acme', 'binding', 'issue', '--subscriber', 'nobody', '--domain', 'example.com']);
    expect(unknown.status).toBe(2);
    const badDomain = signet(['acme', 'binding', 'issue', '--subscriber', subscriberId, '--domain', 'not a domain'], 'zh-CN');
    expect(badDomain.status).toBe(2);
    expect(badDomain.stderr).toContain('不是有效的域名');
  }, 300_000);
});
