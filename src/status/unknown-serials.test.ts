import { afterAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertID, OCSPRequest, OCSPResponseStatus, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';

afterAll(dropFreshStores);

/** RFC 6960 §2.2: "unknown" for a serial never issued, but not a fresh signature for every anonymous request. */
describe.each(storeBackends)('questions about serials never issued on %s', (backend) => {
  it('cost at most unknownPerSecond signatures per second and CA; past that, unauthorized (unsigned)', async () => {
    let now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t = await openTestSignet(backend, { clock: () => now });
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const issuing = AsnConvert.parse(h.issuing.der, Certificate).tbsCertificate;
      const nameHash = createHash('sha1').update(Buffer.from(AsnConvert.serialize(issuing.subject))).digest();
      const keyHash = createHash('sha1').update(Buffer.from(issuing.subjectPublicKeyInfo.subjectPublicKey)).digest();
      const ask = () => {
        const serial = Buffer.concat([Buffer.from([0x11]), randomBytes(15)]);
        const certId = new CertID({
          hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
          issuerNameHash: new OctetString(nameHash),
          issuerKeyHash: new OctetString(keyHash),
          serialNumber: new Uint8Array(serial).buffer,
        });
        const request = new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) });
        return t.signet.status.ocsp.respond(Buffer.from(AsnConvert.serialize(request)));
      };
      const statuses: OCSPResponseStatus[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await ask()).responseStatus);
      expect(statuses.filter((s) => s === OCSPResponseStatus.successful)).toHaveLength(10);
      expect(statuses.filter((s) => s === OCSPResponseStatus.unauthorized)).toHaveLength(20);
      // A second later the budget is back.
      now = new Date(now.getTime() + 1000);
      expect((await ask()).responseStatus).toBe(OCSPResponseStatus.successful);
    } finally {
      await t.signet.close();
    }
  });
});
