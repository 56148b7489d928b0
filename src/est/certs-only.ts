import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateChoices, CertificateSet, ContentInfo, EncapsulatedContentInfo, id_data, id_signedData, SignedData } from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';

/**
 * A "certs-only" CMS message (RFC 5652 §5.1, RFC 8551 §3.2.2; RFC 7030 §4.1.3
 * and §4.2.3 answer with it, and SCEP's CertRep carries one): SignedData with
 * no signers and no content, only certificates. Built with asn1-cms.
 */
export function certsOnly(certificates: readonly Uint8Array[]): Buffer {
  const signedData = new SignedData({
    version: 1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(certificates.map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }))),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) })));
}
