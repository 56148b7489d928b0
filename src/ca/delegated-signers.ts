import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import type { Signer } from '../crypto/signer.js';
import type { Tx } from '../store/database.js';
import type { DelegatedSignerTable } from '../store/schema.js';
import type { CertificateAuthority, IssuedCertificate, IssuerContext } from './authority.js';
import { configError } from '../config/config-error.js';

export type DelegatedPurpose = 'ocsp' | 'tsa';

/** A key the CA delegated one job to (OCSP responses, time-stamps), with its certificate. */
export interface DelegatedSigner {
  id: string;
  purpose: DelegatedPurpose;
  issuerCaId: string;
  certificateSerial: string;
  certificateDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  signer: Signer;
}

/** When identities roll over (docs/operations.md, "what rolls over by itself"). */
export interface RolloverPolicy {
  /** A successor is made when less than this share of the identity's life is left (default a quarter). */
  remainingFraction: number;
  /**
   * A successor comes into force this long after it is recorded, so that every
   * node has read it before the switch and all switch at the same moment.
   */
  switchDelayMs: number;
  /** How long a node trusts its copy of the identity list before reading the store again. */
  refreshMs: number;
}

export const DEFAULT_ROLLOVER_POLICY: RolloverPolicy = { remainingFraction: 0.25, switchDelayMs: 10 * 60_000, refreshMs: 60_000 };

/** Reads SIGNET_ROLLOVER_REMAINING (0 < f < 1) and SIGNET_ROLLOVER_SWITCH_SECONDS. */
export function rolloverPolicyFrom(env: NodeJS.ProcessEnv, overrides: Partial<RolloverPolicy> = {}): RolloverPolicy {
  const policy = { ...DEFAULT_ROLLOVER_POLICY };
  const fraction = env.SIGNET_ROLLOVER_REMAINING;
  if (fraction !== undefined) {
    const value = Number(fraction);
    if (!(value > 0 && value < 1)) throw configError('config.fraction-invalid', { variable: 'SIGNET_ROLLOVER_REMAINING', value: fraction });
    policy.remainingFraction = value;
  }
  const delay = env.SIGNET_ROLLOVER_SWITCH_SECONDS;
  if (delay !== undefined) {
    const value = Number(delay);
    if (!Number.isInteger(value) || value < 0) throw configError('config.whole-number-min', { variable: 'SIGNET_ROLLOVER_SWITCH_SECONDS', value: delay, min: 0 });
    policy.switchDelayMs = value * 1000;
  }
  return { ...policy, ...overrides };
}

/** One identity's calendar, for `signet ca list`, /healthz and /metrics. */
export interface IdentityLifetime {
  kind: 'root' | 'issuing' | DelegatedPurpose | 'evidence' | 'audit';
  id: string;
  caId: string | null;
  notBefore: string;
  notAfter: string;
  /** When it is (or was) replaced automatically; null when only a ceremony replaces it. */
  nextRollover: string | null;
  /** In force now (the one that signs); false for predecessors kept for verification and for successors not yet in force. */
  inForce: boolean;
}

interface Loaded {
  at: number;
  rows: DelegatedSignerTable[];
}

/** The moment a successor should exist: when `remainingFraction` of the life is left. */
export function rolloverAt(notBefore: Date, notAfter: Date, remainingFraction: number): Date {
  const life = notAfter.getTime() - notBefore.getTime();
  return new Date(notAfter.getTime() - life * remainingFraction);
}

/**
 * The delegated signing identities of every CA (docs/architecture.md, "trust over
 * time"): which one is in force is decided from the store and the clock, the
 * same on every node; this object (owned by the composition root) only keeps
 * each node's copy of the list for `refreshMs`, and `invalidate()` drops it.
 */
export class DelegatedSigners {
  private readonly loaded = new Map<string, Loaded>();

  constructor(
    private readonly ca: CertificateAuthority,
    readonly policy: RolloverPolicy = DEFAULT_ROLLOVER_POLICY,
  ) {}

  invalidate(): void {
    this.loaded.clear();
  }

  private async rows(purpose: DelegatedPurpose, caId: string, fresh = false): Promise<DelegatedSignerTable[]> {
    const key = `${purpose}|${caId}`;
    // The deployment's clock, not the process's: a node that sees time jump reads the store again.
    const now = this.ca.now().getTime();
    const cached = this.loaded.get(key);
    if (!fresh && cached && now >= cached.at && now - cached.at < this.policy.refreshMs) return cached.rows;
    const rows = await this.ca.store.db
      .selectFrom('delegated_signers')
      .selectAll()
      .where('purpose', '=', purpose)
      .where('issuer_ca_id', '=', caId)
      .where('active', '=', 1)
      .orderBy('in_force_from', 'desc')
      .execute();
    this.loaded.set(key, { at: now, rows });
    return rows;
  }

  /**
   * The signer in force for `purpose` at `caId` now: the newest that has come
   * into force and whose certificate is valid. Null when the CA has none (a
   * root CA: it stays offline) or all have expired.
   */
  async current(purpose: DelegatedPurpose, caId: string): Promise<DelegatedSigner | null> {
    const now = this.ca.now().getTime();
    let row = pickInForce(await this.rows(purpose, caId), now);
    // The list may predate a successor another node just made: look again before saying there is none.
    if (!row) row = pickInForce(await this.rows(purpose, caId, true), now);
    return row ? this.open(row) : null;
  }

  private async open(row: DelegatedSignerTable): Promise<DelegatedSigner> {
    const signer = await this.ca.keyring.signerFor({
      ownerId: row.id,
      keyStorage: row.key_storage ?? 'software',
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
      notBefore: new Date(row.not_before!),
      notAfter: new Date(row.not_after!),
      signer,
    };
  }

  /** Every identity of every CA with its calendar, newest first per CA and purpose. */
  async lifetimes(): Promise<IdentityLifetime[]> {
    const now = this.ca.now().getTime();
    const rows = await this.ca.store.db.selectFrom('delegated_signers').selectAll().where('active', '=', 1).orderBy('in_force_from', 'desc').execute();
    const inForce = new Set<string>();
    const groups = new Map<string, DelegatedSignerTable[]>();
    for (const row of rows) {
      const key = `${row.purpose}|${row.issuer_ca_id}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const group of groups.values()) {
      const picked = pickInForce(group, now);
      if (picked) inForce.add(picked.id);
    }
    return rows.map((row) => {
      const notBefore = new Date(row.not_before!);
      const notAfter = new Date(row.not_after!);
      const hasSuccessor = rows.some((r) => r.predecessor_id === row.id);
      return {
        kind: row.purpose,
        id: row.id,
        caId: row.issuer_ca_id,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        nextRollover: hasSuccessor ? null : rolloverAt(notBefore, notAfter, this.policy.remainingFraction).toISOString(),
        inForce: inForce.has(row.id),
      };
    });
  }

  /**
   * The scheduled part (and the start of every server): a successor for each
   * newest identity that has less than `remainingFraction` of its life left.
   * A rollover interrupted by a crash left no row (certificate and row are
   * recorded in one transaction), so the predecessor is still in force and
   * this simply makes the successor again.
   */
  async rollOverDue(actor = 'system:rollover'): Promise<DelegatedSigner[]> {
    const now = this.ca.now();
    const made: DelegatedSigner[] = [];
    const rows = await this.ca.store.db.selectFrom('delegated_signers').selectAll().where('active', '=', 1).orderBy('in_force_from', 'desc').execute();
    const newest = new Map<string, DelegatedSignerTable>();
    for (const row of rows) {
      const key = `${row.purpose}|${row.issuer_ca_id}`;
      if (!newest.has(key)) newest.set(key, row);
    }
    for (const row of newest.values()) {
      const notBefore = new Date(row.not_before!);
      const notAfter = new Date(row.not_after!);
      if (now < rolloverAt(notBefore, notAfter, this.policy.remainingFraction)) continue;
      const issuer = await this.ca.issuerContext(row.issuer_ca_id);
      // A successor must outlive its predecessor: near the CA's own end there is nothing to gain (a CA ceremony is due).
      if (issuer.notAfter.getTime() <= notAfter.getTime() + 1000) continue;
      made.push(await this.rollOver(row, issuer, actor));
    }
    if (made.length > 0) this.invalidate();
    return made;
  }

  /** A successor for `row`: same CA, purpose, algorithm, subject and custody; in force after the switch delay. */
  async rollOver(row: DelegatedSignerTable, issuer: IssuerContext, actor: string): Promise<DelegatedSigner> {
    const previous = await this.open(row);
    const subject = AsnConvert.parse(row.certificate_der, Certificate).tbsCertificate.subject;
    const profileId = row.purpose === 'ocsp' ? 'ocsp-signer' : 'tsa';
    // The switch delay lets every node move at once; when the predecessor has already expired (a deployment left
    // off past its end) nothing is in force to wait for, and waiting would only prolong the outage.
    const now = this.ca.now().getTime();
    const expired = new Date(row.not_after!).getTime() <= now;
    const inForceFrom = new Date(expired ? now : now + this.policy.switchDelayMs);
    const made = await issueDelegatedSigner(this.ca, {
      purpose: row.purpose,
      profileId,
      issuer,
      subject,
      keyAlgorithm: row.key_algorithm as KeyAlgorithm,
      scheme: row.signature_scheme as Signer['scheme'],
      distinguishingId: previous.signer.distinguishingId,
      keyStorage: row.key_storage ?? 'software',
      predecessorId: row.id,
      inForceFrom,
      actor,
      reason: `rollover of ${row.id}`,
    });
    return this.open(made.row);
  }
}

/** The newest row in force at `now` (in_force_from passed, certificate valid); rows come newest first. */
function pickInForce(rows: DelegatedSignerTable[], now: number): DelegatedSignerTable | null {
  for (const row of rows) {
    if (new Date(row.in_force_from!).getTime() > now) continue;
    if (new Date(row.not_before!).getTime() > now || new Date(row.not_after!).getTime() < now) continue;
    return row;
  }
  return null;
}

export interface DelegatedSignerOrder {
  purpose: DelegatedPurpose;
  profileId: string;
  issuer: IssuerContext;
  subject: Certificate['tbsCertificate']['subject'];
  keyAlgorithm: KeyAlgorithm;
  scheme: Signer['scheme'];
  distinguishingId?: string;
  keyStorage: 'software' | 'pkcs11';
  predecessorId: string | null;
  inForceFrom: Date;
  actor: string;
  reason: string;
}

/**
 * A new delegated key and its certificate, through the issuance cycle. The
 * certificate, the signer's row and the rollover's audit entry are recorded in
 * one transaction: a crash before it leaves the predecessor alone in force.
 */
export async function issueDelegatedSigner(
  ca: CertificateAuthority,
  order: DelegatedSignerOrder,
): Promise<IssuedCertificate & { signerId: string; row: DelegatedSignerTable }> {
  const signerId = `${order.purpose}-${randomBytes(4).toString('hex')}`;
  const { signer: key, sealed, keyStorage } = await ca.keyring.newKey(signerId, order.keyAlgorithm, {
    scheme: order.scheme,
    distinguishingId: order.distinguishingId,
    storage: order.keyStorage,
  });
  let recorded: DelegatedSignerTable | undefined;
  const issued = await ca.signCertificate(
    {
      profile: ca.profiles.get(order.profileId),
      issuer: order.issuer,
      subject: order.subject,
      subjectPublicKeyInfo: key.publicKeyInfo,
      keyAlgorithm: order.keyAlgorithm,
      holder: `ca:${signerId}`,
      subscriberId: null,
      requestedBy: order.actor,
      reason: order.reason,
    },
    async (trx: Tx, cert) => {
      const at = ca.now();
      // An online key is never an offline one (that storage is the root's alone).
      if (keyStorage === 'offline') throw new Error('a delegated signer cannot have an offline key');
      const row: DelegatedSignerTable = {
        id: signerId,
        purpose: order.purpose,
        issuer_ca_id: order.issuer.caId,
        certificate_serial: cert.serial,
        certificate_der: cert.der,
        key_algorithm: order.keyAlgorithm,
        signature_scheme: order.scheme,
        encrypted_private_key: sealed,
        active: 1,
        created_at: at.toISOString(),
        not_before: cert.notBefore,
        not_after: cert.notAfter,
        in_force_from: order.inForceFrom.toISOString(),
        predecessor_id: order.predecessorId,
        key_storage: keyStorage,
      };
      recorded = row;
      await trx.insertInto('delegated_signers').values(row).execute();
      if (order.predecessorId) {
        await appendAuditEntry(
          trx,
          ca.store.dialect,
          {
            actor: order.actor,
            action: 'signer.rolled-over',
            target: `delegated-signer:${signerId}`,
            details: { purpose: order.purpose, caId: order.issuer.caId, predecessor: order.predecessorId, serial: cert.serial, notAfter: cert.notAfter, inForceFrom: row.in_force_from, keyStorage },
          },
          at,
        );
      }
    },
  );
  return { ...issued, signerId, row: recorded! };
}
