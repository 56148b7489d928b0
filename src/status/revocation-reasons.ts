import { CRLReasons } from '@peculiar/asn1-x509';
import { bothLocales, type MessageCode } from '../i18n/messages.js';

/**
 * RFC 5280 §5.3.1 reasons a Signet revocation may carry. certificateHold and
 * removeFromCRL are absent on purpose: a revocation is final (R7), there is no
 * hold to lift.
 */
export const REVOCATION_REASONS = {
  unspecified: CRLReasons.unspecified,
  keyCompromise: CRLReasons.keyCompromise,
  cACompromise: CRLReasons.cACompromise,
  affiliationChanged: CRLReasons.affiliationChanged,
  superseded: CRLReasons.superseded,
  cessationOfOperation: CRLReasons.cessationOfOperation,
  privilegeWithdrawn: CRLReasons.privilegeWithdrawn,
  aACompromise: CRLReasons.aACompromise,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(value: string): value is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, value);
}

/** A reason in words, both languages (the RFC 5280 name is for machines and the --reason option). */
export function reasonWords(reason: string): Record<'zh-CN' | 'en', string> | string {
  return isRevocationReason(reason) ? bothLocales(`revocation.reason.${reason}` as MessageCode) : reason;
}

export function reasonName(code: number): RevocationReason {
  const entry = Object.entries(REVOCATION_REASONS).find(([, c]) => c === code);
  if (!entry) throw new Error(`reason code ${code} is not one Signet revokes with`);
  return entry[0] as RevocationReason;
}

/**
 * R15 (agreement II.4): the six grounds on which the CA revokes on its own
 * motion, each with the RFC 5280 reason relying parties will see. The mapping
 * follows the CA/Browser Forum Baseline Requirements §7.2.2 reading of the
 * reasons: misconduct withdraws the privilege, a security doubt is treated as
 * a key compromise (and blocks the key), a written request to stop ends use.
 */
export const CA_REVOCATION_GROUNDS = {
  /** 订户提供的信息不真实 */
  'false-information': 'privilegeWithdrawn',
  /** 订户违反协议 */
  breach: 'privilegeWithdrawn',
  /** 订户书面申请 */
  'written-request': 'cessationOfOperation',
  /** 证书安全性不能得到保证 */
  'security-not-ensured': 'keyCompromise',
  /** 证书被用于违法犯罪活动 */
  'use-in-crime': 'privilegeWithdrawn',
  /** 其他法定事由 */
  'other-legal-grounds': 'unspecified',
} as const satisfies Record<string, RevocationReason>;

export type CaRevocationGround = keyof typeof CA_REVOCATION_GROUNDS;

export function isCaRevocationGround(value: string): value is CaRevocationGround {
  return Object.hasOwn(CA_REVOCATION_GROUNDS, value);
}

/** Who asked: the subscriber, the rights holder of a subscriber that ceased, an RA, or the CA itself (R7, R15). */
export const REVOCATION_CHANNELS = ['subscriber', 'rights-holder', 'ra', 'ca'] as const;
export type RevocationChannel = (typeof REVOCATION_CHANNELS)[number];

/** Who asked for a revocation, in words, both languages. */
export function channelWords(channel: string): Record<'zh-CN' | 'en', string> | string {
  return (REVOCATION_CHANNELS as readonly string[]).includes(channel) ? bothLocales(`revocation.channel.${channel}` as MessageCode) : channel;
}
