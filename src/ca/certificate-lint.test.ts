import { describe, expect, it } from 'vitest';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { AuthorityInfoAccessSyntax, CertificatePolicies, CRLDistributionPoints, ExtendedKeyUsage, PolicyInformation, id_ce_certificatePolicies, id_ce_cRLDistributionPoints, id_ce_subjectAltName, id_pe_authorityInfoAccess } from '@peculiar/asn1-x509';
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, Extension, Extensions, GeneralName, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectAlternativeName, SubjectPublicKeyInfo, TBSCertificate, Time, Validity, Version, id_ce_keyUsage, id_ce_subjectKeyIdentifier } from '@peculiar/asn1-x509';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { signatureAlgorithmIdentifier } from '../crypto/algorithms.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { lintSignedTbs, lintTbsCertificate, type LintContext } from './certificate-lint.js';
import { baselineMaximumDays, canonicalDnsName } from './encoding-lint.js';
import { buildExtensions } from './extensions.js';
import { ProfileCatalogue } from './profiles.js';
import { buildSubjectName } from './subject-name.js';
import { checkDer, nodeBytes } from '../crypto/strict-der.js';
import {
  readAuthorityInfoAccess,
  readAuthorityKeyIdentifier,
  readCertificatePolicies,
  readCrlDistributionPoints,
  readExtendedKeyUsage,
  readKeyUsage,
  readSubjectAltName,
  readTbs,
} from './tbs-reading.js';

const profiles = ProfileCatalogue.builtIn();
const issuerKey = generateSoftwareKey('ecdsa-p256');
const publication = {
  crlUrl: 'http://ca.example/crl/i.crl',
  ocspUrl: 'http://ca.example/ocsp',
  caIssuersUrl: 'http://ca.example/ca/i.crt',
  cpsUrl: 'http://ca.example/cps',
  policyOid: '2.25.1',
};
const NOW = new Date('2026-11-24T00:00:00Z');

/** A TBSCertificate the lint accepts; each test breaks one thing. */
function cleanTbs(profileId = 'individual-signing', keyAlgorithm: KeyAlgorithm = 'ecdsa-p256') {
  const profile = profiles.get(profileId);
  const subjectKey = generateSoftwareKey(keyAlgorithm);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([0x5c, ...new Array(16).fill(0x11)]).buffer,
    signature: issuerKey.signatureAlgorithm,
    issuer: buildSubjectName({ commonName: 'Issuing CA', organizationName: 'Signet', countryName: 'CN' }, profiles.get('issuing-ca')),
    // 199 days: within every profile and within the BR limit for TLS servers on NOW (200 days, ballot SC-081).
    validity: new Validity({ notBefore: NOW, notAfter: new Date(NOW.getTime() + 199 * 86_400_000) }),
    subject: profileId === 'tls-server' ? new Name() : buildSubjectName({ commonName: '张三' }, profile),
    subjectPublicKeyInfo: AsnConvert.parse(subjectKey.publicKeyInfo, SubjectPublicKeyInfo),
    extensions: new Extensions(
      buildExtensions({
        profile,
        keyAlgorithm,
        subjectPublicKeyInfo: subjectKey.publicKeyInfo,
        issuerPublicKeyInfo: issuerKey.publicKeyInfo,
        publication,
        subjectAltNames: profileId === 'tls-server' ? { dns: ['example.cn'] } : undefined,
        subjectIsEmpty: profileId === 'tls-server',
      }),
    ),
  });
  const context: LintContext = {
    profile,
    keyAlgorithm,
    signatureAlgorithm: issuerKey.signatureAlgorithm,
    issuerNotAfter: new Date('2036-01-01T00:00:00Z'),
  };
  return { tbs, context };
}

function replaceExtension(tbs: TBSCertificate, oid: string, replacement?: Extension): void {
  const kept = (tbs.extensions ?? []).filter((e) => e.extnID !== oid);
  tbs.extensions = new Extensions(replacement ? [...kept, replacement] : kept);
}

describe('the pre-signing lint (RFC 5280 and the profile)', () => {
  it('accepts a certificate built from its profile', () => {
    const { tbs, context } = cleanTbs();
    expect(lintTbsCertificate(tbs, context)).toEqual([]);
  });

  const cases: Array<[string, (tbs: TBSCertificate, context: LintContext) => void, RegExp]> = [
    ['a negative serial (§4.1.2.2)', (tbs) => { tbs.serialNumber = new Uint8Array([0x80, ...new Array(16).fill(1)]).buffer; }, /negative/],
    ['a serial of more than 20 octets', (tbs) => { tbs.serialNumber = new Uint8Array(21).fill(0x11).buffer; }, /longer than 20/],
    ['a zero serial', (tbs) => { tbs.serialNumber = new Uint8Array([0]).buffer; }, /zero/],
    ['a serial with too little entropy', (tbs) => { tbs.serialNumber = new Uint8Array([0x01, 0x02]).buffer; }, /64 random bits/],
    // The DER rules refuse it before the serial rules read it (X.690 §8.3.2).
    ['a non-minimal serial encoding', (tbs) => { tbs.serialNumber = new Uint8Array([0x00, 0x10, ...new Array(15).fill(1)]).buffer; }, /INTEGER at offset \d+: not minimal/],
    ['GeneralizedTime before 2050 (§4.1.2.5)', (tbs) => { tbs.validity.notBefore = new Time({ generalTime: NOW }); }, /must be UTCTime/],
    ['notAfter before notBefore', (tbs) => { tbs.validity.notAfter = new Time(new Date(NOW.getTime() - 1000)); }, /not after notBefore/],
    ['a validity longer than the profile', (tbs) => { tbs.validity.notAfter = new Time(new Date(NOW.getTime() + 800 * 86_400_000)); }, /exceeds the profile/],
    ['a certificate outliving its issuer', (_tbs, context) => { context.issuerNotAfter = new Date(NOW.getTime() + 86_400_000); }, /outlive its issuer/],
    ['a TBS signature algorithm that is not the signer\'s', (tbs) => { tbs.signature = signatureAlgorithmIdentifier('pkcs1', 'sha256'); }, /differs from the signer/],
    ['a missing subjectKeyIdentifier', (tbs) => replaceExtension(tbs, id_ce_subjectKeyIdentifier), /subjectKeyIdentifier is missing/],
    ['a duplicated extension', (tbs) => { tbs.extensions = new Extensions([...(tbs.extensions ?? []), tbs.extensions![0]!]); }, /appears twice/],
    ['keyCertSign without cA (§4.2.1.9)', (tbs) => replaceExtension(tbs, id_ce_keyUsage, new Extension({ extnID: id_ce_keyUsage, critical: true, extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign))) })), /keyCertSign and basicConstraints/],
    ['a non-critical keyUsage', (tbs) => replaceExtension(tbs, id_ce_keyUsage, new Extension({ extnID: id_ce_keyUsage, critical: false, extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation))) })), /should be critical/],
    ['unique identifiers (§4.1.2.8)', (tbs) => { tbs.subjectUniqueID = new Uint8Array([1]).buffer; }, /unique identifiers/],
    ['a version other than v3', (tbs) => { tbs.version = Version.v1; }, /version must be v3/],
  ];

  it.each(cases)('refuses %s', (_label, breakIt, finding) => {
    const { tbs, context } = cleanTbs();
    breakIt(tbs, context);
    expect(lintTbsCertificate(tbs, context).join('\n')).toMatch(finding);
  });

  it('refuses keyEncipherment on an Ed25519 key (RFC 8410)', () => {
    const { tbs, context } = cleanTbs('individual-signing', 'ed25519');
    replaceExtension(tbs, id_ce_keyUsage, new Extension({ extnID: id_ce_keyUsage, critical: true, extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment))) }));
    expect(lintTbsCertificate(tbs, context).join('\n')).toMatch(/keyEncipherment is impossible with a ed25519 key/);
  });

  it('gives an Ed25519 TLS server key digitalSignature only, and the lint agrees', () => {
    const { tbs, context } = cleanTbs('tls-server', 'ed25519');
    expect(lintTbsCertificate(tbs, context).join('\n')).not.toMatch(/keyEncipherment/);
  });

  it('refuses an empty subject unless subjectAltName is critical (§4.2.1.6)', () => {
    const { tbs, context } = cleanTbs('tls-server');
    expect(lintTbsCertificate(tbs, context)).toEqual([]);
    const san = tbs.extensions!.find((e) => e.extnID === '2.5.29.17')!;
    san.critical = false;
    expect(lintTbsCertificate(tbs, context).join('\n')).toMatch(/subjectAltName must be critical/);
  });

  it('refuses extendedKeyUsage that differs from the profile', () => {
    const { tbs } = cleanTbs('individual-signing');
    const { context } = cleanTbs('tls-client');
    expect(lintTbsCertificate(tbs, context).join('\n')).toMatch(/extendedKeyUsage .* differs from the profile/);
  });
});

describe('the lints on what is signed (issue 15: zlint/pkilint rules, strict DER of the TBS)', () => {
  const findings = (tbs: TBSCertificate, context: LintContext) => lintSignedTbs(new Uint8Array(AsnConvert.serialize(tbs)), context).join('\n');
  const atv = (type: string, value: ConstructorParameters<typeof AttributeValue>[0]) => new AttributeTypeAndValue({ type, value: new AttributeValue(value) });

  it('lints the TBS bytes: clean ones pass, a SET OF out of DER order is refused before anything is signed (X.690 §11.6)', () => {
    const { tbs, context } = cleanTbs();
    expect(findings(tbs, context)).toBe('');
    // asn1-schema writes a multi-valued RDN's members in the order given, not in DER order.
    tbs.subject = new Name([new RelativeDistinguishedName([atv('2.5.4.10', { utf8String: 'b' }), atv('2.5.4.3', { utf8String: 'a' })])]);
    expect(findings(tbs, context)).toMatch(/the TBSCertificate is not DER: SET at offset \d+: members not in DER order/);
  });

  it("compares the signed TBS's signature field with the signer's byte for byte: the same OID with NULL parameters is refused (RFC 5280 §4.1.2.3, RFC 5758 §3.2)", () => {
    const { tbs, context } = cleanTbs('individual-signing', 'ecdsa-p256');
    expect(findings(tbs, context)).toBe('');
    tbs.signature = new AlgorithmIdentifier({ algorithm: context.signatureAlgorithm.algorithm, parameters: new Uint8Array([0x05, 0x00]).buffer });
    expect(findings(tbs, context)).toMatch(/TBS signature algorithm differs from the signer's/);
  });

  it('refuses a key not in canonical form: compressed EC point, RSA without NULL, Ed25519 with parameters (RFC 5480 §2.2, RFC 3279 §2.3.1, RFC 8410 §3)', () => {
    const ec = cleanTbs('individual-signing', 'ecdsa-p256');
    const point = new Uint8Array(ec.tbs.subjectPublicKeyInfo.subjectPublicKey);
    const compressed = new Uint8Array([0x02 + (point[64]! & 1), ...point.subarray(1, 33)]);
    ec.tbs.subjectPublicKeyInfo = new SubjectPublicKeyInfo({ algorithm: ec.tbs.subjectPublicKeyInfo.algorithm, subjectPublicKey: compressed.buffer });
    expect(findings(ec.tbs, ec.context)).toMatch(/EC point must be uncompressed/);

    const rsa = cleanTbs('individual-signing', 'rsa-2048');
    rsa.tbs.subjectPublicKeyInfo.algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.1' });
    expect(findings(rsa.tbs, rsa.context)).toMatch(/rsaEncryption parameters must be NULL/);

    const ed = cleanTbs('individual-signing', 'ed25519');
    ed.tbs.subjectPublicKeyInfo.algorithm = new AlgorithmIdentifier({ algorithm: '1.3.101.112', parameters: null });
    expect(findings(ed.tbs, ed.context)).toMatch(/Ed25519 keys have no parameters/);
  });

  it('refuses an AKI that is not the issuer certificate\'s SKI (RFC 5280 §4.2.1.1)', () => {
    const { tbs, context } = cleanTbs();
    const aki = AsnConvert.parse(tbs.extensions!.find((e) => e.extnID === '2.5.29.35')!.extnValue.buffer, AuthorityKeyIdentifier);
    expect(findings(tbs, { ...context, issuerKeyIdentifier: new Uint8Array(aki.keyIdentifier!.buffer) })).toBe('');
    expect(findings(tbs, { ...context, issuerKeyIdentifier: new Uint8Array(20).fill(7) })).toMatch(/authorityKeyIdentifier differs from the issuer certificate's subjectKeyIdentifier/);
  });

  it('refuses DN values of the wrong string type or over their upper bound (RFC 5280 §4.1.2.4, Appendix A)', () => {
    const { tbs, context } = cleanTbs();
    const single = (...atvs: AttributeTypeAndValue[]) => new Name(atvs.map((a) => new RelativeDistinguishedName([a])));
    tbs.subject = single(atv('2.5.4.6', { utf8String: 'CN' }), atv('2.5.4.3', { utf8String: '张'.repeat(65) }));
    const found = findings(tbs, context);
    expect(found).toMatch(/subject countryName: utf8 string where printable is required/);
    expect(found).toMatch(/subject commonName: 65 characters, more than ub 64/);
    tbs.subject = single(atv('2.5.4.6', { printableString: 'cn' }), atv('1.2.840.113549.1.9.1', { utf8String: 'a@example.cn' }));
    expect(findings(tbs, context)).toMatch(/countryName cn: not two upper-case letters[\s\S]*emailAddress: utf8 string where ia5 is required/);
  });

  it('refuses invalid A-labels and reserved labels in dNSName, and URIs that are not absolute http ones in CRL DP, AIA and CPS', () => {
    const { tbs, context } = cleanTbs('tls-server');
    const withSan = (...names: GeneralName[]) =>
      replaceExtension(tbs, '2.5.29.17', new Extension({ extnID: '2.5.29.17', critical: true, extnValue: new OctetString(AsnConvert.serialize(new SubjectAlternativeName(names))) }));
    withSan(new GeneralName({ dNSName: 'xn--fsqu00a.xn--fiqs8s' }));
    expect(findings(tbs, context)).toBe('');
    withSan(new GeneralName({ dNSName: 'xn--abc-.example.cn' }), new GeneralName({ dNSName: 'ab--cd.example.cn' }), new GeneralName({ dNSName: 'Example.CN' }));
    const found = findings(tbs, context);
    expect(found).toMatch(/xn--abc-.example.cn: label "xn--abc-" is not letters/);
    expect(found).toMatch(/ab--cd.example.cn: label "ab--cd" has "--" in the third and fourth positions/);
    expect(found).toMatch(/Example.CN: upper-case letters/);
    withSan(new GeneralName({ dNSName: 'xn--zz.example.cn' }));
    expect(findings(tbs, context)).toMatch(/label "xn--zz" is not a valid A-label/);

    const links = cleanTbs('individual-signing');
    const ext = buildExtensions({
      profile: profiles.get('individual-signing'),
      keyAlgorithm: 'ecdsa-p256',
      subjectPublicKeyInfo: generateSoftwareKey('ecdsa-p256').publicKeyInfo,
      issuerPublicKeyInfo: issuerKey.publicKeyInfo,
      publication: { ...publication, crlUrl: 'http://ca.example/a crl.crl', ocspUrl: 'ftp://ca.example/ocsp', cpsUrl: 'cps.html' },
    });
    links.tbs.extensions = new Extensions(ext);
    const bad = findings(links.tbs, links.context);
    expect(bad).toMatch(/cRLDistributionPoints URI http:\/\/ca.example\/a crl.crl: not printable ASCII without spaces/);
    expect(bad).toMatch(/authorityInfoAccess URI ftp:\/\/ca.example\/ocsp: scheme ftp: where http or ldap is expected/);
    expect(bad).toMatch(/certificatePolicies CPS URI cps.html: not an absolute URI/);
  });

  it('holds TLS server certificates to the BR: validity by ballot SC-081\'s dates, commonName among the SANs', () => {
    expect([new Date('2026-03-14T23:59:59Z'), new Date('2026-03-15T00:00:00Z'), new Date('2027-03-15T00:00:00Z'), new Date('2029-03-15T00:00:00Z')].map(baselineMaximumDays)).toEqual([398, 200, 100, 47]);
    const { tbs, context } = cleanTbs('tls-server');
    tbs.validity = new Validity({ notBefore: NOW, notAfter: new Date(NOW.getTime() + 200 * 86_400_000 - 1000) });
    expect(findings(tbs, context)).toBe('');
    tbs.validity = new Validity({ notBefore: NOW, notAfter: new Date(NOW.getTime() + 200 * 86_400_000) });
    expect(findings(tbs, context)).toMatch(/valid for more than 200 days \(BR §6.3.2, ballot SC-081\)/);
    tbs.validity = new Validity({ notBefore: NOW, notAfter: new Date(NOW.getTime() + 199 * 86_400_000) });
    tbs.subject = new Name([new RelativeDistinguishedName([atv('2.5.4.3', { utf8String: 'other.example.cn' })])]);
    expect(findings(tbs, context)).toMatch(/commonName other.example.cn is not one of the subjectAltName entries/);
  });

  it('holds TLS server certificates to the rest of BR §7.1.2.7: subject attributes, EKU, SAN types, AIA, policies, criticality', () => {
    const tls = () => cleanTbs('tls-server');
    const ext = (extnID: string, critical: boolean, value: unknown) => new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
    const rebuilt = (tbs: TBSCertificate, oid: string, critical: boolean) => {
      const old = tbs.extensions!.find((e) => e.extnID === oid)!;
      replaceExtension(tbs, oid, new Extension({ extnID: oid, critical, extnValue: old.extnValue }));
    };
    let { tbs, context } = tls();
    tbs.subject = new Name([
      new RelativeDistinguishedName([atv('2.5.4.11', { utf8String: 'Ops' })]),
      new RelativeDistinguishedName([atv('2.5.4.3', { utf8String: 'example.cn' })]),
      new RelativeDistinguishedName([atv('2.5.4.3', { utf8String: 'example.cn' })]),
    ]);
    const subject = findings(tbs, context);
    expect(subject).toMatch(/subject attribute organizationalUnitName is not allowed in a TLS server certificate \(BR §7.1.2.7.2–4, ballot SC-47\)/);
    expect(subject).toMatch(/more than one commonName \(BR §7.1.4.3\)/);
    expect(subject).toMatch(/subjectAltName is critical though the subject is not empty/);

    ({ tbs, context } = tls());
    replaceExtension(tbs, '2.5.29.37', ext('2.5.29.37', false, new ExtendedKeyUsage(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.3', '2.5.29.37.0'])));
    const eku = findings(tbs, context);
    expect(eku).toMatch(/extendedKeyUsage 1.3.6.1.5.5.7.3.3 beside serverAuth \(BR §7.1.2.7.10\)/);
    expect(eku).toMatch(/anyExtendedKeyUsage in a TLS server certificate/);

    ({ tbs, context } = tls());
    replaceExtension(tbs, id_ce_subjectAltName, ext(id_ce_subjectAltName, true, new SubjectAlternativeName([new GeneralName({ dNSName: 'example.cn' }), new GeneralName({ rfc822Name: 'ops@example.cn' })])));
    expect(findings(tbs, context)).toMatch(/a subjectAltName entry other than dNSName or iPAddress \(BR §7.1.2.7.12\)/);

    ({ tbs, context } = tls());
    replaceExtension(tbs, id_pe_authorityInfoAccess);
    replaceExtension(tbs, id_ce_cRLDistributionPoints);
    const links = findings(tbs, context);
    expect(links).toMatch(/authorityInfoAccess is missing \(BR §7.1.2.7.7\)/);
    expect(links).toMatch(/neither an OCSP URI nor cRLDistributionPoints/);

    ({ tbs, context } = tls());
    rebuilt(tbs, id_ce_certificatePolicies, true);
    expect(findings(tbs, context)).toMatch(/certificatePolicies is critical \(BR §7.1.2.7.9\)/);
    ({ tbs, context } = tls());
    replaceExtension(tbs, id_ce_certificatePolicies, ext(id_ce_certificatePolicies, false, new CertificatePolicies([new PolicyInformation({ policyIdentifier: '2.5.29.32.0' })])));
    expect(findings(tbs, context)).toMatch(/anyPolicy in a subscriber certificate/);
    ({ tbs, context } = tls());
    rebuilt(tbs, id_pe_authorityInfoAccess, true);
    expect(findings(tbs, context)).toMatch(/authorityInfoAccess is critical/);
  });

  it('takes a U-label DNS name (例子.中国) and writes its A-labels; refuses what has no IDNA form', () => {
    expect(canonicalDnsName('例子.中国')).toBe('xn--fsqu00a.xn--fiqs8s');
    expect(canonicalDnsName('*.例子.中国')).toBe('*.xn--fsqu00a.xn--fiqs8s');
    expect(canonicalDnsName('WWW.Example.CN')).toBe('www.example.cn');
    const ext = buildExtensions({
      profile: profiles.get('tls-server'),
      keyAlgorithm: 'ecdsa-p256',
      subjectPublicKeyInfo: generateSoftwareKey('ecdsa-p256').publicKeyInfo,
      issuerPublicKeyInfo: issuerKey.publicKeyInfo,
      publication,
      subjectAltNames: { dns: ['例子.中国'] },
      subjectIsEmpty: true,
    });
    const san = AsnConvert.parse(ext.find((e) => e.extnID === '2.5.29.17')!.extnValue.buffer, SubjectAlternativeName);
    expect(san[0]!.dNSName).toBe('xn--fsqu00a.xn--fiqs8s');
    for (const bad of ['xn--zz.example.cn', 'a..b', 'under_score.example.cn', '例子']) expect(canonicalDnsName(bad), bad).toBeUndefined();
  });
});

describe('the TBS read from its DER outline (issue 15: no asn1-schema parse of what is signed)', () => {
  const length = (n: number) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
  const tlv = (tag: number, ...parts: Uint8Array[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([tag, ...length(body.length)]), body]);
  };
  const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
  const contents = (der: Uint8Array) => Buffer.from(der.subarray(checkDer(der).header));
  const children = (der: Uint8Array) => {
    const outline = checkDer(der);
    return outline.children.map((c) => Buffer.from(nodeBytes(der, c)));
  };
  const der = (tbs: TBSCertificate) => new Uint8Array(AsnConvert.serialize(tbs));
  /** The TBS with its fields (version … [3] extensions) rewritten as bytes. */
  const withFields = (tbs: TBSCertificate, change: (fields: Buffer[]) => Buffer[]) => tlv(0x30, ...change(children(der(tbs))));
  /** The TBS with its list of Extension DERs rewritten as bytes. */
  const withExtensions = (tbs: TBSCertificate, change: (extensions: Buffer[]) => Buffer[]) =>
    withFields(tbs, (fields) => {
      const extensions = children(children(fields.at(-1)!)[0]!);
      return [...fields.slice(0, -1), tlv(0xa3, tlv(0x30, ...change(extensions)))];
    });
  const extension = (oid: string, critical: Buffer | undefined, value: Uint8Array) =>
    tlv(0x30, new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER()), ...(critical ? [critical] : []), tlv(0x04, value));
  const lint = (bytes: Uint8Array, context: LintContext) => lintSignedTbs(bytes, context).join('\n');

  it('reads every field as asn1-schema does, for each profile family and key type', () => {
    for (const [profileId, keyAlgorithm] of [['individual-signing', 'ecdsa-p256'], ['tls-server', 'rsa-2048'], ['tls-client', 'ed25519'], ['individual-encryption', 'ecdsa-p384']] as const) {
      const { tbs, context } = cleanTbs(profileId, keyAlgorithm);
      const bytes = der(tbs);
      expect(lintSignedTbs(bytes, context), profileId).toEqual([]);
      const reading = readTbs(bytes, checkDer(bytes), (value) => checkDer(value));
      const parsed = AsnConvert.parse(bytes, TBSCertificate);
      expect(reading.version).toBe(parsed.version);
      expect(Buffer.from(reading.serial)).toEqual(Buffer.from(parsed.serialNumber));
      expect(reading.signatureAlgorithm).toBe(parsed.signature.algorithm);
      const names = (name: Name) => name.map((rdn) => rdn.map((a) => ({ type: a.type, text: a.value.utf8String ?? a.value.printableString ?? a.value.ia5String })));
      expect(reading.issuer.map((rdn) => rdn.map(({ type, text }) => ({ type, text })))).toEqual(names(parsed.issuer));
      expect(reading.subject.map((rdn) => rdn.map(({ type, text }) => ({ type, text })))).toEqual(names(parsed.subject));
      expect(reading.notBefore.date).toEqual(parsed.validity.notBefore.getTime());
      expect(reading.notAfter.date).toEqual(parsed.validity.notAfter.getTime());
      expect(reading.spki.algorithm).toBe(parsed.subjectPublicKeyInfo.algorithm.algorithm);
      expect(Buffer.from(reading.spki.key)).toEqual(Buffer.from(parsed.subjectPublicKeyInfo.subjectPublicKey));
      expect(reading.extensions.map((e) => [e.oid, e.critical, Buffer.from(e.value).toString('hex')])).toEqual(
        parsed.extensions!.map((e) => [e.extnID, e.critical, Buffer.from(e.extnValue.buffer).toString('hex')]),
      );
      const ext = (oid: string) => reading.extensions.find((e) => e.oid === oid)!;
      const asn = (oid: string) => parsed.extensions!.find((e) => e.extnID === oid)!.extnValue.buffer;
      expect(readKeyUsage(ext(id_ce_keyUsage)).sort()).toEqual(AsnConvert.parse(asn(id_ce_keyUsage), KeyUsage).toJSON().map((u) => (u === 'crlSign' ? 'cRLSign' : u)).sort());
      expect(Buffer.from(readAuthorityKeyIdentifier(ext('2.5.29.35')).keyIdentifier!)).toEqual(Buffer.from(AsnConvert.parse(asn('2.5.29.35'), AuthorityKeyIdentifier).keyIdentifier!.buffer));
      expect(readAuthorityInfoAccess(ext(id_pe_authorityInfoAccess)).map((a) => [a.accessMethod, a.accessLocation.uniformResourceIdentifier])).toEqual(
        AsnConvert.parse(asn(id_pe_authorityInfoAccess), AuthorityInfoAccessSyntax).map((a) => [a.accessMethod, a.accessLocation.uniformResourceIdentifier]),
      );
      expect(readCrlDistributionPoints(ext(id_ce_cRLDistributionPoints)).map((p) => p.fullName?.map((n) => n.uniformResourceIdentifier))).toEqual(
        AsnConvert.parse(asn(id_ce_cRLDistributionPoints), CRLDistributionPoints).map((p) => p.distributionPoint?.fullName?.map((n) => n.uniformResourceIdentifier)),
      );
      expect(readCertificatePolicies(ext(id_ce_certificatePolicies)).map((p) => p.policyIdentifier)).toEqual(AsnConvert.parse(asn(id_ce_certificatePolicies), CertificatePolicies).map((p) => p.policyIdentifier));
      if (profileId === 'tls-server') {
        expect(readSubjectAltName(ext(id_ce_subjectAltName))).toEqual([{ tag: 2, dNSName: 'example.cn' }]);
        expect(readExtendedKeyUsage(ext('2.5.29.37'))).toEqual([...AsnConvert.parse(asn('2.5.29.37'), ExtendedKeyUsage)]);
      }
    }
  });

  it('finds faults in the last extension, in its last entry, and in fields asn1-schema would have skipped', () => {
    const { tbs, context } = cleanTbs('tls-server');
    const appended = (value: Buffer) => withExtensions(tbs, (all) => [...all, value]);
    // An explicit critical FALSE (X.690 §11.5: a DEFAULT value is left out), on an extension added last.
    expect(lint(appended(extension('1.3.6.1.4.1.99999.1', hex('010100'), hex('0500'))), context)).toMatch(/extension 1.3.6.1.4.1.99999.1 writes critical FALSE/);
    // The value of the last extension carrying bytes after its DER (RFC 5280 §4.1: the value is one DER value).
    expect(lint(appended(extension('1.3.6.1.4.1.99999.1', undefined, hex('0500 00'))), context)).toMatch(/the value of an extension is not DER: 1 byte after extension 1.3.6.1.4.1.99999.1/);
    // An unknown, non-critical extension with a DER value is fine.
    expect(lint(appended(extension('1.3.6.1.4.1.99999.1', undefined, hex('0500'))), context)).toBe('');
    // A URI in the last access description that is not IA5 (a byte above 0x7f), AIA moved to the end.
    const aia = tlv(0x30, tlv(0x30, hex('06082b06010505073001'), tlv(0x86, Buffer.from('http://ca.example/ocsp'))), tlv(0x30, hex('06082b06010505073002'), tlv(0x86, Buffer.from('http://ca.example/\xe9.crt', 'latin1'))));
    const aiaLast = (value: Buffer) => withExtensions(tbs, (all) => [...all.filter((e) => !e.includes(hex('2b06010505070101'))), extension(id_pe_authorityInfoAccess, undefined, value)]);
    expect(lint(aiaLast(aia), context)).toMatch(/extension 1.3.6.1.5.5.7.1.1 does not parse: authorityInfoAccess: GeneralName \[6\] is not IA5String/);
    // An access description with a third field.
    expect(lint(aiaLast(tlv(0x30, tlv(0x30, hex('06082b06010505073001'), tlv(0x86, Buffer.from('http://ca.example/ocsp')), hex('0500')))), context)).toMatch(/an access description is not a method and a location/);
    // The CPS qualifier of the last policy as a UTF8String.
    const policies = tlv(0x30, tlv(0x30, hex('0604551d2000')), tlv(0x30, hex('06022a03'), tlv(0x30, tlv(0x30, hex('06082b06010505070201'), tlv(0x0c, Buffer.from('http://ca.example/cps'))))));
    const policiesLast = withExtensions(tbs, (all) => [...all.filter((e) => !e.includes(hex('0603551d20'))), extension(id_ce_certificatePolicies, undefined, policies)]);
    const policyFindings = lint(policiesLast, context);
    expect(policyFindings).toMatch(/certificatePolicies CPS qualifier is not an IA5String/);
    expect(policyFindings).toMatch(/anyPolicy in a subscriber certificate/);
  });

  it('refuses a TBS whose shape is not RFC 5280 §4.1 even when every value is DER', () => {
    const { tbs, context } = cleanTbs();
    // A field after [3] extensions, and [1] issuerUniqueID after the extensions.
    expect(lint(withFields(tbs, (f) => [...f, tlv(0xa4, hex('0500'))]), context)).toMatch(/does not parse: unexpected field \[2:4\]/);
    expect(lint(withFields(tbs, (f) => [...f, tlv(0x81, hex('00'))]), context)).toMatch(/does not parse: unexpected field \[2:1\]/);
    // The validity with a third time; a notAfter on 31 February; the subject as a SET.
    const validity = (times: Buffer[]) => withFields(tbs, (f) => [...f.slice(0, 4), tlv(0x30, ...times), ...f.slice(5)]);
    const utc = (text: string) => tlv(0x17, Buffer.from(text));
    expect(lint(validity([utc('261124000000Z'), utc('270101000000Z'), utc('270102000000Z')]), context)).toMatch(/the validity is not notBefore and notAfter/);
    expect(lint(validity([utc('261124000000Z'), utc('270231000000Z')]), context)).toMatch(/notAfter 270231000000Z is not a date/);
    expect(lint(withFields(tbs, (f) => [...f.slice(0, 5), tlv(0x31, ...children(f[5]!)), ...f.slice(6)]), context)).toMatch(/the subject has tag \[0:17\]/);
    // The key as a BIT STRING with unused bits, the point's last bits zero.
    const spki = children(der(tbs)).at(6)!;
    const [algorithm, key] = children(spki);
    const bits = Buffer.from(key!.subarray(2));
    bits[0] = 4;
    bits[bits.length - 1] = bits.at(-1)! & 0xf0;
    expect(lint(withFields(tbs, (f) => [...f.slice(0, 6), tlv(0x30, algorithm!, tlv(0x03, bits)), ...f.slice(7)]), context)).toMatch(/subjectPublicKey with 4 unused bits/);
  });

  it('reads the last RDN, the RSA key and basicConstraints from the bytes: a BMPString, a padded modulus, cA FALSE written out', () => {
    const { tbs, context } = cleanTbs();
    const subject = children(der(tbs)).at(5)!;
    const bmp = tlv(0x31, tlv(0x30, hex('0603550403'), tlv(0x1e, Buffer.from('\u5f20\u4e09', 'utf16le').swap16())));
    expect(lint(withFields(tbs, (f) => [...f.slice(0, 5), tlv(0x30, ...children(subject), bmp), ...f.slice(6)]), context)).toMatch(/subject commonName: not a PrintableString, UTF8String or IA5String/);

    const rsa = cleanTbs('individual-signing', 'rsa-2048');
    const spki = children(der(rsa.tbs)).at(6)!;
    const [algorithm, key] = children(spki);
    const [modulus, exponent] = children(contents(key!).subarray(1));
    const padded = tlv(0x30, tlv(0x02, hex('00'), contents(modulus!)), exponent!);
    expect(lint(withFields(rsa.tbs, (f) => [...f.slice(0, 6), tlv(0x30, algorithm!, tlv(0x03, hex('00'), padded)), ...f.slice(7)]), rsa.context)).toMatch(/the RSAPublicKey is not DER: INTEGER at offset 4: not minimal/);

    const withBc = (value: Buffer) => withExtensions(tbs, (all) => [...all, extension('2.5.29.19', hex('0101ff'), value)]);
    expect(lint(withBc(tlv(0x30, hex('0101ff'))), context)).toMatch(/keyCertSign and basicConstraints cA must agree/);
    expect(lint(withBc(tlv(0x30, hex('0101ff'))), context)).not.toMatch(/does not parse/);
    expect(lint(withBc(tlv(0x30, hex('010100'))), context)).toMatch(/extension 2.5.29.19 does not parse: basicConstraints writes cA FALSE/);
    // An AKI whose keyIdentifier is constructed, and a keyUsage written as an OCTET STRING.
    const akiLast = withExtensions(tbs, (all) => [...all.filter((e) => !e.includes(hex('0603551d23'))), extension('2.5.29.35', undefined, tlv(0x30, tlv(0xa0, tlv(0x04, hex('0102')))))]);
    expect(lint(akiLast, context)).toMatch(/extension 2.5.29.35 does not parse: authorityKeyIdentifier keyIdentifier is constructed/);
    const kuOctets = withExtensions(tbs, (all) => [...all.filter((e) => !e.includes(hex('0603551d0f'))), extension(id_ce_keyUsage, hex('0101ff'), tlv(0x04, hex('c0')))]);
    expect(lint(kuOctets, context)).toMatch(/extension 2.5.29.15 does not parse: keyUsage has tag \[0:4\]/);
  });
});
