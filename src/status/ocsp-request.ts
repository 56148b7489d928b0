import { AsnConvert, AsnPropTypes, AsnProp, OctetString } from '@peculiar/asn1-schema';
import { CertID, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, Extension, GeneralName } from '@peculiar/asn1-x509';
import { checkDer, DerError, type DerNode } from '../crypto/strict-der.js';

/**
 * The OCSPRequest (RFC 6960 §4.1.1), read strictly:
 *
 * ```asn1
 * OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
 * TBSRequest  ::= SEQUENCE {
 *   version             [0] EXPLICIT Version DEFAULT v1,
 *   requestorName       [1] EXPLICIT GeneralName OPTIONAL,
 *   requestList             SEQUENCE OF Request,
 *   requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
 * Request     ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * The schema is Signet's own: @peculiar/asn1-ocsp 2.6 declares
 * singleRequestExtensions without its [0] tag, so every request carrying one
 * (NSS `ocspclnt -L` adds the service locator, RFC 6960 §4.4.6) failed to
 * parse. The bytes must be DER (strict-der.ts) before the schema reads them:
 * the responder signs the CertIDs and the nonce it read, and with one
 * encoding per value what it signs is what the client asked.
 */

class SingleRequest {
  @AsnProp({ type: CertID })
  reqCert = new CertID();

  @AsnProp({ type: Extension, repeated: 'sequence', context: 0, optional: true })
  singleRequestExtensions?: Extension[];
}

class Signature {
  @AsnProp({ type: AlgorithmIdentifier })
  signatureAlgorithm = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.BitString })
  signature = new ArrayBuffer(0);

  @AsnProp({ type: Certificate, repeated: 'sequence', context: 0, optional: true })
  certs?: Certificate[];
}

class TbsRequest {
  @AsnProp({ type: AsnPropTypes.Integer, context: 0, optional: true })
  version?: number;

  @AsnProp({ type: GeneralName, context: 1, optional: true })
  requestorName?: GeneralName;

  @AsnProp({ type: SingleRequest, repeated: 'sequence' })
  requestList: SingleRequest[] = [];

  @AsnProp({ type: Extension, repeated: 'sequence', context: 2, optional: true })
  requestExtensions?: Extension[];
}

class OcspRequestMessage {
  @AsnProp({ type: TbsRequest })
  tbsRequest = new TbsRequest();

  @AsnProp({ type: Signature, context: 0, optional: true })
  optionalSignature?: Signature;
}

/** What the responder needs from a request. */
export interface OcspQuestion {
  certIds: CertID[];
  /** The nonce extension (RFC 8954) as received; echoed in the response. */
  nonce?: Extension;
}

/** Why a request is malformedRequest (RFC 6960 §2.3), for logs and tests. */
export class MalformedOcspRequest extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MalformedOcspRequest';
  }
}

/** RFC 8954 §2.1: a nonce is 1 to 32 octets. */
export const MAX_OCSP_NONCE = 32;

/** Hash algorithms whose AlgorithmIdentifier parameters are absent or NULL (RFC 5754 §2); nothing else is signed back. */
const NULL_PARAMETERS = Buffer.from([0x05, 0x00]);

/**
 * Reads one OCSPRequest or throws MalformedOcspRequest with the reason.
 * Extensions the responder does not know (the service locator, acceptable
 * response types, preferred signature algorithms…) are accepted and ignored
 * (RFC 6960 §4.4), unless marked critical. A signed request's signature is
 * not required and not checked (the responder answers anyone, RFC 6960 §4.1.2).
 */
export function parseOcspRequest(der: Uint8Array, maxCertIds: number): OcspQuestion {
  const refuse = (why: string): never => {
    throw new MalformedOcspRequest(why);
  };
  if (der.length === 0) refuse('empty request');
  let outline: DerNode;
  try {
    outline = checkDer(der, 'the request');
  } catch (error) {
    if (error instanceof DerError) return refuse(`not DER: ${error.reason}`);
    throw error;
  }
  let parsed: OcspRequestMessage;
  try {
    parsed = AsnConvert.parse(der, OcspRequestMessage);
  } catch (error) {
    return refuse(`not an OCSPRequest: ${(error as Error).message}`);
  }
  const tbs = outline.children[0];
  const first = tbs?.children[0];
  if (first && first.tagClass === 2 && first.tagNumber === 0) {
    // X.690 §11.5: a value equal to its DEFAULT is left out; v1 is the only version.
    if (parsed.tbsRequest.version === 0) refuse('version v1 written out (it is the DEFAULT, which DER leaves out)');
    refuse(`version ${parsed.tbsRequest.version ?? '?'}: only v1 exists`);
  }
  const list = parsed.tbsRequest.requestList;
  if (list.length === 0 || list.length > maxCertIds) refuse(`a request asks about 1 to ${maxCertIds} certificates, not ${list.length}`);
  const certIds = list.map((single, i) => {
    checkCertId(single.reqCert, i, refuse);
    checkExtensions(single.singleRequestExtensions, `singleRequestExtensions of request ${i + 1}`, [], refuse);
    return single.reqCert;
  });
  const last = tbs?.children.at(-1);
  const emptyRequestExtensions = last?.tagClass === 2 && last.tagNumber === 2 && last.children.length === 1 && last.children[0]!.tagNumber === 16 && last.children[0]!.length === 0;
  // BouncyCastle's PKIX revocation checker (bcprov 1.72) writes requestExtensions as an empty SEQUENCE when it adds
  // no nonce, against SIZE (1..MAX). It carries nothing, so it is read as absent: refusing it refused every
  // BouncyCastle relying party (issue 13; test/interop/chain-revocation.test.ts). The round trip below keeps it.
  if (emptyRequestExtensions) parsed.tbsRequest.requestExtensions = [];
  const extensions = emptyRequestExtensions ? undefined : parsed.tbsRequest.requestExtensions;
  checkExtensions(extensions, 'requestExtensions', [id_pkix_ocsp_nonce], refuse);
  const nonce = extensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (nonce) {
    const length = nonceLength(new Uint8Array(nonce.extnValue.buffer));
    if (length < 1 || length > MAX_OCSP_NONCE) refuse(`nonce of ${length} octets (RFC 8954: 1 to ${MAX_OCSP_NONCE})`);
  }
  // DER has one encoding per value: if the schema's encoding of what it read differs, it skipped or re-read something.
  if (!Buffer.from(AsnConvert.serialize(parsed)).equals(Buffer.from(der.buffer, der.byteOffset, der.length))) {
    refuse('fields an OCSPRequest does not have, or a DEFAULT value written out');
  }
  return { certIds, ...(nonce ? { nonce } : {}) };
}

function checkCertId(certId: CertID, i: number, refuse: (why: string) => never): void {
  const parameters = certId.hashAlgorithm.parameters;
  if (parameters != null && !Buffer.from(parameters).equals(NULL_PARAMETERS)) {
    refuse(`CertID ${i + 1}: hash algorithm parameters other than absent or NULL (RFC 5754 §2)`);
  }
  const serial = new Uint8Array(certId.serialNumber);
  if (serial.length === 0 || serial.length > 32) refuse(`CertID ${i + 1}: serial number of ${serial.length} octets`);
  // RFC 5280 §4.1.2.2: serials are positive; a negative one would be read as the positive serial of the same digits.
  if (serial[0]! & 0x80) refuse(`CertID ${i + 1}: negative serial number`);
}

/** Each OID once (RFC 5280 §4.2, applied to requests); unknown ones ignored unless critical. */
function checkExtensions(extensions: Extension[] | undefined, where: string, known: string[], refuse: (why: string) => never): void {
  if (!extensions) return;
  if (extensions.length === 0) refuse(`${where} present but empty (Extensions is SIZE (1..MAX))`);
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.extnID)) refuse(`${where}: extension ${extension.extnID} twice`);
    seen.add(extension.extnID);
    if (extension.critical && !known.includes(extension.extnID)) refuse(`${where}: unknown critical extension ${extension.extnID}`);
  }
}

/**
 * RFC 8954 §2.1: extnValue holds a DER OCTET STRING. Some clients put the raw
 * bytes there instead; those count whole. Either way the extnValue is echoed
 * as received: it is an opaque value to the responder.
 */
function nonceLength(value: Uint8Array): number {
  try {
    checkDer(value);
    return AsnConvert.parse(value, OctetString).byteLength;
  } catch {
    return value.length;
  }
}

/** The one CertID of an RFC 5019 request, located in its bytes. */
export interface Rfc5019Question {
  /** The CertID's DER (as parseOcspRequest's CertID re-encodes: these bytes are DER), in hex: ocsp_responses' key. */
  certIdHex: string;
  /** SHA-1 of the issuer's name and of its key. */
  nameHash: Buffer;
  keyHash: Buffer;
  /** The serial's content octets. */
  serial: Buffer;
}

/** AlgorithmIdentifier { id-sha1, NULL }: what RFC 5019 clients (OpenSSL, browsers, Java, NSS) write. */
const SHA1_WITH_NULL_DER = Buffer.from('300906052b0e03021a0500', 'hex');

/**
 * The request most relying parties send (RFC 5019 §2.1: one SHA-1 CertID, no requestorName, no extensions, no
 * signature), recognised by its layout without a parse: five SEQUENCE headers whose short-form lengths each
 * span exactly what follows, the SHA-1 AlgorithmIdentifier, two 20-octet OCTET STRINGs, and a positive,
 * minimal INTEGER as the last octets. Every byte string that passes is a DER OCSPRequest parseOcspRequest reads
 * to the same single CertID; anything else gives null and is read by parseOcspRequest. A cold question about
 * one of a million certificates then costs a lookup, not a parse.
 */
export function rfc5019Question(request: Buffer): Rfc5019Question | null {
  const length = request.length;
  const serialLength = length - 67;
  // CertID content is 57 octets plus the serial; with a serial of at most 32 octets every length is short-form.
  if (serialLength < 1 || serialLength > 32) return null;
  for (let level = 0; level < 5; level++) {
    if (request[2 * level] !== 0x30 || request[2 * level + 1] !== length - 2 * (level + 1)) return null;
  }
  if (request.compare(SHA1_WITH_NULL_DER, 0, SHA1_WITH_NULL_DER.length, 10, 21) !== 0) return null;
  if (request[21] !== 0x04 || request[22] !== 20 || request[43] !== 0x04 || request[44] !== 20 || request[65] !== 0x02 || request[66] !== serialLength) return null;
  const first = request[67]!;
  // Negative serials are refused, and a redundant leading 00 is not DER: parseOcspRequest says which.
  if (first & 0x80 || (serialLength > 1 && first === 0 && request[68]! < 0x80)) return null;
  return {
    certIdHex: request.toString('hex', 8),
    nameHash: request.subarray(23, 43),
    keyHash: request.subarray(45, 65),
    serial: request.subarray(67),
  };
}
