import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import type { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { inspectPublicKey, spkiFingerprint } from '../crypto/public-key.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { RequestShapes } from './certification-request-shapes.js';
import { SignetError } from '../i18n/signet-error.js';

/** A PKCS#10 request whose signature proves possession of the key: the only thing Signet takes from it. */
export interface ProvenPublicKey {
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

const knownShapes = new RequestShapes();

/**
 * The SPKI bytes of requests read from a known shape, where they are the
 * library's DER as they stand in the request (certification-request-shapes.ts).
 * Kept with the parsed SPKI they belong to, so a request changed after parsing
 * is re-encoded as before.
 */
const requestKeys = new WeakMap<CertificationRequest, { parsed: SubjectPublicKeyInfo; der: Uint8Array }>();

export function parseCertificationRequest(input: Uint8Array | string): CertificationRequest {
  const der = decodeRequestBytes(input);
  if (der.byteLength === 0) throw malformed('empty body');
  if (der.byteLength > 64 * 1024) throw malformed('larger than 64 KiB');
  const shaped = knownShapes.match(der);
  if (shaped) {
    requestKeys.set(shaped.request, { parsed: shaped.request.certificationRequestInfo.subjectPKInfo, der: shaped.subjectPublicKeyInfo });
    return shaped.request;
  }
  return parseInFull(der);
}

/** The whole request through asn1js and asn1-schema: any shape, and the precise reason for a refusal. */
export function parseInFull(der: Uint8Array): CertificationRequest {
  const decoded = asn1js.fromBER(der);
  if (decoded.offset === -1 || decoded.result.error) throw malformed('not ASN.1 DER');
  if (decoded.offset !== der.byteLength) throw malformed('trailing bytes after the request');
  let request: CertificationRequest;
  try {
    request = AsnParser.fromASN(decoded.result, CertificationRequest);
    if (!request.certificationRequestInfoRaw) throw new Error('missing CertificationRequestInfo');
  } catch (error) {
    throw malformed((error as Error).message);
  }
  knownShapes.learn(der, decoded.result, request);
  return request;
}

/** Proof of possession (RFC 2986 §4.2) and key strength; refused with the precise reason. */
export function provePublicKey(request: CertificationRequest): ProvenPublicKey {
  const info = request.certificationRequestInfo;
  if (info.version !== 0) throw malformed(`version ${info.version} (only v1 = 0 exists)`);
  const known = requestKeys.get(request);
  const spki = known?.parsed === info.subjectPKInfo ? known.der : new Uint8Array(AsnConvert.serialize(info.subjectPKInfo));
  const inspection = inspectPublicKey(spki, info.subjectPKInfo);
  if (!inspection.ok) {
    throw new SignetError('request.weak-key', 400, { detail: inspection.detail, problem: inspection.problem }, 'csr');
  }
  const check = verifySignature(
    spki,
    request.signatureAlgorithm,
    new Uint8Array(request.certificationRequestInfoRaw!),
    new Uint8Array(request.signature),
  );
  if (!check.ok) throw new SignetError('request.bad-signature', 400, { detail: check.reason }, 'csr');
  return { subjectPublicKeyInfo: spki, parsedPublicKeyInfo: info.subjectPKInfo, keyAlgorithm: inspection.keyAlgorithm, spkiSha256: spkiFingerprint(spki) };
}
