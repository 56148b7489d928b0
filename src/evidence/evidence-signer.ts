import { randomBytes, X509Certificate } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { CertificateAuthority } from '../ca/authority.js';
import { DEVELOPMENT_ORGANIZATION, hierarchyName } from '../ca/hierarchy-names.js';
import { rolloverAt, type IdentityLifetime } from '../ca/delegated-signers.js';
import type { Signer } from '../crypto/signer.js';
import type { Database } from '../store/schema.js';
import type { EvidenceSignerTable, EvidenceTables } from './migrations.js';

export type EvidenceDatabase = Kysely<Database & EvidenceTables>;

export function evidenceDatabase(ca: CertificateAuthority): EvidenceDatabase {
  // The evidence tables live in this domain's migrations; the core schema type does not list them.
  return ca.store.db as unknown as EvidenceDatabase;
}

export interface EvidenceSigner {
  signer: Signer;
  certificateDer: Buffer;
  /** Issuing CA first, root last. */
  chain: Buffer[];
}

/**
 * The key that signs evidence packages. It is an ordinary enterprise-signing
 * certificate whose subscriber is the CA operator itself ("Signet Evidence
 * Service"), issued through the normal cycle on first use; its key is sealed
 * like every CA key (R21). It rolls over like the other online identities
 * (docs/operations.md): a successor is issued, under the issuing CA in
 * force, once less than `remainingFraction` of its life is left; the
 * predecessors stay in the table, so every package stays verifiable.
 */
export async function evidenceSigner(
  ca: CertificateAuthority,
  remainingFraction = 0.25,
  /** Where a new signer's key is made (SIGNET_EVIDENCE_KEY_STORAGE); unset, a successor keeps its predecessor's, the first is software. */
  keyStorage?: 'software' | 'pkcs11',
): Promise<EvidenceSigner & { notBefore: Date }> {
  const now = ca.now().getTime();
  const rows = await evidenceDatabase(ca).selectFrom('evidence_signers').selectAll().orderBy('created_at', 'desc').execute();
  const validities = new Map(rows.map((r) => [r, validityOf(r.certificate_der)] as const));
  let row = rows.find((r) => inForceAt(validities.get(r)!, now));
  if (!row || now >= rolloverAt(validities.get(row)!.notBefore, validities.get(row)!.notAfter, remainingFraction).getTime()) {
    try {
      row = await createEvidenceSigner(ca, row?.id ?? null, keyStorage ?? row?.key_storage ?? rows[0]?.key_storage ?? 'software');
    } catch (error) {
      // No successor possible now (the issuing CA near its end, say): the one still valid signs meanwhile.
      if (!row) throw error;
    }
  }
  const signer = await ca.keyring.signerFor({
    ownerId: row.id,
    keyStorage: row.key_storage ?? 'software',
    keyAlgorithm: 'ecdsa-p256',
    scheme: 'ecdsa',
    sealed: row.encrypted_private_key,
  });
  return { signer, certificateDer: row.certificate_der, chain: await chainOf(ca, row.issuer_ca_id), notBefore: validityOf(row.certificate_der).notBefore };
}

/** Every evidence signer with its calendar, for `signet ca list`, /healthz and /metrics. */
export async function evidenceSignerLifetimes(ca: CertificateAuthority, remainingFraction = 0.25): Promise<IdentityLifetime[]> {
  const now = ca.now().getTime();
  const rows = await evidenceDatabase(ca).selectFrom('evidence_signers').selectAll().orderBy('created_at', 'desc').execute();
  const validities = new Map(rows.map((r) => [r, validityOf(r.certificate_der)] as const));
  const inForce = rows.find((r) => inForceAt(validities.get(r)!, now));
  return rows.map((r, index) => {
    const { notBefore, notAfter } = validities.get(r)!;
    return {
      kind: 'evidence' as const,
      id: r.id,
      caId: r.issuer_ca_id,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      nextRollover: index === 0 ? rolloverAt(notBefore, notAfter, remainingFraction).toISOString() : null,
      inForce: r === inForce,
    };
  });
}

function validityOf(der: Buffer): { notBefore: Date; notAfter: Date } {
  const x509 = new X509Certificate(der);
  return { notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
}

function inForceAt(validity: { notBefore: Date; notAfter: Date }, now: number): boolean {
  return validity.notBefore.getTime() <= now && validity.notAfter.getTime() > now;
}

/** The CA certificates above a certificate issued by `caId`: issuing CA first, root last. */
export async function chainOf(ca: CertificateAuthority, caId: string): Promise<Buffer[]> {
  const chain: Buffer[] = [];
  let current: string | null = caId;
  for (let depth = 0; current && depth < 8; depth++) {
    const authority = await ca.authority(current);
    chain.push(authority.certificateDer);
    current = authority.parentId;
  }
  return chain;
}

async function createEvidenceSigner(ca: CertificateAuthority, predecessorId: string | null, storage: 'software' | 'pkcs11'): Promise<Selectable<EvidenceSignerTable>> {
  const id = `evidence-${randomBytes(4).toString('hex')}`;
  // Software: sealed under the responder passphrase (custodyOf('evidence-…')); PKCS#11: made in the token, never leaving it.
  const { signer: key, sealed } = await ca.keyring.newKey(id, 'ecdsa-p256', { storage });
  const info = new CertificationRequestInfo({
    version: 0,
    subject: new Name(),
    subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: key.signatureAlgorithm,
    signature: new Uint8Array(await key.sign(infoDer)).buffer,
  });
  const issuing = await ca.defaultIssuingCa();
  const organization = new X509Certificate(issuing.certificateDer).subject.match(/^O=(.*)$/m)?.[1] ?? DEVELOPMENT_ORGANIZATION['zh-CN'];
  const issued = await ca.issue({
    csr: new Uint8Array(AsnConvert.serialize(request)),
    profileId: 'enterprise-signing',
    subject: { commonName: hierarchyName(organization, 'evidence'), organizationName: organization },
    subscriberId: 'signet:evidence-service',
    issuerCaId: issuing.id,
    requestedBy: 'system:evidence',
    reason: predecessorId ? `evidence-signing certificate (R14), rollover of ${predecessorId}` : 'evidence-signing certificate (R14)',
  });
  const row: Selectable<EvidenceSignerTable> = {
    id,
    issuer_ca_id: issuing.id,
    certificate_serial: issued.serial,
    certificate_der: issued.der,
    key_algorithm: 'ecdsa-p256',
    signature_scheme: 'ecdsa',
    encrypted_private_key: sealed,
    created_at: ca.now().toISOString(),
    key_storage: storage,
  };
  await evidenceDatabase(ca).insertInto('evidence_signers').values(row).execute();
  return row;
}
