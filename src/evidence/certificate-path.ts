import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  BasicConstraints,
  Certificate as AsnCertificate,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  IssuingDistributionPoint,
  KeyUsage,
  RevokedCertificate,
  id_ce_basicConstraints,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_issuingDistributionPoint,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { BasicOCSPResponse, OCSPResponse, id_pkix_ocsp_basic, id_kp_OCSPSigning } from '@peculiar/asn1-ocsp';
import * as pkijs from 'pkijs';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Sm2KeyDirectory } from '../crypto/sm2-verifier.js';
import { CrlMalformed, crlSignatureValid, readPublishedCrl, walkRevokedEntries, type PublishedCrlReading } from '../status/crl-reader.js';

export interface PathResult {
  ok: boolean;
  /** Leaf first, trust anchor last, as far as it could be built. */
  path: X509Certificate[];
  problems: string[];
  /** Per certificate below the anchor (leaf first): what the revocation data given said at `at`. */
  revocation?: RevocationFinding[];
}

export interface RevocationFinding {
  subject: string;
  /** 'good' when a CRL or OCSP response of the issuer covers it and does not list it as revoked at `at`. */
  status: 'good' | 'revoked' | 'unknown';
  source?: 'crl' | 'ocsp';
  revokedAt?: Date;
}

export interface PathOptions {
  /** CRLs in force at `at` (those of the package or the SignedData). Listed entries revoked after `at` do not count (RFC 3161 §4, evidence "at that time"). */
  crls?: Uint8Array[];
  /** OCSPResponse or BasicOCSPResponse DER. */
  ocsps?: Uint8Array[];
  /** A certificate below the anchor that no CRL or OCSP response given covers makes the path invalid (RFC 5280 §6.3.3 (k): UNDETERMINED). */
  requireRevocation?: boolean;
  /** The SM2 distinguishing IDs of our own keys; other SM2 signers use the default ID. */
  sm2Keys?: Sm2KeyDirectory;
  /** RFC 5280 §6.1.1 (c)-(f) inputs; default anyPolicy, nothing explicit or inhibited, as OpenSSL and Java default. */
  initialPolicySet?: string[];
  initialExplicitPolicy?: boolean;
  initialPolicyMappingInhibit?: boolean;
  initialAnyPolicyInhibit?: boolean;
}

/**
 * PKI.js's engine validates through WebCrypto, which knows neither SM2 (with
 * its signer ID, GB/T 32918.2) nor ML-DSA on every Node; Signet's own
 * verifier (node:crypto plus the SM2 verifier) checks each signature instead,
 * so every algorithm Signet issues is validated by one code path.
 */
class SignetVerifyingEngine extends pkijs.CryptoEngine {
  constructor(private readonly sm2Keys?: Sm2KeyDirectory) {
    super({ name: 'signet', crypto: webcrypto as unknown as typeof globalThis.crypto });
  }

  override async verifyWithPublicKey(
    data: ArrayBuffer | ArrayBufferView,
    signature: { valueBlock: { valueHexView: Uint8Array } },
    publicKeyInfo: pkijs.PublicKeyInfo,
    signatureAlgorithm: pkijs.AlgorithmIdentifier,
  ): Promise<boolean> {
    const spki = new Uint8Array(publicKeyInfo.toSchema().toBER());
    const algorithm = AsnConvert.parse(signatureAlgorithm.toSchema().toBER(), AlgorithmIdentifier);
    const message = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    return verifySignature(spki, algorithm, message, signature.valueBlock.valueHexView, { sm2Keys: this.sm2Keys }).ok;
  }
}

function toArrayBuffer(der: Uint8Array): ArrayBuffer {
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

function describe(certificate: X509Certificate): string {
  return certificate.subject.replace(/\n/g, ', ');
}

/**
 * RFC 5280 §6.1 path validation at a given time, by PKI.js's
 * CertificateChainValidationEngine (path building, signatures, validity,
 * name chaining, basicConstraints/keyUsage of issuers, certificate policies,
 * name constraints), with what that engine leaves out done here:
 * pathLenConstraint (§6.1.4 (l), (m)), unrecognised critical extensions in
 * the leaf (§6.1.5 (f)), and revocation at `at` from the CRLs and OCSP
 * responses given (its own check ignores revocation dates, loads whole CRLs
 * into objects and takes an OCSP response for an algorithm it does not know
 * as "revoked").
 */
export async function validatePath(leafDer: Uint8Array, pool: Uint8Array[], anchors: Uint8Array[], at: Date, options: PathOptions = {}): Promise<PathResult> {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(leafDer));
  } catch (error) {
    return { ok: false, path: [], problems: [`the certificate is unreadable: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  const byTbs = new Map<string, Buffer>();
  const parse = (der: Uint8Array): pkijs.Certificate | undefined => {
    try {
      const certificate = pkijs.Certificate.fromBER(toArrayBuffer(der));
      byTbs.set(Buffer.from(certificate.tbsView).toString('base64'), Buffer.from(der));
      return certificate;
    } catch {
      return undefined;
    }
  };
  const trusted = anchors.map(parse).filter((c): c is pkijs.Certificate => c !== undefined);
  // PKI.js drops duplicates and then validates whichever certificate is last: the leaf must appear once, last.
  const seen = new Set([Buffer.from(leafDer).toString('base64'), ...anchors.map((a) => Buffer.from(a).toString('base64'))]);
  const distinct = pool.filter((der) => {
    const key = Buffer.from(der).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const intermediates = distinct.map(parse).filter((c): c is pkijs.Certificate => c !== undefined);
  const leafCertificate = parse(leafDer);
  if (!leafCertificate) return { ok: false, path: [leaf], problems: [`"${describe(leaf)}" cannot be read as an X.509 certificate`] };
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: trusted,
    // The engine takes the last certificate as the one to validate.
    certs: [...intermediates, leafCertificate],
    checkDate: at,
  });
  const crypto = new SignetVerifyingEngine(options.sm2Keys);
  const outcome = await engine.verify(
    {
      initialPolicySet: options.initialPolicySet,
      initialExplicitPolicy: options.initialExplicitPolicy,
      initialPolicyMappingInhibit: options.initialPolicyMappingInhibit,
      initialInhibitPolicy: options.initialAnyPolicyInhibit,
    },
    crypto,
  );
  const built = (outcome.certificatePath ?? []).map((c) => byTbs.get(Buffer.from(c.tbsView).toString('base64'))).filter((d): d is Buffer => d !== undefined);
  const path = built.length > 0 ? built.map((d) => new X509Certificate(d)) : [leaf];
  if (!outcome.result) {
    problems.push(pathProblem(outcome, leaf, at));
    return { ok: false, path, problems };
  }
  const ders = built;
  if (!ders[0]?.equals(Buffer.from(leafDer))) return { ok: false, path, problems: [`the path PKI.js built does not start at "${describe(leaf)}"`] };
  problems.push(...pathLengthProblems(ders), ...criticalExtensionProblems(ders));
  const revocation = options.requireRevocation || options.crls?.length || options.ocsps?.length ? revocationAt(ders, at, options, problems) : undefined;
  return { ok: problems.length === 0, path, problems, revocation };
}

function pathProblem(outcome: { resultCode?: number; resultMessage?: string }, leaf: X509Certificate, at: Date): string {
  const message = outcome.resultMessage ?? 'invalid';
  if (outcome.resultCode === 8) return `a certificate of the path to "${describe(leaf)}" is not valid at ${at.toISOString()} (${message})`;
  if (/No valid certificate paths|Unable to find certificate path|No certificate's issuers/.test(message)) {
    return `no trusted issuer found for "${describe(leaf)}" (RFC 5280 §6.1: ${message})`;
  }
  return `the path of "${describe(leaf)}" is not valid (RFC 5280 §6.1: ${message})`;
}

function extension<T>(certificate: AsnCertificate, oid: string, type: new () => T): T | undefined {
  const found = certificate.tbsCertificate.extensions?.find((e) => e.extnID === oid);
  return found ? AsnConvert.parse(found.extnValue.buffer, type) : undefined;
}

function isSelfIssued(certificate: AsnCertificate): boolean {
  return Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.subject)).equals(Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.issuer)));
}

/** RFC 5280 §6.1.4 (l), (m): max_path_length counts the non-self-issued CAs below each constraint. */
function pathLengthProblems(ders: Buffer[]): string[] {
  // ders: leaf first, anchor last; the anchor's own constraint counts as trust anchor input here, as OpenSSL and Java apply it.
  const certificates = ders.map((d) => AsnConvert.parse(d, AsnCertificate));
  let maxPathLength = ders.length;
  for (let i = certificates.length - 1; i >= 1; i--) {
    const certificate = certificates[i]!;
    const isAnchor = i === certificates.length - 1;
    if (!isAnchor && !isSelfIssued(certificate)) {
      if (maxPathLength <= 0) return [`the path is longer than a pathLenConstraint above "${subjectOf(ders[i]!)}" allows (RFC 5280 §6.1.4 (l))`];
      maxPathLength -= 1;
    }
    const constraint = extension(certificate, id_ce_basicConstraints, BasicConstraints)?.pathLenConstraint;
    if (constraint !== undefined && constraint < maxPathLength) maxPathLength = constraint;
  }
  return [];
}

function subjectOf(der: Buffer): string {
  return describe(new X509Certificate(der));
}

/**
 * Extensions this validation processes or may ignore (RFC 5280 §4.2 and the
 * PKIX ones Signet issues). PKI.js gives every extension a parsed value, so
 * its own "unparsable critical extension" test never fires for unknown ones.
 */
const RECOGNISED_EXTENSIONS = new Set([
  '2.5.29.9', '2.5.29.14', '2.5.29.15', '2.5.29.16', '2.5.29.17', '2.5.29.18', '2.5.29.19', '2.5.29.30', '2.5.29.31',
  '2.5.29.32', '2.5.29.33', '2.5.29.35', '2.5.29.36', '2.5.29.37', '2.5.29.46', '2.5.29.54',
  '1.3.6.1.5.5.7.1.1', '1.3.6.1.5.5.7.1.11', '1.3.6.1.5.5.7.48.1.5', '1.3.6.1.4.1.11129.2.4.2',
]);

/** RFC 5280 §6.1.4 (o), §6.1.5 (f): an unrecognised critical extension anywhere below the anchor. */
function criticalExtensionProblems(ders: Buffer[]): string[] {
  return ders.slice(0, -1).flatMap((der) =>
    (AsnConvert.parse(der, AsnCertificate).tbsCertificate.extensions ?? [])
      .filter((e) => e.critical && !RECOGNISED_EXTENSIONS.has(e.extnID))
      .map((e) => `"${subjectOf(der)}" carries a critical extension ${e.extnID} that is not recognised (RFC 5280 §6.1.4 (o))`),
  );
}

function revocationAt(ders: Buffer[], at: Date, options: PathOptions, problems: string[]): RevocationFinding[] {
  const findings: RevocationFinding[] = [];
  // A CRL's frame is read only when its bytes hold the issuer's name, and once per path: PKITS hands every case 170 CRLs.
  const given = (options.crls ?? []).map((der) => Buffer.from(der.buffer, der.byteOffset, der.byteLength));
  const readings = new Map<number, PublishedCrlReading | null>();
  const crlsOf = (issuerName: Buffer): PublishedCrlReading[] =>
    given.flatMap((der, index) => {
      if (!der.includes(issuerName)) return [];
      if (!readings.has(index)) {
        try {
          readings.set(index, readPublishedCrl(der));
        } catch (error) {
          if (!(error instanceof CrlMalformed)) throw error;
          readings.set(index, null);
        }
      }
      return readings.get(index) ?? [];
    });
  for (let i = 0; i < ders.length - 1; i++) {
    const subject = new X509Certificate(ders[i]!);
    const issuer = new X509Certificate(ders[i + 1]!);
    const finding = ocspFinding(subject, issuer, at, options.ocsps ?? [], options.sm2Keys) ?? crlFinding(subject, issuer, at, crlsOf(nameOf(issuer)), options.sm2Keys);
    const result: RevocationFinding = { subject: describe(subject), status: finding?.status ?? 'unknown', source: finding?.source, revokedAt: finding?.revokedAt };
    if (result.status === 'revoked') {
      problems.push(`"${result.subject}" was revoked at ${result.revokedAt!.toISOString()}, before ${at.toISOString()} (${result.source === 'ocsp' ? 'OCSP response' : 'CRL'})`);
    } else if (result.status === 'unknown' && options.requireRevocation) {
      problems.push(`no usable CRL or OCSP response covers "${result.subject}" at ${at.toISOString()} (RFC 5280 §6.3.3)`);
    }
    findings.push(result);
  }
  return findings;
}

function spkiOf(certificate: X509Certificate): Uint8Array {
  return certificate.publicKey.export({ type: 'spki', format: 'der' });
}

function mayUse(certificate: X509Certificate, bit: 'crlSign' | 'digitalSignature'): boolean {
  const ku = extension(AsnConvert.parse(certificate.raw, AsnCertificate), id_ce_keyUsage, KeyUsage);
  return !ku || ku.toJSON().includes(bit);
}

/** CRL extensions this reader processes (RFC 5280 §5.2); an unknown critical one makes the CRL unusable (§5.2, §6.3.3). */
const KNOWN_CRL_EXTENSIONS = new Set(['2.5.29.20', '2.5.29.35', '2.5.29.28', '2.5.29.46']);
const DELTA_CRL_INDICATOR = '2.5.29.27';
/** Entry extensions: reasonCode, invalidityDate, holdInstructionCode. certificateIssuer (indirect CRLs) is not read: Signet issues none. */
const KNOWN_ENTRY_EXTENSIONS = new Set(['2.5.29.21', '2.5.29.24', '2.5.29.23']);

/**
 * RFC 5280 §6.3, within one complete CRL of the direct issuer (Signet issues
 * no indirect CRLs, and deltas only complement a full CRL: a delta alone never
 * vouches for a certificate). The CRL must be in force at `at` or later.
 */
function nameOf(certificate: X509Certificate): Buffer {
  return Buffer.from(AsnConvert.serialize(AsnConvert.parse(certificate.raw, AsnCertificate).tbsCertificate.subject));
}

function crlFinding(subject: X509Certificate, issuer: X509Certificate, at: Date, crls: PublishedCrlReading[], sm2Keys?: Sm2KeyDirectory): Omit<RevocationFinding, 'subject'> | undefined {
  const issuerName = nameOf(issuer);
  for (const crl of crls) {
    if (!crl.issuer.equals(issuerName) || !mayUse(issuer, 'crlSign') || !crlSignatureValid(crl, spkiOf(issuer), sm2Keys)) continue;
    if (crl.nextUpdate && crl.nextUpdate < at) continue;
    if (crl.extensions.some((e) => e.extnID === DELTA_CRL_INDICATOR || (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.extnID)))) continue;
    if (!idpCovers(crl, subject)) continue;
    const entry = entryOf(crl, Buffer.from(AsnConvert.parse(subject.raw, AsnCertificate).tbsCertificate.serialNumber));
    if (entry?.crlEntryExtensions?.some((e) => e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.extnID))) continue;
    const revokedAt = entry?.revocationDate.getTime();
    if (revokedAt && revokedAt <= at) return { status: 'revoked', source: 'crl', revokedAt };
    return { status: 'good', source: 'crl' };
  }
  return undefined;
}

/** The entry for these serial octets (compared as encoded, so a negative serial matches too). */
function entryOf(crl: PublishedCrlReading, serial: Buffer): RevokedCertificate | null {
  let found: [number, number] | undefined;
  walkRevokedEntries(crl, (octets, at, end) => {
    if (!found && octets.equals(serial)) found = [at, end];
  });
  return found ? AsnConvert.parse(crl.der.subarray(found[0], found[1]), RevokedCertificate) : null;
}

/**
 * RFC 5280 §6.3.3 (b)(2): a CRL with an issuingDistributionPoint covers only
 * its scope. Partial CRLs (onlySomeReasons), indirect CRLs, attribute-cert
 * CRLs and relative names are not read here, so such a CRL covers nothing.
 */
function idpCovers(crl: PublishedCrlReading, subject: X509Certificate): boolean {
  const extension = crl.extensions.find((e) => e.extnID === id_ce_issuingDistributionPoint);
  if (!extension) return true;
  const idp = AsnConvert.parse(extension.extnValue.buffer, IssuingDistributionPoint);
  if (idp.onlySomeReasons || idp.indirectCRL || idp.onlyContainsAttributeCerts) return false;
  if ((idp.onlyContainsUserCerts && subject.ca) || (idp.onlyContainsCACerts && !subject.ca)) return false;
  const point = idp.distributionPoint;
  if (!point) return true;
  if (!point.fullName) return false;
  const names = new Set(point.fullName.map((n) => Buffer.from(AsnConvert.serialize(n)).toString('hex')));
  const dps = extension && extensionOf(subject, id_ce_cRLDistributionPoints, CRLDistributionPoints);
  return [...(dps ?? [])].some((dp) => dp.distributionPoint?.fullName?.some((n) => names.has(Buffer.from(AsnConvert.serialize(n)).toString('hex'))));
}

function extensionOf<T>(certificate: X509Certificate, oid: string, type: new () => T): T | undefined {
  return extension(AsnConvert.parse(certificate.raw, AsnCertificate), oid, type);
}

const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.156.10197.1.401': 'sm3',
};

/** RFC 6960 §4.2.2.2: signed by the issuer, or by a responder it certified for id-kp-OCSPSigning. */
function ocspFinding(subject: X509Certificate, issuer: X509Certificate, at: Date, ocsps: Uint8Array[], sm2Keys?: Sm2KeyDirectory): Omit<RevocationFinding, 'subject'> | undefined {
  const issuerAsn = AsnConvert.parse(issuer.raw, AsnCertificate);
  const issuerName = Buffer.from(AsnConvert.serialize(issuerAsn.tbsCertificate.subject));
  const issuerKey = Buffer.from(issuerAsn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  const serial = Buffer.from(AsnConvert.parse(subject.raw, AsnCertificate).tbsCertificate.serialNumber);
  for (const der of ocsps) {
    let basic: BasicOCSPResponse;
    try {
      basic = readBasicResponse(der);
    } catch {
      continue;
    }
    const single = basic.tbsResponseData.responses.find((r) => {
      const hash = HASH_BY_OID[r.certID.hashAlgorithm.algorithm];
      if (!hash) return false;
      return (
        Buffer.from(r.certID.serialNumber).equals(serial) &&
        createHash(hash).update(issuerName).digest().equals(Buffer.from(r.certID.issuerNameHash.buffer)) &&
        createHash(hash).update(issuerKey).digest().equals(Buffer.from(r.certID.issuerKeyHash.buffer))
      );
    });
    if (!single || !ocspSignedFor(basic, issuer, at, sm2Keys)) continue;
    if (single.certStatus.revoked) {
      const revokedAt = single.certStatus.revoked.revocationTime;
      if (revokedAt <= at) return { status: 'revoked', source: 'ocsp', revokedAt };
      return { status: 'good', source: 'ocsp' };
    }
    if (single.certStatus.good !== undefined) return { status: 'good', source: 'ocsp' };
  }
  return undefined;
}

function readBasicResponse(der: Uint8Array): BasicOCSPResponse {
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) throw new Error('not a basic response');
    return AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch {
    return AsnConvert.parse(der, BasicOCSPResponse);
  }
}

function ocspSignedFor(basic: BasicOCSPResponse, issuer: X509Certificate, at: Date, sm2Keys?: Sm2KeyDirectory): boolean {
  const tbs = new Uint8Array(AsnConvert.serialize(basic.tbsResponseData));
  const signature = new Uint8Array(basic.signature);
  if (verifySignature(spkiOf(issuer), basic.signatureAlgorithm, tbs, signature, { sm2Keys }).ok) return true;
  for (const candidate of basic.certs ?? []) {
    const der = Buffer.from(AsnConvert.serialize(candidate));
    const responder = new X509Certificate(der);
    const eku = extension(candidate, id_ce_extKeyUsage, ExtendedKeyUsage);
    const validAt = new Date(responder.validFrom) <= at && at <= new Date(responder.validTo);
    if (!eku || ![...eku].includes(id_kp_OCSPSigning) || !validAt || !responder.checkIssued(issuer)) continue;
    if (!verifySignature(spkiOf(issuer), candidate.signatureAlgorithm, new Uint8Array(AsnConvert.serialize(candidate.tbsCertificate)), new Uint8Array(candidate.signatureValue), { sm2Keys }).ok) continue;
    if (mayUse(responder, 'digitalSignature') && verifySignature(spkiOf(responder), basic.signatureAlgorithm, tbs, signature, { sm2Keys }).ok) return true;
  }
  return false;
}

