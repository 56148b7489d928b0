import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { PUBLICATION_ROUTES } from './agreement-routes.js';
import { DISPUTE_ROUTES } from './dispute-routes.js';
import { INVENTORY_ROUTES } from './inventory-routes.js';
import { PORTAL_ROUTES } from './portal-routes.js';
import { RA_ROUTES } from './ra-routes.js';
import { buildServer } from './server.js';
import { SERVICE_ROUTES } from './service-routes.js';

afterAll(dropFreshStores);

/** Who may call a route: anyone, a signed-in subscriber, the listed operator roles, or only the deployment's admin token. */
type Access = { kind: 'public' } | { kind: 'subscriber' } | { kind: 'operators'; roles: readonly string[] } | { kind: 'admin-token' };

/**
 * Routes outside the role-declaring tables, written down by hand: a new
 * route appears in the OpenAPI document, finds no entry here or in a table,
 * and fails the first test until someone decides who may call it.
 */
const PUBLIC: Access = { kind: 'public' };
const ADMIN_TOKEN: Access = { kind: 'admin-token' };
const OTHER_ROUTES: Record<string, Access> = {
  'GET /healthz': PUBLIC,
  'GET /api/v1/cas': PUBLIC,
  'GET /api/v1/cas/{caId}': PUBLIC,
  'GET /ca/{file}': PUBLIC,
  'GET /api/v1/profiles': PUBLIC,
  'POST /api/v1/certificates': ADMIN_TOKEN,
  'GET /api/v1/certificates/{ref}': PUBLIC,
  'GET /crl/{file}': PUBLIC,
  // Partitioned CRLs (issue 22): published like the full ones, for anyone.
  'GET /crl/{caId}/{count}/{file}': PUBLIC,
  'GET /api/v1/crls/{caId}': PUBLIC,
  'POST /api/v1/crls/{caId}': ADMIN_TOKEN,
  'POST /api/v1/certificates/{serial}/revocation': { kind: 'operators', roles: ['ca-admin'] },
  'GET /api/v1/status/{serial}': PUBLIC,
  'POST /api/v1/status': PUBLIC,
  'POST /ocsp': PUBLIC,
  'GET /ocsp/{*}': PUBLIC,
  'POST /tsa': PUBLIC,
  'GET /tsa/certificate.pem': PUBLIC,
  'POST /api/v1/cms/verify': PUBLIC,
  'POST /api/v1/evidence/verification': PUBLIC,
  'POST /api/v1/evidence': ADMIN_TOKEN,
  'GET /agreements': PUBLIC,
  'GET /agreements/{version}': PUBLIC,
  'GET /cps/{version}': PUBLIC,
  'GET /notices/{version}': PUBLIC,
  'GET /notices': PUBLIC,
  'GET /cps': PUBLIC,
  // The CA's contact details (issue 20), shown on public pages.
  'GET /api/v1/contact': PUBLIC,
  // No bearer at the door: the body is a message signed by a registered CA, checked by the KMC (GM/T 0034).
  'POST /kmc/v1/requests': PUBLIC,
  'POST /api/v1/certificates/dual': ADMIN_TOKEN,
};

/** The answers that mean "not you": anything else (a 400 for the empty body, a 404 for the made-up id) means the caller got past the door. */
const REFUSALS = new Set(['auth.required', 'ra.role-not-admitted', 'ra.portal-sign-in-required', 'ra.other-ra', 'auth.ca-wide-only']);

function expectedAccess(): Map<string, Access> {
  const out = new Map<string, Access>();
  const key = (method: string, url: string) => `${method} ${url.replace(/:([A-Za-z]+)/g, '{$1}')}`;
  for (const r of RA_ROUTES) out.set(key(r.method, r.url), r.roles.includes('public') ? { kind: 'public' } : { kind: 'operators', roles: r.roles });
  for (const r of [...SERVICE_ROUTES, ...PUBLICATION_ROUTES, ...DISPUTE_ROUTES, ...INVENTORY_ROUTES]) {
    out.set(key(r.method, r.url), r.roles.includes('public') ? { kind: 'public' } : { kind: 'operators', roles: r.roles });
  }
  for (const r of PORTAL_ROUTES) out.set(key(r.method, r.url), r.scope === 'public' ? { kind: 'public' } : { kind: 'subscriber' });
  for (const [k, v] of Object.entries(OTHER_ROUTES)) out.set(k, v);
  return out;
}

describe('every route in the OpenAPI document × every kind of caller (issue 16 §2)', () => {
  let t: TestSignet;
  let app: FastifyInstance;
  let operations: string[];

  beforeAll(async () => {
    t = await openTestSignet('sqlite');
    app = await buildServer(t.signet, { logger: false });
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('has a written-down answer for every route the server documents', () => {
    const expected = expectedAccess();
    const missing = operations.filter((op) => !expected.has(op));
    expect(missing).toEqual([]);
    // And no entry for a route that no longer exists.
    expect([...expected.keys()].filter((op) => !operations.includes(op))).toEqual([]);
  });

  it('answers each kind of caller as written down: the door refuses exactly those not admitted, and nobody gets a 5xx', async () => {
    const admin = { authorization: 'Bearer test-admin-token' };
    const post = (url: string, payload: unknown, headers: Record<string, string> = admin) => app.inject({ method: 'POST', url, headers, payload: payload as object });
    await t.signet.ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
    const callers: Array<{ name: string; role: string | null; kind: 'anonymous' | 'subscriber' | 'operator' | 'admin-token'; headers: Record<string, string> }> = [
      { name: 'anonymous', role: null, kind: 'anonymous', headers: {} },
      { name: 'admin token', role: 'ca-admin', kind: 'admin-token', headers: admin },
    ];
    const caAdmin = (await post('/api/v1/ra/operators', { username: 'matrix-ca-admin', role: 'ca-admin', password: 'matrix password 123' })).json();
    callers.push({ name: 'ca-admin operator', role: 'ca-admin', kind: 'operator', headers: { authorization: `Bearer ${(await post('/api/v1/ra/api-tokens', { label: 'm', operatorId: caAdmin.id })).json().token}` } });
    for (const [ra, idNumber] of [['X', '11010519491231002X'], ['Y', '110101199003077571']] as const) {
      const raId = (await post('/api/v1/ra/organisations', { name: `矩阵注册机构${ra}` })).json().id;
      for (const role of ['ra-admin', 'ra-officer', 'auditor']) {
        const operator = (await post('/api/v1/ra/operators', { username: `m-${ra}-${role}`.toLowerCase(), role, raId, password: 'matrix password 123' })).json();
        const token = (await post('/api/v1/ra/api-tokens', { label: 'm', operatorId: operator.id })).json().token;
        callers.push({ name: `${role} of RA ${ra}`, role, kind: 'operator', headers: { authorization: `Bearer ${token}` } });
      }
      const registered = await post(
        '/api/v1/portal/registrations',
        { raId, purpose: 'signing', type: 'individual', name: `订户${ra}`, idType: 'resident-id', idNumber, phone: '13900139000', email: `m${ra}@example.cn`, consent: { agreementVersion: 'v1', accepted: true } },
        {},
      );
      expect(registered.statusCode, registered.body).toBe(201);
      const session = await post('/api/v1/portal/sessions', registered.json().access, {});
      callers.push({ name: `subscriber of RA ${ra}`, role: null, kind: 'subscriber', headers: { authorization: `Bearer ${session.json().token}` } });
    }

    const expected = expectedAccess();
    const wrong: string[] = [];
    let calls = 0;
    for (const op of operations) {
      const access = expected.get(op)!;
      const [method, path] = op.split(' ') as [string, string];
      // Ending a portal session or an operator session would sign the caller out for the routes after it.
      if (path === '/api/v1/portal/sessions/end' || path === '/api/v1/ra/logout') continue;
      const url = path.replace('{*}', 'MAo%3D').replace(/\{[A-Za-z]+\}/g, 'no-such-thing');
      for (const caller of callers) {
        const response = await app.inject({ method: method as 'GET', url, headers: caller.headers, ...(method === 'GET' ? {} : { payload: {} }) });
        calls += 1;
        let code: string | undefined;
        try {
          code = (response.json() as { code?: string }).code;
        } catch {
          code = undefined;
        }
        const refused = REFUSALS.has(code ?? '') && (response.statusCode === 401 || response.statusCode === 403);
        const admitted =
          access.kind === 'public' ||
          (access.kind === 'subscriber' && caller.kind === 'subscriber') ||
          (access.kind === 'admin-token' && caller.kind === 'admin-token') ||
          (access.kind === 'operators' && (caller.kind === 'operator' || caller.kind === 'admin-token') && access.roles.includes(caller.role!));
        const line = `${op} as ${caller.name}: ${response.statusCode} ${code ?? ''}`;
        if (response.statusCode >= 500) wrong.push(`${line} (5xx)`);
        // Admitted callers may still meet an object-scope refusal (another RA's made-up id is not theirs); the role door must not stop them.
        if (admitted && refused && code !== 'ra.other-ra' && code !== 'auth.ca-wide-only') wrong.push(`${line} (admitted but refused)`);
        if (!admitted && !refused) wrong.push(`${line} (not admitted but let through)`);
        if (!admitted && caller.kind === 'anonymous' && response.statusCode !== 401) wrong.push(`${line} (anonymous must get 401)`);
      }
    }
    expect(wrong.join("\n")).toBe("");
    expect(calls).toBeGreaterThan(operations.length * 10);
  }, 300_000);
});
