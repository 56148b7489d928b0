import { PKIFailureInfo } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { HASH_OID, hashOutputLength, type HashName } from '../crypto/algorithms.js';
import type { MessageCode } from '../i18n/messages.js';
import { checkDer, DerError } from '../crypto/strict-der.js';

/**
 * RFC 3161 §2.4.2 PKIFailureInfo, by bit position. (@peculiar/asn1-tsp's
 * PKIFailureInfoFlags numbers some of them wrongly — badRequest as bit 1,
 * badDataFormat as bit 4 — so the positions are spelled out here.)
 */
export const FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TsaFailure = keyof typeof FAILURE_BITS;

export function failureInfo(failure: TsaFailure): PKIFailureInfo {
  const info = new PKIFailureInfo();
  info.fromNumber(2 ** FAILURE_BITS[failure]);
  return info;
}

/** Which failures a PKIFailureInfo names, read by bit position. */
export function failuresIn(info: PKIFailureInfo): TsaFailure[] {
  const bytes = new Uint8Array(info.value);
  const isSet = (bit: number) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
  return (Object.keys(FAILURE_BITS) as TsaFailure[]).filter((f) => isSet(FAILURE_BITS[f]));
}

/** Why the TSA will not stamp: the PKIFailureInfo for the reply and a text for people. */
export class TimeStampRefusal extends Error {
  constructor(
    readonly failure: TsaFailure,
    readonly code: MessageCode,
    readonly params: Record<string, unknown> = {},
  ) {
    super(`${failure}: ${code}`);
    this.name = 'TimeStampRefusal';
  }
}

/** A request the TSA can honour, checked. */
export interface TimeStampQuery {
  hash: HashName;
  /**
   * Whether hashAlgorithm's parameters were NULL rather than absent (RFC 5754 §2 allows both):
   * TSTInfo's MessageImprint, rebuilt from these values, "MUST have the same value" (RFC 3161 §2.4.2).
   */
  nullParameters: boolean;
  hashedMessage: Buffer;
  reqPolicy?: string;
  /** The nonce's value, echoed in TSTInfo (re-encoded, never copied as bytes). */
  nonce?: bigint;
  certReq: boolean;
}

// SM3 (GB/T 32905) too: relying parties of an SM2 deployment hash with it (R13, R22).
export const ACCEPTED_HASHES: readonly HashName[] = ['sha256', 'sha384', 'sha512', 'sm3'];
/** 160 bits is what clients are told to expect (RFC 3161 §2.4.2); a much larger nonce is not a nonce. */
export const MAX_NONCE_BYTES = 32;

/**
 * asn1js prints an OID arc too large for a JS number as `{hex}` of its base-128
 * digits (7 bits each); Signet's policy arc lives under 2.25 (a 128-bit arc), so
 * OIDs read from the wire are turned back into plain dotted decimal here.
 */
export function normaliseOid(oid: string): string {
  return oid.replace(/\{([0-9a-f]+)\}/gi, (_, hex: string) => {
    let value = 0n;
    for (const digit of Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')) value = value * 128n + BigInt(digit & 0x7f);
    return value.toString();
  });
}

const malformed = (detail: string) => new TimeStampRefusal('badDataFormat', 'tsa.bad-data-format', { detail });

/**
 * Parses and checks a DER TimeStampReq (RFC 3161 §2.4.1); refuses with the
 * PKIFailureInfo RFC 3161 names for each fault. DER only (strict-der.ts),
 * then asn1js's parse tree, walked directly.
 *
 * ```asn1
 * TimeStampReq ::= SEQUENCE  {
 *   version          INTEGER  { v1(1) },
 *   messageImprint   MessageImprint,
 *   reqPolicy        TSAPolicyId              OPTIONAL,
 *   nonce            INTEGER                  OPTIONAL,
 *   certReq          BOOLEAN                  DEFAULT FALSE,
 *   extensions       [0] IMPLICIT Extensions  OPTIONAL  }
 * ```
 */
export function parseTimeStampQuery(der: Uint8Array): TimeStampQuery {
  return readTimeStampQuery(der);
}

/** The full reading of a TimeStampReq, through asn1js's parse tree. */
function readTimeStampQuery(der: Uint8Array): TimeStampQuery {
  if (der.length === 0) throw malformed('empty body');
  // RFC 3161 §3.4: the query is DER. What the TSA echoes into TSTInfo is then the one encoding of its value.
  try {
    checkDer(der, 'the request');
  } catch (error) {
    if (error instanceof DerError) throw malformed(`not DER: ${error.reason}`);
    throw error;
  }
  const ber = asn1js.fromBER(Uint8Array.from(der));
  if (ber.offset === -1) throw malformed(ber.result.error || 'not DER');
  if (ber.offset !== der.length) throw malformed(`${der.length - ber.offset} bytes after the request`);
  const root = ber.result;
  if (!(root instanceof asn1js.Sequence)) throw malformed('TimeStampReq is not a SEQUENCE');
  const items = root.valueBlock.value;

  const version = items[0];
  if (!(version instanceof asn1js.Integer)) throw malformed('version is not an INTEGER');
  if (version.valueBlock.valueDec !== 1) throw new TimeStampRefusal('badDataFormat', 'tsa.bad-version', { version: version.valueBlock.valueDec });

  const imprint = items[1];
  if (!(imprint instanceof asn1js.Sequence) || imprint.valueBlock.value.length !== 2) throw malformed('messageImprint is not a MessageImprint');
  const [algorithm, hashed] = imprint.valueBlock.value;
  if (!(algorithm instanceof asn1js.Sequence) || !(hashed instanceof asn1js.OctetString) || hashed.idBlock.isConstructed) {
    throw malformed('messageImprint is not a MessageImprint');
  }
  const [oidNode, params, ...extra] = algorithm.valueBlock.value;
  if (!(oidNode instanceof asn1js.ObjectIdentifier) || extra.length > 0) throw malformed('hashAlgorithm is not an AlgorithmIdentifier');
  const oid = normaliseOid(oidNode.getValue());
  const hash = ACCEPTED_HASHES.find((h) => HASH_OID[h] === oid);
  if (!hash) throw new TimeStampRefusal('badAlg', 'tsa.bad-alg', { algorithm: oid });
  // RFC 5754 §2: absent or NULL, nothing else.
  if (params && !(params instanceof asn1js.Null)) throw new TimeStampRefusal('badAlg', 'tsa.bad-alg', { algorithm: `${oid} with parameters` });
  const hashedMessage = Buffer.from(hashed.valueBlock.valueHexView);
  if (hashedMessage.length !== hashOutputLength(hash)) {
    throw new TimeStampRefusal('badDataFormat', 'tsa.bad-imprint-length', { length: hashedMessage.length, hash, expected: hashOutputLength(hash) });
  }

  const query: TimeStampQuery = { hash, nullParameters: params !== undefined, hashedMessage, certReq: false };
  let index = 2;
  let item = items[index];
  if (item instanceof asn1js.ObjectIdentifier) {
    query.reqPolicy = normaliseOid(item.getValue());
    item = items[++index];
  }
  if (item instanceof asn1js.Integer) {
    if (item.valueBlock.valueHexView.length > MAX_NONCE_BYTES) {
      throw new TimeStampRefusal('badDataFormat', 'tsa.bad-nonce', { length: item.valueBlock.valueHexView.length, max: MAX_NONCE_BYTES });
    }
    // A nonce is a large random positive integer (RFC 3161 §2.4.1); DER has already made it minimal.
    if (item.valueBlock.valueHexView[0]! & 0x80) throw new TimeStampRefusal('badDataFormat', 'tsa.negative-nonce');
    query.nonce = BigInt(`0x${Buffer.from(item.valueBlock.valueHexView).toString('hex')}`);
    item = items[++index];
  }
  if (item instanceof asn1js.Boolean) {
    // X.690 §11.5: DER leaves out a value equal to its DEFAULT.
    if (!item.valueBlock.value) throw malformed('certReq FALSE written out (it is the DEFAULT, which DER leaves out)');
    query.certReq = item.valueBlock.value;
    item = items[++index];
  }
  if (item && item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 0) {
    // RFC 3161 §2.4.1: an extension the TSA does not recognise means no token. It recognises none.
    const first = (item as asn1js.Constructed).valueBlock.value?.[0];
    const extnId = first instanceof asn1js.Sequence ? first.valueBlock.value[0] : undefined;
    const extension = extnId instanceof asn1js.ObjectIdentifier ? normaliseOid(extnId.getValue()) : '?';
    throw new TimeStampRefusal('unacceptedExtension', 'tsa.unaccepted-extension', { extension });
  }
  if (item) throw malformed(`unexpected field ${index + 1} in TimeStampReq`);
  return query;
}
