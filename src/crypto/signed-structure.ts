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

/**
 * X.509's SIGNED{ToBeSigned} (Certificate, CertificateList):
 *   SEQUENCE { toBeSigned, signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * The to-be-signed bytes are embedded exactly as they were signed (asn1js
 * RawData), never re-encoded from objects: what is published is what was signed.
 */
export function encodeSigned(toBeSignedDer: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array): Buffer {
  const sequence = new asn1js.Sequence({
    value: [
      new EncodedElement({ data: toBeSignedDer }) as unknown as asn1js.AsnType,
      AsnSerializer.toASN(algorithm),
      new asn1js.BitString({ valueHex: signature }),
    ],
  });
  return Buffer.from(sequence.toBER(false));
}
