import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { subjectKeyIdentifierOf } from './extensions.js';
import { defaultSchemeFor, type KeyAlgorithm, type SignatureScheme } from '../crypto/algorithms.js';
import { SignetError } from '../i18n/signet-error.js';
import type { CertificateAuthority, IssuedCertificate, IssuerContext } from './authority.js';
import { buildSubjectName } from './subject-name.js';
import { issueDelegatedSigner } from './delegated-signers.js';
import { assertHsmAlgorithm } from './keyring.js';
import { DEVELOPMENT_ORGANIZATION, hierarchyName } from './hierarchy-names.js';

export interface HierarchyOptions {
  algorithm: KeyAlgorithm;
  /** RSA only: PKCS#1 v1.5 (default, widest support) or PSS. */
  scheme?: SignatureScheme;
  organization?: string;
  country?: string;
  /** SM2 only: the distinguishing ID every key of the hierarchy signs with (default 1234567812345678). */
  distinguishingId?: string;
  /**
   * Where the root and issuing CA keys are made: 'pkcs11' puts them in the
   * configured HSM (R21); an SM2 hierarchy cannot be (assertHsmAlgorithm).
   */
  caKeyStorage?: 'software' | 'pkcs11';
  /** Where the OCSP and TSA responder keys are made (default software, sealed under the responder passphrase); rollovers keep it. */
  responderKeyStorage?: 'software' | 'pkcs11';
  actor: string;
}

export interface Hierarchy {
  root: IssuedCertificate & { caId: string };
  issuing: IssuedCertificate & { caId: string };
  ocspSigner: IssuedCertificate & { signerId: string };
  tsa: IssuedCertificate & { signerId: string };
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * `signet init`: a root CA, an issuing CA under it, and the issuing CA's
 * OCSP-signing and TSA certificates, every key sealed at rest (R21) and every
 * certificate through the same issuance cycle as a subscriber's.
 */
export async function createHierarchy(ca: CertificateAuthority, options: HierarchyOptions): Promise<Hierarchy> {
  const existing = (await ca.authorities()).find((a) => a.role === 'root');
  if (existing) throw new SignetError('ca.already-initialised', 409, { caId: existing.id });
  // Every key of the hierarchy has one algorithm: refuse an HSM that cannot hold it before the root is made, not halfway.
  if (options.caKeyStorage === 'pkcs11' || options.responderKeyStorage === 'pkcs11') assertHsmAlgorithm(options.algorithm);

  const organization = options.organization ?? DEVELOPMENT_ORGANIZATION['zh-CN'];
  const country = options.country ?? 'CN';
  const scheme = options.scheme ?? defaultSchemeFor(options.algorithm);
  const profiles = ca.profiles;
  const now = ca.now();

  const rootId = newId('root');
  const caKeyOptions = { scheme, distinguishingId: options.distinguishingId, storage: options.caKeyStorage };
  const { signer: rootKey, keyStorage: rootKeyStorage, sealed: rootSealed } = await ca.keyring.newKey(rootId, options.algorithm, caKeyOptions);
  const rootProfile = profiles.get('root-ca');
  const rootName = buildSubjectName(
    { commonName: `${hierarchyName(organization, 'root')} ${now.getUTCFullYear()}`, organizationName: organization, countryName: country },
    rootProfile,
  );
  const root = await ca.signCertificate(
    {
      profile: rootProfile,
      // Self-signed: the root is its own issuer and bounded only by its profile.
      issuer: { caId: rootId, name: rootName, signer: rootKey, notAfter: new Date(Date.UTC(9999, 11, 31)) },
      subject: rootName,
      subjectPublicKeyInfo: rootKey.publicKeyInfo,
      keyAlgorithm: options.algorithm,
      holder: `ca:${rootId}`,
      subscriberId: null,
      requestedBy: options.actor,
      reason: 'create root CA',
    },
    async (trx, issued) => {
      await trx
        .insertInto('certificate_authorities')
        .values({
          id: rootId,
          role: 'root',
          parent_id: null,
          name: hierarchyName(organization, 'root'),
          key_algorithm: options.algorithm,
          signature_scheme: scheme,
          certificate_serial: issued.serial,
          certificate_der: issued.der,
          key_storage: rootKeyStorage,
          encrypted_private_key: rootSealed,
          created_at: now.toISOString(),
        })
        .execute();
    },
  );
  const rootContext: IssuerContext = {
    caId: rootId,
    name: rootName,
    signer: rootKey,
    notAfter: new Date(root.notAfter),
    keyIdentifier: subjectKeyIdentifierOf(AsnConvert.parse(root.der, Certificate)),
  };

  const issuingId = newId('issuing');
  const { signer: issuingKey, keyStorage: issuingKeyStorage, sealed: issuingSealed } = await ca.keyring.newKey(issuingId, options.algorithm, caKeyOptions);
  const issuingProfile = profiles.get('issuing-ca');
  const issuingName = buildSubjectName(
    { commonName: `${hierarchyName(organization, 'issuing')} ${now.getUTCFullYear()}`, organizationName: organization, countryName: country },
    issuingProfile,
  );
  const issuing = await ca.signCertificate(
    {
      profile: issuingProfile,
      issuer: rootContext,
      subject: issuingName,
      subjectPublicKeyInfo: issuingKey.publicKeyInfo,
      keyAlgorithm: options.algorithm,
      holder: `ca:${issuingId}`,
      subscriberId: null,
      requestedBy: options.actor,
      reason: 'create issuing CA',
    },
    async (trx, issued) => {
      await trx
        .insertInto('certificate_authorities')
        .values({
          id: issuingId,
          role: 'issuing',
          parent_id: rootId,
          name: hierarchyName(organization, 'issuing'),
          key_algorithm: options.algorithm,
          signature_scheme: scheme,
          certificate_serial: issued.serial,
          certificate_der: issued.der,
          key_storage: issuingKeyStorage,
          encrypted_private_key: issuingSealed,
          created_at: now.toISOString(),
        })
        .execute();
    },
  );
  const issuingContext: IssuerContext = {
    caId: issuingId,
    name: issuingName,
    signer: issuingKey,
    notAfter: new Date(issuing.notAfter),
  };

  const delegated = async (purpose: 'ocsp' | 'tsa', profileId: string) => {
    const profile = profiles.get(profileId);
    // Responder keys are online keys: software and sealed unless the custody settings say otherwise.
    const issued = await issueDelegatedSigner(ca, {
      purpose,
      profileId,
      issuer: issuingContext,
      subject: buildSubjectName({ commonName: hierarchyName(organization, purpose), organizationName: organization, countryName: country }, profile),
      keyAlgorithm: options.algorithm,
      scheme,
      distinguishingId: options.distinguishingId,
      keyStorage: options.responderKeyStorage ?? 'software',
      predecessorId: null,
      inForceFrom: now,
      actor: options.actor,
      reason: `create ${purpose} signer`,
    });
    return { ...issued, signerId: issued.signerId };
  };

  const ocspSigner = await delegated('ocsp', 'ocsp-signer');
  const tsa = await delegated('tsa', 'tsa');
  return { root: { ...root, caId: rootId }, issuing: { ...issuing, caId: issuingId }, ocspSigner, tsa };
}
