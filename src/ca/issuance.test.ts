import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { SignetError } from '../i18n/signet-error.js';
import { verifyAuditChain } from '../audit/audit-log.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from './test-support/ca-fixture.js';
import type { KeyAlgorithm, SignatureScheme } from '../crypto/algorithms.js';

afterAll(dropFreshStores);

/** The rows a refused request must not leave behind. */
async function rowCounts(t: TestSignet) {
  const count = async (table: 'issuance_intents' | 'certificates' | 'audit_entries') =>
    Number((await t.signet.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { intents: await count('issuance_intents'), certificates: await count('certificates'), audit: await count('audit_entries') };
}

describe.each([
  { algorithm: 'ecdsa-p256', csrKey: 'ecdsa-p256' },
  { algorithm: 'ecdsa-p384', csrKey: 'ecdsa-p384' },
  { algorithm: 'ed25519', csrKey: 'ed25519' },
  { algorithm: 'rsa-2048', csrKey: 'rsa-2048' },
  { algorithm: 'rsa-2048', scheme: 'pss', csrKey: 'ecdsa-p256' },
  { algorithm: 'rsa-3072', csrKey: 'rsa-3072' },
  { algorithm: 'rsa-4096', csrKey: 'ecdsa-p384' },
] as const)('a $algorithm hierarchy ($scheme) (R22, RFC 5280)', ({ algorithm, csrKey, ...rest }) => {
  const scheme = 'scheme' in rest ? (rest.scheme as SignatureScheme) : undefined;
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;

  beforeAll(async () => {
    t = await openTestSignet('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'signet-chain-'));
    h = await createHierarchy(t.signet.ca, { algorithm: algorithm as KeyAlgorithm, scheme, actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('issues a chain that openssl verify -x509_strict and GnuTLS certtool both accept', async () => {
    const { csrPem } = opensslRequest(dir, csrKey);
    const leaf = await t.signet.ca.issue({
      csr: csrPem,
      profileId: 'enterprise-signing',
      subject: { commonName: '张三', organizationName: '示例科技有限公司', organizationIdentifier: '91350100M000100Y43', countryName: 'CN' },
      requestedBy: 'test',
      reason: 'interop',
    });
    const root = writePem(dir, 'root.pem', h.root.der);
    const issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    const leafPath = writePem(dir, 'leaf.pem', leaf.der);
    const services = [writePem(dir, 'ocsp.pem', h.ocspSigner.der), writePem(dir, 'tsa.pem', h.tsa.der)];

    const openssl = runTool('openssl', ['verify', '-x509_strict', '-CAfile', root, '-untrusted', issuing, leafPath, issuing, ...services]);
    expect(openssl.stderr).toBe('');
    expect(openssl.status).toBe(0);
    expect(openssl.stdout.match(/: OK/g)).toHaveLength(4);

    for (const cert of [leaf.der, h.ocspSigner.der, h.tsa.der]) {
      const chain = writePem(dir, 'chain.pem', cert, h.issuing.der);
      const gnutls = runTool('certtool', ['--verify', '--load-ca-certificate', root, '--infile', chain]);
      expect(gnutls.stdout + gnutls.stderr).toContain('Chain verification output: Verified');
      expect(gnutls.status).toBe(0);
    }
  });
});

describe.each(storeBackends)('the issuance cycle on %s (docs/issuance-cycle.md)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    dir = mkdtempSync(join(tmpdir(), 'signet-issue-'));
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('builds the subject from the caller\'s data, never from the CSR, as UTF8String for Chinese text', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
    const leaf = await t.signet.ca.issue({
      csr: csrPem,
      profileId: 'individual-signing',
      subject: 'CN=李四,C=CN,L=北京市',
      requestedBy: 'test',
      reason: 'subject encoding',
    });
    const text = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space,show_type'], leaf.der);
    expect(text.stdout).toContain('C=PRINTABLESTRING:CN');
    expect(text.stdout).toContain('L=UTF8STRING:北京市');
    expect(text.stdout).toContain('CN=UTF8STRING:李四');
    expect(text.stdout).not.toContain('ignored by the CA');
  });

  it.each([
    ['individual-signing', 'Digital Signature, Non Repudiation', 'TLS Web Client Authentication, E-mail Protection'],
    ['individual-encryption', 'Key Agreement', 'E-mail Protection'],
    ['enterprise-signing', 'Digital Signature, Non Repudiation', 'TLS Web Client Authentication, E-mail Protection'],
    ['enterprise-encryption', 'Key Agreement', 'E-mail Protection'],
    ['tls-server', 'Digital Signature', 'TLS Web Server Authentication'],
    ['tls-client', 'Digital Signature', 'TLS Web Client Authentication'],
  ])('gives a %s certificate its profile\'s extensions, as openssl x509 -text shows them (R11)', async (profileId, keyUsage, eku) => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', profileId);
    const subject =
      profileId.startsWith('enterprise') ? 'CN=王五,O=示例有限公司,C=CN' : profileId === 'tls-server' ? 'CN=www.example.cn' : 'CN=赵六';
    const leaf = await t.signet.ca.issue({
      csr: csrPem,
      profileId,
      subject,
      subjectAltNames: profileId === 'tls-server' ? { dns: ['www.example.cn'], ip: ['192.0.2.7'] } : undefined,
      requestedBy: 'test',
      reason: 'profile extensions',
    });
    const text = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], leaf.der).stdout;
    expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${keyUsage}\\n`));
    expect(text).toMatch(new RegExp(`X509v3 Extended Key Usage: \\s*\\n\\s+${eku}\\n`));
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toContain(`URI:http://127.0.0.1:8080/crl/${h.issuing.caId}.crl`);
    expect(text).toContain('OCSP - URI:http://127.0.0.1:8080/ocsp');
    expect(text).toContain(`CA Issuers - URI:http://127.0.0.1:8080/ca/${h.issuing.caId}.crt`);
    expect(text).toMatch(/Policy: 1\.3\.6\.1\.4\.1\.32473\.1\.\d\.\d\s+CPS: http:\/\/127\.0\.0\.1:8080\/cps/);
    expect(text).not.toContain('CA:TRUE');
    if (profileId === 'tls-server') expect(text).toContain('DNS:www.example.cn, IP Address:192.0.2.7');
  });

  it('marks the CA, OCSP and TSA certificates as their profiles say', () => {
    const issuing = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], h.issuing.der).stdout;
    expect(issuing).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(issuing).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    const ocsp = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], h.ocspSigner.der).stdout;
    expect(ocsp).toContain('OCSP Signing');
    expect(ocsp).toContain('OCSP No Check');
    const tsa = runTool('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], h.tsa.der).stdout;
    expect(tsa).toMatch(/Extended Key Usage: critical\s+Time Stamping/);
  });

  it('uses 17-octet positive serials with 128 random bits, unique in the store', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `serial-${i}`);
      const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=client ${i}`, requestedBy: 'test', reason: 'serials' });
      expect(leaf.serial).toMatch(/^5c[0-9a-f]{32}$/);
      serials.add(leaf.serial);
    }
    expect(serials.size).toBe(5);
  });

  const refusals: Array<[string, () => { csr: string | Buffer; profileId: string }, string]> = [
    ['a CSR whose signature is broken', () => {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'broken');
      const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      der.writeUInt8(der.readUInt8(der.length - 5) ^ 0x01, der.length - 5);
      return { csr: der, profileId: 'tls-client' };
    }, 'request.bad-signature'],
    ['a 1024-bit RSA key', () => ({ csr: opensslRequest(dir, 'rsa-1024', 'rsa1024').csrPem, profileId: 'tls-client' }), 'request.weak-key'],
    ['a key on an unknown curve', () => ({ csr: opensslRequest(dir, 'ecdsa-secp256k1', 'k1').csrPem, profileId: 'tls-client' }), 'request.weak-key'],
    ['a garbage body', () => ({ csr: Buffer.from('this is not a certificate request'), profileId: 'tls-client' }), 'request.malformed-csr'],
    ['a CSR with trailing bytes', () => {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'trailing');
      const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      return { csr: Buffer.concat([der, Buffer.from([0, 0])]), profileId: 'tls-client' };
    }, 'request.malformed-csr'],
    ['an unknown profile', () => ({ csr: opensslRequest(dir, 'ecdsa-p256', 'unknown').csrPem, profileId: 'no-such-profile' }), 'request.unknown-profile'],
    ['a CA profile', () => ({ csr: opensslRequest(dir, 'ecdsa-p256', 'ca').csrPem, profileId: 'issuing-ca' }), 'request.profile-not-for-subscribers'],
    ['a key type the profile does not take', () => ({ csr: opensslRequest(dir, 'ed25519', 'ed').csrPem, profileId: 'individual-encryption' }), 'request.key-type-not-allowed'],
  ];

  it.each(refusals)('refuses %s with a precise reason and leaves no row behind', async (_label, make, code) => {
    const { csr, profileId } = make();
    const before = await rowCounts(t);
    const error = await t.signet.ca
      .issue({ csr, profileId, subject: 'CN=refused', requestedBy: 'test', reason: 'refusal' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe(code);
    expect((error as SignetError).status).toBeGreaterThanOrEqual(400);
    expect((error as SignetError).status).toBeLessThan(500);
    expect((error as SignetError).messageIn('zh-CN')).not.toBe((error as SignetError).messageIn('en'));
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses a subject the profile does not allow, naming the field', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'subject');
    const error = (await t.signet.ca
      .issue({ csr: csrPem, profileId: 'individual-signing', subject: { commonName: '张三', organizationName: '不该出现' }, requestedBy: 'test', reason: 'x' })
      .catch((e: unknown) => e)) as SignetError;
    expect(error.code).toBe('request.subject-invalid');
    expect(error.field).toBe('subject.organizationName');
  });

  it('refuses a key already certified to another subscriber, but renews for the same one', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'reuse');
    const order = { csr: csrPem, profileId: 'individual-signing', subject: 'CN=张三', requestedBy: 'test', reason: 'reuse' };
    await t.signet.ca.issue({ ...order, subscriberId: 'subscriber-1' });
    await expect(t.signet.ca.issue({ ...order, subscriberId: 'subscriber-1' })).resolves.toBeDefined();
    const before = await rowCounts(t);
    const error = (await t.signet.ca.issue({ ...order, subscriberId: 'subscriber-2' }).catch((e: unknown) => e)) as SignetError;
    expect(error.code).toBe('request.key-already-certified');
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses a blocked (compromised) key for ever', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'blocked');
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=blocked', subscriberId: 's-b', requestedBy: 'test', reason: 'x' });
    const row = await t.signet.ca.certificate(leaf.serial);
    await t.signet.ca.blockKey(row.spki_sha256, 'keyCompromise reported', 'test');
    const error = (await t.signet.ca
      .issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=blocked', subscriberId: 's-b', requestedBy: 'test', reason: 'x' })
      .catch((e: unknown) => e)) as SignetError;
    expect(error.code).toBe('request.key-blocked');
  });

  it('records every issuance in the audit chain, which verifies', async () => {
    const result = await verifyAuditChain(t.signet.store);
    expect(result.ok).toBe(true);
    const issued = await t.signet.store.db.selectFrom('audit_entries').select('target').where('action', '=', 'certificate.issued').execute();
    const certificates = await t.signet.store.db.selectFrom('certificates').select('serial').execute();
    expect(issued.map((r) => r.target).sort()).toEqual(certificates.map((c) => `certificate:${c.serial}`).sort());
  });

  it('answers inventory questions for other domains without exposing its tables', async () => {
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'inventory');
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'individual-signing', subject: 'CN=库存', subscriberId: 'inventory-1', requestedBy: 'test', reason: 'x' });
    const mine = await t.signet.ca.findCertificates({ subscriberId: 'inventory-1' });
    expect(mine.map((c) => c.serial)).toEqual([leaf.serial]);
    expect(mine[0]).toMatchObject({ profileId: 'individual-signing', subject: 'CN=库存', notAfter: leaf.notAfter });
    expect(await t.signet.ca.findCertificates({ subscriberId: 'inventory-1', notAfterAfter: leaf.notAfter })).toEqual([]);
    const expiringSoon = await t.signet.ca.findCertificates({ hasSubscriber: true, notAfterUntil: leaf.notAfter });
    expect(expiringSoon.map((c) => c.serial)).toContain(leaf.serial);
    const firstPage = await t.signet.ca.findCertificates({ limit: 2 });
    const nextPage = await t.signet.ca.findCertificates({ limit: 2, afterSerial: firstPage[1]!.serial });
    expect(nextPage[0]!.serial > firstPage[1]!.serial).toBe(true);
  });

  it('serves the stored certificate back byte for byte', async () => {
    const stored = await t.signet.ca.certificate(h.issuing.serial.toUpperCase().match(/../g)!.join(':'));
    expect(stored.der.equals(h.issuing.der)).toBe(true);
  });
});
