import { describe, expect, it } from 'vitest';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { sm3 } from 'sm-crypto-v2';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Certificate, Name, RelativeDistinguishedName, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from '@peculiar/asn1-x509';
import { DEFAULT_SM2_ID, SM2_ORDER } from './sm2-key.js';
import { Sm2Signer } from './sm2-signer.js';
import { sm2CurveGenerator, verifySm2Signature, verifySm3WithSm2 } from './sm2-verifier.js';
import { signatureAlgorithmIdentifier } from './algorithms.js';

/**
 * Issue 18 item 3: can node:crypto (Node 24, OpenSSL 3.5) sign and verify SM2
 * with the signer's distinguishing ID, so Signet could drop the pure-JS path?
 * Not yet; these tests pin why (docs/sm2-and-dual-certificates.md, "Why not
 * node:crypto"). When one of them fails after a Node or OpenSSL upgrade, the
 * finding has changed: read that section again, it may be time to move SM2
 * to node:crypto.
 */

const MESSAGE = Buffer.from('TBSCertList stand-in: 国密 SM2 签名');
const CUSTOM_ID = 'SIGNET-SM2-CA-0001@example.cn';
const SM3_WITH_SM2 = signatureAlgorithmIdentifier('sm2', 'sm3');

function spkiDer(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

/** ECDSA verification (SEC 1 §4.1.4) over the SM2 curve with e = SM3(M): no Z_A, ECDSA's equation, not SM2's. */
function ecdsaWithSm3Verifies(spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const der = Buffer.from(signature);
  const rLength = der[3]!;
  const r = BigInt(`0x${der.subarray(4, 4 + rLength).toString('hex')}`);
  const s = BigInt(`0x${der.subarray(6 + rLength).toString('hex')}`);
  const e = BigInt(`0x${sm3(new Uint8Array(message))}`) % SM2_ORDER;
  const inverse = (a: bigint): bigint => {
    let [t, next, remainder, nextRemainder] = [0n, 1n, SM2_ORDER, a % SM2_ORDER];
    while (nextRemainder !== 0n) {
      const q = remainder / nextRemainder;
      [t, next] = [next, t - q * next];
      [remainder, nextRemainder] = [nextRemainder, remainder - q * nextRemainder];
    }
    return ((t % SM2_ORDER) + SM2_ORDER) % SM2_ORDER;
  };
  const w = inverse(s);
  const Point = sm2CurveGenerator.constructor as unknown as { fromHex(hex: string): typeof sm2CurveGenerator };
  const publicPoint = Point.fromHex(Buffer.from(spki.subarray(spki.length - 65)).toString('hex'));
  const sum = sm2CurveGenerator.multiplyAndAddUnsafe(publicPoint, (e * w) % SM2_ORDER, (r * w) % SM2_ORDER);
  return sum !== undefined && sum.toAffine().x % SM2_ORDER === r;
}

describe('node:crypto and SM2 with the distinguishing ID (GB/T 32918.2 §6–7, GM/T 0009 §10): pinned findings', () => {
  it('a key node:crypto generates on the SM2 curve is an EC key: sign("sm3") makes ECDSA with SM3, which is not an SM2 signature under any ID', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    expect(privateKey.asymmetricKeyType).toBe('ec');
    const signature = sign('sm3', MESSAGE, privateKey);
    const spki = spkiDer(publicKey);
    expect(ecdsaWithSm3Verifies(spki, MESSAGE, signature), 'node:crypto no longer makes ECDSA with a generated SM2-curve key').toBe(true);
    for (const id of [DEFAULT_SM2_ID, '']) expect(verifySm2Signature(spki, MESSAGE, signature, id)).toBe(false);
  });

  it('an SM2 key read from DER (PKCS#8, SPKI) is OpenSSL’s SM2 type, and it signs SM2 with an EMPTY ID only', () => {
    const ours = Sm2Signer.generate({ distinguishingId: CUSTOM_ID });
    const privateKey = createPrivateKey({ key: ours.exportPkcs8(), format: 'der', type: 'pkcs8' });
    // Node has no name for OpenSSL's EVP_PKEY_SM2.
    expect(privateKey.asymmetricKeyType).toBeUndefined();
    const signature = sign('sm3', MESSAGE, privateKey);
    expect(verifySm2Signature(ours.publicKeyInfo, MESSAGE, signature, '')).toBe(true);
    expect(verifySm2Signature(ours.publicKeyInfo, MESSAGE, signature, DEFAULT_SM2_ID), 'node:crypto now signs SM2 with the GM/T 0009 default ID').toBe(false);
    expect(verifySm2Signature(ours.publicKeyInfo, MESSAGE, signature, CUSTOM_ID), 'node:crypto now signs with the ID kept in the key').toBe(false);
    // Which Signet refuses by name: GM/T 0009 does not allow an empty ID.
    expect(verifySm3WithSm2(ours.publicKeyInfo, SM3_WITH_SM2, MESSAGE, signature)).toEqual({ ok: false, reason: expect.stringMatching(/empty distinguishing ID/) });
  });

  it('verify("sm3") accepts only empty-ID SM2 signatures: it refuses those made with the default or a configured ID', () => {
    for (const id of [DEFAULT_SM2_ID, CUSTOM_ID]) {
      const signer = Sm2Signer.generate({ distinguishingId: id });
      const publicKey = createPublicKey({ key: Buffer.from(signer.publicKeyInfo), format: 'der', type: 'spki' });
      const signature = signer.signSync(MESSAGE);
      expect(verifySm2Signature(signer.publicKeyInfo, MESSAGE, signature, id)).toBe(true);
      expect(verify('sm3', MESSAGE, publicKey, signature), `node:crypto now verifies SM2 signatures made with ID ${id}`).toBe(false);
    }
  });

  it('offers no way to give the ID: the one per-signature parameter it has (context) is refused for SM2, other options are ignored', () => {
    const privateKey = createPrivateKey({ key: Sm2Signer.generate().exportPkcs8(), format: 'der', type: 'pkcs8' });
    expect(() => sign('sm3', MESSAGE, { key: privateKey, context: Buffer.from(DEFAULT_SM2_ID) } as Parameters<typeof sign>[2])).toThrow();
    const publicKey = createPublicKey(privateKey);
    const withUnknownOption = sign('sm3', MESSAGE, { key: privateKey, distid: DEFAULT_SM2_ID } as Parameters<typeof sign>[2]);
    expect(verifySm2Signature(spkiDer(publicKey), MESSAGE, withUnknownOption, '')).toBe(true);
  });

  it('X509Certificate.verify checks an SM2 certificate with the empty ID too: a GM/T 0015 certificate signed with the default ID fails there', () => {
    const signer = Sm2Signer.generate();
    const name = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: 'SM2 自签名' }) })])]);
    const tbs = new TBSCertificate({
      version: Version.v3,
      serialNumber: new Uint8Array([0x01]).buffer,
      signature: SM3_WITH_SM2,
      issuer: name,
      validity: new Validity({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z') }),
      subject: name,
      subjectPublicKeyInfo: AsnConvert.parse(signer.publicKeyInfo, SubjectPublicKeyInfo),
    });
    const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
    const signature = signer.signSync(tbsDer);
    const der = AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: SM3_WITH_SM2, signatureValue: new Uint8Array(signature).buffer }));
    const certificate = new X509Certificate(Buffer.from(der));
    expect(verifySm3WithSm2(signer.publicKeyInfo, SM3_WITH_SM2, tbsDer, signature)).toEqual({ ok: true });
    expect(certificate.verify(certificate.publicKey), 'node:crypto now verifies default-ID SM2 certificates').toBe(false);
  });
});
