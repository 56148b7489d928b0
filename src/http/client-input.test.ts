import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { raDb } from '../ra/schema.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { buildServer } from './server.js';

afterAll(dropFreshStores);

/** Issue 16 §4–§6: bad client input is a precise 400 with nothing stored, never a 500. */
describe.each(storeBackends)('client input on %s (issue 16: strict schemas, one value per parameter, names)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let raId: string;
  const admin = { authorization: 'Bearer test-admin-token' };
  const subscribers = async () => Number((await raDb(t.signet.store).selectFrom('ra_subscribers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const register = (fields: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/portal/registrations',
      headers: { 'content-type': 'application/json' },
      // Serialised by hand: JSON.stringify keeps a lone surrogate as the escape \ud800, which is what an attacker sends.
      payload: JSON.stringify({
        raId,
        purpose: 'signing',
        type: 'individual',
        name: '张三',
        idType: 'resident-id',
        idNumber: '11010519491231002X',
        phone: '13900139000',
        email: 'input@example.cn',
        consent: { agreementVersion: 'v1', accepted: true },
        ...fields,
      }),
    });

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await t.signet.ra.agreements.publish({ id: 'v1', title: '协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
    raId = (await app.inject({ method: 'POST', url: '/api/v1/ra/organisations', headers: admin, payload: { name: '输入测试注册机构' } })).json().id;
  });

  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('refuses a repeated query parameter with 400 on public pages and operator lists alike', async () => {
    for (const [url, headers] of [
      ['/cps?lang=en&lang=zh-CN', {}],
      ['/api/v1/service/fees/charges?raId=a&raId=b', admin],
      ['/api/v1/ra/inventory/certificates?status=good&status=revoked', admin],
    ] as const) {
      const refused = await app.inject({ url, headers });
      expect([refused.statusCode, refused.json().code], url).toEqual([400, 'request.repeated-parameter']);
    }
  });

  it('answers {"certificate": 5} on the public status upload with 400', async () => {
    const refused = await app.inject({ method: 'POST', url: '/api/v1/status', payload: { certificate: 5 } });
    expect([refused.statusCode, refused.json().code, refused.json().field]).toEqual([400, 'status.bad-certificate', 'certificate']);
  });

  it('names every field at fault in one answer, each with its own reason in both languages, and stores nothing (R1, issue 20)', async () => {
    const before = await subscribers();
    const refused = await register({ idNumber: '110105194912310039', phone: '12345', email: 'not-an-address' });
    expect(refused.statusCode).toBe(400);
    const problem = refused.json();
    expect(problem.field).toBe('idNumber');
    expect(problem.errors.map((each: { field: string }) => each.field)).toEqual(['idNumber', 'phone', 'email']);
    for (const each of problem.errors as { code: string; messages: Record<string, string> }[]) {
      expect(each.code).toMatch(/^ra\./);
      expect(each.messages['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      expect(each.messages.en).toMatch(/[a-z]/);
    }
    expect(await subscribers()).toBe(before);
    // One fault alone stays the plain problem it always was.
    const single = await register({ phone: '12345' });
    expect([single.statusCode, single.json().field, single.json().errors]).toEqual([400, 'phone', undefined]);
    expect(await subscribers()).toBe(before);
  });

  it('does not coerce JSON types: a number for a name, "true" for consent are refused and nothing is stored', async () => {
    const before = await subscribers();
    for (const fields of [{ name: 12 }, { consent: { agreementVersion: 'v1', accepted: 'true' } }]) {
      const refused = await register(fields);
      expect([refused.statusCode, refused.json().code], JSON.stringify(fields)).toEqual([400, 'request.invalid']);
    }
    expect(await subscribers()).toBe(before);
  });

  it('checks uploads: the content must be the declared type, and a filename is never a path (issue 16 §5)', async () => {
    const registered = await register({ idNumber: '110105194912310038', name: '上传测试' });
    expect(registered.statusCode, registered.body).toBe(201);
    const session = await app.inject({ method: 'POST', url: '/api/v1/portal/sessions', payload: registered.json().access });
    const portal = { authorization: `Bearer ${session.json().token}` };
    const documents = async () => Number((await raDb(t.signet.store).selectFrom('ra_documents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const upload = (filename: string, type: string, payload: Buffer) =>
      app.inject({ method: 'POST', url: `/api/v1/portal/documents?kind=id-document&filename=${encodeURIComponent(filename)}`, headers: { ...portal, 'content-type': type }, payload });
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    const before = await documents();
    for (const [type, payload] of [
      ['image/png', Buffer.from('<script>alert(1)</script>')],
      ['application/pdf', png],
      ['image/jpeg', Buffer.from('%PDF-1.7\n')],
      ['image/png', png.subarray(0, 4)],
    ] as const) {
      const refused = await upload('scan', type, payload);
      expect([refused.statusCode, refused.json().code, refused.json().field], type).toEqual([415, 'ra.document-content-mismatch', 'content']);
      expect(refused.json().messages['zh-CN']).toMatch(/不符/);
    }
    expect(await documents()).toBe(before);
    for (const [given, kept] of <Array<[string, string]>>[
      ['../../../etc/passwd', 'passwd'],
      ['..\\..\\windows\\id.png', 'id.png'],
      ['scans/..', 'document'],
      ['身份证.png', '身份证.png'],
    ]) {
      const stored = await upload(given, 'image/png', png);
      expect([stored.statusCode, stored.json().filename], given).toEqual([201, kept]);
    }
    // Bidi tricks in a filename are refused as in a name.
    const bidi = await upload('scan\u202Egnp.exe', 'image/png', png);
    expect([bidi.statusCode, bidi.json().code]).toEqual([400, 'ra.name-invisible-character']);
  });

  it('refuses names with bidi controls, zero-width, C1 controls or lone surrogates before they reach a subject', async () => {
    const before = await subscribers();
    for (const [name, code] of [
      ['张\u202E三', 'ra.name-invisible-character'],
      ['张\u2067三', 'ra.name-invisible-character'],
      ['张\u200B三', 'ra.name-invisible-character'],
      ['张\u0085三', 'ra.name-invisible-character'],
      ['张\uFEFF三', 'ra.name-invisible-character'],
      ['张\ud800三', 'ra.name-not-unicode'],
      ['张\udc00', 'ra.name-not-unicode'],
    ] as const) {
      const refused = await register({ name });
      expect([refused.statusCode, refused.json().code, refused.json().field], JSON.stringify(name)).toEqual([400, code, 'name']);
    }
    expect(await subscribers()).toBe(before);
    // NFC: a decomposed name is stored composed.
    const accepted = await register({ name: 'Zoe\u0301 Li' });
    expect(accepted.statusCode, accepted.body).toBe(201);
    // The answer carries the tracking code: no cache keeps it (issue 16 §7).
    expect(accepted.headers['cache-control']).toBe('no-store');
    expect(accepted.json().subscriber.name).not.toContain('\u0301');
  });
});
