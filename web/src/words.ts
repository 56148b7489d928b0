/**
 * Numbers and identifiers in words (issue 20). No imports: the root type
 * check and the tests read this file too (as admin/money.ts).
 */

type WaitedKey = 'waited.under-hour' | 'waited.hours' | 'common.days';

/** How long an application has waited, in words: "不到 1 小时", "5 小时", "2 天" (never "0.0 天"). */
export function waited(t: (key: WaitedKey, params?: Record<string, number>) => string, since: string, now = Date.now()): string {
  const hours = Math.floor(Math.max(0, now - Date.parse(since)) / 3_600_000);
  if (hours < 1) return t('waited.under-hour');
  if (hours < 24) return t('waited.hours', { n: hours });
  return t('common.days', { n: Math.floor(hours / 24) });
}

/** A key algorithm in the words its standard uses: "ECDSA P-256", "RSA 2048 位", "SM2" (never `ecdsa-p256`). */
export function keyAlgorithmWords(id: string, locale: string): string {
  const rsa = /^rsa-(\d+)$/.exec(id);
  if (rsa) return locale === 'en' ? `RSA ${rsa[1]}-bit` : `RSA ${rsa[1]} 位`;
  const ec = /^ecdsa-p(\d+)$/.exec(id);
  if (ec) return `ECDSA P-${ec[1]}`;
  if (id === 'ed25519') return 'Ed25519';
  if (/^ml-dsa-\d+$/.test(id) || id === 'sm2') return id.toUpperCase();
  return id;
}
