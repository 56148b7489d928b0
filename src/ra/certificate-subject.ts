import type { SubjectAttributes } from '../ca/subject-name.js';
import type { SubscriberIdentity } from '../ca/subject-identity.js';
import type { IdType } from './identifiers.js';
import type { SubscriberRecord } from './subscribers.js';

/**
 * ETSI EN 319 412-1 §5.1.3 semantics identifiers for a natural person's
 * serialNumber: three-letter type, country, hyphen, number.
 */
const PERSON_ID_PREFIX: Record<IdType, string> = {
  'resident-id': 'IDCCN',
  passport: 'PAS',
  'hk-macao-permit': 'IDCHK',
  'taiwan-permit': 'IDCTW',
  'foreign-permanent-resident': 'IDCCN',
};

/**
 * The certificate subject comes from the record the officer reviewed, never
 * from the request (the CSR only contributes the key). An enterprise carries
 * its name and its USCC as organizationIdentifier in the ETSI EN 319 412-1
 * §5.1.4 form "NTRCN-<USCC>" (national trade register, China); a person
 * carries their name and ID number as serialNumber.
 */
export function subjectFor(record: SubscriberRecord): SubjectAttributes {
  if (record.type === 'enterprise') {
    return {
      countryName: 'CN',
      organizationName: record.name,
      organizationIdentifier: `NTRCN-${record.uscc}`,
      commonName: record.name,
    };
  }
  const prefix = PERSON_ID_PREFIX[record.idType];
  return {
    countryName: 'CN',
    serialNumber: `${prefix}-${record.idNumber}`,
    commonName: record.name,
    emailAddress: record.email,
  };
}

/**
 * The identity number the officer verified (R1: GB 11643 / GB 32100 check
 * characters), for the GM/T 0015 extension the profile names. Documents the
 * GM/T 0015 IdentifyCode has no alternative for (HK/Macao and Taiwan
 * permits, foreign permanent residence) give none; the CA then leaves an
 * optional extension out and refuses a required one.
 */
export function identityFor(record: SubscriberRecord): SubscriberIdentity | undefined {
  if (record.type === 'enterprise') return { type: 'uscc', value: record.uscc };
  if (record.idType === 'resident-id') return { type: 'resident-id', value: record.idNumber };
  if (record.idType === 'passport') return { type: 'passport', value: record.idNumber };
  return undefined;
}

/** Fields whose change changes what the certificate says (R3): then it is revoked and re-issued. */
export function certificateContentChanged(before: SubscriberRecord, after: SubscriberRecord): boolean {
  return JSON.stringify(subjectFor(before)) !== JSON.stringify(subjectFor(after));
}
