import { LOCALES, type Locale } from '../i18n/locale.js';
import { translate } from '../i18n/messages.js';
import type { SignetDatabase } from '../store/database.js';
import { verifyAuditChain, type AuditEntryRow, type ChainVerification, verifyAuditEntries } from './audit-log.js';
import { verifyAuditCheckpoints, type CheckpointVerification } from './checkpoints.js';
import { verifyExportedHeads, type HeadExportVerification } from './head-export.js';
import { Sm2Identities } from '../ca/sm2-identities.js';

export interface AuditVerificationOptions {
  /** The exported-head file (SIGNET_AUDIT_HEAD_EXPORT); without it a cut or rewritten tail after the last checkpoint goes unseen. */
  heads?: string;
  /** Pinned audit key fingerprints (SHA-256 of the SPKI, hex): checkpoints and heads signed by any other key fail. */
  trustedKeys?: readonly string[];
  /** Entries in seq order from another reader (a streaming one); default: the store, a page at a time. */
  entries?: AsyncIterable<AuditEntryRow>;
  /** Progress of the chain walk: entries verified so far, and how many the store holds (its highest position). */
  onProgress?: (entries: number, total: number) => void;
  progressEvery?: number;
  /**
   * Production: without pinned keys the checkpoints vouch only for
   * themselves (whoever rewrites the database can sign with a key of their
   * own), so verification fails until keys are pinned.
   */
  requirePinnedKeys?: boolean;
}

export interface AuditVerification {
  ok: boolean;
  chain: ChainVerification;
  checkpoints: CheckpointVerification;
  /** null: no exported heads were given. */
  heads: HeadExportVerification | null;
  /** True when pinned keys were required and none were given. */
  unpinned: boolean;
}

/**
 * R20, everything `signet audit verify` checks: the exported heads (signed by
 * a pinned key), then the chain against them, then the checkpoints kept in
 * the database. Needs no private key.
 */
export async function verifyAudit(store: SignetDatabase, options: AuditVerificationOptions = {}): Promise<AuditVerification> {
  const trustedKeys = options.trustedKeys && options.trustedKeys.length > 0 ? [...options.trustedKeys] : undefined;
  let heads: HeadExportVerification | null = null;
  if (options.heads) {
    const authorities = await store.db.selectFrom('certificate_authorities').select(['role', 'certificate_der']).execute();
    heads = await verifyExportedHeads(options.heads, {
      trustedKeys,
      trust: {
        trustAnchors: authorities.filter((a) => a.role === 'root').map((a) => new Uint8Array(a.certificate_der)),
        intermediates: authorities.filter((a) => a.role !== 'root').map((a) => new Uint8Array(a.certificate_der)),
        sm2Keys: await new Sm2Identities(store).upToDate(),
      },
    });
  }
  const anchors = heads?.ok ? heads.anchors : [];
  let onProgress: ((entries: number) => void) | undefined;
  if (options.onProgress) {
    const report = options.onProgress;
    // One index lookup: the chain's positions are 1..n, so the highest is the count (a broken chain is named anyway).
    const highest = await store.db.selectFrom('audit_entries').select((eb) => eb.fn.max('seq').as('n')).executeTakeFirst();
    const total = Number(highest?.n ?? 0);
    onProgress = (entries) => report(entries, total);
  }
  const walk = { anchors, onProgress, progressEvery: options.progressEvery };
  const chain = options.entries ? await verifyAuditEntries(options.entries, walk) : await verifyAuditChain(store, walk);
  const checkpoints = await verifyAuditCheckpoints(store, { trustedKeys });
  const unpinned = options.requirePinnedKeys === true && trustedKeys === undefined;
  return { ok: chain.ok && checkpoints.ok && (heads?.ok ?? true) && !unpinned, chain, checkpoints, heads, unpinned };
}

/** The verdict of each part in words, for a reader of either language (the console's audit page). */
export interface AuditVerificationText {
  /** Why the chain is broken; null when it is intact. */
  chain: string | null;
  /** Why a checkpoint fails; null when all verify. */
  checkpoints: string | null;
  /** What the exported heads say (valid, broken, or none given). */
  heads: string;
  /** Production without pinned keys; null otherwise. */
  unpinned: string | null;
}

export function auditVerificationTexts(result: AuditVerification): Record<Locale, AuditVerificationText> {
  const { chain, checkpoints, heads } = result;
  const text = (locale: Locale): AuditVerificationText => ({
    chain: chain.ok ? null : translate(chain.code, locale, { seq: chain.firstBadSeq, ...chain.params }),
    checkpoints: checkpoints.ok ? null : translate(checkpoints.code, locale, checkpoints.params),
    heads:
      heads === null
        ? translate('audit.heads-none', locale)
        : heads.ok
          ? translate('audit.heads-ok', locale, {
              count: heads.heads,
              pinned: translate(heads.pinned ? 'audit.heads-pinned' : 'audit.heads-not-pinned', locale),
              seq: heads.anchors.at(-1)?.upToSeq ?? '-',
              unanchored: chain.ok ? chain.unanchored : '-',
            })
          : translate('audit.heads-broken', locale, { problem: translate(heads.code, locale, heads.params) }),
    unpinned: result.unpinned ? translate('audit.unpinned-in-production', locale) : null,
  });
  return Object.fromEntries(LOCALES.map((locale) => [locale, text(locale)])) as Record<Locale, AuditVerificationText>;
}
