import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { crlShardKey } from '../ca/crl-partition.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import type { Tx } from '../store/database.js';
import { isUniqueViolation } from '../store/driver-errors.js';
import {
  CA_REVOCATION_GROUNDS,
  REVOCATION_CHANNELS,
  REVOCATION_REASONS,
  isCaRevocationGround,
  isRevocationReason,
  reasonName,
  reasonWords,
  type CaRevocationGround,
  type RevocationChannel,
  type RevocationReason,
} from './revocation-reasons.js';
import type { Transaction } from 'kysely';
import { statusDb, type RevocationTable, type StatusDatabase } from './schema.js';

/** What the caller (RA, subscriber portal, operator, CLI) asks for. Authorisation happened before. */
export interface RevocationRequest {
  serial: string;
  /** RFC 5280 reason; for a CA-initiated revocation it follows from the ground and may be left out. */
  reason?: RevocationReason | string;
  /** R15: the CA's own ground; only with channel 'ca'. */
  ground?: CaRevocationGround | string;
  /** Required for CA-initiated revocations (R15) and for a rights holder's request (R7, the evidence reviewed). */
  justification?: string;
  channel: RevocationChannel;
  /** An authenticated identity: `operator:…`, `subscriber:…`, `ra:…`. */
  requestedBy: string;
  /** When the key is known or suspected to have been compromised (RFC 5280 §5.3.2), if earlier than now. */
  invalidityDate?: Date | string;
}

export interface Revocation {
  serial: string;
  issuerCaId: string;
  reason: RevocationReason;
  reasonCode: number;
  ground: CaRevocationGround | null;
  revokedAt: string;
  invalidityDate: string | null;
  requestedBy: string;
  justification: string | null;
  channel: RevocationChannel;
}

/**
 * Told of a revocation the moment it is committed (this process's OCSP
 * responder drops its cached answer). The caller owns the list: StatusService
 * passes its own, so nothing about who listens lives in module state (issue 14).
 */
export type RevocationListener = (serial: string) => Promise<void>;

/** Reasons that describe something about a CA key: only a CA certificate can be revoked for them. */
const CA_ONLY_REASONS: ReadonlySet<RevocationReason> = new Set(['cACompromise']);
/** Attribute authorities do not exist here (RFC 5755); nothing is ever revoked for aACompromise. */
const NEVER_USED_REASONS: ReadonlySet<RevocationReason> = new Set(['aACompromise']);
const JUSTIFICATION_LIMIT = 4000;

export function toRevocation(row: RevocationTable): Revocation {
  return {
    serial: row.serial,
    issuerCaId: row.issuer_ca_id,
    reason: reasonName(Number(row.reason_code)),
    reasonCode: Number(row.reason_code),
    ground: (row.ground as CaRevocationGround | null) ?? null,
    revokedAt: row.revoked_at,
    invalidityDate: row.invalidity_date,
    requestedBy: row.requested_by,
    justification: row.justification,
    channel: row.channel,
  };
}

/** The revocation of a certificate, or null if it was never revoked. */
export async function findRevocation(ca: CertificateAuthority, serial: string): Promise<Revocation | null> {
  const row = await statusDb(ca.store).selectFrom('revocations').selectAll().where('serial', '=', serial).executeTakeFirst();
  return row ? toRevocation(row) : null;
}

/**
 * Revokes a certificate, for ever (R7): one row in `revocations` that the
 * database will never let anyone change or delete, and the audit entry in the
 * same transaction (R8, R20). A key-compromise revocation also blocks the key
 * so that it is never certified again.
 */
export async function revokeCertificate(ca: CertificateAuthority, request: RevocationRequest, listeners: Iterable<RevocationListener> = []): Promise<Revocation> {
  const certificate = await ca.certificate(request.serial);
  const serial = certificate.serial;

  if (!(REVOCATION_CHANNELS as readonly string[]).includes(request.channel)) {
    throw new SignetError('revocation.bad-channel', 400, { channel: String(request.channel), known: REVOCATION_CHANNELS.join(', ') }, 'channel');
  }
  const requestedBy = request.requestedBy?.trim();
  if (!requestedBy) throw new SignetError('revocation.requester-required', 400, {}, 'requestedBy');

  let ground: CaRevocationGround | null = null;
  let reason: RevocationReason;
  if (request.ground !== undefined) {
    if (!isCaRevocationGround(request.ground)) {
      throw new SignetError('revocation.bad-ground', 400, { ground: request.ground, known: Object.keys(CA_REVOCATION_GROUNDS).join(', ') }, 'ground');
    }
    if (request.channel !== 'ca') throw new SignetError('revocation.ground-needs-ca', 400, { ground: request.ground }, 'ground');
    ground = request.ground;
    reason = CA_REVOCATION_GROUNDS[ground];
    if (request.reason !== undefined && request.reason !== reason) {
      throw new SignetError('revocation.ground-reason-mismatch', 400, { ground, reason: request.reason, expected: reason }, 'reason');
    }
  } else {
    if (request.reason === undefined) throw new SignetError('revocation.reason-required', 400, { known: Object.keys(REVOCATION_REASONS).join(', ') }, 'reason');
    if (!isRevocationReason(request.reason) || NEVER_USED_REASONS.has(request.reason)) {
      throw new SignetError('revocation.bad-reason', 400, { reason: request.reason, known: Object.keys(REVOCATION_REASONS).filter((r) => !NEVER_USED_REASONS.has(r as RevocationReason)).join(', ') }, 'reason');
    }
    reason = request.reason;
    if (request.channel === 'ca') throw new SignetError('revocation.ground-required', 400, { known: Object.keys(CA_REVOCATION_GROUNDS).join(', ') }, 'ground');
  }

  const justification = request.justification?.trim() || null;
  if ((request.channel === 'ca' || request.channel === 'rights-holder') && !justification) {
    throw new SignetError('revocation.justification-required', 400, { channel: request.channel }, 'justification');
  }
  if (justification && justification.length > JUSTIFICATION_LIMIT) {
    throw new SignetError('revocation.justification-too-long', 400, { limit: JUSTIFICATION_LIMIT }, 'justification');
  }

  const isCaCertificate = certificate.holder.startsWith('ca:') && (certificate.profile_id === 'issuing-ca' || certificate.profile_id === 'root-ca');
  if (certificate.holder === `ca:${certificate.issuer_ca_id}`) {
    // A self-signed root cannot appear on a CRL it signs itself; it is withdrawn from trust stores instead.
    throw new SignetError('revocation.root-not-revocable', 409, { serial }, 'serial');
  }
  if (CA_ONLY_REASONS.has(reason) && !isCaCertificate) {
    throw new SignetError('revocation.reason-only-for-ca', 400, { reason }, 'reason');
  }

  const now = ca.now();
  let invalidityDate: string | null = null;
  if (request.invalidityDate !== undefined) {
    const at = new Date(request.invalidityDate);
    if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime()) {
      throw new SignetError('revocation.bad-invalidity-date', 400, { value: String(request.invalidityDate) }, 'invalidityDate');
    }
    invalidityDate = at.toISOString();
  }

  const row: RevocationTable = {
    serial,
    issuer_ca_id: certificate.issuer_ca_id,
    reason_code: REVOCATION_REASONS[reason],
    ground,
    revoked_at: now.toISOString(),
    invalidity_date: invalidityDate,
    requested_by: requestedBy,
    justification,
    channel: request.channel,
    not_after: certificate.not_after,
    commit_seq: null,
    crl_shard: crlShardKey(certificate.spki_sha256),
  };

  const already = await findRevocation(ca, serial);
  if (already) throw alreadyRevoked(already);
  try {
    await statusDb(ca.store)
      .transaction()
      .execute(async (trx) => {
        row.commit_seq = await nextRevocationNumber(trx);
        await trx.insertInto('revocations').values(row).execute();
        await appendAuditEntry(
          trx as unknown as Tx,
          ca.store.dialect,
          {
            actor: requestedBy,
            action: 'certificate.revoked',
            target: `certificate:${serial}`,
            details: {
              issuer: certificate.issuer_ca_id,
              reason,
              reasonCode: row.reason_code,
              ground,
              channel: request.channel,
              justification,
              invalidityDate,
              spkiSha256: certificate.spki_sha256,
            },
          },
          now,
        );
      });
  } catch (error) {
    // Two requests racing for the same certificate: the primary key lets exactly one through.
    if (isUniqueViolation(error)) {
      const winner = await findRevocation(ca, serial);
      if (winner) throw alreadyRevoked(winner);
    }
    throw error;
  }

  if (reason === 'keyCompromise') {
    await ca.blockKey(certificate.spki_sha256, `keyCompromise: certificate ${serial} revoked`, requestedBy);
  }
  for (const listener of listeners) {
    try {
      await listener(serial);
    } catch {
      // The revocation is committed and stands; responders also re-check stored answers against revocations.
    }
  }
  return toRevocation(row);
}

/**
 * The revocation's place in commit order (docs/status.md, "Commit order"). The
 * counter row is updated inside the revoking transaction, so on PostgreSQL its
 * row lock holds every other revoking transaction until this one commits or
 * rolls back: revocations commit in the order of their numbers, and whoever
 * sees number n committed sees every number below it committed too. (A
 * sequence would not do: its values are handed out before commit, in no
 * commit order.) SQLite has one writer at a time, which gives the same.
 */
async function nextRevocationNumber(trx: Transaction<StatusDatabase>): Promise<number> {
  const counter = await trx
    .updateTable('status_counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'revocations')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(counter.value);
}

function alreadyRevoked(existing: Revocation): SignetError {
  return new SignetError('revocation.already-revoked', 409, { serial: existing.serial, revokedAt: formatShanghaiTime(existing.revokedAt), reason: reasonWords(existing.reason) }, 'serial');
}
