/**
 * PKCS#10 requests whose key is spelled the way a hostile or careless client
 * spells it (issue 15): the bytes are put together here by hand, precisely so
 * that no encoder tidies them, and signed for real so that only the spelling
 * is wrong.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { OID } from '../../crypto/algorithms.js';

/** One DER TLV (short or long-form length as DER wants it) around contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

/** An INTEGER from unsigned big-endian octets, minimal unless told otherwise. */
export function integer(unsigned: Uint8Array, padded = false): Buffer {
  let value = Buffer.from(unsigned);
  while (value.length > 1 && value[0] === 0 && !(value[1]! & 0x80)) value = value.subarray(1);
  if (value[0]! & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
  if (padded) value = Buffer.concat([Buffer.from([0]), value]);
  return tlv(0x02, value);
}

export const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(BigInt);
  const arcs = [a! * 40n + b!, ...rest];
  const out: number[] = [];
  for (const arc of arcs) {
    const digits = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) digits.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...digits);
  }
  return tlv(0x06, Buffer.from(out));
};

export const NULL = Buffer.from([0x05, 0x00]);
export const bitString = (contents: Uint8Array, unused = 0) => tlv(0x03, Buffer.from([unused]), contents);

/** CertificationRequest around the given SubjectPublicKeyInfo bytes, signed by the key (RFC 2986 §4). */
export function requestWithKeyBytes(spki: Uint8Array, privateKey: KeyObject, commonName = 'crafted'): Buffer {
  const name = tlv(0x30, tlv(0x31, tlv(0x30, oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))));
  const info = tlv(0x30, integer(Buffer.from([0])), name, spki, Buffer.from([0xa0, 0x00]));
  const type = privateKey.asymmetricKeyType;
  const [hash, algorithm] = type === 'rsa' ? ['sha256', tlv(0x30, oid(OID.sha256WithRSA), NULL)] : ['sha256', tlv(0x30, oid(OID.ecdsaWithSha256))];
  const signature = sign(hash, info, privateKey);
  return tlv(0x30, info, algorithm, bitString(signature));
}

export interface KeySpellings {
  privateKey: KeyObject;
  /** The key as OpenSSL writes it: the canonical form. */
  canonical: Buffer;
  spellings: Record<string, Buffer>;
}

/** A P-256 key and the ways its SubjectPublicKeyInfo can be spelled. */
export function p256Spellings(): KeySpellings {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const algorithm = tlv(0x30, oid(OID.ecPublicKey), oid(OID.secp256r1));
  const withPoint = (point: Uint8Array) => tlv(0x30, algorithm, bitString(point));
  return {
    privateKey,
    canonical: publicKey.export({ type: 'spki', format: 'der' }),
    spellings: {
      compressed: withPoint(Buffer.concat([Buffer.from([0x02 | (y[31]! & 1)]), x])),
      hybrid: withPoint(Buffer.concat([Buffer.from([0x06 | (y[31]! & 1)]), x, y])),
    },
  };
}

/** An RSA-2048 key and the ways its SubjectPublicKeyInfo can be spelled (RFC 3279 §2.3.1 is the canonical one). */
export function rsaSpellings(): KeySpellings {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = Buffer.from(jwk.n!, 'base64url');
  const e = Buffer.from(jwk.e!, 'base64url');
  const spki = (parameters: Buffer[], key: Buffer) => tlv(0x30, tlv(0x30, oid(OID.rsaEncryption), ...parameters), bitString(key));
  const rsaKey = (...parts: Buffer[]) => tlv(0x30, ...parts);
  const longFormExponent = Buffer.concat([Buffer.from([0x02, 0x81, e.length]), e]);
  return {
    privateKey,
    canonical: publicKey.export({ type: 'spki', format: 'der' }),
    spellings: {
      'without NULL parameters': spki([], rsaKey(integer(n), integer(e))),
      'modulus with a spare leading 00': spki([NULL], rsaKey(integer(n, true), integer(e))),
      'exponent with a long-form length': spki([NULL], rsaKey(integer(n), longFormExponent)),
      'bytes after the RSAPublicKey': spki([NULL], Buffer.concat([rsaKey(integer(n), integer(e)), Buffer.from([0x00, 0x00])])),
      'parameters other than NULL': spki([oid('1.2.3.4')], rsaKey(integer(n), integer(e))),
    },
  };
}
