import { isUtf8 } from 'node:buffer';
import { AsnConvert } from '@peculiar/asn1-schema';

/**
 * The DER rules (X.690 §10–11) checked over a whole encoding before any
 * schema reads it. asn1js, under asn1-schema, is a BER decoder: it takes
 * indefinite and long-form lengths, padded integers, constructed strings and
 * a last child running past its parent, and what it read would then be
 * re-encoded differently from what was signed. No npm package checks DER and
 * says where and why it is not, so this walker does; the schema parse that
 * follows stays asn1-schema's.
 *
 * Generic rules only: a context-specific IMPLICIT tag hides its type, so the
 * callers check what their schema puts there (and DEFAULT values left out).
 */

export class DerError extends Error {
  constructor(
    /** Why the bytes are not DER, for people: "non-minimal length at offset 3". */
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
    this.name = 'DerError';
  }
}

export interface DerNode {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  tagNumber: number;
  constructed: boolean;
  /** Offset of the identifier octet in the checked bytes. */
  offset: number;
  /** Identifier and length octets. */
  header: number;
  /** Contents octets. */
  length: number;
  children: DerNode[];
}

/** Hostile nesting must not exhaust the stack: real PKIX structures stay far below this. */
const MAX_DEPTH = 48;

const UNIVERSAL: Record<number, string> = {
  1: 'BOOLEAN',
  2: 'INTEGER',
  3: 'BIT STRING',
  4: 'OCTET STRING',
  5: 'NULL',
  6: 'OBJECT IDENTIFIER',
  10: 'ENUMERATED',
  12: 'UTF8String',
  13: 'RELATIVE-OID',
  16: 'SEQUENCE',
  17: 'SET',
  18: 'NumericString',
  19: 'PrintableString',
  20: 'TeletexString',
  22: 'IA5String',
  23: 'UTCTime',
  24: 'GeneralizedTime',
  26: 'VisibleString',
  28: 'UniversalString',
  30: 'BMPString',
};
/** Universal types that are constructed in DER; every other universal type is primitive (X.690 §10.2). */
const CONSTRUCTED = new Set([8, 11, 16, 17, 29]);

/** Checks that `bytes` is exactly one DER value and returns its outline; throws DerError otherwise. */
export function checkDer(bytes: Uint8Array, what = 'the value'): DerNode {
  if (bytes.length === 0) throw new DerError(`${what} is empty`, 0);
  const node = readNode(bytes, 0, bytes.length, 0);
  const end = node.offset + node.header + node.length;
  if (end !== bytes.length) throw new DerError(`${bytes.length - end} byte${bytes.length - end === 1 ? "" : "s"} after ${what}`, end);
  return node;
}

function readNode(bytes: Uint8Array, at: number, limit: number, depth: number): DerNode {
  if (depth > MAX_DEPTH) throw new DerError(`nested deeper than ${MAX_DEPTH} levels`, at);
  const start = at;
  const identifier = bytes[at++]!;
  const tagClass = identifier >> 6;
  const constructed = (identifier & 0x20) !== 0;
  let tagNumber = identifier & 0x1f;
  if (tagNumber === 0x1f) {
    // X.690 §8.1.2.4: high tag numbers in base 128, no leading 0x80, and only for numbers ≥ 31.
    if (at >= limit) throw new DerError(`tag cut short at offset ${start}`, start);
    if (bytes[at] === 0x80) throw new DerError(`tag number with a leading zero digit at offset ${start}`, start);
    tagNumber = 0;
    let digit: number;
    do {
      if (at >= limit) throw new DerError(`tag cut short at offset ${start}`, start);
      digit = bytes[at++]!;
      tagNumber = tagNumber * 128 + (digit & 0x7f);
      if (tagNumber > 0x1fffff) throw new DerError(`tag number too large at offset ${start}`, start);
    } while (digit & 0x80);
    if (tagNumber < 31) throw new DerError(`tag ${tagNumber} in the long form at offset ${start}`, start);
  }
  if (at >= limit) throw new DerError(`length missing at offset ${at}`, at);
  const first = bytes[at++]!;
  let length = first;
  if (first === 0x80) throw new DerError(`indefinite length at offset ${at - 1} (BER, not DER)`, at - 1);
  if (first > 0x80) {
    const octets = first & 0x7f;
    if (octets > 4) throw new DerError(`length of ${octets} octets at offset ${at - 1}`, at - 1);
    if (at + octets > limit) throw new DerError(`length cut short at offset ${at - 1}`, at - 1);
    if (bytes[at] === 0) throw new DerError(`non-minimal length (leading zero octet) at offset ${at - 1}`, at - 1);
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[at++]!;
    if (length < 0x80) throw new DerError(`long-form length ${length} at offset ${start + 1} (DER uses the short form below 128)`, start + 1);
  }
  const header = at - start;
  if (length > limit - at) throw new DerError(`length ${length} at offset ${start} runs past the end of its container`, start);
  const node: DerNode = { tagClass, tagNumber, constructed, offset: start, header, length, children: [] };
  if (tagClass === 0) checkUniversal(node, bytes.subarray(at, at + length));
  if (constructed) {
    let child = at;
    const end = at + length;
    while (child < end) {
      const next = readNode(bytes, child, end, depth + 1);
      node.children.push(next);
      child = next.offset + next.header + next.length;
    }
    if (tagClass === 0 && tagNumber === 17) checkSetOrder(bytes, node);
  }
  return node;
}

function checkUniversal(node: DerNode, c: Uint8Array): void {
  const tag = node.tagNumber;
  // Every value of every request and of everything signed passes here: plain loops over the octets, no closures.
  let why: string | undefined;
  if (tag === 0) why = 'end-of-contents octets (BER indefinite form)';
  else if (node.constructed !== CONSTRUCTED.has(tag)) why = node.constructed ? 'constructed (BER, not DER)' : 'must be constructed';
  else why = universalProblem(tag, c);
  if (why !== undefined) throw new DerError(`${UNIVERSAL[tag] ?? `universal ${tag}`} at offset ${node.offset}: ${why}`, node.offset);
}

/** Why the contents octets of a primitive universal value are not DER, or undefined. */
function universalProblem(tag: number, c: Uint8Array): string | undefined {
  switch (tag) {
    case 1:
      if (c.length !== 1 || (c[0] !== 0x00 && c[0] !== 0xff)) return 'DER writes FALSE as 00 and TRUE as FF';
      return undefined;
    case 2:
    case 10:
      if (c.length === 0) return 'empty';
      if (c.length > 1 && ((c[0] === 0x00 && !(c[1]! & 0x80)) || (c[0] === 0xff && c[1]! & 0x80))) return 'not minimal (redundant leading octet)';
      return undefined;
    case 3: {
      if (c.length === 0) return 'no unused-bits octet';
      const unused = c[0]!;
      if (unused > 7 || (c.length === 1 && unused !== 0)) return `${unused} unused bits`;
      if (unused && c[c.length - 1]! & ((1 << unused) - 1)) return 'unused bits not zero';
      return undefined;
    }
    case 5:
      return c.length !== 0 ? 'not empty' : undefined;
    case 6:
    case 13:
      if (c.length === 0) return 'empty';
      for (let i = 0; i < c.length; i++) {
        if (c[i] === 0x80 && (i === 0 || !(c[i - 1]! & 0x80))) return 'sub-identifier with a leading zero digit';
      }
      if (c[c.length - 1]! & 0x80) return 'last sub-identifier cut short';
      return undefined;
    case 12:
      return isUtf8(c) ? undefined : 'not UTF-8';
    case 19:
      for (let i = 0; i < c.length; i++) if (!PRINTABLE[c[i]!]) return 'character outside PrintableString';
      return undefined;
    case 22:
      for (let i = 0; i < c.length; i++) if (c[i]! > 0x7f) return 'character outside IA5String';
      return undefined;
    case 23:
      // YYMMDDHHMMSSZ
      return c.length === 13 && digits(c, 0, 12) && c[12] === 0x5a ? undefined : 'DER writes YYMMDDHHMMSSZ';
    case 24:
      return generalizedTimeIsDer(c) ? undefined : 'DER writes YYYYMMDDHHMMSS[.fff]Z, no trailing zeros';
    case 30:
      return c.length % 2 ? 'odd length' : undefined;
    case 28:
      return c.length % 4 ? 'length not a multiple of 4' : undefined;
  }
  return undefined;
}

/** X.680 §41.4 PrintableString: A–Z a–z 0–9 space ' ( ) + , - . / : = ? */
const PRINTABLE = (() => {
  const table = new Uint8Array(256);
  for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?") table[ch.charCodeAt(0)] = 1;
  return table;
})();

function digits(c: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (c[i]! < 0x30 || c[i]! > 0x39) return false;
  return true;
}

/** YYYYMMDDHHMMSS, then optionally "." and digits not ending in 0, then Z (X.690 §11.7). */
function generalizedTimeIsDer(c: Uint8Array): boolean {
  const n = c.length;
  if (n < 15 || c[n - 1] !== 0x5a || !digits(c, 0, 14)) return false;
  if (n === 15) return true;
  // A fraction: "." and at least one digit, the last not 0.
  return n >= 17 && c[14] === 0x2e && digits(c, 15, n - 1) && c[n - 2] !== 0x30;
}

/** X.690 §11.6: a SET OF's members in ascending order of their encodings (a SET's, by tag, is the same order). */
function checkSetOrder(bytes: Uint8Array, node: DerNode): void {
  const encoding = (n: DerNode) => Buffer.from(bytes.buffer, bytes.byteOffset + n.offset, n.header + n.length);
  for (let i = 1; i < node.children.length; i++) {
    const a = encoding(node.children[i - 1]!);
    const b = encoding(node.children[i]!);
    // The shorter is compared as if padded with zeros at its end.
    const common = Math.min(a.length, b.length);
    let order = a.compare(b, 0, common, 0, common);
    if (order === 0 && a.length > b.length && a.subarray(common).some((x) => x !== 0)) order = 1;
    if (order > 0) throw new DerError(`SET at offset ${node.offset}: members not in DER order`, node.offset);
  }
}

/** The bytes of a node (identifier to last contents octet) within the bytes it was read from. */
export function nodeBytes(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.offset, node.offset + node.header + node.length);
}

/** The contents octets of a node. */
export function contentsOf(bytes: Uint8Array, node: DerNode): Uint8Array {
  return bytes.subarray(node.offset + node.header, node.offset + node.header + node.length);
}

/**
 * asn1-schema's parse of bytes checkDer has passed. asn1js, under it, would
 * otherwise try every OCTET STRING and BIT STRING as nested ASN.1
 * (parseEmbedded), work no schema here reads: about half of a
 * TBSCertificate's parse (issue 15 profile, docs/issuance-cycle.md).
 */
export function parseCheckedDer<T>(der: Uint8Array | ArrayBuffer, type: new () => T): T {
  return AsnConvert.parse(der, type, { berOptions: { parseEmbedded: false } });
}
