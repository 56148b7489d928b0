import * as asn1js from 'asn1js';

/**
 * Already-encoded DER placed inside an asn1js structure. asn1js's own RawData
 * only returns its bytes, while constructed blocks collect their children
 * through a writer; this passes the bytes to that writer.
 */
class EncodedElement extends asn1js.RawData {
  override toBER(sizeOnly?: boolean, writer?: { write(buffer: ArrayBuffer): void }): ArrayBuffer {
    const bytes = super.toBER(sizeOnly);
    if (!writer) return bytes;
    writer.write(bytes);
    return new ArrayBuffer(0);
  }
}

/** An asn1js node that writes DER encoded elsewhere (by asn1-schema, or received from a peer) unchanged. */
export function encodedElement(der: Uint8Array | ArrayBuffer): asn1js.AsnType {
  return new EncodedElement({ data: der }) as unknown as asn1js.AsnType;
}

/**
 * A DER encoding made once by asn1js, with the places where per-use values go.
 *
 * A time-stamp token is the same structure every time: only the imprint, the
 * serial, genTime, the nonce, the digest and the signature change, and for a
 * given *shape* (their lengths) every tag and length around them is fixed. So
 * asn1js encodes each shape once, around placeholders of the right length,
 * and each token is the layout's bytes with its values copied into their
 * slots. Nothing here writes a tag or a length: asn1js does, and `layout()`
 * only records where in asn1js's output each slot ended up (a constructed
 * value's contents are its children's encodings, one after the other, so a
 * child's offset is the header length plus the lengths before it). It checks
 * that asn1js embedded every child verbatim, so a slot can never land in the
 * wrong place.
 */
export type Part = Uint8Array | Slot | Wrapped;

/** Bytes that change with every use: a whole TLV, or the contents of a primitive. */
export class Slot {
  constructor(
    readonly name: string,
    readonly length: number,
  ) {}
}

/** A value asn1js encodes around the concatenation of its parts. */
export class Wrapped {
  constructor(
    readonly encode: (content: Uint8Array) => ArrayBuffer,
    readonly parts: Part[],
    /** Records this value's own offset and length under this name. */
    readonly name?: string,
  ) {}
}

export interface Layout {
  /** asn1js's encoding with every slot still holding its placeholder. */
  readonly der: Uint8Array;
  /** Offset of each slot (and of each named value) in `der`. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Length of each slot and named value. */
  readonly lengths: ReadonlyMap<string, number>;
}

/** A subtree already DER-encoded, placed into an asn1js value unchanged. */
const encoded = (bytes: Uint8Array): asn1js.AsnType => encodedElement(bytes);

export const sequence = (parts: Part[], name?: string) =>
  new Wrapped((content) => new asn1js.Sequence({ value: [encoded(content)] }).toBER(false), parts, name);

/** SET OF whose members the caller has put in DER order already (X.690 §11.6). */
export const set = (parts: Part[], name?: string) => new Wrapped((content) => new asn1js.Set({ value: [encoded(content)] }).toBER(false), parts, name);

/** [n] constructed, context-specific: EXPLICIT tagging, or IMPLICIT over a SET/SEQUENCE's contents. */
export const tagged = (tagNumber: number, parts: Part[], name?: string) =>
  new Wrapped(
    (content) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value: [encoded(content)] as asn1js.Constructed['valueBlock']['value'] }).toBER(false),
    parts,
    name,
  );

/** INTEGER whose content octets are given (already minimal two's complement). */
export const integer = (content: Slot | Uint8Array) => new Wrapped((c) => new asn1js.Integer({ valueHex: c }).toBER(false), [content]);

export const octetString = (content: Part) => new Wrapped((c) => new asn1js.OctetString({ valueHex: c }).toBER(false), [content]);

/** BIT STRING with no unused bits: the `00` octet asn1js writes is part of the header. */
export const bitString = (content: Part) => new Wrapped((c) => new asn1js.BitString({ valueHex: c }).toBER(false), [content]);

/** A universal primitive (a character string: 12 UTF8String, 19 PrintableString, 22 IA5String) with the given content octets. */
export const primitive = (tagNumber: number, content: Part) =>
  new Wrapped((c) => new asn1js.Primitive({ idBlock: { tagClass: 1, tagNumber }, valueHex: c }).toBER(false), [content]);

const oids = new Map<string, Uint8Array>();

/** An OBJECT IDENTIFIER's DER, encoded by asn1js once per identifier. */
export function oid(id: string): Uint8Array {
  let der = oids.get(id);
  if (!der) {
    der = new Uint8Array(new asn1js.ObjectIdentifier({ value: id }).toBER(false));
    oids.set(id, der);
  }
  return der;
}

/** Lays the parts out; throws if asn1js did not keep a child's bytes as they were. */
export function layout(part: Part): Layout {
  const offsets = new Map<string, number>();
  const lengths = new Map<string, number>();
  const der = place(part, 0, offsets, lengths);
  return { der, offsets, lengths };
}

function place(part: Part, at: number, offsets: Map<string, number>, lengths: Map<string, number>): Uint8Array {
  if (part instanceof Uint8Array) return part;
  if (part instanceof Slot) {
    offsets.set(part.name, at);
    lengths.set(part.name, part.length);
    // A placeholder no encoder would rewrite: no leading zero, no sign bit.
    return new Uint8Array(part.length).fill(0x01);
  }
  // Children first at offset 0, to learn the header length; then shifted into place.
  const inner = new Map<string, number>();
  const children = part.parts.map((child) => place(child, 0, inner, lengths));
  const content = concat(children);
  const whole = new Uint8Array(part.encode(content));
  const header = whole.length - content.length;
  if (header < 2 || !equal(whole.subarray(header), content)) throw new Error('DER layout: the encoder did not keep the contents verbatim');
  let offset = at + header;
  children.forEach((child, i) => {
    const childPart = part.parts[i]!;
    for (const name of namesIn(childPart)) offsets.set(name, offset + inner.get(name)!);
    offset += child.length;
  });
  if (part.name) {
    offsets.set(part.name, at);
    lengths.set(part.name, whole.length);
  }
  return whole;
}

function namesIn(part: Part): string[] {
  if (part instanceof Uint8Array) return [];
  if (part instanceof Slot) return [part.name];
  return [...(part.name ? [part.name] : []), ...part.parts.flatMap(namesIn)];
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** A copy of the layout's bytes with each named slot holding its value (of exactly the slot's length). */
export function fill(shape: Layout, values: Record<string, Uint8Array>): Buffer {
  const out = Buffer.allocUnsafe(shape.der.length);
  out.set(shape.der);
  for (const name in values) {
    const value = values[name]!;
    if (value.length !== shape.lengths.get(name)) throw new Error(`DER layout: ${name} is ${value.length} bytes, its slot ${shape.lengths.get(name)}`);
    out.set(value, shape.offsets.get(name)!);
  }
  return out;
}
