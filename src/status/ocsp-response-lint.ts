import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse, OCSPResponseStatus, id_pkix_ocsp_basic, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, ExtendedKeyUsage, KeyUsage, SubjectPublicKeyInfo, id_ce_extKeyUsage, id_ce_keyUsage, type Extension } from '@peculiar/asn1-x509';
import { verifySignature } from '../crypto/signature-verification.js';
import { checkDer, contentsOf, DerError, nodeBytes, type DerNode } from '../crypto/strict-der.js';
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
  let response: OCSPResponse;
  let basic: BasicOCSPResponse;
  let basicDer: Uint8Array;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful) return [`responseStatus ${response.responseStatus} is not successful`];
    if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) return ['responseBytes missing or not id-pkix-ocsp-basic (RFC 6960 §4.2.1)'];
    basicDer = new Uint8Array(response.responseBytes.response.buffer);
    basic = AsnConvert.parse(basicDer, BasicOCSPResponse);
  } catch (error) {
    return [`the OCSPResponse does not parse: ${(error as Error).message}`];
  }
  const basicNode = strict(basicDer, 'the BasicOCSPResponse');
  if (!basicNode) return findings;
  const tbsNode = basicNode.children[0]!;
  const tbs = nodeBytes(basicDer, tbsNode);
  // ResponseData's version is DEFAULT v1: DER leaves it out (X.690 §11.5).
  if (tbsNode.children[0]?.tagClass === 2 && tbsNode.children[0].tagNumber === 0) findings.push('ResponseData writes out its DEFAULT version (X.690 §11.5)');

  if (!Buffer.from(AsnConvert.serialize(basic.signatureAlgorithm)).equals(Buffer.from(context.signatureAlgorithm))) findings.push("the signature algorithm is not the signer's");
  const verified = verifySignature(context.signerPublicKeyInfo, AsnConvert.parse(context.signatureAlgorithm, AlgorithmIdentifier), tbs, new Uint8Array(basic.signature), { distinguishingId: context.distinguishingId });
  if (!verified.ok) findings.push(`the signature does not verify with the responder's key: ${verified.reason}`);

  const data = basic.tbsResponseData;
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

  findings.push(...responderCertificateProblems(basic, context));
  return findings;
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
function responderCertificateProblems(basic: BasicOCSPResponse, context: OcspLintContext): string[] {
  const findings: string[] = [];
  const certs = basic.certs ?? [];
  if (!context.responderCertificate) {
    if (certs.length > 0) findings.push('the CA signs itself and yet certificates are attached');
    return findings;
  }
  if (certs.length !== 1 || !Buffer.from(AsnConvert.serialize(certs[0]!)).equals(Buffer.from(context.responderCertificate))) {
    findings.push("certs is not exactly the responder's certificate (RFC 5019 §2.2.1)");
  }
  const certificate = AsnConvert.parse(context.responderCertificate, Certificate).tbsCertificate;
  if (!Buffer.from(AsnConvert.serialize(certificate.subjectPublicKeyInfo)).equals(Buffer.from(context.signerPublicKeyInfo))) findings.push("the responder certificate does not certify the key that signed");
  if (!Buffer.from(AsnConvert.serialize(certificate.issuer)).equals(Buffer.from(certificateSubjectDer(context.issuerCertificate)))) findings.push('the responder certificate is not issued by the CA (RFC 6960 §4.2.2.2)');
  const now = context.now.getTime();
  if (certificate.validity.notBefore.getTime().getTime() > now + SKEW_MS || certificate.validity.notAfter.getTime().getTime() < now) findings.push('the responder certificate is not valid now');
  const byId = new Map((certificate.extensions ?? []).map((e) => [e.extnID, e]));
  const eku = byId.get(id_ce_extKeyUsage);
  if (!eku || ![...AsnConvert.parse(eku.extnValue.buffer, ExtendedKeyUsage)].includes(OCSP_SIGNING)) findings.push('the responder certificate lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)');
  const nocheck = byId.get(OCSP_NOCHECK);
  if (!nocheck) findings.push('the responder certificate lacks id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)');
  else if (!Buffer.from(nocheck.extnValue.buffer).equals(Buffer.from([0x05, 0x00]))) findings.push('id-pkix-ocsp-nocheck is not NULL');
  const ku = byId.get(id_ce_keyUsage);
  if (ku && !AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toJSON().includes('digitalSignature')) findings.push('the responder certificate keyUsage lacks digitalSignature');
  return findings;
}
