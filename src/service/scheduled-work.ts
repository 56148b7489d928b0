import { randomUUID } from 'node:crypto';
import type { Signet } from '../signet.js';
import { tryTakeLease } from '../status/lease.js';

export interface ServiceRound {
  deemedAcceptances: number;
  renewalReminders: number;
  purged: number;
  checkpoint: string | null;
}

/**
 * The promises that keep themselves (R2, R9, R19, R20), run by whichever node
 * holds the `service-jobs` lease (ARCHITECTURE.md, scale-out): deemed
 * acceptance one month after publication, renewal reminders, the retention
 * job, and a signed audit checkpoint when one is due. Each job is idempotent,
 * so a round repeated by a node that lost and regained the lease does no harm.
 */
export async function runServiceRound(signet: Signet, nodeId: string): Promise<ServiceRound | null> {
  if (!(await tryTakeLease(signet.store, 'service-jobs', nodeId, signet.ca.now(), 30 * 60_000))) return null;
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
  const checkpoint = await signet.auditCheckpoints.checkpointIfDue();
  return { deemedAcceptances: deemed.length, renewalReminders: reminders, purged: retention.purged.length, checkpoint: checkpoint?.id ?? null };
}

/** Runs a round every `intervalMs` (unref'd: it never keeps the process alive); returns the stop function. */
export function startServiceSchedule(signet: Signet, intervalMs = 15 * 60_000, onError: (error: unknown) => void = () => undefined): () => void {
  const nodeId = `node-${randomUUID()}`;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runServiceRound(signet, nodeId)
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
