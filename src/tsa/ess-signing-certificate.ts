import { createHash } from 'node:crypto';
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AsnIntegerArrayBufferConverter } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, GeneralName, GeneralNames, PolicyInformation } from '@peculiar/asn1-x509';
import { Attribute } from '@peculiar/asn1-cms';
import { HASH_OID, type HashName } from '../crypto/algorithms.js';

/**
 * RFC 5035 (ESS update): the signing-certificate-v2 attribute binds a
 * signature to the exact certificate of its signer, so a second certificate
 * for the same key cannot be substituted. No @peculiar package models it.
 */

/** id-aa-signingCertificateV2 (RFC 5035 §3). */
export const id_aa_signingCertificateV2 = '1.2.840.113549.1.9.16.2.47';
/** id-aa-signingCertificate (RFC 2634 §5.4): ESSCertID with a SHA-1 hash, what `openssl ts -reply` writes by default. */
export const id_aa_signingCertificate = '1.2.840.113549.1.9.16.2.12';
/** id-aa-signatureTimeStampToken (RFC 3161 Appendix A). */
export const id_aa_signatureTimeStampToken = '1.2.840.113549.1.9.16.2.14';

const SHA256_OID = HASH_OID.sha256;

/**
 * ```asn1
 * IssuerSerial ::= SEQUENCE {
 *   issuer                   GeneralNames,
 *   serialNumber             CertificateSerialNumber }
 * ```
 */
export class IssuerSerial {
  @AsnProp({ type: GeneralNames })
  issuer = new GeneralNames();

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  serialNumber = new ArrayBuffer(0);

  constructor(params: Partial<IssuerSerial> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * ESSCertIDv2 ::= SEQUENCE {
 *   hashAlgorithm            AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *   certHash                 Hash,
 *   issuerSerial             IssuerSerial OPTIONAL }
 * ```
 */
export class ESSCertIDv2 {
  // DEFAULT values are omitted in DER: an absent hashAlgorithm means SHA-256.
  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  hashAlgorithm?: AlgorithmIdentifier;

  @AsnProp({ type: OctetString })
  certHash = new OctetString();

  @AsnProp({ type: IssuerSerial, optional: true })
  issuerSerial?: IssuerSerial;

  constructor(params: Partial<ESSCertIDv2> = {}) {
    Object.assign(this, params);
  }
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: ESSCertIDv2 })
export class ESSCertIDv2s extends AsnArray<ESSCertIDv2> {
  constructor(items?: ESSCertIDv2[]) {
    super(items);
    Object.setPrototypeOf(this, ESSCertIDv2s.prototype);
  }
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: PolicyInformation })
export class PolicyInformations extends AsnArray<PolicyInformation> {
  constructor(items?: PolicyInformation[]) {
    super(items);
    Object.setPrototypeOf(this, PolicyInformations.prototype);
  }
}

/**
 * ```asn1
 * SigningCertificateV2 ::=  SEQUENCE {
 *   certs        SEQUENCE OF ESSCertIDv2,
 *   policies     SEQUENCE OF PolicyInformation OPTIONAL }
 * ```
 */
export class SigningCertificateV2 {
  @AsnProp({ type: ESSCertIDv2s })
  certs = new ESSCertIDv2s();

  @AsnProp({ type: PolicyInformations, optional: true })
  policies?: PolicyInformations;

  constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}

/** The ESSCertIDv2 of a certificate: its hash and, so a verifier can find it, its issuer and serial. */
export function essCertIdV2(certificateDer: Uint8Array, hash: HashName = 'sha256'): ESSCertIDv2 {
  const certificate = AsnConvert.parse(certificateDer, Certificate);
  return new ESSCertIDv2({
    hashAlgorithm: hash === 'sha256' ? undefined : new AlgorithmIdentifier({ algorithm: HASH_OID[hash] }),
    certHash: new OctetString(createHash(hash).update(certificateDer).digest()),
    issuerSerial: new IssuerSerial({
      issuer: new GeneralNames([new GeneralName({ directoryName: certificate.tbsCertificate.issuer })]),
      serialNumber: certificate.tbsCertificate.serialNumber,
    }),
  });
}

export function signingCertificateV2Attribute(certificateDer: Uint8Array): Attribute {
  const value = new SigningCertificateV2({ certs: new ESSCertIDv2s([essCertIdV2(certificateDer)]) });
  return new Attribute({ attrType: id_aa_signingCertificateV2, attrValues: [AsnConvert.serialize(value)] });
}

/** Does the first ESSCertIDv2 of the attribute name this certificate? (RFC 5035 §3: the first is the signer's.) */
export function signingCertificateMatches(value: ArrayBuffer, certificateDer: Uint8Array): boolean {
  const parsed = AsnConvert.parse(value, SigningCertificateV2);
  const first = parsed.certs[0];
  if (!first) return false;
  const oid = first.hashAlgorithm?.algorithm ?? SHA256_OID;
  const hash = (Object.keys(HASH_OID) as HashName[]).find((h) => HASH_OID[h] === oid && h !== 'sm3');
  if (!hash) return false;
  const expected = createHash(hash).update(certificateDer).digest();
  return expected.equals(Buffer.from(first.certHash.buffer));
}

/**
 * ```asn1
 * ESSCertID ::= SEQUENCE { certHash Hash (SHA-1), issuerSerial IssuerSerial OPTIONAL }
 * SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies SEQUENCE OF PolicyInformation OPTIONAL }
 * ```
 */
export class ESSCertID {
  @AsnProp({ type: OctetString })
  certHash = new OctetString();

  @AsnProp({ type: IssuerSerial, optional: true })
  issuerSerial?: IssuerSerial;
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: ESSCertID })
export class ESSCertIDs extends AsnArray<ESSCertID> {
  constructor(items?: ESSCertID[]) {
    super(items);
    Object.setPrototypeOf(this, ESSCertIDs.prototype);
  }
}

export class SigningCertificate {
  @AsnProp({ type: ESSCertIDs })
  certs = new ESSCertIDs();

  @AsnProp({ type: PolicyInformations, optional: true })
  policies?: PolicyInformations;
}

/** Does the first ESSCertID (RFC 2634 §5.4, SHA-1) name this certificate? For tokens of TSAs that still write v1. */
export function signingCertificateV1Matches(value: ArrayBuffer, certificateDer: Uint8Array): boolean {
  const first = AsnConvert.parse(value, SigningCertificate).certs[0];
  return !!first && createHash('sha1').update(certificateDer).digest().equals(Buffer.from(first.certHash.buffer));
}
