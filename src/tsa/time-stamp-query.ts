import { PKIFailureInfo } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { HASH_OID, hashOutputLength, type HashName } from '../crypto/algorithms.js';
import type { MessageCode } from '../i18n/messages.js';
import { integer, layout, octetString, sequence, Slot, type Layout } from '../crypto/der-layout.js';

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
  /** The request's MessageImprint as received: TSTInfo carries it unchanged ("MUST have the same value", RFC 3161 §2.4.2). */
  messageImprintDer: Uint8Array;
  hashedMessage: Buffer;
  reqPolicy?: string;
  /** The INTEGER's content octets, echoed unchanged. */
  nonce?: Uint8Array;
  certReq: boolean;
}

export const ACCEPTED_HASHES: readonly HashName[] = ['sha256', 'sha384', 'sha512'];
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
 * PKIFailureInfo RFC 3161 names for each fault. Walks asn1js's parse tree
 * directly: it is on the TSA's hot path, where asn1-schema's reflective
 * parser costs more than the signature (see token-encoder.ts).
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
  return knownShapes.match(der) ?? knownShapes.learn(der, readTimeStampQuery(der));
}

/** The full reading of a TimeStampReq, through asn1js's parse tree. */
function readTimeStampQuery(der: Uint8Array): TimeStampQuery {
  if (der.length === 0) throw malformed('empty body');
  const ber = asn1js.fromBER(Uint8Array.from(der));
  if (ber.offset === -1) throw malformed(ber.result.error || 'not DER');
  if (ber.offset !== der.length) throw malformed(`${der.length - ber.offset} bytes after the request`);
  const root = ber.result;
  if (!(root instanceof asn1js.Sequence)) throw malformed('TimeStampReq is not a SEQUENCE');
  if (!wellNested(root)) throw malformed('a field runs past the end of the structure holding it');
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

  const query: TimeStampQuery = { hash, messageImprintDer: new Uint8Array(imprint.valueBeforeDecodeView), hashedMessage, certReq: false };
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
    query.nonce = new Uint8Array(item.valueBlock.valueHexView);
    item = items[++index];
  }
  if (item instanceof asn1js.Boolean) {
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

/**
 * asn1js lets the last child of a constructed value run past its parent's
 * stated length (30 08 … 01 01 | 00 reads a BOOLEAN from beyond the SEQUENCE).
 * DER does not: each constructed value's contents are exactly its children.
 */
function wellNested(node: asn1js.AsnType): boolean {
  if (!(node instanceof asn1js.Constructed)) return true;
  const children = node.valueBlock.value;
  const total = children.reduce((n, child) => n + (child as asn1js.BaseBlock).valueBeforeDecodeView.byteLength, 0);
  return !node.lenBlock.isIndefiniteForm && total === node.lenBlock.length && children.every(wellNested);
}

/** A query shape a full reading accepted: every byte fixed but the imprint's digest and the nonce's octets. */
interface QueryShape {
  layout: Layout;
  /** [start, end) ranges of `layout.der` outside the slots: a query of this shape has exactly these bytes there. */
  fixed: Array<[number, number]>;
  query: Omit<TimeStampQuery, 'hashedMessage' | 'messageImprintDer' | 'nonce'>;
  imprint: { at: number; length: number };
  digest: { at: number; length: number };
  nonce?: { at: number; length: number };
}

const MAX_QUERY_SHAPES = 64;

/**
 * Clients send the same few shapes of query (one hash, a nonce of one length,
 * certReq or not) and asn1js's parse tree costs as much as the signature. So
 * each query asn1js read and accepted teaches its shape: asn1js lays out a
 * TimeStampReq of the same fields around placeholders (der-layout.ts), and
 * when that layout re-encodes the query byte for byte, later queries of the
 * same length whose bytes outside the digest and nonce match it are read
 * straight from their slots. They are the very DER asn1js would produce for
 * those values, so nothing the full reading would refuse is let through; any
 * other query takes the full reading.
 */
class QueryShapes {
  private readonly byLength = new Map<number, QueryShape[]>();
  private count = 0;

  match(der: Uint8Array): TimeStampQuery | undefined {
    const shapes = this.byLength.get(der.length);
    if (!shapes) return undefined;
    const bytes = Buffer.from(der.buffer, der.byteOffset, der.length);
    for (const shape of shapes) {
      if (!shape.fixed.every(([from, to]) => bytes.compare(shape.layout.der, from, to, from, to) === 0)) continue;
      const query: TimeStampQuery = {
        ...shape.query,
        messageImprintDer: new Uint8Array(bytes.subarray(shape.imprint.at, shape.imprint.at + shape.imprint.length)),
        hashedMessage: Buffer.from(bytes.subarray(shape.digest.at, shape.digest.at + shape.digest.length)),
      };
      if (shape.nonce) query.nonce = new Uint8Array(bytes.subarray(shape.nonce.at, shape.nonce.at + shape.nonce.length));
      return query;
    }
    return undefined;
  }

  learn(der: Uint8Array, query: TimeStampQuery): TimeStampQuery {
    if (this.count >= MAX_QUERY_SHAPES) return query;
    const fields = asn1js.fromBER(Uint8Array.from(der)).result as asn1js.Sequence;
    const raw = (node: asn1js.AsnType | undefined) => new Uint8Array((node as asn1js.BaseBlock).valueBeforeDecodeView);
    const [version, imprint, ...rest] = fields.valueBlock.value;
    const algorithm = (imprint as asn1js.Sequence).valueBlock.value[0];
    const optional = rest.map((node) =>
      node instanceof asn1js.Integer && query.nonce ? integer(new Slot('nonce', query.nonce.length)) : raw(node),
    );
    const shape = layout(
      sequence([raw(version), sequence([raw(algorithm), octetString(new Slot('digest', query.hashedMessage.length))], 'imprint'), ...optional]),
    );
    const filled = Buffer.from(shape.der);
    const slots = ['digest', ...(query.nonce ? ['nonce'] : [])];
    filled.set(query.hashedMessage, shape.offsets.get('digest')!);
    if (query.nonce) filled.set(query.nonce, shape.offsets.get('nonce')!);
    // Only a query that is exactly asn1js's own encoding of its fields teaches its shape.
    if (!filled.equals(Buffer.from(der.buffer, der.byteOffset, der.length))) return query;
    const fixed: Array<[number, number]> = [];
    let from = 0;
    for (const [at, length] of slots.map((name) => [shape.offsets.get(name)!, shape.lengths.get(name)!] as const).sort((a, b) => a[0] - b[0])) {
      fixed.push([from, at]);
      from = at + length;
    }
    fixed.push([from, shape.der.length]);
    const { hashedMessage: _digest, messageImprintDer: _imprint, nonce: _nonce, ...constant } = query;
    const at = (name: string) => ({ at: shape.offsets.get(name)!, length: shape.lengths.get(name)! });
    const learned: QueryShape = { layout: shape, fixed, query: constant, imprint: at('imprint'), digest: at('digest'), ...(query.nonce ? { nonce: at('nonce') } : {}) };
    this.byLength.set(der.length, [...(this.byLength.get(der.length) ?? []), learned]);
    this.count += 1;
    return query;
  }
}

const knownShapes = new QueryShapes();
