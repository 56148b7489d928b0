import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { SignetError } from '../i18n/signet-error.js';
import type { CertificateProfile } from './profiles.js';

/**
 * GM/T 0015 subject identity extensions: the holder's identity number as the
 * RA verified it, in an extension a relying party's software (USB-key
 * middleware, online-banking plug-ins) reads without parsing the subject.
 *
 * GM/T 0015-2012 §5.2 (certificate format) defines them as private
 * extensions under the arc 1.2.156.10260.4.1:
 *   .1 IdentifyCode            个人身份标识码
 *   .2 InsuranceNumber         个人社会保险号
 *   .3 ICRegistrationNumber    企业工商注册号
 *   .4 OrganizationCode        企业组织机构代码
 *   .5 TaxationNumber          企业税号
 * Signet emits .1 for individuals and .4 for enterprises; the others are
 * registered numbers the Unified Social Credit Code replaced (GB 32100-2015).
 *
 * Where the USCC goes — sources disagree, and the decision is ours:
 * - GM/T 0015-2012 predates the USCC (2015) and has no extension for it.
 * - GM/T 0015-2023 adds a USCC extension (its foreword, change h); the only
 *   OID found for it, 1.2.156.10260.4.4 in XiPKI's feature list, could not be
 *   checked against the standard's text and sits outside the .4.1 arc.
 * - CAs issuing since 三证合一 put the USCC in OrganizationCode
 *   (1.2.156.10260.4.1.4): CA vendors' integration samples label .4.1.4
 *   "统一社会信用代码" for SM2 certificates, and relying-party code reads the
 *   enterprise identifier there. The USCC contains the organization code
 *   (its characters 9–17 are the GB 11714 code, GB 32100-2015), so the value
 *   the field was made for is in it.
 * So the USCC goes into OrganizationCode, whole, as the 2012 syntax says
 * (PrintableString). A later move to the 2023 OID changes this file only.
 * docs/sm2-and-dual-certificates.md gives the same reasoning.
 */
export const ID_GMT0015 = '1.2.156.10260.4.1';
export const ID_GMT0015_IDENTIFY_CODE = `${ID_GMT0015}.1`;
export const ID_GMT0015_ORGANIZATION_CODE = `${ID_GMT0015}.4`;

/**
 * GM/T 0015-2012 §5.2, 个人身份标识码:
 * ```asn1
 * IdentifyCode ::= CHOICE {
 *   residenterCardNumber      [0] PrintableString,
 *   militaryOfficerCardNumber [1] UTF8String,
 *   passportNumber            [2] PrintableString
 * }
 * ```
 * The standard does not say IMPLICIT or EXPLICIT (XiPKI's implementation
 * notes the same). ASN.1 with no TagDefault means EXPLICIT TAGS (X.680), so
 * each alternative is wrapped: [0] { PrintableString }, A0 14 13 12 ….
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class IdentifyCode {
  @AsnProp({ type: AsnPropTypes.PrintableString, context: 0 })
  public residenterCardNumber?: string;

  @AsnProp({ type: AsnPropTypes.Utf8String, context: 1 })
  public militaryOfficerCardNumber?: string;

  @AsnProp({ type: AsnPropTypes.PrintableString, context: 2 })
  public passportNumber?: string;

  constructor(params: Partial<IdentifyCode> = {}) {
    Object.assign(this, params);
  }
}

/**
 * GM/T 0015-2012 §5.2, 企业组织机构代码: `OrganizationCode ::= PrintableString`.
 * Modelled as a CHOICE of one untagged alternative, which encodes exactly as
 * the PrintableString itself and refuses any other string type on parsing.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class OrganizationCode {
  @AsnProp({ type: AsnPropTypes.PrintableString })
  public value?: string;

  constructor(value?: string) {
    this.value = value;
  }
}

/** The identity the RA verified (R1), as the CA's order carries it; never taken from the CSR. */
export interface SubscriberIdentity {
  type: 'resident-id' | 'passport' | 'military-officer' | 'uscc';
  value: string;
}

/** Which extension a profile carries (profiles.json `identityExtension.type`). */
export const IDENTITY_EXTENSION_TYPES = ['IdentifyCode', 'UnifiedSocialCreditCode'] as const;
export type IdentityExtensionType = (typeof IDENTITY_EXTENSION_TYPES)[number];

const OID_OF: Record<IdentityExtensionType, string> = {
  IdentifyCode: ID_GMT0015_IDENTIFY_CODE,
  UnifiedSocialCreditCode: ID_GMT0015_ORGANIZATION_CODE,
};
/** The identifiers of the extensions lintIdentityExtensions reads. */
export const IDENTITY_EXTENSION_OIDS: ReadonlySet<string> = new Set(Object.values(OID_OF));

/** GB 11643-1999: 17 digits and a check character. The checksum itself is the RA's (R1). */
const RESIDENT_ID = /^\d{17}[\dX]$/;
/** GB 32100-2015: 18 characters of its 31-character alphabet (no I, O, S, V, Z). */
const USCC = /^[0-9A-HJ-NPQRTUWXY]{18}$/;
/** X.680 PrintableString. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]+$/;

type Value = { ok: true } | { ok: false; why: 'resident-id' | 'uscc' | 'printable' | 'length' };

/** Identity numbers are short; 64 is Signet's bound (as RFC 5280's ub-serial-number), not the standard's. */
function checkValue(type: SubscriberIdentity['type'], value: string): Value {
  if (value.length === 0 || [...value].length > 64) return { ok: false, why: 'length' };
  if (type === 'resident-id') return RESIDENT_ID.test(value) ? { ok: true } : { ok: false, why: 'resident-id' };
  if (type === 'uscc') return USCC.test(value) ? { ok: true } : { ok: false, why: 'uscc' };
  if (type === 'passport') return PRINTABLE.test(value) ? { ok: true } : { ok: false, why: 'printable' };
  return { ok: true };
}

/** The alternatives each extension has room for. */
const FITS: Record<IdentityExtensionType, ReadonlyArray<SubscriberIdentity['type']>> = {
  IdentifyCode: ['resident-id', 'passport', 'military-officer'],
  UnifiedSocialCreditCode: ['uscc'],
};

/**
 * The identity extension the profile asks for, from the RA-verified identity;
 * null when the profile names none, or names an optional one the identity has
 * no alternative for (a Hong Kong or Macao permit has no IdentifyCode
 * alternative). A required one that cannot be built refuses the order.
 */
export function buildIdentityExtension(profile: CertificateProfile, identity: SubscriberIdentity | undefined): Extension | null {
  const wanted = profile.identityExtension;
  if (!wanted) return null;
  if (!identity || !FITS[wanted.type].includes(identity.type)) {
    if (!wanted.required) return null;
    throw new SignetError('request.identity-missing', 400, { profile: profile.id, extension: wanted.type, given: identity?.type ?? '-' }, 'identity');
  }
  const value = identity.value.normalize('NFC').trim();
  const check = checkValue(identity.type, value);
  if (!check.ok) throw new SignetError(`request.identity-invalid.${check.why}`, 400, { type: identity.type }, 'identity');
  const encoded =
    wanted.type === 'UnifiedSocialCreditCode'
      ? new OrganizationCode(value)
      : new IdentifyCode(
          identity.type === 'resident-id'
            ? { residenterCardNumber: value }
            : identity.type === 'passport'
              ? { passportNumber: value }
              : { militaryOfficerCardNumber: value },
        );
  return new Extension({ extnID: OID_OF[wanted.type], critical: false, extnValue: new OctetString(AsnConvert.serialize(encoded)) });
}

/** What an identity extension says, read back from its DER (lint, display). */
export function readIdentityExtension(extension: Extension): SubscriberIdentity {
  const der = extension.extnValue.buffer;
  if (extension.extnID === ID_GMT0015_ORGANIZATION_CODE) {
    const parsed = AsnConvert.parse(der, OrganizationCode);
    return { type: 'uscc', value: parsed.value ?? '' };
  }
  if (extension.extnID === ID_GMT0015_IDENTIFY_CODE) {
    const parsed = AsnConvert.parse(der, IdentifyCode);
    if (parsed.residenterCardNumber !== undefined) return { type: 'resident-id', value: parsed.residenterCardNumber };
    if (parsed.passportNumber !== undefined) return { type: 'passport', value: parsed.passportNumber };
    if (parsed.militaryOfficerCardNumber !== undefined) return { type: 'military-officer', value: parsed.militaryOfficerCardNumber };
  }
  throw new Error(`${extension.extnID} is not a GM/T 0015 identity extension Signet reads`);
}

/**
 * Lint findings for the identity extensions of a TBSCertificate: present when
 * the profile requires one, absent when it names none, never the other kind,
 * non-critical, and holding a well-formed value of an alternative it allows.
 */
export function lintIdentityExtensions(extensions: readonly Extension[], profile: CertificateProfile): string[] {
  const findings: string[] = [];
  const wanted = profile.identityExtension;
  for (const type of IDENTITY_EXTENSION_TYPES) {
    const extension = extensions.find((e) => e.extnID === OID_OF[type]);
    const label = `GM/T 0015 ${type} (${OID_OF[type]})`;
    if (!extension) {
      if (wanted?.type === type && wanted.required) findings.push(`${label} is required by the profile and missing`);
      continue;
    }
    if (wanted?.type !== type) {
      findings.push(`${label} is present but the profile does not carry it`);
      continue;
    }
    // RFC 5280 §4.2: software that does not know a critical extension must reject the certificate.
    if (extension.critical) findings.push(`${label} must not be critical (RFC 5280 §4.2)`);
    let identity: SubscriberIdentity;
    try {
      identity = readIdentityExtension(extension);
    } catch (error) {
      findings.push(`${label} does not decode: ${(error as Error).message}`);
      continue;
    }
    if (!FITS[type].includes(identity.type)) findings.push(`${label} holds a ${identity.type}, which it has no room for`);
    const check = checkValue(identity.type, identity.value);
    if (!check.ok) findings.push(`${label} holds a malformed ${identity.type} (${check.why})`);
  }
  return findings;
}
