import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { createSuccessorIssuingCa } from './issuing-ceremony.js';
import { buildSubjectName } from './subject-name.js';
import { Sm2Identities } from './sm2-identities.js';
import { openTestSignet, runTool, writePem, type TestSignet } from './test-support/ca-fixture.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { crlSignatureValid, readPublishedCrl } from '../status/crl-reader.js';
import { verifyEvidencePackage } from '../evidence/evidence-report.js';
import { SignetError } from '../i18n/signet-error.js';
import { openSignet, type Signet } from '../signet.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';

afterAll(dropFreshStores);

const CA_ID = 'SIGNET-SM2-CA-0001@example.cn';

function spkiOf(der: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(AsnConvert.parse(der, Certificate).tbsCertificate.subjectPublicKeyInfo));
}

async function identityRows(signet: Signet): Promise<{ distinguishing_id: string }[]> {
  return (await sql<{ distinguishing_id: string }>`select distinguishing_id from sm2_key_identities`.execute(signet.store.db)).rows;
}

/**
 * Issue 14 (state owned by the composition root): an SM2 key's distinguishing
 * ID is kept beside its public key in the store, so a process that never opened
 * the key verifies its signatures (GM/T 0009 §10, GB/T 32918.2 §5.5: Z_A binds
 * the signer's ID). Node A signs; node B is a second openSignet on the same
 * store that never unseals the issuing CA's or the OCSP responder's key.
 */
describe.each(storeBackends)('SM2 distinguishing IDs across processes on %s', (backend) => {
  let t: TestSignet;
  let b: Signet;
  let h: Hierarchy;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 600_000);
  let leafSerial = '';
  let leafPath = '';

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'sm2', distinguishingId: CA_ID, actor: 'test' });
    const profile = t.signet.ca.profiles.get('tls-client');
    const leaf = await t.signet.ca.signCertificate({
      profile,
      issuer: await t.signet.ca.issuerContext(h.issuing.caId),
      subject: buildSubjectName({ commonName: 'sm2 id across processes' }, profile),
      subjectPublicKeyInfo: generateSoftwareKey('sm2').publicKeyInfo,
      keyAlgorithm: 'sm2',
      holder: 'subscriber:sm2-id',
      subscriberId: 'sm2-id',
      requestedBy: 'test',
      reason: 'SM2 ID across processes',
    });
    leafSerial = leaf.serial;
    leafPath = writePem(t.dir, 'leaf.pem', leaf.der);
    // Node B starts now: it has opened no key at all.
    b = await openSignet(t.config, { clock: () => now });
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await t?.signet.close();
  });

  it('records every SM2 key of the hierarchy with its ID when it is made (root, issuing CA, OCSP, TSA)', async () => {
    const rows = await identityRows(b);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.distinguishing_id === CA_ID)).toBe(true);
  });

  it('a node that never opened the issuing CA verifies its CRL; without the store’s IDs the check fails closed', async () => {
    const crl = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    const reading = readPublishedCrl(crl.der);
    expect(crlSignatureValid(reading, spkiOf(h.issuing.der), await b.ca.sm2Identities.upToDate())).toBe(true);
    // The verifier holds no state of its own: with no directory, the default ID is assumed and the signature is refused.
    expect(crlSignatureValid(reading, spkiOf(h.issuing.der))).toBe(false);
  });

  it('a node that never opened the OCSP responder’s key verifies its response', async () => {
    const requestPath = join(t.dir, 'ocsp.req');
    const made = runTool('openssl', ['ocsp', '-issuer', writePem(t.dir, 'issuing.pem', h.issuing.der), '-sha256', '-cert', leafPath, '-no_nonce', '-reqout', requestPath]);
    expect(made.status, made.stderr).toBe(0);
    const reply = await t.signet.status.ocsp.respond(readFileSync(requestPath));
    const basic = AsnConvert.parse(AsnConvert.parse(reply.der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse);
    const tbs = new Uint8Array(AsnConvert.serialize(basic.tbsResponseData));
    const signature = new Uint8Array(basic.signature);
    expect(verifySignature(spkiOf(h.ocspSigner.der), basic.signatureAlgorithm, tbs, signature, { sm2Keys: await b.ca.sm2Identities.upToDate() })).toEqual({ ok: true });
    expect(verifySignature(spkiOf(h.ocspSigner.der), basic.signatureAlgorithm, tbs, signature).ok).toBe(false);
  });

  it('evidence made by the other node finds the chain and the CRL signature good, and its package verifies there and offline (R14)', async () => {
    const evidence = await b.evidence.produce({ serial: leafSerial, at: new Date(now.getTime() + 60_000), requestedBy: 'test' });
    const checks = Object.fromEntries(evidence.manifest.checks.map((c) => [c.id, c.ok]));
    expect(checks.chain).toBe(true);
    expect(checks.crl).toBe(true);
    expect(await verifyEvidencePackage(evidence.der, undefined, evidence.detached, await b.ca.sm2Identities.upToDate())).toMatchObject({ valid: true });
    // Offline (`signet evidence verify`, no store): the package names its SM2 keys' IDs itself.
    expect(Object.values(evidence.manifest.sm2Ids ?? {})).toContain(CA_ID);
    expect(await verifyEvidencePackage(evidence.der, undefined, evidence.detached)).toMatchObject({ valid: true });
  });

  it('learns the ID of a key another node made after it started (an issuing CA ceremony keeps the ID)', async () => {
    const directory = await b.ca.sm2Identities.upToDate();
    const successor = await createSuccessorIssuingCa(t.signet.ca, 'test');
    const crl = readPublishedCrl((await t.signet.status.crls.publish(successor.issuing.caId, 'full', 'test')).der);
    expect(crlSignatureValid(crl, spkiOf(successor.issuing.der), directory)).toBe(false);
    expect(crlSignatureValid(crl, spkiOf(successor.issuing.der), await b.ca.sm2Identities.upToDate())).toBe(true);
  });

  it('a key made before IDs were stored gets its row when a node first unseals it (backfill)', async () => {
    const fingerprint = (await sql<{ spki_sha256: string }>`select spki_sha256 from sm2_key_identities where public_key_info = ${Buffer.from(spkiOf(h.issuing.der))}`.execute(t.signet.store.db)).rows[0]!.spki_sha256;
    await sql`delete from sm2_key_identities where spki_sha256 = ${fingerprint}`.execute(t.signet.store.db);
    const crl = readPublishedCrl((await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test')).der);
    expect(crlSignatureValid(crl, spkiOf(h.issuing.der), await new Sm2Identities(t.signet.store).upToDate())).toBe(false);
    const server = await openSignet(t.config, { clock: () => now });
    try {
      await server.ca.issuerContext(h.issuing.caId);
    } finally {
      await server.close();
    }
    expect(crlSignatureValid(crl, spkiOf(h.issuing.der), await new Sm2Identities(t.signet.store).upToDate())).toBe(true);
  });

  it('refuses to sign with a key whose stored ID differs from its sealed one, naming both', async () => {
    const spki = Buffer.from(spkiOf(h.ocspSigner.der));
    await sql`update sm2_key_identities set distinguishing_id = ${'wrong'} where public_key_info = ${spki}`.execute(t.signet.store.db);
    const other = await openSignet(t.config, { clock: () => now });
    try {
      const row = await other.store.db.selectFrom('delegated_signers').selectAll().where('id', '=', h.ocspSigner.signerId).executeTakeFirstOrThrow();
      const opening = other.ca.keyring.signerFor({ ownerId: row.id, keyStorage: row.key_storage as 'software', keyAlgorithm: 'sm2', scheme: 'sm2', sealed: row.encrypted_private_key });
      await expect(opening).rejects.toBeInstanceOf(SignetError);
      await expect(opening).rejects.toMatchObject({ code: 'ca.sm2-id-conflict', params: { stored: 'wrong', sealed: CA_ID } });
    } finally {
      await sql`update sm2_key_identities set distinguishing_id = ${CA_ID} where public_key_info = ${spki}`.execute(t.signet.store.db);
      await other.close();
    }
  });
});
