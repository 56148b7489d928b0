import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { SignetDatabase, Tx } from '../store/database.js';
import type { ClockReading, DatabaseClock } from '../store/database-clock.js';
import { isUniqueViolation } from '../store/driver-errors.js';
import { SignetError } from '../i18n/signet-error.js';
import type { MessageCode } from '../i18n/messages.js';
import { tsaDatabase } from './token-ledger.js';
import { configError } from '../config/config-error.js';

/** Why the TSA will not stamp now: a TimeStampRefusal's code and parameters. */
export interface ClockRefusal {
  code: MessageCode;
  params: Record<string, string | number>;
}

export interface ClockGuardOptions {
  store: SignetDatabase;
  databaseClock: DatabaseClock;
  /**
   * How far the clock may be from its witnesses before the TSA stops (default 1,000 ms):
   * the skew to the database server, and a step of the wall clock ahead of the elapsed (monotonic) time.
   */
  limitMs: number;
  /** The host's wall clock and monotonic clock, which the step detector compares (real unless a test moves them). */
  hostClock?: () => number;
  monotonic?: () => number;
  /** How often each node looks for an operator's reset and re-reads the database clock (default 30 s). */
  refreshMs?: number;
}

export interface ClockGuardReset {
  seq: number;
  resetAt: string;
  databaseTime: string;
  skewMs: number;
  previousHighWater: string | null;
  highWater: string | null;
  tokensDisregarded: number;
  firstDisregarded: string | null;
  lastDisregarded: string | null;
}

export const DEFAULT_CLOCK_LIMIT_MS = 1000;
const REASON_MAX = 500;

export function clockLimitFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.SIGNET_CLOCK_LIMIT_MS;
  if (raw === undefined || raw === '') return DEFAULT_CLOCK_LIMIT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 3_600_000) throw configError('config.whole-number-range', { variable: 'SIGNET_CLOCK_LIMIT_MS', value: raw, min: 1, max: 3_600_000 });
  return value;
}

/**
 * The TSA's clock guard beyond "never backwards" (RFC 3161 §2.4.2 genTime;
 * issue 13, clocks). Three witnesses keep a wrong wall clock out of tokens:
 *
 * - the high-water mark: the latest genTime on record, less the tokens an
 *   operator's reset disregarded (the TSA refuses to stamp below it);
 * - the database server's clock: past `limitMs` of skew the TSA refuses
 *   (on SQLite it is the same host's clock and witnesses nothing);
 * - the monotonic clock: a wall clock that jumps ahead of the elapsed time by
 *   more than `limitMs` is refused at once, without waiting for the next
 *   database reading. It comes back when the clock is set back, when a fresh
 *   reading of a database server elsewhere agrees with the new time, or when
 *   an operator runs `signet tsa reset-clock-guard` (every node re-anchors
 *   within `refreshMs`).
 *
 * A clock that ran ahead and stamped tokens leaves a high-water mark in the
 * future; waiting it out is not a recovery. `reset` (after the operator has
 * checked the time) marks those tokens as stamped under a wrong clock, so the
 * mark falls back to the true time on every node.
 */
export class ClockGuard {
  readonly limitMs: number;
  private readonly hostClock: () => number;
  private readonly monotonic: () => number;
  private readonly refreshMs: number;
  private anchor?: { wall: number; mono: number };
  private state?: { resetSeq: number; highWater: number; checkedAtMono: number };
  private loading?: Promise<void>;
  private lastForcedMono?: number;

  constructor(private readonly options: ClockGuardOptions) {
    this.limitMs = options.limitMs;
    this.hostClock = options.hostClock ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.refreshMs = options.refreshMs ?? 30_000;
  }

  /**
   * The guard's view before a token is stamped: the high-water mark (and
   * whether an operator reset it since `seenResetSeq`), or why not to stamp.
   */
  async vet(): Promise<{ highWater: number; resetSeq: number; refusal?: ClockRefusal }> {
    await this.refresh(false);
    let reading = await this.options.databaseClock.reading(this.refreshMs);
    let refusal = this.stepRefusal() ?? this.skewRefusal(reading);
    if (refusal) {
      // Before refusing, ask the database again (at most every 2 s): the clock may have been put right since the
      // last reading, or a database server elsewhere may vouch for a step ahead (a correction, say).
      await this.refresh(true);
      reading = await this.options.databaseClock.reading(this.refreshMs);
      refusal = this.stepRefusal() ?? this.skewRefusal(reading);
    }
    const state = this.state!;
    return { highWater: state.highWater, resetSeq: state.resetSeq, ...(refusal ? { refusal } : {}) };
  }

  /** For /healthz: the skew reading and the guard's mark, without stamping. */
  async status(): Promise<{ reading: ClockReading; highWater: string | null; lastReset: number; limitMs: number }> {
    await this.refresh(false);
    const reading = await this.options.databaseClock.reading(this.refreshMs);
    const highWater = this.state!.highWater;
    return { reading, highWater: Number.isFinite(highWater) ? new Date(highWater).toISOString() : null, lastReset: this.state!.resetSeq, limitMs: this.limitMs };
  }

  /** The stored high-water mark, ignoring disregarded tokens (-Infinity before the first token). */
  async storedHighWater(): Promise<number> {
    const db = tsaDatabase(this.options.store);
    // Newest first along the gen_time index; disregarded tokens are the few at the top of it.
    const row = await db
      .selectFrom('timestamp_tokens as t')
      .select('t.gen_time')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('tsa_disregarded_tokens as d').select('d.serial').whereRef('d.serial', '=', 't.serial'))))
      .orderBy('t.gen_time', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? new Date(row.gen_time).getTime() : -Infinity;
  }

  /**
   * The recovery (docs/operations.md, clocks). The operator has checked the
   * time against a source of their own; the database server's clock must
   * agree with this host's too. Tokens stamped after now are disregarded by
   * the guard from now on (they stay in the ledger, listed in the audit
   * entry), and every node re-anchors its step detector.
   */
  async reset(input: { now: Date; actor: string; reason: string }): Promise<ClockGuardReset> {
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > REASON_MAX) throw new SignetError('tsa.reset-reason', 400, { max: REASON_MAX }, 'reason');
    const reading = await this.options.databaseClock.measure();
    if (Math.abs(reading.skewMs) - reading.roundTripMs / 2 > this.limitMs) {
      throw new SignetError('tsa.reset-clock-skew', 409, { skewMs: reading.skewMs, limitMs: this.limitMs, databaseTime: reading.databaseTime });
    }
    const nowIso = input.now.toISOString();
    const previous = await this.storedHighWater();
    const db = tsaDatabase(this.options.store);
    try {
      const made = await db.transaction().execute(async (trx) => {
        const last = await trx.selectFrom('tsa_clock_guard_resets').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
        const seq = Number(last?.seq ?? 0) + 1;
        const ahead = await trx
          .selectFrom('timestamp_tokens as t')
          .select([(eb) => eb.fn.countAll<number | string>().as('n'), (eb) => eb.fn.min('t.gen_time').as('first'), (eb) => eb.fn.max('t.gen_time').as('last')])
          .where('t.gen_time', '>', nowIso)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('tsa_disregarded_tokens as d').select('d.serial').whereRef('d.serial', '=', 't.serial'))))
          .executeTakeFirstOrThrow();
        const count = Number(ahead.n);
        await trx
          .insertInto('tsa_clock_guard_resets')
          .values({
            seq,
            reset_at: nowIso,
            database_time: reading.databaseTime,
            skew_ms: reading.skewMs,
            previous_high_water: Number.isFinite(previous) ? new Date(previous).toISOString() : null,
            tokens_disregarded: count,
            actor: input.actor,
            reason,
          })
          .execute();
        if (count > 0) {
          // One statement however many there are: a clock a year ahead may have stamped millions.
          await sql`insert into tsa_disregarded_tokens (serial, reset_seq)
            select t.serial, ${seq} from timestamp_tokens t
            where t.gen_time > ${nowIso} and not exists (select 1 from tsa_disregarded_tokens d where d.serial = t.serial)`.execute(trx);
        }
        await appendAuditEntry(
          trx as unknown as Tx,
          this.options.store.dialect,
          {
            actor: input.actor,
            action: 'tsa.clock-guard-reset',
            target: `tsa-clock-guard:${seq}`,
            details: { reason, resetAt: nowIso, databaseTime: reading.databaseTime, skewMs: reading.skewMs, previousHighWater: Number.isFinite(previous) ? new Date(previous).toISOString() : null, tokensDisregarded: count, firstDisregarded: ahead.first ?? null, lastDisregarded: ahead.last ?? null },
          },
          input.now,
        );
        return { seq, count, first: (ahead.first as string | null) ?? null, last: (ahead.last as string | null) ?? null };
      });
      const highWater = await this.storedHighWater();
      this.state = undefined;
      this.anchor = undefined;
      return {
        seq: made.seq,
        resetAt: nowIso,
        databaseTime: reading.databaseTime,
        skewMs: reading.skewMs,
        previousHighWater: Number.isFinite(previous) ? new Date(previous).toISOString() : null,
        highWater: Number.isFinite(highWater) ? new Date(highWater).toISOString() : null,
        tokensDisregarded: made.count,
        firstDisregarded: made.first,
        lastDisregarded: made.last,
      };
    } catch (error) {
      if (isUniqueViolation(error)) throw new SignetError('tsa.reset-concurrent', 409);
      throw error;
    }
  }

  /** Re-reads the last reset (and on a new one the high-water mark) when older than refreshMs, or now when `force`. */
  private async refresh(force: boolean): Promise<void> {
    const mono = this.monotonic();
    if (force) {
      // While tripped, the database is asked again at most every 2 s, not for every refused request.
      if (this.lastForcedMono !== undefined && mono - this.lastForcedMono < 2000) return;
      this.lastForcedMono = mono;
    } else if (this.state && mono - this.state.checkedAtMono < this.refreshMs) {
      return;
    }
    this.loading ??= this.load(force).finally(() => (this.loading = undefined));
    await this.loading;
  }

  private async load(fresh: boolean): Promise<void> {
    const db = tsaDatabase(this.options.store);
    const row = await db.selectFrom('tsa_clock_guard_resets').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    const resetSeq = Number(row?.seq ?? 0);
    const previous = this.state;
    const highWater = previous && previous.resetSeq === resetSeq ? previous.highWater : await this.storedHighWater();
    // An operator's reset vouches for the clock as it is now: every node re-anchors its step detector.
    if (previous && previous.resetSeq !== resetSeq) this.anchor = undefined;
    const reading = fresh ? await this.options.databaseClock.measure() : await this.options.databaseClock.reading(this.refreshMs);
    // A database server elsewhere that agrees with this host, read after the step, vouches for the wall clock.
    if (fresh && !reading.sameHost && !this.skewRefusal(reading)) this.anchor = undefined;
    this.state = { resetSeq, highWater, checkedAtMono: this.monotonic() };
  }

  /** The wall clock's step ahead of the monotonic clock since the anchor; a step back only moves the anchor. */
  private stepRefusal(): ClockRefusal | undefined {
    const wall = this.hostClock();
    const mono = this.monotonic();
    if (!this.anchor) {
      this.anchor = { wall, mono };
      return undefined;
    }
    const stepMs = Math.round(wall - this.anchor.wall - (mono - this.anchor.mono));
    if (stepMs < -this.limitMs) {
      // Behind: the high-water mark is the guard for that, and the line to measure the next jump from starts here.
      this.anchor = { wall, mono };
      return undefined;
    }
    if (stepMs > this.limitMs) return { code: 'tsa.clock-jumped', params: { stepMs, limitMs: this.limitMs } };
    return undefined;
  }

  private skewRefusal(reading: ClockReading): ClockRefusal | undefined {
    // Refused only when the skew is past the limit even allowing for the round trip's uncertainty.
    if (Math.abs(reading.skewMs) - reading.roundTripMs / 2 <= this.limitMs) return undefined;
    return { code: 'tsa.clock-skew', params: { skewMs: reading.skewMs, limitMs: this.limitMs, databaseTime: reading.databaseTime } };
  }
}
