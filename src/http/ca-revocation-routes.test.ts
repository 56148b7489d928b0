import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

interface Answer {
  status: number;
  json: Record<string, unknown> & { code?: string; field?: string; messages?: Record<string, string> };
  headers: Headers;
}

describe.each(storeBackends)('CA-initiated revocation by an authorised operator, recorded as that operator, on %s (R15, R7)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let dir: string;
  const admin = { authorization: 'Bearer test-admin-token' };
  let caAdmin: Record<string, string>;
  let session: Record<string, string>;
  let officer: Record<string, string>;

  async function call(headers: Record<string, string>, method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Answer['json'], headers: response.headers };
  }

  async function issue(name: string): Promise<string> {
    const issued = await call(admin, 'POST', '/api/v1/certificates', { csr: opensslRequest(dir, 'ecdsa-p256', name).csrPem, profile: 'tls-client', subject: `CN=${name},O=示例科技有限公司,C=CN` });
    expect(issued.status, JSON.stringify(issued.json)).toBe(201);
    return String(issued.json.serial);
  }

  /** The revocations and audit entries: a refused request leaves both as they were. */
  async function counts(): Promise<number[]> {
    const out: number[] = [];
    for (const table of ['revocations', 'audit_entries']) {
      const row = await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)}`.execute(t.signet.store.db);
      out.push(Number(row.rows[0]!.n));
    }
    return out;
  }

  async function operator(username: string, role: string, raId: string | null): Promise<string> {
    const created = await call(admin, 'POST', '/api/v1/ra/operators', { username, role, raId, password: 'a long enough password' });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return String(created.json.id);
  }

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = mkdtempSync(join(tmpdir(), 'signet-ca-revocation-'));

    const adminId = await operator('ca-admin-zhao', 'ca-admin', null);
    caAdmin = { authorization: `Bearer ${String((await call(admin, 'POST', '/api/v1/ra/api-tokens', { label: 'console', operatorId: adminId })).json.token)}` };
    const ra = await call(admin, 'POST', '/api/v1/ra/organisations', { name: '北京注册机构' });
    const officerId = await operator('officer-qian', 'ra-officer', String(ra.json.id));
    officer = { authorization: `Bearer ${String((await call(admin, 'POST', '/api/v1/ra/api-tokens', { label: 'console', operatorId: officerId })).json.token)}` };
    await operator('ca-admin-sun', 'ca-admin', null);
    const login = await call({}, 'POST', '/api/v1/ra/login', { username: 'ca-admin-sun', password: 'a long enough password' });
    expect(login.status).toBe(200);
    session = { cookie: login.headers.getSetCookie().find((c) => c.startsWith('signet_session='))!.split(';')[0]!, 'x-csrf-token': String(login.json.csrfToken) };
  });
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  it('lets a CA administrator revoke on one of the agreement’s grounds with a justification, recording that operator, not a name the body gives', async () => {
    const serial = await issue('crime');
    const done = await call(caAdmin, 'POST', `/api/v1/certificates/${serial}/revocation`, { channel: 'ca', ground: 'use-in-crime', justification: '公安机关协查函 2026-17 号' });
    expect(done.status, JSON.stringify(done.json)).toBe(201);
    expect(done.json).toMatchObject({ serial, ground: 'use-in-crime', reason: 'privilegeWithdrawn', channel: 'ca', requestedBy: 'operator:ca-admin-zhao' });
    const entry = await sql<{ actor: string }>`select actor from audit_entries where action = 'certificate.revoked' and target = ${`certificate:${serial}`}`.execute(t.signet.store.db);
    expect(entry.rows.map((r) => r.actor)).toEqual(['operator:ca-admin-zhao']);

    // The same by a password session (with its CSRF token), and by the deployment's token.
    const bySession = await issue('false');
    expect((await call(session, 'POST', `/api/v1/certificates/${bySession}/revocation`, { channel: 'ca', ground: 'false-information', justification: '营业执照系伪造' })).json).toMatchObject({ requestedBy: 'operator:ca-admin-sun', reason: 'privilegeWithdrawn' });
    const byToken = await issue('written');
    expect((await call(admin, 'POST', `/api/v1/certificates/${byToken}/revocation`, { channel: 'ca', ground: 'written-request', justification: '订户书面申请 2026-09-01' })).json).toMatchObject({ requestedBy: 'operator:admin-token', reason: 'cessationOfOperation' });
  });

  it('refuses an RA officer, a session without its CSRF token, a missing justification and a claimed requester, changing nothing', async () => {
    const serial = await issue('refused');
    const before = await counts();
    const url = `/api/v1/certificates/${serial}/revocation`;
    const body = { channel: 'ca', ground: 'breach', justification: '违反协议第三条' };

    const notCa = await call({ ...officer, 'accept-language': 'en' }, 'POST', url, body);
    expect([notCa.status, notCa.json.code]).toEqual([403, 'ra.role-not-admitted']);
    // The refusal names the roles in words, not their codes (issue 20).
    expect(notCa.json.messages!['zh-CN']).toContain('RA 审核员');
    expect(notCa.json.messages!['zh-CN']).not.toContain('ra-officer');
    expect((await call({ cookie: session.cookie! }, 'POST', url, body)).json.code).toBe('ra.csrf-mismatch');
    expect((await call({}, 'POST', url, body)).status).toBe(401);
    const silent = await call(caAdmin, 'POST', url, { channel: 'ca', ground: 'breach' });
    expect([silent.status, silent.json.code, silent.json.field]).toEqual([400, 'revocation.justification-required', 'justification']);
    expect((await call(caAdmin, 'POST', url, { ...body, requestedBy: 'someone-else' })).status).toBe(400);

    expect(await counts()).toEqual(before);
    expect((await call({}, 'GET', `/api/v1/status/${serial}`)).json).toMatchObject({ status: 'good' });
  });
});
