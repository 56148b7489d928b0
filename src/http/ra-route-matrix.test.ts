import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { ROLES, type Role } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { RA_ROUTES } from './ra-routes.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

const PASSWORD = 'matrix password 123';

describe.each(storeBackends)('RA routes × roles on %s (issue 3: every route declares the roles it admits)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  const bearer: Record<Role, string> = { 'ca-admin': 'test-admin-token', 'ra-admin': '', 'ra-officer': '', auditor: '' };

  beforeAll(async () => {
    t = await openTestSignet(backend);
    app = await buildServer(t.signet, { logger: false });
    const admin = { authorization: 'Bearer test-admin-token' };
    const ra = (await app.inject({ method: 'POST', url: '/api/v1/ra/organisations', headers: admin, payload: { name: '矩阵注册机构' } })).json() as { id: string };
    for (const role of ['ra-admin', 'ra-officer', 'auditor'] as const) {
      const operator = (
        await app.inject({ method: 'POST', url: '/api/v1/ra/operators', headers: admin, payload: { username: `m-${role}`, role, raId: ra.id, password: PASSWORD } })
      ).json() as { id: string };
      const token = await app.inject({ method: 'POST', url: '/api/v1/ra/api-tokens', headers: admin, payload: { label: 'matrix', operatorId: operator.id } });
      expect(token.statusCode, token.body).toBe(201);
      bearer[role] = (token.json() as { token: string }).token;
    }
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('declares roles on every RA route, and the routes are the ones the server serves', () => {
    expect(RA_ROUTES.length).toBeGreaterThan(30);
    for (const route of RA_ROUTES) {
      expect(route.roles.length, `${route.method} ${route.url}`).toBeGreaterThan(0);
      expect(app.hasRoute({ method: route.method, url: route.url }), `${route.method} ${route.url}`).toBe(true);
    }
  });

  it('documents every RA route in the OpenAPI document, with the roles it admits', async () => {
    const doc = (await app.inject('/api/openapi.json')).json() as { paths: Record<string, Record<string, { description?: string }>> };
    for (const route of RA_ROUTES) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      expect(operation?.description, `${route.method} ${route.url}`).toContain(`Admits: ${route.roles.join(', ')}`);
    }
  });

  it('admits exactly the declared roles on every route: others get 403, the anonymous 401, public routes everyone', async () => {
    const outcomes: string[] = [];
    for (const route of RA_ROUTES) {
      const url = route.url.replace(/:[A-Za-z]+/g, 'no-such-thing');
      const isPublic = route.roles.includes('public');
      const callers: Array<[Role | 'anonymous', Record<string, string>]> = [
        ['anonymous', {}],
        ...ROLES.map((role) => [role, { authorization: `Bearer ${bearer[role]}` }] as [Role, Record<string, string>]),
      ];
      for (const [who, headers] of callers) {
        const response = await app.inject({ method: route.method, url, headers, ...(route.method === 'POST' ? { payload: {} } : {}) });
        const code = (response.json() as { code?: string }).code;
        const admitted = isPublic || (who !== 'anonymous' && route.roles.includes(who));
        const line = `${route.method} ${route.url} as ${who}: ${response.statusCode} ${code ?? ''}`;
        outcomes.push(line);
        if (admitted) {
          expect(response.statusCode, line).not.toBe(401);
          expect(code, line).not.toBe('ra.role-not-admitted');
          expect(response.statusCode, line).toBeLessThan(500);
        } else if (who === 'anonymous') {
          expect([response.statusCode, code], line).toEqual([401, 'auth.required']);
        } else {
          expect([response.statusCode, code], line).toEqual([403, 'ra.role-not-admitted']);
        }
      }
    }
    expect(outcomes.length).toBe(RA_ROUTES.length * 5);
  });
});
