import { afterAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { evidenceSigner } from '../evidence/evidence-signer.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { createHierarchy } from './hierarchy.js';
import { hierarchyName } from './hierarchy-names.js';
import { openTestSignet } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

const COMMON_NAME = '2.5.4.3';
const ORGANIZATION = '2.5.4.10';

/** Each subject attribute's ASN.1 string type and value, e.g. [['2.5.4.3', 'utf8String', '…']]. */
function subjectOf(der: Uint8Array): [string, string, string][] {
  return AsnConvert.parse(der, Certificate).tbsCertificate.subject.flatMap((rdn) =>
    rdn.map((attribute) => {
      const [kind, value] = Object.entries(attribute.value).find(([, v]) => typeof v === 'string')!;
      return [attribute.type, kind, value as string] as [string, string, string];
    }),
  );
}

/**
 * The development hierarchy `npm start` makes on a fresh data folder (createHierarchy without an
 * organisation): Chinese names a Chinese reader would write, as UTF8String (RFC 5280 §4.1.2.6), not
 * "Signet 开发测试 CA Root CA"; shown in English to English readers.
 */
describe.each(storeBackends)('the development hierarchy is named in Chinese, on %s', (backend) => {
  it('names the root, issuing CA, OCSP and TSA signers and the evidence signer in zh-CN UTF8String, and in English where an English reader sees them', async () => {
    const now = new Date('2026-12-06T04:00:00Z');
    const t = await openTestSignet(backend, { clock: () => now });
    const app = await buildServer(t.signet, { logger: false });
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'system:first-start' });
      const evidence = await evidenceSigner(t.signet.ca);
      const expected: [Uint8Array, string][] = [
        [h.root.der, 'Signet 开发测试根 CA 2026'],
        [h.issuing.der, 'Signet 开发测试签发 CA 2026'],
        [h.ocspSigner.der, 'Signet 开发测试 OCSP 服务'],
        [h.tsa.der, 'Signet 开发测试时间戳服务'],
        [evidence.certificateDer, 'Signet 开发测试电子证据服务'],
      ];
      for (const [der, commonName] of expected) {
        const subject = subjectOf(der);
        expect(subject).toContainEqual([COMMON_NAME, 'utf8String', commonName]);
        expect(subject).toContainEqual([ORGANIZATION, 'utf8String', 'Signet 开发测试']);
      }

      const cas = (await app.inject('/api/v1/cas')).json<{ items: { role: string; name: string; names: { 'zh-CN': string; en: string } }[] }>();
      expect(cas.items.map((a) => [a.role, a.name, a.names])).toEqual([
        ['root', 'Signet 开发测试根 CA', { 'zh-CN': 'Signet 开发测试根 CA', en: 'Signet Development and Test Root CA' }],
        ['issuing', 'Signet 开发测试签发 CA', { 'zh-CN': 'Signet 开发测试签发 CA', en: 'Signet Development and Test Issuing CA' }],
      ]);
    } finally {
      await app.close();
      await t.signet.close();
    }
  }, 120_000);
});

describe('hierarchy names of a named organisation', () => {
  it('joins Chinese words without a space and Latin ones with one; a named organisation is its own name in both languages', () => {
    expect(hierarchyName('示例科技有限公司', 'root')).toBe('示例科技有限公司根 CA');
    expect(hierarchyName('示例科技有限公司', 'ocsp')).toBe('示例科技有限公司 OCSP 服务');
    expect(hierarchyName('示例科技有限公司', 'issuing', 'en')).toBe('示例科技有限公司 Issuing CA');
    expect(hierarchyName('Example Trust', 'tsa')).toBe('Example Trust 时间戳服务');
    expect(hierarchyName('Example Trust', 'tsa', 'en')).toBe('Example Trust Time-Stamping Authority');
  });
});
