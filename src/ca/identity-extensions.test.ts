import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { DEFAULT_SM2_ID } from '../crypto/sm2-key.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { CertificateAuthority } from './authority.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import builtIn from './profiles.json' with { type: 'json' };
import { ProfileCatalogue } from './profiles.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from './test-support/ca-fixture.js';
import { opensslView } from './test-support/openssl-extension.js';

afterAll(dropFreshStores);

/** Valid by their own check characters (GB 11643, GB 32100), as the RA requires (R1). */
const RESIDENT_ID = '11010519491231002X';
const USCC = '91310000MA1FL8HQ33';

function sm2Request(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  expect(runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]).status).toBe(0);
  const made = runTool('openssl', ['req', '-new', '-key', key, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=ignored', '-out', csr]);
  expect(made.status, made.stderr).toBe(0);
  return readFileSync(csr, 'utf8');
}

const cases: Array<[StoreName, KeyAlgorithm]> = storeBackends.flatMap((b) => (['sm2', 'ecdsa-p256'] as const).map((a) => [b, a] as [StoreName, KeyAlgorithm]));
type StoreName = (typeof storeBackends)[number];

describe.each(cases)('GM/T 0015 identity extensions in issued certificates, on %s, %s hierarchy (R1, R22)', (backend, algorithm) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let n = 0;
  const request = () => (algorithm === 'sm2' ? sm2Request(dir, `subscriber-${++n}`) : opensslRequest(dir, 'ecdsa-p256', `subscriber-${++n}`).csrPem);

  /** OpenSSL accepts the leaf under the issuing CA (SM2: with the GM/T 0009 default ID, link by link, openssl#23471). */
  function opensslVerifies(der: Uint8Array): void {
    const leaf = writePem(dir, 'leaf.pem', der);
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const result =
      algorithm === 'sm2'
        ? runTool('openssl', ['verify', '-vfyopt', `distid:${DEFAULT_SM2_ID}`, '-partial_chain', '-CAfile', issuing, leaf])
        : runTool('openssl', ['verify', '-x509_strict', '-CAfile', writePem(dir, 'root.pem', h.root.der), '-untrusted', issuing, leaf]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
  }

  beforeAll(async () => {
    t = await openTestSignet(backend);
    dir = mkdtempSync(join(tmpdir(), 'signet-identity-ca-'));
    h = await createHierarchy(t.signet.ca, { algorithm, actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it("carries the order's resident ID in IdentifyCode 1.2.156.10260.4.1.1 of an individual certificate, non-critical, as residenterCardNumber [0]", async () => {
    const issued = await t.signet.ca.issue({
      csr: request(),
      profileId: 'individual-signing',
      subject: { commonName: '张三', countryName: 'CN' },
      identity: { type: 'resident-id', value: RESIDENT_ID },
      requestedBy: 'test',
      reason: 'GM/T 0015 IdentifyCode',
    });
    const view = opensslView(dir, issued.der, '1.2.156.10260.4.1.1');
    expect(view.text).toContain('1.2.156.10260.4.1.1:');
    expect(view.text).not.toMatch(/1\.2\.156\.10260\.4\.1\.1: critical/);
    expect(view.text).toContain(RESIDENT_ID);
    expect(view.critical).toBe(false);
    expect(view.value).toMatch(/d=0 .* cons: cont \[ 0 \]/);
    expect(view.value).toMatch(new RegExp(`d=1 .* prim: PRINTABLESTRING +:${RESIDENT_ID}`));
    opensslVerifies(issued.der);
  });

  it("carries the enterprise's USCC in OrganizationCode 1.2.156.10260.4.1.4, as a PrintableString", async () => {
    const issued = await t.signet.ca.issue({
      csr: request(),
      profileId: 'enterprise-signing',
      subject: { commonName: '示例金融科技有限公司', organizationName: '示例金融科技有限公司', organizationIdentifier: `NTRCN-${USCC}`, countryName: 'CN' },
      identity: { type: 'uscc', value: USCC },
      requestedBy: 'test',
      reason: 'GM/T 0015 OrganizationCode',
    });
    const view = opensslView(dir, issued.der, '1.2.156.10260.4.1.4');
    expect(view.text).toContain('1.2.156.10260.4.1.4:');
    expect(view.critical).toBe(false);
    expect(view.value).toMatch(new RegExp(`d=0 .* prim: PRINTABLESTRING +:${USCC}`));
    expect(view.text).not.toContain('1.2.156.10260.4.1.1');
    opensslVerifies(issued.der);
  });

  it('puts none in a certificate whose profile names none, even when the order carries an identity', async () => {
    const issued = await t.signet.ca.issue({
      csr: request(),
      profileId: 'tls-client',
      subject: { commonName: '张三' },
      identity: { type: 'resident-id', value: RESIDENT_ID },
      requestedBy: 'test',
      reason: 'no identity extension',
    });
    const view = opensslView(dir, issued.der, '1.2.156.10260.4.1.1');
    expect(view.value).toBeNull();
    expect(view.text).not.toContain('1.2.156.10260.4');
    expect(view.text).not.toContain(RESIDENT_ID);
    opensslVerifies(issued.der);
  });

  it('refuses, before any intent or certificate is recorded, an order without the identity a profile requires', async () => {
    const base = builtIn.profiles.find((p) => p.id === 'individual-signing')!;
    const strict = ProfileCatalogue.parse({ profiles: [{ ...base, identityExtension: { type: 'IdentifyCode', required: true } }] });
    const ca = new CertificateAuthority({ store: t.signet.store, config: t.config, profiles: strict });
    const rows = async () =>
      Promise.all(
        (['issuance_intents', 'certificates', 'audit_entries'] as const).map(async (table) =>
          Number((await t.signet.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
        ),
      );
    const before = await rows();
    const refused = await ca
      .issue({ csr: request(), profileId: 'individual-signing', subject: { commonName: '香港居民' }, requestedBy: 'test', reason: 'no identity' })
      .then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(SignetError);
    expect([(refused as SignetError).code, (refused as SignetError).status, (refused as SignetError).field]).toEqual(['request.identity-missing', 400, 'identity']);
    expect(await rows()).toEqual(before);

    const issued = await ca.issue({
      csr: request(),
      profileId: 'individual-signing',
      subject: { commonName: '张三' },
      identity: { type: 'passport', value: 'E12345678' },
      requestedBy: 'test',
      reason: 'required IdentifyCode, passport alternative',
    });
    const view = opensslView(dir, issued.der, '1.2.156.10260.4.1.1');
    expect(view.value).toMatch(/cons: cont \[ 2 \]/);
    expect(view.value).toMatch(/PRINTABLESTRING +:E12345678/);
  });
});
