import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import type { Principal } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { OWN_RA, type Scope } from './access.js';
import { PUBLICATION_ROUTES } from './agreement-routes.js';
import { DISPUTE_ROUTES } from './dispute-routes.js';
import { INVENTORY_ROUTES } from './inventory-routes.js';
import { PORTAL_ROUTES } from './portal-routes.js';
import { RA_ROUTES } from './ra-routes.js';
import { buildServer } from './server.js';
import { SERVICE_ROUTES } from './service-routes.js';

afterAll(dropFreshStores);

interface Declared {
  method: string;
  url: string;
  roles: readonly string[];
  scope: Scope;
  body?: Record<string, unknown>;
  upload?: boolean;
}

const OPERATOR_ROUTES: readonly Declared[] = [...RA_ROUTES, ...SERVICE_ROUTES, ...PUBLICATION_ROUTES, ...DISPUTE_ROUTES, ...INVENTORY_ROUTES];
const ID_X = '11010519491231002X';
const ID_Y = '110101199003077571';
const ID_AGENT = '110105194912310038';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** The smallest body the route's schema accepts: every required field, of its type. */
function minimalBody(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const value = (s: Record<string, unknown>): unknown => {
    if (Array.isArray(s.anyOf)) return value(s.anyOf[0] as Record<string, unknown>);
    if (Array.isArray(s.enum)) return s.enum[0];
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === 'integer' || type === 'number') return 1;
    if (type === 'boolean') return true;
    if (type === 'array') return Array.from({ length: Number(s.minItems ?? 0) }, () => value((s.items ?? {}) as Record<string, unknown>));
    if (type === 'object') return minimalBody(s);
    return 'x';
  };
  const out: Record<string, unknown> = {};
  const properties = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of (schema?.required ?? []) as string[]) out[name] = value(properties[name]!);
  return out;
}

/**
 * Issue 16 §2, "including another RA's objects": every operator route that
 * names an object (in its path or body) is called by RA X's operators with
 * RA Y's real object, and must refuse (403 ra.other-ra) before anything is
 * read or changed; the same declaration, asked about RA Y's object, must name
 * RA Y. Portal routes naming another subscriber's object answer 404. A new
 * path parameter with no object below fails the test until one is added.
 */
describe.each(storeBackends)("every route × every kind of caller on another RA's real objects, on %s (issue 16 §2)", (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  const admin = { authorization: 'Bearer test-admin-token' };
  const raX: Record<string, Record<string, string>> = {};
  let portalX: Record<string, string>;
  const y: Record<string, string> = {};

  const call = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    // The server's five-minute CRL/OCSP round writes on its own clock; a loaded run may outlast it and its rows
    // would read as a refused route's change. Nothing here depends on it: it does not start.
    t.signet.status.startSchedule = () => () => undefined;
    app = await buildServer(t.signet, { logger: false });
    await t.signet.ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
    const ra = async (name: string) => (await call('POST', '/api/v1/ra/organisations', admin, { name })).json().id as string;
    const [x, raY] = [await ra('对象矩阵X'), await ra('对象矩阵Y')];
    y.raId = raY;
    for (const role of ['ra-admin', 'ra-officer', 'auditor']) {
      const operator = (await call('POST', '/api/v1/ra/operators', admin, { username: `ox-${role}`, role, raId: x, password: 'object matrix 123' })).json();
      raX[role] = { authorization: `Bearer ${(await call('POST', '/api/v1/ra/api-tokens', admin, { label: 'o', operatorId: operator.id })).json().token}` };
    }
    y.operatorId = (await call('POST', '/api/v1/ra/operators', admin, { username: 'oy-officer', role: 'ra-officer', raId: raY, password: 'object matrix 123' })).json().id;

    // RA Y's subscriber and everything of theirs a route can name.
    const officerY: Principal = { operatorId: null, username: 'officer-y', role: 'ra-officer', raId: raY, via: 'cli' };
    const consent = { agreementVersion: 'v1', accepted: true };
    const record = (name: string, idNumber: string) => ({ record: { type: 'individual', name, idType: 'resident-id', idNumber, phone: '13500135000', email: 'y@example.cn' }, consent });
    y.subscriberId = (await t.signet.ra.subscribers.register(officerY, record('乙方订户', ID_Y), null)).id;
    y.documentId = (await t.signet.ra.subscribers.addDocument(officerY, y.subscriberId, { kind: 'id-document', filename: 'y.png', mediaType: 'image/png', content: PNG })).id;
    y.delegationId = (
      await t.signet.ra.delegations.create(officerY, y.subscriberId, {
        agentName: '代理人',
        agentIdType: 'resident-id',
        agentIdNumber: ID_AGENT,
        scope: ['download'],
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        evidenceDocumentId: y.documentId,
      })
    ).id;
    y.changeId = (await t.signet.ra.changes.submit(officerY, y.subscriberId, { changes: { phone: '13711112222' } })).id;
    y.applicationId = (await t.signet.ra.applications.submit(officerY, { subscriberId: y.subscriberId, purpose: 'signing', consent }, null)).id;
    y.serial = (
      await t.signet.ca.issue({ csr: opensslRequest(t.dir, 'ecdsa-p256', 'objects').csrPem, profileId: 'individual-signing', subject: 'CN=乙方订户', subscriberId: y.subscriberId, requestedBy: 'test', reason: 'object matrix' })
    ).serial;
    // An enterprise of RA Y with an ACME external account binding (its key id names it).
    const enterpriseY = await t.signet.ra.subscribers.register(
      officerY,
      {
        record: {
          type: 'enterprise',
          name: '乙方科技有限公司',
          uscc: '91350100M000100Y43',
          legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: ID_AGENT },
          agent: { name: '李四', idType: 'resident-id', idNumber: ID_Y, phone: '13800138000', email: 'lisi@example.cn' },
        },
        consent,
      },
      null,
    );
    const binding = await call('POST', '/api/v1/ra/acme-bindings', admin, { subscriberId: enterpriseY.id, identifiers: ['y.example.cn'] });
    expect(binding.statusCode, binding.body).toBe(201);
    y.keyId = binding.json().keyId;
    const complainant = { name: '乙方订户', contact: '13500135000' };
    y.complaint = (await call('POST', '/api/v1/service/complaints', admin, { channel: 'phone', subscriberId: y.subscriberId, complainant, category: 'service', description: '投诉' })).json().id;
    await call('POST', '/api/v1/service/fees/schedules', admin, { raId: raY, profileId: 'individual-signing', validityDays: 365, amountFen: 5000 });
    const charge = await call('POST', '/api/v1/service/fees/charges', admin, { raId: raY, subscriberId: y.subscriberId, purpose: 'issuance', reference: 'application:y', profileId: 'individual-signing', validityDays: 365 });
    expect(charge.statusCode, charge.body).toBe(201);
    y.charge = charge.json().id;
    const claim = await call('POST', '/api/v1/service/liability/claims', admin, { certificateSerial: y.serial, amountFen: 100, claimant: complainant, description: '赔偿' });
    expect(claim.statusCode, claim.body).toBe(201);
    y.claim = claim.json().id;

    // A subscriber of RA X signed in to the portal.
    const registered = await call('POST', '/api/v1/portal/registrations', {}, { raId: x, purpose: 'signing', type: 'individual', name: '甲方订户', idType: 'resident-id', idNumber: ID_X, phone: '13900139000', email: 'x@example.cn', consent });
    expect(registered.statusCode, registered.body).toBe(201);
    portalX = { authorization: `Bearer ${(await call('POST', '/api/v1/portal/sessions', {}, registered.json().access)).json().token}` };
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  /** RA Y's object for each path parameter; `:id` depends on what the path is about. */
  const objectFor = (url: string, param: string): string | undefined => {
    if (param === 'id') {
      if (url.includes('/complaints/')) return y.complaint;
      if (url.includes('/charges/')) return y.charge;
      if (url.includes('/claims/')) return y.claim;
      return 'ca-wide-object';
    }
    if (param === 'version') return 'v1';
    return y[param];
  };
  const pathFor = (url: string) => url.replace(/:([A-Za-z]+)/g, (_, param: string) => objectFor(url, param) ?? `MISSING(${param})`);
  /** A body naming RA Y's objects in whichever of the scope fields the route's schema has. */
  const bodyFor = (route: { body?: Record<string, unknown> }) => {
    const body = minimalBody(route.body);
    const properties = (route.body?.properties ?? {}) as Record<string, unknown>;
    const named: Record<string, string | undefined> = { subscriberId: y.subscriberId, certificateSerial: y.serial, raId: y.raId, operatorId: y.operatorId };
    for (const [field, value] of Object.entries(named)) if (field in properties) body[field] = value;
    return body;
  };

  /** Every table's rows, hashed: a refusal must leave all of them as they were. */
  const fingerprint = async () => {
    const db = t.signet.store.db;
    // process_instances is the server's own lease, renewed on a timer (src/store/process-instances.ts): under load a
    // renewal falls inside the walk and is no change a refused route made.
    const tables = (await db.introspection.getTables()).map((table) => table.name).filter((name) => name !== 'process_instances').sort();
    const hash = createHash('sha256');
    for (const table of tables) {
      const rows = await db.selectFrom(table as never).selectAll().execute();
      hash.update(`${table}:${JSON.stringify(rows.map((row) => JSON.stringify(row)).sort())}\n`);
    }
    return hash.digest('hex');
  };

  it('has an object of RA Y for every path parameter an operator or portal route names', () => {
    const missing = [...OPERATOR_ROUTES, ...PORTAL_ROUTES].map((r) => pathFor(r.url)).filter((path) => path.includes('MISSING('));
    expect(missing).toEqual([]);
  });

  it("refuses RA X's operators every route naming RA Y's object, before anything is read or changed", async () => {
    const before = await fingerprint();
    const wrong: string[] = [];
    let refusals = 0;
    for (const route of OPERATOR_ROUTES) {
      if (route.scope === 'none' || route.roles.includes('public')) continue;
      // The RA named in a query (the payment gate's ?raId=) is RA Y's too.
      const url = `${pathFor(route.url)}?raId=${y.raId}`;
      for (const [role, headers] of Object.entries(raX)) {
        if (!route.roles.includes(role)) continue;
        const response = route.upload
          ? await app.inject({ method: 'POST', url: `${url}&kind=id-document&filename=x.png`, headers: { ...headers, 'content-type': 'image/png' }, payload: PNG })
          : await call(route.method, url, headers, route.method === 'GET' ? undefined : bodyFor(route));
        const code = (response.json() as { code?: string }).code;
        const expected = route.scope === 'ca' ? 'auth.ca-wide-only' : 'ra.other-ra';
        refusals += 1;
        if (response.statusCode !== 403 || code !== expected) wrong.push(`${route.method} ${route.url} as ${role} of RA X: ${response.statusCode} ${code ?? response.body.slice(0, 80)} (expected 403 ${expected})`);
      }
    }
    expect(wrong.join('\n')).toBe('');
    expect(refusals).toBeGreaterThan(60);
    expect(await fingerprint()).toBe(before);
  }, 120_000);

  it("names RA Y for RA Y's objects in every object-scoped declaration (what lets RA Y's staff and the CA through)", async () => {
    const wrong: string[] = [];
    for (const route of OPERATOR_ROUTES) {
      if (typeof route.scope !== 'function') continue;
      const params = Object.fromEntries([...route.url.matchAll(/:([A-Za-z]+)/g)].map(([, p]) => [p!, objectFor(route.url, p!)!]));
      const raId = await route.scope(t.signet, { params, query: { raId: y.raId }, body: route.upload ? {} : bodyFor(route) });
      if (raId !== y.raId) wrong.push(`${route.method} ${route.url}: ${raId === OWN_RA ? "the caller's own RA" : String(raId)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("answers a subscriber naming another RA's subscriber's certificate or delegation with the unknown object's 404, changing nothing", async () => {
    const before = await fingerprint();
    const wrong: string[] = [];
    let named = 0;
    for (const route of PORTAL_ROUTES) {
      if (typeof route.scope !== 'object') continue;
      named += 1;
      const response = await call(route.method, pathFor(route.url), portalX, route.method === 'GET' ? undefined : { ...minimalBody(route.body), ...('certificateSerial' in ((route.body?.properties ?? {}) as object) ? { certificateSerial: y.serial } : {}) });
      const code = (response.json() as { code?: string }).code;
      if (response.statusCode !== 404 || !['ra.portal-unknown-certificate', 'ra.unknown-delegation'].includes(code ?? '')) wrong.push(`${route.method} ${route.url}: ${response.statusCode} ${code}`);
    }
    expect(wrong).toEqual([]);
    expect(named).toBe(5);
    expect(await fingerprint()).toBe(before);
  });
});
