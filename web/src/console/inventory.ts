import { api } from '../api';

/** A certificate as the RA's inventory lists it (src/ra/inventory.ts): status, subscriber and RA, no personal data beyond the name. */
export interface InventoryEntry {
  serial: string;
  subject: string;
  profileId: string;
  subscriberId: string | null;
  subscriberName: string | null;
  raId: string | null;
  applicationId: string | null;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  status: 'good' | 'revoked' | 'expired' | 'not-yet-valid';
  revokedAt: string | null;
  reason: string | null;
}

export interface InventoryPage {
  items: InventoryEntry[];
  pageSize: number;
  total: number;
  /** False when a filtered search stopped counting at its cap (the server's COUNT_CAP): "10,000+". */
  totalExact: boolean;
  /** Keyset cursors (src/ra/inventory.ts): `after=` next, `before=` previous; null at either end. */
  next: string | null;
  previous: string | null;
}

export interface InventoryStatistics {
  at: string;
  total: number;
  byStatus: Record<InventoryEntry['status'], number>;
  issuedPerDay: Array<{ day: string; count: number }>;
  expiring: Array<{ days: number; count: number }>;
  revocationsByReason: Array<{ reason: string; count: number }>;
}

export interface InventoryFilter {
  q?: string;
  status?: string;
  reason?: string;
  raId?: string;
  issuedOn?: string;
  expiringWithinDays?: string;
  /** Keyset paging, never page numbers: an OFFSET deep in a million rows reads every row it skips. */
  after?: string;
  before?: string;
  pageSize?: number;
}

/** One page of the inventory, searched and filtered by the server: the browser never walks every certificate. */
export function inventoryPage(filter: InventoryFilter): Promise<InventoryPage> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value !== undefined && value !== '') params.set(key, String(value));
  return api<InventoryPage>(`/api/v1/ra/inventory/certificates?${params}`, { operator: true });
}

/** What the dashboard charts, counted by the server. */
export function inventoryStatistics(days = 30): Promise<InventoryStatistics> {
  return api<InventoryStatistics>(`/api/v1/ra/inventory/statistics?days=${days}`, { operator: true });
}
