import { hash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { afterAll, describe, expect, it } from 'vitest';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { createHierarchy } from './hierarchy.js';
import { openTestSignet, opensslRequest } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

/** The bytes of the TBSCertificate inside a certificate, as signed (its first element, header included). */
function signedTbs(der: Buffer): Buffer {
  const outerHeader = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const tbsLengthOctet = der[outerHeader + 1]!;
  const tbsHeader = tbsLengthOctet & 0x80 ? 2 + (tbsLengthOctet & 0x7f) : 2;
  const length = tbsLengthOctet & 0x80 ? der.subarray(outerHeader + 2, outerHeader + tbsHeader).reduce((n, b) => n * 256 + b, 0) : tbsLengthOctet;
  return der.subarray(outerHeader, outerHeader + tbsHeader + length);
}

describe.each(storeBackends)('what an issued intent keeps on %s (issue 22, ARCHITECTURE issuance cycle step 4)', (backend) => {
  it('keeps the serial reservation and the hash of the TBS that was signed, never a copy of the TBS', async () => {
    const t = await openTestSignet(backend);
    try {
      await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const { csrPem } = opensslRequest(mkdtempSync(join(tmpdir(), 'signet-intent-')), 'ecdsa-p256', 'slim');
      const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=slim', subscriberId: 's1', requestedBy: 'test', reason: 'intent test' });
      const intent = await t.signet.store.db.selectFrom('issuance_intents').selectAll().where('serial', '=', issued.serial).executeTakeFirstOrThrow();
      expect(intent.state).toBe('issued');
      expect(Buffer.from(intent.tbs_der).length).toBe(0);
      // The hash still names exactly what was signed: the certificate's own TBS.
      const tbs = signedTbs(issued.der);
      expect(Buffer.from(AsnConvert.serialize(AsnConvert.parse(issued.der, Certificate).tbsCertificate)).equals(tbs)).toBe(true);
      expect(intent.tbs_sha256).toBe(hash('sha256', tbs, 'hex'));
      // The reservation holds: the serial is still unique by constraint.
      await expect(
        t.signet.store.db
          .insertInto('issuance_intents')
          .values({ ...intent, id: 'another', state: 'pending' })
          .execute(),
      ).rejects.toThrow(/unique|duplicate/i);
    } finally {
      await t.signet.close();
    }
  });
});
