import { SignetError } from '../i18n/signet-error.js';
import { fieldWords } from '../i18n/field-words.js';

/**
 * What may stand in a name that reaches a certificate subject (issue 16 §6):
 * NFC-normalised text without characters that change how the name is shown
 * rather than what it says. Refused: lone UTF-16 surrogates (not Unicode at
 * all, and not encodable as UTF8String), C0 and C1 controls, bidirectional
 * controls (U+061C, U+200E/F, U+202A–E, U+2066–9: they reorder what a reader
 * sees, e.g. "U+202E" spoofing), and zero-width or invisible joiners and
 * marks (U+200B–D, U+2060–4, U+FEFF, U+180E, U+00AD) that make two names
 * look alike.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

/** The name as stored and certified (NFC), or a 400 naming the field and the first offending code point. */
export function acceptableName(value: string, field: string): string {
  // A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) throw new SignetError('ra.name-not-unicode', 400, { field: fieldWords(field) }, field);
  const normalised = value.normalize('NFC');
  const bad = FORBIDDEN.exec(normalised);
  if (bad) {
    const codePoint = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new SignetError('ra.name-invisible-character', 400, { field: fieldWords(field), codePoint }, field);
  }
  return normalised;
}
