import { sql, type RawBuilder } from 'kysely';
import type { RaDb } from './schema.js';

/** How many guesses one secret admits, and whether the count forgets after a while. */
export interface AttemptPolicy {
  limit: number;
  /** Counting starts again this long after the first counted attempt; absent: a spent secret stays spent. */
  windowMs?: number;
}

/** What a taken attempt tells the caller. */
export interface TakenAttempt {
  /** This attempt's number in the current window (1 for the first). */
  attempt: number;
  /** True when this was the last one the policy admits: a wrong answer now locks. */
  last: boolean;
}

/**
 * One mechanism for every secret a stranger can guess (download codes,
 * portal tracking codes, operator passwords): an attempt is counted in the
 * store, atomically, before the secret is evaluated. A single conditional
 * UPDATE … WHERE attempts < limit RETURNING does it on both engines
 * (PostgreSQL re-checks the condition on the row it locks; SQLite runs
 * writers one at a time), so of any number of parallel guesses at most
 * `limit` are ever evaluated, and a right answer arriving after them is not
 * looked at. A right answer forgets the count (`clear`) where the secret can
 * be used again.
 */
export class AttemptCounter {
  constructor(
    private readonly db: RaDb,
    private readonly clock: () => Date,
  ) {}

  /** Counts one attempt at `key`; null when the policy admits none now (nothing may be evaluated). */
  async take(key: string, policy: AttemptPolicy): Promise<TakenAttempt | null> {
    const now = this.clock();
    const at = now.toISOString();
    // Expired windows start again inside the same statement; without a window the cutoff is never reached.
    const cutoff = policy.windowMs === undefined ? '' : new Date(now.getTime() - policy.windowMs).toISOString();
    await this.db
      .insertInto('ra_secret_attempts')
      .values({ key, attempts: 0, window_started: at, last_at: at })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await sql<{ attempts: number }>`
      UPDATE ra_secret_attempts
         SET attempts = CASE WHEN window_started < ${cutoff} THEN 1 ELSE attempts + 1 END,
             window_started = CASE WHEN window_started < ${cutoff} THEN ${at} ELSE window_started END,
             last_at = ${at}
       WHERE key = ${key} AND (attempts < ${policy.limit} OR window_started < ${cutoff})
       RETURNING attempts`.execute(this.db);
    const attempts = row.rows[0]?.attempts;
    if (attempts === undefined) return null;
    return { attempt: Number(attempts), last: Number(attempts) >= policy.limit };
  }

  /**
   * Counts one request at `key` in a window of `windowMs`, without a cap: the
   * rate limits of the HTTP doors (issue 16 §3), kept here so that every
   * server process on the store shares them. Returns the count in the current
   * window (an expired one starts again at 1, in the same statement) and how
   * long until it ends.
   */
  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const now = this.clock();
    const at = now.toISOString();
    const cutoff = new Date(now.getTime() - windowMs).toISOString();
    await this.db
      .insertInto('ra_secret_attempts')
      .values({ key, attempts: 0, window_started: at, last_at: at })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await sql<{ attempts: number; window_started: string }>`
      UPDATE ra_secret_attempts
         SET attempts = CASE WHEN window_started <= ${cutoff} THEN 1 ELSE attempts + 1 END,
             window_started = CASE WHEN window_started <= ${cutoff} THEN ${at} ELSE window_started END,
             last_at = ${at}
       WHERE key = ${key}
       RETURNING attempts, window_started`.execute(this.db);
    const counted = row.rows[0]!;
    return { count: Number(counted.attempts), resetInMs: Math.max(0, Date.parse(counted.window_started) + windowMs - now.getTime()) };
  }

  /**
   * Forgets the counts under `prefix` whose secret can no longer be
   * evaluated, whatever its count: `live` is an SQL condition (given the
   * key's suffix as `secret`) that is true while the secret may still be
   * tried. Credentials that are used or superseded stay live here: the code
   * is still checked for them, to tell the holder what stands in the way.
   */
  async pruneDead(prefix: string, live: (secret: RawBuilder<string>) => RawBuilder<boolean>): Promise<number> {
    const secret = sql<string>`substr(ra_secret_attempts.key, ${prefix.length + 1})`;
    const result = await this.db
      .deleteFrom('ra_secret_attempts')
      .where(sql<boolean>`ra_secret_attempts.key LIKE ${`${prefix.replace(/[%_!]/g, (c) => `!${c}`)}%`} ESCAPE '!'`)
      .where(sql<boolean>`NOT (${live(secret)})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** How many attempts are counted now (0 when none, or the window has passed). */
  async count(key: string, policy: AttemptPolicy): Promise<number> {
    const row = await this.db.selectFrom('ra_secret_attempts').select(['attempts', 'window_started']).where('key', '=', key).executeTakeFirst();
    if (!row) return 0;
    if (policy.windowMs !== undefined && row.window_started < new Date(this.clock().getTime() - policy.windowMs).toISOString()) return 0;
    return Number(row.attempts);
  }

  /** Whether the policy would refuse the next attempt at `key` (without counting one). */
  async exhausted(key: string, policy: AttemptPolicy): Promise<boolean> {
    return (await this.count(key, policy)) >= policy.limit;
  }

  /** Takes back one attempt counted at `key` (a right answer that was not used): the count is as before it. */
  async giveBack(key: string): Promise<void> {
    await this.db.updateTable('ra_secret_attempts').set((eb) => ({ attempts: eb('attempts', '-', 1) })).where('key', '=', key).where('attempts', '>', 0).execute();
  }

  /** The right secret was given, or an administrator vouched: counting starts again. */
  async clear(key: string): Promise<void> {
    await this.db.updateTable('ra_secret_attempts').set({ attempts: 0, last_at: this.clock().toISOString() }).where('key', '=', key).execute();
  }

  /**
   * Forgets rows that mean the same as no row (issue 16: the table grew by
   * one row per username x address ever tried): counts cleared to 0, and
   * counts under `windowedPrefix` whose window (`windowMs`) has passed, which
   * take() and count() already treat as 0. Counts of live secrets without a
   * window stay. Returns how many rows went.
   */
  async prune(windowedPrefix: string, windowMs: number): Promise<number> {
    const now = this.clock().getTime();
    const idle = new Date(now - Math.max(windowMs, 86_400_000)).toISOString();
    const expired = new Date(now - windowMs).toISOString();
    const pattern = `${windowedPrefix.replace(/[%_!]/g, (c) => `!${c}`)}%`;
    const result = await this.db
      .deleteFrom('ra_secret_attempts')
      .where((eb) => eb.or([eb.and([eb('attempts', '=', 0), eb('last_at', '<', idle)]), eb.and([sql<boolean>`key LIKE ${pattern} ESCAPE '!'`, eb('window_started', '<', expired)])]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Clears every key starting with `prefix` (an operator unlocked: every source's count). */
  async clearPrefix(prefix: string): Promise<void> {
    await this.db
      .updateTable('ra_secret_attempts')
      .set({ attempts: 0, last_at: this.clock().toISOString() })
      .where(sql<boolean>`key LIKE ${`${prefix.replace(/[%_!]/g, (c) => `!${c}`)}%`} ESCAPE '!'`)
      .execute();
  }
}
