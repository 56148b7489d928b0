import { randomBytes, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name } from '@peculiar/asn1-x509';
import type { Kysely } from 'kysely';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { rolloverAt, type RolloverPolicy } from '../ca/delegated-signers.js';
import type { StoredKeyReference } from '../ca/keyring.js';
import { buildSubjectName } from '../ca/subject-name.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import type { Signer } from '../crypto/signer.js';
import type { Tx } from '../store/database.js';
import type { ScepRaIdentityTable, ScepTables } from './migrations.js';

/**
 * Why SCEP has an RA certificate of its own: RFC 8894 §3.1 encrypts every
 * request to the CA's (or RA's) certificate with key transport, and the
 * clients that exist (strongSwan pki, certmonger) only do RSA key transport.
 * Signet's hierarchies are ECDSA (or SM2, ML-DSA), whose keys cannot take key
 * transport; re-keying the issuing CA to RSA for one door would change every
 * certificate's chain. So the issuing CA delegates an RSA key with one job,
 * an end-entity certificate (profile `scep-ra`: digitalSignature and
 * keyEncipherment, not a CA), which decrypts requests and signs CertRep.
 * It rolls over like the OCSP responder (issue 13): a successor when a
 * quarter of its life is left, in force after the switch delay; predecessors
 * still decrypt requests from clients holding the old certificate.
 */
export const SCEP_RA_KEY_ALGORITHM: KeyAlgorithm = 'rsa-3072';
const PROFILE_ID = 'scep-ra';
const FIRST = '-';

export interface ScepRaIdentity {
  id: string;
  caId: string;
  certificateDer: Buffer;
  certificate: Certificate;
  notAfter: Date;
  signer: Signer;
}

export class ScepRaIdentities {
  private readonly db: Kysely<ScepTables>;

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly policy: () => RolloverPolicy,
  ) {
    this.db = ca.store.db as unknown as Kysely<ScepTables>;
  }

  private rows(caId: string): Promise<ScepRaIdentityTable[]> {
    return this.db.selectFrom('scep_ra_identities').selectAll().where('issuer_ca_id', '=', caId).orderBy('in_force_from', 'desc').orderBy('created_at', 'desc').execute();
  }

  /** The identity in force for the issuing CA, made on first use (and at once when all have expired). */
  async inForce(caId: string): Promise<ScepRaIdentity> {
    const now = this.ca.now().getTime();
    let rows = await this.rows(caId);
    let row = pick(rows, now);
    if (!row) {
      const newest = rows[0];
      try {
        await this.make(caId, newest ?? null, new Date(now), 'system:scep', newest ? `SCEP RA of ${caId}: all expired` : `first SCEP RA of ${caId}`);
      } catch (error) {
        // Another node made it at the same moment (one successor per identity): read theirs.
        rows = await this.rows(caId);
        if (!pick(rows, this.ca.now().getTime())) throw error;
      }
      rows = await this.rows(caId);
      // Read at the clock after the issuance: the new certificate's notBefore may be the next second.
      row = pick(rows, this.ca.now().getTime());
      if (!row) throw new Error(`no SCEP RA identity in force for ${caId}`);
    }
    return this.open(row);
  }

  /** Every identity of the CA that is still valid: a client may have fetched the predecessor's certificate. */
  async valid(caId: string): Promise<ScepRaIdentity[]> {
    const now = this.ca.now().toISOString();
    const rows = (await this.rows(caId)).filter((r) => r.not_before <= now && r.not_after >= now);
    return Promise.all(rows.map((r) => this.open(r)));
  }

  /** The private key that takes RSA key transport (RFC 8894 §3.1), software and sealed under the responder custody. */
  decryptionKey(identity: ScepRaIdentity): KeyObject {
    return this.ca.keyring.decryptionKeyFor(this.references.get(identity.id)!);
  }

  private readonly references = new Map<string, StoredKeyReference>();

  private async open(row: ScepRaIdentityTable): Promise<ScepRaIdentity> {
    const reference: StoredKeyReference = {
      ownerId: row.id,
      custody: 'responder',
      keyStorage: row.key_storage,
      keyAlgorithm: row.key_algorithm as KeyAlgorithm,
      scheme: 'pkcs1',
      sealed: row.encrypted_private_key,
    };
    this.references.set(row.id, reference);
    return {
      id: row.id,
      caId: row.issuer_ca_id,
      certificateDer: Buffer.from(row.certificate_der),
      certificate: AsnConvert.parse(row.certificate_der, Certificate),
      notAfter: new Date(row.not_after),
      signer: await this.ca.keyring.signerFor(reference),
    };
  }

  /** The scheduled round (and `serve`'s start): a successor for each newest identity with less than the policy's share of life left. */
  async rollOverDue(actor = 'system:rollover'): Promise<string[]> {
    const policy = this.policy();
    const now = this.ca.now();
    const rows = await this.db.selectFrom('scep_ra_identities').selectAll().orderBy('in_force_from', 'desc').orderBy('created_at', 'desc').execute();
    const newest = new Map<string, ScepRaIdentityTable>();
    for (const row of rows) if (!newest.has(row.issuer_ca_id)) newest.set(row.issuer_ca_id, row);
    const made: string[] = [];
    for (const row of newest.values()) {
      const notAfter = new Date(row.not_after);
      if (now < rolloverAt(new Date(row.not_before), notAfter, policy.remainingFraction)) continue;
      const issuer = await this.ca.issuerContext(row.issuer_ca_id);
      // Near the CA's own end a successor would gain nothing; the issuing CA ceremony is due.
      if (issuer.notAfter.getTime() <= notAfter.getTime() + 1000) continue;
      const expired = notAfter.getTime() <= now.getTime();
      made.push(await this.make(row.issuer_ca_id, row, new Date(expired ? now.getTime() : now.getTime() + policy.switchDelayMs), actor, `rollover of ${row.id}`));
    }
    return made;
  }

  /** A new RSA key and its certificate through the issuance cycle; certificate, row and audit entry in one transaction. */
  private async make(caId: string, predecessor: ScepRaIdentityTable | null, inForceFrom: Date, actor: string, reason: string): Promise<string> {
    const issuer = await this.ca.issuerContext(caId);
    const profile = this.ca.profiles.get(PROFILE_ID);
    const subject = predecessor ? AsnConvert.parse(predecessor.certificate_der, Certificate).tbsCertificate.subject : subjectFor(issuer.name, profile);
    const id = `scep-ra-${randomBytes(4).toString('hex')}`;
    const { signer: key, sealed, keyStorage } = await this.ca.keyring.newKey(id, SCEP_RA_KEY_ALGORITHM, { scheme: 'pkcs1', storage: 'software', custody: 'responder' });
    await this.ca.signCertificate(
      {
        profile,
        issuer,
        subject,
        subjectPublicKeyInfo: key.publicKeyInfo,
        keyAlgorithm: SCEP_RA_KEY_ALGORITHM,
        holder: `ca:${id}`,
        subscriberId: null,
        requestedBy: actor,
        reason,
      },
      async (trx: Tx, cert) => {
        const at = this.ca.now().toISOString();
        if (keyStorage === 'offline') throw new Error('a SCEP RA key cannot be offline');
        await (trx as unknown as Kysely<ScepTables>)
          .insertInto('scep_ra_identities')
          .values({
            id,
            issuer_ca_id: caId,
            certificate_serial: cert.serial,
            certificate_der: cert.der,
            key_algorithm: SCEP_RA_KEY_ALGORITHM,
            key_storage: keyStorage,
            encrypted_private_key: sealed,
            not_before: cert.notBefore,
            not_after: cert.notAfter,
            in_force_from: inForceFrom.toISOString(),
            predecessor_id: predecessor?.id ?? FIRST,
            created_at: at,
          })
          .execute();
        await appendAuditEntry(
          trx,
          this.ca.store.dialect,
          {
            actor,
            action: predecessor ? 'signer.rolled-over' : 'signer.created',
            target: `scep-ra:${id}`,
            details: { purpose: 'scep-ra', caId, predecessor: predecessor?.id ?? null, serial: cert.serial, notAfter: cert.notAfter, inForceFrom: inForceFrom.toISOString(), keyStorage },
          },
          this.ca.now(),
        );
      },
    );
    return id;
  }
}

/** The newest identity in force at `now` (in_force_from passed, certificate valid); rows come newest first. */
function pick(rows: ScepRaIdentityTable[], now: number): ScepRaIdentityTable | null {
  for (const row of rows) {
    if (Date.parse(row.in_force_from) > now) continue;
    if (Date.parse(row.not_before) > now || Date.parse(row.not_after) < now) continue;
    return row;
  }
  return null;
}

/** "<organisation> SCEP RA", with the issuing CA's organisation and country. */
function subjectFor(issuerName: Name, profile: Parameters<typeof buildSubjectName>[1]): Name {
  const value = (oid: string): string | undefined => {
    for (const rdn of issuerName) for (const attribute of rdn) if (attribute.type === oid) return attribute.value.toString();
    return undefined;
  };
  const organization = value('2.5.4.10') ?? value('2.5.4.3') ?? 'Signet';
  return buildSubjectName({ commonName: `${organization} SCEP RA`, organizationName: organization, countryName: value('2.5.4.6') ?? 'CN' }, profile);
}
