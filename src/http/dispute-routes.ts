import type { FastifyInstance } from 'fastify';
import type { DisputeState } from '../evidence/disputes.js';
import type { Signet } from '../signet.js';
import { object, registerOperatorRoutes, type OperatorRoute } from './service-routes.js';

const STATES: readonly DisputeState[] = ['filed', 'investigating', 'negotiation', 'referred-to-arbitration', 'closed'];

/**
 * R10, III.4: a dispute is between the subscriber and the CA, so the CA's
 * administrators (its dispute desk) move it on and auditors read it; the
 * window, the allowed transitions, the legal hold and the notices to both
 * parties are the domain's (src/evidence/disputes.ts).
 */
export const DISPUTE_ROUTES: readonly OperatorRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/disputes', scope: 'ca',
    tag: 'disputes',
    roles: ['ca-admin', 'auditor'],
    summary: 'Disputes, oldest first (?open=true for those not closed, ?subscriberId=); without the description and outcome, which one dispute\'s read gives',
    handle: ({ signet, query }) => signet.disputes.list({ open: query.open === 'true', subscriberId: query.subscriberId || undefined }),
  },
  {
    method: 'GET',
    url: '/api/v1/disputes/:id', scope: 'ca',
    tag: 'disputes',
    roles: ['ca-admin', 'auditor'],
    summary: 'One dispute with its history: who moved it, when, from which state to which, and why (the read is audited)',
    handle: ({ signet, actor, params }) => signet.disputes.dispute(params.id!, actor),
  },
  {
    method: 'POST',
    url: '/api/v1/disputes/:id/advance', scope: 'ca',
    tag: 'disputes',
    roles: ['ca-admin'],
    summary: 'Move a dispute on (filed → investigating → negotiation → referred-to-arbitration → closed; closed from any open state); a note is required, both parties are notified',
    body: object({ to: { type: 'string', enum: [...STATES] }, note: { type: 'string', maxLength: 4000 } }, ['to', 'note']),
    handle: ({ signet, actor, params, body }) => signet.disputes.advance(params.id!, body.to as DisputeState, actor, String(body.note)),
  },
];

export async function disputeRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  await registerOperatorRoutes(app, signet, DISPUTE_ROUTES);
}
