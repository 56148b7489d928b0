import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import {
  CertificateSet,
  CMSVersion,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  OtherRevocationInfoFormat,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { CertificateList } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * RevocationInfoChoice ::= CHOICE {
 *   crl CertificateList,
 *   other [1] IMPLICIT OtherRevocationInfoFormat }
 * ```
 * RFC 5652 §10.2.1. @peculiar/asn1-cms 2.x models only `other`, so a
 * SignedData carrying a plain CRL (BouncyCastle's `addCRLs`, CAdES-LT
 * signers, `openssl crl2pkcs7`) would not parse at all with its SignedData.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class RevocationInfo {
  @AsnProp({ type: CertificateList })
  crl?: CertificateList;

  @AsnProp({ type: OtherRevocationInfoFormat, context: 1, implicit: true })
  other?: OtherRevocationInfoFormat;

  constructor(params: Partial<RevocationInfo> = {}) {
    Object.assign(this, params);
  }
}

@AsnType({ type: AsnTypeTypes.Set, itemType: RevocationInfo })
export class RevocationInfos extends AsnArray<RevocationInfo> {
  constructor(items?: RevocationInfo[]) {
    super(items);
    Object.setPrototypeOf(this, RevocationInfos.prototype);
  }
}

/**
 * ```asn1
 * SignedData ::= SEQUENCE {
 *   version CMSVersion,
 *   digestAlgorithms DigestAlgorithmIdentifiers,
 *   encapContentInfo EncapsulatedContentInfo,
 *   certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *   signerInfos SignerInfos }
 * ```
 * RFC 5652 §5.1, as @peculiar/asn1-cms has it but with both revocation
 * choices: the form every SignedData Signet reads is parsed with.
 */
export class CmsSignedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = CMSVersion.v0;

  @AsnProp({ type: DigestAlgorithmIdentifiers })
  digestAlgorithms = new DigestAlgorithmIdentifiers();

  @AsnProp({ type: EncapsulatedContentInfo })
  encapContentInfo = new EncapsulatedContentInfo();

  @AsnProp({ type: CertificateSet, context: 0, implicit: true, optional: true })
  certificates?: CertificateSet;

  @AsnProp({ type: RevocationInfos, context: 1, implicit: true, optional: true })
  crls?: RevocationInfos;

  @AsnProp({ type: SignerInfos })
  signerInfos = new SignerInfos();

  constructor(params: Partial<CmsSignedData> = {}) {
    Object.assign(this, params);
  }
}
