import { createHash, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPResponse, OCSPResponseStatus, ResponseData, id_pkix_ocsp_basic, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, ExtendedKeyUsage, KeyUsage, SubjectPublicKeyInfo, id_ce_extKeyUsage, id_ce_keyUsage, type Extension } from '@peculiar/asn1-x509';
import { verifySignature } from '../crypto/signature-verification.js';
import { checkDer, contentsOf, DerError, nodeBytes, parseCheckedDer, type DerNode } from '../crypto/strict-der.js';
import { certificateSubjectDer } from './crl-lint.js';

/**
 * The basics of RFC 6960 and its RFC 5019 profile checked over a signed
 * OCSPResponse before it is served, cached or stored (lint-before-release, as
 * certificate-lint.ts is lint-before-sign): a finding means the response is
 * dropped and the client gets internalError.
 */

export interface OcspLintContext {
  /** The SubjectPublicKeyInfo DER of the key that signed (the delegated responder's, or the CA's own). */
  signerPublicKeyInfo: Uint8Array;
  /** DER of the signer's AlgorithmIdentifier. */
  signatureAlgorithm: Uint8Array;
  /** An SM2 signer's distinguishing ID, to verify the signature. */
  distinguishingId?: string;
  /** The delegated responder's certificate, which the response must carry alone (RFC 6960 §4.2.2.2); absent when the CA signs itself. */
  responderCertificate?: Uint8Array;
  /**
   * What checkResponderCertificate found in responderCertificate, when the caller checked it once for every answer
   * that responder signs. Taken only if it was made from these very certificate, issuer and signer bytes; otherwise
   * (or when absent) the certificate is checked here. Its validity period is checked at every answer either way.
   */
  checkedResponder?: CheckedResponderCertificate;
  /** signerPublicKeyInfo already imported (a responder checks all its answers with one key); imported here when absent. */
  signerKey?: KeyObject;
  /** The CA whose certificates are asked about: a delegated responder's certificate is issued by it (§4.2.2.2). */
  issuerCertificate: Uint8Array;
  /** The CertIDs asked about, DER, in the request's order (§4.2.1: one SingleResponse each). */
  certIds: Uint8Array[];
  /** The request's nonce (the extension's value, RFC 8954): echoed exactly, or no nonce when none was asked. */
  nonce?: Uint8Array;
  now: Date;
}

const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const GENERALIZED_TIME = 0x18;
const REASONS = new Set([1, 2, 3, 4, 5, 6, 8, 9, 10]);
/** Clocks of several nodes: a response a little ahead of this node's clock is not a fault. */
const SKEW_MS = 5 * 60_000;

/** Findings for a successful OCSPResponse about to be released; empty when it may go out. */
export function lintOcspResponse(der: Uint8Array, context: OcspLintContext): string[] {
  const findings: string[] = [];
  const strict = (bytes: Uint8Array, what: string): DerNode | undefined => {
    try {
      return checkDer(bytes, what);
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      findings.push(`${what} is not DER: ${error.reason} (X.690 §10–11)`);
      return undefined;
    }
  };
  if (!strict(der, 'the OCSPResponse')) return findings;
  let basicDer: Uint8Array;
  try {
    // Checked as DER above; parsed without asn1js trying the response OCTET STRING as nested ASN.1 (parseCheckedDer).
    const response = parseCheckedDer(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful) return [`responseStatus ${response.responseStatus} is not successful`];
    if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) return ['responseBytes missing or not id-pkix-ocsp-basic (RFC 6960 §4.2.1)'];
    basicDer = new Uint8Array(response.responseBytes.response.buffer);
  } catch (error) {
    return [`the OCSPResponse does not parse: ${(error as Error).message}`];
  }
  const basicNode = strict(basicDer, 'the BasicOCSPResponse');
  if (!basicNode) return findings;
  const basic = basicParts(basicDer, basicNode);
  if (typeof basic === 'string') return [...findings, basic];
  const tbsNode = basic.tbs;
  const tbs = nodeBytes(basicDer, tbsNode);
  let data: ResponseData;
  try {
    data = parseCheckedDer(tbs, ResponseData);
  } catch (error) {
    return [...findings, `the OCSPResponse does not parse: ${(error as Error).message}`];
  }
  // ResponseData's version is DEFAULT v1: DER leaves it out (X.690 §11.5).
  if (tbsNode.children[0]?.tagClass === 2 && tbsNode.children[0].tagNumber === 0) findings.push('ResponseData writes out its DEFAULT version (X.690 §11.5)');

  if (!Buffer.from(basic.signatureAlgorithm).equals(Buffer.from(context.signatureAlgorithm))) findings.push("the signature algorithm is not the signer's");
  const verified = verifySignature(context.signerPublicKeyInfo, AsnConvert.parse(context.signatureAlgorithm, AlgorithmIdentifier), tbs, basic.signature, {
    distinguishingId: context.distinguishingId,
    publicKey: context.signerKey,
  });
  if (!verified.ok) findings.push(`the signature does not verify with the responder's key: ${verified.reason}`);

  // RFC 5019 §2.2.3 names by key; byName must be the signer certificate's subject.
  const signerKey = AsnConvert.parse(context.signerPublicKeyInfo, SubjectPublicKeyInfo);
  const keyHash = createHash('sha1').update(Buffer.from(signerKey.subjectPublicKey)).digest();
  if (data.responderID.byKey) {
    if (!Buffer.from(data.responderID.byKey.buffer).equals(keyHash)) findings.push("responderID byKey is not the SHA-1 of the signer's public key (RFC 6960 §4.2.2.3)");
  } else if (data.responderID.byName) {
    const signerCertificate = context.responderCertificate ?? context.issuerCertificate;
    if (!Buffer.from(AsnConvert.serialize(data.responderID.byName)).equals(Buffer.from(certificateSubjectDer(signerCertificate)))) findings.push("responderID byName is not the signer certificate's subject");
  } else findings.push('responderID is neither byName nor byKey');

  const times = generalizedTimes(basicDer, tbsNode);
  for (const problem of times) findings.push(problem);
  const producedAt = data.producedAt.getTime();
  if (producedAt > context.now.getTime() + SKEW_MS) findings.push('producedAt is in the future');

  if (data.responses.length !== context.certIds.length) findings.push(`${data.responses.length} responses for ${context.certIds.length} CertIDs asked (RFC 6960 §4.2.1)`);
  data.responses.forEach((single, i) => {
    const label = `response ${i + 1}`;
    const asked = context.certIds[i];
    if (asked && !Buffer.from(AsnConvert.serialize(single.certID)).equals(Buffer.from(asked))) findings.push(`${label}: certID is not the one asked, byte for byte (RFC 6960 §4.1.1)`);
    const status = single.certStatus;
    const kinds = [status.good !== undefined, status.revoked !== undefined, status.unknown !== undefined].filter(Boolean).length;
    if (kinds !== 1) findings.push(`${label}: certStatus is not exactly one of good, revoked, unknown`);
    if (status.revoked) {
      if (status.revoked.revocationTime.getTime() > producedAt + SKEW_MS) findings.push(`${label}: revocationTime after producedAt`);
      const reason = status.revoked.revocationReason;
      if (reason !== undefined) {
        const code = Number(reason.reason);
        if (code === 0) findings.push(`${label}: revocationReason unspecified written out (RFC 5280 §5.3.1)`);
        else if (!REASONS.has(code)) findings.push(`${label}: revocationReason ${code} is not defined (RFC 5280 §5.3.1)`);
      }
    }
    const thisUpdate = single.thisUpdate.getTime();
    if (thisUpdate > producedAt + SKEW_MS) findings.push(`${label}: thisUpdate after producedAt`);
    if (!single.nextUpdate) findings.push(`${label}: nextUpdate is missing (RFC 5019 §2.2.4)`);
    else if (single.nextUpdate.getTime() <= thisUpdate) findings.push(`${label}: nextUpdate is not after thisUpdate (RFC 6960 §4.2.2.1)`);
    findings.push(...extensionProblems(single.singleExtensions ?? [], `${label} singleExtensions`));
  });

  const extensions = data.responseExtensions ?? [];
  findings.push(...extensionProblems(extensions, 'responseExtensions'));
  const nonce = extensions.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (context.nonce && !nonce) findings.push('the request had a nonce and the response does not echo it (RFC 8954 §2.1)');
  if (!context.nonce && nonce) findings.push('a nonce nobody asked for');
  if (context.nonce && nonce) {
    if (!Buffer.from(nonce.extnValue.buffer).equals(Buffer.from(context.nonce))) findings.push("the nonce is not the request's, byte for byte (RFC 8954 §2.1)");
    if (nonce.critical) findings.push('the nonce extension is critical');
  }

  findings.push(...responderCertificateProblems(basic.certs, context));
  return findings;
}

const is = (node: DerNode | undefined, tagClass: number, tagNumber: number, constructed: boolean): node is DerNode =>
  node !== undefined && node.tagClass === tagClass && node.tagNumber === tagNumber && node.constructed === constructed;

/**
 * BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
 * signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL } (RFC 6960 §4.2.1), read from the
 * outline checkDer made: the certificates attached are compared byte for byte with the responder's (whose
 * contents checkResponderCertificate reads), not parsed again with every answer. A string: why it is not one.
 */
function basicParts(bytes: Uint8Array, node: DerNode): { tbs: DerNode; signatureAlgorithm: Uint8Array; signature: Uint8Array; certs: Uint8Array[] } | string {
  const [tbs, algorithm, signature, certs, ...more] = node.children;
  const shape = 'the BasicOCSPResponse is not SEQUENCE { ResponseData, AlgorithmIdentifier, BIT STRING, [0] certs OPTIONAL } (RFC 6960 §4.2.1)';
  if (!is(node, 0, 16, true) || !is(tbs, 0, 16, true) || !is(algorithm, 0, 16, true) || !is(signature, 0, 3, false) || more.length > 0) return shape;
  const bits = contentsOf(bytes, signature);
  // A signature is whole octets: checkDer has checked the unused-bits octet is well formed, not that it is 0.
  if (bits[0] !== 0) return 'the signature BIT STRING has unused bits';
  const attached: Uint8Array[] = [];
  if (certs) {
    const list = certs.children[0];
    if (!is(certs, 2, 0, true) || certs.children.length !== 1 || !is(list, 0, 16, true) || !list.children.every((c) => is(c, 0, 16, true))) return shape;
    attached.push(...list.children.map((c) => nodeBytes(bytes, c)));
  }
  return { tbs, signatureAlgorithm: nodeBytes(bytes, algorithm), signature: bits.subarray(1), certs: attached };
}

/** producedAt, each thisUpdate/nextUpdate and revocationTime: GeneralizedTime in whole seconds (RFC 5019 §2.2.4, RFC 5280 §4.1.2.5.2). */
function generalizedTimes(basicDer: Uint8Array, tbsNode: DerNode): string[] {
  const findings: string[] = [];
  const visit = (node: DerNode) => {
    if (node.tagClass === 0 && node.tagNumber === GENERALIZED_TIME) {
      const text = Buffer.from(contentsOf(basicDer, node)).toString('latin1');
      if (text.includes('.')) findings.push(`the time ${text} has fractional seconds (RFC 5019 §2.2.4)`);
    } else if (node.tagClass === 0 && node.tagNumber === 23) findings.push('a UTCTime where RFC 6960 writes GeneralizedTime');
    for (const child of node.children) visit(child);
  };
  visit(tbsNode);
  return findings;
}

function extensionProblems(extensions: readonly Extension[], where: string): string[] {
  const findings: string[] = [];
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.extnID)) findings.push(`${where}: ${extension.extnID} appears twice`);
    seen.add(extension.extnID);
    if (extension.critical) findings.push(`${where}: ${extension.extnID} is critical (Signet writes none that a client must understand)`);
  }
  return findings;
}

/**
 * RFC 6960 §4.2.2.2: a delegated responder's certificate is issued by the CA, carries id-kp-OCSPSigning,
 * (§4.2.2.2.1) id-pkix-ocsp-nocheck, signs (digitalSignature), certifies the key that signed, and is valid now.
 * It travels alone in certs (RFC 5019 §2.2.1: the client needs nothing else).
 */
function responderCertificateProblems(certs: Uint8Array[], context: OcspLintContext): string[] {
  const findings: string[] = [];
  if (!context.responderCertificate) {
    if (certs.length > 0) findings.push('the CA signs itself and yet certificates are attached');
    return findings;
  }
  if (certs.length !== 1 || !Buffer.from(certs[0]!).equals(Buffer.from(context.responderCertificate))) {
    findings.push("certs is not exactly the responder's certificate (RFC 5019 §2.2.1)");
  }
  const checked =
    context.checkedResponder && checkedFor(context.checkedResponder, context.responderCertificate, context.issuerCertificate, context.signerPublicKeyInfo)
      ? context.checkedResponder
      : checkResponderCertificate(context.responderCertificate, context.issuerCertificate, context.signerPublicKeyInfo);
  findings.push(...checked.findings);
  const now = context.now.getTime();
  if (checked.notBefore > now + SKEW_MS || checked.notAfter < now) findings.push('the responder certificate is not valid now');
  return findings;
}

/** Whether `checked` was made from these very bytes: the answer's responder certificate, its issuer and signer. */
function checkedFor(checked: CheckedResponderCertificate, certificate: Uint8Array, issuerCertificate: Uint8Array, signerPublicKeyInfo: Uint8Array): boolean {
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  return same(checked.certificate, certificate) && same(checked.issuerCertificate, issuerCertificate) && same(checked.signerPublicKeyInfo, signerPublicKeyInfo);
}

/** What the lint finds in a delegated responder's certificate apart from the time: the same for every answer it signs. */
export interface CheckedResponderCertificate {
  certificate: Uint8Array;
  issuerCertificate: Uint8Array;
  signerPublicKeyInfo: Uint8Array;
  findings: string[];
  notBefore: number;
  notAfter: number;
}

/**
 * The time-independent half of the responder certificate's checks, for a responder that signs many answers: its
 * certificate, the CA's and the signing key do not change from one answer to the next (a new responder key comes
 * with a new certificate), so the responder checks them once and each answer checks the time and its own bytes.
 */
export function checkResponderCertificate(responderCertificate: Uint8Array, issuerCertificate: Uint8Array, signerPublicKeyInfo: Uint8Array): CheckedResponderCertificate {
  const findings: string[] = [];
  const certificate = AsnConvert.parse(responderCertificate, Certificate).tbsCertificate;
  if (!Buffer.from(AsnConvert.serialize(certificate.subjectPublicKeyInfo)).equals(Buffer.from(signerPublicKeyInfo))) findings.push("the responder certificate does not certify the key that signed");
  if (!Buffer.from(AsnConvert.serialize(certificate.issuer)).equals(Buffer.from(certificateSubjectDer(issuerCertificate)))) findings.push('the responder certificate is not issued by the CA (RFC 6960 §4.2.2.2)');
  const byId = new Map((certificate.extensions ?? []).map((e) => [e.extnID, e]));
  const eku = byId.get(id_ce_extKeyUsage);
  if (!eku || ![...AsnConvert.parse(eku.extnValue.buffer, ExtendedKeyUsage)].includes(OCSP_SIGNING)) findings.push('the responder certificate lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)');
  const nocheck = byId.get(OCSP_NOCHECK);
  if (!nocheck) findings.push('the responder certificate lacks id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)');
  else if (!Buffer.from(nocheck.extnValue.buffer).equals(Buffer.from([0x05, 0x00]))) findings.push('id-pkix-ocsp-nocheck is not NULL');
  const ku = byId.get(id_ce_keyUsage);
  if (ku && !AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toJSON().includes('digitalSignature')) findings.push('the responder certificate keyUsage lacks digitalSignature');
  return {
    certificate: responderCertificate,
    issuerCertificate,
    signerPublicKeyInfo,
    findings,
    notBefore: certificate.validity.notBefore.getTime().getTime(),
    notAfter: certificate.validity.notAfter.getTime().getTime(),
  };
}
