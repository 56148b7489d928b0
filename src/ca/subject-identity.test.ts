import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { DirectoryString, Extension, Extensions, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { SignetError } from '../i18n/signet-error.js';
import { lintTbsCertificate } from './certificate-lint.js';
import { buildExtensions } from './extensions.js';
import builtIn from './profiles.json' with { type: 'json' };
import { ProfileCatalogue, type CertificateProfile } from './profiles.js';
import {
  ID_GMT0015_IDENTIFY_CODE,
  ID_GMT0015_ORGANIZATION_CODE,
  IdentifyCode,
  OrganizationCode,
  buildIdentityExtension,
  readIdentityExtension,
  type SubscriberIdentity,
} from './subject-identity.js';
import { buildSubjectName } from './subject-name.js';
import { runTool } from './test-support/ca-fixture.js';

const profiles = ProfileCatalogue.builtIn();
const dir = mkdtempSync(join(tmpdir(), 'signet-identity-'));

/** Valid by their own check characters (GB 11643, GB 32100), as the RA requires (R1). */
const RESIDENT_ID = '11010519491231002X';
const USCC = '91350100M000100Y43';

/** `openssl asn1parse` of DER bytes: the oracle for what is actually encoded. */
function asn1parse(der: Uint8Array): string {
  const file = join(dir, `value-${Math.random().toString(16).slice(2)}.der`);
  writeFileSync(file, der);
  const result = runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', file]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** A catalogue whose one profile is `base` with the identity extension replaced. */
function withIdentity(baseId: string, identityExtension: CertificateProfile['identityExtension']): CertificateProfile {
  const base = builtIn.profiles.find((p) => p.id === baseId)!;
  return ProfileCatalogue.parse({ profiles: [{ ...base, identityExtension }] }).get(baseId);
}

function extensionOf(profile: CertificateProfile, identity?: SubscriberIdentity): Extension | null {
  return buildIdentityExtension(profile, identity);
}

function refusal(work: () => unknown): SignetError {
  try {
    work();
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('GM/T 0015-2012 identity extensions, as encoded', () => {
  it('puts a resident ID in IdentifyCode (1.2.156.10260.4.1.1) as residenterCardNumber: [0] EXPLICIT PrintableString, non-critical', () => {
    const extension = extensionOf(profiles.get('individual-signing'), { type: 'resident-id', value: RESIDENT_ID })!;
    expect(extension.extnID).toBe('1.2.156.10260.4.1.1');
    expect(extension.critical).toBe(false);
    const parsed = asn1parse(new Uint8Array(extension.extnValue.buffer));
    expect(parsed).toMatch(/d=0 .* cons: cont \[ 0 \]/);
    expect(parsed).toMatch(new RegExp(`d=1 .* prim: PRINTABLESTRING +:${RESIDENT_ID}`));
  });

  it('puts a passport number in IdentifyCode as passportNumber [2]', () => {
    const extension = extensionOf(profiles.get('individual-encryption'), { type: 'passport', value: 'E12345678' })!;
    const parsed = asn1parse(new Uint8Array(extension.extnValue.buffer));
    expect(parsed).toMatch(/cons: cont \[ 2 \]/);
    expect(parsed).toMatch(/PRINTABLESTRING +:E12345678/);
  });

  it('puts the USCC, whole, in OrganizationCode (1.2.156.10260.4.1.4) as a bare PrintableString', () => {
    const extension = extensionOf(profiles.get('enterprise-signing'), { type: 'uscc', value: USCC })!;
    expect(extension.extnID).toBe('1.2.156.10260.4.1.4');
    expect(extension.critical).toBe(false);
    const parsed = asn1parse(new Uint8Array(extension.extnValue.buffer));
    expect(parsed.trim().split('\n')).toHaveLength(1);
    expect(parsed).toMatch(new RegExp(`d=0 .* prim: PRINTABLESTRING +:${USCC}`));
  });

  it('reads back what it wrote, and re-encodes it byte for byte', () => {
    for (const [profileId, identity] of [
      ['individual-signing', { type: 'resident-id', value: RESIDENT_ID }],
      ['individual-signing', { type: 'passport', value: 'E12345678' }],
      ['enterprise-encryption', { type: 'uscc', value: USCC }],
    ] as const) {
      const extension = extensionOf(profiles.get(profileId), identity)!;
      expect(readIdentityExtension(extension)).toEqual(identity);
      const der = new Uint8Array(extension.extnValue.buffer);
      const reparsed = extension.extnID === ID_GMT0015_IDENTIFY_CODE ? AsnConvert.parse(der, IdentifyCode) : AsnConvert.parse(der, OrganizationCode);
      expect(Buffer.from(AsnConvert.serialize(reparsed))).toEqual(Buffer.from(der));
    }
  });

  it('leaves the extension out where the profile names none, whatever identity the order carries', () => {
    for (const id of ['tls-client', 'tls-server', 'issuing-ca', 'ocsp-signer']) {
      expect(extensionOf(profiles.get(id), { type: 'resident-id', value: RESIDENT_ID })).toBeNull();
    }
  });

  it('leaves an optional extension out when the document has no alternative in it (a Hong Kong permit, an enterprise on a person\'s profile)', () => {
    expect(extensionOf(profiles.get('individual-signing'), undefined)).toBeNull();
    expect(extensionOf(profiles.get('individual-signing'), { type: 'uscc', value: USCC })).toBeNull();
    expect(extensionOf(profiles.get('enterprise-signing'), { type: 'resident-id', value: RESIDENT_ID })).toBeNull();
  });

  it('refuses an order without a fitting identity when the profile requires the extension', () => {
    const required = withIdentity('individual-signing', { type: 'IdentifyCode', required: true });
    const missing = refusal(() => extensionOf(required, undefined));
    expect([missing.code, missing.status, missing.field]).toEqual(['request.identity-missing', 400, 'identity']);
    expect(refusal(() => extensionOf(required, { type: 'uscc', value: USCC })).code).toBe('request.identity-missing');
  });

  it('refuses malformed numbers with a code per kind, never writing them into a certificate', () => {
    const person = profiles.get('individual-signing');
    expect(refusal(() => extensionOf(person, { type: 'resident-id', value: '1101051949123100' })).code).toBe('request.identity-invalid.resident-id');
    expect(refusal(() => extensionOf(person, { type: 'passport', value: '护照E123' })).code).toBe('request.identity-invalid.printable');
    expect(refusal(() => extensionOf(person, { type: 'passport', value: ' ' })).code).toBe('request.identity-invalid.length');
    const enterprise = profiles.get('enterprise-signing');
    expect(refusal(() => extensionOf(enterprise, { type: 'uscc', value: '91350100M000100Y4I' })).code).toBe('request.identity-invalid.uscc');
  });

  it('refuses a profile that puts a person\'s IdentifyCode on an enterprise profile, or an identity on a CA profile', () => {
    const enterprise = builtIn.profiles.find((p) => p.id === 'enterprise-signing')!;
    expect(() => ProfileCatalogue.parse({ profiles: [{ ...enterprise, identityExtension: { type: 'IdentifyCode', required: false } }] })).toThrow(/does not identify/);
    const ca = builtIn.profiles.find((p) => p.id === 'issuing-ca')!;
    expect(() => ProfileCatalogue.parse({ profiles: [{ ...ca, identityExtension: { type: 'UnifiedSocialCreditCode', required: false } }] })).toThrow(/subscriber profiles/);
  });
});

describe('the pre-signing lint of identity extensions (present when required, absent otherwise)', () => {
  const issuerKey = generateSoftwareKey('ecdsa-p256');
  const publication = { crlUrl: 'http://ca.example/c.crl', ocspUrl: 'http://ca.example/ocsp', caIssuersUrl: 'http://ca.example/i.crt', cpsUrl: 'http://ca.example/cps', policyOid: '2.25.1' };

  function tbsFor(profile: CertificateProfile, identity?: SubscriberIdentity, edit?: (extensions: Extension[]) => Extension[]) {
    const key = generateSoftwareKey('ecdsa-p256');
    const built = buildExtensions({ profile, keyAlgorithm: 'ecdsa-p256', subjectPublicKeyInfo: key.publicKeyInfo, issuerPublicKeyInfo: issuerKey.publicKeyInfo, publication, identity });
    const now = new Date('2026-12-01T00:00:00Z');
    const tbs = new TBSCertificate({
      version: Version.v3,
      serialNumber: new Uint8Array([0x5c, ...new Array(16).fill(0x22)]).buffer,
      signature: issuerKey.signatureAlgorithm,
      issuer: buildSubjectName({ commonName: 'Issuing CA', organizationName: 'Signet', countryName: 'CN' }, profiles.get('issuing-ca')),
      validity: new Validity({ notBefore: now, notAfter: new Date(now.getTime() + 300 * 86_400_000) }),
      subject: profile.id.startsWith('enterprise') ? buildSubjectName({ commonName: '示例科技有限公司', organizationName: '示例科技有限公司' }, profile) : buildSubjectName({ commonName: '张三' }, profile),
      subjectPublicKeyInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo),
      extensions: new Extensions(edit ? edit(built) : built),
    });
    return lintTbsCertificate(tbs, { profile, keyAlgorithm: 'ecdsa-p256', signatureAlgorithm: issuerKey.signatureAlgorithm, issuerNotAfter: new Date('2036-01-01T00:00:00Z') });
  }
  const identifyCode = (critical: boolean, value: IdentifyCode) =>
    new Extension({ extnID: ID_GMT0015_IDENTIFY_CODE, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const required = withIdentity('individual-signing', { type: 'IdentifyCode', required: true });

  it('passes certificates built with and without an optional identity, and with a required one', () => {
    expect(tbsFor(profiles.get('individual-signing'), { type: 'resident-id', value: RESIDENT_ID })).toEqual([]);
    expect(tbsFor(profiles.get('individual-signing'))).toEqual([]);
    expect(tbsFor(profiles.get('enterprise-signing'), { type: 'uscc', value: USCC })).toEqual([]);
    expect(tbsFor(required, { type: 'resident-id', value: RESIDENT_ID })).toEqual([]);
  });

  it('finds a required extension missing', () => {
    expect(tbsFor(required, { type: 'resident-id', value: RESIDENT_ID }, (e) => e.filter((x) => x.extnID !== ID_GMT0015_IDENTIFY_CODE)).join()).toMatch(/IdentifyCode .* required by the profile and missing/);
  });

  it('finds an identity extension on a profile that carries none, and the other kind on a profile that carries one', () => {
    const stray = identifyCode(false, new IdentifyCode({ residenterCardNumber: RESIDENT_ID }));
    expect(tbsFor(profiles.get('tls-client'), undefined, (e) => [...e, stray]).join()).toMatch(/IdentifyCode .* present but the profile does not carry it/);
    expect(tbsFor(profiles.get('enterprise-signing'), { type: 'uscc', value: USCC }, (e) => [...e, stray]).join()).toMatch(/IdentifyCode .* present but the profile does not carry it/);
  });

  it('finds a critical one, a malformed number, and a value that is not the standard\'s PrintableString', () => {
    const person = profiles.get('individual-signing');
    const swap = (replacement: Extension) => (e: Extension[]) => [...e.filter((x) => x.extnID !== replacement.extnID), replacement];
    expect(tbsFor(person, { type: 'resident-id', value: RESIDENT_ID }, swap(identifyCode(true, new IdentifyCode({ residenterCardNumber: RESIDENT_ID })))).join()).toMatch(/must not be critical/);
    expect(tbsFor(person, { type: 'resident-id', value: RESIDENT_ID }, swap(identifyCode(false, new IdentifyCode({ residenterCardNumber: '123' })))).join()).toMatch(/malformed resident-id/);
    const utf8 = new Extension({ extnID: ID_GMT0015_ORGANIZATION_CODE, critical: false, extnValue: new OctetString(AsnConvert.serialize(new DirectoryString({ utf8String: USCC }))) });
    expect(tbsFor(profiles.get('enterprise-signing'), { type: 'uscc', value: USCC }, swap(utf8)).join()).toMatch(/UnifiedSocialCreditCode .* does not decode/);
  });
});
