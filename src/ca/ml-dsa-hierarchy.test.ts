// Issue 18 item 2: a pure ML-DSA-65 hierarchy (FIPS 204; RFC 9881 in X.509, RFC 9882 in CMS) end to end:
// proof of possession, issue, revoke, CRL, OCSP, time-stamp, CMS, each signature checked by three
// independent ML-DSA implementations:
//   - OpenSSL 3.5 as Node 24 carries it (node:crypto verify, and X509Certificate.verify for the chain);
//   - @noble/post-quantum (pure TypeScript, written from FIPS 204, shares no code with OpenSSL);
//   - liboqs (Open Quantum Safe, the PQClean/pq-crystals lineage) compiled to WebAssembly (@oqs/liboqs-js).
// Their limits: the last two check raw signatures over the bytes we hand them (this test takes the TBS
// and the signed attributes out with @peculiar/asn1-*), not X.509 paths; node's X509Certificate checks a
// signature and issuer/subject match, not a whole RFC 5280 path. Not used, and why: Debian 12's OpenSSL
// CLI is 3.0 (ML-DSA arrived in 3.5), Debian 12's BouncyCastle (libbcprov-java 1.72) predates its FIPS 204
// ML-DSA (1.79), Debian 12's Go is 1.19 (no ML-DSA in its standard library), and Java 17 has none (JDK 24+).
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CertificateList, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { TimeStampResp } from '@peculiar/asn1-tsp';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { createMLDSA44, createMLDSA65, createMLDSA87 } from '@oqs/liboqs-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ML_DSA, OID, type MlDsaAlgorithm } from '../crypto/algorithms.js';
import { inspectPublicKey } from '../crypto/public-key.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { generateSoftwareKey, type GeneratedSigner } from '../crypto/software-signer.js';
import { signDocument } from '../evidence/cms-signing.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { SignedAttributes } from '../tsa/cms-signed-data.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { openTestSignet, runTool, type TestSignet } from './test-support/ca-fixture.js';
import { ocspQuestions } from '../status/test-support/ocsp-question.js';

afterAll(dropFreshStores);

const NOBLE = { 'ml-dsa-44': ml_dsa44, 'ml-dsa-65': ml_dsa65, 'ml-dsa-87': ml_dsa87 };
const OQS = { 'ml-dsa-44': createMLDSA44, 'ml-dsa-65': createMLDSA65, 'ml-dsa-87': createMLDSA87 };

function spkiOf(certificateDer: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(AsnConvert.parse(certificateDer, Certificate).tbsCertificate.subjectPublicKeyInfo));
}

/** The three verifiers' verdicts on one signature, by the signer certificate's key. */
async function verdicts(set: MlDsaAlgorithm, signed: Uint8Array, signature: Uint8Array, signerCertificate: Uint8Array) {
  const spki = spkiOf(signerCertificate);
  const raw = new Uint8Array(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey);
  const oqs = await OQS[set]();
  try {
    return {
      openssl: verifySignature(spki, new AlgorithmIdentifier({ algorithm: ML_DSA[set].oid }), signed, signature).ok,
      noble: NOBLE[set].verify(signature, signed, raw),
      liboqs: oqs.verify(new Uint8Array(signed), new Uint8Array(signature), raw),
    };
  } finally {
    oqs.destroy();
  }
}
const ALL_TRUE = { openssl: true, noble: true, liboqs: true };
const ALL_FALSE = { openssl: false, noble: false, liboqs: false };

/** A PKCS#10 request signed with an ML-DSA key (RFC 9881 §2: the CSR's signatureAlgorithm is the set's OID). */
function mlDsaRequest(key: GeneratedSigner, tamper = false): Uint8Array {
  const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
  const signature = new Uint8Array(key.signSync(new Uint8Array(AsnConvert.serialize(info))));
  if (tamper) signature[10]! ^= 1;
  const csr = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: signature.buffer });
  return new Uint8Array(AsnConvert.serialize(csr));
}

describe.each(storeBackends)('an ML-DSA-65 hierarchy end to end (issue 18; RFC 9881, RFC 9882) on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let leafKey: GeneratedSigner;
  let leaf: { serial: string; der: Buffer | Uint8Array };
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ml-dsa-65', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-ml-dsa-'));
    leafKey = generateSoftwareKey('ml-dsa-65');
    leaf = await t.signet.ca.issue({
      csr: mlDsaRequest(leafKey),
      profileId: 'individual-signing',
      subject: { commonName: '孙八' },
      subscriberId: 'ml-dsa-subscriber',
      requestedBy: 'test',
      reason: 'ML-DSA end to end',
    });
  });
  afterAll(async () => {
    await t.signet.close();
    for (const folder of [dir, t.dir]) rmSync(folder, { recursive: true, force: true });
  });

  it('makes root, issuing, OCSP and TSA certificates with ML-DSA-65 keys and signatures, parameters absent, sizes of FIPS 204', async () => {
    const chain = [h.root.der, h.issuing.der, h.ocspSigner.der, h.tsa.der, leaf.der];
    const issuers = [h.root.der, h.root.der, h.issuing.der, h.issuing.der, h.issuing.der];
    for (const [i, der] of chain.entries()) {
      const certificate = AsnConvert.parse(der, Certificate);
      expect(certificate.signatureAlgorithm.algorithm).toBe(OID.mlDsa65);
      expect(certificate.signatureAlgorithm.parameters).toBeUndefined();
      expect(certificate.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(OID.mlDsa65);
      expect(certificate.tbsCertificate.subjectPublicKeyInfo.algorithm.parameters).toBeUndefined();
      expect(certificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey.byteLength).toBe(1952);
      expect(certificate.signatureValue.byteLength).toBe(3309);
      const tbs = new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate));
      expect(await verdicts('ml-dsa-65', tbs, new Uint8Array(certificate.signatureValue), issuers[i]!)).toEqual(ALL_TRUE);
      // OpenSSL's own X.509 reading of the same certificate and its issuer.
      const x509 = new X509Certificate(der);
      const issuer = new X509Certificate(issuers[i]!);
      expect(x509.publicKey.asymmetricKeyType).toBe('ml-dsa-65');
      expect(x509.verify(issuer.publicKey)).toBe(true);
      expect(x509.checkIssued(issuer)).toBe(true);
    }
  });

  it('limits ML-DSA key usage to signing (RFC 9881 §5): CA keyCertSign+cRLSign, leaf without any encipherment', () => {
    expect(new X509Certificate(h.issuing.der).ca).toBe(true);
    const usage = AsnConvert.parse(leaf.der, Certificate).tbsCertificate.extensions!.find((e) => e.extnID === '2.5.29.15')!;
    // KeyUsage BIT STRING: digitalSignature (bit 0) and possibly nonRepudiation (bit 1), nothing from bit 2 on.
    const bits = new Uint8Array(usage.extnValue.buffer).slice(3);
    expect(bits[0]! & 0b0011_1111).toBe(0);
    expect(bits.slice(1).every((b) => b === 0)).toBe(true);
  });

  it('refuses a request whose ML-DSA proof of possession does not verify, and one with a wrong-size key, with the reason', async () => {
    const tampered = t.signet.ca.issue({
      csr: mlDsaRequest(generateSoftwareKey('ml-dsa-65'), true),
      profileId: 'individual-signing',
      subject: { commonName: 'x' },
      subscriberId: 'ml-dsa-bad',
      requestedBy: 'test',
      reason: 'tampered PoP',
    });
    await expect(tampered).rejects.toMatchObject({ status: 400 });
    const key = AsnConvert.parse(generateSoftwareKey('ml-dsa-65').publicKeyInfo, SubjectPublicKeyInfo);
    const short = new SubjectPublicKeyInfo({ algorithm: key.algorithm, subjectPublicKey: key.subjectPublicKey.slice(0, 1312) });
    expect(inspectPublicKey(new Uint8Array(AsnConvert.serialize(short)))).toMatchObject({ ok: false, problem: 'malformed-key', detail: 'ml-dsa-65 key of 1312 octets (1952 expected)' });
    const withParameters = new SubjectPublicKeyInfo({ algorithm: new AlgorithmIdentifier({ algorithm: OID.mlDsa65, parameters: new Uint8Array([5, 0]).buffer }), subjectPublicKey: key.subjectPublicKey });
    expect(inspectPublicKey(new Uint8Array(AsnConvert.serialize(withParameters)))).toMatchObject({ ok: false, problem: 'malformed-key' });
  });

  it('revokes, and signs the CRL with ML-DSA-65', async () => {
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:ml-dsa' });
    const crl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    const list = AsnConvert.parse(crl.der, CertificateList);
    expect(list.signatureAlgorithm.algorithm).toBe(OID.mlDsa65);
    expect(list.signatureAlgorithm.parameters).toBeUndefined();
    expect(list.tbsCertList.revokedCertificates?.map((r) => Buffer.from(r.userCertificate).toString('hex'))).toContain(leaf.serial.toLowerCase());
    const verdict = await verdicts('ml-dsa-65', new Uint8Array(list.tbsCertListRaw!), new Uint8Array(list.signature), h.issuing.der);
    expect(verdict).toEqual(ALL_TRUE);
    const flipped = new Uint8Array(list.signature);
    flipped[100]! ^= 1;
    expect(await verdicts('ml-dsa-65', new Uint8Array(list.tbsCertListRaw!), flipped, h.issuing.der)).toEqual(ALL_FALSE);
  });

  it('answers OCSP "revoked" signed by the ML-DSA-65 responder', async () => {
    const serial = Buffer.from(AsnConvert.parse(leaf.der, Certificate).tbsCertificate.serialNumber);
    const reply = await t.signet.status.ocsp.respond(ocspQuestions(h.issuing.der).about(serial));
    const response = AsnConvert.parse(reply.der, OCSPResponse);
    expect(response.responseStatus).toBe(0);
    const basic = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse);
    expect(basic.signatureAlgorithm.algorithm).toBe(OID.mlDsa65);
    expect(basic.tbsResponseData.responses[0]!.certStatus.revoked).toBeDefined();
    const tbs = new Uint8Array(AsnConvert.serialize(basic.tbsResponseData));
    expect(await verdicts('ml-dsa-65', tbs, new Uint8Array(basic.signature), h.ocspSigner.der)).toEqual(ALL_TRUE);
  });

  it('signs RFC 3161 time-stamp tokens with ML-DSA-65 over SHA-512 signed attributes (RFC 9882 §3.3)', async () => {
    writeFileSync(join(dir, 'document.txt'), '合同正文');
    const query = runTool('openssl', ['ts', '-query', '-data', join(dir, 'document.txt'), '-sha256', '-cert', '-out', join(dir, 'q.tsq')]);
    expect(query.status, query.stderr).toBe(0);
    const reply = await t.signet.tsa.reply(readFileSync(join(dir, 'q.tsq')));
    expect(reply.granted).toBe(true);
    const token = AsnConvert.parse(reply.der, TimeStampResp).timeStampToken!;
    const signerInfo = AsnConvert.parse(token.content, SignedData).signerInfos[0]!;
    expect(signerInfo.signatureAlgorithm.algorithm).toBe(OID.mlDsa65);
    expect(signerInfo.signatureAlgorithm.parameters).toBeUndefined();
    expect(signerInfo.digestAlgorithm.algorithm).toBe(OID.sha512);
    const signedAttributes = new Uint8Array(AsnConvert.serialize(new SignedAttributes(signerInfo.signedAttrs!)));
    expect(await verdicts('ml-dsa-65', signedAttributes, new Uint8Array(signerInfo.signature.buffer), h.tsa.der)).toEqual(ALL_TRUE);
  });

  it('makes CMS SignedData with a subscriber’s ML-DSA-65 key (RFC 9882), verified by all three', async () => {
    const key = generateSoftwareKey('ml-dsa-65');
    const signer = await t.signet.ca.issue({
      csr: mlDsaRequest(key),
      profileId: 'individual-signing',
      subject: { commonName: '周九' },
      subscriberId: 'ml-dsa-cms',
      requestedBy: 'test',
      reason: 'ML-DSA CMS',
    });
    const der = await signDocument({ content: Buffer.from('转账指令：人民币壹万元整'), signer: { signer: key, certificateDer: signer.der, chain: [h.issuing.der] } });
    const signerInfo = AsnConvert.parse(AsnConvert.parse(der, ContentInfo).content, SignedData).signerInfos[0]!;
    expect(signerInfo.signatureAlgorithm.algorithm).toBe(OID.mlDsa65);
    expect(signerInfo.digestAlgorithm.algorithm).toBe(OID.sha512);
    const signedAttributes = new Uint8Array(AsnConvert.serialize(new SignedAttributes(signerInfo.signedAttrs!)));
    expect(await verdicts('ml-dsa-65', signedAttributes, new Uint8Array(signerInfo.signature.buffer), signer.der)).toEqual(ALL_TRUE);
  });
});

describe('ML-DSA-44 and ML-DSA-87 hierarchies (issue 18)', () => {
  it.each(['ml-dsa-44', 'ml-dsa-87'] as const)('%s: every certificate verifies with all three', async (set) => {
    const t = await openTestSignet('sqlite');
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: set, actor: 'test' });
      for (const [der, issuer] of [[h.root.der, h.root.der], [h.issuing.der, h.root.der], [h.tsa.der, h.issuing.der]] as const) {
        const certificate = AsnConvert.parse(der, Certificate);
        expect(certificate.signatureAlgorithm.algorithm).toBe(ML_DSA[set].oid);
        expect(certificate.signatureValue.byteLength).toBe(ML_DSA[set].signatureBytes);
        expect(await verdicts(set, new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate)), new Uint8Array(certificate.signatureValue), issuer)).toEqual(ALL_TRUE);
      }
      // A key of another set is refused by name, not as a failed check.
      const other = generateKeyPairSync(set === 'ml-dsa-44' ? 'ml-dsa-87' : 'ml-dsa-44').publicKey.export({ type: 'spki', format: 'der' });
      expect(verifySignature(other, new AlgorithmIdentifier({ algorithm: ML_DSA[set].oid }), new Uint8Array(1), new Uint8Array(ML_DSA[set].signatureBytes))).toMatchObject({ ok: false });
    } finally {
      await t.signet.close();
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
