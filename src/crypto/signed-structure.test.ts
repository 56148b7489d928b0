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
});
