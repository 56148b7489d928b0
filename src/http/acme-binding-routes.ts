import { raOfSubscriber } from './access.js';
import type { RaRoute } from './ra-routes.js';

const str = { type: 'string', maxLength: 256 } as const;
const object = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, required, properties });

/**
 * The RA's side of ACME (docs/acme.md): an officer issues an External Account
 * Binding for a verified enterprise, naming its domains, profiles and
 * validity. Part of the RA's route table, so the route × role matrices cover it.
 */
export const ACME_BINDING_ROUTES: readonly RaRoute[] = [
  {
    method: 'POST',
    url: '/api/v1/ra/acme-bindings',
    roles: ['ca-admin', 'ra-admin', 'ra-officer'],
    scope: (signet, { body }) => raOfSubscriber(signet, body.subscriberId),
    status: 201,
    summary: 'Issue an ACME external account binding (key id and HMAC key, shown once) for a verified enterprise subscriber',
    body: object(
      {
        subscriberId: str,
        identifiers: { type: 'array', minItems: 1, maxItems: 100, items: str },
        profiles: { type: 'array', minItems: 1, maxItems: 10, items: str },
        validityDays: { type: 'integer' },
        lifetimeDays: { type: 'integer' },
      },
      ['subscriberId', 'identifiers'],
    ),
    handle: ({ signet, by, body }) =>
      signet.acme.bindings.issue(by, {
        subscriberId: String(body.subscriberId),
        identifiers: body.identifiers as string[],
        profiles: body.profiles as string[] | undefined,
        validityDays: body.validityDays as number | undefined,
        lifetimeDays: body.lifetimeDays as number | undefined,
      }),
  },
  {
    method: 'GET',
    url: '/api/v1/ra/acme-bindings',
    roles: ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'],
    // The list is narrowed to the caller's RA by the domain.
    scope: 'none',
    summary: "ACME external account bindings of the caller's RA (without their keys)",
    handle: ({ signet, by, query }) => signet.acme.bindings.list(by, { subscriberId: query.subscriberId }),
  },
  {
    method: 'POST',
    url: '/api/v1/ra/acme-bindings/:keyId/revocation',
    roles: ['ca-admin', 'ra-admin', 'ra-officer'],
    scope: (signet, { params }) => signet.acme.bindings.raOf(String(params.keyId)),
    summary: 'Revoke an ACME external account binding: its account can order no more certificates',
    handle: ({ signet, by, params }) => signet.acme.bindings.revoke(by, params.keyId!),
  },
];
