import { createHash, hash, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  TBSRequest,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { sql, type Kysely } from 'kysely';
import { AlgorithmIdentifier, Certificate, CRLReason, Extension, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { CertificateAuthority } from '../ca/authority.js';
import { DelegatedSigners, type DelegatedSigner } from '../ca/delegated-signers.js';
import { OID } from '../crypto/algorithms.js';
import { loadPublicKey } from '../crypto/public-key.js';
import { encodedOnce } from '../crypto/signed-structure.js';
import type { Signer } from '../crypto/signer.js';
import { secondsOnly, serialOctets } from './crl-encoding.js';
import { DEFAULT_OCSP_CACHE_SIZE, OcspResponseCache, type OcspCacheStats } from './ocsp-response-cache.js';
import { MalformedOcspRequest, parseOcspRequest, rfc5019Question, type OcspQuestion } from './ocsp-request.js';
import { ocspAnswerKey, ocspAnswerKeyOf } from './ocsp-answer-key.js';
import { checkResponderCertificate, lintOcspResponse, type CheckedResponderCertificate } from './ocsp-response-lint.js';
import { rootCeremonyResponse } from './root-ceremony.js';
import { lazyInsert } from '../store/lazy-commit.js';
import { statusDb, type RootOcspResponseTable, type StatusDatabase } from './schema.js';
import { wholeNumberFrom } from '../config/config-error.js';

/**
 * The OCSP responder (RFC 6960, RFC 5019 profile).
 *
 * Who answers: each issuing CA's delegated responder (id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck), named by key hash, its certificate attached. The
 * root CA stays offline and has no responder: questions about the
 * certificates it issued (the issuing CA certificates) get `unauthorized`,
 * and their status is published in the root's CRL instead (docs/status.md).
 *
 * Speed: a request without a nonce always gets the same bytes until they are
 * refreshed, so those are signed once, kept in memory (keyed by the request
 * bytes and by CertID) and in ocsp_responses (shared by every node), refreshed
 * before they go stale, and replaced the moment the certificate is revoked.
 */

export type OcspStatus = 'good' | 'revoked' | 'unknown';

export interface OcspReply {
  der: Buffer;
  responseStatus: OCSPResponseStatus;
  /** Present for successful responses that may be cached by HTTP caches (no nonce). */
  cache?: { thisUpdate: Date; nextUpdate: Date; etag: string; lastModified: string; expires: string };
}

export interface OcspOptions {
  /** How long a response stays valid (nextUpdate − thisUpdate). */
  validityMs: number;
  /** Re-sign when less than this is left. */
  refreshMarginMs: number;
  /** Most CertIDs in one request. */
  maxRequests: number;
  /** Most responses kept in memory (least recently used evicted first; SIGNET_OCSP_CACHE_SIZE). */
  maxCached: number;
  /** How often this node looks for revocations made on other nodes. */
  revocationPollMs: number;
  /**
   * Fresh signatures per second and CA for serials the CA never issued (RFC 6960 §2.2): anonymous traffic
   * cannot make the responder sign at will. Past it, `unauthorized` (unsigned; RFC 5019 §2.2.3).
   */
  unknownPerSecond: number;
  /**
   * Answers signed ahead per scheduler round (RFC 5019 style: the lease holder signs, every node serves bytes):
   * certificates nobody has asked about yet get their SHA-1 CertID answer stored, so a cold question is a lookup,
   * not a signature. 0: only what was asked is kept.
   */
  presignPerRound: number;
  /**
   * CRL-only mode (SIGNET_CRL_ONLY, docs/status.md): answer only for certificates whose AIA names this responder
   * (issued before the switch) while they are valid, `unauthorized` (RFC 6960 §2.3) for every other question,
   * and sign nothing ahead.
   */
  crlOnly: boolean;
  /**
   * The longest a question waits on the store (a stalled database, a table locked by an upgrade) before the
   * client is told `tryLater` (RFC 6960 §2.3, unsigned) rather than kept waiting: relying parties give up after
   * a few seconds anyway (Firefox's soft timeout is 2 s), and a prompt tryLater lets them decide at once.
   * SIGNET_OCSP_ANSWER_WITHIN_MS.
   */
  answerWithinMs: number;
  /**
   * The most cold answers (each needing store reads) in flight at once, counting those still reading after their
   * question was told tryLater. Past it, a question that would start another is told `tryLater` (RFC 6960 §2.3) at
   * once and nothing is queued: what a stalled store makes this node hold stays bounded, whatever the request rate
   * and the length of the stall. SIGNET_OCSP_PENDING_READS.
   */
  maxPendingReads: number;
}

export const DEFAULT_OCSP_OPTIONS: OcspOptions = {
  validityMs: 24 * 3_600_000,
  refreshMarginMs: 8 * 3_600_000,
  maxRequests: 50,
  maxCached: DEFAULT_OCSP_CACHE_SIZE,
  revocationPollMs: 1000,
  unknownPerSecond: 10,
  presignPerRound: 2_000,
  crlOnly: false,
  answerWithinMs: 1_500,
  maxPendingReads: 1_000,
};

/** SIGNET_OCSP_ANSWER_WITHIN_MS: how long a question may wait on the store before it is told tryLater (100–60000 ms). */
export function ocspAnswerWithinFrom(env: NodeJS.ProcessEnv): number {
  return wholeNumberFrom(env, 'SIGNET_OCSP_ANSWER_WITHIN_MS', { min: 100, max: 60_000, fallback: DEFAULT_OCSP_OPTIONS.answerWithinMs });
}

/** SIGNET_OCSP_PENDING_READS: the most cold OCSP answers waiting on the store at once (1–1000000). */
export function ocspPendingReadsFrom(env: NodeJS.ProcessEnv): number {
  return wholeNumberFrom(env, 'SIGNET_OCSP_PENDING_READS', { min: 1, max: 1_000_000, fallback: DEFAULT_OCSP_OPTIONS.maxPendingReads });
}

/** The responder's figures about its store reads, for /metrics. */
export interface OcspStoreStats {
  /** Cold answers reading the store now (some for questions already told tryLater). */
  reads: number;
  /** maxPendingReads. */
  limit: number;
  /** Questions told tryLater at once because `limit` reads were out. */
  refusals: number;
}

/** The store figures in the Prometheus text format (one node's view). */
export function ocspStoreMetrics(stats: OcspStoreStats): string {
  return [
    '# HELP signet_ocsp_store_reads Cold OCSP answers reading the store now (some for questions already told tryLater).',
    '# TYPE signet_ocsp_store_reads gauge',
    `signet_ocsp_store_reads ${stats.reads}`,
    '# HELP signet_ocsp_store_reads_limit The most cold OCSP answers reading the store at once (SIGNET_OCSP_PENDING_READS).',
    '# TYPE signet_ocsp_store_reads_limit gauge',
    `signet_ocsp_store_reads_limit ${stats.limit}`,
    '# HELP signet_ocsp_store_refusals_total OCSP questions told tryLater at once because the limit of store reads was out.',
    '# TYPE signet_ocsp_store_refusals_total counter',
    `signet_ocsp_store_refusals_total ${stats.refusals}`,
    '',
  ].join('\n');
}

/** What `SharedRead.within` gives when the store did not answer in time. */
const TOO_SLOW = Symbol('too slow');

const SHA1 = '1.3.14.3.2.26';

const HASHES: Record<string, { name: string; length: number }> = {
  [SHA1]: { name: 'sha1', length: 20 },
  [OID.sha256]: { name: 'sha256', length: 32 },
  [OID.sha384]: { name: 'sha384', length: 48 },
  [OID.sha512]: { name: 'sha512', length: 64 },
  // GM/T 0015 clients name the issuer by SM3 hashes (issue 8).
  [OID.sm3]: { name: 'sm3', length: 32 },
};

/**
 * One store read that any number of questions wait on, each for at most its own deadline. A question that gives up
 * leaves nothing behind (it is taken out of `waiting`): a stalled read holds itself, not one callback for every
 * question that ever asked. `settled` runs first, before the waiting questions are answered.
 */
class SharedRead<T> {
  private readonly waiting = new Set<(outcome: { value: T } | { error: unknown }) => void>();
  private outcome: { value: T } | { error: unknown } | undefined;

  constructor(work: Promise<T>, settled?: () => void) {
    const settle = (outcome: { value: T } | { error: unknown }) => {
      this.outcome = outcome;
      settled?.();
      for (const answer of this.waiting) answer(outcome);
      this.waiting.clear();
    };
    // Handled here whoever still waits: a rejection after every question gave up is dropped, never unhandled.
    work.then((value) => settle({ value }), (error: unknown) => settle({ error }));
  }

  /** The read's result, or TOO_SLOW once `ms` have passed. One promise and one timer per question. */
  within(ms: number): Promise<T | typeof TOO_SLOW> {
    return new Promise((resolve, reject) => {
      const answer = (outcome: { value: T } | { error: unknown }) => {
        clearTimeout(timer);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(answer);
        resolve(TOO_SLOW);
      }, ms);
      if (this.outcome) answer(this.outcome);
      else this.waiting.add(answer);
    });
  }
}

/** SHA-1 with NULL parameters, byte for byte as OpenSSL and RFC 5019 clients write it in a CertID. */
const SHA1_WITH_NULL = () => AsnConvert.parse(Buffer.from('300906052b0e03021a0500', 'hex'), AlgorithmIdentifier);

/** Most CertIDs in one batched read of stored answers (PostgreSQL). */
const STORED_READS_PER_BATCH = 256;

/** Revocations applied per query when catching up (a node back from a long pause, a mass revocation). */
const REVOCATIONS_PER_LOOK = 10_000;

interface CachedResponse {
  der: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
  refreshAt: number;
  etag: string;
  /** HTTP dates, formatted once rather than per request. */
  lastModified: string;
  expires: string;
  serials: string[];
  certIds: string[];
  requestKeys: Set<string>;
  refreshing?: Promise<void>;
  /** The revocation number this node had seen when the statuses were read (docs/status.md, "Commit order"). */
  asOf: number;
}

/** A stored answer as storedEntry reads it, with the serial of a revocation of its certificate if there is one. */
interface StoredRow {
  serial: string;
  status: string;
  this_update: string;
  next_update: string;
  etag: string | null;
  der: Buffer;
  revoked: string | null;
}

interface AnsweredCertId {
  certId: CertID;
  hex: string;
  serial: string;
}

/**
 * What every answer of one responder repeats, made once per responder key: its name by key hash, its certificate and
 * algorithm marked with their DER (copied into each answer, not encoded again), the CA certificate, and for the lint
 * the imported key and the findings about the responder certificate (ocsp-response-lint.ts checkResponderCertificate).
 */
interface PreparedResponder {
  certificateDer: Buffer;
  issuerCertificate: Buffer;
  responderId: ResponderID;
  certificate: Certificate;
  signatureAlgorithm: AlgorithmIdentifier;
  signatureAlgorithmDer: Uint8Array;
  signerKey: KeyObject | undefined;
  checked: CheckedResponderCertificate;
}

/** storedAnswer read the store for the question's CertID just now and found no fresh answer (a PostgreSQL round trip saved). */
const NONE_STORED = Symbol('none stored');

class OcspRefusal extends Error {
  constructor(readonly status: OCSPResponseStatus, why: string) {
    super(why);
  }
}

/** RFC 6960 §2.3: the responder cannot answer now (no recent look at the revocations, the store too slow). */
function tryLater(): OcspReply {
  return { der: ocspErrorResponse(OCSPResponseStatus.tryLater), responseStatus: OCSPResponseStatus.tryLater };
}

const errorResponses = new Map<OCSPResponseStatus, Buffer>();
/** An unsigned OCSPResponse with only an error status (RFC 6960 §4.2.1). */
export function ocspErrorResponse(status: OCSPResponseStatus): Buffer {
  let der = errorResponses.get(status);
  if (!der) {
    der = Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
    errorResponses.set(status, der);
  }
  return der;
}

export class OcspResponder {
  private readonly cache: OcspResponseCache<CachedResponse>;
  private issuerHashes: Map<string, string> | null = null;
  private issuersLoadedAt = 0;
  /** Every revocation numbered up to this has been applied to this node's responses; null before the first look. */
  private revocationsSeenThrough: number | null = null;
  /** When (monotonic ms) the last completed look at the revocations began: its knowledge is that old. */
  private lastPollStarted = Number.NEGATIVE_INFINITY;
  private polling: Promise<void> | null = null;
  /** `polling` as questions wait on it, each for at most answerWithinMs. */
  private look: SharedRead<void> | null = null;
  private readonly options: OcspOptions;

  private readonly signers: DelegatedSigners;

  constructor(
    private readonly ca: CertificateAuthority,
    options: Partial<OcspOptions> = {},
    signers?: DelegatedSigners,
  ) {
    this.options = { ...DEFAULT_OCSP_OPTIONS, ...options };
    this.signers = signers ?? new DelegatedSigners(ca);
    this.cache = new OcspResponseCache(this.options.maxCached);
  }

  /** The in-memory cache's size, limit, hits, misses and evictions (for /metrics). */
  cacheStats(): OcspCacheStats {
    return this.cache.stats();
  }

  /** Cold answers in flight, by request bytes (base64): at most maxPendingReads, identical questions share one. */
  private readonly coldReads = new Map<string, SharedRead<OcspReply>>();
  /** Questions told tryLater at once because maxPendingReads cold answers were out. */
  private storeRefusals = 0;

  /** Cold answers reading the store, their bound and the questions refused at it (for /metrics). */
  storeStats(): OcspStoreStats {
    return { reads: this.coldReads.size, limit: this.options.maxPendingReads, refusals: this.storeRefusals };
  }

  /**
   * Answers one DER OCSPRequest. Never throws for anything the client sent:
   * garbage gets malformedRequest, a CA we do not answer for gets
   * unauthorized (RFC 6960 §2.3).
   */
  async respond(request: Buffer): Promise<OcspReply> {
    const now = this.ca.now();
    try {
      // Looked at recently (nearly always): no promise to wait on, as on the hot path every microtask counts.
      // Without a recent look at the revocations, a cached "good" might be stale: the client asks again later.
      // The look is one read shared by every question (never more than one out): waiting on it queues nothing.
      if (!this.revocationsLookedAtRecently()) {
        void this.syncRevocations();
        if ((await this.look!.within(this.options.answerWithinMs)) === TOO_SLOW) return tryLater();
      }
    } catch {
      return tryLater();
    }
    const key = request.toString('base64');
    const cached = this.cache.lookup(key, (entry) => now.getTime() < entry.nextUpdate.getTime());
    if (cached) {
      if (now.getTime() >= cached.refreshAt) this.refreshInBackground(cached);
      return this.replyFor(cached);
    }
    // The same question already out: wait on its answer, adding no read. A question left waiting gives up its place
    // after answerWithinMs; the answer goes on in the background (stored and cached when the store comes back).
    let cold = this.coldReads.get(key);
    if (!cold) {
      // RFC 6960 §2.3: past the bound, tryLater at once, with nothing queued (the store is stalled or saturated).
      if (this.coldReads.size >= this.options.maxPendingReads) {
        this.storeRefusals += 1;
        return tryLater();
      }
      const read = new SharedRead(this.coldAnswer(request, key, now), () => {
        if (this.coldReads.get(key) === read) this.coldReads.delete(key);
      });
      this.coldReads.set(key, read);
      cold = read;
    }
    const answer = await cold.within(this.options.answerWithinMs);
    return answer === TOO_SLOW ? tryLater() : answer;
  }

  private async coldAnswer(request: Buffer, key: string, now: Date): Promise<OcspReply> {
    const stored = await this.storedAnswer(request, key, now);
    if (stored && stored !== NONE_STORED) return stored;
    try {
      return await this.answer(request, key, now, stored === NONE_STORED);
    } catch (error) {
      if (error instanceof OcspRefusal) return { der: ocspErrorResponse(error.status), responseStatus: error.status };
      throw error;
    }
  }

  /**
   * A cold question in the form RFC 5019 clients send, answered from ocsp_responses (signed ahead by
   * presignCold, or asked before on any node) with one indexed query and no parse of the request: what keeps
   * random serials across a large population near the rate of one hot serial. null when the request has
   * another form or there is no fresh stored answer: answer() then reads it in full (and signs if need be).
   */
  private async storedAnswer(request: Buffer, key: string, now: Date): Promise<OcspReply | typeof NONE_STORED | null> {
    const question = rfc5019Question(request);
    if (!question) return null;
    const caId = (this.issuerHashes ?? (await this.issuerTable(false))).get(hashKey(SHA1, question.nameHash, question.keyHash));
    if (!caId) return null;
    const memory = this.cache.byCertId(question.certIdHex);
    const entry = memory && now.getTime() < memory.refreshAt ? memory : await this.storedEntry(question.certIdHex, now, request.subarray(8));
    // Nothing fresh in memory or in the store: answer() signs without reading the store again for the same CertID.
    if (!entry) return NONE_STORED;
    // Read just now with the revocations committed so far and none applied here since: served as read, and kept
    // only from the second question about this CertID on (the cache's admission, ocsp-response-cache.ts).
    if (entry !== memory && entry.asOf === (this.revocationsSeenThrough ?? 0) && this.cache.firstSight(request.subarray(8))) return this.replyFor(entry);
    if (!(await this.rememberIfCurrent(entry, key))) return null;
    return this.replyFor(entry);
  }

  /** Answers signed in one round share their times: their Date and HTTP forms are made once, not per question. */
  private readonly httpDates = new HttpDates();

  /** The read behind storedEntry, compiled once: the builder (and on the hot path, Kysely's driver) costs more than the lookup. */
  private storedRead: ((parameters: readonly unknown[]) => Promise<StoredRow | undefined>) | null = null;
  /** PostgreSQL: the same read for a batch of CertIDs (`= any($1)`). */
  private storedReadBatch: ((parameters: readonly unknown[]) => Promise<Array<StoredRow & { cert_id: string }>>) | null = null;
  /** PostgreSQL: CertIDs asked about while a batch is out, with who waits for each; sent together when it returns. */
  private readonly waitingReads = new Map<string, { key: string; waiting: Array<{ resolve: (row: StoredRow | undefined) => void; reject: (error: unknown) => void }> }>();
  private batchOut = false;

  /**
   * The stored answer for a CertID with the serial of any revocation of its certificate. SQLite: one synchronous
   * read. PostgreSQL: a round trip costs both processes far more than the lookup (protocol, pool, executor start),
   * so at most one read is out at a time and the questions that arrive meanwhile go together in the next one; an
   * idle responder still sends a lone question at once.
   */
  private readStored(certIdHex: string, certIdDer: Uint8Array): Promise<StoredRow | undefined> {
    const select = () =>
      statusDb(this.ca.store)
        .selectFrom('ocsp_responses as o')
        .leftJoin('revocations as r', 'r.serial', 'o.serial')
        .select(['o.serial', 'o.status', 'o.this_update', 'o.next_update', 'o.etag', 'o.der', 'r.serial as revoked']);
    const key = ocspAnswerKey(certIdDer);
    if (this.ca.store.dialect !== 'postgres') {
      // By rowid (one B-tree descent), and the CertID itself compared: a second CertID of the same hash is not this one.
      this.storedRead ??= this.ca.store.pointRead<StoredRow>('signet_ocsp_stored_answer', select().where('o.id', '=', '').where('o.cert_id', '=', '').compile().sql);
      return this.storedRead([key, certIdHex]);
    }
    this.storedReadBatch ??= this.ca.store.pointReadAll<StoredRow & { cert_id: string }>(
      'signet_ocsp_stored_answers',
      select().select('o.cert_id').where(sql<boolean>`o.id = any(${sql.val([] as string[])}::bigint[])`).compile().sql,
    );
    return new Promise((resolve, reject) => {
      const asked = this.waitingReads.get(certIdHex);
      if (asked) asked.waiting.push({ resolve, reject });
      else this.waitingReads.set(certIdHex, { key: key.toString(), waiting: [{ resolve, reject }] });
      if (!this.batchOut) void this.sendBatches();
    });
  }

  private async sendBatches(): Promise<void> {
    this.batchOut = true;
    try {
      while (this.waitingReads.size > 0) {
        const batch = [...this.waitingReads].slice(0, STORED_READS_PER_BATCH);
        for (const [certIdHex] of batch) this.waitingReads.delete(certIdHex);
        try {
          const rows = await this.storedReadBatch!([[...new Set(batch.map(([, asked]) => asked.key))]]);
          // Found by key, kept only for its own CertID.
          const found = new Map(rows.map((row) => [row.cert_id, row]));
          for (const [certIdHex, { waiting }] of batch) for (const { resolve } of waiting) resolve(found.get(certIdHex));
        } catch (error) {
          for (const [, { waiting }] of batch) for (const { reject } of waiting) reject(error);
        }
      }
    } finally {
      this.batchOut = false;
    }
  }

  /**
   * A fresh stored answer for the CertID, with whether its certificate has been revoked since it was signed,
   * in one round trip. A "good" stored before a revocation another process made is never handed out again.
   * Read through the store's pointRead (a read-only connection on SQLite, a prepared statement on PostgreSQL):
   * committed rows only, so an answer or a revocation still inside a transaction is not seen, as on another node.
   */
  private async storedEntry(certIdHex: string, now: Date, certIdDer: Uint8Array = Buffer.from(certIdHex, 'hex')): Promise<CachedResponse | null> {
    const asOf = this.revocationsSeenThrough ?? 0;
    const row = await this.readStored(certIdHex, certIdDer);
    if (!row || (row.status !== 'revoked' && row.revoked !== null)) return null;
    return this.entryFromRow(row, certIdHex, now, asOf);
  }

  private entryFromRow(row: { serial: string; this_update: string; next_update: string; etag: string | null; der: Buffer }, certIdHex: string, now: Date, asOf: number): CachedResponse | null {
    const next = this.httpDates.of(row.next_update);
    const refreshAt = next.date.getTime() - this.options.refreshMarginMs;
    if (now.getTime() >= refreshAt) return null;
    const current = this.httpDates.of(row.this_update);
    return {
      der: row.der,
      thisUpdate: current.date,
      nextUpdate: next.date,
      refreshAt,
      etag: row.etag ?? etagOf(row.der),
      lastModified: current.http,
      expires: next.http,
      serials: [row.serial],
      certIds: [certIdHex],
      requestKeys: new Set(),
      asOf,
    };
  }

  private replyFor(entry: CachedResponse): OcspReply {
    return {
      der: entry.der,
      responseStatus: OCSPResponseStatus.successful,
      cache: { thisUpdate: entry.thisUpdate, nextUpdate: entry.nextUpdate, etag: entry.etag, lastModified: entry.lastModified, expires: entry.expires },
    };
  }

  private async answer(request: Buffer, key: string, now: Date, noneStored = false): Promise<OcspReply> {
    const { certIds, nonce } = parseRequest(request, this.options.maxRequests);

    const issuers = new Set<string>();
    const answered: AnsweredCertId[] = [];
    for (const certId of certIds) {
      const hash = HASHES[certId.hashAlgorithm.algorithm];
      if (!hash) throw new OcspRefusal(OCSPResponseStatus.malformedRequest, `hash algorithm ${certId.hashAlgorithm.algorithm} is not supported`);
      if (certId.issuerNameHash.byteLength !== hash.length || certId.issuerKeyHash.byteLength !== hash.length) {
        throw new OcspRefusal(OCSPResponseStatus.malformedRequest, 'issuer hashes do not have the length of their algorithm');
      }
      const caId = await this.issuerOf(certId);
      if (!caId) throw new OcspRefusal(OCSPResponseStatus.unauthorized, 'not a CA this responder answers for');
      issuers.add(caId);
      const serialBytes = Buffer.from(certId.serialNumber);
      answered.push({ certId, hex: Buffer.from(AsnConvert.serialize(certId)).toString('hex'), serial: serialHex(serialBytes) });
    }
    // One response has one signer: all questions must be about certificates of one CA.
    if (issuers.size !== 1) throw new OcspRefusal(OCSPResponseStatus.unauthorized, 'CertIDs of several CAs in one request');
    const caId = [...issuers][0]!;
    const responder = await this.responderFor(caId);
    if (!responder) {
      // The root stays offline: what its ceremony signed is served as it is (any nonce unanswered, RFC 5019 §2.2.1).
      const ceremony = answered.length === 1 ? await rootCeremonyResponse(this.ca, answered[0]!.hex, now) : null;
      if (ceremony) return this.replyFor(ceremonyEntry(ceremony));
      throw new OcspRefusal(OCSPResponseStatus.unauthorized, `CA ${caId} has no OCSP responder`);
    }

    if (this.options.crlOnly && !(await this.allNameOcsp(caId, answered, now))) {
      throw new OcspRefusal(OCSPResponseStatus.unauthorized, 'CRL-only: no certificate asked about names this responder');
    }
    if (!nonce && answered.length === 1 && !noneStored) {
      const shared = await this.sharedResponse(answered[0]!.hex, now);
      if (shared && (await this.rememberIfCurrent(shared, key))) return this.replyFor(shared);
    }
    const entry = await this.sign(caId, responder, answered, nonce, now);
    // Nothing about serials we never issued is kept: anyone could fill the cache and the table with them.
    if (nonce || entry.statuses.includes('unknown')) {
      return { der: entry.der, responseStatus: OCSPResponseStatus.successful };
    }
    if (answered.length === 1) await this.store(entry, caId, answered[0]!);
    // A revocation committed while this was signed is answered from the next request on, never from the cache.
    if (!(await this.rememberIfCurrent(entry, key))) return { der: entry.der, responseStatus: OCSPResponseStatus.successful };
    return this.replyFor(entry);
  }

  /**
   * CRL-only mode: whether every serial asked about is a certificate of `caId`, still valid, whose AIA names this
   * responder (certificates.names_ocsp). A serial never issued is not one: a CRL-only CA states nothing by OCSP.
   */
  private async allNameOcsp(caId: string, answered: AnsweredCertId[], now: Date): Promise<boolean> {
    const serials = [...new Set(answered.map((a) => a.serial))];
    const named = await statusDb(this.ca.store)
      .selectFrom('certificates')
      .select('serial')
      .where('serial', 'in', serials)
      .where('issuer_ca_id', '=', caId)
      .where('names_ocsp', '=', 1)
      .where('not_after', '>', now.toISOString())
      .execute();
    return named.length === serials.length;
  }

  /** A token bucket per CA (at most `unknownPerSecond` held, refilled continuously) for "unknown" answers. */
  private readonly unknownBuckets = new Map<string, { tokens: number; at: number }>();

  private takeUnknownToken(caId: string, now: Date): boolean {
    const rate = this.options.unknownPerSecond;
    const bucket = this.unknownBuckets.get(caId) ?? { tokens: rate, at: now.getTime() };
    const elapsed = Math.max(0, now.getTime() - bucket.at);
    bucket.tokens = Math.min(rate, bucket.tokens + (elapsed / 1000) * rate);
    bucket.at = now.getTime();
    this.unknownBuckets.set(caId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private async sign(
    caId: string,
    responder: DelegatedSigner,
    answered: AnsweredCertId[],
    nonce: Extension | undefined,
    now: Date,
  ): Promise<CachedResponse & { statuses: OcspStatus[] }> {
    // Taken before the statuses are read: a revocation this node learns of later, numbered above it, may be missing.
    const asOf = this.revocationsSeenThrough ?? 0;
    const thisUpdate = secondsOnly(now.toISOString());
    const nextUpdate = new Date(thisUpdate.getTime() + this.options.validityMs);
    const statuses: OcspStatus[] = [];
    const responses: SingleResponse[] = [];
    for (const question of answered) {
      const { status, certStatus } = await this.statusOf(caId, question.serial);
      statuses.push(status);
      responses.push(new SingleResponse({ certID: question.certId, certStatus, thisUpdate, nextUpdate }));
    }
    if (statuses.includes('unknown') && !this.takeUnknownToken(caId, now)) {
      throw new OcspRefusal(OCSPResponseStatus.unauthorized, 'too many questions about serials this CA never issued');
    }
    const prepared = await this.prepared(caId, responder);
    const data = new ResponseData({
      responderID: prepared.responderId,
      producedAt: thisUpdate,
      responses,
      responseExtensions: nonce ? [new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: nonce.extnValue })] : undefined,
    });
    const tbs = Buffer.from(AsnConvert.serialize(data));
    const signature = await responder.signer.sign(tbs);
    const basic = new BasicOCSPResponse({
      // The bytes just signed go out as they are, not encoded from the objects a second time.
      tbsResponseData: encodedOnce(data, tbs),
      signatureAlgorithm: prepared.signatureAlgorithm,
      signature: new Uint8Array(signature).buffer,
      certs: [prepared.certificate],
    });
    const der = Buffer.from(
      AsnConvert.serialize(
        new OCSPResponse({
          responseStatus: OCSPResponseStatus.successful,
          responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
        }),
      ),
    );
    // Lint before release (issue 15): a response that breaks RFC 6960 is never served, cached or stored. Every
    // answer's own bytes are read and its signature verified; only the responder certificate's contents are checked
    // once per responder (its validity period every time).
    const findings = lintOcspResponse(der, {
      signerPublicKeyInfo: responder.signer.publicKeyInfo,
      signatureAlgorithm: prepared.signatureAlgorithmDer,
      distinguishingId: responder.signer.distinguishingId,
      responderCertificate: responder.certificateDer,
      checkedResponder: prepared.checked,
      signerKey: prepared.signerKey,
      issuerCertificate: prepared.issuerCertificate,
      certIds: answered.map((a) => Buffer.from(a.hex, 'hex')),
      nonce: nonce ? new Uint8Array(nonce.extnValue.buffer) : undefined,
      now,
    });
    if (findings.length > 0) {
      console.error(`OCSP response of CA ${caId} withheld, it failed the RFC 6960 checks: ${findings.join('; ')}`);
      throw new OcspRefusal(OCSPResponseStatus.internalError, findings.join('; '));
    }
    return {
      der,
      thisUpdate,
      nextUpdate,
      refreshAt: nextUpdate.getTime() - this.options.refreshMarginMs,
      etag: etagOf(der),
      lastModified: thisUpdate.toUTCString(),
      expires: nextUpdate.toUTCString(),
      serials: answered.map((a) => a.serial),
      certIds: answered.map((a) => a.hex),
      requestKeys: new Set(),
      statuses,
      asOf,
    };
  }

  /** Per responder key (the keyring keeps one Signer per key): a rollover's new key is prepared afresh, a retired one let go. */
  private readonly preparedResponders = new WeakMap<Signer, PreparedResponder>();

  private async prepared(caId: string, responder: DelegatedSigner): Promise<PreparedResponder> {
    const known = this.preparedResponders.get(responder.signer);
    // The same key with another certificate (re-certified) is prepared again: the lint must see the one attached.
    if (known && known.certificateDer.equals(responder.certificateDer)) return known;
    const signer = responder.signer;
    // CA rows never change once written: the CA certificate is read once per responder.
    const issuerCertificate = (await this.ca.authority(caId)).certificateDer;
    const spki = AsnConvert.parse(signer.publicKeyInfo, SubjectPublicKeyInfo);
    const signatureAlgorithmDer = new Uint8Array(AsnConvert.serialize(signer.signatureAlgorithm));
    const prepared: PreparedResponder = {
      certificateDer: responder.certificateDer,
      issuerCertificate,
      // RFC 5019 §2.2.3: byKey, the SHA-1 of the responder's public key.
      responderId: encodedOnce(new ResponderID({ byKey: new KeyHash(createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest()) })),
      certificate: encodedOnce(AsnConvert.parse(responder.certificateDer, Certificate), responder.certificateDer),
      signatureAlgorithm: encodedOnce(AsnConvert.parse(signatureAlgorithmDer, AlgorithmIdentifier), signatureAlgorithmDer),
      signatureAlgorithmDer,
      signerKey: importedKey(signer, spki),
      checked: checkResponderCertificate(responder.certificateDer, issuerCertificate, signer.publicKeyInfo),
    };
    this.preparedResponders.set(signer, prepared);
    return prepared;
  }

  /** good if we issued it and it is not revoked, revoked with time and reason, unknown if we never issued it. */
  private async statusOf(caId: string, serial: string): Promise<{ status: OcspStatus; certStatus: CertStatus }> {
    // One read (one round trip on PostgreSQL) for the revocation and the certificate; from the serial asked, so a
    // revocation is found even where the certificate row is gone. Committed rows only, read after the caller's asOf.
    const row = await statusDb(this.ca.store)
      .selectFrom(sql<{ serial: string }>`(select cast(${serial} as text) as serial)`.as('q'))
      .leftJoin('revocations as r', 'r.serial', 'q.serial')
      .leftJoin('certificates as c', 'c.serial', 'q.serial')
      .select(['r.issuer_ca_id as revoked_by', 'r.revoked_at', 'r.reason_code', 'c.issuer_ca_id as issued_by'])
      .executeTakeFirst();
    if (row?.revoked_by === caId && row.revoked_at !== null && row.reason_code !== null) {
      const code = Number(row.reason_code);
      return {
        status: 'revoked',
        certStatus: new CertStatus({
          revoked: new RevokedInfo({
            revocationTime: secondsOnly(row.revoked_at),
            // RFC 5280 §5.3.1: unspecified is better left out than stated.
            revocationReason: code === 0 ? undefined : new CRLReason(code),
          }),
        }),
      };
    }
    if (row?.issued_by === caId) return { status: 'good', certStatus: new CertStatus({ good: null }) };
    return { status: 'unknown', certStatus: new CertStatus({ unknown: null }) };
  }

  /** A response another node (or an earlier run) already signed and stored, if still fresh. */
  private async sharedResponse(certIdHex: string, now: Date): Promise<CachedResponse | null> {
    const memory = this.cache.byCertId(certIdHex);
    if (memory && now.getTime() < memory.refreshAt) return memory;
    return this.storedEntry(certIdHex, now);
  }

  private async store(entry: CachedResponse & { statuses: OcspStatus[] }, caId: string, question: AnsweredCertId): Promise<void> {
    const values = {
      id: ocspAnswerKeyOf(question.hex),
      cert_id: question.hex,
      serial: question.serial,
      issuer_ca_id: caId,
      status: entry.statuses[0]!,
      this_update: entry.thisUpdate.toISOString(),
      next_update: entry.nextUpdate.toISOString(),
      etag: entry.etag,
      der: entry.der,
    };
    // The key's slot: a CertID of the same hash (never seen in practice) gives way, and is signed again when asked.
    const { id: _key, ...update } = values;
    // A copy of what the certificates and revocations tables say, which were committed durably before anyone could
    // be told: lost in a crash, it is signed again (a stale "good" is never served: storedEntry joins revocations).
    // So its commit does not wait for the disk, which was most of an on-demand answer's wall time (docs/status.md).
    await lazyInsert(this.ca.store, (db: Kysely<StatusDatabase>) => db.insertInto('ocsp_responses').values(values).onConflict((oc) => oc.column('id').doUpdateSet(update)));
  }

  /**
   * Keeps `entry` unless a revocation this node has already applied (numbered
   * above the entry's asOf) concerns one of its certificates: that one came
   * too late to invalidate an entry not yet in the cache. The check and the
   * keeping happen with no turn of the event loop between them.
   */
  private async rememberIfCurrent(entry: CachedResponse, requestKey: string): Promise<boolean> {
    while (this.revocationsSeenThrough !== null && entry.asOf < this.revocationsSeenThrough) {
      const through = this.revocationsSeenThrough;
      const later = await statusDb(this.ca.store)
        .selectFrom('revocations')
        .select('serial')
        .where('serial', 'in', entry.serials)
        .where('commit_seq', '>', entry.asOf)
        .executeTakeFirst();
      if (later) return false;
      entry.asOf = through;
    }
    this.cache.add(entry, requestKey);
    return true;
  }

  /** Re-signs one cached response in place (same request forms, fresh times or new status). */
  private async resign(entry: CachedResponse): Promise<void> {
    const requestKey = entry.requestKeys.values().next().value;
    if (requestKey === undefined) return;
    const request = Buffer.from(requestKey, 'base64');
    const now = this.ca.now();
    const answered = parseRequest(request, this.options.maxRequests).certIds.map((certId) => ({
      certId,
      hex: Buffer.from(AsnConvert.serialize(certId)).toString('hex'),
      serial: serialHex(Buffer.from(certId.serialNumber)),
    }));
    const caId = await this.issuerOf(answered[0]!.certId);
    const responder = caId ? await this.responderFor(caId) : null;
    if (!caId || !responder) return;
    const fresh = await this.sign(caId, responder, answered, undefined, now);
    if (answered.length === 1) await this.store(fresh, caId, answered[0]!);
    for (const k of entry.requestKeys) fresh.requestKeys.add(k);
    const keys = [...fresh.requestKeys];
    if (!(await this.rememberIfCurrent(fresh, keys[0]!))) {
      // Signed just as a revocation landed: the old entry stays, marked stale, and the next request signs afresh.
      entry.refreshAt = 0;
      entry.nextUpdate = new Date(0);
      return;
    }
    for (const k of keys.slice(1)) this.cache.add(fresh, k);
  }

  private refreshInBackground(entry: CachedResponse): void {
    if (entry.refreshing) return;
    entry.refreshing = this.resign(entry).catch(() => {
      // Still valid bytes are served meanwhile; the next request tries again.
      entry.refreshing = undefined;
    });
  }

  /**
   * Called right after a revocation: every response about the certificate is
   * re-signed now, in memory and in the shared table, so that no client is
   * told "good" again (R7: effective in OCSP at once).
   */
  async revoked(serial: string): Promise<void> {
    const entries = this.cache.bySerial(serial);
    const stored = await statusDb(this.ca.store).selectFrom('ocsp_responses').select('cert_id').where('serial', '=', serial).execute();
    await statusDb(this.ca.store).deleteFrom('ocsp_responses').where('serial', '=', serial).execute();
    for (const entry of entries) {
      entry.refreshAt = 0;
      entry.nextUpdate = new Date(0);
      await this.resign(entry);
    }
    // Responses stored by other nodes that this one never held: sign them afresh from their CertID.
    for (const { cert_id } of stored) {
      if ((this.cache.byCertId(cert_id)?.nextUpdate.getTime() ?? 0) > 0) continue;
      const certId = AsnConvert.parse(Buffer.from(cert_id, 'hex'), CertID);
      const request = Buffer.from(AsnConvert.serialize(requestFor([certId])));
      await this.respond(request);
    }
  }

  /**
   * Revocations made on other nodes (docs/status.md, "Commit order"): before
   * answering, this node makes sure its last look at the revocations began at
   * most `revocationPollMs` ago, and looks again (once, for all waiting
   * requests) if not. So an answer given at time t reflects every revocation
   * committed, on any node, before t − revocationPollMs.
   */
  private revocationsLookedAtRecently(): boolean {
    return performance.now() - this.lastPollStarted <= this.options.revocationPollMs;
  }

  /**
   * Applies the revocations numbered above the last one this node applied,
   * in commit order: one indexed query. Revocation numbers follow commit
   * order, so what one query returns is every revocation committed before it
   * ran and nothing is skipped; no clock of any machine is compared.
   */
  syncRevocations(): Promise<void> {
    if (this.polling) return this.polling;
    const started = performance.now();
    this.polling = this.applyRevocationsSince()
      .then(() => {
        this.lastPollStarted = started;
      })
      .finally(() => {
        this.polling = null;
        this.look = null;
      });
    this.look = new SharedRead(this.polling);
    return this.polling;
  }

  private async applyRevocationsSince(): Promise<void> {
    const db = statusDb(this.ca.store);
    if (this.revocationsSeenThrough === null) {
      // The first look: nothing is cached yet, only the starting point is needed.
      const row = await db.selectFrom('status_counters').select('value').where('name', '=', 'revocations').executeTakeFirst();
      this.revocationsSeenThrough = Number(row?.value ?? 0);
      return;
    }
    for (;;) {
      const seen: number = this.revocationsSeenThrough;
      const rows = await db
        .selectFrom('revocations')
        .select(['serial', 'commit_seq'])
        .where('commit_seq', '>', seen)
        .orderBy('commit_seq')
        .limit(REVOCATIONS_PER_LOOK)
        .execute();
      for (const row of rows) {
        const number = Number(row.commit_seq);
        for (const entry of this.cache.bySerial(row.serial)) {
          if (entry.asOf < number) {
            entry.refreshAt = 0;
            entry.nextUpdate = new Date(0);
          }
        }
      }
      if (rows.length > 0) this.revocationsSeenThrough = Math.max(seen, Number(rows[rows.length - 1]!.commit_seq));
      if (rows.length < REVOCATIONS_PER_LOOK) return;
    }
  }

  /** The scheduler's part: re-sign stored responses that would go stale within the margin (certificates still valid only). */
  async refreshStale(): Promise<number> {
    const now = this.ca.now();
    const due = await statusDb(this.ca.store)
      .selectFrom('ocsp_responses')
      .select('cert_id')
      .where('next_update', '<=', new Date(now.getTime() + this.options.refreshMarginMs).toISOString())
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('certificates').select('certificates.serial').whereRef('certificates.serial', '=', 'ocsp_responses.serial').where('certificates.not_after', '>', now.toISOString())),
      )
      .limit(10_000)
      .execute();
    for (const { cert_id } of due) {
      const certId = AsnConvert.parse(Buffer.from(cert_id, 'hex'), CertID);
      const request = Buffer.from(AsnConvert.serialize(requestFor([certId])));
      const cached = this.cache.byCertId(cert_id);
      if (cached) {
        cached.refreshAt = 0;
        await this.resign(cached);
      } else {
        await this.respond(request);
      }
    }
    return due.length;
  }

  /** Where each CA's pass of presignCold stopped (serial order), on this node: the next round goes on from there. */
  private readonly presignCursor = new Map<string, string>();

  /**
   * Signs ahead (RFC 5019 §2.2, Boulder's updater/responder split): up to `presignPerRound` unexpired
   * certificates of CAs with a responder that have no stored answer fresh past the refresh margin get their
   * SHA-1 CertID answer (the form RFC 5019 clients send) stored in ocsp_responses, where every node's first
   * question about them finds it. Walks each CA's certificates in serial order from where the last round stopped.
   */
  async presignCold(limit = this.options.presignPerRound): Promise<number> {
    // CRL-only: nothing is signed ahead (answers for certificates that still name the responder are signed when asked).
    if (limit <= 0 || this.options.crlOnly) return 0;
    const now = this.ca.now();
    const freshUntil = new Date(now.getTime() + this.options.refreshMarginMs).toISOString();
    let signed = 0;
    for (const authority of await this.ca.authorities()) {
      if (signed >= limit) break;
      const responder = await this.responderFor(authority.id);
      if (!responder) continue;
      const certificate = AsnConvert.parse(authority.certificateDer, Certificate);
      const nameHash = createHash('sha1').update(Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.subject))).digest();
      const keyHash = createHash('sha1').update(Buffer.from(certificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
      const after = this.presignCursor.get(authority.id) ?? '';
      const rows = await statusDb(this.ca.store)
        .selectFrom('certificates')
        .select('serial')
        .where('issuer_ca_id', '=', authority.id)
        .where('serial', '>', after)
        .where('not_after', '>', now.toISOString())
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('ocsp_responses').select('ocsp_responses.serial').whereRef('ocsp_responses.serial', '=', 'certificates.serial').where('ocsp_responses.next_update', '>', freshUntil))),
        )
        .orderBy('serial')
        .limit(limit - signed)
        .execute();
      // The end of this CA's certificates: the next round starts over (new certificates, answers gone stale).
      this.presignCursor.set(authority.id, rows.length < limit - signed ? '' : rows[rows.length - 1]!.serial);
      for (const { serial } of rows) {
        const certId = new CertID({
          hashAlgorithm: SHA1_WITH_NULL(),
          issuerNameHash: new OctetString(nameHash),
          issuerKeyHash: new OctetString(keyHash),
          serialNumber: new Uint8Array(serialOctets(serial)).buffer,
        });
        const question = { certId, hex: Buffer.from(AsnConvert.serialize(certId)).toString('hex'), serial };
        const entry = await this.sign(authority.id, responder, [question], undefined, now);
        // Not into this node's memory: a round of pre-signing must not push out what is being asked.
        await this.store(entry, authority.id, question);
        signed += 1;
      }
    }
    return signed;
  }

  /**
   * Drops stored answers past their nextUpdate: they are never served (a fresh one is signed or pre-signed
   * instead), so the table holds about one row per certificate still valid, not one per serial ever asked.
   */
  async pruneStale(): Promise<number> {
    const result = await statusDb(this.ca.store).deleteFrom('ocsp_responses').where('next_update', '<', this.ca.now().toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async issuerOf(certId: CertID): Promise<string | null> {
    const key = hashKey(certId.hashAlgorithm.algorithm, Buffer.from(certId.issuerNameHash.buffer), Buffer.from(certId.issuerKeyHash.buffer));
    let table = await this.issuerTable(false);
    let caId = table.get(key);
    if (!caId && Date.now() - this.issuersLoadedAt > 10_000) {
      // A CA created since we last looked.
      table = await this.issuerTable(true);
      caId = table.get(key);
    }
    return caId ?? null;
  }

  /** For every CA and hash algorithm: H(issuer name DER) and H(issuer key) → CA id (RFC 6960 §4.1.1). */
  private async issuerTable(reload: boolean): Promise<Map<string, string>> {
    if (this.issuerHashes && !reload) return this.issuerHashes;
    const table = new Map<string, string>();
    for (const authority of await this.ca.authorities()) {
      const certificate = AsnConvert.parse(authority.certificateDer, Certificate);
      const name = Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.subject));
      const key = Buffer.from(certificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
      for (const [oid, hash] of Object.entries(HASHES)) {
        table.set(
          hashKey(oid, createHash(hash.name).update(name).digest(), createHash(hash.name).update(key).digest()),
          authority.id,
        );
      }
    }
    this.issuerHashes = table;
    this.issuersLoadedAt = Date.now();
    return table;
  }

  /** Read from the store through the composition root's DelegatedSigners: a rollover reaches every node at once. */
  private responderFor(caId: string): Promise<DelegatedSigner | null> {
    return this.signers.current('ocsp', caId);
  }

}

/** A ceremony response in the shape the HTTP layer serves (cache headers until its nextUpdate). */
function ceremonyEntry(row: RootOcspResponseTable): CachedResponse {
  const thisUpdate = new Date(row.this_update);
  const nextUpdate = new Date(row.next_update);
  return {
    der: row.der,
    thisUpdate,
    nextUpdate,
    refreshAt: nextUpdate.getTime(),
    etag: etagOf(row.der),
    lastModified: thisUpdate.toUTCString(),
    expires: nextUpdate.toUTCString(),
    serials: [row.serial],
    certIds: [row.cert_id],
    // Signed in a ceremony and never cached here: no revocation number applies to it.
    asOf: 0,
    requestKeys: new Set(),
  };
}

/** The responder's key imported once for the lint; undefined where verifySignature reads the key itself (SM2) or cannot. */
function importedKey(signer: Signer, spki: SubjectPublicKeyInfo): KeyObject | undefined {
  if (signer.scheme === 'sm2') return undefined;
  try {
    return loadPublicKey(signer.publicKeyInfo, spki);
  } catch {
    return undefined;
  }
}

/** The strong ETag of a response (RFC 5019 §6.2): its SHA-1, in one call (crypto.hash, no Hash object). */
function etagOf(der: Buffer): string {
  return `"${hash('sha1', der, 'hex')}"`;
}

/** ISO times as read from the store → their Date and HTTP-date forms, for the last few distinct times seen. */
class HttpDates {
  private readonly known = new Map<string, { date: Date; http: string }>();

  of(iso: string): { date: Date; http: string } {
    let forms = this.known.get(iso);
    if (!forms) {
      const date = new Date(iso);
      forms = { date, http: date.toUTCString() };
      // Bounded: a handful of signing rounds are in use at a time; past that, start again.
      if (this.known.size >= 64) this.known.clear();
      this.known.set(iso, forms);
    }
    return forms;
  }
}

function hashKey(oid: string, nameHash: Buffer, keyHash: Buffer): string {
  return `${oid}|${nameHash.toString('hex')}|${keyHash.toString('hex')}`;
}

/** The serial as the store keeps it: minimal lowercase hex, no sign octet. */
function serialHex(bytes: Buffer): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = bytes.subarray(start).toString('hex');
  return hex || '00';
}

/** Strict DER decoding (ocsp-request.ts) with every way a request can be wrong mapped to malformedRequest. */
function parseRequest(request: Buffer, maxRequests: number): OcspQuestion {
  try {
    return parseOcspRequest(request, maxRequests);
  } catch (error) {
    // Whatever a decoder trips over in hostile input is the client's malformed request, not our failure.
    const why = error instanceof MalformedOcspRequest ? error.reason : `undecodable request: ${(error as Error).message}`;
    throw new OcspRefusal(OCSPResponseStatus.malformedRequest, why);
  }
}

function requestFor(certIds: CertID[]): OCSPRequest {
  return new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: certIds.map((reqCert) => new Request({ reqCert })) }) });
}
