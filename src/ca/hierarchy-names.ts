import { X509Certificate } from 'node:crypto';
import type { Locale } from '../i18n/locale.js';

/**
 * The organisation a hierarchy is made for when none is named (`npm start`
 * on a fresh data folder, `signet init` without --organization): the
 * certificates carry the zh-CN name; English readers see its English one.
 */
export const DEVELOPMENT_ORGANIZATION: Readonly<Record<Locale, string>> = { 'zh-CN': 'Signet 开发测试', en: 'Signet Development and Test' };

export type HierarchyPart = 'root' | 'issuing' | 'ocsp' | 'tsa' | 'evidence';

const PART_WORDS: Record<HierarchyPart, Record<Locale, string>> = {
  root: { 'zh-CN': '根 CA', en: 'Root CA' },
  issuing: { 'zh-CN': '签发 CA', en: 'Issuing CA' },
  ocsp: { 'zh-CN': 'OCSP 服务', en: 'OCSP Responder' },
  tsa: { 'zh-CN': '时间戳服务', en: 'Time-Stamping Authority' },
  evidence: { 'zh-CN': '电子证据服务', en: 'Evidence Service' },
};

const HAN_AT_END = /\p{Script=Han}$/u;
const HAN_AT_START = /^\p{Script=Han}/u;

/**
 * The name of one part of `organization`'s hierarchy ("Signet 开发测试根 CA",
 * "Signet Development and Test Root CA"): in Chinese no space between two Chinese
 * words, one beside a Latin word. The certificates carry the zh-CN form (UTF8String,
 * src/ca/subject-name.ts); a named organisation is its own name in both languages.
 */
export function hierarchyName(organization: string, part: HierarchyPart, locale: Locale = 'zh-CN'): string {
  const own = organization === DEVELOPMENT_ORGANIZATION['zh-CN'] ? DEVELOPMENT_ORGANIZATION[locale] : organization;
  const word = PART_WORDS[part][locale];
  return `${own}${HAN_AT_END.test(own) && HAN_AT_START.test(word) ? '' : ' '}${word}`;
}

/**
 * A CA's name as a reader of `locale` sees it: the stored (zh-CN) name, or, for a
 * name this module made, the same name in English. Any other name is a proper name, shown as given.
 */
export function caNameIn(authority: { name: string; role: 'root' | 'issuing'; certificateDer: Uint8Array }, locale: Locale): string {
  if (locale === 'zh-CN') return authority.name;
  const organization = /^O=(.*)$/m.exec(new X509Certificate(authority.certificateDer).subject)?.[1];
  return organization !== undefined && authority.name === hierarchyName(organization, authority.role) ? hierarchyName(organization, authority.role, locale) : authority.name;
}
