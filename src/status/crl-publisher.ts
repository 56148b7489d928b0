import { createHash, randomUUID } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BaseCRLNumber,
  CRLNumber,
  DistributionPoint,
  DistributionPointName,
  Extension,
  FreshestCRL,
  GeneralName,
  IssuingDistributionPoint,
  KeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_deltaCRLIndicator,
  id_ce_freshestCRL,
  id_ce_issuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { crlPartitionOf, crlPartitionRange, crlPartitionUrl } from '../ca/crl-partition.js';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { keyIdentifier } from '../crypto/public-key.js';
import { SignetError } from '../i18n/signet-error.js';
import type { Tx } from '../store/database.js';
import { isUniqueViolation } from '../store/driver-errors.js';
import { sql, type RawBuilder } from 'kysely';
import type pg from 'pg';
import type { Signer } from '../crypto/signer.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { EntryLines, EntryPieces, entriesLengthOf, RevokedEntryEncoder, TbsCertListWriter, type DerSink, type EntryTally, type TbsCertListFields } from './crl-encoding.js';
import { certificateSubjectDer, lintCrl, type CrlLintContext } from './crl-lint.js';
import { TbsCertListStream } from './crl-tbs-stream.js';
import { copyPieceIn, copyRowsOut } from './crl-copy.js';
import { statusDb, type CrlArchiveTable, type StatusTx } from './schema.js';

export type CrlKind = 'full' | 'delta';

export interface PublishedCrl {
  id: string;
  issuerCaId: string;
  crlNumber: number;
  kind: CrlKind;
  baseCrlNumber: number | null;
  thisUpdate: string;
  nextUpdate: string;
  entries: number;
  sha256: string;
  /** When the entries were read (for people; membership follows revocationsThrough). */
  createdAt: string;
  /**
   * The revocation counter value covered (docs/status.md, "Commit order"): a
   * full CRL lists every unexpired revocation numbered up to it, a delta those
   * numbered after its base's value and up to its own.
   */
  revocationsThrough: number;
  /** A partition CRL (RFC 5280 §5.2.5): which partition of how many; null for the full or delta CRL. */
  partition: CrlPartition | null;
  der: Buffer;
}

/** Partition `index` (0-based) of `count` (src/ca/crl-partition.ts). */
export interface CrlPartition {
  count: number;
  index: number;
}

export type CrlSummary = Omit<PublishedCrl, 'der'>;

/** Only for the root key ceremony: a root CRL, with the ceremony's long nextUpdate. */
export interface CeremonyCrlOptions {
  ceremony?: boolean;
  nextUpdate?: Date;
}

interface PublishOptions extends CeremonyCrlOptions {
  partition?: CrlPartition;
}

/** Revocation numbers (commit order) a CRL covers: after `after` (a delta's base; null for a full CRL), up to `through`. */
interface CommitRange {
  after: number | null;
  through: number;
  /** A partition's shard keys (src/ca/crl-partition.ts); null for the full or delta CRL. */
  shards: { from: string; below: string | null } | null;
}

export interface CrlSchedule {
  /** How long a full CRL of an issuing CA stays current. */
  issuingFullHours: number;
  /** Root CA CRLs cover only CA certificates and change rarely. */
  rootFullHours: number;
  deltaHours: number;
  /**
   * Whether issuing CAs publish delta CRLs (RFC 5280 §5.2.4) and their full CRLs point at them
   * (freshestCRL, §5.2.6). Off by default: a relying party that ignores deltaCRLIndicator
   * (OpenSSL without -use_deltas, GnuTLS) and finds a delta beside the full CRL takes the newer
   * delta for the complete list and accepts what only the base lists as revoked
   * (test/interop/delta-crl-hazard.test.ts, docs/interoperability.md).
   */
  deltas: boolean;
  /**
   * SQLite: rows read per query while streaming entries. PostgreSQL (one COPY): the lines read between two looks at
   * whether a piece filled up, and after the first such page the entries are counted.
   */
  pageSize: number;
  /**
   * Partition counts whose CRLs issuing CAs publish beside the full CRL (SIGNET_CRL_PARTITIONS; the first is
   * what new certificates name). Empty: no partitions.
   */
  partitions: number[];
  /**
   * A CRL longer than this is archived in pieces of this many octets (crl_archive_pieces), each written by a
   * statement of its own, so that no store holds a second copy of the whole CRL while archiving it.
   */
  pieceBytes: number;
  /**
   * CRL-only mode (SIGNET_CRL_ONLY): an issuing CA's full CRL, and each partition CRL, is due as soon as a
   * revocation of its scope committed after it was read, so the CRL (the only status a relying party has) lists a
   * revocation within one scheduler round (BR §4.9.7: within 24 hours), not at the next nextUpdate.
   */
  afterRevocation: boolean;
}

export const DEFAULT_CRL_SCHEDULE: CrlSchedule = {
  issuingFullHours: 24,
  rootFullHours: 24 * 7,
  deltaHours: 4,
  deltas: false,
  pageSize: 2_000,
  partitions: [],
  pieceBytes: 1 << 20,
  afterRevocation: false,
};

/** A CRL signed, verified and linted, ready for its row: whole (`der`) or already archived in `pieces`. */
interface FinishedCrl {
  der: Buffer | null;
  pieces: number | null;
  sha256: string;
  bytes: number;
}

/** Test seams (src/status/crl-pieces.test.ts): faults the publisher must stop before anything is in force. */
export interface CrlFaults {
  /** A crash between the pieces of a CRL being archived. */
  afterArchivedPiece?: (seq: number) => void | Promise<void>;
  /** A fault in the entry writer: piece `seq` of entries as written, replaced before the signer, the lint and the archive see it. */
  entryPiece?: (seq: number, piece: Buffer) => Buffer;
  /** A fault in the store: the octets it keeps for piece `seq` instead of those it was given. */
  storedPiece?: (seq: number, bytes: Buffer) => Buffer;
  /** The signature lengths the whole CRL's SHA-256 is begun for (TbsCertListStream), instead of the likely ones. */
  signatureLengths?: (signer: Signer) => number[];
}

/** Pieces left by a publication that never committed its row (a crash) are removed once this old. */
const ORPHAN_PIECES_AGE_MS = 3_600_000;

const HOUR_MS = 3_600_000;
/** SQLite's page cache while a CRL's entries pass through it (narrowPageCache). */
const CRL_PAGE_CACHE_KIB = 8192;

function toSummary(row: Omit<CrlArchiveTable, 'der' | 'pieces'>): CrlSummary {
  return {
    id: row.id,
    issuerCaId: row.issuer_ca_id,
    crlNumber: Number(row.crl_number),
    kind: row.kind,
    baseCrlNumber: row.base_crl_number === null ? null : Number(row.base_crl_number),
    thisUpdate: row.this_update,
    nextUpdate: row.next_update,
    entries: Number(row.entries),
    sha256: row.sha256,
    createdAt: row.created_at,
    revocationsThrough: Number(row.revocations_through ?? 0),
    partition: row.partition_count === null ? null : { count: Number(row.partition_count), index: Number(row.partition_index) },
  };
}

const SUMMARY_COLUMNS = [
  'id',
  'issuer_ca_id',
  'crl_number',
  'kind',
  'base_crl_number',
  'this_update',
  'next_update',
  'entries',
  'sha256',
  'published_by',
  'created_at',
  'revocations_through',
  'partition_count',
  'partition_index',
] as const;

/**
 * CRLs per CA (RFC 5280 §5): the root's covers the issuing CA certificates,
 * an issuing CA's covers its subscribers. Full and delta CRLs share one
 * number sequence per issuer; every CRL ever published stays in crl_archive,
 * byte for byte, and can be found by time (R14).
 */
export class CrlPublisher {
  private readonly served = new Map<string, PublishedCrl>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly publicUrl: string,
    private readonly schedule: CrlSchedule = DEFAULT_CRL_SCHEDULE,
    private readonly faults: CrlFaults = {},
  ) {}

  /** Whether a CA of this role publishes delta CRLs: issuing CAs, when the schedule says so. */
  publishesDeltas(role: string): boolean {
    return this.schedule.deltas && role !== 'root';
  }

  crlUrl(caId: string, kind: CrlKind): string {
    return `${this.publicUrl}/crl/${caId}${kind === 'delta' ? '-delta' : ''}.crl`;
  }

  /** Whether partition `index` of `count` is published for `caId` (a count listed in the schedule, an issuing CA). */
  async servesPartition(caId: string, partition: CrlPartition): Promise<boolean> {
    if (!this.schedule.partitions.includes(partition.count)) return false;
    if (!Number.isInteger(partition.index) || partition.index < 0 || partition.index >= partition.count) return false;
    return (await this.ca.authority(caId)).role !== 'root';
  }

  /** Where the archive serves one CRL, byte for byte, by its number (R14: a large CRL travels beside an evidence package). */
  archiveUrl(caId: string, crlNumber: number): string {
    return `${this.publicUrl}/api/v1/crls/${encodeURIComponent(caId)}?number=${crlNumber}`;
  }

  /**
   * Signs and archives the next CRL of `caId`, and returns it with its bytes (read back from the archive when it
   * was archived in pieces). A delta lists what was revoked since the newest full CRL (its base); with no base
   * yet, a full one is published first.
   */
  async publish(caId: string, kind: CrlKind, actor: string, options: PublishOptions = {}): Promise<PublishedCrl> {
    const { summary, der } = await this.publishCrl(caId, kind, actor, options);
    const published = { ...summary, der: der ?? (await this.archivedDerOf(summary.id)) };
    this.served.set(servedKey(caId, kind, summary.partition), published);
    return published;
  }

  /**
   * publish() without the bytes: what the scheduler, the CLI and the API's publish call use, so that a CRL of a
   * million entries is never held whole by the process that publishes it (issue 22: ≤ 200 MB). `bytes`: its length.
   */
  async publishArchived(caId: string, kind: CrlKind, actor: string, options: PublishOptions = {}): Promise<CrlSummary & { bytes: number }> {
    const { summary, bytes, der } = await this.publishCrl(caId, kind, actor, options);
    // Nobody holds a short CRL's buffer once its row is in (this call hands no bytes back): freed now, not at a GC.
    if (der) releaseBuffer(der);
    return { ...summary, bytes };
  }

  private async publishCrl(caId: string, kind: CrlKind, actor: string, options: PublishOptions): Promise<{ summary: CrlSummary; der: Buffer | null; bytes: number }> {
    const authority = await this.ca.authority(caId);
    const partition = options.partition ?? null;
    if (partition && (kind !== 'full' || !(await this.servesPartition(caId, partition)))) {
      throw new SignetError('crl.no-such-partition', 404, { caId, count: partition.count, index: partition.index });
    }
    // The root stays offline (docs/architecture.md): only the ceremony (root-ceremony.ts) signs its CRL.
    if (authority.role === 'root' && !options.ceremony) throw new SignetError('crl.root-offline', 409, { caId }, 'caId');
    // A root's CRL changes at ceremonies only: it has no deltas (and points at none), whatever the setting.
    if (kind === 'delta' && !this.publishesDeltas(authority.role)) throw new SignetError('crl.deltas-off', 409, { caId }, 'kind');
    let base: CrlSummary | null = null;
    if (kind === 'delta') {
      base = await this.latestSummary(caId, 'full');
      if (!base) base = (await this.publishCrl(caId, 'full', actor, options)).summary;
    }
    const issuer = await this.ca.issuerContext(caId);
    const now = this.ca.now();
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const hours = kind === 'delta' ? this.schedule.deltaHours : authority.role === 'root' ? this.schedule.rootFullHours : this.schedule.issuingFullHours;
    const nextUpdate = options.nextUpdate ?? new Date(thisUpdate.getTime() + hours * HOUR_MS);

    // A million entries pass once through SQLite's page cache (64 MiB, sized for the certificate indexes) and the
    // archived CRL once more: at 8 MiB for the pass they do not fill it, which was a third of the pass's memory.
    const restoreCache = await this.narrowPageCache();
    try {
      for (let attempt = 0; ; attempt++) {
        const crlNumber = (await this.highestNumber(caId)) + 1;
        const extensions = [
          extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuer.signer.publicKeyInfo)) })),
          extension(id_ce_cRLNumber, false, new CRLNumber(crlNumber)),
        ];
        if (partition) {
          // RFC 5280 §5.2.5: critical; the scope is the partition whose URL its certificates name in their
          // cRLDistributionPoints, so a relying party matches the two. A partition has no deltas.
          extensions.push(
            extension(
              id_ce_issuingDistributionPoint,
              true,
              new IssuingDistributionPoint({
                distributionPoint: new DistributionPointName({
                  fullName: [new GeneralName({ uniformResourceIdentifier: crlPartitionUrl(this.publicUrl, caId, partition.count, partition.index) })],
                }),
              }),
            ),
          );
        } else if (base) {
          // RFC 5280 §5.2.4: critical, naming the base CRL the delta updates.
          extensions.push(extension(id_ce_deltaCRLIndicator, true, new BaseCRLNumber(base.crlNumber)));
        } else if (this.publishesDeltas(authority.role)) {
          // RFC 5280 §5.2.6: where relying parties find the deltas of this CRL; never a pointer to a delta nobody serves.
          extensions.push(
            extension(
              id_ce_freshestCRL,
              false,
              new FreshestCRL([
                new DistributionPoint({
                  distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: this.crlUrl(caId, 'delta') })] }),
                }),
              ]),
            ),
          );
        }

        // Membership is by commit order: the revocations numbered up to the counter's committed value (all of
        // them committed, none still in flight), after the base's value for a delta. A revocation committed later
        // has a higher number and is on the next CRL, full or delta; none falls between two CRLs.
        const until = now.toISOString();
        const range: CommitRange = {
          through: await this.revocationsCommitted(),
          after: base ? base.revocationsThrough : null,
          shards: partition ? crlPartitionRange(partition.index, partition.count) : null,
        };
        const fields = { signature: issuer.signer.signatureAlgorithm, issuer: issuer.name, thisUpdate, nextUpdate, crlExtensions: extensions };
        const lintContext: CrlLintContext = {
          issuerName: certificateSubjectDer(authority.certificateDer),
          issuerKeyIdentifier: issuer.keyIdentifier,
          signatureAlgorithm: new Uint8Array(AsnConvert.serialize(issuer.signer.signatureAlgorithm)),
          kind,
          baseCrlNumber: base ? BigInt(base.crlNumber) : undefined,
          previousNumber: crlNumber > 1 ? BigInt(crlNumber - 1) : null,
          ...(partition ? { scopeUri: crlPartitionUrl(this.publicUrl, caId, partition.count, partition.index) } : {}),
        };
        const id = randomUUID();

        // The entries are written into pieces of schedule.pieceBytes; a piece that fills up is archived between
        // pages (crl_archive_pieces, seq 1…), so a CRL of a million entries never exists whole in this process.
        // A list that fits one piece stays in memory and is finished as before (stored whole when short).
        // Once the first piece fills up, the database counts the entries by shape (entryTally): their DER length
        // gives the TBS headers, and from then on each piece is signed, verified and linted as it is archived.
        const sink = new EntryPieces(this.schedule.pieceBytes);
        let archived = 0;
        let stream: TbsCertListStream | null = null;
        let tally: Promise<EntryTally> | null = null;
        const countEntries = () => {
          if (!tally) {
            tally = this.entryTally(caId, until, range);
            // Awaited when the first piece fills up; a count asked for when the pass then fails is not an unhandled rejection.
            tally.catch(() => undefined);
          }
          return tally;
        };
        let writtenBefore = 0;
        const archiveFull = async (pageFull: boolean) => {
          // PostgreSQL counts on a connection of its own while this process encodes the next pages; SQLite would
          // count in this thread, so there only a list that fills a piece is counted.
          // A partition's list mostly fits one piece and is then never counted: its count starts only once two more
          // pages like the last could fill the piece (counting each of 64 partitions took them from 6.3 to 9.4 s).
          const pageOctets = sink.length - writtenBefore;
          writtenBefore = sink.length;
          if (pageFull && this.ca.store.dialect === 'postgres' && (!range.shards || sink.length + 2 * pageOctets >= this.schedule.pieceBytes)) void countEntries();
          for (const written of sink.takeFull()) {
            if (!stream) {
              await this.removeOrphanPieces(now);
              const signer = issuer.signer;
              const verification = { distinguishingId: signer.distinguishingId, sm2Keys: this.ca.sm2Identities };
              // SQLite hands every stored piece back for the archive check and hashes the whole CRL then: no hash begun here.
              const lengths = this.faults.signatureLengths?.(signer) ?? (this.ca.store.dialect === 'sqlite' ? [] : undefined);
              stream = new TbsCertListStream(fields, entriesLengthOf(await countEntries()), signer, verification, lintContext, ...(lengths ? [lengths] : []));
            }
            await this.archiveEntries(id, ++archived, written, stream, now);
            sink.recycle(written);
          }
        };
        // thisUpdate is whole seconds; the entries are read up to the exact moment, which created_at records.
        let count: number;
        try {
          count = await this.writeEntries(caId, until, range, sink, archiveFull);
        } catch (error) {
          if (archived > 0) await this.discardPieces(id);
          throw error;
        }
        const finished = stream
          ? await this.finishInPieces(id, sink, archived, stream, caId, now)
          : await this.finishWhole(id, fields, sink.takeRest(), issuer.signer, lintContext, caId, now);
        const { der, pieces, sha256, bytes } = finished;
        const row: CrlArchiveTable = {
          id,
          issuer_ca_id: caId,
          crl_number: crlNumber,
          kind,
          base_crl_number: base?.crlNumber ?? null,
          this_update: thisUpdate.toISOString(),
          next_update: nextUpdate.toISOString(),
          entries: count,
          sha256,
          der: pieces === null ? der! : Buffer.alloc(0),
          pieces,
          published_by: actor,
          created_at: now.toISOString(),
          revocations_through: range.through,
          partition_count: partition?.count ?? null,
          partition_index: partition?.index ?? null,
        };
        try {
          await statusDb(this.ca.store)
            .transaction()
            .execute(async (trx) => {
              if (pieces !== null) await this.checkPieces(trx, id, pieces, bytes);
              await trx.insertInto('crl_archive').values(row).execute();
              await appendAuditEntry(
                trx as unknown as Tx,
                this.ca.store.dialect,
                {
                  actor,
                  action: 'crl.published',
                  target: `crl:${caId}:${crlNumber}`,
                  details: {
                    kind,
                    baseCrlNumber: row.base_crl_number,
                    thisUpdate: row.this_update,
                    nextUpdate: row.next_update,
                    entries: count,
                    sha256: row.sha256,
                    revocationsThrough: range.through,
                    ...(partition ? { partition: `${partition.index}/${partition.count}` } : {}),
                  },
                },
                now,
              );
            });
        } catch (error) {
          // Its pieces belong to no CRL now: removed at once (the guard lets pieces without a row go).
          if (pieces !== null) await this.discardPieces(id);
          // Another node published this number first: the constraint kept the sequence unique; take the next.
          if (attempt < 3 && isUniqueViolation(error)) continue;
          if (isUniqueViolation(error)) throw new SignetError('crl.number-taken', 409, { caId, number: crlNumber });
          throw error;
        }
        return { summary: toSummary(row), der, bytes };
      }
    } finally {
      await restoreCache();
    }
  }

  /** SQLite only: the page cache at 8 MiB until the returned function puts it back. */
  private async narrowPageCache(): Promise<() => Promise<void>> {
    if (this.ca.store.dialect !== 'sqlite') return async () => {};
    const db = this.ca.store.db;
    const before = (await sql<{ cache_size: number }>`pragma cache_size`.execute(db)).rows[0]?.cache_size;
    if (before === undefined || (before < 0 ? -before : before * 4) <= CRL_PAGE_CACHE_KIB) return async () => {};
    await sql.raw(`pragma cache_size = -${CRL_PAGE_CACHE_KIB}`).execute(db);
    return async () => {
      await sql.raw(`pragma cache_size = ${Number(before)}`).execute(db);
    };
  }

  /**
   * A CRL whose entries fit one piece: finished in memory (TbsCertListWriter), signed whole, verified, linted; stored
   * whole in its row, or as pieces of schedule.pieceBytes when the headers take it past that length.
   */
  private async finishWhole(
    id: string,
    fields: TbsCertListFields,
    entryParts: Buffer[],
    signer: Signer,
    lintContext: CrlLintContext,
    caId: string,
    now: Date,
  ): Promise<FinishedCrl> {
    const entries = entryParts.length === 1 ? entryParts[0]! : Buffer.concat(entryParts);
    const writer = new TbsCertListWriter(fields, entries.length);
    entries.copy(writer.target, writer.reserve(entries.length));
    // The piece the entries were written in (a MiB) is freed now: 64 partitions' worth otherwise waits for a GC.
    for (const part of [entries, ...entryParts]) releasePiece(part);
    const tbs = writer.finish();
    const signature = await signer.sign(tbs);
    // As for certificates: a faulty signer must never publish garbage.
    const check = verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, tbs, signature, { distinguishingId: signer.distinguishingId, sm2Keys: this.ca.sm2Identities });
    if (!check.ok) throw new Error(`the signer of ${caId} produced a bad CRL signature: ${check.reason}`);
    const der = writer.signed(signer.signatureAlgorithm, signature);
    // Lint before publishing (issue 15): what the streamed encoder wrote is checked as RFC 5280 §5 bytes.
    const findings = lintCrl(der, lintContext);
    if (findings.length > 0) throw new SignetError('crl.lint-failed', 500, { caId, detail: findings.join('; ') });
    const sha256 = createHash('sha256').update(der).digest('hex');
    const size = this.schedule.pieceBytes;
    if (der.length <= size) return { der, pieces: null, sha256, bytes: der.length };
    // A crash between pieces leaves pieces nobody reads (removed later), never half a CRL: it is in force only once its row commits.
    await this.removeOrphanPieces(now);
    let seq = 0;
    try {
      for (let at = 0; at < der.length; at += size) await this.archivePiece(id, seq++, der.subarray(at, at + size), now);
    } catch (error) {
      await this.discardPieces(id);
      throw error;
    }
    return { der, pieces: seq, sha256, bytes: der.length };
  }

  /** Piece `seq` of entries: signed, verified and linted (stream.entries), then archived; the caller may reuse it after. */
  private async archiveEntries(id: string, seq: number, written: Buffer, stream: TbsCertListStream, now: Date): Promise<void> {
    const piece = this.faults.entryPiece?.(seq, written) ?? written;
    stream.entries(piece);
    await this.archivePiece(id, seq, piece, now);
  }

  /**
   * A CRL whose entries were signed, verified, linted and archived as pieces 1…n while they were read (stream):
   * once they add up to the length the TBS headers announced (else nothing is signed), the TBS is signed, the head
   * (CertificateList and TBS headers, fields, list header) becomes piece 0 and the tail (extensions,
   * signatureAlgorithm, signature) piece n+1; the lint reads the frame and fields from them, the signature is
   * checked against the CA key, and the archive must hold exactly the octets signed (archiveSha256). A finding, a
   * bad signature or an archive that differs removes the pieces: nothing is ever in force. Nothing is read back.
   */
  private async finishInPieces(id: string, sink: EntryPieces, archivedBefore: number, stream: TbsCertListStream, caId: string, now: Date): Promise<FinishedCrl> {
    try {
      let last = archivedBefore;
      for (const written of sink.takeRest()) {
        await this.archiveEntries(id, ++last, written, stream, now);
        releasePiece(written);
      }
      const { head, tail, signature } = await stream.sign();
      await this.archivePiece(id, 0, head, now);
      await this.archivePiece(id, last + 1, tail, now);

      // The frame and fields from the head and tail as archived; a list out of serial order is walked again for repeats.
      const findings = await stream.lintFindings({ head, tail, entryPieces: () => this.readPieces(id, 1, last) });
      if (findings.length > 0) throw new SignetError('crl.lint-failed', 500, { caId, detail: findings.join('; ') });
      // As for certificates: a faulty signer must never publish garbage.
      const check = stream.verify(signature);
      if (!check.ok) throw new Error(`the signer of ${caId} produced a bad CRL signature: ${check.reason}`);
      const bytes = head.length + stream.entriesLength + tail.length;
      return { der: null, pieces: last + 2, sha256: await this.archiveSha256(id, bytes, stream.signedSha256()), bytes };
    } catch (error) {
      await this.discardPieces(id);
      throw error;
    }
  }

  /**
   * Removes the pieces an earlier publication left behind when it died before its row, once old enough that no
   * publication still running (on this node or another) can own them.
   */
  private async removeOrphanPieces(now: Date): Promise<void> {
    await statusDb(this.ca.store)
      .deleteFrom('crl_archive_pieces')
      .where('created_at', '<', new Date(now.getTime() - ORPHAN_PIECES_AGE_MS).toISOString())
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('crl_archive').select('id').whereRef('crl_archive.id', '=', 'crl_archive_pieces.crl_id'))))
      .execute();
  }

  /** One piece of `crlId`, in a statement of its own (the store copies one piece at a time, never the whole CRL). */
  private async archivePiece(crlId: string, seq: number, bytes: Buffer, now: Date): Promise<void> {
    const row = { crl_id: crlId, seq, bytes: this.faults.storedPiece?.(seq, bytes) ?? bytes, created_at: now.toISOString() };
    // PostgreSQL: by COPY, which sends the piece as it is (a parameter is copied into a message buffer first: a MiB
    // of memory per piece until the next garbage collection).
    const withClient = this.ca.store.withClient;
    if (withClient) await withClient((client) => copyPieceIn(client, row));
    else await statusDb(this.ca.store).insertInto('crl_archive_pieces').values(row).execute();
    await this.faults.afterArchivedPiece?.(seq);
  }

  /** The pieces of a CRL that never got its row (the guard lets pieces without a row go). */
  private async discardPieces(crlId: string): Promise<void> {
    await statusDb(this.ca.store).deleteFrom('crl_archive_pieces').where('crl_id', '=', crlId).execute();
  }

  /** Pieces `from`…`to` of a CRL, one query per piece: node-postgres reads bytea as hex text, twice a piece's size. */
  private async *readPieces(crlId: string, from: number, to: number): AsyncGenerator<Buffer> {
    for (let seq = from; seq <= to; seq++) {
      const piece = await this.readPiece(crlId, seq);
      if (!piece) throw new Error(`CRL ${crlId} has no piece ${seq} in the archive`);
      try {
        yield piece;
      } finally {
        // The consumer asked for the next piece (or stopped): it is done with this one.
        releasePiece(piece);
      }
    }
  }

  /**
   * The SHA-256 of the archived CRL, after checking that the archive holds exactly the octets signed: pieces
   * 0…n, each of the SHA-256 it had when signed (`signed.pieces`), `bytes` in all. PostgreSQL hashes each stored
   * piece itself (a piece would otherwise come over as hex text, twice its size; one hash of the whole would need
   * the pieces joined, 1 s for a million entries); SQLite hands each piece over as it is. The whole CRL's hash was
   * taken as it was signed (`signed.whole`), or, when the signature had a length not prepared for, from the
   * archive once the pieces are known to be the octets signed.
   */
  private async archiveSha256(crlId: string, bytes: number, signed: { pieces: string[]; whole: string | null }): Promise<string> {
    let stored: Array<{ seq: number; sha256: string; octets: number }>;
    let whole = signed.whole;
    const db = statusDb(this.ca.store);
    if (this.ca.store.dialect === 'postgres') {
      const { rows } = await sql<{ seq: number; sha256: string; octets: number | string }>`
        select seq, encode(sha256(bytes), 'hex') as sha256, length(bytes) as octets from crl_archive_pieces where crl_id = ${crlId} order by seq`.execute(db);
      stored = rows.map((row) => ({ seq: Number(row.seq), sha256: row.sha256, octets: Number(row.octets) }));
    } else {
      stored = [];
      const hash = createHash('sha256');
      // A piece missing stops the read; one more than signed is refused with the row (checkPieces).
      for await (const piece of this.readPieces(crlId, 0, signed.pieces.length - 1)) {
        hash.update(piece);
        stored.push({ seq: stored.length, sha256: createHash('sha256').update(piece).digest('hex'), octets: piece.length });
      }
      whole ??= hash.digest('hex');
    }
    const octets = stored.reduce((sum, piece) => sum + piece.octets, 0);
    if (octets !== bytes || stored.length !== signed.pieces.length || stored.some((piece, i) => piece.seq !== i || piece.sha256 !== signed.pieces[i])) {
      throw new Error(`CRL ${crlId} in the archive is not the CRL signed`);
    }
    if (whole === null) {
      const { rows } = await sql<{ sha256: string | null }>`
        select encode(sha256(string_agg(bytes, ''::bytea order by seq)), 'hex') as sha256 from crl_archive_pieces where crl_id = ${crlId}`.execute(db);
      whole = rows[0]?.sha256 ?? null;
      if (whole === null) throw new Error(`CRL ${crlId} in the archive is not the CRL signed`);
    }
    return whole;
  }

  /** One piece as the archive holds it, in a query of its own. */
  private async readPiece(crlId: string, seq: number): Promise<Buffer | undefined> {
    const row = await statusDb(this.ca.store).selectFrom('crl_archive_pieces').select('bytes').where('crl_id', '=', crlId).where('seq', '=', seq).executeTakeFirst();
    return row?.bytes;
  }



  /** In the transaction that puts the CRL in force: every piece is there and they add up to the CRL's length. */
  private async checkPieces(trx: StatusTx, crlId: string, pieces: number, length: number): Promise<void> {
    const row = await trx
      .selectFrom('crl_archive_pieces')
      .select([sql<number | string>`count(*)`.as('n'), sql<number | string | null>`sum(length(bytes))`.as('octets'), sql<number | string | null>`max(seq)`.as('last')])
      .where('crl_id', '=', crlId)
      .executeTakeFirstOrThrow();
    if (Number(row.n) !== pieces || Number(row.octets) !== length || Number(row.last) !== pieces - 1) {
      throw new Error(`the archive holds ${row.n} pieces (${row.octets} octets) of CRL ${crlId}, not ${pieces} (${length})`);
    }
  }

  /**
   * The archived bytes of a CRL row: the row's own der, or its pieces put back together in one buffer of the
   * CRL's length, read a few pieces per query, and checked against the SHA-256 recorded when it was published.
   */
  private async archivedDerOf(crlId: string): Promise<Buffer> {
    const row = await statusDb(this.ca.store).selectFrom('crl_archive').select(['id', 'der', 'pieces', 'sha256']).where('id', '=', crlId).executeTakeFirstOrThrow();
    return this.archivedDer(row);
  }

  private async archivedDer(row: Pick<CrlArchiveTable, 'id' | 'der' | 'pieces' | 'sha256'>): Promise<Buffer> {
    if (row.pieces === null || row.pieces === undefined) return row.der;
    const db = statusDb(this.ca.store);
    const sizes = await db
      .selectFrom('crl_archive_pieces')
      .select(['seq', sql<number | string>`length(bytes)`.as('size')])
      .where('crl_id', '=', row.id)
      .orderBy('seq')
      .execute();
    if (sizes.length !== Number(row.pieces) || sizes.some((piece, i) => Number(piece.seq) !== i)) {
      throw new Error(`CRL ${row.id} has ${sizes.length} of its ${row.pieces} pieces in the archive`);
    }
    const der = Buffer.allocUnsafe(sizes.reduce((sum, piece) => sum + Number(piece.size), 0));
    const hash = createHash('sha256');
    let at = 0;
    for await (const piece of this.readPieces(row.id, 0, sizes.length - 1)) {
      hash.update(piece);
      at += piece.copy(der, at);
    }
    if (at !== der.length || hash.digest('hex') !== row.sha256) throw new Error(`CRL ${row.id} read back from its pieces is not the CRL archived`);
    return der;
  }

  /** The revocation counter's committed value: every revocation numbered up to it has committed. */
  private async revocationsCommitted(): Promise<number> {
    const row = await statusDb(this.ca.store).selectFrom('status_counters').select('value').where('name', '=', 'revocations').executeTakeFirstOrThrow();
    return Number(row.value);
  }

  /** The revocations a CRL of `caId` lists: unexpired at `until`, numbered in the commit range, in the partition's shard keys. */
  private entriesInRange(caId: string, until: string, range: CommitRange, keyset?: RawBuilder<boolean>) {
    let query = statusDb(this.ca.store)
      .selectFrom('revocations')
      .where('issuer_ca_id', '=', caId)
      .where('commit_seq', '<=', range.through)
      .where('not_after', '>=', until);
    if (range.after !== null) query = query.where('commit_seq', '>', range.after);
    if (keyset) query = query.where(keyset);
    if (range.shards) {
      query = query.where('crl_shard', '>=', range.shards.from);
      if (range.shards.below !== null) query = query.where('crl_shard', '<', range.shards.below);
    }
    return query;
  }

  /**
   * What the DER length of the entries writeEntries will write depends on (entriesLengthOf), counted by the database
   * in one aggregate over the same rows (the covering index, no sort): how many, their serials' INTEGER octets
   * (RevokedEntryEncoder: minimal hex, a 00 sign octet before a first digit 8-f of an even count), UTCTimes (a year
   * before 2050, RFC 5280 §5.1.2.6), reasonCode and invalidityDate extensions. The revocations in a CRL's range are
   * final (migration 0100's guard) and membership is by commit number, so the count and the pass see the same rows.
   */
  private async entryTally(caId: string, until: string, range: CommitRange): Promise<EntryTally> {
    // Code points, not collations: 56 is '8' (so 8, 9, A-F and a-f need the sign octet), and '2050' is compared octet by octet.
    const postgres = this.ca.store.dialect === 'postgres';
    const firstDigit = postgres ? sql`ascii(serial)` : sql`unicode(serial)`;
    const utc = postgres ? sql`revoked_at < '2050' collate "C"` : sql`revoked_at < '2050'`;
    const row = await this.entriesInRange(caId, until, range)
      .select([
        sql<string | number>`count(*)`.as('entries'),
        sql<string | number | null>`sum(length(serial))`.as('digits'),
        sql<string | number | null>`sum(length(serial) % 2)`.as('odd'),
        sql<string | number>`count(case when length(serial) % 2 = 0 and ${firstDigit} >= 56 then 1 end)`.as('signs'),
        sql<string | number>`count(case when ${utc} then 1 end)`.as('utc_times'),
        sql<string | number>`count(case when reason_code <> 0 then 1 end)`.as('reasons'),
        sql<string | number>`count(invalidity_date)`.as('invalidity_dates'),
        sql<string | number>`count(case when reason_code <> 0 then invalidity_date end)`.as('both'),
      ])
      .executeTakeFirstOrThrow();
    return {
      entries: Number(row.entries),
      // A serial of d hex digits takes ceil(d / 2) octets, one more with the sign octet.
      serialOctets: (Number(row.digits ?? 0) + Number(row.odd ?? 0)) / 2 + Number(row.signs),
      utcTimes: Number(row.utc_times),
      reasons: Number(row.reasons),
      invalidityDates: Number(row.invalidity_dates),
      both: Number(row.both),
    };
  }

  /** Writes the revoked, unexpired certificates of `caId` in the commit range into `out`, in serial order, a page at a time (afterPage after each); returns how many. */
  private async writeEntries(caId: string, until: string, range: CommitRange, out: DerSink, afterPage: (pageFull: boolean) => Promise<void>): Promise<number> {
    const encoder = new RevokedEntryEncoder();
    const shards = range.shards;
    const withClient = this.ca.store.withClient;
    if (withClient) return withClient((client) => this.copyEntries(client, caId, until, range, encoder, out, afterPage));
    const db = statusDb(this.ca.store);
    // Only the columns of the covering index in use: one more would make SQLite visit the table for every row.
    const entriesFrom = (after: string, afterShard: string) => {
      // The keyset before the shard range: SQLite then starts each page at the keyset in the partition index.
      const keyset = shards ? sql<boolean>`(crl_shard, serial) > (${afterShard}, ${after})` : sql<boolean>`serial > ${after}`;
      const query = this.entriesInRange(caId, until, range, keyset).select(['serial', 'revoked_at', 'reason_code', 'invalidity_date']);
      return shards ? query.orderBy('crl_shard').orderBy('serial') : query.orderBy('serial');
    };

    // Keyset pages, each aggregated by the database into one string (RevokedEntryEncoder.writeLine): an object per
    // row cost both drivers a young generation full of them. SQLite answers in this thread (nothing to overlap).
    const line = shards
      ? sql`e.serial || ' ' || e.revoked_at || ' ' || e.reason_code || ' ' || coalesce(e.invalidity_date, '-') || ' ' || e.crl_shard`
      : sql`e.serial || ' ' || e.revoked_at || ' ' || e.reason_code || ' ' || coalesce(e.invalidity_date, '-')`;
    const order = shards ? sql`e.crl_shard, e.serial` : sql`e.serial`;
    const pageRows = this.schedule.pageSize;
    const fetchPage = async (after: string, afterShard: string) => {
      const rows = entriesFrom(after, afterShard).limit(pageRows);
      const from = shards ? rows.select('crl_shard') : rows;
      // string_agg: SQLite's since 3.44 (with ORDER BY inside the aggregate).
      const { rows: pages } = await sql<{ page: string | null; n: number | string }>`
        select string_agg(${line}, ${'\n'} order by ${order}) as page, count(*) as n from (${from}) e`.execute(db);
      return { page: pages[0]?.page ?? null, n: Number(pages[0]?.n ?? 0) };
    };
    let count = 0;
    let after = '';
    let afterShard = shards ? shards.from : '';
    for (;;) {
      const { page, n } = await fetchPage(after, afterShard);
      if (page === null || n === 0) return count;
      let lines = 0;
      for (let at = 0; at < page.length; lines++) at = encoder.writeLine(page, at, out);
      if (lines !== n) throw new Error(`a CRL page of ${n} rows held ${lines} lines`);
      count += n;
      await afterPage(n === pageRows);
      if (n < pageRows) return count;
      // The last line's serial (and shard key) is where the next page starts.
      const last = page.slice(page.lastIndexOf('\n') + 1).split(' ');
      after = last[0]!;
      if (shards) afterShard = last[4]!;
    }
  }

  /**
   * PostgreSQL: the entries of writeEntries in one COPY TO STDOUT, their lines (RevokedEntryEncoder.writeLineOctets)
   * written from the octets as they arrive: no string, row or page buffer of node-postgres per page (those were
   * 62 MB of strings and 80 MB of parser buffers for a million entries, and the peak memory went with them).
   * afterPage after each schedule.pageSize lines (pageFull) and at the end; while it archives a piece the server
   * waits. Statistics taken before a mass revocation made the planner sort the rest of the list (42-82 s for a
   * million): the covering index gives the order, so this transaction never sorts and never collects row ids in a
   * bitmap first. COPY takes no parameters: the values are literals, quoted by node-postgres (escapeLiteral).
   */
  private async copyEntries(
    client: pg.PoolClient,
    caId: string,
    until: string,
    range: CommitRange,
    encoder: RevokedEntryEncoder,
    out: DerSink,
    afterPage: (pageFull: boolean) => Promise<void>,
  ): Promise<number> {
    const text = (value: string) => client.escapeLiteral(value);
    const integer = (value: number) => {
      if (!Number.isSafeInteger(value)) throw new Error(`${value} is not a revocation number`);
      return String(value);
    };
    const shards = range.shards;
    const where = [`issuer_ca_id = ${text(caId)}`, `commit_seq <= ${integer(range.through)}`, `not_after >= ${text(until)}`];
    if (range.after !== null) where.push(`commit_seq > ${integer(range.after)}`);
    if (shards) {
      where.push(`crl_shard >= ${text(shards.from)}`);
      if (shards.below !== null) where.push(`crl_shard < ${text(shards.below)}`);
    }
    const select =
      `SELECT serial || ' ' || revoked_at || ' ' || reason_code || ' ' || coalesce(invalidity_date, '-') FROM revocations ` +
      `WHERE ${where.join(' AND ')} ORDER BY ${shards ? 'crl_shard, ' : ''}serial`;
    const lines = new EntryLines(encoder, out);
    const pageRows = this.schedule.pageSize;
    let pageEnd = pageRows;
    const rows = await copyRowsOut(client, ['SET LOCAL enable_sort = off', 'SET LOCAL enable_bitmapscan = off'], select, {
      data: (chunk, start, end) => lines.write(chunk, start, end),
      afterChunk: () => {
        if (lines.lines < pageEnd) return;
        pageEnd = lines.lines + pageRows;
        return afterPage(true);
      },
    });
    lines.end();
    if (rows !== lines.lines) throw new Error(`the database sent ${rows} CRL entries, ${lines.lines} were written`);
    await afterPage(false);
    return rows;
  }

  private async highestNumber(caId: string): Promise<number> {
    const row = await statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .select((eb) => eb.fn.max('crl_number').as('n'))
      .where('issuer_ca_id', '=', caId)
      .executeTakeFirst();
    return row?.n === null || row?.n === undefined ? 0 : Number(row.n);
  }

  async latestSummary(caId: string, kind: CrlKind): Promise<CrlSummary | null> {
    const row = await statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .select(SUMMARY_COLUMNS)
      .where('issuer_ca_id', '=', caId)
      .where('kind', '=', kind)
      .where('partition_count', 'is', null)
      .orderBy('crl_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toSummary(row) : null;
  }

  /** The newest CRL of that kind, from memory when this node already holds those bytes. */
  async latest(caId: string, kind: CrlKind): Promise<PublishedCrl | null> {
    const summary = await this.latestSummary(caId, kind);
    if (!summary) return null;
    const cached = this.served.get(servedKey(caId, kind, null));
    if (cached && cached.crlNumber === summary.crlNumber) return cached;
    const published = await this.byNumber(caId, summary.crlNumber);
    if (published) this.served.set(servedKey(caId, kind, null), published);
    return published;
  }

  /** The newest CRL of a partition, from memory when this node already holds those bytes. */
  private async latestPartition(caId: string, partition: CrlPartition): Promise<PublishedCrl | null> {
    const row = await this.latestPartitionSummary(caId, partition);
    if (!row) return null;
    const key = servedKey(caId, 'full', partition);
    const cached = this.served.get(key);
    if (cached && cached.crlNumber === Number(row.crl_number)) return cached;
    const published = await this.byNumber(caId, Number(row.crl_number));
    if (published) this.served.set(key, published);
    return published;
  }

  private latestPartitionSummary(caId: string, partition: CrlPartition) {
    return statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .select(SUMMARY_COLUMNS)
      .where('issuer_ca_id', '=', caId)
      .where('partition_count', '=', partition.count)
      .where('partition_index', '=', partition.index)
      .orderBy('crl_number', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** What a relying party downloads from a partition's URL: its newest CRL, published afresh when there is none or it went stale. */
  async currentPartition(caId: string, partition: CrlPartition, actor = 'system:crl'): Promise<PublishedCrl> {
    if (!(await this.servesPartition(caId, partition))) {
      throw new SignetError('crl.no-such-partition', 404, { caId, count: partition.count, index: partition.index });
    }
    const latest = await this.latestPartition(caId, partition);
    if (latest && new Date(latest.nextUpdate).getTime() > this.ca.now().getTime()) return latest;
    return this.publish(caId, 'full', actor, { partition });
  }

  /**
   * What a relying party downloads: the newest CRL, published afresh when there is none or it went stale.
   * A root's CRL comes from its ceremony only: the newest archived one is served as it is (the health check
   * warns long before it goes stale).
   */
  async current(caId: string, kind: CrlKind, actor = 'system:crl'): Promise<PublishedCrl> {
    const role = (await this.ca.authority(caId)).role;
    // No delta is served where none is published (one left from before the setting changed would be stale).
    if (kind === 'delta' && !this.publishesDeltas(role)) throw new SignetError('crl.none-published', 404, { caId, kind });
    const latest = await this.latest(caId, kind);
    if (latest && new Date(latest.nextUpdate).getTime() > this.ca.now().getTime()) return latest;
    if (role === 'root') {
      if (latest) return latest;
      throw new SignetError('crl.none-published', 404, { caId, kind });
    }
    return this.publish(caId, kind, actor);
  }

  async byNumber(caId: string, crlNumber: number): Promise<PublishedCrl | null> {
    const row = await statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .selectAll()
      .where('issuer_ca_id', '=', caId)
      .where('crl_number', '=', crlNumber)
      .executeTakeFirst();
    return row ? { ...toSummary(row), der: await this.archivedDer(row) } : null;
  }

  /** R14: the full CRL in force at `at`: the newest one whose thisUpdate is not after it. */
  async inForceAt(caId: string, at: Date): Promise<PublishedCrl | null> {
    const row = await statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .selectAll()
      .where('issuer_ca_id', '=', caId)
      .where('kind', '=', 'full')
      .where('partition_count', 'is', null)
      .where('this_update', '<=', at.toISOString())
      .orderBy('this_update', 'desc')
      .orderBy('crl_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { ...toSummary(row), der: await this.archivedDer(row) } : null;
  }

  /** The partition whose URL (crlPartitionUrl) `uri` is, for `caId`; null for any other URI. */
  partitionNamedBy(caId: string, uri: string): CrlPartition | null {
    const prefix = `${this.publicUrl}/crl/${caId}/`;
    if (!uri.startsWith(prefix)) return null;
    const match = /^([1-9][0-9]{0,3})\/(0|[1-9][0-9]{0,3})\.crl$/.exec(uri.slice(prefix.length));
    if (!match) return null;
    const partition = { count: Number(match[1]), index: Number(match[2]) };
    return partition.index < partition.count && crlPartitionUrl(this.publicUrl, caId, partition.count, partition.index) === uri ? partition : null;
  }

  /** R14: the newest archived CRL of one partition whose thisUpdate is not after `at`. */
  async partitionInForceAt(caId: string, partition: CrlPartition, at: Date): Promise<PublishedCrl | null> {
    const row = await statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .selectAll()
      .where('issuer_ca_id', '=', caId)
      .where('partition_count', '=', partition.count)
      .where('partition_index', '=', partition.index)
      .where('this_update', '<=', at.toISOString())
      .orderBy('this_update', 'desc')
      .orderBy('crl_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { ...toSummary(row), der: await this.archivedDer(row) } : null;
  }

  async history(caId: string): Promise<CrlSummary[]> {
    const rows = await statusDb(this.ca.store)
      .selectFrom('crl_archive')
      .select(SUMMARY_COLUMNS)
      .where('issuer_ca_id', '=', caId)
      .orderBy('crl_number', 'asc')
      .execute();
    return rows.map(toSummary);
  }

  /**
   * The shard keys and commit numbers of this CA's revocations numbered above `through` (commit order, indexed):
   * what a CRL that read the counter at `through` does not list yet. Only revocations since the last round, so few.
   */
  private async shardsRevokedSince(caId: string, through: number): Promise<{ shard: string; seq: number }[]> {
    const rows = await statusDb(this.ca.store)
      .selectFrom('revocations')
      .select(['crl_shard', 'commit_seq'])
      .where('commit_seq', '>', through)
      .where('issuer_ca_id', '=', caId)
      .execute();
    return rows.map((r) => ({ shard: r.crl_shard ?? '0000', seq: Number(r.commit_seq) }));
  }

  /**
   * The scheduler's part: republish whatever is missing or within `marginMs` of its nextUpdate, and in CRL-only
   * mode whatever a revocation committed since it was read belongs on.
   */
  async publishDue(actor: string, marginMs: number): Promise<CrlSummary[]> {
    const published: CrlSummary[] = [];
    const now = this.ca.now().getTime();
    for (const authority of await this.ca.authorities()) {
      // The root's CRL is the ceremony's (root-ceremony.ts), never the scheduler's.
      if (authority.role === 'root') continue;
      const kinds: CrlKind[] = this.publishesDeltas(authority.role) ? ['full', 'delta'] : ['full'];
      for (const kind of kinds) {
        const latest = await this.latestSummary(authority.id, kind);
        const revokedSince = kind === 'full' && latest && this.schedule.afterRevocation && (await this.shardsRevokedSince(authority.id, latest.revocationsThrough)).length > 0;
        if (!latest || revokedSince || new Date(latest.nextUpdate).getTime() - marginMs <= now) {
          try {
            published.push(await this.publishArchived(authority.id, kind, actor));
          } catch (error) {
            // A root whose key went offline at its ceremony (docs/operations.md) has its CRL from a ceremony,
            // never from this scheduler; the issuing CAs' CRLs are published all the same.
            if (error instanceof SignetError && error.code === 'ca.root-key-offline') continue;
            throw error;
          }
        }
      }
      for (const count of this.schedule.partitions) {
        // One grouped query per count, not one per partition.
        const due = await statusDb(this.ca.store)
          .selectFrom('crl_archive')
          .select(['partition_index', (eb) => eb.fn.max('next_update').as('next_update'), (eb) => eb.fn.max('revocations_through').as('through')])
          .where('issuer_ca_id', '=', authority.id)
          .where('partition_count', '=', count)
          .groupBy('partition_index')
          .execute();
        const fresh = new Set(due.filter((r) => new Date(String(r.next_update)).getTime() - marginMs > now).map((r) => Number(r.partition_index)));
        if (this.schedule.afterRevocation && due.length > 0) {
          // Each partition's newest CRL read the counter at `through`: a revocation numbered above it, in its key range, is not on it.
          const through = new Map(due.map((r) => [Number(r.partition_index), Number(r.through ?? 0)]));
          for (const revoked of await this.shardsRevokedSince(authority.id, Math.min(...through.values()))) {
            const index = crlPartitionOf(revoked.shard, count);
            if (revoked.seq > (through.get(index) ?? 0)) fresh.delete(index);
          }
        }
        for (let index = 0; index < count; index++) {
          if (!fresh.has(index)) published.push(await this.publishArchived(authority.id, 'full', actor, { partition: { count, index } }));
        }
      }
    }
    return published;
  }
}

/**
 * Frees the memory of a piece of a CRL now rather than at the next garbage collection. A piece is a MiB held by
 * a small object: V8 only collects them once 64 MB of such memory has piled up, and the C allocator then keeps
 * that high-water mark, a third of a million-entry publication's memory. Only a piece that owns its whole
 * ArrayBuffer (never a slice of Node's shared pool of small buffers) is freed; the caller must be done with it.
 */
function releasePiece(piece: Buffer): void {
  const buffer = piece.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (piece.byteOffset === 0 && buffer.byteLength > Buffer.poolSize && typeof buffer.transfer === 'function') buffer.transfer(0);
}

/** releasePiece for a view into a buffer of its own (a CRL finished in place by TbsCertListWriter); the caller must be done with it. */
function releaseBuffer(view: Buffer): void {
  const buffer = view.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (buffer.byteLength > Buffer.poolSize && typeof buffer.transfer === 'function') buffer.transfer(0);
}

function servedKey(caId: string, kind: CrlKind, partition: CrlPartition | null): string {
  return partition ? `${caId}|${partition.count}/${partition.index}` : `${caId}|${kind}`;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** `crlInForceAt(caId, time)` as the evidence domain calls it (R14). */
export function crlInForceAt(publisher: CrlPublisher, caId: string, time: Date): Promise<PublishedCrl | null> {
  return publisher.inForceAt(caId, time);
}
