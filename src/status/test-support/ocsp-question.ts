import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertID, OCSPRequest, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';

/**
 * Test and bench support: OCSP questions about certificates of one CA, built by hand as RFC 5019 clients (and
 * `openssl ocsp`) send them: one SHA-1 CertID (NULL parameters), no nonce, no extensions (RFC 6960 §4.1.1).
 */
export function ocspQuestions(issuerCertificateDer: Uint8Array): {
  /** The DER OCSPRequest about `serial` (the serial's magnitude; a sign octet is added where needed). */
  about(serial: Buffer): Buffer;
  /** About a serial this CA never issued: `11` and 15 random octets (the CA's own serials are 16 random octets). */
  aboutUnissued(): Buffer;
} {
  const issuer = AsnConvert.parse(issuerCertificateDer, Certificate).tbsCertificate;
  const nameHash = createHash('sha1').update(Buffer.from(AsnConvert.serialize(issuer.subject))).digest();
  const keyHash = createHash('sha1').update(Buffer.from(issuer.subjectPublicKeyInfo.subjectPublicKey)).digest();
  const about = (serial: Buffer): Buffer => {
    const integer = serial[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : serial;
    const certId = new CertID({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.14.3.2.26', parameters: null }),
      issuerNameHash: new OctetString(nameHash),
      issuerKeyHash: new OctetString(keyHash),
      serialNumber: new Uint8Array(integer).buffer,
    });
    return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) })));
  };
  return { about, aboutUnissued: () => about(Buffer.concat([Buffer.from([0x11]), randomBytes(15)])) };
}
