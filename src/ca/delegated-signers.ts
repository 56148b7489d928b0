import type { KeyAlgorithm } from '../crypto/algorithms.js';
import type { Signer } from '../crypto/signer.js';
import type { CertificateAuthority } from './authority.js';

/** A key the CA delegated one job to (OCSP responses, time-stamps), with its certificate. */
export interface DelegatedSigner {
  id: string;
  purpose: 'ocsp' | 'tsa';
  issuerCaId: string;
  certificateSerial: string;
  certificateDer: Buffer;
  signer: Signer;
}

/**
 * The active delegated signer of `purpose` for the CA `issuerCaId`, or null
 * when the CA has none (a root CA normally has none: it stays offline). The
 * newest active one wins, so a responder key is rolled over by adding one.
 */
export async function delegatedSigner(
  ca: CertificateAuthority,
  purpose: 'ocsp' | 'tsa',
  issuerCaId: string,
): Promise<DelegatedSigner | null> {
  const row = await ca.store.db
    .selectFrom('delegated_signers')
    .selectAll()
    .where('purpose', '=', purpose)
    .where('issuer_ca_id', '=', issuerCaId)
    .where('active', '=', 1)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const signer = await ca.keyring.signerFor({
    ownerId: row.id,
    keyStorage: 'software',
    keyAlgorithm: row.key_algorithm as KeyAlgorithm,
    scheme: row.signature_scheme as Signer['scheme'],
    sealed: row.encrypted_private_key,
  });
  return {
    id: row.id,
    purpose: row.purpose,
    issuerCaId: row.issuer_ca_id,
    certificateSerial: row.certificate_serial,
    certificateDer: row.certificate_der,
    signer,
  };
}
