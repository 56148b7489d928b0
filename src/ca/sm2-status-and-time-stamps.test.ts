import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificateList, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { TimeStampResp } from '@peculiar/asn1-tsp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID } from '../crypto/algorithms.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { DEFAULT_SM2_ID } from '../crypto/sm2-key.js';
import { Sm2Signer } from '../crypto/sm2-signer.js';
import { signDocument } from '../evidence/cms-signing.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { SignedAttributes } from '../tsa/cms-signed-data.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { openTestSignet, runTool, writePem, type TestSignet } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

function spkiOf(certificateDer: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(AsnConvert.parse(certificateDer, Certificate).tbsCertificate.subjectPublicKeyInfo));
}

/** OpenSSL as the oracle for anything signed: `pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:…` over the signed bytes. */
function opensslSm2Verifies(dir: string, signed: Uint8Array, signature: Uint8Array, signerCertificate: Uint8Array): boolean {
  writeFileSync(join(dir, 'signed.der'), signed);
  writeFileSync(join(dir, 'signature.der'), signature);
  writeFileSync(join(dir, 'signer.der'), spkiOf(signerCertificate));
  const result = runTool('openssl', [
    'pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'signer.der'),
    '-pkeyopt', `distid:${DEFAULT_SM2_ID}`, '-in', join(dir, 'signed.der'), '-sigfile', join(dir, 'signature.der'),
  ]);
  return result.status === 0;
}

describe('CRLs, OCSP responses, time-stamps and CMS signatures of an SM2 hierarchy (R22)', () => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let leafSerial: string;
  let leafPath: string;
  // Close to real time: OpenSSL checks response times against its own clock.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  beforeAll(async () => {
    t = await openTestSignet('sqlite', { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-sm2-status-'));
    const key = join(dir, 'leaf.key');
    runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]);
    runTool('openssl', ['req', '-new', '-key', key, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=x', '-out', join(dir, 'leaf.csr')]);
    const leaf = await t.signet.ca.issue({
      csr: readFileSync(join(dir, 'leaf.csr'), 'utf8'),
      profileId: 'individual-signing',
      subject: { commonName: '赵六' },
      subscriberId: 'sm2-subscriber',
      requestedBy: 'test',
      reason: 'SM2 status',
    });
    leafSerial = leaf.serial;
    leafPath = writePem(dir, 'leaf.pem', leaf.der);
  });
  afterAll(() => t.signet.close());

  it('signs the CRL with SM3withSM2 and the CA’s ID: OpenSSL pkeyutl and our verifier agree', async () => {
    await t.signet.status.revokeCertificate({ serial: leafSerial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:sm2' });
    const crl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    const list = AsnConvert.parse(crl.der, CertificateList);
    expect(list.signatureAlgorithm.algorithm).toBe(OID.sm3WithSm2);
    expect(list.signatureAlgorithm.parameters).toBeUndefined();
    const tbs = new Uint8Array(list.tbsCertListRaw!);
    const signature = new Uint8Array(list.signature);
    expect(opensslSm2Verifies(dir, tbs, signature, h.issuing.der)).toBe(true);
    expect(verifySignature(spkiOf(h.issuing.der), list.signatureAlgorithm, tbs, signature, { distinguishingId: DEFAULT_SM2_ID })).toEqual({ ok: true });
    expect(verifySignature(spkiOf(h.issuing.der), list.signatureAlgorithm, tbs, signature, { distinguishingId: 'another ID' }).ok).toBe(false);
  });

  it('signs OCSP responses with the SM2 responder key and its ID', async () => {
    const requestPath = join(dir, 'ocsp.req');
    const made = runTool('openssl', ['ocsp', '-issuer', writePem(dir, 'issuing.pem', h.issuing.der), '-sha256', '-cert', leafPath, '-no_nonce', '-reqout', requestPath]);
    expect(made.status, made.stderr).toBe(0);
    const reply = await t.signet.status.ocsp.respond(readFileSync(requestPath));
    const response = AsnConvert.parse(reply.der, OCSPResponse);
    const basic = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse);
    expect(basic.signatureAlgorithm.algorithm).toBe(OID.sm3WithSm2);
    const tbs = new Uint8Array(AsnConvert.serialize(basic.tbsResponseData));
    const signature = new Uint8Array(basic.signature);
    expect(opensslSm2Verifies(dir, tbs, signature, h.ocspSigner.der)).toBe(true);
    expect(verifySignature(spkiOf(h.ocspSigner.der), basic.signatureAlgorithm, tbs, signature, { distinguishingId: DEFAULT_SM2_ID })).toEqual({ ok: true });
  });

  it('signs RFC 3161 time-stamp tokens with SM2 over SM3 signed attributes', async () => {
    writeFileSync(join(dir, 'document.txt'), '合同正文');
    const query = runTool('openssl', ['ts', '-query', '-data', join(dir, 'document.txt'), '-sha256', '-cert', '-out', join(dir, 'q.tsq')]);
    expect(query.status, query.stderr).toBe(0);
    const reply = await t.signet.tsa.reply(readFileSync(join(dir, 'q.tsq')));
    expect(reply.granted).toBe(true);
    const token = AsnConvert.parse(reply.der, TimeStampResp).timeStampToken!;
    const signedData = AsnConvert.parse(token.content, SignedData);
    const signerInfo = signedData.signerInfos[0]!;
    expect(signerInfo.signatureAlgorithm.algorithm).toBe(OID.sm3WithSm2);
    expect(signerInfo.digestAlgorithm.algorithm).toBe(OID.sm3);
    // RFC 5652 §5.4: the signature covers the DER of the signed attributes as a SET OF.
    const signedAttributes = new Uint8Array(AsnConvert.serialize(new SignedAttributes(signerInfo.signedAttrs!)));
    expect(signedAttributes[0]).toBe(0x31);
    const signature = new Uint8Array(signerInfo.signature.buffer);
    expect(opensslSm2Verifies(dir, signedAttributes, signature, h.tsa.der)).toBe(true);
    expect(verifySignature(spkiOf(h.tsa.der), signerInfo.signatureAlgorithm, signedAttributes, signature, { distinguishingId: DEFAULT_SM2_ID })).toEqual({ ok: true });
    expect(AsnConvert.parse(AsnConvert.serialize(token), ContentInfo).contentType).toBe('1.2.840.113549.1.7.2');
  });

  it('makes CMS SignedData with a subscriber’s SM2 key (signing toolkit, R13) whose signature OpenSSL verifies with the ID', async () => {
    const key = Sm2Signer.generate();
    const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
    const requestSignature = key.signSync(new Uint8Array(AsnConvert.serialize(info)));
    const csr = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: new Uint8Array(requestSignature).buffer });
    const leaf = await t.signet.ca.issue({
      csr: new Uint8Array(AsnConvert.serialize(csr)),
      profileId: 'individual-signing',
      subject: { commonName: '钱七' },
      subscriberId: 'sm2-cms-signer',
      requestedBy: 'test',
      reason: 'SM2 CMS',
    });
    const der = await signDocument({ content: Buffer.from('转账指令：人民币壹万元整'), signer: { signer: key, certificateDer: leaf.der, chain: [h.issuing.der] } });
    const signedData = AsnConvert.parse(AsnConvert.parse(der, ContentInfo).content, SignedData);
    const signerInfo = signedData.signerInfos[0]!;
    expect(signerInfo.signatureAlgorithm.algorithm).toBe(OID.sm3WithSm2);
    expect(signerInfo.digestAlgorithm.algorithm).toBe(OID.sm3);
    const signedAttributes = new Uint8Array(AsnConvert.serialize(new SignedAttributes(signerInfo.signedAttrs!)));
    expect(opensslSm2Verifies(dir, signedAttributes, new Uint8Array(signerInfo.signature.buffer), leaf.der)).toBe(true);
  });
});
