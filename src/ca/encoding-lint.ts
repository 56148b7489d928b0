import { domainToASCII, domainToUnicode } from 'node:url';
import {
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_subjectAltName,
  id_pe_authorityInfoAccess,
} from '@peculiar/asn1-x509';
import { ML_DSA, type KeyAlgorithm } from '../crypto/algorithms.js';
import { checkDer, contentsOf, DerError } from '../crypto/strict-der.js';
import {
  oidText,
  readAuthorityInfoAccess,
  readCertificatePolicies,
  readCrlDistributionPoints,
  readSubjectAltName,
  ShapeError,
  type ExtensionReading,
  type GeneralNameReading,
  type NameReading,
  type SpkiReading,
} from './tbs-reading.js';

/**
 * The lints zlint and pkilint have and the RFC 5280 rules in
 * certificate-lint.ts did not: the key as encoded, AKI against the issuer's
 * SKI, DN string types and upper bounds, DNS names and IDNs, URIs, and the
 * CA/Browser Forum's validity limits for TLS server certificates. Each
 * returns findings (empty when clean), for what is about to be signed.
 */

const RSA = '1.2.840.113549.1.1.1';
const EC = '1.2.840.10045.2.1';
const ED25519 = '1.3.101.112';
const CURVES: Record<string, { oid: string; pointLength: number }> = {
  'ecdsa-p256': { oid: '1.2.840.10045.3.1.7', pointLength: 65 },
  'ecdsa-p384': { oid: '1.3.132.0.34', pointLength: 97 },
  sm2: { oid: '1.2.156.10197.1.301', pointLength: 65 },
};
const NULL = Buffer.from([0x05, 0x00]);

/**
 * The extensions of one TBSCertificate, each value read at most once
 * whichever rule asks first (several rules here and in certificate-lint.ts
 * read the same SAN, AKI, AIA, CRL DP and policies). Made for one lint and
 * dropped with it; the values were checked as DER before (lintSignedTbs).
 */
export class ExtensionValues {
  private readonly byId = new Map<string, ExtensionReading>();
  private readonly decoded = new Map<string, { read: unknown; value?: unknown; error?: unknown }>();

  constructor(readonly all: readonly ExtensionReading[]) {
    // A duplicate is a finding of its own (certificate-lint.ts); the rules read the last, as before.
    for (const extension of all) this.byId.set(extension.oid, extension);
  }

  get(oid: string): ExtensionReading | undefined {
    return this.byId.get(oid);
  }

  has(oid: string): boolean {
    return this.byId.has(oid);
  }

  /** The value read by `read` (tbs-reading.ts), undefined when the extension is absent; throws the ShapeError it threw. */
  value<T>(oid: string, read: (extension: ExtensionReading) => T): T | undefined {
    const extension = this.byId.get(oid);
    if (!extension) return undefined;
    let entry = this.decoded.get(oid);
    if (!entry || entry.read !== read) {
      try {
        entry = { read, value: read(extension) };
      } catch (error) {
        if (!(error instanceof ShapeError)) throw error;
        entry = { read, error };
      }
      this.decoded.set(oid, entry);
    }
    if ('error' in entry) throw entry.error;
    return entry.value as T;
  }

  /** The same, undefined also when it does not parse (the rule that needs it reports that). */
  tryValue<T>(oid: string, read: (extension: ExtensionReading) => T): T | undefined {
    try {
      return this.value(oid, read);
    } catch {
      return undefined;
    }
  }
}

/** RFC 3279 §2.3, RFC 5480 §2, RFC 8410 §4: the canonical form of each key type Signet certifies. */
export function lintSubjectPublicKeyInfo(spki: SpkiReading, keyAlgorithm: KeyAlgorithm): string[] {
  const findings: string[] = [];
  const { algorithm, key } = spki;
  const params = spki.parameters && Buffer.from(spki.parameters.buffer, spki.parameters.byteOffset, spki.parameters.byteLength);
  if (spki.unusedBits !== 0) findings.push(`subjectPublicKey with ${spki.unusedBits} unused bits (every key type here is whole octets)`);
  if (keyAlgorithm.startsWith('rsa-')) {
    if (algorithm !== RSA) return [`key algorithm ${algorithm} is not rsaEncryption for a ${keyAlgorithm} key`];
    if (!params?.equals(NULL)) findings.push('rsaEncryption parameters must be NULL (RFC 3279 §2.3.1)');
    try {
      const rsa = readRsaPublicKey(key);
      const bits = rsaModulusBits(rsa.modulus);
      if (`rsa-${bits}` !== keyAlgorithm) findings.push(`RSA modulus of ${bits} bits for a ${keyAlgorithm} key`);
      const exponent = BigInt(`0x${Buffer.from(rsa.publicExponent).toString('hex') || '0'}`);
      if (exponent < 65537n || exponent % 2n === 0n) findings.push('RSA public exponent must be odd and at least 65537');
    } catch (error) {
      if (error instanceof DerError) findings.push(`the RSAPublicKey is not DER: ${error.reason}`);
      else if (error instanceof ShapeError) findings.push('the RSAPublicKey does not parse');
      else throw error;
    }
  } else if (keyAlgorithm === 'ed25519') {
    if (algorithm !== ED25519) return [`key algorithm ${algorithm} is not Ed25519`];
    if (params !== undefined) findings.push('Ed25519 keys have no parameters (RFC 8410 §3)');
    if (key.length !== 32) findings.push(`Ed25519 key of ${key.length} octets`);
  } else if (keyAlgorithm in ML_DSA) {
    const mlDsa = ML_DSA[keyAlgorithm as keyof typeof ML_DSA];
    if (algorithm !== mlDsa.oid) return [`key algorithm ${algorithm} is not ${keyAlgorithm}`];
    if (params !== undefined) findings.push('ML-DSA keys have no parameters (RFC 9881 §2)');
    if (key.length !== mlDsa.publicKeyBytes) findings.push(`${keyAlgorithm} key of ${key.length} octets, not ${mlDsa.publicKeyBytes}`);
  } else {
    const curve = CURVES[keyAlgorithm];
    if (!curve || algorithm !== EC) return [`key algorithm ${algorithm} is not id-ecPublicKey for a ${keyAlgorithm} key`];
    // The named curve's OID as DER: 06 len arcs (the TBS outline has checked it is DER).
    const named = params && params[0] === 0x06 && params[1] === params.length - 2 ? oidText(params.subarray(2)) : undefined;
    if (named !== curve.oid) findings.push(`EC parameters must name the curve ${curve.oid} (RFC 5480 §2.1.1)`);
    if (key[0] !== 0x04 || key.length !== curve.pointLength) findings.push('EC point must be uncompressed (RFC 5480 §2.2)');
  }
  return findings;
}

/** RFC 8017 §A.1.1 RSAPublicKey: SEQUENCE { modulus INTEGER, publicExponent INTEGER }, strictly DER. */
function readRsaPublicKey(key: Uint8Array): { modulus: Uint8Array; publicExponent: Uint8Array } {
  const outline = checkDer(key, 'the RSAPublicKey');
  const [modulus, exponent, extra] = outline.children;
  if (outline.tagNumber !== 16 || modulus?.tagNumber !== 2 || exponent?.tagNumber !== 2 || extra || modulus.tagClass || exponent.tagClass) throw new ShapeError('not an RSAPublicKey');
  return { modulus: contentsOf(key, modulus), publicExponent: contentsOf(key, exponent) };
}

function rsaModulusBits(modulus: Uint8Array): number {
  return (modulus.length - (modulus[0] === 0 ? 1 : 0)) * 8;
}

/** RFC 5280 §4.2.1.1: a certificate's AKI keyIdentifier is its issuer's SKI. */
export function lintAuthorityKeyIdentifier(aki: { keyIdentifier?: Uint8Array } | undefined, issuerKeyIdentifier: Uint8Array | undefined): string[] {
  if (!issuerKeyIdentifier || !aki) return [];
  const keyId = aki.keyIdentifier;
  if (!keyId || !Buffer.from(keyId).equals(Buffer.from(issuerKeyIdentifier))) {
    return ['authorityKeyIdentifier differs from the issuer certificate\'s subjectKeyIdentifier (RFC 5280 §4.2.1.1)'];
  }
  return [];
}

/**
 * RFC 5280 §4.1.2.4 and Appendix A upper bounds; §4.1.2.6 DirectoryString as
 * PrintableString or UTF8String; countryName two upper-case letters (ISO 3166);
 * serialNumber PrintableString; emailAddress IA5String.
 */
const NAME_RULES: Record<string, { label: string; max: number; types: Array<'printable' | 'utf8' | 'ia5'> }> = {
  '2.5.4.6': { label: 'countryName', max: 2, types: ['printable'] },
  '2.5.4.5': { label: 'serialNumber', max: 64, types: ['printable'] },
  '2.5.4.3': { label: 'commonName', max: 64, types: ['printable', 'utf8'] },
  '2.5.4.10': { label: 'organizationName', max: 64, types: ['printable', 'utf8'] },
  '2.5.4.11': { label: 'organizationalUnitName', max: 64, types: ['printable', 'utf8'] },
  '2.5.4.7': { label: 'localityName', max: 128, types: ['printable', 'utf8'] },
  '2.5.4.8': { label: 'stateOrProvinceName', max: 128, types: ['printable', 'utf8'] },
  '2.5.4.9': { label: 'streetAddress', max: 128, types: ['printable', 'utf8'] },
  '2.5.4.12': { label: 'title', max: 64, types: ['printable', 'utf8'] },
  '2.5.4.42': { label: 'givenName', max: 32768, types: ['printable', 'utf8'] },
  '2.5.4.4': { label: 'surname', max: 32768, types: ['printable', 'utf8'] },
  '2.5.4.17': { label: 'postalCode', max: 40, types: ['printable', 'utf8'] },
  '2.5.4.97': { label: 'organizationIdentifier', max: 64, types: ['printable', 'utf8'] },
  '1.2.840.113549.1.9.1': { label: 'emailAddress', max: 255, types: ['ia5'] },
};

export function lintName(name: NameReading, which: 'subject' | 'issuer'): string[] {
  const findings: string[] = [];
  for (const rdn of name) {
    if (rdn.length === 0) findings.push(`${which}: an empty RDN`);
    for (const atv of rdn) {
      const rule = NAME_RULES[atv.type];
      const { kind, text } = atv;
      const label = rule?.label ?? atv.type;
      if (text === undefined || kind === 'other') {
        findings.push(`${which} ${label}: not a PrintableString, UTF8String or IA5String (RFC 5280 §4.1.2.6)`);
        continue;
      }
      if (text.length === 0) findings.push(`${which} ${label}: empty`);
      if (!rule) continue;
      if (!rule.types.includes(kind)) findings.push(`${which} ${label}: ${kind} string where ${rule.types.join(' or ')} is required (RFC 5280 §4.1.2.4)`);
      if ([...text].length > rule.max) findings.push(`${which} ${label}: ${[...text].length} characters, more than ub ${rule.max} (RFC 5280 Appendix A)`);
      if (atv.type === '2.5.4.6' && !/^[A-Z]{2}$/.test(text)) findings.push(`${which} countryName ${text}: not two upper-case letters (ISO 3166)`);
    }
  }
  return findings;
}

/**
 * Why `name` is not a DNS name fit for a dNSName (RFC 5280 §4.2.1.6, RFC 1034
 * preferred syntax, IDNA2008 A-labels), or undefined. A leading `*.` is a
 * wildcard. Labels in `xn--` must be valid A-labels: they decode, and the
 * decoded U-label encodes back to the same A-label. Other labels with `--` in
 * the third and fourth positions are reserved (RFC 5891 §4.2.3.1).
 */
export function dnsNameProblem(name: string): string | undefined {
  const host = name.startsWith('*.') ? name.slice(2) : name;
  if (host.length === 0 || name.length > 253) return 'not 1 to 253 characters';
  if (host !== host.toLowerCase()) return 'upper-case letters (write DNS names in lower case)';
  const labels = host.split('.');
  if (labels.length < 2) return 'a single label';
  for (const label of labels) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) return `label "${label}" is not letters, digits and inner hyphens of 1 to 63 characters`;
    if (label.slice(2, 4) === '--') {
      if (!label.startsWith('xn--')) return `label "${label}" has "--" in the third and fourth positions (reserved, RFC 5891 §4.2.3.1)`;
      const unicode = domainToUnicode(label);
      if (!unicode || unicode === label || domainToASCII(unicode) !== label) return `label "${label}" is not a valid A-label (RFC 5890 §2.3.2.1)`;
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'the top-level label is all digits';
  return undefined;
}

/**
 * A DNS name as a subscriber may type it (U-labels such as 例子.中国, or
 * A-labels) in the form certificates carry: lower case, A-labels (RFC 5890).
 * Undefined when it cannot be one.
 */
export function canonicalDnsName(input: string): string | undefined {
  const wildcard = input.startsWith('*.');
  const host = wildcard ? input.slice(2) : input;
  // UTS #46 processing (lower-casing, IDNA mapping, Punycode), as browsers do.
  const ascii = /^[\x21-\x7e]*$/.test(host) ? host.toLowerCase() : domainToASCII(host);
  if (!ascii) return undefined;
  const name = `${wildcard ? '*.' : ''}${ascii}`;
  return dnsNameProblem(name) === undefined ? name : undefined;
}

/** An absolute URI of one of the given schemes, in ASCII, as it parses (RFC 3986). */
export function uriProblem(uri: string, schemes: string[]): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(uri)) return 'not printable ASCII without spaces (RFC 5280 §4.2.1.6, RFC 3986)';
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return 'not an absolute URI';
  }
  if (!schemes.includes(parsed.protocol.slice(0, -1))) return `scheme ${parsed.protocol} where ${schemes.join(' or ')} is expected`;
  if (!parsed.hostname) return 'no host';
  if (parsed.hash) return 'a fragment';
  return undefined;
}

/** URIs and names inside the extensions: SAN entries, CRL distribution points, AIA and CPS. */
export function lintExtensionNames(extensions: ExtensionValues): string[] {
  const findings: string[] = [];
  const parse = <T>(oid: string, read: (e: ExtensionReading) => T): T | undefined => {
    try {
      return extensions.value(oid, read);
    } catch (error) {
      findings.push(`extension ${oid} does not parse: ${(error as Error).message}`);
      return undefined;
    }
  };
  const checkUri = (where: string, name: GeneralNameReading, schemes: string[]) => {
    if (name.uniformResourceIdentifier === undefined) return;
    const problem = uriProblem(name.uniformResourceIdentifier, schemes);
    if (problem) findings.push(`${where} URI ${name.uniformResourceIdentifier}: ${problem}`);
  };

  for (const name of parse(id_ce_subjectAltName, readSubjectAltName) ?? []) {
    if (name.dNSName !== undefined) {
      const problem = dnsNameProblem(name.dNSName);
      if (problem) findings.push(`subjectAltName dNSName ${name.dNSName}: ${problem}`);
    }
    if (name.rfc822Name !== undefined) {
      const [local, domain, ...rest] = name.rfc822Name.split('@');
      if (rest.length || !local || !/^[\x21-\x3f\x41-\x7e]+$/.test(local) || !domain || dnsNameProblem(domain.toLowerCase())) {
        findings.push(`subjectAltName rfc822Name ${name.rfc822Name}: not local-part@domain in ASCII with an A-label domain (RFC 5280 §4.2.1.6)`);
      }
    }
    if (name.iPAddressOctets !== undefined && name.iPAddressOctets !== 4 && name.iPAddressOctets !== 16) {
      findings.push(`subjectAltName iPAddress ${name.iPAddress}: not 4 or 16 octets`);
    }
    checkUri('subjectAltName', name, ['http', 'https', 'ldap', 'mailto', 'urn']);
  }
  for (const point of parse(id_ce_cRLDistributionPoints, readCrlDistributionPoints) ?? []) {
    // RFC 5280 §4.2.1.13: http (or ldap) URIs naming a DER CRL.
    for (const name of point.fullName ?? []) checkUri('cRLDistributionPoints', name, ['http', 'ldap']);
  }
  for (const access of parse(id_pe_authorityInfoAccess, readAuthorityInfoAccess) ?? []) {
    // RFC 5280 §4.2.2.1: OCSP over http, caIssuers over http or ldap.
    checkUri('authorityInfoAccess', access.accessLocation, ['http', 'ldap']);
  }
  const policiesExtension = extensions.get(id_ce_certificatePolicies);
  for (const policy of parse(id_ce_certificatePolicies, readCertificatePolicies) ?? []) {
    for (const { id, qualifier } of policy.qualifiers) {
      if (id !== '1.3.6.1.5.5.7.2.1') continue;
      // id-qt-cps: an IA5String URI (RFC 5280 §4.2.1.4).
      if (!qualifier || qualifier.tagClass !== 0 || qualifier.tagNumber !== 22) {
        findings.push('certificatePolicies CPS qualifier is not an IA5String');
        continue;
      }
      const uri = Buffer.from(contentsOf(policiesExtension!.value, qualifier)).toString('latin1');
      const problem = uriProblem(uri, ['http', 'https']);
      if (problem) findings.push(`certificatePolicies CPS URI ${uri}: ${problem}`);
    }
  }
  return findings;
}

/**
 * CA/Browser Forum Baseline Requirements §6.3.2 as amended by ballot SC-081:
 * the longest validity period (notBefore to notAfter inclusive) of a TLS
 * server certificate, by the date it is issued.
 */
export function baselineMaximumDays(issuedAt: Date): number {
  const t = issuedAt.getTime();
  if (t < Date.UTC(2026, 2, 15)) return 398;
  if (t < Date.UTC(2027, 2, 15)) return 200;
  if (t < Date.UTC(2029, 2, 15)) return 100;
  return 47;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';
const ANY_POLICY = '2.5.29.32.0';
const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
const ID_AD_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';
/**
 * BR §7.1.2.7.2–4 (with ballot SC-47, which took organizationalUnitName out): the subject attributes a
 * subscriber TLS server certificate may carry.
 */
const BR_SUBJECT_ATTRIBUTES: Record<string, string> = {
  '2.5.4.3': 'commonName',
  '2.5.4.6': 'countryName',
  '2.5.4.8': 'stateOrProvinceName',
  '2.5.4.7': 'localityName',
  '2.5.4.17': 'postalCode',
  '2.5.4.9': 'streetAddress',
  '2.5.4.10': 'organizationName',
  '2.5.4.5': 'serialNumber',
  '2.5.4.42': 'givenName',
  '2.5.4.4': 'surname',
  '2.5.4.15': 'businessCategory',
  '2.5.4.97': 'organizationIdentifier',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionLocalityName',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionStateOrProvinceName',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionCountryName',
};

/**
 * BR §7.1.2.7 (subscriber TLS server certificates), the parts that depend on what is signed. Left to the
 * deployment, not checked here: the key and signature algorithms of BR §6.1.5 and §7.1.3 (the tls-server
 * profile offers SM2, Ed25519 and ML-DSA keys on purpose), and Internal Names and reserved IP addresses
 * (BR §7.1.2.7.12), which a private hierarchy certifies.
 */
export function lintTlsServer(input: {
  ekus: readonly string[];
  subject: NameReading;
  extensions: ExtensionValues;
  notBefore: Date;
  notAfter: Date;
  spki?: SpkiReading;
}): string[] {
  if (!input.ekus.includes(SERVER_AUTH)) return [];
  const findings: string[] = [];
  const validity = input.notAfter.getTime() - input.notBefore.getTime() + 1000;
  const max = baselineMaximumDays(input.notBefore);
  if (validity > max * 86_400_000) findings.push(`a TLS server certificate valid for more than ${max} days (BR §6.3.2, ballot SC-081)`);
  const byId = input.extensions;
  const parse = <T>(oid: string, read: (e: ExtensionReading) => T): T | undefined => byId.tryValue(oid, read);

  // §7.1.2.7.10: serverAuth, optionally clientAuth, nothing else and never anyExtendedKeyUsage; not critical.
  for (const eku of input.ekus) {
    if (eku === ANY_EKU) findings.push('anyExtendedKeyUsage in a TLS server certificate (BR §7.1.2.7.10)');
    else if (eku !== SERVER_AUTH && eku !== CLIENT_AUTH) findings.push(`extendedKeyUsage ${eku} beside serverAuth (BR §7.1.2.7.10)`);
  }
  if (byId.get('2.5.29.37')?.critical) findings.push('extendedKeyUsage is critical (BR §7.1.2.7.10)');

  const san = byId.get(id_ce_subjectAltName);
  const names = parse(id_ce_subjectAltName, readSubjectAltName) ?? [];
  if (names.length === 0) findings.push('a TLS server certificate without subjectAltName (BR §7.1.2.7.12)');
  for (const name of names) {
    if (name.dNSName === undefined && name.iPAddress === undefined) findings.push('a subjectAltName entry other than dNSName or iPAddress (BR §7.1.2.7.12)');
  }
  if (san?.critical && input.subject.length > 0) findings.push('subjectAltName is critical though the subject is not empty (BR §7.1.2.7.12)');
  const sanValues = new Set(names.flatMap((n) => [n.dNSName, n.iPAddress].filter((v): v is string => v !== undefined)));
  let commonNames = 0;
  for (const rdn of input.subject) {
    if (rdn.length > 1) findings.push('a multi-valued RDN in the subject (BR §7.1.2.7.2: one attribute each)');
    for (const atv of rdn) {
      if (!BR_SUBJECT_ATTRIBUTES[atv.type]) {
        findings.push(`subject attribute ${NAME_RULES[atv.type]?.label ?? atv.type} is not allowed in a TLS server certificate (BR §7.1.2.7.2–4${atv.type === '2.5.4.11' ? ', ballot SC-47' : ''})`);
      }
      if (atv.type !== '2.5.4.3') continue;
      commonNames += 1;
      const cn = atv.kind === 'utf8' || atv.kind === 'printable' ? atv.text! : '';
      if (!sanValues.has(cn)) findings.push(`commonName ${cn} is not one of the subjectAltName entries (BR §7.1.2.7.2)`);
    }
  }
  if (commonNames > 1) findings.push('more than one commonName (BR §7.1.4.3)');

  // §7.1.2.7.7: AIA with caIssuers or OCSP, not critical; §7.1.2.11.2: a CRL distribution point when there is no OCSP URI.
  const aia = parse(id_pe_authorityInfoAccess, readAuthorityInfoAccess);
  const methods = new Set((aia ?? []).map((a) => a.accessMethod));
  if (!aia) findings.push('authorityInfoAccess is missing (BR §7.1.2.7.7)');
  else if (!methods.has(ID_AD_CA_ISSUERS) && !methods.has(ID_AD_OCSP)) findings.push('authorityInfoAccess names neither caIssuers nor OCSP (BR §7.1.2.7.7)');
  if (byId.get(id_pe_authorityInfoAccess)?.critical) findings.push('authorityInfoAccess is critical (BR §7.1.2.7.7)');
  if (!methods.has(ID_AD_OCSP) && !byId.has(id_ce_cRLDistributionPoints)) findings.push('neither an OCSP URI nor cRLDistributionPoints (BR §7.1.2.11.2)');
  if (byId.get(id_ce_cRLDistributionPoints)?.critical) findings.push('cRLDistributionPoints is critical (BR §7.1.2.11.2)');

  // §7.1.2.7.9: certificatePolicies present, not critical, no anyPolicy in a subscriber certificate.
  const policies = parse(id_ce_certificatePolicies, readCertificatePolicies);
  if (!policies) findings.push('certificatePolicies is missing (BR §7.1.2.7.9)');
  else if (policies.some((p) => p.policyIdentifier === ANY_POLICY)) findings.push('anyPolicy in a subscriber certificate (BR §7.1.2.7.9)');
  if (byId.get(id_ce_certificatePolicies)?.critical) findings.push('certificatePolicies is critical (BR §7.1.2.7.9)');

  // §7.1.2.7.8: basicConstraints, when present, critical; cA is FALSE (the RFC 5280 lint checks the profile's).
  const bc = byId.get('2.5.29.19');
  if (bc && !bc.critical) findings.push('basicConstraints present and not critical (BR §7.1.2.7.8)');
  // §7.1.2.7.11: keyUsage present and critical.
  if (!byId.get('2.5.29.15')?.critical) findings.push('keyUsage missing or not critical (BR §7.1.2.7.11)');

  // §6.1.5: RSA moduli of at least 2048 bits, a multiple of 8.
  if (input.spki?.algorithm === RSA) {
    try {
      const bits = rsaModulusBits(readRsaPublicKey(input.spki.key).modulus);
      if (bits < 2048) findings.push(`an RSA modulus of ${bits} bits (BR §6.1.5: at least 2048)`);
    } catch {
      // the key lint reports an RSAPublicKey that does not parse
    }
  }
  return findings;
}
