import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq, type TimeStampReqVersion } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { HASH_OID, type HashName } from '../crypto/algorithms.js';
import { parseTimeStampQuery, TimeStampRefusal } from './time-stamp-query.js';

function query(options: { hash: HashName; nonce?: Uint8Array; certReq?: boolean; policy?: string; version?: number; digest?: Uint8Array }): Buffer {
  return Buffer.from(
    AsnConvert.serialize(
      new TimeStampReq({
        version: (options.version ?? 1) as TimeStampReqVersion,
        messageImprint: new MessageImprint({
          hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[options.hash] }),
          hashedMessage: new OctetString(options.digest ?? createHash(options.hash).update(randomBytes(16)).digest()),
        }),
        ...(options.policy ? { reqPolicy: options.policy } : {}),
        ...(options.nonce ? { nonce: new Uint8Array(options.nonce).buffer } : {}),
        ...(options.certReq !== undefined ? { certReq: options.certReq } : {}),
      }),
    ),
  );
}

/** A positive nonce of n octets, minimal: first octet 0x01–0x7f, or 0x00 before a high octet. */
function nonce(n: number, highBit = false): Uint8Array {
  const bytes = randomBytes(n);
  if (highBit && n > 1) {
    bytes[0] = 0x00;
    bytes[1] = bytes[1]! | 0x80;
  } else {
    bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  }
  return bytes;
}

describe('reading a TimeStampReq (RFC 3161 §2.4.1)', () => {
  const shapes = [
    ...(['sha256', 'sha384', 'sha512'] as const).flatMap((hash) => [
      { hash, nonce: 8, certReq: true },
      { hash, certReq: false },
      { hash },
    ]),
    { hash: 'sha256' as const, nonce: 1 },
    { hash: 'sha256' as const, nonce: 20, highBit: true, certReq: true },
    { hash: 'sha256' as const, nonce: 32, certReq: true, policy: '1.2.156.112562.9.1' },
  ];

  it.each(shapes)('reads every query of the shapes clients send by its values: %o', (shape) => {
    const make = () => {
      const n = shape.nonce ? nonce(shape.nonce, 'highBit' in shape && shape.highBit) : undefined;
      return { n, der: query({ hash: shape.hash, nonce: n, certReq: shape.certReq, policy: 'policy' in shape ? shape.policy : undefined }) };
    };
    const first = make();
    const learned = parseTimeStampQuery(first.der);
    for (let i = 0; i < 3; i++) {
      const later = make();
      const read = parseTimeStampQuery(later.der);
      expect(read.hash).toBe(shape.hash);
      expect(read.certReq).toBe(shape.certReq ?? false);
      expect(read.reqPolicy).toBe(learned.reqPolicy);
      expect(read.nonce).toEqual(later.n ? BigInt(`0x${Buffer.from(later.n).toString('hex')}`) : undefined);
      // The imprint is read as values; whether the parameters were NULL is one of them (TSTInfo must carry the same value, §2.4.2).
      expect(read.nullParameters).toBe(AsnConvert.parse(later.der, TimeStampReq).messageImprint.hashAlgorithm.parameters != null);
      expect(read.hashedMessage).toEqual(Buffer.from(AsnConvert.parse(later.der, TimeStampReq).messageImprint.hashedMessage.buffer));
    }
  });

  it('refuses what is not DER, a negative nonce, and certReq FALSE written out, as badDataFormat (RFC 3161 §2.4.1, §3.4)', () => {
    const refusal = (der: Uint8Array) => {
      try {
        parseTimeStampQuery(der);
        return 'accepted';
      } catch (error) {
        return `${(error as TimeStampRefusal).failure} ${(error as TimeStampRefusal).code} ${JSON.stringify((error as TimeStampRefusal).params)}`;
      }
    };
    // The nonce INTEGER 02 01 01 written 02 02 00 01 (what made OpenSSL say "illegal padding"), lengths adjusted.
    const good = query({ hash: 'sha256', nonce: Uint8Array.of(1) });
    expect(good.subarray(-3)).toEqual(Buffer.from([0x02, 0x01, 0x01]));
    const padded = Buffer.concat([Buffer.from([0x30, good[1]! + 1]), good.subarray(2, -3), Buffer.from([0x02, 0x02, 0x00, 0x01])]);
    expect(refusal(padded)).toMatch(/^badDataFormat tsa.bad-data-format .*INTEGER at offset \d+: not minimal/);
    expect(refusal(query({ hash: 'sha256', nonce: Uint8Array.of(0xff, 0x01) }))).toBe('badDataFormat tsa.negative-nonce {}');
    // The imprint's header in the long form: it would have landed in TSTInfo as sent.
    const imprintAt = 5;
    expect(good[imprintAt]).toBe(0x30);
    const longImprint = Buffer.concat([Buffer.from([0x30, good[1]! + 1]), good.subarray(2, imprintAt), Buffer.from([0x30, 0x81]), good.subarray(imprintAt + 1)]);
    expect(refusal(longImprint)).toMatch(/long-form length \d+ at offset 6/);
    expect(refusal(query({ hash: 'sha256', certReq: false }))).toBe('accepted'); // asn1-schema leaves the DEFAULT out
    const falseCertReq = query({ hash: 'sha256', certReq: true });
    falseCertReq[falseCertReq.length - 1] = 0x00;
    expect(refusal(falseCertReq)).toMatch(/certReq FALSE written out/);
    expect(refusal(Buffer.concat([good, Buffer.from([0])]))).toMatch(/1 byte after the request/);
  });

  it('reads OIDs exactly at any arc size, and takes INTEGER for INTEGER only (X.690 §8.19, §8.3)', () => {
    // A 128-bit arc (2.25 UUID) and one past 2^53: read digit for digit, not through a float.
    for (const policy of ['2.25.329800735698586629295641978511506172918.9.1', '2.999.12345678901234567890.1']) {
      expect(parseTimeStampQuery(query({ hash: 'sha256', policy })).reqPolicy).toBe(policy);
    }
    // version written as ENUMERATED (tag 10) instead of INTEGER: asn1js took it for an INTEGER; it is refused.
    const good = query({ hash: 'sha256' });
    expect(good.subarray(2, 5)).toEqual(Buffer.from([0x02, 0x01, 0x01]));
    const enumerated = Buffer.from(good);
    enumerated[2] = 0x0a;
    expect(() => parseTimeStampQuery(enumerated)).toThrow(/badDataFormat/);
    try {
      parseTimeStampQuery(enumerated);
    } catch (error) {
      expect((error as TimeStampRefusal).params).toEqual({ detail: 'version is not an INTEGER' });
    }
  });
});
