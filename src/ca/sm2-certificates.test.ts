import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { ECParameters } from '@peculiar/asn1-ecc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID } from '../crypto/algorithms.js';
import { verifyCertificateSignature, verifyCertificationPath } from '../crypto/sm2-certification-path.js';
import { DEFAULT_SM2_ID } from '../crypto/sm2-key.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { CertificateAuthority } from './authority.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { openTestSignet, runTool, writePem, type TestSignet } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

const SUBJECT = { commonName: '李四', organizationName: '示例金融科技有限公司', countryName: 'CN' };

function sm2Key(dir: string, name: string): string {
  const path = join(dir, `${name}.key`);
  const result = runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', path]);
  if (result.status !== 0) throw new Error(result.stderr);
  return path;
}

/** What a subscriber's own tool makes: `openssl req -sm3 -sigopt distid:…` (or, wrongly, without the ID). */
function sm2Request(dir: string, name: string, distid: string | null): string {
  const key = sm2Key(dir, name);
  const out = join(dir, `${name}.csr`);
  const sigopt = distid === null ? [] : ['-sigopt', `distid:${distid}`];
  const result = runTool('openssl', ['req', '-new', '-key', key, '-sm3', ...sigopt, '-subj', '/CN=ignored', '-out', out]);
  if (result.status !== 0) throw new Error(result.stderr);
  return readFileSync(out, 'utf8');
}

function certificate(der: Uint8Array): Certificate {
  return AsnConvert.parse(der, Certificate);
}

/** `openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:…` over the TBS and signature of `der`, with `issuerDer`'s key. */
function pkeyutlVerifies(dir: string, der: Uint8Array, issuerDer: Uint8Array, distid: string): boolean {
  const cert = certificate(der);
  writeFileSync(join(dir, 'tbs.der'), Buffer.from(cert.tbsCertificateRaw!));
  writeFileSync(join(dir, 'sig.der'), Buffer.from(cert.signatureValue));
  writeFileSync(join(dir, 'spki.der'), Buffer.from(AsnConvert.serialize(certificate(issuerDer).tbsCertificate.subjectPublicKeyInfo)));
  const result = runTool('openssl', [
    'pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'spki.der'),
    '-pkeyopt', `distid:${distid}`, '-in', join(dir, 'tbs.der'), '-sigfile', join(dir, 'sig.der'),
  ]);
  return result.status === 0 && result.stdout.includes('Verified Successfully');
}

function opensslVerifies(dir: string, issuerDer: Uint8Array, der: Uint8Array, distid: string): boolean {
  const result = runTool('openssl', [
    'verify', '-vfyopt', `distid:${distid}`, '-partial_chain',
    '-CAfile', writePem(dir, 'issuer.pem', issuerDer), writePem(dir, 'subject.pem', der),
  ]);
  return result.status === 0;
}

describe('an SM2 hierarchy (R22, GM/T 0015)', () => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;

  beforeAll(async () => {
    t = await openTestSignet('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'signet-sm2-ca-'));
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('signs every certificate with SM3withSM2 (1.2.156.10197.1.501, no parameters) over keys on the SM2 curve', () => {
    for (const issued of [h.root, h.issuing, h.ocspSigner, h.tsa]) {
      const cert = certificate(issued.der);
      expect(cert.signatureAlgorithm.algorithm).toBe(OID.sm3WithSm2);
      expect(cert.signatureAlgorithm.parameters).toBeUndefined();
      expect(cert.tbsCertificate.signature.parameters).toBeUndefined();
      const spki = cert.tbsCertificate.subjectPublicKeyInfo;
      expect(spki.algorithm.algorithm).toBe(OID.ecPublicKey);
      expect(AsnConvert.parse(spki.algorithm.parameters!, ECParameters).namedCurve).toBe(OID.sm2Curve);
    }
  });

  it("has a root whose self-signature OpenSSL verifies with pkeyutl -rawin -digest sm3 -pkeyopt distid, and not with another ID", () => {
    expect(pkeyutlVerifies(dir, h.root.der, h.root.der, DEFAULT_SM2_ID)).toBe(true);
    expect(pkeyutlVerifies(dir, h.issuing.der, h.root.der, DEFAULT_SM2_ID)).toBe(true);
    expect(pkeyutlVerifies(dir, h.root.der, h.root.der, '8765432187654321')).toBe(false);
  });

  it('accepts an OpenSSL SM2 request made with -sigopt distid:1234567812345678, and its leaf verifies with openssl verify link by link', async () => {
    const leaf = await t.signet.ca.issue({
      csr: sm2Request(dir, 'subscriber', DEFAULT_SM2_ID),
      profileId: 'enterprise-signing',
      subject: SUBJECT,
      requestedBy: 'test',
      reason: 'SM2 interop',
    });
    expect(certificate(leaf.der).signatureAlgorithm.algorithm).toBe(OID.sm3WithSm2);
    expect(opensslVerifies(dir, h.issuing.der, leaf.der, DEFAULT_SM2_ID)).toBe(true);
    expect(opensslVerifies(dir, h.root.der, h.issuing.der, DEFAULT_SM2_ID)).toBe(true);
    for (const service of [h.ocspSigner.der, h.tsa.der]) expect(opensslVerifies(dir, h.issuing.der, service, DEFAULT_SM2_ID)).toBe(true);
    // OpenSSL 3's own default (the empty ID) does not verify what Signet signs.
    expect(runTool('openssl', ['verify', '-partial_chain', '-CAfile', writePem(dir, 'i.pem', h.issuing.der), writePem(dir, 'l.pem', leaf.der)]).status).not.toBe(0);
    // And Signet's own path verification, with the ID, link by link up to the root.
    expect(verifyCertificationPath([leaf.der, h.issuing.der], h.root.der, { at: t.signet.ca.now() })).toEqual({ ok: true });
  });

  it('refuses an SM2 request signed with the empty ID (OpenSSL without -sigopt) as non-compliant, recording nothing', async () => {
    const before = await t.signet.store.db.selectFrom('issuance_intents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const attempt = t.signet.ca.issue({
      csr: sm2Request(dir, 'no-id', null),
      profileId: 'individual-signing',
      subject: { commonName: '王五' },
      requestedBy: 'test',
      reason: 'SM2 without ID',
    });
    await expect(attempt).rejects.toBeInstanceOf(SignetError);
    await expect(attempt).rejects.toMatchObject({ code: 'request.bad-signature', params: { detail: expect.stringMatching(/empty distinguishing ID/) } });
    const after = await t.signet.store.db.selectFrom('issuance_intents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('verifies SM2 certificates OpenSSL made with distid, and rejects one OpenSSL signed with the empty ID', () => {
    const rootKey = sm2Key(dir, 'openssl-root');
    const rootPath = join(dir, 'openssl-root.pem');
    const made = runTool('openssl', [
      'req', '-x509', '-new', '-key', rootKey, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=OpenSSL SM2 Root', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', rootPath,
    ]);
    expect(made.status, made.stderr).toBe(0);
    const csrPath = join(dir, 'openssl-leaf.csr');
    writeFileSync(csrPath, sm2Request(dir, 'openssl-leaf', DEFAULT_SM2_ID));
    const leafWith = (name: string, sigopt: string[]) => {
      const out = join(dir, `${name}.pem`);
      const result = runTool('openssl', [
        'x509', '-req', '-in', csrPath, '-CA', rootPath, '-CAkey', rootKey, '-sm3', ...sigopt, '-vfyopt', `distid:${DEFAULT_SM2_ID}`, '-days', '10', '-out', out,
      ]);
      expect(result.status, result.stderr).toBe(0);
      return Buffer.from(readFileSync(out, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    };
    const rootDer = Buffer.from(readFileSync(rootPath, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const rootSpki = new Uint8Array(AsnConvert.serialize(certificate(rootDer).tbsCertificate.subjectPublicKeyInfo));

    const good = leafWith('openssl-leaf-id', ['-sigopt', `distid:${DEFAULT_SM2_ID}`]);
    expect(verifyCertificateSignature(rootDer, rootSpki)).toEqual({ ok: true });
    expect(verifyCertificationPath([good], rootDer)).toEqual({ ok: true });

    const emptyId = leafWith('openssl-leaf-empty-id', []);
    expect(verifyCertificateSignature(emptyId, rootSpki)).toEqual({ ok: false, reason: expect.stringMatching(/empty distinguishing ID/) });
    expect(verifyCertificationPath([emptyId], rootDer)).toMatchObject({ ok: false, index: 0 });
  });
});

describe.each(storeBackends)('an SM2 CA with its own distinguishing ID on %s', (backend) => {
  const CA_ID = 'SIGNET-TEST-CA@example.cn';
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    dir = mkdtempSync(join(tmpdir(), 'signet-sm2-id-'));
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', distinguishingId: CA_ID, actor: 'test' });
  });
  afterAll(() => t.signet.close());

  it('signs with that ID after its key is unsealed again from the store (a restart)', async () => {
    // A new CertificateAuthority has an empty keyring: the issuing key comes out of its sealed envelope.
    const restarted = new CertificateAuthority({ store: t.signet.store, config: t.config });
    const issuer = await restarted.issuerContext(h.issuing.caId);
    expect(issuer.signer.distinguishingId).toBe(CA_ID);
    const leaf = await restarted.issue({
      csr: sm2Request(dir, 'subscriber', DEFAULT_SM2_ID),
      profileId: 'enterprise-signing',
      subject: SUBJECT,
      requestedBy: 'test',
      reason: 'CA-specific ID',
    });
    expect(opensslVerifies(dir, h.issuing.der, leaf.der, CA_ID)).toBe(true);
    expect(opensslVerifies(dir, h.issuing.der, leaf.der, DEFAULT_SM2_ID)).toBe(false);
    const ids = new Map([[Buffer.from(h.issuing.der).toString('base64'), CA_ID], [Buffer.from(h.root.der).toString('base64'), CA_ID]]);
    const idOf = (der: Uint8Array) => ids.get(Buffer.from(der).toString('base64'));
    expect(verifyCertificationPath([leaf.der, h.issuing.der], h.root.der, { at: restarted.now(), distinguishingIdOf: idOf })).toEqual({ ok: true });
    expect(verifyCertificationPath([leaf.der, h.issuing.der], h.root.der, { at: restarted.now(), distinguishingIdOf: () => DEFAULT_SM2_ID })).toMatchObject({ ok: false });
  });
});
