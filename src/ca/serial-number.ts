import { SignetError } from '../i18n/signet-error.js';

/** Accepts 5C:AB:…, 0x5cab…, 5CAB…; returns the lowercase form the store uses. */
export function normaliseSerial(input: string): string {
  const hex = input.trim().replace(/^0x/i, '').replace(/[:\s-]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || hex.length > 42) {
    throw new SignetError('certificate.bad-serial', 400, { serial: input.slice(0, 64) }, 'serial');
  }
  const stripped = hex.replace(/^0+/, '');
  return stripped.length % 2 === 1 ? `0${stripped}` : stripped || '00';
}
