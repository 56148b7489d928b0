import { CertificationRequest } from '@peculiar/asn1-csr';
import type { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { inspectPublicKey, spkiFingerprint } from '../crypto/public-key.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { checkDer, contentsOf, DerError, nodeBytes, parseCheckedDer, type DerNode } from '../crypto/strict-der.js';
import { SignetError } from '../i18n/signet-error.js';

/** A PKCS#10 request whose signature proves possession of the key: the only thing Signet takes from it. */
export interface ProvenPublicKey {
  /** The key in its canonical DER (public-key.ts), whatever the request's spelling. */
  subjectPublicKeyInfo: Uint8Array;
  /** The same, parsed. */
  parsedPublicKeyInfo: SubjectPublicKeyInfo;
  keyAlgorithm: KeyAlgorithm;
  spkiSha256: string;
}

const PEM = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (NEW )?CERTIFICATE REQUEST-----/;

/** Accepts DER, or PEM with the (NEW) CERTIFICATE REQUEST label; anything else is refused. */
export function decodeRequestBytes(input: Uint8Array | string): Uint8Array {
  const text = typeof input === 'string' ? input : looksLikePem(input) ? Buffer.from(input).toString('latin1') : undefined;
  if (text !== undefined) {
    const match = PEM.exec(text);
    if (!match?.[2]) throw malformed('no CERTIFICATE REQUEST PEM block found');
    return Buffer.from(match[2].replace(/\s+/g, ''), 'base64');
  }
  return input as Uint8Array;
}

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
}

function malformed(detail: string): SignetError {
  return new SignetError('request.malformed-csr', 400, { detail }, 'csr');
}

/**
 * A PKCS#10 request (RFC 2986 §4.1), read strictly: DER only (X.690 §10–11,
 * checked by strict-der.ts before asn1-schema maps it), one request and
 * nothing after it. A refusal names the fault and where it is.
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo CertificationRequestInfo,
 *     signatureAlgorithm       AlgorithmIdentifier,
 *     signature                BIT STRING }
 */
export function parseCertificationRequest(input: Uint8Array | string): CertificationRequest {
  const der = decodeRequestBytes(input);
  if (der.byteLength === 0) throw malformed('empty body');
  if (der.byteLength > 64 * 1024) throw malformed('larger than 64 KiB');
  let outline: DerNode;
  try {
    outline = checkDer(der, 'the request');
  } catch (error) {
    if (error instanceof DerError) throw malformed(`not DER: ${error.reason}`);
    throw error;
  }
  const [info, algorithm, signature] = outline.children;
  if (outline.tagNumber !== 16 || outline.children.length !== 3 || info?.tagNumber !== 16 || algorithm?.tagNumber !== 16 || signature?.tagNumber !== 3) {
    throw malformed('not a CertificationRequest (SEQUENCE of info, algorithm, signature)');
  }
  // The signature covers whole octets: a BIT STRING with unused bits is no signature value (RFC 2986 §4.2).
  if (contentsOf(der, signature)[0] !== 0) throw malformed('the signature BIT STRING has unused bits');
  let request: CertificationRequest;
  try {
    request = parseCheckedDer(der, CertificationRequest);
    if (!request.certificationRequestInfoRaw) throw new Error('missing CertificationRequestInfo');
  } catch (error) {
    throw malformed((error as Error).message);
  }
  return request;
}

/** Proof of possession (RFC 2986 §4.2) and key strength; refused with the precise reason. */
export function provePublicKey(request: CertificationRequest): ProvenPublicKey {
  const info = request.certificationRequestInfo;
  if (info.version !== 0) throw malformed(`version ${info.version} (only v1 = 0 exists)`);
  // The request's own bytes of its key: what its signature covers (asn1-schema keeps the raw info, not the raw key).
  const requested = spkiBytesOf(new Uint8Array(request.certificationRequestInfoRaw!));
  // The schema already read these bytes (parseCertificationRequest): the inspection checks them, not parses them again.
  const inspection = inspectPublicKey(requested, info.subjectPKInfo);
  if (!inspection.ok) {
    throw new SignetError('request.weak-key', 400, { detail: inspection.detail, problem: inspection.problem }, 'csr');
  }
  // The same key as the request's, in the form every loader reads.
  const check = verifySignature(
    inspection.der,
    request.signatureAlgorithm,
    new Uint8Array(request.certificationRequestInfoRaw!),
    new Uint8Array(request.signature),
    // Imported once, by the inspection (the module-level key cache that used to make the second import free is gone).
    { publicKey: inspection.key },
  );
  if (!check.ok) throw new SignetError('request.bad-signature', 400, { detail: check.reason }, 'csr');
  // From here on the key is its canonical form: certified as such, and its identity whatever the request's spelling.
  const spki = inspection.der;
  return { subjectPublicKeyInfo: spki, parsedPublicKeyInfo: inspection.spki, keyAlgorithm: inspection.keyAlgorithm, spkiSha256: spkiFingerprint(spki) };
}

/** The third field of a CertificationRequestInfo, as encoded in it. */
function spkiBytesOf(infoDer: Uint8Array): Uint8Array {
  try {
    const spki = checkDer(infoDer, 'the CertificationRequestInfo').children[2];
    if (!spki) throw new DerError('no subjectPKInfo', 0);
    return nodeBytes(infoDer, spki);
  } catch (error) {
    throw malformed(error instanceof DerError ? error.reason : (error as Error).message);
  }
}

/**
 * A key from a CRMF certificate template (RFC 4211 §5) whose possession its
 * POPOSigningKey proves (§4.1: with poposkInput absent, the signature is over
 * the DER of the certReq as the client sent it). The same key checks as a
 * PKCS#10 request's, the same canonical form afterwards.
 */
export function proveTemplateKey(spkiDer: Uint8Array, signatureAlgorithm: AlgorithmIdentifier, signedBytes: Uint8Array, signature: Uint8Array): ProvenPublicKey {
  const inspection = inspectPublicKey(spkiDer);
  if (!inspection.ok) throw new SignetError('request.weak-key', 400, { detail: inspection.detail, problem: inspection.problem }, 'csr');
  const check = verifySignature(inspection.der, signatureAlgorithm, signedBytes, signature, { publicKey: inspection.key });
  if (!check.ok) throw new SignetError('request.bad-signature', 400, { detail: check.reason }, 'csr');
  const spki = inspection.der;
  return { subjectPublicKeyInfo: spki, parsedPublicKeyInfo: inspection.spki, keyAlgorithm: inspection.keyAlgorithm, spkiSha256: spkiFingerprint(spki) };
}
