import { describe, expect, it } from 'vitest';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension, Extensions, KeyUsage, KeyUsageFlags, Name, SubjectPublicKeyInfo, TBSCertificate, Time, Validity, Version, id_ce_keyUsage, id_ce_subjectKeyIdentifier } from '@peculiar/asn1-x509';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { signatureAlgorithmIdentifier } from '../crypto/algorithms.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { lintTbsCertificate, type LintContext } from './certificate-lint.js';
import { buildExtensions } from './extensions.js';
import { ProfileCatalogue } from './profiles.js';
import { buildSubjectName } from './subject-name.js';

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
    validity: new Validity({ notBefore: NOW, notAfter: new Date(NOW.getTime() + 364 * 86_400_000) }),
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
    ['a non-minimal serial encoding', (tbs) => { tbs.serialNumber = new Uint8Array([0x00, 0x10, ...new Array(15).fill(1)]).buffer; }, /minimally/],
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
