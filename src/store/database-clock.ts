import { sql } from 'kysely';
import type { SignetDatabase } from './database.js';
import { databaseNowMs } from './process-instances.js';

/** One comparison of this host's clock with the database server's. */
export interface ClockReading {
  /** This host's clock when the answer arrived (ISO). */
  measuredAt: string;
  /** The database server's clock, as it answered (ISO). */
  databaseTime: string;
  /** Host minus database, taken at the midpoint of the round trip: positive when this host runs ahead. */
  skewMs: number;
  /** How long the question took; the skew is known to within half of it. */
  roundTripMs: number;
  /**
   * SQLite reads the same host's clock, so the skew is zero by construction and
   * says nothing; only a database server elsewhere (PostgreSQL) is a second clock.
   */
  sameHost: boolean;
}

export interface DatabaseClockOptions {
  /** This host's wall clock. Not the domain's injected calendar clock: tests that move the calendar leave this real. */
  hostClock?: () => number;
  /** Readings younger than this are reused (default 30 s). */
  maxAgeMs?: number;
}

/**
 * The database server as a second clock (issue 13, clocks): /healthz and
 * /metrics report the skew, and the TSA refuses to stamp when it is past the
 * limit. One object per process, owned by the composition root.
 */
export class DatabaseClock {
  private readonly hostClock: () => number;
  private readonly maxAgeMs: number;
  private last?: { reading: ClockReading; atHostMs: number };
  private inFlight?: Promise<ClockReading>;

  constructor(
    private readonly store: SignetDatabase,
    options: DatabaseClockOptions = {},
  ) {
    this.hostClock = options.hostClock ?? Date.now;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
  }

  /** A fresh reading (concurrent callers share one question). */
  measure(): Promise<ClockReading> {
    this.inFlight ??= this.ask().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The last reading if younger than maxAgeMs, else a fresh one. */
  async reading(maxAgeMs = this.maxAgeMs): Promise<ClockReading> {
    const last = this.last;
    if (last && this.hostClock() - last.atHostMs <= maxAgeMs && this.hostClock() >= last.atHostMs) return last.reading;
    return this.measure();
  }

  private async ask(): Promise<ClockReading> {
    const sent = this.hostClock();
    const row = await sql<{ now_ms: number | string }>`select ${databaseNowMs(this.store.dialect)} as now_ms`.execute(this.store.db);
    const received = this.hostClock();
    const databaseMs = Number(row.rows[0]!.now_ms);
    const reading: ClockReading = {
      measuredAt: new Date(received).toISOString(),
      databaseTime: new Date(databaseMs).toISOString(),
      skewMs: Math.round((sent + received) / 2 - databaseMs),
      roundTripMs: received - sent,
      sameHost: this.store.dialect === 'sqlite',
    };
    this.last = { reading, atHostMs: received };
    return reading;
  }
}
