import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, KeyUsage, id_ce_keyUsage } from '@peculiar/asn1-x509';
import { sm2 } from 'sm-crypto-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, runTool, TEST_PASSPHRASE, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { DEFAULT_SM2_ID, decodeSm2Pkcs8, generateSm2KeyPair, sm2PublicKeyInfo } from '../crypto/sm2-key.js';
import { Sm2Signer } from '../crypto/sm2-signer.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { inProcessKmcClient, issueDualCertificates, type DualCertificates, type KmcClient } from './dual-certificates.js';
import { KeyManagementCentre } from './key-management-centre.js';
import { signMessage } from './kmc-protocol.js';
import { kmcDb } from './schema.js';
import { envelopeParts, openSm2EnvelopedKey } from './sm2-enveloped-key.js';
import { opensslView } from '../ca/test-support/openssl-extension.js';

afterAll(dropFreshStores);

function certificate(der: Uint8Array): Certificate {
  return AsnConvert.parse(der, Certificate);
}

function publicPointOf(der: Uint8Array): string {
  return Buffer.from(certificate(der).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey).toString('hex');
}

/** The subscriber's own SM2 signing key and request, made by OpenSSL as their tool would. */
function subscriberRequest(dir: string, name: string): { keyPath: string; csrPem: string; pkcs8: Buffer } {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  expect(runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', keyPath]).status).toBe(0);
  const req = runTool('openssl', ['req', '-new', '-key', keyPath, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=ignored', '-out', csrPath]);
  expect(req.status, req.stderr).toBe(0);
  const pkcs8 = Buffer.from(readFileSync(keyPath, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return { keyPath, csrPem: readFileSync(csrPath, 'utf8'), pkcs8 };
}

async function auditActions(t: TestSignet): Promise<string[]> {
  const rows = await t.signet.store.db.selectFrom('audit_entries').select('action').orderBy('seq').execute();
  return rows.map((r) => r.action);
}

describe.each(storeBackends)('dual certificates with a key management centre on %s (R22, GM/T 0034, GM/T 0009)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let kmc: KeyManagementCentre;
  let client: KmcClient;
  let subscriber: ReturnType<typeof subscriberRequest>;
  let dual: DualCertificates;
  const officers = { a: Sm2Signer.generate(), b: Sm2Signer.generate(), judgeA: Sm2Signer.generate(), judgeB: Sm2Signer.generate() };

  beforeAll(async () => {
    t = await openTestSignet(backend);
    dir = mkdtempSync(join(tmpdir(), 'signet-kmc-'));
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', actor: 'test' });
    kmc = new KeyManagementCentre({ store: t.signet.store, passphrase: () => TEST_PASSPHRASE, clock: () => t.signet.ca.now() });
    await kmc.initialise('test:kmc-admin');
    const issuingSpki = new Uint8Array(AsnConvert.serialize(certificate(h.issuing.der).tbsCertificate.subjectPublicKeyInfo));
    await kmc.trustCa(h.issuing.caId, issuingSpki, 'test:kmc-admin');
    await kmc.registerOperator({ id: 'officer-a', name: '恢复员甲', role: 'recovery-officer', publicKeyInfo: officers.a.publicKeyInfo }, 'test:kmc-admin');
    await kmc.registerOperator({ id: 'officer-b', name: '恢复员乙', role: 'recovery-officer', publicKeyInfo: officers.b.publicKeyInfo }, 'test:kmc-admin');
    await kmc.registerOperator({ id: 'judge-a', name: '司法员甲', role: 'judicial-officer', publicKeyInfo: officers.judgeA.publicKeyInfo }, 'test:kmc-admin');
    await kmc.registerOperator({ id: 'judge-b', name: '司法员乙', role: 'judicial-officer', publicKeyInfo: officers.judgeB.publicKeyInfo }, 'test:kmc-admin');
    client = await inProcessKmcClient(kmc);
    subscriber = subscriberRequest(dir, 'subscriber');
    dual = await issueDualCertificates(t.signet.ca, client, {
      csr: subscriber.csrPem,
      signingProfileId: 'individual-signing',
      encryptionProfileId: 'individual-encryption',
      subject: { commonName: '张三', countryName: 'CN' },
      identity: { type: 'resident-id', value: '11010519491231002X' },
      subscriberId: 'subscriber-0001',
      requestedBy: 'test:ra-officer',
      reason: 'dual certificate application',
    });
  });
  afterAll(() => t.signet.close());

  it('issues the signing and the encryption certificate together, same subject, both verifying under the issuing CA', () => {
    expect(dual.signing.subject).toBe(dual.encryption.subject);
    expect(dual.signing.profileId).toBe('individual-signing');
    expect(dual.encryption.profileId).toBe('individual-encryption');
    // The signing certificate certifies the subscriber's own key, the encryption one the KMC's.
    expect(publicPointOf(dual.signing.der)).not.toBe(publicPointOf(dual.encryption.der));
    expect(Buffer.from(AsnConvert.serialize(certificate(dual.signing.der).tbsCertificate.subjectPublicKeyInfo)).toString('base64')).toBe(
      opensslPublicKey(subscriber.keyPath),
    );
    const usage = certificate(dual.encryption.der).tbsCertificate.extensions!.find((e) => e.extnID === id_ce_keyUsage)!;
    expect(AsnConvert.parse(usage.extnValue.buffer, KeyUsage).toJSON().sort()).toEqual(['dataEncipherment', 'keyEncipherment']);
    for (const der of [dual.signing.der, dual.encryption.der]) {
      const verify = runTool('openssl', ['verify', '-vfyopt', `distid:${DEFAULT_SM2_ID}`, '-partial_chain', '-CAfile', writePem(dir, 'issuing.pem', h.issuing.der), writePem(dir, 'leaf.pem', der)]);
      expect(verify.stdout + verify.stderr).toContain('OK');
      expect(verify.status).toBe(0);
    }
  });

  it('gives both certificates of the pair the same GM/T 0015 IdentifyCode (1.2.156.10260.4.1.1) with the verified resident ID', () => {
    for (const der of [dual.signing.der, dual.encryption.der]) {
      const view = opensslView(dir, der, '1.2.156.10260.4.1.1');
      expect(view.critical).toBe(false);
      expect(view.value).toMatch(/cons: cont \[ 0 \]/);
      expect(view.value).toMatch(/PRINTABLESTRING +:11010519491231002X/);
    }
  });

  it('delivers an SM2EnvelopedKey that openssl pkeyutl -decrypt (signing key) and openssl enc -d -sm4-ecb open to the encryption certificate’s private key', () => {
    const parts = envelopeParts(dual.envelopedKey);
    writeFileSync(join(dir, 'sym.der'), parts.symEncryptedKey);
    writeFileSync(join(dir, 'priv.enc'), parts.encryptedPrivateKey);
    const sessionKey = runTool('openssl', ['pkeyutl', '-decrypt', '-inkey', subscriber.keyPath, '-in', join(dir, 'sym.der'), '-out', join(dir, 'sym.key')]);
    expect(sessionKey.status, sessionKey.stderr).toBe(0);
    const key = readFileSync(join(dir, 'sym.key'));
    expect(key).toHaveLength(16);
    const scalar = runTool('openssl', ['enc', '-d', '-sm4-ecb', '-K', key.toString('hex'), '-nopad', '-in', join(dir, 'priv.enc'), '-out', join(dir, 'priv.bin')]);
    expect(scalar.status, scalar.stderr).toBe(0);
    const d = readFileSync(join(dir, 'priv.bin')).toString('hex');
    expect(d).toHaveLength(64);
    expect(sm2.getPublicKeyFromPrivateKey(d)).toBe(publicPointOf(dual.encryption.der));
    expect(parts.publicKey.toString('hex')).toBe(publicPointOf(dual.encryption.der));
  });

  it('escrows the encryption key only enveloped to its own escrow key, bound to the certificate, and audits it', async () => {
    const escrow = await kmcDb(t.signet.store).selectFrom('kmc_escrowed_keys').selectAll().where('id', '=', dual.escrowId).executeTakeFirstOrThrow();
    expect(escrow.certificate_serial).toBe(dual.encryption.serial);
    expect(escrow.holder).toBe('subscriber-0001');
    // The subscriber's signing key does not open the escrow copy.
    expect(() => openSm2EnvelopedKey(escrow.escrow_envelope, decodeSm2Pkcs8(subscriber.pkcs8).privateKey)).toThrow();
    expect(await auditActions(t)).toEqual(expect.arrayContaining(['kmc.key-created', 'kmc.ca-trusted', 'kmc.key-generated', 'kmc.certificate-bound']));
  });

  it('answers only signed requests of a registered CA, once, in time', async () => {
    const issuer = await t.signet.ca.issuerContext(h.issuing.caId);
    const request = (requestId: string, issuedAt = t.signet.ca.now()) => ({
      type: 'generate-encryption-key' as const,
      requestId,
      caId: h.issuing.caId,
      issuedAt: issuedAt.toISOString(),
      holder: 'subscriber-0002',
      keyAlgorithm: 'sm2' as const,
      signingPublicKeyInfo: Buffer.from(Sm2Signer.generate().publicKeyInfo).toString('base64'),
    });
    const signed = await signMessage(h.issuing.caId, issuer.signer, request('request-0000000001'));
    const tampered = { ...signed, payload: Buffer.from(Buffer.from(signed.payload, 'base64').toString().replace('0002', '0003')).toString('base64') };
    await expect(kmc.handle(tampered)).rejects.toMatchObject({ code: 'kmc.bad-signature', status: 401 });
    const stranger = Sm2Signer.generate();
    await expect(kmc.handle(await signMessage('issuing-unknown', stranger, { ...request('request-0000000002'), caId: 'issuing-unknown' }))).rejects.toMatchObject({
      code: 'kmc.untrusted-ca',
      status: 403,
    });
    // Signed by someone else in the name of the registered CA.
    await expect(kmc.handle(await signMessage(h.issuing.caId, stranger, request('request-0000000003')))).rejects.toMatchObject({ code: 'kmc.bad-signature' });
    const stale = new Date(t.signet.ca.now().getTime() - 10 * 60_000);
    await expect(kmc.handle(await signMessage(h.issuing.caId, issuer.signer, request('request-0000000004', stale)))).rejects.toMatchObject({ code: 'kmc.stale-request' });
    await kmc.handle(signed);
    await expect(kmc.handle(signed)).rejects.toMatchObject({ code: 'kmc.replayed-request', status: 409 });
  });

  it('refuses a non-SM2 signing request before anything is signed or generated', async () => {
    const count = async () => Number((await t.signet.store.db.selectFrom('issuance_intents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const key = join(dir, 'p256.key');
    runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=x', '-out', join(dir, 'p256.csr')]);
    const attempt = issueDualCertificates(t.signet.ca, client, {
      csr: readFileSync(join(dir, 'p256.csr'), 'utf8'),
      signingProfileId: 'individual-signing',
      encryptionProfileId: 'individual-encryption',
      subject: { commonName: '李四' },
      subscriberId: 'subscriber-p256',
      requestedBy: 'test',
      reason: 'wrong key type',
    });
    await expect(attempt).rejects.toBeInstanceOf(SignetError);
    await expect(attempt).rejects.toMatchObject({ code: 'kmc.sm2-only', status: 400 });
    await expect(
      issueDualCertificates(t.signet.ca, client, {
        csr: subscriber.csrPem,
        signingProfileId: 'individual-signing',
        encryptionProfileId: 'enterprise-encryption',
        subject: { commonName: '李四' },
        subscriberId: 'subscriber-mixed',
        requestedBy: 'test',
        reason: 'profiles that are no pair',
      }),
    ).rejects.toMatchObject({ code: 'kmc.profiles-not-a-pair' });
    expect(await count()).toBe(before);
  });

  it('recovers a subscriber’s key only after two different recovery officers signed the recovery, and audits each step', async () => {
    const newSigningKey = generateSm2KeyPair();
    const { recoveryId, statement } = await kmc.requestRecovery({
      certificateSerial: dual.encryption.serial,
      kind: 'subscriber',
      requestedBy: 'subscriber:subscriber-0001',
      justification: '订户遗失加密私钥，申请恢复 / the subscriber lost the encryption key',
      deliverTo: sm2PublicKeyInfo(newSigningKey.publicKey),
    });
    const first = await kmc.approveRecovery(recoveryId, 'officer-a', officers.a.signSync(statement));
    expect(first).toEqual({ recoveryId, state: 'pending', approvals: 1 });
    await expect(kmc.approveRecovery(recoveryId, 'officer-a', officers.a.signSync(statement))).rejects.toMatchObject({ code: 'kmc.duplicate-approval', status: 409 });
    await expect(kmc.approveRecovery(recoveryId, 'judge-a', officers.judgeA.signSync(statement))).rejects.toMatchObject({ code: 'kmc.operator-not-authorised', status: 403 });
    // Officer B's key signing another statement, or officer A's signature presented as B's, is no approval.
    await expect(kmc.approveRecovery(recoveryId, 'officer-b', officers.b.signSync(Buffer.from('something else')))).rejects.toMatchObject({ code: 'kmc.bad-approval-signature' });
    await expect(kmc.approveRecovery(recoveryId, 'officer-b', officers.a.signSync(statement))).rejects.toMatchObject({ code: 'kmc.bad-approval-signature' });

    const second = await kmc.approveRecovery(recoveryId, 'officer-b', officers.b.signSync(statement));
    expect(second.state).toBe('delivered');
    const recovered = openSm2EnvelopedKey(second.envelopedKey!, newSigningKey.privateKey);
    expect(recovered.publicKey).toBe(publicPointOf(dual.encryption.der));
    await expect(kmc.approveRecovery(recoveryId, 'officer-b', officers.b.signSync(statement))).rejects.toMatchObject({ code: 'kmc.recovery-closed' });

    const entries = await t.signet.store.db.selectFrom('audit_entries').selectAll().where('target', 'in', [`kmc-recovery:${recoveryId}`, `escrow:${dual.escrowId}`]).orderBy('seq').execute();
    expect(entries.map((e) => e.action)).toEqual(['kmc.key-generated', 'kmc.certificate-bound', 'kmc.recovery-requested', 'kmc.recovery-approved', 'kmc.recovery-approved', 'kmc.key-recovered']);
    expect(JSON.parse(String(entries.at(-1)!.details))).toMatchObject({ approvers: ['officer-a', 'officer-b'], kind: 'subscriber' });
  });

  it('rotates its keys and still recovers what the old escrow key holds; CAs must take the new signing key', async () => {
    const before = await kmc.signingPublicKeyInfo();
    const { signingPublicKeyInfo } = await kmc.rotateKeys('test:kmc-admin');
    expect(Buffer.from(signingPublicKeyInfo)).not.toEqual(Buffer.from(before));
    // A client still trusting the old key refuses the new responses.
    const stale: KmcClient = { ...client };
    const fresh = await inProcessKmcClient(kmc);
    const second = subscriberRequest(dir, 'after-rotation');
    const order = {
      csr: second.csrPem,
      signingProfileId: 'individual-signing',
      encryptionProfileId: 'individual-encryption',
      subject: { commonName: '孙八' },
      subscriberId: 'subscriber-0003',
      requestedBy: 'test',
      reason: 'after rotation',
    };
    await expect(issueDualCertificates(t.signet.ca, stale, order)).rejects.toMatchObject({ code: 'kmc.bad-signature' });
    const after = await issueDualCertificates(t.signet.ca, fresh, order);
    const escrows = await kmcDb(t.signet.store).selectFrom('kmc_escrowed_keys').select(['id', 'escrow_key_id']).where('id', 'in', [dual.escrowId, after.escrowId]).execute();
    expect(new Set(escrows.map((e) => e.escrow_key_id)).size).toBe(2);
    client = fresh;
    // The next test recovers the first subscriber's key, escrowed under the retired escrow key.
  });

  it('recovers for a court only with two judicial officers, delivered to the court’s key', async () => {
    const court = generateSm2KeyPair();
    const { recoveryId, statement } = await kmc.requestRecovery({
      escrowId: dual.escrowId,
      kind: 'judicial',
      requestedBy: 'court:(2026)京01刑初123号',
      justification: '司法机关依法调取 / lawful order of the court',
      deliverTo: sm2PublicKeyInfo(court.publicKey),
    });
    await expect(kmc.approveRecovery(recoveryId, 'officer-a', officers.a.signSync(statement))).rejects.toMatchObject({ code: 'kmc.operator-not-authorised' });
    expect((await kmc.approveRecovery(recoveryId, 'judge-a', officers.judgeA.signSync(statement))).state).toBe('pending');
    const done = await kmc.approveRecovery(recoveryId, 'judge-b', officers.judgeB.signSync(statement));
    expect(openSm2EnvelopedKey(done.envelopedKey!, court.privateKey).publicKey).toBe(publicPointOf(dual.encryption.der));
    await expect(
      kmc.requestRecovery({ escrowId: dual.escrowId, kind: 'judicial', requestedBy: 'x', justification: '  ', deliverTo: sm2PublicKeyInfo(court.publicKey) }),
    ).rejects.toMatchObject({ code: 'kmc.justification-required', status: 400 });
  });
});

/** base64 DER SPKI of a key file, as OpenSSL reads it. */
function opensslPublicKey(keyPath: string): string {
  const result = runTool('openssl', ['pkey', '-in', keyPath, '-pubout']);
  return result.stdout.replace(/-----[^-]+-----|\s/g, '');
}
