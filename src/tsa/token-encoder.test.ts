import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { checkDer } from '../crypto/strict-der.js';
import { generalizedTime, integerContents, oidContents } from './token-encoder.js';

/** The few value encodings the token writer makes itself (token-encoder.ts), against asn1js and the DER rules (X.690). */
describe('token value encodings (X.690 §8.3, §8.19, §11.7)', () => {
  it('writes OBJECT IDENTIFIERs as asn1js does, including arcs past 127 under 2 and past 2^53', () => {
    for (const oid of ['1.3.6.1.4.1.32473.1.9.1', '2.999.1.9.1', '2.16.840.1.101.3.4.2.1', '1.2.156.10197.1.401', '2.25.329800735698586629295641978511506172918.9.1', '0.9.2342.19200300.100.1.25']) {
      const ours = oidContents(oid);
      const theirs = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).valueBlock.toBER(false));
      expect(ours.toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
      expect(() => checkDer(Buffer.concat([Buffer.from([6, ours.length]), ours]))).not.toThrow();
    }
    for (const bad of ['', '3.1', '1', '1.02.3', '1..2', '1.2.x']) expect(() => oidContents(bad)).toThrow(RangeError);
  });

  it('writes GeneralizedTime in UTC with the fraction cut at its last non-zero digit, and no fraction for whole seconds', () => {
    const cases: Array<[string, string]> = [
      ['2026-06-01T00:00:00.000Z', '20260601000000Z'],
      ['2026-06-01T00:00:00.500Z', '20260601000000.5Z'],
      ['2026-06-01T23:59:59.120Z', '20260601235959.12Z'],
      ['2026-06-01T23:59:59.123Z', '20260601235959.123Z'],
      ['0999-01-02T03:04:05.006Z', '09990102030405.006Z'],
    ];
    for (const [iso, text] of cases) {
      const contents = generalizedTime(new Date(iso));
      expect(contents.toString('latin1')).toBe(text);
      expect(() => checkDer(Buffer.concat([Buffer.from([0x18, contents.length]), contents]))).not.toThrow();
    }
    expect(() => generalizedTime(new Date('+010000-01-01T00:00:00Z'))).toThrow(RangeError);
  });

  it('writes non-negative INTEGER contents minimally, a 00 before a high bit, and refuses a negative value', () => {
    expect(Buffer.from(integerContents(0n)).toString('hex')).toBe('00');
    expect(Buffer.from(integerContents(0x7fn)).toString('hex')).toBe('7f');
    expect(Buffer.from(integerContents(0x80n)).toString('hex')).toBe('0080');
    expect(Buffer.from(integerContents(0x1234n)).toString('hex')).toBe('1234');
    expect(() => integerContents(-1n)).toThrow(RangeError);
  });
});
