import { randomBytes, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import type { Signer } from '../crypto/signer.js';
import { SignetError } from '../i18n/signet-error.js';
import type { CertificateAuthority, IssuedCertificate, IssuerContext } from './authority.js';
import { issueDelegatedSigner } from './delegated-signers.js';
import { buildSubjectName } from './subject-name.js';
import { hierarchyName } from './hierarchy-names.js';

export interface NewIssuingCa {
  issuing: IssuedCertificate & { caId: string };
  predecessorId: string;
  ocspSignerId: string;
  tsaSignerId: string;
}

/**
 * The issuing CA ceremony (docs/operations.md): with the root key at hand, a
 * new issuing CA under the root, with the newest issuing CA's algorithm,
 * organisation and custody, and its own OCSP responder and TSA. Issuance
 * moves to it at once (the default issuing CA is the newest valid one, read
 * from the store); the old one keeps answering CRL and OCSP for its
 * certificates until the last expires. Hold a root ceremony right after, so
 * the new certificate has its OCSP answer from the root.
 */
export async function createSuccessorIssuingCa(ca: CertificateAuthority, actor: string): Promise<NewIssuingCa> {
  const rows = await ca.store.db.selectFrom('certificate_authorities').selectAll().orderBy('created_at', 'desc').execute();
  const previous = rows.find((r) => r.role === 'issuing');
  const rootRow = rows.find((r) => r.role === 'root');
  if (!previous || !rootRow) throw new SignetError('ca.no-issuing-ca', 409);
  const root = await ca.issuerContext(rootRow.id);
  const rootContext: IssuerContext = { caId: root.caId, name: root.name, signer: root.signer, notAfter: root.notAfter };
  const now = ca.now();
  const subjectText = new X509Certificate(previous.certificate_der).subject;
  const organization = /^O=(.*)$/m.exec(subjectText)?.[1] ?? 'Signet';
  const country = /^C=(.*)$/m.exec(subjectText)?.[1] ?? 'CN';
  const algorithm = previous.key_algorithm as KeyAlgorithm;
  const scheme = previous.signature_scheme as Signer['scheme'];
  const previousSigner = (await ca.issuerContext(previous.id)).signer;
  const storage = previous.key_storage === 'pkcs11' ? 'pkcs11' : 'software';

  const issuingId = `issuing-${randomBytes(4).toString('hex')}`;
  const { signer: key, keyStorage, sealed } = await ca.keyring.newKey(issuingId, algorithm, { scheme, distinguishingId: previousSigner.distinguishingId, storage });
  const profile = ca.profiles.get('issuing-ca');
  const name = buildSubjectName({ commonName: `${hierarchyName(organization, 'issuing')} ${now.getUTCFullYear()}`, organizationName: organization, countryName: country }, profile);
  const issued = await ca.signCertificate(
    {
      profile,
      issuer: rootContext,
      subject: name,
      subjectPublicKeyInfo: key.publicKeyInfo,
      keyAlgorithm: algorithm,
      holder: `ca:${issuingId}`,
      subscriberId: null,
      requestedBy: actor,
      reason: `issuing CA ceremony, successor of ${previous.id}`,
    },
    async (trx, cert) => {
      await trx
        .insertInto('certificate_authorities')
        .values({
          id: issuingId,
          role: 'issuing',
          parent_id: rootRow.id,
          name: previous.name,
          key_algorithm: algorithm,
          signature_scheme: scheme,
          certificate_serial: cert.serial,
          certificate_der: cert.der,
          key_storage: keyStorage,
          encrypted_private_key: sealed,
          created_at: now.toISOString(),
        })
        .execute();
      await appendAuditEntry(trx, ca.store.dialect, { actor, action: 'ca.issuing-ceremony', target: `ca:${issuingId}`, details: { predecessor: previous.id, serial: cert.serial, notAfter: cert.notAfter } }, now);
    },
  );
  const context: IssuerContext = { caId: issuingId, name, signer: key, notAfter: new Date(issued.notAfter) };

  const made: Record<'ocsp' | 'tsa', string> = { ocsp: '', tsa: '' };
  for (const purpose of ['ocsp', 'tsa'] as const) {
    const old = await ca.store.db
      .selectFrom('delegated_signers')
      .selectAll()
      .where('purpose', '=', purpose)
      .where('issuer_ca_id', '=', previous.id)
      .orderBy('in_force_from', 'desc')
      .limit(1)
      .executeTakeFirst();
    const subject = old
      ? AsnConvert.parse(old.certificate_der, Certificate).tbsCertificate.subject
      : buildSubjectName({ commonName: hierarchyName(organization, purpose), organizationName: organization, countryName: country }, ca.profiles.get(purpose === 'ocsp' ? 'ocsp-signer' : 'tsa'));
    const signer = await issueDelegatedSigner(ca, {
      purpose,
      profileId: purpose === 'ocsp' ? 'ocsp-signer' : 'tsa',
      issuer: context,
      subject,
      keyAlgorithm: algorithm,
      scheme,
      distinguishingId: previousSigner.distinguishingId,
      keyStorage: old?.key_storage ?? 'software',
      predecessorId: null,
      inForceFrom: now,
      actor,
      reason: `issuing CA ceremony: ${purpose} signer of ${issuingId}`,
    });
    made[purpose] = signer.signerId;
  }
  return { issuing: { ...issued, caId: issuingId }, predecessorId: previous.id, ocspSignerId: made.ocsp, tsaSignerId: made.tsa };
}
