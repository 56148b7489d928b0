import { configError } from '../config/config-error.js';

/** What the cache needs to know of a signed response to find it again and to forget it. */
export interface CacheableResponse {
  /** Every request form (base64 of the DER request) these bytes answer. */
  requestKeys: Set<string>;
  /** The DER CertIDs (hex) it answers; a response to one CertID is also found by it. */
  certIds: string[];
  /** The serials it speaks about: a revocation of any of them makes it stale. */
  serials: string[];
}

export interface OcspCacheStats {
  /** Responses held now, and the most that may be held. */
  responses: number;
  limit: number;
  /** Request forms that find a response (several forms may share one). */
  requestForms: number;
  hits: number;
  misses: number;
  /** Responses dropped to stay within the limit, least recently used first. */
  evictions: number;
  /** Stored answers served without being kept: the first question about their CertID in the admission window. */
  firstSights: number;
}

/** A place in the recency list: its neighbours, older towards `head`. */
interface Link<E> {
  entry: E;
  older: Link<E> | null;
  newer: Link<E> | null;
}

/**
 * One node's signed OCSP responses in memory (issue 14): found by request
 * bytes, by CertID and by serial, at most `limit` of them. Past the limit the
 * least recently used response is evicted, with all its index entries, so a
 * burst of new questions never empties the cache of the answers in daily use.
 * Owned by its OcspResponder (one per Signet, built by the composition root);
 * nothing is module state. Not thread-shared: every method runs to completion
 * within one turn of the event loop, so the indices never disagree.
 */
export class OcspResponseCache<E extends CacheableResponse> {
  private readonly byRequest = new Map<string, E>();
  private readonly byCertIdIndex = new Map<string, E>();
  private readonly bySerialIndex = new Map<string, Set<E>>();
  /**
   * Every response held, in a list from the least recently used (head) to the most (tail). A use moves its link
   * to the tail without touching the Map: with V8's Map, a delete and re-insert of the same key (the former way
   * of marking a use) cost 40–100 µs at 10,000–200,000 entries, more than the rest of a hot answer.
   */
  private readonly links = new Map<E, Link<E>>();
  private head: Link<E> | null = null;
  private tail: Link<E> | null = null;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private firstSights = 0;
  private readonly seen = new SeenFilter();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`the OCSP response cache needs a limit of at least 1, not ${limit}`);
  }

  /**
   * The response for these request bytes if it may still be served
   * (`usable`), counted as a hit and marked as used; else undefined, counted
   * as a miss (a stale response stays until it is replaced).
   */
  lookup(requestKey: string, usable: (entry: E) => boolean = () => true): E | undefined {
    const entry = this.byRequest.get(requestKey);
    if (entry && usable(entry)) {
      this.hits++;
      this.touch(entry);
      return entry;
    }
    this.misses++;
    return undefined;
  }

  /** The response to exactly this one CertID, if held (no count: an internal look). */
  byCertId(certIdHex: string): E | undefined {
    return this.byCertIdIndex.get(certIdHex);
  }

  /** Every response held that speaks about this serial. */
  bySerial(serial: string): E[] {
    return [...(this.bySerialIndex.get(serial) ?? [])];
  }

  /**
   * Keeps `entry` as the answer to `requestKey`. A response to one CertID
   * replaces the one held for that CertID for every request form that asked
   * for it. Then the least recently used responses go until the limit holds.
   */
  add(entry: E, requestKey: string): void {
    this.assign(requestKey, entry);
    if (entry.certIds.length === 1) {
      const previous = this.byCertIdIndex.get(entry.certIds[0]!);
      if (previous && previous !== entry) {
        for (const k of [...previous.requestKeys]) this.assign(k, entry);
        this.drop(previous);
      }
      this.byCertIdIndex.set(entry.certIds[0]!, entry);
    }
    for (const serial of entry.serials) {
      let set = this.bySerialIndex.get(serial);
      if (!set) this.bySerialIndex.set(serial, (set = new Set()));
      set.add(entry);
    }
    this.touch(entry);
    while (this.links.size > this.limit) {
      this.drop(this.head!.entry);
      this.evictions++;
    }
  }

  /**
   * Admission of an answer read from the store (issue 22): true the first time these bytes (a CertID) are asked
   * about in the current window, and the answer is then served without being kept; false from the second time on,
   * and it is kept. Across a large population most questions are about a serial asked once: keeping each of them
   * cost more than reading it (four index entries, objects that outlive the young generation) and pushed the
   * answers in daily use out of the cache, which a scan of distinct questions could otherwise empty.
   */
  firstSight(key: Uint8Array): boolean {
    const first = this.seen.add(key);
    if (first) this.firstSights++;
    return first;
  }

  /** Forgets a response and every index entry that leads to it. */
  drop(entry: E): void {
    const link = this.links.get(entry);
    if (link) {
      this.unlink(link);
      this.links.delete(entry);
    }
    for (const k of entry.requestKeys) if (this.byRequest.get(k) === entry) this.byRequest.delete(k);
    for (const c of entry.certIds) if (this.byCertIdIndex.get(c) === entry) this.byCertIdIndex.delete(c);
    for (const serial of entry.serials) {
      const set = this.bySerialIndex.get(serial);
      set?.delete(entry);
      if (set?.size === 0) this.bySerialIndex.delete(serial);
    }
  }

  stats(): OcspCacheStats {
    return {
      responses: this.links.size,
      limit: this.limit,
      requestForms: this.byRequest.size,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      firstSights: this.firstSights,
    };
  }

  private assign(requestKey: string, entry: E): void {
    const before = this.byRequest.get(requestKey);
    if (before && before !== entry) {
      before.requestKeys.delete(requestKey);
      if (before.requestKeys.size === 0) this.drop(before);
    }
    entry.requestKeys.add(requestKey);
    this.byRequest.set(requestKey, entry);
  }

  /** Marks `entry` as the most recently used, holding it if it was not held. */
  private touch(entry: E): void {
    let link = this.links.get(entry);
    if (link === this.tail && link) return;
    if (link) this.unlink(link);
    else this.links.set(entry, (link = { entry, older: null, newer: null }));
    link.older = this.tail;
    link.newer = null;
    if (this.tail) this.tail.newer = link;
    else this.head = link;
    this.tail = link;
  }

  private unlink(link: Link<E>): void {
    if (link.older) link.older.newer = link.newer;
    else this.head = link.newer;
    if (link.newer) link.newer.older = link.older;
    else this.tail = link.older;
    link.older = link.newer = null;
  }
}

/**
 * Which keys were seen in the current window, as one bit per hash of the key (a one-hash Bloom filter): 1 MiB
 * whatever the population. A false "seen" only admits an answer into the bounded cache. The window ends, and every
 * bit is cleared, once an eighth of the bits are set (about a million keys; false "seen" stays under 12.5 %).
 */
export class SeenFilter {
  private readonly bits: Uint32Array;
  private set = 0;

  constructor(private readonly log2Bits = 23) {
    this.bits = new Uint32Array(2 ** (log2Bits - 5));
  }

  /** Marks `key`; true if its bit was not set yet. */
  add(key: Uint8Array): boolean {
    // FNV-1a, then a final mix so that the low bits depend on every byte.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    const bit = h >>> (32 - this.log2Bits);
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    if (this.bits[word]! & mask) return false;
    if (this.set >= this.bits.length * 4) {
      this.bits.fill(0);
      this.set = 0;
    }
    this.bits[word]! |= mask;
    this.set++;
    return true;
  }
}

export const DEFAULT_OCSP_CACHE_SIZE = 200_000;

/** SIGNET_OCSP_CACHE_SIZE: the most signed responses a node keeps in memory (about 1–2 KB each). */
export function ocspCacheSizeFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.SIGNET_OCSP_CACHE_SIZE;
  if (raw === undefined || raw === '') return DEFAULT_OCSP_CACHE_SIZE;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 50_000_000) throw configError('config.whole-number-range', { variable: 'SIGNET_OCSP_CACHE_SIZE', value: raw, min: 1, max: 50_000_000 });
  return size;
}

/** The cache's figures in the Prometheus text format, for /metrics (one node's view). */
export function ocspCacheMetrics(stats: OcspCacheStats): string {
  return [
    '# HELP signet_ocsp_cache_responses Signed OCSP responses held in this node\'s memory.',
    '# TYPE signet_ocsp_cache_responses gauge',
    `signet_ocsp_cache_responses ${stats.responses}`,
    '# HELP signet_ocsp_cache_limit The most responses this node holds (SIGNET_OCSP_CACHE_SIZE).',
    '# TYPE signet_ocsp_cache_limit gauge',
    `signet_ocsp_cache_limit ${stats.limit}`,
    '# HELP signet_ocsp_cache_hits_total OCSP requests answered from memory.',
    '# TYPE signet_ocsp_cache_hits_total counter',
    `signet_ocsp_cache_hits_total ${stats.hits}`,
    '# HELP signet_ocsp_cache_misses_total OCSP requests not found in memory (signed, read from the store, or refused).',
    '# TYPE signet_ocsp_cache_misses_total counter',
    `signet_ocsp_cache_misses_total ${stats.misses}`,
    '# HELP signet_ocsp_cache_evictions_total Responses dropped, least recently used first, to stay within the limit.',
    '# TYPE signet_ocsp_cache_evictions_total counter',
    `signet_ocsp_cache_evictions_total ${stats.evictions}`,
    '# HELP signet_ocsp_cache_first_sights_total Stored OCSP answers served without being kept (first question about the CertID).',
    '# TYPE signet_ocsp_cache_first_sights_total counter',
    `signet_ocsp_cache_first_sights_total ${stats.firstSights}`,
    '',
  ].join('\n');
}
