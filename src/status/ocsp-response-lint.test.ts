import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  TBSRequest,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, CRLReason, Extension } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelegatedSigners, type DelegatedSigner } from '../ca/delegated-signers.js';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import type { Signer } from '../crypto/signer.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { lintOcspResponse, type OcspLintContext } from './ocsp-response-lint.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

const der = (value: unknown) => new Uint8Array(AsnConvert.serialize(value));

describe.each(storeBackends)('OCSP response lint before release (RFC 6960, RFC 5019, issue 15) on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let responder: DelegatedSigner;
  let issuingDer: Buffer;
  let now = new Date('2026-06-01T00:00:00Z');
  const leaves: string[] = [];

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    responder = (await new DelegatedSigners(t.signet.ca).current('ocsp', h.issuing.caId))!;
    issuingDer = (await t.signet.ca.authority(h.issuing.caId)).certificateDer;
    const dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-lint-'));
    for (const name of ['a', 'b']) {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `ocsp-lint-${name}`);
      leaves.push((await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=ocsp lint ${name}`, subscriberId: `s-${name}`, requestedBy: 'test', reason: 'test' })).serial);
    }
  });
  afterAll(async () => {
    await t.signet.close();
  });

  function certId(serial: string): CertID {
    const issuing = AsnConvert.parse(issuingDer, Certificate).tbsCertificate;
    return new CertID({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
      issuerNameHash: new OctetString(createHash('sha1').update(der(issuing.subject)).digest()),
      issuerKeyHash: new OctetString(createHash('sha1').update(Buffer.from(issuing.subjectPublicKeyInfo.subjectPublicKey)).digest()),
      serialNumber: new Uint8Array(Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex')).buffer,
    });
  }
  function request(serial: string, nonce?: Uint8Array): Buffer {
    const requestExtensions = nonce ? [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(der(new OctetString(nonce))) })] : undefined;
    return Buffer.from(der(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId(serial) })], requestExtensions }) })));
  }
  const context = (serial: string, nonce?: Uint8Array): OcspLintContext => ({
    signerPublicKeyInfo: responder.signer.publicKeyInfo,
    signatureAlgorithm: der(responder.signer.signatureAlgorithm),
    responderCertificate: responder.certificateDer,
    issuerCertificate: issuingDer,
    certIds: [der(certId(serial))],
    nonce: nonce ? der(new OctetString(nonce)) : undefined,
    now,
  });

  /** A response built and signed by the test with the real keys, `change` making it wrong in one way. */
  async function response(serial: string, change: { data?: (d: ResponseData) => void; signer?: Signer; certificate?: Buffer; tamper?: boolean } = {}): Promise<Buffer> {
    const signer = change.signer ?? responder.signer;
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const data = new ResponseData({
      responderID: new ResponderID({ byKey: new KeyHash(createHash('sha1').update(Buffer.from(AsnConvert.parse(responder.certificateDer, Certificate).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest()) }),
      producedAt: thisUpdate,
      responses: [new SingleResponse({ certID: certId(serial), certStatus: new CertStatus({ good: null }), thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 86_400_000) })],
    });
    change.data?.(data);
    const tbs = der(data);
    const signature = await signer.sign(change.tamper ? Buffer.concat([tbs, Buffer.from([0])]) : tbs);
    const basic = new BasicOCSPResponse({
      tbsResponseData: data,
      tbsResponseDataRaw: new Uint8Array(tbs).buffer,
      signatureAlgorithm: signer.signatureAlgorithm,
      signature: new Uint8Array(signature).buffer,
      certs: [AsnConvert.parse(change.certificate ?? responder.certificateDer, Certificate)],
    });
    return Buffer.from(der(new OCSPResponse({ responseStatus: OCSPResponseStatus.successful, responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(der(basic)) }) })));
  }
  const findings = (list: string[]) => list.join('\n');

  it("passes what the responder signs, with and without a nonce, and the test's own well-formed response", async () => {
    const nonce = randomBytes(16);
    const withNonce = await t.signet.status.ocsp.respond(request(leaves[0]!, nonce));
    expect(withNonce.responseStatus).toBe(OCSPResponseStatus.successful);
    expect(lintOcspResponse(withNonce.der, context(leaves[0]!, nonce))).toEqual([]);
    const cached = await t.signet.status.ocsp.respond(request(leaves[0]!));
    expect(lintOcspResponse(cached.der, context(leaves[0]!))).toEqual([]);
    expect(lintOcspResponse(await response(leaves[0]!), context(leaves[0]!))).toEqual([]);
    // The same good response offered where a nonce was asked: not an answer to that request.
    expect(findings(lintOcspResponse(cached.der, context(leaves[0]!, nonce)))).toMatch(/does not echo it/);
  });

  it('refuses deliberately wrong responses: responder ID, CertID, reason, times, signature, nonce', async () => {
    const serial = leaves[0]!;
    const cases: Array<[Parameters<typeof response>[1], RegExp, Uint8Array?]> = [
      [{ data: (d) => (d.responderID = new ResponderID({ byKey: new KeyHash(new Uint8Array(20)) })) }, /responderID byKey is not the SHA-1/],
      [{ data: (d) => (d.responses[0]!.certID = certId(leaves[1]!)) }, /certID is not the one asked/],
      [{ data: (d) => d.responses.push(d.responses[0]!) }, /2 responses for 1 CertIDs/],
      [{ data: (d) => (d.responses[0]!.certStatus = new CertStatus({ revoked: new RevokedInfo({ revocationTime: new Date('2026-05-01T00:00:00Z'), revocationReason: new CRLReason(0) }) })) }, /revocationReason unspecified written out/],
      [{ data: (d) => (d.responses[0]!.certStatus = new CertStatus({ revoked: new RevokedInfo({ revocationTime: new Date('2026-06-02T00:00:00Z') }) })) }, /revocationTime after producedAt/],
      [{ data: (d) => (d.responses[0]!.nextUpdate = undefined) }, /nextUpdate is missing/],
      [{ data: (d) => (d.responses[0]!.nextUpdate = new Date('2026-05-31T00:00:00Z')) }, /nextUpdate is not after thisUpdate/],
      [{ data: (d) => (d.producedAt = new Date(now.getTime() + 250)) }, /fractional seconds/],
      [{ data: (d) => (d.producedAt = new Date(now.getTime() + 86_400_000)) }, /producedAt is in the future/],
      [{ data: (d) => (d.responseExtensions = [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(der(new OctetString(new Uint8Array(16)))) })]) }, /a nonce nobody asked for/],
      [{ data: (d) => (d.responseExtensions = [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(der(new OctetString(new Uint8Array(16)))) })]) }, /nonce is not the request's/, randomBytes(16)],
      [{ data: (d) => (d.responseExtensions = [new Extension({ extnID: '1.2.3.4', critical: true, extnValue: new OctetString(new Uint8Array([5, 0])) })]) }, /1\.2\.3\.4 is critical/],
      [{ tamper: true }, /signature does not verify/],
    ];
    for (const [change, pattern, nonce] of cases) {
      expect(findings(lintOcspResponse(await response(serial, change), context(serial, nonce))), String(pattern)).toMatch(pattern);
    }
  });

  it("refuses a response signed by the CA's own key with the CA certificate attached as if it were a responder's", async () => {
    const ca = await t.signet.ca.issuerContext(h.issuing.caId);
    const signed = await response(leaves[0]!, { signer: ca.signer, certificate: issuingDer });
    const list = findings(lintOcspResponse(signed, { ...context(leaves[0]!), signerPublicKeyInfo: ca.signer.publicKeyInfo, responderCertificate: issuingDer }));
    expect(list).toMatch(/lacks id-kp-OCSPSigning/);
    expect(list).toMatch(/lacks id-pkix-ocsp-nocheck/);
    expect(list).toMatch(/not issued by the CA/);
    expect(list).toMatch(/responderID byKey is not/);
  });

  it('the responder withholds what fails: a revocation stamped an hour ahead of a clock stepped back gets internalError, nothing stored', async () => {
    const serial = leaves[1]!;
    const stepped = now;
    now = new Date(now.getTime() + 3_600_000);
    await t.signet.status.revokeCertificate({ serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:1' });
    now = new Date(stepped.getTime() + 1000);
    const reply = await t.signet.status.ocsp.respond(request(serial));
    expect(reply.responseStatus).toBe(OCSPResponseStatus.internalError);
    const rows = await statusDb(t.signet.ca.store).selectFrom('ocsp_responses').select('serial').where('serial', '=', serial).execute();
    expect(rows).toEqual([]);
    now = new Date(stepped.getTime() + 2 * 3_600_000);
    const later = await t.signet.status.ocsp.respond(request(serial));
    expect(later.responseStatus).toBe(OCSPResponseStatus.successful);
    expect(lintOcspResponse(later.der, context(serial))).toEqual([]);
  });
});
