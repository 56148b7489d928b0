import { createPublicKey, hash, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ECParameters } from '@peculiar/asn1-ecc';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { ML_DSA, mlDsaByOid, OID, type KeyAlgorithm } from './algorithms.js';
import { sm2PublicKeyFromInfo, sm2PublicKeyInfo } from './sm2-key.js';
import { checkDer, contentsOf, DerError, parseCheckedDer } from './strict-der.js';

export type PublicKeyInspection =
  | {
      ok: true;
      keyAlgorithm: KeyAlgorithm;
      /** The canonical form, parsed. */
      spki: SubjectPublicKeyInfo;
      /**
       * The same key re-encoded from its values: uncompressed EC point, RSA with
       * NULL parameters and minimal integers, nothing trailing. What goes into a
       * certificate and what key identity (blocklist, one holder per key) hashes.
       */
      der: Uint8Array;
      /** The key as node:crypto imported it while inspecting (absent for SM2): verifiers take it rather than import it again. */
      key?: KeyObject;
    }
  | { ok: false; problem: 'rsa-too-small' | 'rsa-size-unsupported' | 'rsa-exponent' | 'unknown-curve' | 'unsupported-key' | 'malformed-key'; detail: string };

type Refusal = Extract<PublicKeyInspection, { ok: false }>;
const malformedKey = (detail: string): Refusal => ({ ok: false, problem: 'malformed-key', detail });

/**
 * What a SubjectPublicKeyInfo is, and whether Signet will certify it.
 * RSA: 2048, 3072 or 4096 bits, odd exponent ≥ 65537; EC: P-256, P-384 or SM2; Ed25519;
 * ML-DSA-44/65/87 (RFC 9881).
 *
 * The key is read from its values and written again (RFC 5480 §2.2 and
 * RFC 3279 §2.3.1): a compressed point or rsaEncryption without its NULL
 * parameters is certified in the canonical form; an encoding that is not DER
 * (a padded modulus, a long-form length, bytes after the RSAPublicKey, unused
 * bits) is refused with where it goes wrong. Two spellings of one key are one key.
 */
export function inspectPublicKey(spkiDer: Uint8Array, parsed?: SubjectPublicKeyInfo): PublicKeyInspection {
  let spki: SubjectPublicKeyInfo;
  try {
    const outline = checkDer(spkiDer, 'the SubjectPublicKeyInfo');
    const bitString = outline.children[1];
    if (outline.children.length !== 2 || !bitString || bitString.tagNumber !== 3) throw new DerError('not a SubjectPublicKeyInfo', 0);
    if (contentsOf(spkiDer, bitString)[0] !== 0) throw new DerError('the subjectPublicKey BIT STRING has unused bits', bitString.offset);
    spki = parsed ?? parseCheckedDer(spkiDer, SubjectPublicKeyInfo);
  } catch (error) {
    return malformedKey(error instanceof DerError ? error.reason : 'SubjectPublicKeyInfo is not valid DER');
  }
  const algorithm = spki.algorithm.algorithm;
  const parameters = spki.algorithm.parameters;
  const point = Buffer.from(spki.subjectPublicKey);
  if (algorithm === OID.ecPublicKey) {
    const curve = namedCurveOf(parameters);
    const known: Record<string, KeyAlgorithm> = {
      [OID.secp256r1]: 'ecdsa-p256',
      [OID.secp384r1]: 'ecdsa-p384',
      [OID.sm2Curve]: 'sm2',
    };
    const keyAlgorithm = curve ? known[curve] : undefined;
    if (!keyAlgorithm) {
      return { ok: false, problem: 'unknown-curve', detail: `curve ${curve ?? '(explicit parameters)'} is not accepted` };
    }
    // The SM2 curve is unknown to some OpenSSL builds' key loader: sm-crypto-v2 checks its point (uncompressed only).
    if (keyAlgorithm === 'sm2') {
      try {
        sm2PublicKeyFromInfo(spkiDer);
      } catch (error) {
        return malformedKey((error as Error).message);
      }
      return canonical(keyAlgorithm, sm2PublicKeyInfo(point.toString('hex')), spkiDer, spki);
    }
    // SEC 1 §2.3.3: 04 for uncompressed, 02/03 for compressed; the hybrid form (06/07) is not in RFC 5480.
    if (point[0] !== 0x04 && point[0] !== 0x02 && point[0] !== 0x03) {
      return malformedKey(`EC point form ${point[0] === undefined ? '(empty)' : `0x${point[0].toString(16).padStart(2, '0')}`} is not accepted (uncompressed 04 or compressed 02/03)`);
    }
    const key = loadsAsKey(spkiDer, spki);
    if (!key) return malformedKey('the EC point is not on the curve');
    return canonical(keyAlgorithm, fromValues(key, spki), spkiDer, spki, key);
  }
  if (algorithm === OID.ed25519) {
    // RFC 8410 §3: the parameters MUST be absent.
    if (parameters !== undefined && parameters !== null) return malformedKey('Ed25519 with parameters (RFC 8410 §3: they are absent)');
    if (point.length !== 32) return malformedKey(`Ed25519 key of ${point.length} octets (32 expected)`);
    const key = loadsAsKey(spkiDer, spki);
    if (!key) return malformedKey('invalid Ed25519 key');
    return canonical('ed25519', fromValues(key, spki), spkiDer, spki, key);
  }
  if (algorithm === OID.rsaEncryption) {
    // RFC 3279 §2.3.1: NULL parameters. Absent ones are written as NULL; anything else is refused.
    if (parameters && !isNull(parameters)) return malformedKey('rsaEncryption parameters other than NULL');
    let rsa: RSAPublicKey;
    try {
      checkDer(point, 'the RSAPublicKey');
      rsa = AsnConvert.parse(point, RSAPublicKey);
    } catch (error) {
      return malformedKey(`RSAPublicKey: ${error instanceof DerError ? error.reason : 'not an RSAPublicKey'}`);
    }
    if (new Uint8Array(rsa.modulus)[0]! & 0x80 || new Uint8Array(rsa.publicExponent)[0]! & 0x80) return malformedKey('negative RSA modulus or exponent');
    const key = loadsAsKey(spkiDer, spki);
    const details = key?.asymmetricKeyDetails;
    if (!key || !details?.modulusLength) return malformedKey('invalid RSA key');
    const bits = details.modulusLength;
    if (bits < 2048) return { ok: false, problem: 'rsa-too-small', detail: `RSA key of ${bits} bits; at least 2048 are required` };
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
      return { ok: false, problem: 'rsa-size-unsupported', detail: `RSA key of ${bits} bits; 2048, 3072 or 4096 are accepted` };
    }
    const e = details.publicExponent ?? 0n;
    if (e < 65537n || e % 2n === 0n) {
      return { ok: false, problem: 'rsa-exponent', detail: `RSA public exponent ${e} is not an odd number ≥ 65537` };
    }
    return canonical(`rsa-${bits}` as KeyAlgorithm, fromValues(key, spki), spkiDer, spki, key);
  }
  const mlDsa = mlDsaByOid(algorithm);
  if (mlDsa) {
    // RFC 9881 §4: the parameters MUST be absent; the key is the raw FIPS 204 pk, of one size per set.
    if (parameters !== undefined && parameters !== null) return malformedKey(`${mlDsa} with parameters (RFC 9881 §4: they are absent)`);
    if (point.length !== ML_DSA[mlDsa].publicKeyBytes) return malformedKey(`${mlDsa} key of ${point.length} octets (${ML_DSA[mlDsa].publicKeyBytes} expected)`);
    const key = loadsAsKey(spkiDer, spki);
    if (!key) return malformedKey(`invalid ${mlDsa} key`);
    // Only one spelling exists (an OID and the octets), so the DER already checked is the canonical form.
    return canonical(mlDsa, new Uint8Array(spkiDer), spkiDer, spki, key);
  }
  return { ok: false, problem: 'unsupported-key', detail: `key algorithm ${algorithm} is not supported` };
}

/** The canonical form and its parse: the request's own parse when the two are the same bytes (the usual case). */
function canonical(keyAlgorithm: KeyAlgorithm, der: Uint8Array, requestDer: Uint8Array, requestSpki: SubjectPublicKeyInfo, key?: KeyObject): PublicKeyInspection {
  const same = Buffer.from(der.buffer, der.byteOffset, der.byteLength).equals(Buffer.from(requestDer.buffer, requestDer.byteOffset, requestDer.byteLength));
  return { ok: true, keyAlgorithm, der, spki: same ? requestSpki : AsnConvert.parse(der, SubjectPublicKeyInfo), key };
}

/**
 * The key written again from its values by OpenSSL: through its JWK (RFC 7518
 * §6: x and y, n and e as unsigned integers), so no spelling of the request
 * survives — OpenSSL keeps a decoded point's compressed form, not a JWK's.
 * A key loadPublicKey already imported from its JWK is written as it is; one
 * it had to take through the DER decoder (a compressed point) goes through
 * its JWK once more.
 */
function fromValues(key: KeyObject, spki: SubjectPublicKeyInfo): Uint8Array {
  const values = publicKeyAsJwk(spki) ? key : createPublicKey({ key: key.export({ format: 'jwk' }), format: 'jwk' });
  return new Uint8Array(values.export({ type: 'spki', format: 'der' }));
}

function isNull(parameters: ArrayBuffer): boolean {
  const bytes = new Uint8Array(parameters);
  return bytes.length === 2 && bytes[0] === 0x05 && bytes[1] === 0x00;
}

/**
 * The ECParameters' namedCurve (RFC 5480 §2.1.1), undefined for explicit or
 * unreadable parameters. The curves accepted here are looked up by asn1-schema's
 * own encoding of their ECParameters (the only DER there is for them), so the
 * inspection and the key import read a request's parameters once, not twice.
 */
function namedCurveOf(parameters: ArrayBuffer | null | undefined): string | undefined {
  if (!parameters) return undefined;
  const known = NAMED_CURVES.get(Buffer.from(parameters).toString('latin1'));
  if (known) return known;
  try {
    return AsnConvert.parse(parameters, ECParameters).namedCurve;
  } catch {
    return undefined;
  }
}

const NAMED_CURVES = new Map(
  [OID.secp256r1, OID.secp384r1, OID.sm2Curve].map((namedCurve) => [
    Buffer.from(AsnConvert.serialize(new ECParameters({ namedCurve }))).toString('latin1'),
    namedCurve,
  ]),
);

function loadsAsKey(spkiDer: Uint8Array, spki: SubjectPublicKeyInfo): KeyObject | undefined {
  try {
    return loadPublicKey(spkiDer, spki);
  } catch {
    return undefined;
  }
}

/**
 * node:crypto KeyObject for a SubjectPublicKeyInfo. Keys whose SPKI maps onto
 * a JWK (uncompressed P-256/P-384 points, RSA, Ed25519) are imported as one
 * (the point is still checked to be on its curve); anything unusual goes
 * through OpenSSL's DER decoder.
 */
export function loadPublicKey(spkiDer: Uint8Array, parsed?: SubjectPublicKeyInfo): KeyObject {
  const jwk = publicKeyAsJwk(parsed ?? AsnConvert.parse(spkiDer, SubjectPublicKeyInfo));
  return jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
}

/**
 * The keys a deployment checks its own signatures with (a CA's after each
 * certificate, a TSA's after each token), imported once: an import costs a
 * third to a half of a P-256 verification (docs/issuance-cycle.md). Owned by
 * the composition root (src/signet.ts) and handed to whoever verifies in a
 * loop; the oldest of `kept` keys is forgotten first.
 */
export class PublicKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly kept = 64) {}

  load(spkiDer: Uint8Array): KeyObject {
    const id = Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength).toString('latin1');
    let key = this.keys.get(id);
    if (!key) {
      key = loadPublicKey(spkiDer);
      if (this.keys.size >= this.kept) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(id, key);
    }
    return key;
  }
}

const JWK_CURVES: Record<string, { crv: string; coordinate: number }> = {
  [OID.secp256r1]: { crv: 'P-256', coordinate: 32 },
  [OID.secp384r1]: { crv: 'P-384', coordinate: 48 },
};

/** The JWK (RFC 7518 §6) of the same key, where one exists; anything unusual goes through the DER decoder. */
function publicKeyAsJwk(spki: SubjectPublicKeyInfo): JsonWebKey | undefined {
  const point = Buffer.from(spki.subjectPublicKey);
  const algorithm = spki.algorithm.algorithm;
  if (algorithm === OID.ecPublicKey && spki.algorithm.parameters) {
    const curve = JWK_CURVES[namedCurveOf(spki.algorithm.parameters) ?? ''];
    if (!curve || point.length !== 1 + 2 * curve.coordinate || point[0] !== 0x04) return undefined;
    return {
      kty: 'EC',
      crv: curve.crv,
      x: point.subarray(1, 1 + curve.coordinate).toString('base64url'),
      y: point.subarray(1 + curve.coordinate).toString('base64url'),
    };
  }
  if (algorithm === OID.ed25519 && point.length === 32 && !spki.algorithm.parameters) {
    return { kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url') };
  }
  if (algorithm === OID.rsaEncryption) {
    let rsa;
    try {
      rsa = AsnConvert.parse(point, RSAPublicKey);
    } catch {
      return undefined;
    }
    const [modulus, exponent] = [Buffer.from(rsa.modulus), Buffer.from(rsa.publicExponent)];
    // A negative INTEGER is malformed; the DER decoder, not a JWK made positive, says so.
    if ((modulus[0] ?? 0x80) & 0x80 || (exponent[0] ?? 0x80) & 0x80) return undefined;
    const unsigned = (b: Buffer) => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      return b.subarray(i).toString('base64url');
    };
    return { kty: 'RSA', n: unsigned(modulus), e: unsigned(exponent) };
  }
  return undefined;
}

/** SHA-256 over the whole SPKI: the identity of a key across certificates (reuse and blocklist checks). */
export function spkiFingerprint(spkiDer: Uint8Array): string {
  return hash('sha256', spkiDer, 'hex');
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Uint8Array, parsed?: SubjectPublicKeyInfo): Buffer {
  const spki = parsed ?? AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  return hash('sha1', new Uint8Array(spki.subjectPublicKey), 'buffer');
}
