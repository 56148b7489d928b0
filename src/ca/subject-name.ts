import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { SignetError } from '../i18n/signet-error.js';
import { SUBJECT_FIELDS, type CertificateProfile, type SubjectField } from './profiles.js';

/** The subject as the RA verified it: one value per field, in any order. */
export type SubjectAttributes = Partial<Record<SubjectField, string>>;

const FIELD_OID: Record<SubjectField, string> = {
  countryName: '2.5.4.6',
  stateOrProvinceName: '2.5.4.8',
  localityName: '2.5.4.7',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  organizationIdentifier: '2.5.4.97',
  serialNumber: '2.5.4.5',
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
};

/** RFC 5280 Appendix A upper bounds (ub-*), in characters. */
const UPPER_BOUND: Record<SubjectField, number> = {
  countryName: 2,
  stateOrProvinceName: 128,
  localityName: 128,
  organizationName: 64,
  organizationalUnitName: 64,
  organizationIdentifier: 64,
  serialNumber: 64,
  commonName: 64,
  emailAddress: 255,
};

const SHORT_NAMES: Record<string, SubjectField> = {
  C: 'countryName',
  ST: 'stateOrProvinceName',
  L: 'localityName',
  O: 'organizationName',
  OU: 'organizationalUnitName',
  CN: 'commonName',
  E: 'emailAddress',
  EMAILADDRESS: 'emailAddress',
  SERIALNUMBER: 'serialNumber',
  ORGANIZATIONIDENTIFIER: 'organizationIdentifier',
};

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Parses an RFC 4514 string ("CN=张三,O=示例有限公司,C=CN") with @peculiar/x509's parser. */
export function parseDistinguishedName(dn: string): SubjectAttributes {
  let json: Array<Record<string, string[]>>;
  try {
    json = new x509.Name(dn, {
      serialNumber: FIELD_OID.serialNumber,
      organizationIdentifier: FIELD_OID.organizationIdentifier,
      emailAddress: FIELD_OID.emailAddress,
    }).toJSON();
  } catch (error) {
    throw new SignetError('request.subject-unparsable', 400, { detail: (error as Error).message }, 'subject');
  }
  const attributes: SubjectAttributes = {};
  for (const rdn of json) {
    for (const [type, values] of Object.entries(rdn)) {
      const field: SubjectField | undefined =
        SHORT_NAMES[type.toUpperCase()] ??
        SUBJECT_FIELDS.find((f) => f === type || FIELD_OID[f] === type);
      if (!field) {
        throw new SignetError('request.subject-unparsable', 400, { detail: `attribute ${type} is not supported` }, 'subject');
      }
      if (attributes[field] !== undefined || values.length !== 1) {
        throw new SignetError('request.subject-unparsable', 400, { detail: `${type} appears more than once` }, 'subject');
      }
      attributes[field] = values[0];
    }
  }
  if (Object.keys(attributes).length === 0) {
    throw new SignetError('request.subject-unparsable', 400, { detail: 'empty subject' }, 'subject');
  }
  return attributes;
}

/**
 * Builds the subject Name from RA-verified data, checked against the profile.
 * Encoding (RFC 5280 §4.1.2.6, Appendix A): countryName and serialNumber are
 * PrintableString, emailAddress IA5String, everything else UTF8String, so that
 * Chinese names and addresses travel intact. RDNs go in one fixed order,
 * country first, whatever order the caller used.
 */
export function buildSubjectName(attributes: SubjectAttributes, profile: CertificateProfile): Name {
  const problem = (detail: string, field?: string): never => {
    throw new SignetError('request.subject-invalid', 400, { profile: profile.id, detail }, field ? `subject.${field}` : 'subject');
  };
  const allowed = new Set<string>([...profile.subject.required, ...profile.subject.optional]);
  for (const [field, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (!allowed.has(field)) problem(`${field} is not allowed in this profile`, field);
  }
  for (const field of profile.subject.required) {
    if (!attributes[field]?.trim()) problem(`${field} is required`, field);
  }
  const rdns: RelativeDistinguishedName[] = [];
  for (const field of SUBJECT_FIELDS) {
    const raw = attributes[field];
    if (raw === undefined) continue;
    const value = raw.normalize('NFC').trim();
    if (!value) problem(`${field} is empty`, field);
    if ([...value].length > UPPER_BOUND[field]) problem(`${field} is longer than ${UPPER_BOUND[field]} characters`, field);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\u0000-\u001f\u007f]/.test(value)) problem(`${field} contains control characters`, field);
    let encoded: AttributeValue;
    if (field === 'countryName') {
      if (!/^[A-Z]{2}$/.test(value)) problem('countryName must be a two-letter ISO 3166 code such as CN', field);
      encoded = new AttributeValue({ printableString: value });
    } else if (field === 'serialNumber') {
      if (!PRINTABLE.test(value)) problem('serialNumber may hold only PrintableString characters', field);
      encoded = new AttributeValue({ printableString: value });
    } else if (field === 'emailAddress') {
      if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(value)) problem('emailAddress is not an ASCII e-mail address', field);
      encoded = new AttributeValue({ ia5String: value });
    } else {
      encoded = new AttributeValue({ utf8String: value });
    }
    rdns.push(new RelativeDistinguishedName([new AttributeTypeAndValue({ type: FIELD_OID[field], value: encoded })]));
  }
  if (rdns.length === 0 && profile.subject.required.length > 0) problem('the subject is empty');
  return new Name(rdns);
}

/** "C=CN, O=示例有限公司, CN=张三": for display and search, never for re-encoding. */
export function describeName(name: Name): string {
  return new x509.Name(name, {
    serialNumber: FIELD_OID.serialNumber,
    organizationIdentifier: FIELD_OID.organizationIdentifier,
  }).toString();
}
