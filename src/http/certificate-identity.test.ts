import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { opensslView } from '../ca/test-support/openssl-extension.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('POST /api/v1/certificates with the verified identity, on %s (GM/T 0015, R1)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let dir: string;
  const operator = { authorization: 'Bearer test-admin-token' };
  const intents = async () =>
    Number((await t.signet.store.db.selectFrom('issuance_intents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    dir = mkdtempSync(join(tmpdir(), 'signet-http-identity-'));
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it("puts the body's USCC into the enterprise certificate's OrganizationCode (1.2.156.10260.4.1.4)", async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/certificates',
      headers: operator,
      payload: {
        csr: opensslRequest(dir, 'ecdsa-p256', 'enterprise').csrPem,
        profile: 'enterprise-signing',
        subject: { commonName: '示例科技有限公司', organizationName: '示例科技有限公司' },
        identity: { type: 'uscc', value: '91110000802100433B' },
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    const der = Buffer.from((response.json() as { pem: string }).pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(opensslView(dir, der, '1.2.156.10260.4.1.4').value).toMatch(/PRINTABLESTRING +:91110000802100433B/);
  });

  it('refuses a validity beyond the profile instead of shortening it, and records nothing (issue 16 §5)', async () => {
    const before = await intents();
    for (const validityDays of [1e12, 366 * 30]) {
      const payload = { csr: opensslRequest(dir, 'ecdsa-p256', 'long').csrPem, profile: 'enterprise-signing', subject: 'CN=某公司', identity: { type: 'uscc', value: '91110000802100433B' }, validityDays };
      const refused = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { ...operator, 'accept-language': 'en' }, payload });
      expect([refused.statusCode, refused.json().code, refused.json().field], refused.body).toEqual([400, 'request.validity-beyond-profile', 'validityDays']);
      expect(String(refused.json().detail)).toMatch(/exceeds the \d+ days profile enterprise-signing allows/);
    }
    expect(await intents()).toBe(before);
  });

  it.each([
    ['an identity type the CA does not know', { type: 'social-insurance', value: '1' }, 'request.invalid', 'identity'],
    ['a malformed resident ID', { type: 'resident-id', value: '11010519491231002' }, 'request.identity-invalid.resident-id', 'identity'],
    // Issue 16 §5: the check digits the RA checks at the counter hold on the admin API too.
    ['a resident ID with a wrong check digit', { type: 'resident-id', value: '110105194912310021' }, 'ra.invalid-resident-id.check-digit', 'identity.value'],
    ['a USCC with a wrong check character', { type: 'uscc', value: '91110000802100433C' }, 'ra.invalid-uscc.check-character', 'identity.value'],
  ])('answers %s with a precise problem in both languages and records nothing', async (_label, identity, code, field) => {
    const before = await intents();
    const payload = { csr: opensslRequest(dir, 'ecdsa-p256', 'person').csrPem, profile: 'individual-signing', subject: 'CN=张三', identity };
    const en = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { ...operator, 'accept-language': 'en' }, payload });
    expect(en.statusCode).toBe(400);
    expect(en.json()).toMatchObject({ status: 400, code });
    if (code !== 'request.invalid') expect(en.json()).toMatchObject({ field });
    if (code === 'request.identity-invalid.resident-id') {
      expect(String(en.json().detail)).toContain('resident ID number is malformed');
      const zh = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: operator, payload });
      expect(String(zh.json().detail)).toContain('居民身份证号码格式不正确');
    }
    if (code.startsWith('ra.')) {
      const zh = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: operator, payload });
      expect(String(zh.json().detail)).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await intents()).toBe(before);
  });
});
