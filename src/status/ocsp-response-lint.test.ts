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
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelegatedSigners, type DelegatedSigner } from '../ca/delegated-signers.js';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import type { Signer } from '../crypto/signer.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { OcspResponder } from './ocsp-responder.js';
import { checkResponderCertificate, lintOcspResponse, type OcspLintContext } from './ocsp-response-lint.js';
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

  it("a responder certificate checked once is taken only for the bytes it was checked for; the time, the certs attached and the signature are checked at every answer", async () => {
    const ca = await t.signet.ca.issuerContext(h.issuing.caId);
    const checked = checkResponderCertificate(responder.certificateDer, issuingDer, responder.signer.publicKeyInfo);
    expect(checked.findings).toEqual([]);
    // Handed over for an answer signed by another key with the CA certificate attached: not taken, all is checked again.
    const signed = await response(leaves[0]!, { signer: ca.signer, certificate: issuingDer });
    const list = findings(lintOcspResponse(signed, { ...context(leaves[0]!), signerPublicKeyInfo: ca.signer.publicKeyInfo, responderCertificate: issuingDer, checkedResponder: checked }));
    expect(list).toMatch(/lacks id-kp-OCSPSigning/);
    expect(list).toMatch(/not issued by the CA/);
    // The right one: nothing found today; the day after the responder certificate ends, the same check refuses.
    const good = await response(leaves[0]!);
    expect(lintOcspResponse(good, { ...context(leaves[0]!), checkedResponder: checked })).toEqual([]);
    const after = new Date(responder.notAfter.getTime() + 86_400_000);
    expect(findings(lintOcspResponse(good, { ...context(leaves[0]!), now: after, checkedResponder: checked }))).toMatch(/responder certificate is not valid now/);
    // Another certificate attached than the responder's (compared byte for byte, not parsed): refused.
    const otherAttached = await response(leaves[0]!, { certificate: issuingDer });
    expect(findings(lintOcspResponse(otherAttached, { ...context(leaves[0]!), checkedResponder: checked }))).toMatch(/certs is not exactly the responder's certificate/);
    // A signature over other bytes, with the key imported once: refused.
    const tampered = await response(leaves[0]!, { tamper: true });
    expect(findings(lintOcspResponse(tampered, { ...context(leaves[0]!), checkedResponder: checked }))).toMatch(/signature does not verify/);
  });

  it('refuses a BasicOCSPResponse of the wrong shape (RFC 6960 §4.2.1): an element too many, the signature with unused bits', async () => {
    const good = await response(leaves[0]!);
    const basicDer = Buffer.from(AsnConvert.parse(good, OCSPResponse).responseBytes!.response.buffer);
    const basic = asn1js.fromBER(new Uint8Array(basicDer).buffer).result as asn1js.Sequence;
    const rewrap = (value: asn1js.AsnType[]) =>
      Buffer.from(der(new OCSPResponse({ responseStatus: OCSPResponseStatus.successful, responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(new asn1js.Sequence({ value }).toBER(false)) }) })));
    const parts = basic.valueBlock.value;
    expect(findings(lintOcspResponse(rewrap([...parts, new asn1js.Null()]), context(leaves[0]!)))).toMatch(/BasicOCSPResponse is not SEQUENCE/);
    // The same signature octets with the last bit declared unused (zeroed, so the BIT STRING itself is DER).
    const signature = new Uint8Array((parts[2] as asn1js.BitString).valueBlock.valueHexView);
    signature[signature.length - 1]! &= 0xfe;
    expect(findings(lintOcspResponse(rewrap([parts[0]!, parts[1]!, new asn1js.BitString({ valueHex: signature, unusedBits: 1 }), parts[3]!]), context(leaves[0]!)))).toMatch(/signature BIT STRING has unused bits/);
  });

  it('the responder still withholds a wrong answer when its own key or certificate is wrong (checked once per responder, time every answer): internalError, nothing stored', async () => {
    const ca = await t.signet.ca.issuerContext(h.issuing.caId);
    // A certificate nobody has asked about: no answer is stored for it yet.
    const { csrPem } = opensslRequest(mkdtempSync(join(tmpdir(), 'signet-ocsp-lint-')), 'ecdsa-p256', 'ocsp-lint-fault');
    const serial = (await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=ocsp lint fault', subscriberId: 's-fault', requestedBy: 'test', reason: 'test' })).serial;
    const faults: Array<[string, DelegatedSigner, RegExp]> = [
      // A key that signs other bytes (a faulty HSM): the signature check of every answer.
      ['a signature over other bytes', { ...responder, signer: { ...responder.signer, sign: async (bytes: Uint8Array) => responder.signer.sign(Buffer.concat([bytes, Buffer.from([0])])) } as Signer }, /signature does not verify/],
      // The CA's own certificate handed over as the responder's: the certificate's contents, checked once.
      ['the CA certificate attached', { ...responder, certificateDer: issuingDer }, /lacks id-kp-OCSPSigning/],
      // The CA's key with the responder certificate: the certificate does not certify the key that signed.
      ["the CA's key", { ...responder, signer: ca.signer }, /does not certify the key that signed/],
    ];
    for (const [what, faulty, pattern] of faults) {
      const errors: string[] = [];
      const logged = console.error;
      console.error = (...args: unknown[]) => void errors.push(args.join(' '));
      try {
        const ocsp = new OcspResponder(t.signet.ca, {}, { current: async () => faulty } as unknown as DelegatedSigners);
        for (const nonce of [randomBytes(16), undefined]) {
          const reply = await ocsp.respond(request(serial, nonce));
          expect(reply.responseStatus, what).toBe(OCSPResponseStatus.internalError);
        }
      } finally {
        console.error = logged;
      }
      expect(errors.join('\n'), what).toMatch(pattern);
    }
    const rows = await statusDb(t.signet.ca.store).selectFrom('ocsp_responses').select('serial').where('serial', '=', serial).execute();
    expect(rows).toEqual([]);
    // The same responder object later past its certificate's end: refused on that answer although prepared before.
    const ocsp = new OcspResponder(t.signet.ca, {}, { current: async () => responder } as unknown as DelegatedSigners);
    expect((await ocsp.respond(request(serial, randomBytes(16)))).responseStatus).toBe(OCSPResponseStatus.successful);
    const saved = now;
    const logged = console.error;
    const errors: string[] = [];
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    now = new Date(responder.notAfter.getTime() + 86_400_000);
    try {
      expect((await ocsp.respond(request(serial, randomBytes(16)))).responseStatus).toBe(OCSPResponseStatus.internalError);
    } finally {
      now = saved;
      console.error = logged;
    }
    expect(errors.join('\n')).toMatch(/responder certificate is not valid now/);
  });

  it('a nonce answer is signed for its asker alone (RFC 8954 §2.1): each echoes its own nonce, none is stored or served to a question without one', async () => {
    const { csrPem } = opensslRequest(mkdtempSync(join(tmpdir(), 'signet-ocsp-lint-')), 'ecdsa-p256', 'ocsp-lint-nonce');
    const serial = (await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=ocsp lint nonce', subscriberId: 's-nonce', requestedBy: 'test', reason: 'test' })).serial;
    const stored = async () => (await statusDb(t.signet.ca.store).selectFrom('ocsp_responses').select('serial').where('serial', '=', serial).execute()).length;
    const [a, b] = [randomBytes(16), randomBytes(16)];
    const first = await t.signet.status.ocsp.respond(request(serial, a));
    const second = await t.signet.status.ocsp.respond(request(serial, b));
    expect(lintOcspResponse(first.der, context(serial, a))).toEqual([]);
    expect(lintOcspResponse(second.der, context(serial, b))).toEqual([]);
    expect(findings(lintOcspResponse(second.der, context(serial, a)))).toMatch(/nonce is not the request's/);
    expect(first.cache).toBeUndefined();
    expect(await stored()).toBe(0);
    // The question without a nonce gets an answer without one (signed and stored now), not a nonce answer kept.
    const plain = await t.signet.status.ocsp.respond(request(serial));
    expect(lintOcspResponse(plain.der, context(serial))).toEqual([]);
    expect(await stored()).toBe(1);
    // And a nonce question after it is not given that stored answer.
    const third = randomBytes(16);
    expect(lintOcspResponse((await t.signet.status.ocsp.respond(request(serial, third))).der, context(serial, third))).toEqual([]);
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
