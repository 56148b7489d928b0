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

describe('reading a TimeStampReq, by the shapes clients send (RFC 3161 §2.4.1)', () => {
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

  it.each(shapes)('reads a later query of a known shape exactly as the first was read: %o', (shape) => {
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
      expect(read.nonce ? Buffer.from(read.nonce) : undefined).toEqual(later.n ? Buffer.from(later.n) : undefined);
      // The MessageImprint is the request's own bytes (TSTInfo must carry the same value, §2.4.2).
      const imprint = Buffer.from(AsnConvert.serialize(AsnConvert.parse(later.der, TimeStampReq).messageImprint));
      expect(Buffer.from(read.messageImprintDer)).toEqual(imprint);
      expect(read.hashedMessage).toEqual(Buffer.from(AsnConvert.parse(later.der, TimeStampReq).messageImprint.hashedMessage.buffer));
    }
  });

  it('still refuses what the full reading refuses once the shape of a good query of the same length is known', () => {
    parseTimeStampQuery(query({ hash: 'sha256', nonce: nonce(8), certReq: true }));
    // Same length, version 2: badDataFormat.
    const v2 = query({ hash: 'sha256', nonce: nonce(8), certReq: true, version: 2 });
    expect(() => parseTimeStampQuery(v2)).toThrow(TimeStampRefusal);
    expect(() => parseTimeStampQuery(v2)).toThrow(/badDataFormat/);
    // Same length, certReq FALSE spelt out (BOOLEAN 00 where the known shape has FF): read as false.
    const falseCertReq = query({ hash: 'sha256', nonce: nonce(8), certReq: true });
    expect(falseCertReq.subarray(-3)).toEqual(Buffer.from([0x01, 0x01, 0xff]));
    falseCertReq[falseCertReq.length - 1] = 0x00;
    expect(parseTimeStampQuery(falseCertReq).certReq).toBe(false);
    // Same length, the SEQUENCE one octet shorter than its fields (asn1js alone would read the last one from beyond it).
    const good = query({ hash: 'sha256', nonce: nonce(8), certReq: true });
    const truncated = Buffer.concat([good.subarray(0, 2 + good[1]! - 1), Buffer.from([0])]);
    truncated[1] = good[1]! - 1;
    expect(() => parseTimeStampQuery(truncated)).toThrow(/badDataFormat/);
  });
});
