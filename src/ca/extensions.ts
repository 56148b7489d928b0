import { isIP } from 'node:net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { id_pkix_ocsp_nocheck } from '@peculiar/asn1-ocsp';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  PolicyInformation,
  PolicyQualifierInfo,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  type Certificate,
  type SubjectPublicKeyInfo,
  id_ad_caIssuers,
  id_ad_ocsp,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
  id_qt_csp,
} from '@peculiar/asn1-x509';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { keyIdentifier } from '../crypto/public-key.js';
import { encodedOnce } from '../crypto/signed-structure.js';
import { SignetError } from '../i18n/signet-error.js';
import { EKU_OIDS, keyUsageFor, type CertificateProfile } from './profiles.js';
import { buildIdentityExtension, type SubscriberIdentity } from './subject-identity.js';
import { canonicalDnsName, dnsNameProblem } from './encoding-lint.js';

/** Where relying parties find what the certificate points at (R11, R16). */
export interface PublicationPoints {
  crlUrl: string;
  /** Absent in CRL-only mode (SIGNET_CRL_ONLY): the certificate names no OCSP responder. */
  ocspUrl?: string;
  caIssuersUrl: string;
  cpsUrl: string;
  policyOid: string | null;
  /**
   * The policy suffixes of what this CA's subscribers and services assert, for a
   * profile with assertsIssuedPolicies (RFC 5280 §6.1: without them the policy tree
   * under the CA is empty and explicit-policy relying parties refuse every leaf).
   */
  issuedPolicySuffixes?: string[];
}

export interface SubjectAltNames {
  dns?: string[];
  ip?: string[];
  email?: string[];
}

export interface ExtensionInputs {
  profile: CertificateProfile;
  keyAlgorithm: KeyAlgorithm;
  subjectPublicKeyInfo: Uint8Array;
  /** The same key already parsed, so its key identifier does not parse it again. */
  parsedSubjectPublicKeyInfo?: SubjectPublicKeyInfo;
  /** The issuer's SPKI; for a self-signed root, its own. */
  issuerPublicKeyInfo: Uint8Array;
  publication: PublicationPoints;
  subjectAltNames?: SubjectAltNames;
  /** An empty subject makes subjectAltName critical (RFC 5280 §4.2.1.6). */
  subjectIsEmpty?: boolean;
  /** The RA-verified identity, for the GM/T 0015 extension the profile names (never from the CSR). */
  identity?: SubscriberIdentity;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** KeyIdentifier ::= OCTET STRING (RFC 5280 §4.2.1.2). */
function subjectKeyIdentifierExtension(keyId: Uint8Array): Extension {
  const value = AsnConvert.serialize(new SubjectKeyIdentifier(keyId));
  return new Extension({ extnID: id_ce_subjectKeyIdentifier, critical: false, extnValue: new OctetString(value) });
}

function uri(url: string): GeneralName {
  return new GeneralName({ uniformResourceIdentifier: url });
}

/**
 * The extensions that depend only on (profile, issuer key, key type,
 * publication points), built once per combination and reused by its owner
 * (the CertificateAuthority: one per process, made by the composition root).
 */
export class SharedExtensions {
  private readonly built = new Map<string, SharedExtensionSet>();

  for(inputs: ExtensionInputs): SharedExtensionSet {
    const issuerKeyId = Buffer.from(inputs.issuerPublicKeyInfo).toString('base64');
    const key = `${inputs.profile.id}|${inputs.keyAlgorithm}|${issuerKeyId}|${JSON.stringify(inputs.publication)}`;
    let shared = this.built.get(key);
    if (!shared || shared.profile !== inputs.profile) {
      const { before, afterSki, afterSan } = subjectIndependentExtensions(inputs);
      // Marked with their DER, so each TBSCertificate copies them rather than walking them again (the lint still
      // parses every one of them back from the signed bytes).
      const once = (list: Extension[]) => list.map((extension) => encodedOnce(extension));
      shared = { profile: inputs.profile, before: once(before), afterSki: once(afterSki), afterSan: once(afterSan) };
      // Partitions times issuers times profiles stay far below this; it only bounds a misconfiguration.
      if (this.built.size > 500) this.built.clear();
      this.built.set(key, shared);
    }
    return shared;
  }
}

/**
 * Every extension the profile asks for, in a stable order. Only SKI, SAN and
 * the GM/T 0015 identity extension depend on the subject; the rest come from
 * `shared` (built afresh without one).
 */
export function buildExtensions(inputs: ExtensionInputs, sharedExtensions: SharedExtensions = new SharedExtensions()): Extension[] {
  const shared = sharedExtensions.for(inputs);
  const extensions: Extension[] = [...shared.before];
  extensions.push(subjectKeyIdentifierExtension(keyIdentifier(inputs.subjectPublicKeyInfo, inputs.parsedSubjectPublicKeyInfo)));
  extensions.push(...shared.afterSki);
  const sans = subjectAltNameEntries(inputs.profile, inputs.subjectAltNames);
  if (sans.length > 0) {
    extensions.push(extension(id_ce_subjectAltName, inputs.subjectIsEmpty === true, new SubjectAlternativeName(sans)));
  }
  extensions.push(...shared.afterSan);
  const identity = buildIdentityExtension(inputs.profile, inputs.identity);
  if (identity) extensions.push(identity);
  return extensions;
}

interface SharedExtensionSet {
  profile: CertificateProfile;
  before: Extension[];
  afterSki: Extension[];
  afterSan: Extension[];
}

function subjectIndependentExtensions(inputs: ExtensionInputs): Omit<SharedExtensionSet, 'profile'> {
  const { profile, publication } = inputs;
  const extensions: Extension[] = [];

  if (profile.basicConstraints?.ca) {
    // RFC 5280 §4.2.1.9: MUST be critical in CA certificates.
    extensions.push(
      extension(
        id_ce_basicConstraints,
        true,
        new BasicConstraints({ cA: true, pathLenConstraint: profile.basicConstraints.pathLen }),
      ),
    );
  }

  const usages = keyUsageFor(profile, inputs.keyAlgorithm);
  const flags = usages.reduce((bits, usage) => bits | KeyUsageFlags[usage === 'cRLSign' ? 'cRLSign' : usage], 0);
  extensions.push(extension(id_ce_keyUsage, true, new KeyUsage(flags)));

  if (profile.extendedKeyUsage?.length) {
    extensions.push(
      extension(
        id_ce_extKeyUsage,
        profile.extendedKeyUsageCritical,
        new ExtendedKeyUsage(profile.extendedKeyUsage.map((name) => EKU_OIDS[name])),
      ),
    );
  }

  const before = extensions.splice(0);
  extensions.push(
    extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(inputs.issuerPublicKeyInfo)) }),
    ),
  );

  const afterSki = extensions.splice(0);

  if (profile.issuerLinks) {
    extensions.push(
      extension(
        id_ce_cRLDistributionPoints,
        false,
        new CRLDistributionPoints([
          new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [uri(publication.crlUrl)] }) }),
        ]),
      ),
    );
    extensions.push(
      extension(
        id_pe_authorityInfoAccess,
        false,
        new AuthorityInfoAccessSyntax([
          ...(publication.ocspUrl ? [new AccessDescription({ accessMethod: id_ad_ocsp, accessLocation: uri(publication.ocspUrl) })] : []),
          new AccessDescription({ accessMethod: id_ad_caIssuers, accessLocation: uri(publication.caIssuersUrl) }),
        ]),
      ),
    );
  }

  if (profile.policySuffix !== null && publication.policyOid) {
    const cps = new PolicyQualifierInfo({
      policyQualifierId: id_qt_csp,
      qualifier: new asn1js.IA5String({ value: publication.cpsUrl }).toBER(false),
    });
    // An issuing CA names each policy it signs under rather than anyPolicy: a relying
    // party asking for a policy then learns the CA is certified for it, and a profile
    // added later needs a CA certificate that says so (docs/interoperability.md).
    const suffixes = profile.assertsIssuedPolicies
      ? [...new Set([profile.policySuffix, ...(publication.issuedPolicySuffixes ?? [])])]
      : [profile.policySuffix];
    extensions.push(
      extension(
        id_ce_certificatePolicies,
        false,
        new CertificatePolicies(
          suffixes.map(
            (suffix, i) =>
              // The CPS qualifier once is enough: it is the same document for every policy.
              new PolicyInformation({ policyIdentifier: `${publication.policyOid}.${suffix}`, ...(i === 0 ? { policyQualifiers: [cps] } : {}) }),
          ),
        ),
      ),
    );
  }

  if (profile.ocspNoCheck) {
    // RFC 6960 §4.2.2.2.1: the responder's own status is not checked; its value is NULL.
    extensions.push(
      new Extension({ extnID: id_pkix_ocsp_nocheck, critical: false, extnValue: new OctetString(new asn1js.Null().toBER(false)) }),
    );
  }
  return { before, afterSki, afterSan: extensions };
}

function subjectAltNameEntries(profile: CertificateProfile, names: SubjectAltNames = {}): GeneralName[] {
  const fail = (detail: string): never => {
    throw new SignetError('request.subject-invalid', 400, { profile: profile.id, detail }, 'subjectAltNames');
  };
  const allowed = new Set(profile.subjectAltName.allowed);
  const entries: GeneralName[] = [];
  for (const dns of names.dns ?? []) {
    if (!allowed.has('dns')) fail('DNS names are not allowed');
    // U-labels (例子.中国) are accepted and written as A-labels; invalid A-labels are refused (RFC 5890, RFC 5280 §4.2.1.6).
    const name = canonicalDnsName(dns);
    if (!name) fail(`${dns} is not a valid DNS name: ${dnsNameProblem(dns.toLowerCase()) ?? 'it has no IDNA form'}`);
    entries.push(new GeneralName({ dNSName: name }));
  }
  for (const ip of names.ip ?? []) {
    if (!allowed.has('ip')) fail('IP addresses are not allowed');
    if (!isIP(ip)) fail(`${ip} is not an IP address`);
    entries.push(new GeneralName({ iPAddress: ip }));
  }
  for (const email of names.email ?? []) {
    if (!allowed.has('email')) fail('e-mail addresses are not allowed');
    if (!/^[\x21-\x3f\x41-\x7e]+@[a-zA-Z0-9.-]+$/.test(email)) fail(`${email} is not an ASCII e-mail address`);
    entries.push(new GeneralName({ rfc822Name: email }));
  }
  if (profile.subjectAltName.required && entries.length === 0) fail('at least one subject alternative name is required');
  return entries;
}

/** The subjectKeyIdentifier a certificate carries (what the AKI of everything it issues must equal), if any. */
export function subjectKeyIdentifierOf(certificate: Certificate): Uint8Array | undefined {
  const extension = certificate.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  return extension ? new Uint8Array(AsnConvert.parse(extension.extnValue.buffer, SubjectKeyIdentifier).buffer) : undefined;
}
