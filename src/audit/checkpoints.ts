import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { Kysely } from 'kysely';
import type { CertificateAuthority } from '../ca/authority.js';
import { defaultSchemeFor, type KeyAlgorithm, type SignatureScheme } from '../crypto/algorithms.js';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Signer } from '../crypto/signer.js';
import { verifyTimeStampToken } from '../evidence/cms-verification.js';
import { Sm2Identities } from '../ca/sm2-identities.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import type { SignetDatabase, Tx } from '../store/database.js';
import type { Database } from '../store/schema.js';
import { appendAuditEntry } from './audit-log.js';
import { canonicalJson } from './canonical-json.js';
import type { AuditHeadSink, ExportedHead } from './head-export.js';

/** The audit key (sealed like a CA key, or in the HSM) and the checkpoints it signed. */
export interface AuditKeyTable {
  id: string;
  key_algorithm: string;
  signature_scheme: string;
  public_key_info: Buffer;
  spki_sha256: string;
  /** Software: the sealed envelope. PKCS#11: only the token locator (the key never leaves the HSM). */
  encrypted_private_key: string;
  /** 0920; rows before it were software. */
  key_storage?: AuditKeyStorage;
  active: number;
  created_at: string;
  created_by: string;
}

export interface AuditCheckpointTable {
  id: string;
  up_to_seq: number | string;
  head_hash: string;
  at: string;
  key_id: string;
  payload: string;
  signature_algorithm: Buffer;
  signature: Buffer;
  timestamp_token: Buffer | null;
}

interface AuditTables {
  audit_keys: AuditKeyTable;
  audit_checkpoints: AuditCheckpointTable;
}
type AuditDb = Kysely<Database & AuditTables>;

/** What a checkpoint signs: the chain's head at one position, by one key, at one time. */
export interface CheckpointPayload {
  type: 'signet-audit-checkpoint';
  v: 1;
  id: string;
  upToSeq: number;
  headHash: string;
  at: string;
  keyId: string;
}

export interface AuditCheckpoint {
  id: string;
  upToSeq: number;
  headHash: string;
  at: string;
  keyId: string;
  timeStamped: boolean;
}

export type AuditKeyStorage = 'software' | 'pkcs11';

export interface AuditKey {
  id: string;
  keyAlgorithm: string;
  spkiSha256: string;
  createdAt: string;
  /** Where the private key is: sealed under SIGNET_AUDIT_PASSPHRASE, or in the PKCS#11 token. */
  keyStorage: AuditKeyStorage;
}

/** The TSA as the checkpointer sees it: src/tsa's TimeStampAuthority satisfies it. */
export interface CheckpointTimeStamper {
  stampDigest(request: { hash: 'sha256'; digest: Uint8Array; certReq?: boolean }): Promise<{ tokenDer: Buffer }>;
}

export interface AuditCheckpointerOptions {
  ca: CertificateAuthority;
  /** Our TSA; without it (or when it cannot stamp) checkpoints are signed but not time-stamped. */
  timeStamper?: CheckpointTimeStamper;
  keyAlgorithm?: KeyAlgorithm;
  /**
   * Where new audit keys are made (SIGNET_AUDIT_KEY_STORAGE): 'pkcs11' generates
   * them in the configured HSM, so whoever can read the database and every
   * passphrase still cannot sign a checkpoint. Unset: a successor keeps its
   * predecessor's storage, and the first key is software.
   */
  keyStorage?: AuditKeyStorage;
  clock?: () => Date;
  /** Where each signed head is also written, outside the database (SIGNET_AUDIT_HEAD_EXPORT). */
  heads?: AuditHeadSink;
  /** How long an audit key signs before a successor replaces it (default a year; docs/operations.md). */
  keyLifeMs?: number;
}

export const DEFAULT_AUDIT_KEY_LIFE_MS = 365 * 86_400_000;

/**
 * R20: periodic checkpoints over the audit hash chain. Each signs the head
 * (position and hash) with the audit key and, when our TSA is there, carries
 * an RFC 3161 token over the signed bytes. A rewrite of history that
 * recomputes every hash still cannot produce the signed head, and a token
 * from the TSA pins when the head existed.
 */
export class AuditCheckpointer {
  private readonly db: AuditDb;
  private readonly clock: () => Date;

  constructor(private readonly options: AuditCheckpointerOptions) {
    this.db = options.ca.store.db as unknown as AuditDb;
    this.clock = options.clock ?? (() => options.ca.now());
  }

  /**
   * The active audit key, created on first use (as the CA creates its delegated signers: generated here, sealed at rest),
   * and replaced by a successor once it has signed for `keyLifeMs`: the old one stays for verifying what it signed.
   */
  async activeKey(actor = 'system:audit'): Promise<AuditKey & { signer: Signer }> {
    const row = await this.db.selectFrom('audit_keys').selectAll().where('active', '=', 1).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    if (row && this.clock().getTime() < Date.parse(row.created_at) + this.keyLifeMs) return { ...toKey(row), signer: await this.signerOf(row) };
    // A rollover keeps the custody of the key it replaces (an HSM key is not followed by a software one).
    return this.createKey(row ? 'system:audit-key-rollover' : actor, row?.key_storage);
  }

  get keyLifeMs(): number {
    return this.options.keyLifeMs ?? DEFAULT_AUDIT_KEY_LIFE_MS;
  }

  /** The audit keys' calendar: an audit key has no certificate; its "expiry" is when its successor takes over. */
  async lifetimes(): Promise<{ kind: 'audit'; id: string; caId: null; notBefore: string; notAfter: string; nextRollover: string | null; inForce: boolean }[]> {
    const rows = await this.db.selectFrom('audit_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map((row) => {
      const end = new Date(Date.parse(row.created_at) + this.keyLifeMs).toISOString();
      return { kind: 'audit' as const, id: row.id, caId: null, notBefore: row.created_at, notAfter: end, nextRollover: row.active === 1 ? end : null, inForce: row.active === 1 };
    });
  }

  /** A new audit key; the previous one stays for verifying what it signed but signs nothing more. */
  async createKey(actor: string, previousStorage?: AuditKeyStorage): Promise<AuditKey & { signer: Signer }> {
    const algorithm = this.options.keyAlgorithm ?? 'ecdsa-p256';
    const storage = this.options.keyStorage ?? previousStorage ?? 'software';
    const id = `audit-${randomUUID().slice(0, 8)}`;
    // Software: generated here and sealed under the audit passphrase (custodyOf('audit-…')); PKCS#11: generated in the token.
    const { signer: key, sealed } = await this.options.ca.keyring.newKey(id, algorithm, { storage });
    const now = this.clock();
    const spki = Buffer.from(key.publicKeyInfo);
    const row: AuditKeyTable = {
      id,
      key_algorithm: algorithm,
      signature_scheme: defaultSchemeFor(algorithm),
      public_key_info: spki,
      spki_sha256: createHash('sha256').update(spki).digest('hex'),
      encrypted_private_key: sealed,
      key_storage: storage,
      active: 1,
      created_at: now.toISOString(),
      created_by: actor,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('audit_keys').set({ active: 0 }).where('active', '=', 1).execute();
      await trx.insertInto('audit_keys').values(row).execute();
      // The key's fingerprint enters the chain itself: a key slipped in later has no such entry.
      await appendAuditEntry(trx as unknown as Tx, this.options.ca.store.dialect, { actor, action: 'audit.key-created', target: `audit-key:${id}`, details: { algorithm, spkiSha256: row.spki_sha256, storage } }, now);
    });
    return { ...toKey(row), signer: key };
  }

  /**
   * Signs the chain's current head. The TSA is asked outside the transaction
   * (it writes its own ledger), then the checkpoint row and its audit entry
   * are written together.
   */
  async checkpoint(actor = 'system:audit-checkpoint'): Promise<AuditCheckpoint> {
    // The key first: creating one appends its own entry, which this checkpoint should then cover.
    const key = await this.activeKey(actor);
    const head = await this.db.selectFrom('audit_entries').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (!head) throw new SignetError('audit.no-entries', 409);
    const now = this.clock();
    const payload: CheckpointPayload = { type: 'signet-audit-checkpoint', v: 1, id: `ckp-${randomUUID()}`, upToSeq: Number(head.seq), headHash: head.hash, at: now.toISOString(), keyId: key.id };
    const payloadText = canonicalJson(payload);
    const bytes = Buffer.from(payloadText, 'utf8');
    const signature = Buffer.from(await key.signer.sign(bytes));
    let token: Buffer | null = null;
    if (this.options.timeStamper) {
      try {
        token = (await this.options.timeStamper.stampDigest({ hash: 'sha256', digest: createHash('sha256').update(bytes).digest(), certReq: true })).tokenDer;
      } catch {
        // A TSA that cannot stamp (no TSA certificate yet, clock guard) does not stop the signed checkpoint.
        token = null;
      }
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('audit_checkpoints')
        .values({
          id: payload.id,
          up_to_seq: payload.upToSeq,
          head_hash: payload.headHash,
          at: payload.at,
          key_id: key.id,
          payload: payloadText,
          signature_algorithm: Buffer.from(AsnConvert.serialize(key.signer.signatureAlgorithm)),
          signature,
          timestamp_token: token,
        })
        .execute();
      await appendAuditEntry(
        trx as unknown as Tx,
        this.options.ca.store.dialect,
        { actor, action: 'audit.checkpoint', target: `audit-checkpoint:${payload.id}`, details: { upToSeq: payload.upToSeq, headHash: payload.headHash, keyId: key.id, signatureSha256: createHash('sha256').update(signature).digest('hex'), timeStamped: token !== null } },
        now,
      );
    });
    // Exported only once committed: a head outside the database always names a checkpoint that exists.
    await this.options.heads?.append({
      type: 'signet-audit-head',
      v: 1,
      payload: payloadText,
      signatureAlgorithm: Buffer.from(AsnConvert.serialize(key.signer.signatureAlgorithm)).toString('base64'),
      signature: signature.toString('base64'),
      publicKeyInfo: Buffer.from(key.signer.publicKeyInfo).toString('base64'),
      timeStampToken: token ? token.toString('base64') : null,
    });
    return { id: payload.id, upToSeq: payload.upToSeq, headHash: payload.headHash, at: payload.at, keyId: key.id, timeStamped: token !== null };
  }

  /**
   * The periodic job: a checkpoint when at least `minEntries` entries were
   * appended since the last one, or `maxAgeMs` passed and anything was.
   * Returns the new checkpoint or null when none was due.
   */
  async checkpointIfDue(policy: { minEntries?: number; maxAgeMs?: number } = {}): Promise<AuditCheckpoint | null> {
    const minEntries = policy.minEntries ?? 1000;
    // Often (R20): every service round (15 min) that saw any entry signs and exports a head.
    const maxAgeMs = policy.maxAgeMs ?? 10 * 60_000;
    const last = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('up_to_seq', 'desc').limit(1).executeTakeFirst();
    const head = await this.db.selectFrom('audit_entries').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (!head) return null;
    // The last checkpoint's own audit entry follows it: do not checkpoint just that.
    const pending = Number(head.seq) - (last ? Number(last.up_to_seq) + 1 : 0);
    if (pending <= 0) return null;
    const age = last ? this.clock().getTime() - Date.parse(last.at) : Infinity;
    if (pending < minEntries && age < maxAgeMs) return null;
    return this.checkpoint();
  }

  async list(): Promise<AuditCheckpoint[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('up_to_seq').execute();
    return rows.map((r) => ({ id: r.id, upToSeq: Number(r.up_to_seq), headHash: r.head_hash, at: r.at, keyId: r.key_id, timeStamped: r.timestamp_token !== null }));
  }

  /**
   * Every stored checkpoint as an exported head, oldest first: to start an
   * export file for a deployment that ran without one. These heads vouch
   * only for what the database held when they were copied.
   */
  async exportedHeads(): Promise<ExportedHead[]> {
    const rows = await this.db
      .selectFrom('audit_checkpoints')
      .innerJoin('audit_keys', 'audit_keys.id', 'audit_checkpoints.key_id')
      .select(['audit_checkpoints.payload', 'audit_checkpoints.signature_algorithm', 'audit_checkpoints.signature', 'audit_checkpoints.timestamp_token', 'audit_keys.public_key_info'])
      .orderBy('audit_checkpoints.up_to_seq')
      .execute();
    return rows.map((r) => ({
      type: 'signet-audit-head',
      v: 1,
      payload: r.payload,
      signatureAlgorithm: Buffer.from(r.signature_algorithm).toString('base64'),
      signature: Buffer.from(r.signature).toString('base64'),
      publicKeyInfo: Buffer.from(r.public_key_info).toString('base64'),
      timeStampToken: r.timestamp_token ? Buffer.from(r.timestamp_token).toString('base64') : null,
    }));
  }

  /** The audit public keys with their fingerprints, for pinning (`signet audit verify --trusted-key`). */
  async publicKeys(): Promise<(AuditKey & { active: boolean; publicKeyPem: string })[]> {
    const rows = await this.db.selectFrom('audit_keys').selectAll().orderBy('created_at').execute();
    return rows.map((r) => ({
      ...toKey(r),
      active: Number(r.active) === 1,
      publicKeyPem: createPublicKey({ key: Buffer.from(r.public_key_info), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString(),
    }));
  }

  async keys(): Promise<AuditKey[]> {
    return (await this.db.selectFrom('audit_keys').selectAll().orderBy('created_at').execute()).map(toKey);
  }

  private signerOf(row: AuditKeyTable): Promise<Signer> {
    return this.options.ca.keyring.signerFor({
      ownerId: row.id,
      keyStorage: row.key_storage ?? 'software',
      keyAlgorithm: row.key_algorithm as KeyAlgorithm,
      scheme: row.signature_scheme as SignatureScheme,
      sealed: row.encrypted_private_key,
    });
  }
}

function toKey(row: AuditKeyTable): AuditKey {
  return { id: row.id, keyAlgorithm: row.key_algorithm, spkiSha256: row.spki_sha256, createdAt: row.created_at, keyStorage: row.key_storage ?? 'software' };
}

export type CheckpointVerification =
  | { ok: true; checkpoints: number; timeStamped: number; lastCheckpointSeq: number | null }
  | {
      ok: false;
      checkpoints: number;
      checkpointId: string;
      upToSeq: number;
      /** What is wrong, as a message (audit/messages.ts) for either language. */
      code: CheckpointProblem;
      params: Record<string, unknown>;
      /** The problem in English, for logs and JSON readers. */
      problem: string;
    };

export type CheckpointProblem = Extract<MessageCode, `audit.checkpoint-problem.${string}`>;

export interface CheckpointVerificationOptions {
  /** SHA-256 fingerprints of audit public keys trusted out of band; when given, any other key fails. */
  trustedKeys?: string[];
}

/**
 * Offline verification of every checkpoint (R20): the head it signed is
 * still the entry at that position, the signature holds under the audit key
 * whose creation the chain itself records, the time-stamp token (if any) is
 * valid under our own root for exactly those bytes, and every checkpoint
 * the chain mentions still exists. Needs only the database, no private key.
 */
export async function verifyAuditCheckpoints(store: SignetDatabase, options: CheckpointVerificationOptions = {}): Promise<CheckpointVerification> {
  const db = store.db as unknown as AuditDb;
  const checkpoints = await db.selectFrom('audit_checkpoints').selectAll().orderBy('up_to_seq').execute();
  const keys = new Map((await db.selectFrom('audit_keys').selectAll().execute()).map((k) => [k.id, k]));
  const authorities = await db.selectFrom('certificate_authorities').select(['role', 'certificate_der']).execute();
  const trust = {
    trustAnchors: authorities.filter((a) => a.role === 'root').map((a) => new Uint8Array(a.certificate_der)),
    intermediates: authorities.filter((a) => a.role !== 'root').map((a) => new Uint8Array(a.certificate_der)),
    // A TSA with a non-default SM2 ID: its ID is in the same store.
    sm2Keys: await new Sm2Identities(store).upToDate(),
  };
  let timeStamped = 0;
  for (const [index, row] of checkpoints.entries()) {
    const upToSeq = Number(row.up_to_seq);
    const fail = (code: CheckpointProblem, params: Record<string, unknown> = {}): CheckpointVerification => ({
      ok: false,
      checkpoints: index,
      checkpointId: row.id,
      upToSeq,
      code,
      params,
      problem: translate(code, 'en', params),
    });
    let payload: CheckpointPayload;
    try {
      payload = JSON.parse(row.payload) as CheckpointPayload;
    } catch {
      return fail('audit.checkpoint-problem.payload-not-json');
    }
    if (payload.type !== 'signet-audit-checkpoint' || payload.id !== row.id || payload.upToSeq !== upToSeq || payload.headHash !== row.head_hash || payload.keyId !== row.key_id || payload.at !== row.at) {
      return fail('audit.checkpoint-problem.columns-mismatch');
    }
    const entry = await db.selectFrom('audit_entries').select(['hash']).where('seq', '=', upToSeq).executeTakeFirst();
    if (!entry) return fail('audit.checkpoint-problem.entry-missing', { seq: upToSeq });
    if (entry.hash !== row.head_hash) return fail('audit.checkpoint-problem.entry-rewritten', { seq: upToSeq });
    const key = keys.get(row.key_id);
    if (!key) return fail('audit.checkpoint-problem.key-missing', { key: row.key_id });
    if (options.trustedKeys && !options.trustedKeys.includes(key.spki_sha256)) return fail('audit.checkpoint-problem.key-untrusted', { key: row.key_id });
    const created = await db
      .selectFrom('audit_entries')
      .select(['details'])
      .where('action', '=', 'audit.key-created')
      .where('target', '=', `audit-key:${key.id}`)
      .executeTakeFirst();
    if (!created || (JSON.parse(created.details) as { spkiSha256?: string }).spkiSha256 !== key.spki_sha256) {
      return fail('audit.checkpoint-problem.key-not-in-chain', { key: key.id });
    }
    const bytes = Buffer.from(row.payload, 'utf8');
    let algorithm: AlgorithmIdentifier;
    try {
      algorithm = AsnConvert.parse(row.signature_algorithm, AlgorithmIdentifier);
    } catch {
      return fail('audit.checkpoint-problem.algorithm-unreadable');
    }
    const check = verifySignature(key.public_key_info, algorithm, bytes, row.signature, { sm2Keys: trust.sm2Keys });
    if (!check.ok) return fail('audit.checkpoint-problem.bad-signature', { reason: check.reason });
    if (row.timestamp_token) {
      const stamp = await verifyTimeStampToken(row.timestamp_token, bytes, trust);
      if (!stamp.valid) return fail('audit.checkpoint-problem.bad-time-stamp', { reason: stamp.problems.join('; ') });
      timeStamped += 1;
    }
  }
  // Every checkpoint the chain announced must still be there (a deleted checkpoint row is a rewrite too).
  const announced = await db.selectFrom('audit_entries').select(['seq', 'target']).where('action', '=', 'audit.checkpoint').execute();
  const present = new Set(checkpoints.map((c) => c.id));
  for (const a of announced) {
    const id = a.target.replace(/^audit-checkpoint:/, '');
    if (!present.has(id)) {
      const params = { id, seq: Number(a.seq) };
      return { ok: false, checkpoints: checkpoints.length, checkpointId: id, upToSeq: Number(a.seq), code: 'audit.checkpoint-problem.missing', params, problem: translate('audit.checkpoint-problem.missing', 'en', params) };
    }
  }
  const last = checkpoints.at(-1);
  return { ok: true, checkpoints: checkpoints.length, timeStamped, lastCheckpointSeq: last ? Number(last.up_to_seq) : null };
}
