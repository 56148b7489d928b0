import { AsnSerializer } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { bitString, encodedElement, fill, layout, sequence, Slot, type Layout } from './der-layout.js';

const encodings = new WeakMap<object, Uint8Array>();

/** The DER of a value marked by encodedOnce (undefined for any other), without an encoder pass. */
export function encodingOf(value: object): Uint8Array | undefined {
  return encodings.get(value);
}

/** The DER of an asn1-schema value: the bytes it was marked with, else asn1-schema's encoding of it now. */
export function derOf(value: object): Uint8Array {
  return encodings.get(value) ?? new Uint8Array(AsnSerializer.serialize(value));
}

/**
 * Marks an asn1-schema value whose encoding never changes (an issuer's name,
 * a profile's extensions, a key already received as DER). asn1-schema's
 * serializer takes any value with toASN/fromASN as already converted, so
 * every structure that contains this value then copies these bytes instead
 * of walking the value by reflection again. The value's fields stay readable
 * (the lint reads them); they must never be changed afterwards.
 */
export function encodedOnce<T extends object>(value: T, der?: Uint8Array | ArrayBuffer): T {
  if (Object.prototype.hasOwnProperty.call(value, 'toASN')) return value;
  const bytes = der ?? AsnSerializer.serialize(value);
  encodings.set(value, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  Object.defineProperties(value, {
    toASN: { value: () => encodedElement(bytes), enumerable: false },
    fromASN: {
      value: () => {
        throw new Error('a value encoded once is never parsed into');
      },
      enumerable: false,
    },
  });
  return value;
}

/**
 * X.509's SIGNED{ToBeSigned} (Certificate, CertificateList):
 *   SEQUENCE { toBeSigned, signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * The to-be-signed bytes are embedded exactly as they were signed (asn1js
 * RawData), never re-encoded from objects: what is published is what was signed.
 */
export function encodeSigned(toBeSignedDer: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array): Buffer {
  const algorithmDer = derOf(algorithm);
  const values = { toBeSigned: toBeSignedDer, signatureAlgorithm: algorithmDer, signature };
  // Certificates of one issuer share a handful of lengths: asn1js lays each out once (der-layout.ts).
  const key = `${toBeSignedDer.length}|${signature.length}|${Buffer.from(algorithmDer).toString('latin1')}`;
  const known = signedLayouts.get(key);
  if (known) return fill(known, values);
  const shape = layout(
    sequence([new Slot('toBeSigned', toBeSignedDer.length), new Slot('signatureAlgorithm', algorithmDer.length), bitString(new Slot('signature', signature.length))]),
  );
  const filled = fill(shape, values);
  if (!filled.equals(encodeSignedTree(toBeSignedDer, algorithm, signature))) throw new Error('SIGNED layout: the filled layout differs from asn1js');
  if (signedLayouts.size >= 256) signedLayouts.clear();
  signedLayouts.set(key, shape);
  return filled;
}

const signedLayouts = new Map<string, Layout>();

/** The same, as an asn1js tree: what a new layout is checked against. */
function encodeSignedTree(toBeSignedDer: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array): Buffer {
  const sequence = new asn1js.Sequence({
    value: [
      encodedElement(toBeSignedDer),
      AsnSerializer.toASN(algorithm),
      new asn1js.BitString({ valueHex: signature }),
    ],
  });
  return Buffer.from(sequence.toBER(false));
}
