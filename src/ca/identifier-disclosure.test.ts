import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../http/server.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { CertificateAuthority } from './authority.js';
import { createHierarchy } from './hierarchy.js';
import { discloseIdentifier, keyedIdentifierHash, maskIdentifier, publicSubject } from './identifier-disclosure.js';
import builtIn from './profiles.json' with { type: 'json' };
import { ProfileCatalogue } from './profiles.js';
import { openTestSignet, opensslRequest, type TestSignet } from './test-support/ca-fixture.js';
import { opensslView } from './test-support/openssl-extension.js';

afterAll(dropFreshStores);

/** Valid by its check character (GB 11643). */
const RESIDENT_ID = '11010519491231002X';
const KEY = Buffer.alloc(32, 9);

describe('identifiers in certificates and public views (GM/T 0015; PIPL minimisation; R16)', () => {
  it('masks every serialNumber and e-mail address in a subject for anonymous readers, in either subject form, and nothing else', () => {
    expect(publicSubject(`CN=张三, serialNumber=IDCCN-${RESIDENT_ID}, E=zhangsan@example.cn`)).toBe('CN=张三, serialNumber=IDCCN-1****************X, E=z***@example.cn');
    expect(publicSubject(`C=CN\nserialNumber=IDCCN-${RESIDENT_ID}\nCN=张三\nemailAddress=zs@example.cn`)).toBe('C=CN\nserialNumber=IDCCN-1****************X\nCN=张三\nemailAddress=z***@example.cn');
    expect(publicSubject('CN=张三, serialNumber=110101199003074514')).toBe('CN=张三, serialNumber=1****************4');
    expect(publicSubject('CN=Serial Numbers Ltd, O=serialNumber=Co')).toBe('CN=Serial Numbers Ltd, O=serialNumber=Co');
    expect(maskIdentifier('AB')).toBe('**');
  });

  it('puts the number in clear, masked, or as a keyed hash as the profile decides, and drops a person\'s IdentifyCode unless clear', () => {
    const attributes = { commonName: '张三', serialNumber: `IDCCN-${RESIDENT_ID}` };
    const person = { type: 'resident-id' as const, value: RESIDENT_ID };
    expect(discloseIdentifier('clear', attributes, person, () => KEY)).toEqual({ attributes, identity: person });
    expect(discloseIdentifier('masked', attributes, person, () => KEY)).toEqual({ attributes: { commonName: '张三', serialNumber: 'IDCCN-1****************X' }, identity: undefined });
    const hashed = discloseIdentifier('keyed-hash', attributes, person, () => KEY);
    expect(hashed.attributes.serialNumber).toMatch(/^IDCCN-H[0-9A-F]{32}$/);
    expect(hashed.attributes.serialNumber).toBe(`IDCCN-${keyedIdentifierHash(KEY, RESIDENT_ID)}`);
    expect(keyedIdentifierHash(Buffer.alloc(32, 1), RESIDENT_ID)).not.toBe(keyedIdentifierHash(KEY, RESIDENT_ID));
    // An enterprise's USCC is registry data, not a person's: it passes.
    const uscc = { type: 'uscc' as const, value: '91310000MA1FL8HQ33' };
    expect(discloseIdentifier('keyed-hash', { commonName: 'x' }, uscc, () => KEY).identity).toEqual(uscc);
  });

  it('refuses a profile that hashes the number but requires the IdentifyCode that carries it in clear', () => {
    const base = builtIn.profiles.find((p) => p.id === 'individual-signing')!;
    expect(() => ProfileCatalogue.parse({ profiles: [{ ...base, personalIdentifier: 'keyed-hash', identityExtension: { type: 'IdentifyCode', required: true } }] })).toThrow(/personalIdentifier must then be clear/);
  });
});

describe.each(storeBackends)('a person\'s ID number in issued certificates and on the public endpoints, on %s', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    dir = mkdtempSync(join(tmpdir(), 'signet-identifiers-'));
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('with a keyed-hash profile, the certificate holds no ID number: no IdentifyCode, serialNumber a stable hash', async () => {
    const base = builtIn.profiles.find((p) => p.id === 'individual-signing')!;
    const profiles = ProfileCatalogue.parse({ profiles: [{ ...base, personalIdentifier: 'keyed-hash' }] });
    const ca = new CertificateAuthority({ store: t.signet.store, config: t.config, profiles, identifierKey: () => KEY });
    const order = () => ({
      csr: opensslRequest(dir, 'ecdsa-p256').csrPem,
      profileId: 'individual-signing',
      subject: { commonName: '张三', serialNumber: `IDCCN-${RESIDENT_ID}` },
      identity: { type: 'resident-id' as const, value: RESIDENT_ID },
      requestedBy: 'test',
      reason: 'keyed hash',
    });
    const first = await ca.issue(order());
    const second = await ca.issue(order());
    expect(first.der.includes(Buffer.from(RESIDENT_ID))).toBe(false);
    expect(first.der.includes(Buffer.from(RESIDENT_ID.slice(6, 14)))).toBe(false);
    expect(opensslView(dir, first.der, '1.2.156.10260.4.1.1').value).toBeNull();
    const hashed = `IDCCN-${keyedIdentifierHash(KEY, RESIDENT_ID)}`;
    expect(first.subject).toContain(hashed);
    expect(second.subject).toContain(hashed);
    const row = await t.signet.store.db.selectFrom('certificates').select(['subject']).where('serial', '=', first.serial).executeTakeFirstOrThrow();
    expect(row.subject).not.toContain(RESIDENT_ID);
    // Without the key (derived from SIGNET_PII_KEY) nothing is issued, and the text says what to set, in both languages.
    const issued = async () => (await t.signet.store.db.selectFrom('certificates').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const before = Number(await issued());
    const refused = await new CertificateAuthority({ store: t.signet.store, config: t.config, profiles }).issue(order()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SignetError);
    const error = refused as SignetError;
    expect([error.code, error.status]).toEqual(['ca.identifier-key-missing', 500]);
    expect(error.messageIn('zh-CN')).toBe('证书模板要求以带密钥的散列代替身份证件号码，但没有配置该密钥：它由个人信息密钥派生，请设置 SIGNET_PII_KEY（或 SIGNET_PII_KEY_FILE）');
    expect(error.messageIn('en')).toBe('The profile replaces ID numbers by a keyed hash, but no key for it is configured: it derives from the personal-data key, so set SIGNET_PII_KEY (or SIGNET_PII_KEY_FILE)');
    expect(Number(await issued())).toBe(before);
  });

  it('with the built-in clear profile, GET /api/v1/certificates/{serial} and /api/v1/status/{serial} still show no full ID number or e-mail', async () => {
    expect(t.signet.ca.profiles.get('individual-signing').personalIdentifier).toBe('clear');
    const issued = await t.signet.ca.issue({
      csr: opensslRequest(dir, 'ecdsa-p256').csrPem,
      profileId: 'individual-signing',
      subject: { commonName: '李四', serialNumber: `IDCCN-${RESIDENT_ID}`, emailAddress: 'lisi@example.cn' },
      identity: { type: 'resident-id', value: RESIDENT_ID },
      requestedBy: 'test',
      reason: 'clear',
    });
    // The certificate itself holds the number (the profile's decision)…
    expect(issued.der.includes(Buffer.from(RESIDENT_ID))).toBe(true);
    // …the public views do not.
    for (const url of [`/api/v1/certificates/${issued.serial}`, `/api/v1/status/${issued.serial}`]) {
      const response = await app.inject(url);
      expect(response.statusCode).toBe(200);
      const body = response.json() as { subject: string };
      expect(body.subject).toContain('CN=李四');
      expect(body.subject).toContain('IDCCN-1****************X');
      expect(body.subject).toContain('l***@example.cn');
      expect(body.subject).not.toContain(RESIDENT_ID);
      expect(body.subject).not.toContain('lisi@');
    }
    const inventory = await app.inject({ url: `/api/v1/ra/inventory/certificates?q=${encodeURIComponent('李四')}`, headers: { authorization: 'Bearer test-admin-token' } });
    expect(inventory.statusCode, inventory.body).toBe(200);
    const items = (inventory.json() as { items: { subject: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item.subject).not.toContain(RESIDENT_ID);
  });
});
