import { createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AcmeProblem, malformed } from './problems.js';

/**
 * JSON Web Signatures as ACME uses them (RFC 8555 §6.2, RFC 7515 flattened
 * JSON serialisation), checked strictly: only the protected header, one of
 * `jwk`/`kid`, the algorithms below, no private key members, no unprotected
 * header. node:crypto does the cryptography; the framing is a few lines.
 */
export const ACME_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'EdDSA'] as const;
export type AcmeAlgorithm = (typeof ACME_ALGORITHMS)[number];

export interface ProtectedHeader {
  alg: string;
  nonce?: string;
  url?: string;
  jwk?: JsonWebKey;
  kid?: string;
  [name: string]: unknown;
}

export interface FlattenedJws {
  protectedB64: string;
  payloadB64: string;
  signature: Buffer;
  header: ProtectedHeader;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export function fromBase64Url(text: unknown, what: string): Buffer {
  if (typeof text !== 'string' || !B64URL.test(text)) throw malformed(`${what} is not base64url`);
  return Buffer.from(text, 'base64url');
}

/** The request body as a flattened JWS; nothing else is accepted (RFC 8555 §6.2). */
export function parseJws(body: unknown, what = 'the request body'): FlattenedJws {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw malformed(`${what} is not a JWS object`);
  const fields = body as Record<string, unknown>;
  const extra = Object.keys(fields).filter((k) => !['protected', 'payload', 'signature'].includes(k));
  if (extra.length > 0) throw malformed(`${what} has fields a flattened JWS with only a protected header does not have: ${extra.join(', ')}`);
  if (typeof fields.protected !== 'string' || typeof fields.payload !== 'string' || typeof fields.signature !== 'string') {
    throw malformed(`${what} needs protected, payload and signature strings`);
  }
  let header: unknown;
  try {
    header = JSON.parse(fromBase64Url(fields.protected, 'the protected header').toString('utf8'));
  } catch (error) {
    if (error instanceof AcmeProblem) throw error;
    throw malformed('the protected header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw malformed('the protected header is not a JSON object');
  fromBase64Url(fields.payload, 'the payload');
  return { protectedB64: fields.protected, payloadB64: fields.payload, signature: fromBase64Url(fields.signature, 'the signature'), header: header as ProtectedHeader };
}

/** The payload as JSON; the empty payload of a POST-as-GET is null. */
export function payloadOf(jws: FlattenedJws): unknown {
  if (jws.payloadB64 === '') return null;
  try {
    return JSON.parse(Buffer.from(jws.payloadB64, 'base64url').toString('utf8'));
  } catch {
    throw malformed('the payload is not JSON');
  }
}

export interface AccountKey {
  key: KeyObject;
  /** The public JWK with only its required members, as stored. */
  jwk: JsonWebKey;
  /** RFC 7638 thumbprint, base64url. */
  thumbprint: string;
}

/** The required members of each key type, in the lexicographic order RFC 7638 §3.2 hashes them in. */
const REQUIRED: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };

/** A public JWK the algorithm can use; private members, unknown curves and short RSA keys are refused (badPublicKey). */
export function importAccountKey(jwk: unknown): AccountKey {
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw new AcmeProblem('malformed', 'jwk is not a JSON object');
  const given = jwk as Record<string, unknown>;
  const members = REQUIRED[String(given.kty)];
  if (!members) throw new AcmeProblem('badPublicKey', `key type ${String(given.kty)} is not supported (EC, RSA, OKP)`);
  for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
    if (secret in given) throw new AcmeProblem('badPublicKey', 'the JWK carries private key members');
  }
  const pub: Record<string, string> = {};
  for (const m of members) {
    if (typeof given[m] !== 'string') throw new AcmeProblem('badPublicKey', `the JWK lacks ${m}`);
    pub[m] = given[m];
  }
  if (given.kty === 'EC' && !['P-256', 'P-384'].includes(pub.crv!)) throw new AcmeProblem('badPublicKey', `curve ${pub.crv} is not supported (P-256, P-384)`);
  if (given.kty === 'OKP' && pub.crv !== 'Ed25519') throw new AcmeProblem('badPublicKey', `curve ${pub.crv} is not supported (Ed25519)`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new AcmeProblem('badPublicKey', `the JWK is not a valid public key: ${(error as Error).message}`);
  }
  if (given.kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048 || bits > 8192) throw new AcmeProblem('badPublicKey', `RSA keys of ${bits} bits are not accepted (2048 to 8192)`);
  }
  return { key, jwk: pub as JsonWebKey, thumbprint: jwkThumbprint(pub) };
}

/** RFC 7638: SHA-256 over the required members, sorted, without whitespace. */
export function jwkThumbprint(jwk: Record<string, string>): string {
  const members = REQUIRED[jwk.kty!]!;
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Whether `alg` may be used with this key (RFC 7518 §3.1, RFC 8037). */
function algorithmFits(alg: AcmeAlgorithm, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (alg === 'ES256') return type === 'ec' && curve === 'prime256v1';
  if (alg === 'ES384') return type === 'ec' && curve === 'secp384r1';
  if (alg === 'RS256') return type === 'rsa';
  return type === 'ed25519';
}

export function checkAlgorithm(alg: unknown): AcmeAlgorithm {
  if (typeof alg !== 'string' || !(ACME_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new AcmeProblem('badSignatureAlgorithm', `algorithm ${String(alg)} is not accepted`, { algorithms: [...ACME_ALGORITHMS] });
  }
  return alg as AcmeAlgorithm;
}

/** The signature over protected.payload by this key; refused as malformed when it does not verify (RFC 8555 §6.2). */
export function verifyJwsSignature(jws: FlattenedJws, key: KeyObject): void {
  const alg = checkAlgorithm(jws.header.alg);
  if (!algorithmFits(alg, key)) throw new AcmeProblem('badSignatureAlgorithm', `algorithm ${alg} does not fit the account key`, { algorithms: [...ACME_ALGORITHMS] });
  const input = Buffer.from(`${jws.protectedB64}.${jws.payloadB64}`, 'ascii');
  let ok: boolean;
  if (alg === 'ES256' || alg === 'ES384') {
    const length = alg === 'ES256' ? 64 : 96;
    ok = jws.signature.length === length && verify(alg === 'ES256' ? 'sha256' : 'sha384', input, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
  } else if (alg === 'RS256') {
    ok = verify('sha256', input, key, jws.signature);
  } else {
    ok = verify(null, input, key, jws.signature);
  }
  if (!ok) throw malformed('the JWS signature does not verify');
}
