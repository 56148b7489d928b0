import { SignetError } from '../i18n/signet-error.js';

/**
 * R1: the identifiers a subscriber gives are checked for real, by their own
 * standards' check characters, so a typo is caught at the counter and not in
 * a certificate that lives for a year.
 */

/** GB 11643-1999 §5: the weights are 2^(17-i) mod 11 for positions 1..17. */
const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** ISO 7064 MOD 11-2: the check character for each remainder of the weighted sum. */
const RESIDENT_ID_CHECK = '10X98765432';

/** The check character (0–9 or X) of the first 17 digits of a resident ID. */
export function residentIdCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * RESIDENT_ID_WEIGHTS[i]!;
  return RESIDENT_ID_CHECK[sum % 11]!;
}

/**
 * Validates an 18-character resident identity number (GB 11643): 6-digit
 * address code, 8-digit birth date, 3-digit sequence, check character.
 * Returns it normalised (a lower-case x becomes X).
 */
export function validateResidentId(input: string, field = 'idNumber', now: Date = new Date()): string {
  const value = input.trim().toUpperCase();
  const refuse = (reason: 'format' | 'region' | 'birth-date' | 'check-digit'): never => {
    throw new SignetError(`ra.invalid-resident-id.${reason}`, 400, {}, field);
  };
  if (!/^\d{17}[\dX]$/.test(value)) refuse('format');
  if (value.startsWith('0')) refuse('region');
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day || birth.getTime() > now.getTime()) {
    refuse('birth-date');
  }
  if (residentIdCheckCharacter(value.slice(0, 17)) !== value[17]) refuse('check-digit');
  return value;
}

/** GB 32100-2015: 31 characters, without I, O, S, V and Z. */
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** GB 32100-2015 §4.3: weights 3^(i-1) mod 31 for positions 1..17. */
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of the first 17 characters of a Unified Social Credit Code. */
export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/**
 * Validates a Unified Social Credit Code (GB 32100): registration authority,
 * organisation type, 6-digit region, 9-character organisation code (itself
 * with a GB 11714 check character, not re-checked here), check character.
 */
export function validateUscc(input: string, field = 'uscc'): string {
  const value = input.trim().toUpperCase();
  const refuse = (reason: 'length' | 'alphabet' | 'region' | 'check-character'): never => {
    throw new SignetError(`ra.invalid-uscc.${reason}`, 400, {}, field);
  };
  if (value.length !== 18) refuse('length');
  for (const ch of value) if (!USCC_ALPHABET.includes(ch)) refuse('alphabet');
  if (!/^\d{6}$/.test(value.slice(2, 8))) refuse('region');
  if (usccCheckCharacter(value.slice(0, 17)) !== value[17]) refuse('check-character');
  return value;
}

/** Mainland mobile numbers (11 digits, 1[3-9]…) or an international number with +. */
export function validatePhone(input: string, field = 'phone'): string {
  const value = input.replace(/[\s-]/g, '');
  if (!/^(1[3-9]\d{9}|\+\d{6,15})$/.test(value)) throw new SignetError('ra.invalid-phone', 400, {}, field);
  return value;
}

export function validateEmail(input: string, field = 'email'): string {
  const value = input.trim();
  if (value.length > 254 || !/^[\x21-\x3f\x41-\x7e]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(value)) {
    throw new SignetError('ra.invalid-email', 400, {}, field);
  }
  return value;
}

export const ID_TYPES = ['resident-id', 'passport', 'hk-macao-permit', 'taiwan-permit', 'foreign-permanent-resident'] as const;
export type IdType = (typeof ID_TYPES)[number];

/** Only the resident ID has a public check digit; other documents are checked for shape. */
export function validateIdDocument(type: string, number: string, field = 'idNumber'): { type: IdType; number: string } {
  if (!(ID_TYPES as readonly string[]).includes(type)) {
    throw new SignetError('ra.invalid-id-type', 400, { known: ID_TYPES.join(', ') }, field.replace(/idNumber$/, 'idType'));
  }
  if (type === 'resident-id') return { type, number: validateResidentId(number, field) };
  const value = number.trim().toUpperCase();
  if (!/^[A-Z0-9]{5,20}$/.test(value)) throw new SignetError('ra.invalid-id-number', 400, {}, field);
  return { type: type as IdType, number: value };
}
