import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, KeyUsage, id_ce_basicConstraints, id_ce_keyUsage } from '@peculiar/asn1-x509';
import { verifySignature, type SignatureCheck } from './signature-verification.js';
import type { Sm2KeyDirectory } from './sm2-verifier.js';

/**
 * Certificate and path signature checks that hand each issuer's SM2
 * distinguishing ID to the verifier. OpenSSL 3.0 applies `-vfyopt distid:`
 * only to a leaf directly under the trust anchor (openssl#23471), so Signet
 * verifies SM2 chains itself; RSA, ECDSA and Ed25519 go through the same code.
 */

export interface CertificateSignatureOptions {
  /** The issuer's SM2 distinguishing ID; default the one `sm2Keys` knows for the issuer's key, else 1234567812345678. */
  distinguishingId?: string;
  sm2Keys?: Sm2KeyDirectory;
}

function parseCertificate(der: Uint8Array): Certificate {
  return AsnConvert.parse(der, Certificate);
}

/** RFC 5280 §6.1.3 (a)(1): the certificate's signature, checked with the issuer's SubjectPublicKeyInfo. */
export function verifyCertificateSignature(
  certificateDer: Uint8Array,
  issuerPublicKeyInfo: Uint8Array,
  options: CertificateSignatureOptions = {},
): SignatureCheck {
  let certificate: Certificate;
  try {
    certificate = parseCertificate(certificateDer);
  } catch (error) {
    return { ok: false, reason: `not an X.509 certificate: ${(error as Error).message}` };
  }
  const outer = Buffer.from(AsnConvert.serialize(certificate.signatureAlgorithm));
  const inner = Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.signature));
  // RFC 5280 §4.1.1.2: the two algorithm fields must be identical.
  if (!outer.equals(inner)) return { ok: false, reason: 'signatureAlgorithm differs from the TBSCertificate signature field' };
  const tbs = certificate.tbsCertificateRaw
    ? new Uint8Array(certificate.tbsCertificateRaw)
    : new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate));
  return verifySignature(issuerPublicKeyInfo, certificate.signatureAlgorithm, tbs, new Uint8Array(certificate.signatureValue), {
    distinguishingId: options.distinguishingId,
    sm2Keys: options.sm2Keys,
  });
}

export interface PathOptions {
  /** When the path must be valid; default now. */
  at?: Date;
  /** The SM2 distinguishing ID of the key that signed `issuerDer`'s subordinates. */
  distinguishingIdOf?: (issuerDer: Uint8Array) => string | undefined;
  /** Where the IDs of our own keys are known (when distinguishingIdOf does not say). */
  sm2Keys?: Sm2KeyDirectory;
}

export type PathCheck = { ok: true } | { ok: false; index: number; reason: string };

function spkiOf(certificate: Certificate): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate.subjectPublicKeyInfo));
}

function isCertificateAuthority(certificate: Certificate): string | undefined {
  const extensions = certificate.tbsCertificate.extensions ?? [];
  const bc = extensions.find((e) => e.extnID === id_ce_basicConstraints);
  if (!bc || !AsnConvert.parse(bc.extnValue.buffer, BasicConstraints).cA) return 'the issuer is not a CA (basicConstraints cA)';
  const ku = extensions.find((e) => e.extnID === id_ce_keyUsage);
  if (ku && !AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toJSON().includes('keyCertSign')) {
    return 'the issuer key may not sign certificates (keyUsage keyCertSign)';
  }
  return undefined;
}

/**
 * A certification path, leaf first, each certificate signed by the next and
 * the last by `trustAnchorDer` (whose own self-signature is checked too):
 * names chain, issuers are CAs, every certificate is within its validity at
 * `at`, and every signature verifies with its issuer's ID. Revocation is the
 * status domain's question.
 */
export function verifyCertificationPath(path: Uint8Array[], trustAnchorDer: Uint8Array, options: PathOptions = {}): PathCheck {
  const at = options.at ?? new Date();
  const ders = [...path, trustAnchorDer];
  let certificates: Certificate[];
  try {
    certificates = ders.map(parseCertificate);
  } catch (error) {
    return { ok: false, index: 0, reason: `not an X.509 certificate: ${(error as Error).message}` };
  }
  for (let index = 0; index < certificates.length; index++) {
    const certificate = certificates[index]!;
    const isAnchor = index === certificates.length - 1;
    const issuerIndex = isAnchor ? index : index + 1;
    const issuer = certificates[issuerIndex]!;
    const { notBefore, notAfter } = certificate.tbsCertificate.validity;
    if (at < notBefore.getTime() || at > notAfter.getTime()) return { ok: false, index, reason: 'the certificate is not valid at that time' };
    const issuerName = Buffer.from(AsnConvert.serialize(issuer.tbsCertificate.subject));
    if (!Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.issuer)).equals(issuerName)) {
      return { ok: false, index, reason: 'the issuer name does not match the next certificate’s subject' };
    }
    const notCa = isCertificateAuthority(issuer);
    if (notCa) return { ok: false, index, reason: notCa };
    const check = verifyCertificateSignature(ders[index]!, spkiOf(issuer), { distinguishingId: options.distinguishingIdOf?.(ders[issuerIndex]!), sm2Keys: options.sm2Keys });
    if (!check.ok) return { ok: false, index, reason: check.reason };
  }
  return { ok: true };
}
