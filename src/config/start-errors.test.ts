import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { acmeAuthorizationReuseFrom, acmeLimitsFrom } from '../acme/acme-service.js';
import { validationNetworkFrom } from '../acme/http-01.js';
import { parseCrlPartitions } from '../ca/crl-partition.js';
import { rolloverPolicyFrom } from '../ca/delegated-signers.js';
import { disputeWindowMonthsFrom } from '../evidence/disputes.js';
import { trustedProxiesFrom } from '../http/proxies.js';
import { rateLimitsFrom } from '../http/rate-limits.js';
import { tlsFrom } from '../http/server.js';
import { LOCALES } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import { raSettingsFrom } from '../ra/settings.js';
import { mailSettingsFrom } from '../service/mail-settings.js';
import { retentionYearsFrom } from '../service/retention.js';
import { estRetryAfterFrom } from '../signet.js';
import { ocspCacheSizeFrom } from '../status/ocsp-response-cache.js';
import { ocspAnswerWithinFrom, ocspPendingReadsFrom } from '../status/ocsp-responder.js';
import { sqliteSynchronousFrom } from '../store/database.js';
import { processLeaseMsFrom } from '../store/process-instances.js';
import { clockLimitFrom } from '../tsa/clock-guard.js';
import { contactFrom } from './contact.js';
import { BODY_LIMIT, LOG_LEVELS, loadConfig } from './settings.js';

const dataDir = mkdtempSync(join(tmpdir(), 'signet-start-errors-'));
const config = (env: Record<string, string>) => loadConfig({ SIGNET_DATA: dataDir, ...env });

/**
 * One malformed value per variable read at start-up: [variable, value, the read that refuses it].
 * The value is what the text must repeat (null where there is none to repeat: a PIN that is missing).
 */
const CASES: [string, string | null, () => unknown][] = [
  ['SIGNET_PORT', '80x', () => config({ SIGNET_PORT: '80x' })],
  ['SIGNET_SERIAL_PREFIX', '200', () => config({ SIGNET_SERIAL_PREFIX: '200' })],
  ['SIGNET_POLICY_OID', 'policy-1', () => config({ SIGNET_POLICY_OID: 'policy-1' })],
  ['SIGNET_POLICY_OID', '1.3.06.1', () => config({ SIGNET_POLICY_OID: '1.3.06.1' })],
  ['SIGNET_POLICY_OID', '3.1.2', () => config({ SIGNET_POLICY_OID: '3.1.2' })],
  ['SIGNET_POLICY_OID', '1.40.1', () => config({ SIGNET_POLICY_OID: '1.40.1' })],
  ['SIGNET_POLICY_OID', '1.3.6.1.4.1.99999999999.1', () => config({ SIGNET_POLICY_OID: '1.3.6.1.4.1.99999999999.1' })],
  ['SIGNET_MODE', 'staging', () => config({ SIGNET_MODE: 'staging' })],
  ['SIGNET_BODY_LIMIT', '1MB', () => config({ SIGNET_BODY_LIMIT: '1MB' })],
  ['SIGNET_BODY_LIMIT', '1024', () => config({ SIGNET_BODY_LIMIT: '1024' })],
  ['SIGNET_LOG_LEVEL', 'verbose', () => config({ SIGNET_LOG_LEVEL: 'verbose' })],
  ['SIGNET_SQLITE_SYNCHRONOUS', 'off', () => sqliteSynchronousFrom({ SIGNET_SQLITE_SYNCHRONOUS: 'off' })],
  // A secret production never generates, read where the production refusal does not cover it (the root ceremony's).
  ['SIGNET_ROOT_PASSPHRASE', null, () => config({ SIGNET_MODE: 'production' }).rootPassphrase()],
  ['SIGNET_PKCS11_PIN', null, () => config({ SIGNET_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so' }).hsm!.pin()],
  ['SIGNET_KMC_PASSPHRASE_FILE', join(dataDir, 'absent'), () => config({ SIGNET_KMC_PASSPHRASE_FILE: join(dataDir, 'absent') }).kmcPassphrase()],
  ['SIGNET_CONTACT_PHONE', 'call us', () => contactFrom({ SIGNET_CONTACT_PHONE: 'call us' })],
  ['SIGNET_CONTACT_EMAIL', 'service at ca', () => contactFrom({ SIGNET_CONTACT_EMAIL: 'service at ca' })],
  ['SIGNET_CONTACT_ADDRESS', '第一行\\n第二行', () => contactFrom({ SIGNET_CONTACT_ADDRESS: '第一行\n第二行' })],
  ['SIGNET_CONTACT_NAME', '很'.repeat(80), () => contactFrom({ SIGNET_CONTACT_NAME: '很'.repeat(201) })],
  ['SIGNET_ACME_LIMITS', 'orders=300', () => acmeLimitsFrom({ SIGNET_ACME_LIMITS: 'orders=300' })],
  ['SIGNET_ACME_AUTHZ_REUSE_DAYS', '400', () => acmeAuthorizationReuseFrom({ SIGNET_ACME_AUTHZ_REUSE_DAYS: '400' })],
  ['SIGNET_ACME_HTTP01_PORT', '0', () => validationNetworkFrom({ SIGNET_ACME_HTTP01_PORT: '0' })],
  ['SIGNET_ACME_TLS_ALPN_PORT', 'https', () => validationNetworkFrom({ SIGNET_ACME_TLS_ALPN_PORT: 'https' })],
  ['SIGNET_ACME_HOSTS', 'shop.example.cn', () => validationNetworkFrom({ SIGNET_ACME_HOSTS: 'shop.example.cn' })],
  ['SIGNET_CRL_PARTITIONS', '1,5000', () => parseCrlPartitions('1,5000')],
  ['SIGNET_ROLLOVER_REMAINING', '1.5', () => rolloverPolicyFrom({ SIGNET_ROLLOVER_REMAINING: '1.5' })],
  ['SIGNET_ROLLOVER_SWITCH_SECONDS', '-5', () => rolloverPolicyFrom({ SIGNET_ROLLOVER_SWITCH_SECONDS: '-5' })],
  ['SIGNET_RATE_LIMITS', 'status=0/60', () => rateLimitsFrom({ SIGNET_RATE_LIMITS: 'status=0/60' })],
  ['SIGNET_RATE_LIMITS', 'tsa.account=5/60', () => rateLimitsFrom({ SIGNET_RATE_LIMITS: 'tsa.account=5/60' })],
  ['SIGNET_TRUSTED_PROXIES', 'proxy.example.cn', () => trustedProxiesFrom({ SIGNET_TRUSTED_PROXIES: 'proxy.example.cn' })],
  ['SIGNET_TLS_KEY_FILE', '/etc/signet/key.pem', () => tlsFrom({ SIGNET_TLS_KEY_FILE: '/etc/signet/key.pem' })],
  ['SIGNET_RETENTION_YEARS', '2', () => retentionYearsFrom({ SIGNET_RETENTION_YEARS: '2' })],
  ['SIGNET_SMTP_URL', 'mail server', () => mailSettingsFrom({ SIGNET_SMTP_URL: 'mail server' })],
  ['SIGNET_SMTP_URL', 'http://mail.example.cn', () => mailSettingsFrom({ SIGNET_SMTP_URL: 'http://mail.example.cn' })],
  ['SIGNET_NOTIFY_ROLE_ADDRESSES', 'dispute-desk', () => mailSettingsFrom({ SIGNET_NOTIFY_ROLE_ADDRESSES: 'dispute-desk' })],
  ['SIGNET_SMTP_REQUIRE_TLS', 'maybe', () => mailSettingsFrom({ SIGNET_SMTP_REQUIRE_TLS: 'maybe' })],
  ['SIGNET_SMTP_BATCH', '0', () => mailSettingsFrom({ SIGNET_SMTP_BATCH: '0' })],
  ['SIGNET_SESSION_HOURS', '1.5', () => raSettingsFrom({ SIGNET_SESSION_HOURS: '1.5' })],
  ['SIGNET_PROCESS_LEASE_SECONDS', '7200', () => processLeaseMsFrom({ SIGNET_PROCESS_LEASE_SECONDS: '7200' })],
  ['SIGNET_OCSP_CACHE_SIZE', 'many', () => ocspCacheSizeFrom({ SIGNET_OCSP_CACHE_SIZE: 'many' })],
  ['SIGNET_OCSP_ANSWER_WITHIN_MS', '99', () => ocspAnswerWithinFrom({ SIGNET_OCSP_ANSWER_WITHIN_MS: '99' })],
  ['SIGNET_OCSP_PENDING_READS', 'lots', () => ocspPendingReadsFrom({ SIGNET_OCSP_PENDING_READS: 'lots' })],
  ['SIGNET_DISPUTE_WINDOW_MONTHS', '2', () => disputeWindowMonthsFrom({ SIGNET_DISPUTE_WINDOW_MONTHS: '2' })],
  ['SIGNET_CLOCK_LIMIT_MS', '0', () => clockLimitFrom({ SIGNET_CLOCK_LIMIT_MS: '0' })],
  ['SIGNET_EST_RETRY_AFTER', 'soon', () => estRetryAfterFrom({ SIGNET_EST_RETRY_AFTER: 'soon' })],
];

function refusal(read: () => unknown): SignetError {
  try {
    read();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('the value was accepted');
}

// The brief: every text a person reads in natural zh-CN and en, no internal code showing.
describe('a malformed environment variable stops the start in the operator\'s language', () => {
  it.each(CASES)('%s=%s: both texts name the variable and repeat the value, with no code or placeholder', (variable, value, read) => {
    const error = refusal(read);
    expect(error.status).toBe(400);
    const texts = LOCALES.map((locale) => error.messageIn(locale));
    for (const text of texts) {
      expect(text).toContain(variable);
      if (value !== null) expect(text).toContain(value);
      expect(text).not.toContain(error.code);
      expect(text).not.toMatch(/\b(config|acme|ca|http|service|store)\.[a-z]/);
      expect(text).not.toMatch(/undefined|null|NaN|\[object|[{}]/);
    }
    const [zh, en] = texts;
    expect(zh).toMatch(/[\u4e00-\u9fff]/);
    expect(zh).not.toBe(en);
    expect(error.message).toBe(en);
  });

  // Fastify takes any whole number above 0; below 64 KiB an ML-DSA-87 CSR would not fit, above 256 MiB one body could hold the node's memory.
  it('SIGNET_BODY_LIMIT: a whole number of bytes from 64 KiB to 256 MiB, 1 MiB when unset', () => {
    expect(config({}).bodyLimit).toBe(1024 * 1024);
    expect([String(BODY_LIMIT.min), String(BODY_LIMIT.max), ' 2097152 '].map((value) => config({ SIGNET_BODY_LIMIT: value }).bodyLimit)).toEqual([65536, 268435456, 2097152]);
    for (const value of ['65535', '268435457', '1e6', '1048576.5', '-1048576', '0x100000']) expect(() => config({ SIGNET_BODY_LIMIT: value }), value).toThrow(SignetError);
    expect(refusal(() => config({ SIGNET_BODY_LIMIT: '1MB' })).messageIn('zh-CN')).toBe('SIGNET_BODY_LIMIT 须为 65536（64 KiB）到 268435456（256 MiB）之间的字节数（整数），而不是 "1MB"');
  });

  it('SIGNET_LOG_LEVEL: exactly the levels pino takes, all of them named in the refusal', () => {
    expect(config({}).logLevel).toBe('info');
    for (const level of LOG_LEVELS) {
      expect(config({ SIGNET_LOG_LEVEL: level }).logLevel).toBe(level);
      expect(pino({ level }).level).toBe(level);
    }
    expect(LOG_LEVELS).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
    const refused = refusal(() => config({ SIGNET_LOG_LEVEL: 'INFO' }));
    expect(refused.messageIn('zh-CN')).toBe('SIGNET_LOG_LEVEL 只能是以下日志级别之一：trace、debug、info、warn、error、fatal、silent，而不是 "INFO"');
    expect(refused.messageIn('en')).toBe('SIGNET_LOG_LEVEL must be one of the log levels trace, debug, info, warn, error, fatal, silent, not "INFO"');
  });

  it('a secret production never generates: its two variables named, in both languages', () => {
    const refused = refusal(() => config({ SIGNET_MODE: 'production' }).passphrase());
    expect(refused.messageIn('zh-CN')).toBe('生产模式（SIGNET_MODE=production）须设置 SIGNET_CA_PASSPHRASE 或 SIGNET_CA_PASSPHRASE_FILE：生产模式不会自动生成秘密');
    expect(refused.messageIn('en')).toBe('Production mode (SIGNET_MODE=production) needs SIGNET_CA_PASSPHRASE or SIGNET_CA_PASSPHRASE_FILE to be set; it never generates a secret');
  });

  it('cuts a long value, still showing where it starts', () => {
    const text = refusal(() => ocspCacheSizeFrom({ SIGNET_OCSP_CACHE_SIZE: `9${'x'.repeat(5000)}` })).messageIn('zh-CN');
    expect(text).toBe(`SIGNET_OCSP_CACHE_SIZE 须为 1 到 50000000 之间的整数，而不是 "9${'x'.repeat(79)}…"`);
  });

  // A real process: `signet serve` reads SIGNET_OCSP_PENDING_READS after it has opened the store, and stops.
  it('signet serve exits non-zero and prints the zh-CN text', { timeout: 180_000 }, () => {
    const served = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'cli', 'entry.ts'), 'serve'], {
      env: { ...process.env, SIGNET_DATA: mkdtempSync(join(tmpdir(), 'signet-start-errors-serve-')), SIGNET_DATABASE_URL: '', SIGNET_LANG: 'zh-CN', SIGNET_OCSP_PENDING_READS: 'lots' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(served.status).toBe(2);
    expect(served.stderr).toBe('错误：SIGNET_OCSP_PENDING_READS 须为 1 到 1000000 之间的整数，而不是 "lots"\n');
  });
});
