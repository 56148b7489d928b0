import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { sm2 } from 'sm-crypto-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import { OID } from './algorithms.js';
import { inspectPublicKey } from './public-key.js';
import { verifySignature } from './signature-verification.js';
import { generateSoftwareKey, softwareSignerFromPkcs8 } from './software-signer.js';
import { DEFAULT_SM2_ID, Sm2KeyError, decodeSm2Pkcs8, sm2PublicKeyInfo } from './sm2-key.js';
import { Sm2Signer } from './sm2-signer.js';
import { sm2CurveGenerator } from './sm2-verifier.js';
import {
  SM2_EXAMPLE_CURVE,
  SM2_RECOMMENDED_CURVE,
  publicKeyOf,
  referenceSign,
  referenceVerify,
} from './test-support/sm2-reference.js';

const big = (s: string): bigint => BigInt(`0x${s}`);
const SM3_WITH_SM2 = new AlgorithmIdentifier({ algorithm: OID.sm3WithSm2 });

function rs(der: Uint8Array): { r: bigint; s: bigint } {
  const value = AsnConvert.parse(der, ECDSASigValue);
  return { r: big(Buffer.from(value.r).toString('hex')), s: big(Buffer.from(value.s).toString('hex')) };
}

function openssl(args: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync('openssl', args, { input });
  if (result.error) throw new Error(`openssl could not run: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

describe('SM2 known answers', () => {
  it('reproduces GM/T 0003.2-2012 Annex A (Fp-256 example curve, ID ALICE123@YAHOO.COM, fixed k) with the reference equations', () => {
    const d = big('128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263');
    const publicKey = publicKeyOf(SM2_EXAMPLE_CURVE, d);
    expect(publicKey.x).toBe(big('0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A'));
    expect(publicKey.y).toBe(big('7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857'));
    const id = Buffer.from('ALICE123@YAHOO.COM');
    const message = Buffer.from('message digest');
    const k = big('6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F');
    const { z, e, r, s } = referenceSign(SM2_EXAMPLE_CURVE, d, id, message, k);
    expect(z.toString('hex').toUpperCase()).toBe('F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A');
    expect(e).toBe(big('B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76'));
    expect(r).toBe(big('40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1'));
    expect(s).toBe(big('6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7'));
    expect(referenceVerify(SM2_EXAMPLE_CURVE, publicKey, id, message, r, s)).toBe(true);
    expect(referenceVerify(SM2_EXAMPLE_CURVE, publicKey, Buffer.from('ALICE123@YAHOO.CO'), message, r, s)).toBe(false);
  });

  describe('GB/T 32918.5-2017 Annex A.2 (recommended curve, ID 1234567812345678, fixed k)', () => {
    const d = '3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8';
    const k = '59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21';
    const message = Buffer.from('message digest');
    const expectedR = 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3';
    const expectedS = 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA';

    it('the Signet SM2 signer (sm-crypto-v2) produces exactly r and s', () => {
      const signer = Sm2Signer.fromPrivateKeyHex(d);
      expect(signer.publicKey).toBe(
        '04' +
          '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' +
          'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
      );
      const signature = signer.signWithNonceForKnownAnswerTest(message, k);
      expect(Buffer.from(signature).toString('hex').toUpperCase()).toBe(`3046022100${expectedR}022100${expectedS}`);
      expect(verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, message, signature)).toEqual({ ok: true });
    });

    it('the reference equations give the same Z_A, e, r and s', () => {
      const { z, e, r, s } = referenceSign(SM2_RECOMMENDED_CURVE, big(d), Buffer.from(DEFAULT_SM2_ID), message, big(k));
      expect(z.toString('hex').toUpperCase()).toBe('B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3');
      expect(e).toBe(big('F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640'));
      expect(r).toBe(big(expectedR));
      expect(s).toBe(big(expectedS));
    });
  });

  it.each([
    ['the default ID', DEFAULT_SM2_ID],
    ['a CA-specific ID', 'SIGNET-CA-2026@example.cn'],
    ['a UTF-8 ID', '中国金融认证中心'],
    ['a one-byte ID', 'x'],
  ])('signs exactly as GB/T 32918.2 prescribes with %s', (_label, id) => {
    const signer = Sm2Signer.generate({ distinguishingId: id });
    const message = Buffer.from(`TBSCertificate stand-in for ${id}`);
    const point = { x: big(signer.publicKey.slice(2, 66)), y: big(signer.publicKey.slice(66)) };
    // Random k: the reference verifies the library's signature with the ID's bytes.
    const random = rs(signer.signSync(message));
    expect(referenceVerify(SM2_RECOMMENDED_CURVE, point, Buffer.from(id, 'utf8'), message, random.r, random.s)).toBe(true);
    expect(referenceVerify(SM2_RECOMMENDED_CURVE, point, Buffer.from(DEFAULT_SM2_ID + 'x'), message, random.r, random.s)).toBe(false);
    // Fixed k: byte-identical to the reference.
    const k = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const d = big(decodeSm2Pkcs8(signer.exportPkcs8()).privateKey);
    const expected = referenceSign(SM2_RECOMMENDED_CURVE, d, Buffer.from(id, 'utf8'), message, big(k));
    expect(rs(signer.signWithNonceForKnownAnswerTest(message, k))).toEqual({ r: expected.r, s: expected.s });
  });
});

describe('SM2 signer', () => {
  it('describes itself as SM3withSM2 without parameters on the SM2 curve (GM/T 0015)', () => {
    const signer = generateSoftwareKey('sm2');
    expect(signer).toBeInstanceOf(Sm2Signer);
    expect(signer.keyAlgorithm).toBe('sm2');
    expect(signer.hash).toBe('sm3');
    expect(signer.distinguishingId).toBe(DEFAULT_SM2_ID);
    expect(signer.signatureAlgorithm.algorithm).toBe('1.2.156.10197.1.501');
    expect(signer.signatureAlgorithm.parameters).toBeUndefined();
    const inspection = inspectPublicKey(signer.publicKeyInfo);
    expect(inspection.ok && inspection.keyAlgorithm).toBe('sm2');
  });

  it('keeps a configured distinguishing ID through sealing form (PKCS#8) and back', () => {
    const signer = generateSoftwareKey('sm2', { distinguishingId: 'CA-ID-0001' });
    const reopened = softwareSignerFromPkcs8('sm2', signer.exportPkcs8());
    expect(reopened.distinguishingId).toBe('CA-ID-0001');
    expect(Buffer.from(reopened.publicKeyInfo)).toEqual(Buffer.from(signer.publicKeyInfo));
    const message = Buffer.from('crl');
    const signature = reopened.signSync(message);
    expect(verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, message, signature, { distinguishingId: 'CA-ID-0001' })).toEqual({ ok: true });
    // No state in the verifier: a caller that does not name the ID (and has no directory of our keys) checks with the default.
    expect(verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, message, signature).ok).toBe(false);
    expect(verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, message, signature, { distinguishingId: DEFAULT_SM2_ID }).ok).toBe(false);
  });

  it('refuses an empty distinguishing ID for its own keys (GM/T 0009 §10)', () => {
    expect(() => Sm2Signer.generate({ distinguishingId: '' })).toThrow(Sm2KeyError);
  });

  it('refuses a PKCS#8 key of another curve', () => {
    const p256 = generateSoftwareKey('ecdsa-p256');
    expect(() => Sm2Signer.fromPkcs8(p256.exportPkcs8())).toThrow(/not an SM2 key/);
  });
});

describe('SM2 verification (registered for 1.2.156.10197.1.501)', () => {
  const signer = Sm2Signer.generate();
  const message = Buffer.from('a TBSCertificate');
  const signature = signer.signSync(message);

  it('rejects a signature made with the empty ID and says why (OpenSSL 3 without -sigopt distid)', () => {
    const emptyId = Buffer.from(
      sm2.doSignature(message, decodeSm2Pkcs8(signer.exportPkcs8()).privateKey, { hash: true, der: true, userId: '' }),
      'hex',
    );
    const check = verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, message, emptyId);
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/empty distinguishing ID/) });
  });

  it('rejects a changed message, a foreign key and a non-canonical encoding', () => {
    expect(verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, Buffer.from('another TBS'), signature).ok).toBe(false);
    expect(verifySignature(Sm2Signer.generate().publicKeyInfo, SM3_WITH_SM2, message, signature).ok).toBe(false);
    // Same r and s, with a long-form length: BER, not DER.
    const der = Buffer.from(signature);
    const ber = Buffer.concat([Buffer.from([0x30, 0x81, der[1]!]), der.subarray(2)]);
    expect(verifySignature(signer.publicKeyInfo, SM3_WITH_SM2, message, ber)).toEqual({ ok: false, reason: 'the SM2 signature is not in canonical DER' });
  });

  it('rejects parameters on the algorithm and keys that are not SM2 points', () => {
    const withParams = new AlgorithmIdentifier({ algorithm: OID.sm3WithSm2, parameters: new Uint8Array([0x06, 0x01, 0x00]).buffer });
    expect(verifySignature(signer.publicKeyInfo, withParams, message, signature).ok).toBe(false);
    const p256 = generateSoftwareKey('ecdsa-p256');
    expect(verifySignature(p256.publicKeyInfo, SM3_WITH_SM2, message, signature)).toEqual({
      ok: false,
      reason: expect.stringMatching(/needs an SM2 key/),
    });
    const offCurve = sm2PublicKeyInfo('04' + '11'.repeat(64));
    expect(inspectPublicKey(offCurve)).toMatchObject({ ok: false, problem: 'malformed-key' });
  });
});

describe('SM2 verification of a key seen once (GB/T 32918.2 §7.1, Shamir double-and-add on @noble/curves)', () => {
  it('works on the curve of GB/T 32918.5 §A.1, the same as sm-crypto-v2 signs on', () => {
    expect(sm2CurveGenerator.toHex(false)).toBe(sm2.getPublicKeyFromPrivateKey('1'.padStart(64, '0')));
    expect(sm2CurveGenerator.multiplyUnsafe(SM2_RECOMMENDED_CURVE.n - 1n).add(sm2CurveGenerator).is0()).toBe(true);
  });

  it('accepts the GB/T 32918.5-2017 A.2 signature for a foreign key and refuses it altered', () => {
    const publicKey =
      '04' + '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' + 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13';
    const r = 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3';
    const s = 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA';
    const spki = sm2PublicKeyInfo(publicKey);
    const signature = Buffer.from(`3046022100${r}022100${s}`, 'hex');
    expect(verifySignature(spki, SM3_WITH_SM2, Buffer.from('message digest'), signature)).toEqual({ ok: true });
    expect(verifySignature(spki, SM3_WITH_SM2, Buffer.from('message digesT'), signature).ok).toBe(false);
    const otherS = Buffer.from(`3046022100${r}022100${(big(s) + 1n).toString(16).toUpperCase()}`, 'hex');
    expect(verifySignature(spki, SM3_WITH_SM2, Buffer.from('message digest'), otherS).ok).toBe(false);
  });

  it('agrees with sm-crypto-v2 and the reference equations on random keys, IDs and tampering', () => {
    for (let i = 0; i < 12; i++) {
      const pair = sm2.generateKeyPairHex();
      const id = i % 3 === 0 ? DEFAULT_SM2_ID : `客户端-${i}`;
      const message = Buffer.from(`transaction ${i}`);
      const signature = Buffer.from(sm2.doSignature(message, pair.privateKey, { hash: true, der: true, userId: id }), 'hex');
      const spki = sm2PublicKeyInfo(pair.publicKey);
      const point = { x: big(pair.publicKey.slice(2, 66)), y: big(pair.publicKey.slice(66)) };
      const { r, s } = rs(signature);
      expect(referenceVerify(SM2_RECOMMENDED_CURVE, point, Buffer.from(id, 'utf8'), message, r, s)).toBe(true);
      expect(verifySignature(spki, SM3_WITH_SM2, message, signature, { distinguishingId: id })).toEqual({ ok: true });
      expect(verifySignature(spki, SM3_WITH_SM2, message, signature, { distinguishingId: `${id}!` }).ok).toBe(false);
      expect(verifySignature(spki, SM3_WITH_SM2, Buffer.from(`transaction ${i + 1}`), signature, { distinguishingId: id }).ok).toBe(false);
      const foreign = sm2PublicKeyInfo(sm2.generateKeyPairHex().publicKey);
      expect(verifySignature(foreign, SM3_WITH_SM2, message, signature, { distinguishingId: id }).ok).toBe(false);
    }
  });
});

describe('SM2 against OpenSSL 3.0 (R22)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signet-sm2-'));
  });

  it('OpenSSL reads our PKCS#8 SM2 key and verifies our signature with -pkeyopt distid', () => {
    const signer = Sm2Signer.generate();
    const keyPath = join(dir, 'ours.p8');
    writeFileSync(keyPath, signer.exportPkcs8());
    const pub = openssl(['pkey', '-inform', 'DER', '-in', keyPath, '-pubout', '-outform', 'DER']);
    expect(pub.status, pub.stderr).toBe(0);
    expect(pub.stdout).toEqual(Buffer.from(signer.publicKeyInfo));

    const message = Buffer.from('signed by Signet');
    writeFileSync(join(dir, 'msg'), message);
    writeFileSync(join(dir, 'sig'), signer.signSync(message));
    writeFileSync(join(dir, 'pub.der'), signer.publicKeyInfo);
    const verify = (id: string[]) =>
      openssl(['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'pub.der'), ...id, '-in', join(dir, 'msg'), '-sigfile', join(dir, 'sig')]);
    const good = verify(['-pkeyopt', `distid:${DEFAULT_SM2_ID}`]);
    expect(good.status, good.stderr).toBe(0);
    expect(verify([]).status).not.toBe(0);
  });

  it('we verify a signature OpenSSL made with its own SM2 key and distid', () => {
    const keyPath = join(dir, 'openssl.key');
    expect(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', keyPath]).status).toBe(0);
    const message = Buffer.from('signed by OpenSSL');
    writeFileSync(join(dir, 'm2'), message);
    const signed = openssl(['pkeyutl', '-sign', '-rawin', '-digest', 'sm3', '-inkey', keyPath, '-pkeyopt', `distid:${DEFAULT_SM2_ID}`, '-in', join(dir, 'm2')]);
    expect(signed.status, signed.stderr).toBe(0);
    const spki = openssl(['pkey', '-in', keyPath, '-pubout', '-outform', 'DER']).stdout;
    expect(verifySignature(spki, SM3_WITH_SM2, message, signed.stdout)).toEqual({ ok: true });
    // And its PKCS#8 key opens as a Signet SM2 signer with the default ID.
    const pkcs8 = openssl(['pkcs8', '-topk8', '-nocrypt', '-in', keyPath, '-outform', 'DER']).stdout;
    const reopened = Sm2Signer.fromPkcs8(pkcs8);
    expect(Buffer.from(reopened.publicKeyInfo)).toEqual(spki);
    expect(readFileSync(keyPath, 'utf8')).toContain('PRIVATE KEY');
  });
});
