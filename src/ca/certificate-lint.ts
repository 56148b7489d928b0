import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Extension,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
  type AlgorithmIdentifier,
  type TBSCertificate,
} from '@peculiar/asn1-x509';
import { isMlDsa, ML_DSA, type KeyAlgorithm } from '../crypto/algorithms.js';
import { EKU_OIDS, keyUsageFor, type CertificateProfile } from './profiles.js';
import { IDENTITY_EXTENSION_OIDS, lintIdentityExtensions } from './subject-identity.js';
import { derOf } from '../crypto/signed-structure.js';
import { checkDer, DerError, type DerNode } from '../crypto/strict-der.js';
import { ExtensionValues, lintAuthorityKeyIdentifier, lintExtensionNames, lintName, lintSubjectPublicKeyInfo, lintTlsServer } from './encoding-lint.js';
import {
  readAuthorityKeyIdentifier,
  readBasicConstraints,
  readExtendedKeyUsage,
  readKeyUsage,
  readTbs,
  ShapeError,
  type ExtensionReading,
  type TbsReading,
} from './tbs-reading.js';

export interface LintContext {
  profile: CertificateProfile;
  keyAlgorithm: KeyAlgorithm;
  signatureAlgorithm: AlgorithmIdentifier;
  /** The issuer's validity end; a certificate may not outlive its issuer. */
  issuerNotAfter: Date;
  /** The issuer certificate's subjectKeyIdentifier, which the AKI must equal (absent for a self-signed root). */
  issuerKeyIdentifier?: Uint8Array;
}

const DAY_MS = 86_400_000;


/**
 * Lints the bytes that will be signed, not the object they were built from
 * (issue 15): the TBSCertificate DER must be DER (X.690 §10–11, strict-der.ts),
 * must have the shape of a TBSCertificate (tbs-reading.ts reads it from the
 * DER outline, the extension values from theirs), and what it reads is what
 * the rules below check. A finding means nothing is signed.
 */
export function lintSignedTbs(tbsDer: Uint8Array, context: LintContext): string[] {
  let outline: DerNode;
  try {
    outline = checkDer(tbsDer, 'the TBSCertificate');
  } catch (error) {
    if (error instanceof DerError) return [`the TBSCertificate is not DER: ${error.reason} (X.690 §10–11)`];
    throw error;
  }
  let tbs: TbsReading;
  try {
    // Extension values are DER too (RFC 5280 §4.1): checkDer does not look inside an OCTET STRING.
    tbs = readTbs(tbsDer, outline, (value, oid) => checkDer(value, `extension ${oid}`));
  } catch (error) {
    if (error instanceof DerError) return [`the value of an extension is not DER: ${error.reason}`];
    if (error instanceof ShapeError) return [`the TBSCertificate does not parse: ${error.message}`];
    throw error;
  }
  return lintTbsReading(tbs, context);
}

/**
 * The same lint for a TBSCertificate object (tests and tools): its DER, as
 * asn1-schema encodes it, is what is linted.
 */
export function lintTbsCertificate(tbs: TBSCertificate, context: LintContext): string[] {
  return lintSignedTbs(new Uint8Array(AsnConvert.serialize(tbs)), context);
}

/**
 * Checks the TBSCertificate against RFC 5280 and its profile before the real
 * signature exists (Boulder's linting discipline): a finding here means
 * nothing is signed. Returns human-readable findings; empty means clean.
 */
function lintTbsReading(tbs: TbsReading, context: LintContext): string[] {
  const findings: string[] = [];
  const { profile } = context;

  if (tbs.version !== 2) findings.push('version must be v3 (2) since extensions are present (RFC 5280 §4.1.2.1)');

  // The DER rules have refused a non-minimal INTEGER already (strict-der.ts).
  const serial = tbs.serial;
  if (serial.length > 20) findings.push('serial number is longer than 20 octets (RFC 5280 §4.1.2.2)');
  if ((serial[0]! & 0x80) !== 0) findings.push('serial number is negative (RFC 5280 §4.1.2.2)');
  if (serial.every((b) => b === 0)) findings.push('serial number is zero');
  if (serial.length < 9) findings.push('serial number carries fewer than 64 random bits');

  if (!Buffer.from(tbs.signature).equals(derOf(context.signatureAlgorithm))) findings.push('TBS signature algorithm differs from the signer\'s (RFC 5280 §4.1.2.3)');

  for (const [label, time] of [['notBefore', tbs.notBefore], ['notAfter', tbs.notAfter]] as const) {
    const year = time.date.getUTCFullYear();
    const mustBeUtc = year < 2050;
    if (mustBeUtc !== time.utc) findings.push(`${label} must be ${mustBeUtc ? 'UTCTime' : 'GeneralizedTime'} for year ${year} (RFC 5280 §4.1.2.5)`);
    if (time.fraction) findings.push(`${label} has fractional seconds (RFC 5280 §4.1.2.5.2)`);
  }
  const notBefore = tbs.notBefore.date;
  const notAfter = tbs.notAfter.date;
  const lifetime = notAfter.getTime() - notBefore.getTime();
  if (lifetime <= 0) findings.push('notAfter is not after notBefore');
  if (lifetime > (profile.validityDays + 1) * DAY_MS) findings.push(`validity exceeds the profile's ${profile.validityDays} days`);
  if (notAfter > context.issuerNotAfter) findings.push('the certificate would outlive its issuer');

  if (tbs.issuer.length === 0) findings.push('issuer name is empty (RFC 5280 §4.1.2.4)');
  if (tbs.uniqueIdentifiers) findings.push('unique identifiers must not be used (RFC 5280 §4.1.2.8)');

  const seen = new Set<string>();
  for (const ext of tbs.extensions) {
    if (seen.has(ext.oid)) findings.push(`extension ${ext.oid} appears twice (RFC 5280 §4.2)`);
    seen.add(ext.oid);
  }
  const byId = new ExtensionValues(tbs.extensions);
  const parse = <T>(oid: string, read: (e: ExtensionReading) => T): T | undefined => {
    try {
      return byId.value(oid, read);
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      findings.push(`extension ${oid} does not parse: ${error.message}`);
      return undefined;
    }
  };

  if (tbs.subject.length === 0) {
    const san = byId.get(id_ce_subjectAltName);
    if (!san) findings.push('subject is empty and there is no subjectAltName (RFC 5280 §4.1.2.6)');
    else if (!san.critical) findings.push('subjectAltName must be critical when the subject is empty (RFC 5280 §4.2.1.6)');
  }
  if (profile.subjectAltName.required && !byId.has(id_ce_subjectAltName)) findings.push('profile requires subjectAltName');

  if (!byId.has(id_ce_subjectKeyIdentifier)) findings.push('subjectKeyIdentifier is missing (RFC 5280 §4.2.1.2)');
  const aki = parse(id_ce_authorityKeyIdentifier, readAuthorityKeyIdentifier);
  if (!byId.has(id_ce_authorityKeyIdentifier)) findings.push('authorityKeyIdentifier is missing (RFC 5280 §4.2.1.1)');
  else if (aki && !aki.keyIdentifier) findings.push('authorityKeyIdentifier has no keyIdentifier');
  if (profile.issuerLinks) {
    if (!byId.has(id_ce_cRLDistributionPoints)) findings.push('cRLDistributionPoints is missing');
    if (!byId.has(id_pe_authorityInfoAccess)) findings.push('authorityInfoAccess is missing');
  }
  if (profile.policySuffix !== null && !byId.has(id_ce_certificatePolicies)) findings.push('certificatePolicies is missing (R11)');

  const kuExt = byId.get(id_ce_keyUsage);
  let usages: string[] = [];
  if (!kuExt) findings.push('keyUsage is missing');
  else {
    if (!kuExt.critical) findings.push('keyUsage should be critical (RFC 5280 §4.2.1.3)');
    usages = parse(id_ce_keyUsage, readKeyUsage) ?? [];
    if (usages.length === 0) findings.push('keyUsage has no bit set (RFC 5280 §4.2.1.3)');
    const expected = [...keyUsageFor(profile, context.keyAlgorithm)].sort();
    if (expected.join() !== [...usages].sort().join()) findings.push(`keyUsage ${usages.join('+')} differs from the profile's ${expected.join('+')}`);
  }
  const bcExt = byId.get(id_ce_basicConstraints);
  const bc = parse(id_ce_basicConstraints, readBasicConstraints);
  const isCa = bc?.cA === true;
  if (usages.includes('keyCertSign') !== isCa) findings.push('keyCertSign and basicConstraints cA must agree (RFC 5280 §4.2.1.9)');
  if (isCa && !bcExt!.critical) findings.push('basicConstraints must be critical in a CA certificate');
  if (bc?.pathLenConstraint !== undefined && !isCa) findings.push('pathLenConstraint without cA');
  if ((profile.basicConstraints?.ca ?? false) !== isCa) findings.push('basicConstraints disagrees with the profile');

  const keyKind = context.keyAlgorithm.split('-')[0];
  const forbidden: Record<string, string[]> = {
    ed25519: ['keyEncipherment', 'dataEncipherment', 'keyAgreement'],
    rsa: ['keyAgreement'],
    ecdsa: ['keyEncipherment', 'dataEncipherment'],
    // RFC 9881 §5: ML-DSA keys sign only (digitalSignature, nonRepudiation, keyCertSign, cRLSign).
    ml: ['keyEncipherment', 'dataEncipherment', 'keyAgreement', 'encipherOnly', 'decipherOnly'],
  };
  for (const usage of forbidden[keyKind!] ?? []) {
    if (usages.includes(usage)) findings.push(`${usage} is impossible with a ${context.keyAlgorithm} key (RFC 8410, RFC 5480, RFC 9881)`);
  }
  findings.push(...lintMlDsa(tbs, context));

  const ekuExt = byId.get(id_ce_extKeyUsage);
  const expectedEku = (profile.extendedKeyUsage ?? []).map((n) => EKU_OIDS[n]).sort();
  const actualEku = ekuExt ? [...(parse(id_ce_extKeyUsage, readExtendedKeyUsage) ?? [])].sort() : [];
  if (expectedEku.join() !== actualEku.join()) findings.push(`extendedKeyUsage ${actualEku.join(',') || '(none)'} differs from the profile`);
  if (ekuExt && ekuExt.critical !== profile.extendedKeyUsageCritical) findings.push('extendedKeyUsage criticality differs from the profile');
  if (isCa && ekuExt) findings.push('a CA certificate must not carry extendedKeyUsage here');

  findings.push(...lintIdentityExtensions(identityExtensions(tbs.extensions), profile));
  findings.push(...lintSubjectPublicKeyInfo(tbs.spki, context.keyAlgorithm));
  findings.push(...lintAuthorityKeyIdentifier(aki, context.issuerKeyIdentifier));
  findings.push(...lintName(tbs.subject, 'subject'), ...lintName(tbs.issuer, 'issuer'));
  findings.push(...lintExtensionNames(byId));
  findings.push(...lintTlsServer({ ekus: actualEku, subject: tbs.subject, extensions: byId, notBefore, notAfter, spki: tbs.spki }));

  return findings;
}

/** The GM/T 0015 identity extensions as subject-identity.ts reads them (only those: it decodes them itself). */
function identityExtensions(extensions: readonly ExtensionReading[]): Extension[] {
  return extensions
    .filter((e) => IDENTITY_EXTENSION_OIDS.has(e.oid))
    .map((e) => new Extension({ extnID: e.oid, critical: e.critical, extnValue: new OctetString(e.value) }));
}

/**
 * RFC 9881 for an ML-DSA subject key and an ML-DSA signer: the public key of its set's size
 * (FIPS 204 Table 2), parameters absent in the key's and the signature's AlgorithmIdentifier.
 */
function lintMlDsa(tbs: TbsReading, context: LintContext): string[] {
  const findings: string[] = [];
  const spki = tbs.spki;
  if (isMlDsa(context.keyAlgorithm)) {
    const set = ML_DSA[context.keyAlgorithm];
    if (spki.algorithm !== set.oid) findings.push(`subjectPublicKeyInfo algorithm ${spki.algorithm} is not ${context.keyAlgorithm}'s ${set.oid} (RFC 9881 §4)`);
    if (spki.parameters) findings.push(`${context.keyAlgorithm} key with parameters (RFC 9881 §4: absent)`);
    if (spki.key.byteLength !== set.publicKeyBytes) findings.push(`${context.keyAlgorithm} public key of ${spki.key.byteLength} octets (FIPS 204: ${set.publicKeyBytes})`);
  }
  const signatureSet = Object.values(ML_DSA).find((set) => set.oid === tbs.signatureAlgorithm);
  if (signatureSet && tbs.signatureHasParameters) findings.push('ML-DSA signature algorithm with parameters (RFC 9881 §2: absent)');
  return findings;
}
