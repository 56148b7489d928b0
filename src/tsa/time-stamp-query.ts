import { PKIFailureInfo } from '@peculiar/asn1-tsp';
import { HASH_OID, hashOutputLength, type HashName } from '../crypto/algorithms.js';
import type { MessageCode } from '../i18n/messages.js';
import { checkDer, contentsOf, DerError, type DerNode } from '../crypto/strict-der.js';

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
 * PKIFailureInfo RFC 3161 names for each fault. DER only (strict-der.ts), and
 * the values are then read from the outline that check made: there is no
 * second parse.
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
  if (der.length === 0) throw malformed('empty body');
  // RFC 3161 §3.4: the query is DER. What the TSA echoes into TSTInfo is then the one encoding of its value.
  let root: DerNode;
  try {
    root = checkDer(der, 'the request');
  } catch (error) {
    if (error instanceof DerError) throw malformed(`not DER: ${error.reason}`);
    throw error;
  }
  if (!isUniversal(root, SEQUENCE)) throw malformed('TimeStampReq is not a SEQUENCE');
  const items = root.children;
  const contents = (node: DerNode) => contentsOf(der, node);

  const version = items[0];
  if (!isUniversal(version, INTEGER)) throw malformed('version is not an INTEGER');
  const versionBytes = contents(version!);
  if (versionBytes.length !== 1 || versionBytes[0] !== 1) throw new TimeStampRefusal('badDataFormat', 'tsa.bad-version', { version: integerText(versionBytes) });

  const imprint = items[1];
  if (!isUniversal(imprint, SEQUENCE) || imprint!.children.length !== 2) throw malformed('messageImprint is not a MessageImprint');
  const [algorithm, hashed] = imprint!.children;
  if (!isUniversal(algorithm, SEQUENCE) || !isUniversal(hashed, OCTET_STRING)) throw malformed('messageImprint is not a MessageImprint');
  const [oidNode, params, ...extra] = algorithm!.children;
  if (!isUniversal(oidNode, OBJECT_IDENTIFIER) || extra.length > 0) throw malformed('hashAlgorithm is not an AlgorithmIdentifier');
  const oid = oidText(contents(oidNode!));
  const hash = ACCEPTED_HASHES.find((h) => HASH_OID[h] === oid);
  if (!hash) throw new TimeStampRefusal('badAlg', 'tsa.bad-alg', { algorithm: oid });
  // RFC 5754 §2: absent or NULL, nothing else.
  if (params && !isUniversal(params, NULL)) throw new TimeStampRefusal('badAlg', 'tsa.bad-alg', { algorithm: `${oid} with parameters` });
  const hashedMessage = Buffer.from(contents(hashed!));
  if (hashedMessage.length !== hashOutputLength(hash)) {
    throw new TimeStampRefusal('badDataFormat', 'tsa.bad-imprint-length', { length: hashedMessage.length, hash, expected: hashOutputLength(hash) });
  }

  const query: TimeStampQuery = { hash, nullParameters: params !== undefined, hashedMessage, certReq: false };
  let index = 2;
  let item = items[index];
  if (isUniversal(item, OBJECT_IDENTIFIER)) {
    query.reqPolicy = oidText(contents(item!));
    item = items[++index];
  }
  if (isUniversal(item, INTEGER)) {
    const value = contents(item!);
    if (value.length > MAX_NONCE_BYTES) throw new TimeStampRefusal('badDataFormat', 'tsa.bad-nonce', { length: value.length, max: MAX_NONCE_BYTES });
    // A nonce is a large random positive integer (RFC 3161 §2.4.1); DER has already made it minimal.
    if (value[0]! & 0x80) throw new TimeStampRefusal('badDataFormat', 'tsa.negative-nonce');
    query.nonce = BigInt(`0x${Buffer.from(value).toString('hex')}`);
    item = items[++index];
  }
  if (isUniversal(item, BOOLEAN)) {
    // X.690 §11.5: DER leaves out a value equal to its DEFAULT (and writes TRUE as FF, checked above).
    if (contents(item!)[0] === 0) throw malformed('certReq FALSE written out (it is the DEFAULT, which DER leaves out)');
    query.certReq = true;
    item = items[++index];
  }
  if (item && item.tagClass === CONTEXT && item.tagNumber === 0) {
    // RFC 3161 §2.4.1: an extension the TSA does not recognise means no token. It recognises none.
    const first = item.constructed ? item.children[0] : undefined;
    const extnId = isUniversal(first, SEQUENCE) ? first!.children[0] : undefined;
    const extension = isUniversal(extnId, OBJECT_IDENTIFIER) ? oidText(contents(extnId!)) : '?';
    throw new TimeStampRefusal('unacceptedExtension', 'tsa.unaccepted-extension', { extension });
  }
  if (item) throw malformed(`unexpected field ${index + 1} in TimeStampReq`);
  return query;
}

const BOOLEAN = 1;
const INTEGER = 2;
const OCTET_STRING = 4;
const NULL = 5;
const OBJECT_IDENTIFIER = 6;
const SEQUENCE = 16;
const CONTEXT = 2;

const isUniversal = (node: DerNode | undefined, tagNumber: number) => node !== undefined && node.tagClass === 0 && node.tagNumber === tagNumber;

/** Dotted decimal of OBJECT IDENTIFIER contents checkDer has passed (X.690 §8.19), any arc size. */
export function oidText(contents: Uint8Array): string {
  const subidentifiers: bigint[] = [];
  let small = 0;
  let large: bigint | undefined;
  for (const octet of contents) {
    // Plain numbers while they are exact; BigInt past 2^45 (Signet's own arcs stay far below, a 2.25 UUID arc does not).
    if (large === undefined && small < 2 ** 45) small = small * 128 + (octet & 0x7f);
    else large = (large ?? BigInt(small)) * 128n + BigInt(octet & 0x7f);
    if (!(octet & 0x80)) {
      subidentifiers.push(large ?? BigInt(small));
      small = 0;
      large = undefined;
    }
  }
  const first = subidentifiers[0] ?? 0n;
  const [x, y] = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [x, y, ...subidentifiers.slice(1)].join('.');
}

/** An INTEGER's value for a message (a version nobody sends may be any length). */
function integerText(contents: Uint8Array): string {
  if (contents.length === 0) return '0';
  const value = BigInt(`0x${Buffer.from(contents).toString('hex')}`);
  return (contents[0]! & 0x80 ? value - (1n << BigInt(contents.length * 8)) : value).toString();
}
