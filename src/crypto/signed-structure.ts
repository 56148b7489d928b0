import { AsnSerializer } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';

/**
 * Already-encoded DER placed inside an asn1js structure. asn1js's own RawData
 * only returns its bytes, while constructed blocks collect their children
 * through a writer; this passes the bytes to that writer.
 */
class EncodedElement extends asn1js.RawData {
  override toBER(sizeOnly?: boolean, writer?: { write(buffer: ArrayBuffer): void }): ArrayBuffer {
    const bytes = super.toBER(sizeOnly);
    if (!writer) return bytes;
    writer.write(bytes);
    return new ArrayBuffer(0);
  }
}

/** An asn1js node that writes DER encoded elsewhere (by asn1-schema, or signed already) unchanged. */
export function encodedElement(der: Uint8Array | ArrayBuffer): asn1js.AsnType {
  return new EncodedElement({ data: der }) as unknown as asn1js.AsnType;
}

/** Where encodedOnce keeps a value's DER: on the value itself, so nothing outlives it. */
const ENCODING = Symbol('signet.der');

/** The DER of a value marked by encodedOnce (undefined for any other), without an encoder pass. */
export function encodingOf(value: object): Uint8Array | undefined {
  return (value as { [ENCODING]?: Uint8Array })[ENCODING];
}

/** The DER of an asn1-schema value: the bytes it was marked with, else asn1-schema's encoding of it now. */
export function derOf(value: object): Uint8Array {
  return encodingOf(value) ?? new Uint8Array(AsnSerializer.serialize(value));
}

/**
 * Marks an asn1-schema value whose encoding never changes (an issuer's name,
 * a profile's extensions, a certificate carried in a token). asn1-schema's
 * serializer takes any value with toASN/fromASN as already converted
 * (IAsnConvertible), so every structure that contains this value then copies
 * these bytes instead of walking the value by reflection again. The value's
 * fields stay readable (the lint reads them); they must never be changed
 * afterwards.
 */
export function encodedOnce<T extends object>(value: T, der?: Uint8Array | ArrayBuffer): T {
  if (Object.prototype.hasOwnProperty.call(value, ENCODING)) return value;
  const given = der ?? AsnSerializer.serialize(value);
  const bytes = given instanceof Uint8Array ? given : new Uint8Array(given);
  Object.defineProperties(value, {
    [ENCODING]: { value: bytes, enumerable: false },
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
 * The to-be-signed bytes are embedded exactly as they were signed, never
 * re-encoded from objects: what is published is what was signed.
 */
export function encodeSigned(toBeSignedDer: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array): Buffer {
  const sequence = new asn1js.Sequence({
    value: [encodedElement(toBeSignedDer), encodedElement(derOf(algorithm)), new asn1js.BitString({ valueHex: signature })],
  });
  return Buffer.from(sequence.toBER(false));
}
