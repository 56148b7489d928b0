import type { FastifyInstance } from 'fastify';
import type { Signet } from '../signet.js';
import { registerOperatorRoutes, type OperatorRoute } from './service-routes.js';

const READERS = ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'] as const;

/**
 * The certificate inventory the RA console searches and the figures its
 * dashboard charts (issue 7): paged and counted in the database, scoped to
 * the caller's RA (src/ra/inventory.ts).
 */
export const INVENTORY_ROUTES: readonly OperatorRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/ra/inventory/certificates', scope: 'none',
    tag: 'ra',
    roles: READERS,
    summary: 'Certificates with status, subscriber and RA, newest first (?q=&status=good|revoked|expired|not-yet-valid&reason=&raId=&issuedOn=YYYY-MM-DD&expiringWithinDays=&pageSize≤200&after=<next of the previous page>|before=<previous of the following page>&page=); q of 8+ hex digits is a serial prefix, looked up through the index. A page number reaches the first 2,000 rows (page × pageSize ≤ 2,000; past it 400 inventory.page-too-deep): deeper, page by cursor',
    handle: ({ signet, by, query }) =>
      signet.ra.inventory.page(by, {
        q: query.q,
        status: query.status,
        reason: query.reason,
        raId: query.raId,
        issuedOn: query.issuedOn,
        expiringWithinDays: query.expiringWithinDays,
        page: query.page,
        pageSize: query.pageSize,
        after: query.after,
        before: query.before,
      }),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/inventory/statistics', scope: 'none',
    tag: 'ra',
    roles: READERS,
    summary: 'Dashboard figures: certificates by status, issued per Beijing day (?days=30), expiring in 30/60/90 days, revocations by reason',
    handle: ({ signet, by, query }) => signet.ra.inventory.statistics(by, { days: query.days }),
  },
];

export async function inventoryRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await registerOperatorRoutes(app, signet, INVENTORY_ROUTES);
}
