import { createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, constants, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { rollOverIdentities } from '../lifetimes.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';

afterAll(dropFreshStores);

const DAY = 86_400_000;

/** The SCEP RA certificate is renewed before it expires, like the OCSP responder's (issue 13), on an injected clock. */
describe.each(storeBackends)('SCEP RA identity rollover on %s (issue 21, issue 13)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let now = new Date('2027-03-01T00:00:00Z');

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now, publicUrl: 'http://127.0.0.1:1' });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  }, 120_000);
  afterAll(async () => {
    await t?.signet.close();
  });

  it('is made on first use, an RSA end-entity key the issuing CA certified, sealed in the key store; rolled over at a quarter of life left, the predecessor still decrypting', async () => {
    const first = await t.signet.scepIdentities.inForce(h.issuing.caId);
    const certificate = new X509Certificate(first.certificateDer);
    expect(certificate.publicKey.asymmetricKeyType).toBe('rsa');
    expect(certificate.ca).toBe(false);
    expect(certificate.verify(new X509Certificate(h.issuing.der).publicKey)).toBe(true);
    // Nothing is due yet; a second call finds the same identity.
    expect(await t.signet.scepIdentities.rollOverDue()).toEqual([]);
    expect((await t.signet.scepIdentities.inForce(h.issuing.caId)).id).toBe(first.id);

    // 365-day certificate: at 80 % of its life a successor is made, in force after the switch delay.
    now = new Date(now.getTime() + 292 * DAY);
    const round = await rollOverIdentities(t.signet);
    expect(round.delegated.filter((id) => id.startsWith('scep-ra-'))).toHaveLength(1);
    expect((await t.signet.scepIdentities.inForce(h.issuing.caId)).id).toBe(first.id);
    now = new Date(now.getTime() + t.signet.signers.policy.switchDelayMs + 1000);
    const second = await t.signet.scepIdentities.inForce(h.issuing.caId);
    expect(second.id).not.toBe(first.id);
    expect(new X509Certificate(second.certificateDer).subject).toBe(certificate.subject);
    expect(await t.signet.scepIdentities.rollOverDue()).toEqual([]);

    // A client that fetched the old certificate is still understood until it expires.
    const valid = await t.signet.scepIdentities.valid(h.issuing.caId);
    expect(valid.map((v) => v.id).sort()).toEqual([first.id, second.id].sort());
    const sealed = publicEncrypt({ key: createPublicKey(certificate.publicKey.export({ type: 'spki', format: 'pem' })), padding: constants.RSA_PKCS1_PADDING }, Buffer.from('content key'));
    const opened = privateDecrypt({ key: createPrivateKey(t.signet.scepIdentities.decryptionKey(valid.find((v) => v.id === first.id)!).export({ type: 'pkcs8', format: 'pem' })), padding: constants.RSA_PKCS1_PADDING }, sealed);
    expect(opened.toString()).toBe('content key');
    // The rollover is audited like the responders'.
    const audited = await t.signet.store.db.selectFrom('audit_entries').select('action').where('target', '=', `scep-ra:${second.id}`).execute();
    expect(audited.map((a) => a.action)).toEqual(['signer.rolled-over']);
  }, 120_000);
});
