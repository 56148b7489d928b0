import { describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { generateSoftwareKey } from './software-signer.js';
import { encodeSigned } from './signed-structure.js';

describe('SIGNED{ToBeSigned} encoding (RFC 5280 §4.1)', () => {
  it('embeds the signed bytes untouched and parses back as the same certificate', async () => {
    const signer = generateSoftwareKey('ecdsa-p256');
    // Any DER SEQUENCE stands for the TBS; the encoder must not look inside.
    const toBeSigned = Buffer.from('300d020101300806062a864886f70d', 'hex');
    const signature = await signer.sign(toBeSigned);
    const der = encodeSigned(toBeSigned, signer.signatureAlgorithm, signature);
    expect(der.subarray(2, 2 + toBeSigned.length).equals(toBeSigned)).toBe(true);
    expect(der[0]).toBe(0x30);
    expect(der[1]).toBe(der.length - 2);
    const algorithm = Buffer.from(AsnConvert.serialize(signer.signatureAlgorithm));
    expect(der.subarray(2 + toBeSigned.length, 2 + toBeSigned.length + algorithm.length).equals(algorithm)).toBe(true);
  });

  it('produces what the certificate schema re-serialises byte for byte', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    // A certificate made by OpenSSL, re-assembled from its parts.
    const pem = readFileSync(join(import.meta.dirname, 'test-support', 'openssl-ed25519.pem'), 'utf8');
    const original = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const parsed = AsnConvert.parse(original, Certificate);
    const rebuilt = encodeSigned(new Uint8Array(parsed.tbsCertificateRaw!), parsed.signatureAlgorithm, new Uint8Array(parsed.signatureValue));
    expect(rebuilt.equals(original)).toBe(true);
  });

  it('gives the same bytes from a layout already made as from the first use, at every length form', async () => {
    const { randomBytes } = await import('node:crypto');
    const signer = generateSoftwareKey('ecdsa-p256');
    const algorithm = Buffer.from(AsnConvert.serialize(signer.signatureAlgorithm));
    // Short, one-octet and two-octet DER lengths for the whole (X.690 §8.1.3).
    for (const length of [20, 150, 300, 70_000]) {
      for (let use = 0; use < 3; use++) {
        const content = randomBytes(length);
        const toBeSigned = Buffer.concat([Buffer.from([0x04]), derLength(length), content]);
        const signature = randomBytes(71);
        const der = encodeSigned(toBeSigned, signer.signatureAlgorithm, signature);
        const body = Buffer.concat([toBeSigned, algorithm, Buffer.from([0x03]), derLength(signature.length + 1), Buffer.from([0x00]), signature]);
        expect(der.equals(Buffer.concat([Buffer.from([0x30]), derLength(body.length), body])), `length ${length} use ${use}`).toBe(true);
      }
    }
  });
});

/** X.690 §8.1.3 definite length, written out for the expected values only. */
function derLength(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}
