import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type RawBuilder } from 'kysely';
import type { Dialect, SignetDatabase, Tx } from './database.js';
import { configError } from '../config/config-error.js';

/** What kind of process holds an instance: only servers close other processes' abandoned work. */
export type ProcessRole = 'server' | 'command';

export interface ProcessInstanceOptions {
  /** How long the lease lasts without a renewal. From SIGNET_PROCESS_LEASE_SECONDS when not given. */
  leaseMs?: number;
}

export const DEFAULT_PROCESS_LEASE_MS = 60_000;

export function processLeaseMsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.SIGNET_PROCESS_LEASE_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_PROCESS_LEASE_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw configError('config.number-range', { variable: 'SIGNET_PROCESS_LEASE_SECONDS', value: raw, min: 1, max: 3600 });
  }
  return Math.round(seconds * 1000);
}

/**
 * The database's own clock in epoch milliseconds. Leases are written and
 * judged by this one clock, so two machines' clocks are never compared: a
 * node whose clock runs an hour late cannot make a live owner look dead.
 */
export function databaseNowMs(dialect: Dialect): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}

/**
 * This process as the database knows it: an id, and a lease it renews every
 * third of its length. Work a process leaves half-done in the database (an
 * issuance intent) names the instance that owns it; it may be closed by
 * someone else only once that owner's lease has run out, i.e. the owner is
 * dead or cut off from the database for longer than the lease.
 */
export class ProcessInstance {
  readonly id = `${hostname()}:${process.pid}:${randomUUID()}`;
  readonly leaseMs: number;
  private timer?: NodeJS.Timeout;
  private renewing: Promise<void> | null = null;
  private released = false;

  constructor(
    private readonly store: SignetDatabase,
    readonly role: ProcessRole,
    options: ProcessInstanceOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? processLeaseMsFrom(process.env);
  }

  /** Registers the instance and keeps its lease renewed until `release`. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => {
      if (this.renewing) return;
      this.renewing = this.renew()
        .catch(() => {
          // A missed renewal is retried at the next tick; the lease is three ticks long.
        })
        .finally(() => {
          this.renewing = null;
        });
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    // The lease never keeps a finished command alive.
    this.timer.unref();
  }

  /**
   * Extends the lease by its length from the database's now. An upsert: an
   * owner whose row was already removed (it looked dead) registers again;
   * whatever was closed meanwhile stays closed (the intents check their state).
   */
  async renew(): Promise<void> {
    if (this.released) return;
    const expires = sql<number>`${databaseNowMs(this.store.dialect)} + ${this.leaseMs}`;
    await this.store.db
      .insertInto('process_instances')
      .values({ id: this.id, role: this.role, host: hostname(), pid: process.pid, started_at: new Date().toISOString(), lease_expires_ms: expires })
      .onConflict((oc) => oc.column('id').doUpdateSet({ lease_expires_ms: expires }))
      .execute();
  }

  /** Stops renewing and gives the lease up, so that anything this process left pending is recoverable at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    await this.renewing;
    await this.store.db.deleteFrom('process_instances').where('id', '=', this.id).execute();
  }
}

/** Instances whose lease has run out, by the database's clock, are forgotten (their work is recovered first). */
export async function forgetExpiredInstances(store: SignetDatabase, trx: Tx = store.db): Promise<number> {
  const result = await trx
    .deleteFrom('process_instances')
    .where('lease_expires_ms', '<', databaseNowMs(store.dialect))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
