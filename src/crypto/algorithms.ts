import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams, id_mgf1, id_RSASSA_PSS } from '@peculiar/asn1-rsa';

/** Key algorithms a Signet key may have; the names are the CLI's `--algorithm` values. */
export const KEY_ALGORITHMS = [
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'ecdsa-p256',
  'ecdsa-p384',
  'ed25519',
  'sm2',
  // FIPS 204 (pure ML-DSA, empty context), node:crypto on OpenSSL 3.5: RFC 9881 in X.509, RFC 9882 in CMS.
  'ml-dsa-44',
  'ml-dsa-65',
  'ml-dsa-87',
] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** How an RSA key signs; other key types have exactly one scheme. */
export type SignatureScheme = 'pkcs1' | 'pss' | 'ecdsa' | 'eddsa' | 'sm2' | 'ml-dsa';

export type HashName = 'sha256' | 'sha384' | 'sha512' | 'sm3';

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  rsassaPss: id_RSASSA_PSS,
  mgf1: id_mgf1,
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  ed25519: '1.3.101.112',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  /** GM/T 0006: the SM2 curve and SM3-with-SM2 signatures, which no @peculiar package knows. */
  sm2Curve: '1.2.156.10197.1.301',
  sm3WithSm2: '1.2.156.10197.1.501',
  sm3: '1.2.156.10197.1.401',
  /** NIST CSOR / RFC 9881 §2: one OID per parameter set names both the key and the signature. */
  mlDsa44: '2.16.840.1.101.3.4.3.17',
  mlDsa65: '2.16.840.1.101.3.4.3.18',
  mlDsa87: '2.16.840.1.101.3.4.3.19',
} as const;

export type MlDsaAlgorithm = 'ml-dsa-44' | 'ml-dsa-65' | 'ml-dsa-87';

export function isMlDsa(algorithm: KeyAlgorithm): algorithm is MlDsaAlgorithm {
  return algorithm.startsWith('ml-dsa-');
}

/** FIPS 204 Table 2 sizes (bytes), which the lint holds keys and signatures to. */
export const ML_DSA: Record<MlDsaAlgorithm, { oid: string; publicKeyBytes: number; signatureBytes: number }> = {
  'ml-dsa-44': { oid: OID.mlDsa44, publicKeyBytes: 1312, signatureBytes: 2420 },
  'ml-dsa-65': { oid: OID.mlDsa65, publicKeyBytes: 1952, signatureBytes: 3309 },
  'ml-dsa-87': { oid: OID.mlDsa87, publicKeyBytes: 2592, signatureBytes: 4627 },
};

export function mlDsaByOid(oid: string): MlDsaAlgorithm | undefined {
  return (Object.keys(ML_DSA) as MlDsaAlgorithm[]).find((name) => ML_DSA[name].oid === oid);
}

export const HASH_OID: Record<HashName, string> = {
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
  sm3: OID.sm3,
};

export function hashOutputLength(hash: HashName): number {
  return hash === 'sha384' ? 48 : hash === 'sha512' ? 64 : 32;
}

/** The hash each key algorithm signs with: matched to the key's strength (NIST SP 800-57). */
export function defaultHashFor(algorithm: KeyAlgorithm): HashName {
  switch (algorithm) {
    case 'ecdsa-p384':
    case 'rsa-4096':
      return 'sha384';
    case 'sm2':
      return 'sm3';
    // Pure ML-DSA hashes internally; this is the digest of CMS signed attributes (RFC 9882 §3.3: SHA-512).
    case 'ml-dsa-44':
    case 'ml-dsa-65':
    case 'ml-dsa-87':
      return 'sha512';
    default:
      return 'sha256';
  }
}

export function defaultSchemeFor(algorithm: KeyAlgorithm): SignatureScheme {
  if (algorithm.startsWith('rsa-')) return 'pkcs1';
  if (algorithm.startsWith('ecdsa-')) return 'ecdsa';
  if (isMlDsa(algorithm)) return 'ml-dsa';
  return algorithm === 'ed25519' ? 'eddsa' : 'sm2';
}

export function isSchemeValidFor(algorithm: KeyAlgorithm, scheme: SignatureScheme): boolean {
  if (algorithm.startsWith('rsa-')) return scheme === 'pkcs1' || scheme === 'pss';
  return defaultSchemeFor(algorithm) === scheme;
}

/** The AlgorithmIdentifier written into signatureAlgorithm / TBS signature (RFC 4055, 5758, 8410). */
export function signatureAlgorithmIdentifier(scheme: SignatureScheme, hash: HashName, keyAlgorithm?: KeyAlgorithm): AlgorithmIdentifier {
  switch (scheme) {
    case 'pkcs1': {
      const oid = { sha256: OID.sha256WithRSA, sha384: OID.sha384WithRSA, sha512: OID.sha512WithRSA }[hash as 'sha256'];
      // RFC 4055 §5: the parameters of sha*WithRSAEncryption MUST be NULL.
      return new AlgorithmIdentifier({ algorithm: oid, parameters: null });
    }
    case 'pss': {
      const hashAlg = new AlgorithmIdentifier({ algorithm: HASH_OID[hash], parameters: null });
      const params = new RsaSaPssParams({
        hashAlgorithm: hashAlg,
        maskGenAlgorithm: new AlgorithmIdentifier({
          algorithm: OID.mgf1,
          parameters: AsnConvert.serialize(hashAlg),
        }),
        saltLength: hashOutputLength(hash),
      });
      return new AlgorithmIdentifier({ algorithm: OID.rsassaPss, parameters: AsnConvert.serialize(params) });
    }
    case 'ecdsa': {
      const oid = { sha256: OID.ecdsaWithSha256, sha384: OID.ecdsaWithSha384, sha512: OID.ecdsaWithSha512 }[hash as 'sha256'];
      // RFC 5758 §3.2: the parameters field MUST be absent.
      return new AlgorithmIdentifier({ algorithm: oid });
    }
    case 'eddsa':
      return new AlgorithmIdentifier({ algorithm: OID.ed25519 });
    case 'sm2':
      // GM/T 0015: SM3withSM2 without parameters.
      return new AlgorithmIdentifier({ algorithm: OID.sm3WithSm2 });
    case 'ml-dsa':
      // RFC 9881 §2: the parameters field MUST be absent; the OID is the key's parameter set.
      if (!keyAlgorithm || !isMlDsa(keyAlgorithm)) throw new Error('an ML-DSA signature needs its parameter set');
      return new AlgorithmIdentifier({ algorithm: ML_DSA[keyAlgorithm].oid });
  }
}
