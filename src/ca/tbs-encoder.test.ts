import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Extensions, Name, RelativeDistinguishedName, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { encodedOnce } from '../crypto/signed-structure.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { buildExtensions } from './extensions.js';
import { ProfileCatalogue } from './profiles.js';
import { newSerialNumber } from './serial-number.js';
import { buildSubjectName } from './subject-name.js';
import { TbsEncoder } from './tbs-encoder.js';

const profiles = ProfileCatalogue.builtIn();
const issuerKey = generateSoftwareKey('ecdsa-p256');
const issuerName = encodedOnce(buildSubjectName({ countryName: 'CN', organizationName: 'Signet 测试', commonName: 'Signet Issuing CA' }, profiles.get('issuing-ca')));
const signatureAlgorithm = encodedOnce(new AlgorithmIdentifier(issuerKey.signatureAlgorithm));
const publication = {
  crlUrl: 'http://127.0.0.1/crl/ca.crl',
  ocspUrl: 'http://127.0.0.1/ocsp',
  caIssuersUrl: 'http://127.0.0.1/ca/ca.crt',
  cpsUrl: 'http://127.0.0.1/cps',
  policyOid: '1.3.6.1.4.1.99999.1',
};

/** A TBSCertificate as the issuance cycle builds it: the issuer's parts marked once, the subscriber's fresh. */
function subscriberTbs(options: { profile: string; key: KeyAlgorithm; commonName: string; dns?: string[]; notBefore?: Date; days?: number }) {
  const profile = profiles.get(options.profile);
  const key = generateSoftwareKey(options.key);
  const notBefore = options.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const subject = buildSubjectName(profile.subject.required.includes('organizationName') ? { organizationName: '北京测试有限公司', commonName: options.commonName } : { commonName: options.commonName }, profile);
  return new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(newSerialNumber(0x5c)).buffer,
    signature: signatureAlgorithm,
    issuer: issuerName,
    validity: new Validity({ notBefore, notAfter: new Date(notBefore.getTime() + (options.days ?? 365) * 86_400_000 - 1000) }),
    subject,
    subjectPublicKeyInfo: encodedOnce(AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo), key.publicKeyInfo),
    extensions: new Extensions(
      buildExtensions({
        profile,
        keyAlgorithm: options.key,
        subjectPublicKeyInfo: key.publicKeyInfo,
        issuerPublicKeyInfo: issuerKey.publicKeyInfo,
        publication,
        subjectAltNames: options.dns ? { dns: options.dns } : undefined,
      }),
    ),
  });
}

const library = (tbs: TBSCertificate) => Buffer.from(AsnConvert.serialize(tbs));

describe('TBSCertificate from per-shape layouts (RFC 5280 §4.1)', () => {
  it('is byte for byte asn1-schema\'s encoding for every subscriber profile and key type, first use and later', () => {
    const encoder = new TbsEncoder();
    const cases: { profile: string; key: KeyAlgorithm; dns?: string[] }[] = [
      { profile: 'individual-signing', key: 'ecdsa-p256' },
      { profile: 'individual-signing', key: 'rsa-2048' },
      { profile: 'individual-encryption', key: 'rsa-3072' },
      { profile: 'enterprise-signing', key: 'ecdsa-p384' },
      { profile: 'enterprise-encryption', key: 'rsa-2048' },
      { profile: 'tls-server', key: 'ecdsa-p256', dns: ['signet.example.cn'] },
      { profile: 'tls-client', key: 'ed25519' },
    ];
    for (const c of cases) {
      for (let i = 0; i < 4; i++) {
        // Same lengths each round: rounds after the first reuse the layout with other keys, serials and names.
        const tbs = subscriberTbs({ ...c, commonName: `用户 ${i}` });
        expect(encoder.encode(tbs).equals(library(tbs)), `${c.profile} ${c.key} round ${i}`).toBe(true);
      }
    }
  });

  it('gives names, SANs and lifetimes of other lengths their own layout, never a stale one', () => {
    const encoder = new TbsEncoder();
    const shapes = [
      { commonName: 'a' },
      { commonName: 'a much longer common name that changes every length around it' },
      { commonName: 'a', dns: ['a.example'] },
      { commonName: 'a', dns: ['a.example', 'www.a-longer-name.example'] },
      // 2050 and later are GeneralizedTime (RFC 5280 §4.1.2.5): another length for notAfter.
      { commonName: 'a', notBefore: new Date('2049-06-01T00:00:00Z'), days: 730 },
    ];
    for (let round = 0; round < 2; round++) {
      for (const shape of shapes) {
        const tbs = subscriberTbs({ profile: 'tls-server', key: 'ecdsa-p256', dns: ['x.example'], ...shape });
        expect(encoder.encode(tbs).equals(library(tbs)), JSON.stringify(shape)).toBe(true);
      }
    }
  });

  it('places each certificate\'s own serial, times and key: two certificates of one shape differ exactly there', () => {
    const encoder = new TbsEncoder();
    const first = subscriberTbs({ profile: 'tls-client', key: 'ecdsa-p256', commonName: 'same length 1' });
    const second = subscriberTbs({ profile: 'tls-client', key: 'ecdsa-p256', commonName: 'same length 2', notBefore: new Date('2027-01-01T00:00:00Z') });
    const a = encoder.encode(first);
    const b = encoder.encode(second);
    expect(a.length).toBe(b.length);
    expect(b.equals(library(second))).toBe(true);
    expect(b.includes(Buffer.from(second.serialNumber))).toBe(true);
    expect(b.includes(Buffer.from(AsnConvert.serialize(second.subjectPublicKeyInfo)))).toBe(true);
    expect(b.includes(Buffer.from('270101000000Z'))).toBe(true);
    expect(a.includes(Buffer.from('270101000000Z'))).toBe(false);
  });

  it('leaves a TBSCertificate outside the shape (no extensions) to asn1-schema', () => {
    const tbs = subscriberTbs({ profile: 'tls-client', key: 'ecdsa-p256', commonName: 'x' });
    tbs.extensions = undefined;
    tbs.version = Version.v1;
    expect(new TbsEncoder().encode(tbs).equals(library(tbs))).toBe(true);
  });

  it('gives a serial of another length its own layout (the shape includes every slot\'s length)', () => {
    const encoder = new TbsEncoder();
    const tbs = subscriberTbs({ profile: 'tls-client', key: 'ecdsa-p256', commonName: 'x' });
    encoder.encode(tbs);
    tbs.serialNumber = new Uint8Array([0x5c, ...randomBytes(18)]).buffer;
    expect(encoder.encode(tbs).equals(library(tbs))).toBe(true);
  });

  it('carries a UTF8String Chinese subject exactly as asn1-schema writes it', () => {
    const tbs = subscriberTbs({ profile: 'enterprise-signing', key: 'ecdsa-p256', commonName: '张三' });
    const der = new TbsEncoder().encode(tbs);
    expect(der.includes(Buffer.from([0x0c, Buffer.byteLength('张三'), ...Buffer.from('张三')]))).toBe(true);
    expect(AsnConvert.parse(der, TBSCertificate).subject).toEqual(AsnConvert.parse(AsnConvert.serialize(new Name(tbs.subject)), Name));
  });

  it('lays out subjects of PrintableString, IA5String and UTF8String values, and leaves other names to asn1-schema (RFC 5280 §4.1.2.4)', () => {
    const encoder = new TbsEncoder();
    const atv = (type: string, value: ConstructorParameters<typeof AttributeValue>[0]) => new AttributeTypeAndValue({ type, value: new AttributeValue(value) });
    const single = (...atvs: AttributeTypeAndValue[]) => new Name(atvs.map((a) => new RelativeDistinguishedName([a])));
    const names = [
      single(atv('2.5.4.6', { printableString: 'CN' }), atv('2.5.4.10', { utf8String: '中国金融认证中心' }), atv('2.5.4.5', { printableString: '91110000MA01234567' }), atv('1.2.840.113549.1.9.1', { ia5String: 'a@example.cn' }), atv('2.5.4.3', { utf8String: '李四' })),
      single(atv('2.5.4.6', { printableString: 'CN' }), atv('2.5.4.10', { utf8String: '中国银行' }), atv('2.5.4.5', { printableString: '91110000MA07654321' }), atv('1.2.840.113549.1.9.1', { ia5String: 'b@example.cn' }), atv('2.5.4.3', { utf8String: '王五' })),
      // A multi-valued RDN (its SET OF must be sorted) and a BMPString are asn1-schema's to encode.
      new Name([new RelativeDistinguishedName([atv('2.5.4.3', { utf8String: 'b' }), atv('2.5.4.10', { utf8String: 'a' })])]),
      single(atv('2.5.4.3', { bmpString: 'bmp' })),
      new Name([]),
    ];
    for (const subject of [...names, ...names]) {
      const tbs = subscriberTbs({ profile: 'tls-server', key: 'ecdsa-p256', commonName: 'x', dns: ['x.example'] });
      tbs.subject = subject;
      expect(encoder.encode(tbs).equals(library(tbs))).toBe(true);
    }
  });
});
