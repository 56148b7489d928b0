/**
 * SM2 in the signing toolkit and the TSA (issue 23 item 5 of the issue text; R13, R22;
 * GM/T 0010 for SM2 in CMS: SM3 digests, SM3withSM2 signatures with the signer's ID,
 * default 1234567812345678). Each check names its verifier: OpenSSL `pkeyutl` with the
 * ID, BouncyCastle's CMS/TSP (its SM2 uses the default ID), and Signet's own verifier.
 * OpenSSL 3.0's `cms -verify` and `ts -verify` cannot be used: they check SM2 with an empty
 * ID (known limit, docs/interoperability.md).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { Certificate } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, runTool, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { OID } from '../../src/crypto/algorithms.js';
import { DEFAULT_SM2_ID } from '../../src/crypto/sm2-key.js';
import { documentSigner, signDocument } from '../../src/evidence/cms-signing.js';
import { verifySignedDocument, verifyTimeStampToken } from '../../src/evidence/cms-verification.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { SignedAttributes } from '../../src/tsa/cms-signed-data.js';
import { javaVerify } from './verifiers.js';

afterAll(dropFreshStores);

const spkiOf = (der: Uint8Array) => new Uint8Array(AsnConvert.serialize(AsnConvert.parse(der, Certificate).tbsCertificate.subjectPublicKeyInfo));

describe('SM2 in CMS signatures and time-stamps (R13, R22, GM/T 0010)', () => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let keyPath: string;
  let leafDer: Buffer;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  beforeAll(async () => {
    t = await openTestSignet('sqlite', { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-sm2-cms-'));
    // A subscriber's key as OpenSSL makes it: what `signet cms sign --key` is given.
    keyPath = join(dir, 'leaf.key');
    runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', keyPath]);
    const csr = runTool('openssl', ['req', '-new', '-key', keyPath, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=x']);
    expect(csr.status, csr.stderr).toBe(0);
    const leaf = await t.signet.ca.issue({ csr: csr.stdout, profileId: 'individual-signing', subject: { commonName: '孙八' }, subscriberId: 'sm2-cms', requestedBy: 'test', reason: 'SM2 CMS' });
    leafDer = leaf.der;
  });
  afterAll(() => t.signet.close());
  // DER: the Java helper then reads it with BouncyCastle (the JDK's certificate factory knows no SM2 curve).
  const tsaDer = () => {
    const path = join(dir, 'tsa.der');
    writeFileSync(path, h.tsa.der);
    return path;
  };

  it('signs with an OpenSSL SM2 key (it was refused), time-stamped over SM3; Signet, BouncyCastle and OpenSSL pkeyutl verify', async () => {
    const content = Buffer.from('转账指令：人民币壹万元整\n');
    const signer = documentSigner(readFileSync(keyPath, 'utf8'), leafDer, [h.issuing.der]);
    const der = await signDocument({ content, signer, timeStamper: t.signet.tsa });
    const signedData = AsnConvert.parse(AsnConvert.parse(der, ContentInfo).content, SignedData);
    const signerInfo = signedData.signerInfos[0]!;
    expect([signerInfo.digestAlgorithm.algorithm, signerInfo.signatureAlgorithm.algorithm]).toEqual([OID.sm3, OID.sm3WithSm2]);

    // Signet: signature, SM3 message digest, SM2 TSA token (SM3 imprint of the signature value), path.
    const ours = await verifySignedDocument({ signature: der, trustAnchors: [h.root.der] });
    expect(ours.problems).toEqual([]);
    expect([ours.valid, ours.cades.level, ours.timeStamp?.valid]).toEqual([true, 'B-T', true]);
    const token = signerInfo.unsignedAttrs![0]!.attrValues[0]!;
    const tstInfo = AsnConvert.parse(AsnConvert.parse(AsnConvert.parse(token, ContentInfo).content, SignedData).encapContentInfo.eContent!.single!.buffer, TSTInfo);
    expect(tstInfo.messageImprint.hashAlgorithm.algorithm).toBe(OID.sm3);

    // OpenSSL pkeyutl over the signed attributes, with the ID (GM/T 0009).
    writeFileSync(join(dir, 'signed.der'), Buffer.from(AsnConvert.serialize(new SignedAttributes(signerInfo.signedAttrs!))));
    writeFileSync(join(dir, 'signature.der'), Buffer.from(signerInfo.signature.buffer));
    writeFileSync(join(dir, 'signer.der'), spkiOf(leafDer));
    const openssl = runTool('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'signer.der'), '-pkeyopt', `distid:${DEFAULT_SM2_ID}`, '-in', join(dir, 'signed.der'), '-sigfile', join(dir, 'signature.der')]);
    expect(openssl.stdout).toContain('Signature Verified Successfully');

    // BouncyCastle's CMS and TSP (SM2 with the default ID).
    const sigPath = join(dir, 'signed.p7s');
    writeFileSync(sigPath, der);
    const tokenPath = join(dir, 'token.der');
    writeFileSync(tokenPath, Buffer.from(token));
    const bc = javaVerify([
      { id: 'cms', op: 'cms', file: sigPath },
      { id: 'tsp', op: 'tsp', file: tokenPath, tsa: tsaDer() },
    ]);
    expect(bc.get('cms'), bc.get('cms')?.detail).toMatchObject({ ok: true });
    expect(bc.get('tsp'), bc.get('tsp')?.detail).toMatchObject({ ok: true });
  });

  it('the TSA of an SM2 deployment grants SM3 imprints (openssl ts -query -sm3; they were refused with badAlg)', async () => {
    const document = join(dir, 'contract.txt');
    writeFileSync(document, '合同正文 第一条');
    const query = runTool('openssl', ['ts', '-query', '-data', document, '-sm3', '-cert', '-out', join(dir, 'sm3.tsq')]);
    expect(query.status, query.stderr).toBe(0);
    const reply = await t.signet.tsa.reply(readFileSync(join(dir, 'sm3.tsq')));
    expect(reply.granted).toBe(true);
    const tokenDer = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(reply.der, TimeStampResp).timeStampToken!));
    const checked = await verifyTimeStampToken(tokenDer, readFileSync(document), { trustAnchors: [h.root.der] });
    expect(checked.problems).toEqual([]);
    expect(checked.valid).toBe(true);
    writeFileSync(join(dir, 'sm3.tsr'), reply.der);
    const bc = javaVerify([{ id: 'tsp', op: 'tsp', file: join(dir, 'sm3.tsr'), tsa: tsaDer() }]);
    expect(bc.get('tsp'), bc.get('tsp')?.detail).toMatchObject({ ok: true });
    // Tampered document: the SM3 imprint no longer matches.
    expect((await verifyTimeStampToken(tokenDer, Buffer.from('合同正文 第二条'), { trustAnchors: [h.root.der] })).problems.join()).toMatch(/imprint mismatch/);
  });
});
