import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, runTool, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { DEFAULT_SM2_ID, decodeSm2Pkcs8 } from '../crypto/sm2-key.js';
import { Sm2Signer } from '../crypto/sm2-signer.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { httpKmcClient, issueDualCertificates } from './dual-certificates.js';
import { signMessage } from './kmc-protocol.js';
import { openSm2EnvelopedKey } from './sm2-enveloped-key.js';

afterAll(dropFreshStores);

describe('the CA ↔ KMC interface over HTTP (POST /kmc/v1/requests)', () => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let url: string;
  let kmcKey: Uint8Array;

  beforeAll(async () => {
    t = await openTestSignet('sqlite');
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', actor: 'test' });
    ({ signingPublicKeyInfo: kmcKey } = await t.signet.kmc.initialise('test'));
    const issuing = AsnConvert.parse(h.issuing.der, Certificate);
    await t.signet.kmc.trustCa(h.issuing.caId, new Uint8Array(AsnConvert.serialize(issuing.tbsCertificate.subjectPublicKeyInfo)), 'test');
    app = await buildServer(t.signet, { logger: false });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    url = `${address}/kmc/v1/requests`;
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  it('issues dual certificates with the KMC reached only through signed HTTP messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-kmc-http-'));
    const key = join(dir, 'sign.key');
    runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]);
    runTool('openssl', ['req', '-new', '-key', key, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=x', '-out', join(dir, 'sign.csr')]);
    const dual = await issueDualCertificates(t.signet.ca, httpKmcClient(url, kmcKey), {
      csr: readFileSync(join(dir, 'sign.csr'), 'utf8'),
      signingProfileId: 'enterprise-signing',
      encryptionProfileId: 'enterprise-encryption',
      subject: { commonName: '王五', organizationName: '示例科技有限公司', countryName: 'CN' },
      subscriberId: 'enterprise-0001',
      requestedBy: 'test',
      reason: 'dual over HTTP',
    });
    expect(dual.encryption.profileId).toBe('enterprise-encryption');
    expect(dual.envelopedKey.length).toBeGreaterThan(100);
  });

  it('issues dual certificates through the operator API, and refuses without the operator token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-kmc-api-'));
    const key = join(dir, 'sign.key');
    runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]);
    runTool('openssl', ['req', '-new', '-key', key, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=x', '-out', join(dir, 'sign.csr')]);
    const body = JSON.stringify({
      csr: readFileSync(join(dir, 'sign.csr'), 'utf8'),
      signingProfile: 'individual-signing',
      encryptionProfile: 'individual-encryption',
      subject: 'CN=接口双证书,C=CN',
      subscriberId: 'api-subscriber',
    });
    const base = url.replace('/kmc/v1/requests', '');
    const anonymous = await fetch(`${base}/api/v1/certificates/dual`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    const response = await fetch(`${base}/api/v1/certificates/dual`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.config.adminToken()}` },
      body,
    });
    expect(response.status).toBe(201);
    const dual = (await response.json()) as { signing: { serial: string; subject: string }; encryption: { serial: string; subject: string }; envelopedKey: string };
    expect(dual.encryption.subject).toBe(dual.signing.subject);
    const pkcs8 = Buffer.from(readFileSync(key, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const opened = openSm2EnvelopedKey(Buffer.from(dual.envelopedKey, 'base64'), decodeSm2Pkcs8(pkcs8).privateKey);
    expect(opened.privateKey).toHaveLength(64);
  });

  it('answers a forged or malformed request with a problem and no key', async () => {
    const forged = await signMessage(h.issuing.caId, Sm2Signer.generate(), {
      type: 'generate-encryption-key',
      requestId: 'forged-request-0001',
      caId: h.issuing.caId,
      issuedAt: t.signet.ca.now().toISOString(),
      holder: 'mallory',
      keyAlgorithm: 'sm2',
      signingPublicKeyInfo: Buffer.from(Sm2Signer.generate().publicKeyInfo).toString('base64'),
    });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN' }, body: JSON.stringify(forged) });
    expect(response.status).toBe(401);
    const problem = (await response.json()) as { code: string; messages: Record<string, string> };
    expect(problem.code).toBe('kmc.bad-signature');
    expect(problem.messages['zh-CN']).toContain('签名无效');
    const malformed = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payload: 'x' }) });
    expect(malformed.status).toBe(400);
    const rows = await t.signet.store.db.selectFrom('kmc_escrowed_keys' as never).selectAll().execute();
    expect(rows).toHaveLength(2);
  });
});
