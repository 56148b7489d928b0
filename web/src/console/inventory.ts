import { lookupBySerial, type PublicStatus } from '../public/status-page';
import { ra, type Application, type Subscriber } from './ra-api';

export interface InventoryEntry {
  serial: string;
  application: Application;
  subscriber?: Subscriber;
  status?: PublicStatus;
}

/**
 * The certificate inventory as the RA sees it: every application that ended
 * in a certificate, with the certificate's public status. Built from the RA
 * and status APIs; a CA-wide inventory route would replace the N lookups.
 */
export async function loadInventory(): Promise<{ entries: InventoryEntry[]; applications: Application[]; subscribers: Subscriber[] }> {
  const [applications, subscribers] = await Promise.all([ra.applications(), ra.subscribers()]);
  const names = new Map(subscribers.map((s) => [s.id, s]));
  const issued = applications.filter((a) => a.certificateSerial);
  const entries: InventoryEntry[] = [];
  // A few at a time: a small CA's inventory loads quickly without flooding the server.
  for (let i = 0; i < issued.length; i += 8) {
    const batch = await Promise.all(
      issued.slice(i, i + 8).map(async (a) => ({
        serial: a.certificateSerial!,
        application: a,
        subscriber: names.get(a.subscriberId),
        status: await lookupBySerial(a.certificateSerial!).catch(() => undefined),
      })),
    );
    entries.push(...batch);
  }
  return { entries, applications, subscribers };
}

export function daysUntil(at: string, now = Date.now()): number {
  return (Date.parse(at) - now) / 86_400_000;
}
