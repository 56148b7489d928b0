import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { HASH_OID, hashOutputLength, type HashName } from '../crypto/algorithms.js';
import type { PublicKeyCache } from '../crypto/public-key.js';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Signer } from '../crypto/signer.js';
import { checkDer, contentsOf, DerError, nodeBytes, type DerNode } from '../crypto/strict-der.js';
import { id_contentType, id_messageDigest } from './cms-signed-data.js';
import { id_aa_signingCertificateV2 } from './ess-signing-certificate.js';
import { integerContents, oidContents } from './token-encoder.js';

/**
 * The basics of RFC 3161 §2.4.2 (and the CMS around it, RFC 5652 §5,
 * RFC 5035) checked over a time-stamp token before it is recorded and
 * released (lint-before-release, as certificate-lint.ts is lint-before-sign):
 * a finding means the token is dropped and the client gets systemFailure.
 * The token is walked as a DER outline (strict-der.ts), not parsed into
 * asn1-schema objects: every token goes through here.
 */

export interface TokenLintContext {
  /** The TSA policy the token must name. */
  policy: string;
  /** What the query asked to be stamped: the token's MessageImprint is these values. */
  hash: HashName;
  nullParameters: boolean;
  hashedMessage: Uint8Array;
  nonce?: bigint;
  /** The serial the TSA drew (content octets) and the time it stamped. */
  serial: Uint8Array;
  genTime: Date;
  /** Whether certReq asked for the TSA's certificate in the token (RFC 3161 §2.4.1). */
  includeCertificate: boolean;
  /** The TSA's certificate and key. */
  certificateDer: Uint8Array;
  signer: Signer;
  /** The digest of the signed attributes. */
  digest: HashName;
  /** The signer's AlgorithmIdentifier as DER, encoded once per TSA identity (else encoded here). */
  signatureAlgorithmDer?: Uint8Array;
  /** The TSA's key imported once (the composition root's cache), not once per token. */
  publicKeys?: PublicKeyCache;
}

/** An OID's contents octets as hex, for comparing with what the token carries. */
const oidHex = (oid: string) => oidContents(oid).toString('hex');
const SIGNED_DATA = oidHex('1.2.840.113549.1.7.2');
const TST_INFO = oidHex('1.2.840.113549.1.9.16.1.4');
const CONTENT_TYPE = oidHex(id_contentType);
const MESSAGE_DIGEST = oidHex(id_messageDigest);
const SIGNING_CERTIFICATE_V2 = oidHex(id_aa_signingCertificateV2);
const SIGNING_CERTIFICATE = oidHex('1.2.840.113549.1.9.16.2.12');
const HASH_OID_HEX = Object.fromEntries(Object.entries(HASH_OID).map(([name, oid]) => [name, oidHex(oid)])) as Record<HashName, string>;
/** The hashes an ESSCertIDv2 may name here (SM3 is not one node:crypto is sure to have). */
const ESS_HASHES = (Object.keys(HASH_OID) as HashName[]).filter((h) => h !== 'sm3');

const is = (node: DerNode | undefined, tagClass: number, tagNumber: number) => node !== undefined && node.tagClass === tagClass && node.tagNumber === tagNumber;

/** Findings for a granted reply and its token about to be released; empty when they may go out. */
export function lintTimeStampToken(reply: Uint8Array, token: Uint8Array, context: TokenLintContext): string[] {
  const findings: string[] = [];
  let replyNode: DerNode;
  try {
    replyNode = checkDer(reply, 'the TimeStampResp');
  } catch (error) {
    if (error instanceof DerError) return [`${error.message} (X.690 §10–11)`];
    throw error;
  }
  // TimeStampResp ::= SEQUENCE { status PKIStatusInfo (granted), timeStampToken } (RFC 3161 §2.4.2).
  const [status, carried] = replyNode.children;
  const carriesToken = carried !== undefined && Buffer.from(nodeBytes(reply, carried)).equals(Buffer.from(token));
  if (!status || !Buffer.from(contentsOf(reply, status)).equals(Buffer.from([2, 1, 0])) || !carriesToken) {
    findings.push('the reply is not { granted, the token }');
  }
  // The token as the reply carries it: the walk above checked it already. A reply that does not carry it has the token walked on its own.
  let der: Uint8Array = reply;
  let root: DerNode;
  if (carriesToken) root = carried!;
  else {
    try {
      der = token;
      root = checkDer(token, 'the TimeStampToken');
    } catch (error) {
      if (error instanceof DerError) return [...findings, `${error.message} (X.690 §10–11)`];
      throw error;
    }
  }
  const hex = (node: DerNode | undefined) => (node ? Buffer.from(contentsOf(der, node)).toString('hex') : '');

  // ContentInfo { id-signedData, [0] SignedData }.
  const [contentType, explicit] = root.children;
  if (hex(contentType) !== SIGNED_DATA || !is(explicit, 2, 0)) return [...findings, 'the token is not a ContentInfo of SignedData (RFC 3161 §2.4.2)'];
  const signedData = explicit!.children[0]!;
  const [version, digestAlgorithms, encap, ...rest] = signedData.children;
  if (hex(version) !== '03') findings.push('SignedData version is not 3 (RFC 5652 §5.1: eContentType is not id-data)');
  const [eContentType, eContentExplicit] = encap?.children ?? [];
  if (hex(eContentType) !== TST_INFO) findings.push('eContentType is not id-ct-TSTInfo (RFC 3161 §2.4.2)');
  const eContent = eContentExplicit?.children[0];
  if (!is(eContent, 0, 4)) return [...findings, 'the TSTInfo is not in eContent'];
  const tstInfo = contentsOf(der, eContent!);
  findings.push(...lintTstInfo(tstInfo, context));

  const certificates = rest.find((n) => is(n, 2, 0));
  if (context.includeCertificate !== (certificates !== undefined)) findings.push(`certificates ${certificates ? 'present though certReq was false' : 'missing though certReq was true'} (RFC 3161 §2.4.1)`);
  if (certificates && !certificates.children.some((c) => Buffer.from(nodeBytes(der, c)).equals(Buffer.from(context.certificateDer)))) findings.push("certificates lack the TSA's own");
  const signerInfos = rest[rest.length - 1];
  if (!is(signerInfos, 0, 17) || signerInfos!.children.length !== 1) return [...findings, 'SignedData has not exactly one SignerInfo (RFC 3161 §2.4.2)'];
  const [siVersion, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature] = signerInfos!.children[0]!.children;
  if (hex(siVersion) !== '01' || !is(sid, 0, 16)) findings.push('the SignerInfo does not name its certificate by issuer and serial (version 1)');
  const digestOid = hex(digestAlgorithm?.children[0]);
  if (digestOid !== HASH_OID_HEX[context.digest]) findings.push(`the SignerInfo digest algorithm is not ${context.digest}`);
  if (!digestAlgorithms?.children.some((a) => hex(a.children[0]) === digestOid)) findings.push("digestAlgorithms lacks the SignerInfo's (RFC 5652 §5.1)");
  if (!is(signedAttrs, 2, 0)) return [...findings, 'the SignerInfo has no signed attributes (RFC 5652 §5.3)'];

  const attributes = new Map<string, DerNode[]>();
  for (const attribute of signedAttrs!.children) {
    const type = hex(attribute.children[0]);
    if (attributes.has(type)) findings.push(`signed attribute ${type} appears twice (RFC 5652 §5.3)`);
    attributes.set(type, attribute.children[1]?.children ?? []);
  }
  const single = (type: string) => {
    const values = attributes.get(type);
    return values?.length === 1 ? values[0] : undefined;
  };
  if (hex(single(CONTENT_TYPE)) !== TST_INFO) findings.push('the contentType attribute is not id-ct-TSTInfo (RFC 5652 §11.1)');
  const messageDigest = createHash(context.digest).update(tstInfo).digest('hex');
  if (hex(single(MESSAGE_DIGEST)) !== messageDigest) findings.push('the messageDigest attribute is not the digest of the TSTInfo (RFC 5652 §11.2)');
  const essV2 = single(SIGNING_CERTIFICATE_V2);
  if (!essV2 && !single(SIGNING_CERTIFICATE)) findings.push('no signing-certificate attribute (RFC 3161 §2.4.1, RFC 5035)');
  if (essV2) findings.push(...lintSigningCertificateV2(der, essV2, context.certificateDer));

  const algorithmDer = context.signatureAlgorithmDer ?? new Uint8Array(AsnConvert.serialize(context.signer.signatureAlgorithm));
  if (!signatureAlgorithm || !Buffer.from(nodeBytes(der, signatureAlgorithm)).equals(Buffer.from(algorithmDer))) findings.push("the signature algorithm is not the signer's");
  // RFC 5652 §5.4: the signature covers the attributes under the SET tag, not the [0] they travel in.
  const toBeSigned = Buffer.from(nodeBytes(der, signedAttrs!));
  toBeSigned[0] = 0x31;
  const verified = verifySignature(
    context.signer.publicKeyInfo,
    context.signer.signatureAlgorithm,
    toBeSigned,
    signature ? contentsOf(der, signature) : new Uint8Array(),
    { distinguishingId: context.signer.distinguishingId, publicKeys: context.publicKeys },
  );
  if (!verified.ok) findings.push(`the signature does not verify with the TSA's key: ${verified.reason}`);
  return findings;
}

/**
 * RFC 5035 §3, read from the outline (every token passes here): the first
 * ESSCertIDv2 names the TSA certificate by its hash, SHA-256 when
 * hashAlgorithm is left out (its DEFAULT, which DER leaves out, X.690 §11.5).
 *
 *   SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies SEQUENCE OF PolicyInformation OPTIONAL }
 *   ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {id-sha256}, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 */
function lintSigningCertificateV2(der: Uint8Array, value: DerNode, certificateDer: Uint8Array): string[] {
  const mismatch = ["the ESSCertIDv2 is not the TSA certificate's hash (RFC 5035 §3)"];
  const certs = value.children[0];
  const first = certs?.children[0];
  if (!is(value, 0, 16) || !is(certs, 0, 16) || !is(first, 0, 16)) return mismatch;
  const algorithm = first!.children[0];
  let certHash = first!.children[1];
  let hash: HashName | undefined = 'sha256';
  if (is(algorithm, 0, 16)) {
    const oid = algorithm!.children[0] ? Buffer.from(contentsOf(der, algorithm!.children[0])).toString('hex') : '';
    if (oid === HASH_OID_HEX.sha256 && algorithm!.children.length === 1) return ['the ESSCertIDv2 writes out its DEFAULT hashAlgorithm sha256 (X.690 §11.5)'];
    hash = ESS_HASHES.find((h) => HASH_OID_HEX[h] === oid);
  } else certHash = algorithm;
  if (!hash || !is(certHash, 0, 4)) return mismatch;
  const expected = createHash(hash).update(certificateDer).digest();
  return expected.equals(contentsOf(der, certHash!)) ? [] : mismatch;
}

/**
 * TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy, messageImprint, serialNumber, genTime,
 *   accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] OPTIONAL, extensions [1] OPTIONAL }
 */
export function lintTstInfo(tst: Uint8Array, context: Pick<TokenLintContext, 'policy' | 'hash' | 'nullParameters' | 'hashedMessage' | 'nonce' | 'serial' | 'genTime'>): string[] {
  const findings: string[] = [];
  let root: DerNode;
  try {
    root = checkDer(tst, 'the TSTInfo');
  } catch (error) {
    if (error instanceof DerError) return [`the TSTInfo is not DER: ${error.reason}`];
    throw error;
  }
  const hex = (node: DerNode | undefined) => (node ? Buffer.from(contentsOf(tst, node)).toString('hex') : '');
  const [version, policy, imprint, serial, genTime, ...optional] = root.children;
  if (hex(version) !== '01') findings.push('TSTInfo version is not 1 (RFC 3161 §2.4.2)');
  if (!is(policy, 0, 6) || hex(policy) !== oidHex(context.policy)) findings.push(`policy is not the TSA's ${context.policy}`);

  const [algorithm, hashed] = imprint?.children ?? [];
  const [hashOid, parameters] = algorithm?.children ?? [];
  if (hex(hashOid) !== HASH_OID_HEX[context.hash]) findings.push(`the imprint's hash algorithm is not ${context.hash}, the query's`);
  const nullParameters = is(parameters, 0, 5);
  if (parameters && !nullParameters) findings.push('the imprint hash algorithm has parameters other than NULL');
  if (nullParameters !== context.nullParameters) findings.push('the imprint hash parameters differ from the query\'s (RFC 3161 §2.4.2: the same value)');
  const digest = hashed && is(hashed, 0, 4) ? contentsOf(tst, hashed) : new Uint8Array();
  if (digest.length !== hashOutputLength(context.hash)) findings.push(`the imprint is ${digest.length} octets, not ${context.hash}'s ${hashOutputLength(context.hash)}`);
  if (!Buffer.from(digest).equals(Buffer.from(context.hashedMessage))) findings.push("the imprint is not the query's hashedMessage");

  const serialBytes = serial && is(serial, 0, 2) ? contentsOf(tst, serial) : new Uint8Array();
  if (serialBytes.length === 0 || serialBytes[0]! & 0x80) findings.push('serialNumber is not a positive INTEGER');
  if (serialBytes.length > 20) findings.push('serialNumber is longer than 160 bits (RFC 3161 §2.4.2)');
  if (!Buffer.from(serialBytes).equals(Buffer.from(context.serial))) findings.push('serialNumber is not the one drawn');

  const time = genTime && is(genTime, 0, 24) ? Buffer.from(contentsOf(tst, genTime)).toString('latin1') : '';
  const parsed = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(time);
  if (!parsed) findings.push('genTime is not a GeneralizedTime in UTC (RFC 3161 §2.4.2)');
  else {
    const [, y, mo, d, hh, mm, ss, fraction] = parsed;
    const ms = Date.UTC(+y!, +mo! - 1, +d!, +hh!, +mm!, +ss!) + Math.round(Number(`0${fraction ?? ''}`) * 1000);
    if (ms !== context.genTime.getTime()) findings.push(`genTime ${time} is not the time stamped, ${context.genTime.toISOString()}`);
  }

  let nonce: DerNode | undefined;
  for (const node of optional) {
    if (is(node, 0, 1)) {
      if (hex(node) === '00') findings.push('ordering FALSE written out (DEFAULT, X.690 §11.5)');
    } else if (is(node, 0, 2)) nonce = node;
    else if (is(node, 2, 1)) {
      for (const extension of node.children) {
        if (extension.children.length === 3 && hex(extension.children[1]) === 'ff') findings.push('a critical TSTInfo extension');
      }
    }
  }
  if (context.nonce === undefined && nonce) findings.push('a nonce the query did not carry');
  if (context.nonce !== undefined) {
    if (!nonce) findings.push("the query's nonce is missing (RFC 3161 §2.4.2: MUST be present when the request had one)");
    else if (hex(nonce) !== Buffer.from(integerContents(context.nonce)).toString('hex')) findings.push("the nonce is not the query's value");
  }
  return findings;
}
