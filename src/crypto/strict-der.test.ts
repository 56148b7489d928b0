import { describe, expect, it } from 'vitest';
import { checkDer, DerError } from './strict-der.js';

/** One primitive universal value: tag, short-form length, contents (X.690 §8.1). */
const tlv = (tag: number, contents: number[] | string) => {
  const bytes = typeof contents === 'string' ? [...Buffer.from(contents, 'latin1')] : contents;
  return new Uint8Array([tag, bytes.length, ...bytes]);
};

const refusal = (bytes: Uint8Array): string | undefined => {
  try {
    checkDer(bytes);
    return undefined;
  } catch (error) {
    if (error instanceof DerError) return error.reason;
    throw error;
  }
};

// X.690 §10–11 (DER) for the contents of each universal type strict-der.ts checks.
describe('strict DER contents rules (X.690 §8, §10, §11)', () => {
  it.each([
    ['BOOLEAN TRUE as FF', tlv(0x01, [0xff])],
    ['INTEGER 127', tlv(0x02, [0x7f])],
    ['INTEGER 128 with its sign octet', tlv(0x02, [0x00, 0x80])],
    ['INTEGER -1', tlv(0x02, [0xff])],
    ['BIT STRING with 3 zero unused bits', tlv(0x03, [0x03, 0xf8])],
    ['NULL', tlv(0x05, [])],
    ['OBJECT IDENTIFIER 1.2.840.113549', tlv(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d])],
    ['UTF8String 例子', tlv(0x0c, [...Buffer.from('例子', 'utf8')])],
    ["PrintableString A-z 0-9 '()+,-./:=?", tlv(0x13, "Az09 '()+,-./:=?")],
    ['IA5String', tlv(0x16, 'a@b.example')],
    ['UTCTime', tlv(0x17, '261206000000Z')],
    ['GeneralizedTime', tlv(0x18, '20261206000000Z')],
    ['GeneralizedTime with a fraction', tlv(0x18, '20261206000000.125Z')],
    ['BMPString', tlv(0x1e, [0x00, 0x41])],
  ])('accepts %s', (_label, bytes) => {
    expect(refusal(bytes)).toBeUndefined();
  });

  it.each([
    ['BOOLEAN TRUE as 01', tlv(0x01, [0x01]), 'DER writes FALSE as 00 and TRUE as FF'],
    ['an empty INTEGER', tlv(0x02, []), 'empty'],
    ['INTEGER 1 padded with 00', tlv(0x02, [0x00, 0x01]), 'not minimal'],
    ['INTEGER -1 padded with FF', tlv(0x02, [0xff, 0xff]), 'not minimal'],
    ['BIT STRING with 8 unused bits', tlv(0x03, [0x08, 0x00]), '8 unused bits'],
    ['BIT STRING with set unused bits', tlv(0x03, [0x01, 0x01]), 'unused bits not zero'],
    ['NULL with contents', tlv(0x05, [0x00]), 'not empty'],
    ['OID sub-identifier 80 01', tlv(0x06, [0x2a, 0x80, 0x01]), 'leading zero digit'],
    ['OID cut short', tlv(0x06, [0x2a, 0x86]), 'cut short'],
    ['UTF8String with a lone continuation octet', tlv(0x0c, [0x41, 0x80]), 'not UTF-8'],
    ['PrintableString with @', tlv(0x13, 'a@b'), 'outside PrintableString'],
    ['PrintableString with _', tlv(0x13, 'a_b'), 'outside PrintableString'],
    ['IA5String with an octet above 7F', tlv(0x16, [0x41, 0xe9]), 'outside IA5String'],
    ['UTCTime without seconds', tlv(0x17, '2612060000Z'), 'YYMMDDHHMMSSZ'],
    ['UTCTime with an offset', tlv(0x17, '261206000000+0800'), 'YYMMDDHHMMSSZ'],
    ['UTCTime with a letter', tlv(0x17, '26120600000aZ'), 'YYMMDDHHMMSSZ'],
    ['GeneralizedTime with a trailing 0 in the fraction', tlv(0x18, '20261206000000.10Z'), 'no trailing zeros'],
    ['GeneralizedTime with an empty fraction', tlv(0x18, '20261206000000.Z'), 'no trailing zeros'],
    ['GeneralizedTime with a comma', tlv(0x18, '20261206000000,5Z'), 'no trailing zeros'],
    ['GeneralizedTime without Z', tlv(0x18, '20261206000000'), 'no trailing zeros'],
    ['BMPString of odd length', tlv(0x1e, [0x00]), 'odd length'],
    ['UniversalString of 3 octets', tlv(0x1c, [0, 0, 0x41]), 'multiple of 4'],
    ['a constructed OCTET STRING', new Uint8Array([0x24, 0x03, 0x04, 0x01, 0x00]), 'constructed (BER, not DER)'],
    ['a primitive SEQUENCE', new Uint8Array([0x10, 0x00]), 'must be constructed'],
  ])('refuses %s', (_label, bytes, reason) => {
    expect(refusal(bytes)).toContain(reason);
  });

  it('names the type and the offset of the value it refuses', () => {
    const inner = tlv(0x13, 'a@b');
    expect(refusal(new Uint8Array([0x30, inner.length, ...inner]))).toBe('PrintableString at offset 2: character outside PrintableString');
  });
});
