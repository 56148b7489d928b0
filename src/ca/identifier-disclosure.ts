import { createHmac } from 'node:crypto';
import type { SubjectAttributes } from './subject-name.js';
import type { SubscriberIdentity } from './subject-identity.js';

/**
 * What a profile puts in a certificate of a person about their ID number
 * (GM/T 0015, and the Personal Information Protection Law's minimisation),
 * decided per profile in profiles.json (`personalIdentifier`):
 *
 * - `clear`: the number itself, as `serialNumber=IDCCN-<number>` and in the
 *   GM/T 0015 IdentifyCode extension, for relying parties that must read it.
 * - `masked`: first and last character only (`IDCCN-1****************X`);
 *   no IdentifyCode extension. Tells people with the same name apart only roughly.
 * - `keyed-hash`: `IDCCN-H` and the first 32 hex digits of HMAC-SHA256 under
 *   the deployment's identifier key; no IdentifyCode extension. One person
 *   always gets the same value, nobody without the key can compute it, and the
 *   CA can confirm a number in a dispute.
 *
 * Enterprises' identifiers (the USCC) are public registry data, not personal
 * information: this touches only subscriber profiles for individuals.
 */
export const IDENTIFIER_DISCLOSURES = ['clear', 'masked', 'keyed-hash'] as const;
export type IdentifierDisclosure = (typeof IDENTIFIER_DISCLOSURES)[number];

/** ETSI EN 319 412-1 §5.1.3: three-letter type, two-letter country, hyphen, the number. */
const SEMANTICS = /^([A-Z]{3}[A-Z]{2})-(.+)$/;

/** First and last character kept, every other one a star: enough to recognise, not to use. */
export function maskIdentifier(value: string): string {
  const chars = [...value];
  if (chars.length <= 2) return '*'.repeat(chars.length);
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars.at(-1)}`;
}

export function keyedIdentifierHash(key: Buffer, value: string): string {
  return `H${createHmac('sha256', key).update(`signet-certificate-identifier:${value}`, 'utf8').digest('hex').slice(0, 32).toUpperCase()}`;
}

/**
 * The subject attributes and identity a person's certificate carries under
 * `disclosure`. Identity extensions of a person (IdentifyCode) go only with
 * `clear`; an enterprise's identity passes unchanged.
 */
export function discloseIdentifier(
  disclosure: IdentifierDisclosure,
  attributes: SubjectAttributes,
  identity: SubscriberIdentity | undefined,
  identifierKey: () => Buffer,
): { attributes: SubjectAttributes; identity: SubscriberIdentity | undefined } {
  if (disclosure === 'clear') return { attributes, identity };
  const personal = identity && identity.type !== 'uscc' ? undefined : identity;
  const serial = attributes.serialNumber;
  if (typeof serial !== 'string' || serial === '') return { attributes, identity: personal };
  const match = SEMANTICS.exec(serial);
  const [prefix, number] = match ? [`${match[1]}-`, match[2]!] : ['', serial];
  const shown = disclosure === 'masked' ? maskIdentifier(number) : keyedIdentifierHash(identifierKey(), number);
  return { attributes: { ...attributes, serialNumber: `${prefix}${shown}` }, identity: personal };
}

/**
 * A subject as an anonymous reader sees it (public status, the certificate's
 * public JSON, lists): every serialNumber and e-mail address masked, whatever
 * the certificate holds. Works on both `CN=…, serialNumber=…` and the
 * newline-separated form node:crypto gives.
 */
export function publicSubject(subject: string): string {
  return subject.replace(/(^|[,\n+]\s*)(serialNumber|SERIALNUMBER|2\.5\.4\.5|emailAddress|E|1\.2\.840\.113549\.1\.9\.1)=((?:\\.|[^,\n+\\])*)/g, (_all, lead: string, type: string, value: string) => {
    const match = SEMANTICS.exec(value);
    const email = /^(E|emailAddress|1\.2\.840\.113549\.1\.9\.1)$/.test(type);
    const masked = match ? `${match[1]}-${maskIdentifier(match[2]!)}` : email ? maskEmailValue(value) : maskIdentifier(value);
    return `${lead}${type}=${masked}`;
  });
}

function maskEmailValue(value: string): string {
  const at = value.lastIndexOf('@');
  return at <= 0 ? maskIdentifier(value) : `${value.slice(0, 1)}***${value.slice(at)}`;
}
