import { randomUUID } from 'node:crypto';
import type { Signet } from '../signet.js';
import { tryTakeLease } from '../status/lease.js';
import type { DeliveryRound } from './notification-delivery.js';

export interface ServiceRound {
  deemedAcceptances: number;
  renewalReminders: number;
  purged: number;
  checkpoint: string | null;
  /** The mail round that followed (null: no SMTP server configured, or another node holds the delivery lease). */
  delivery: DeliveryRound | null;
}

/** A delivery round takes minutes at most (15 s connection and greeting timeouts, 60 s per socket stall). */
const DELIVERY_LEASE_MS = 5 * 60_000;

/**
 * Sends the notification outbox (notification-delivery.ts) on whichever node
 * holds the `notification-delivery` lease; null when this node does not, or
 * when no SMTP server is configured. Two nodes never send at once, and even
 * if they did, each notice is claimed by one of them before it is sent.
 */
export async function runDeliveryRound(signet: Signet, nodeId: string): Promise<DeliveryRound | null> {
  if (!signet.mail.configured) return null;
  if (!(await tryTakeLease(signet.store, 'notification-delivery', nodeId, DELIVERY_LEASE_MS))) return null;
  return signet.mail.deliverDue();
}

/**
 * The promises that keep themselves (R2, R9, R19, R20), run by whichever node
 * holds the `service-jobs` lease (docs/architecture.md, scale-out): deemed
 * acceptance one month after publication, renewal reminders, the retention
 * job, and a signed audit checkpoint when one is due; then what they queued
 * is sent by mail. Each job is idempotent, so a round repeated by a node that
 * lost and regained the lease does no harm.
 */
export async function runServiceRound(signet: Signet, nodeId: string): Promise<ServiceRound | null> {
  if (!(await tryTakeLease(signet.store, 'service-jobs', nodeId, 30 * 60_000))) return null;
  const raOf = async (subscriberId: string) => {
    try {
      return (await signet.ra.subscribers.row({ operatorId: null, username: 'system:service-jobs', role: 'ca-admin', raId: null, via: 'cli' }, subscriberId)).ra_id;
    } catch {
      return null;
    }
  };
  const deemed = await signet.publication.recordDeemedAcceptances();
  const reminders = await signet.service.fees.queueRenewalReminders(raOf);
  const retention = await signet.service.retention.run();
  // Attempt counts that mean nothing any more (issue 16): one row per username x address would otherwise stay forever.
  await signet.ra.pruneAttempts();
  // The dashboard's counters: past hours' slots folded into one row each (issue 22).
  await signet.ra.inventory.compactCounters();
  const checkpoint = await signet.auditCheckpoints.checkpointIfDue();
  const delivery = await runDeliveryRound(signet, nodeId);
  return { deemedAcceptances: deemed.length, renewalReminders: reminders, purged: retention.purged.length, checkpoint: checkpoint?.id ?? null, delivery };
}

/**
 * Runs a service round every `intervalMs`, and a mail round every
 * `config.mail.intervalMs` (1 min by default: notices should not wait for the
 * quarter-hour). Timers are unref'd: they never keep the process alive.
 * Returns the stop function.
 */
export function startServiceSchedule(signet: Signet, intervalMs = 15 * 60_000, onError: (error: unknown) => void = () => undefined): () => void {
  const nodeId = `node-${randomUUID()}`;
  const every = (ms: number, work: () => Promise<unknown>) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [every(intervalMs, () => runServiceRound(signet, nodeId))];
  if (signet.mail.configured) timers.push(every(signet.config.mail.intervalMs, () => runDeliveryRound(signet, nodeId)));
  return () => timers.forEach((timer) => clearInterval(timer));
}
