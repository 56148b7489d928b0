import { constants, createVerify, verify, type KeyObject } from 'node:crypto';
import { loadPublicKey, type PublicKeyCache } from './public-key.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { HASH_OID, ML_DSA, mlDsaByOid, OID, type HashName } from './algorithms.js';
import { startVerifyingSm3WithSm2, verifySm3WithSm2, type Sm2KeyDirectory } from './sm2-verifier.js';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export interface SignatureVerificationOptions {
  /** SM2 only: the signer's distinguishing ID; default the ID `sm2Keys` knows for the key, else 1234567812345678. */
  distinguishingId?: string;
  /** SM2 only: the IDs of our own keys (kept in the store) and prepared points (the composition root's Sm2Identities). */
  sm2Keys?: Sm2KeyDirectory;
  /** Keys already imported (the composition root's): for a caller checking the same key's signatures over and over. */
  publicKeys?: PublicKeyCache;
  /** The key of `spkiDer` already imported (a request's, from inspectPublicKey): used as it is. */
  publicKey?: KeyObject;
}

const PKCS1: Record<string, HashName> = {
  [OID.sha256WithRSA]: 'sha256',
  [OID.sha384WithRSA]: 'sha384',
  [OID.sha512WithRSA]: 'sha512',
};
const ECDSA: Record<string, HashName> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
};
const WEAK = new Set<string>([OID.sha1WithRSA, OID.ecdsaWithSha1, '1.2.840.113549.1.1.4', '1.2.840.113549.1.1.2']);

function hashByOid(oid: string): HashName | undefined {
  return (Object.keys(HASH_OID) as HashName[]).find((h) => HASH_OID[h] === oid && h !== 'sm3');
}

/**
 * Verifies an X.509-style signature (certificate, CSR, CRL, OCSP) against a
 * SubjectPublicKeyInfo. SM2 (GB/T 32918.2 with the signer's ID) is checked by
 * sm-crypto-v2, since node:crypto's SM2 assumes an empty ID; the IDs of our
 * own keys come in `options.sm2Keys` from the composition root.
 */
export function verifySignature(
  spkiDer: Uint8Array,
  algorithm: AlgorithmIdentifier,
  message: Uint8Array,
  signature: Uint8Array,
  options: SignatureVerificationOptions = {},
): SignatureCheck {
  if (algorithm.algorithm === OID.sm3WithSm2) return verifySm3WithSm2(spkiDer, algorithm, message, signature, options);
  return checkSignature(spkiDer, algorithm, options, (hash, key) => verify(hash, message, key, signature), signature);
}

/** A signature check over a message handed over in parts (Signer.startSigning's counterpart). */
export interface VerifyingStream {
  update(part: Uint8Array): void;
  verify(signature: Uint8Array): SignatureCheck;
}

/**
 * verifySignature over the concatenation of the parts given to update(): RSA and ECDSA hash them as they come
 * (node:crypto's Verify), SM2 hashes Z ‖ M as they come (sm2-verifier.ts); anything else (pure EdDSA, ML-DSA)
 * keeps the parts and checks the whole message. The same checks and reasons as verifySignature.
 */
export function startVerifying(spkiDer: Uint8Array, algorithm: AlgorithmIdentifier, options: SignatureVerificationOptions = {}): VerifyingStream {
  const oid = algorithm.algorithm;
  if (oid === OID.sm3WithSm2) return startVerifyingSm3WithSm2(spkiDer, algorithm, options);
  const hash = WEAK.has(oid) ? undefined : (PKCS1[oid] ?? ECDSA[oid] ?? (oid === OID.rsassaPss ? pssHash(algorithm) : undefined));
  if (!hash) {
    const parts: Uint8Array[] = [];
    return {
      update: (part) => void parts.push(Buffer.from(part)),
      verify: (signature) => verifySignature(spkiDer, algorithm, Buffer.concat(parts), signature, options),
    };
  }
  const verifier = createVerify(hash);
  return {
    update: (part) => void verifier.update(part),
    // checkSignature picks the hash from the same OID (and PSS parameters): a different one would be a fault here.
    verify: (signature) => checkSignature(spkiDer, algorithm, options, (chosen, key) => chosen === hash && verifier.verify(key, signature), signature),
  };
}

/** The hash RSASSA-PSS parameters name, when they parse and name an accepted one. */
function pssHash(algorithm: AlgorithmIdentifier): HashName | undefined {
  if (!algorithm.parameters) return undefined;
  try {
    return hashByOid(AsnConvert.parse(algorithm.parameters, RsaSaPssParams).hashAlgorithm.algorithm);
  } catch {
    return undefined;
  }
}

type VerifyKey = KeyObject | { key: KeyObject; padding: number; saltLength: number };

/** Everything verifySignature checks about the key and algorithm; `run` checks the signature itself with the chosen hash. */
function checkSignature(
  spkiDer: Uint8Array,
  algorithm: AlgorithmIdentifier,
  options: SignatureVerificationOptions,
  run: (hash: HashName | null, key: VerifyKey) => boolean,
  signature: Uint8Array,
): SignatureCheck {
  const oid = algorithm.algorithm;
  if (WEAK.has(oid)) return { ok: false, reason: `signature algorithm ${oid} uses a broken hash` };

  let key;
  try {
    key = options.publicKey ?? (options.publicKeys ? options.publicKeys.load(spkiDer) : loadPublicKey(spkiDer));
  } catch {
    return { ok: false, reason: 'the public key cannot be loaded' };
  }
  const expectKeyType = (type: string): SignatureCheck | undefined =>
    key.asymmetricKeyType === type ? undefined : { ok: false, reason: `a ${oid} signature needs a ${type} key` };

  try {
    let valid: boolean;
    if (PKCS1[oid]) {
      const mismatch = expectKeyType('rsa');
      if (mismatch) return mismatch;
      valid = run(PKCS1[oid]!, key);
    } else if (ECDSA[oid]) {
      const mismatch = expectKeyType('ec');
      if (mismatch) return mismatch;
      valid = run(ECDSA[oid]!, key);
    } else if (oid === OID.ed25519) {
      const mismatch = expectKeyType('ed25519');
      if (mismatch) return mismatch;
      valid = run(null, key);
    } else if (mlDsaByOid(oid)) {
      // RFC 9881 §2: pure ML-DSA, empty context, parameters absent; the key must be of the same set.
      if (algorithm.parameters) return { ok: false, reason: `${mlDsaByOid(oid)} signature algorithm with parameters` };
      const set = mlDsaByOid(oid)!;
      const mismatch = expectKeyType(set);
      if (mismatch) return mismatch;
      // FIPS 204 Table 2: one signature length per set; said plainly rather than as a failed check.
      if (signature.length !== ML_DSA[set].signatureBytes) return { ok: false, reason: `${set} signature of ${signature.length} octets (${ML_DSA[set].signatureBytes} expected)` };
      valid = run(null, key);
    } else if (oid === OID.rsassaPss) {
      if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
        return { ok: false, reason: 'an RSASSA-PSS signature needs an RSA key' };
      }
      if (!algorithm.parameters) return { ok: false, reason: 'RSASSA-PSS parameters are missing' };
      const params = AsnConvert.parse(algorithm.parameters, RsaSaPssParams);
      const hash = hashByOid(params.hashAlgorithm.algorithm);
      if (!hash) return { ok: false, reason: `RSASSA-PSS hash ${params.hashAlgorithm.algorithm} is not accepted` };
      valid = run(hash, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength });
    } else {
      return { ok: false, reason: `signature algorithm ${oid} is not supported` };
    }
    return valid ? { ok: true } : { ok: false, reason: 'the signature does not verify' };
  } catch (error) {
    return { ok: false, reason: `the signature cannot be checked: ${(error as Error).message}` };
  }
}
