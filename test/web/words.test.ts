import { describe, expect, it } from 'vitest';
import { keyAlgorithmWords, waited } from '../../web/src/words.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';

/** The catalogue lookup of web/src/i18n.tsx, `.one` forms included, without React. */
function translator(locale: 'zh-CN' | 'en') {
  return (key: MessageKey, params: Record<string, string | number> = {}) => {
    const one = params.n === 1 ? MESSAGES[locale][`${key}.one` as MessageKey] : undefined;
    return (one ?? MESSAGES[locale][key]).replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));
  };
}

describe('numbers and identifiers as people read them in the console and portal (issue 20)', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it('says how long an application has waited in hours or days, never "0.0 天"', () => {
    const zh = translator('zh-CN');
    const en = translator('en');
    expect(waited(zh, ago(5 * 60_000), now)).toBe('不到 1 小时');
    expect(waited(en, ago(5 * 60_000), now)).toBe('under an hour');
    expect(waited(en, ago(3_600_000), now)).toBe('1 hour');
    expect(waited(zh, ago(5 * 3_600_000), now)).toBe('5 小时');
    expect(waited(en, ago(30 * 3_600_000), now)).toBe('1 day');
    expect(waited(en, ago(3 * 86_400_000), now)).toBe('3 days');
    expect(waited(zh, ago(3 * 86_400_000), now)).toBe('3 天');
  });

  it('counts one certificate as one', () => {
    expect(translator('en')('inventory.count', { n: 1 })).toBe('1 certificate');
    expect(translator('en')('inventory.count', { n: 2 })).toBe('2 certificates');
    expect(translator('en')('common.days', { n: 1 })).toBe('1 day');
    expect(translator('zh-CN')('inventory.count', { n: 1 })).toBe('共 1 张证书');
  });

  it('names key algorithms as their standards do, not as `ecdsa-p256`', () => {
    expect(keyAlgorithmWords('ecdsa-p256', 'zh-CN')).toBe('ECDSA P-256');
    expect(keyAlgorithmWords('rsa-2048', 'zh-CN')).toBe('RSA 2048 位');
    expect(keyAlgorithmWords('rsa-3072', 'en')).toBe('RSA 3072-bit');
    expect(keyAlgorithmWords('sm2', 'zh-CN')).toBe('SM2');
    expect(keyAlgorithmWords('ml-dsa-65', 'en')).toBe('ML-DSA-65');
  });
});
