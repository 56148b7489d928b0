import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { openRaTestBed } from './test-support/ra-test-bed.js';
import { opensslView } from '../ca/test-support/openssl-extension.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import type { Principal } from './roles.js';

afterAll(dropFreshStores);

const CONSENT = { agreementVersion: 'v1', accepted: true };

describe.each(storeBackends)('the RA download puts the identity the officer verified into the GM/T 0015 extension, on %s (R1, R5, R22)', (backend) => {
  let t: TestSignet;
  let dir: string;
  let issuingPem: string;
  let rootPem: string;
  let officer: Principal;

  /** Register → submit → review → approve → download with an OpenSSL CSR: the certificate DER. */
  async function downloaded(record: Record<string, unknown>, purpose = 'signing'): Promise<Buffer> {
    const { subscribers, applications, downloads } = t.signet.ra;
    const subscriber = await subscribers.register(officer, { record, consent: CONSENT }, '192.0.2.1');
    const application = await applications.submit(officer, { subscriberId: subscriber.id, purpose }, '192.0.2.1');
    await applications.startReview(officer, application.id);
    const { credential } = await applications.approve(officer, application.id, { note: '材料齐全' });
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `subscriber-${subscriber.id}`);
    const result = await downloads.withRequest({ referenceNumber: credential.referenceNumber, authorizationCode: credential.authorizationCode, csr: csrPem }, '192.0.2.1');
    const leaf = join(dir, `leaf-${result.serial}.pem`);
    const written = writePem(dir, `leaf-${result.serial}.pem`, (await t.signet.ca.certificate(result.serial)).der);
    expect(written).toBe(leaf);
    const verify = runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, '-untrusted', issuingPem, leaf]);
    expect(verify.status, verify.stderr).toBe(0);
    return (await t.signet.ca.certificate(result.serial)).der;
  }

  beforeAll(async () => {
    ({ t, dir, rootPem, issuingPem, officer } = await openRaTestBed(backend, { dirPrefix: 'signet-ra-identity-' }));
  });
  afterAll(() => t.signet.close());

  it("an individual's resident ID, checked by GB 11643 at registration, goes into IdentifyCode as residenterCardNumber", async () => {
    const der = await downloaded({ type: 'individual', name: '张三', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'zhangsan@example.cn' });
    const view = opensslView(dir, der, '1.2.156.10260.4.1.1');
    expect(view.value).toMatch(/cons: cont \[ 0 \]/);
    expect(view.value).toMatch(/PRINTABLESTRING +:110101199003077571/);
    expect(view.text).not.toContain('1.2.156.10260.4.1.4');
  });

  it("a passport holder's number goes into IdentifyCode as passportNumber, also in the encryption certificate", async () => {
    const der = await downloaded({ type: 'individual', name: 'John Smith', idType: 'passport', idNumber: 'E12345678', phone: '+8613800138001', email: 'john@example.com' }, 'encryption');
    const view = opensslView(dir, der, '1.2.156.10260.4.1.1');
    expect(view.value).toMatch(/cons: cont \[ 2 \]/);
    expect(view.value).toMatch(/PRINTABLESTRING +:E12345678/);
  });

  it('a Hong Kong or Macao permit has no IdentifyCode alternative: the certificate is issued without the extension', async () => {
    const der = await downloaded({ type: 'individual', name: '陈大文', idType: 'hk-macao-permit', idNumber: 'H12345678', phone: '+85291234567', email: 'chan@example.hk' });
    expect(opensslView(dir, der, '1.2.156.10260.4.1.1').value).toBeNull();
  });

  it("an enterprise's USCC, checked by GB 32100 at registration, goes into OrganizationCode", async () => {
    const der = await downloaded({
      type: 'enterprise',
      name: '示例科技有限公司',
      uscc: '91350100M000100Y43',
      legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
      agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
    });
    const view = opensslView(dir, der, '1.2.156.10260.4.1.4');
    expect(view.value).toMatch(/d=0 .* prim: PRINTABLESTRING +:91350100M000100Y43/);
    // The people behind the enterprise are not the certificate's holder: their IDs stay out.
    expect(view.text).not.toContain('1.2.156.10260.4.1.1');
    expect(view.text).not.toContain('11010519491231002X');
  });
});
