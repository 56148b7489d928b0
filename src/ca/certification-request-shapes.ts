import { AsnParser, AsnConvert, AsnProp, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { OID } from '../crypto/algorithms.js';
import { bitString, layout, sequence, Slot, type Layout, type Part } from '../crypto/der-layout.js';

/**
 * Known shapes of PKCS#10 request (RFC 2986 §4.1), read without a parse tree.
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo CertificationRequestInfo,
 *     signatureAlgorithm       AlgorithmIdentifier,
 *     signature                BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *     version       INTEGER { v1(0) },
 *     subject       Name,
 *     subjectPKInfo SubjectPublicKeyInfo,
 *     attributes    [0] Attributes }
 *
 * Requests from one kind of client differ only in the key, the signature, and
 * perhaps the subject and attributes; for given lengths of those, every other
 * byte is the same. asn1js's tree and asn1-schema's mapping cost a P-256
 * request about 180 µs, as much as importing its key and checking its
 * signature. So each request the full parser read teaches its shape, as the
 * time-stamp queries' do (src/tsa/time-stamp-query.ts): asn1js lays out the
 * request around placeholders (der-layout.ts), the version and both
 * AlgorithmIdentifiers encoded by asn1-schema, and only when the layout
 * filled with the request's own values is the request byte for byte is the
 * shape kept. A later request of the same length whose bytes outside the
 * slots equal the layout's is then the library's own DER there; its slots are:
 *
 * - the key and the signature: BIT STRING contents, opaque to the parser (the
 *   key is checked afterwards by inspectPublicKey and OpenSSL, the signature
 *   by the proof of possession, on either path);
 * - the subject and the attributes: whole values, each read by asn1js and
 *   asn1-schema on its own (Name, [0] IMPLICIT Attributes) and required to be
 *   exactly their slot, well nested; `30 00` and `a0 00` stand for the empty
 *   ones.
 *
 * Anything else (another length, a differing byte, a slot that does not read
 * cleanly) returns undefined and goes to the full parser, which gives today's
 * answer, refusal and reason included. The SPKI of a matched request is the
 * library's DER by construction, so its bytes are used as they are in the
 * request instead of being re-encoded.
 */
export interface ShapedRequest {
  request: CertificationRequest;
  /** The request's SubjectPublicKeyInfo, exactly its bytes in the request. */
  subjectPublicKeyInfo: Uint8Array;
}

interface Range {
  at: number;
  length: number;
}

interface RequestShape {
  layout: Layout;
  /** [start, end) ranges of `layout.der` outside the slots. */
  fixed: Array<[number, number]>;
  info: Range;
  subject: Range;
  spki: Range;
  key: Range;
  attributes?: Range;
  signature: Range;
  spkiAlgorithm: AlgorithmIdentifier;
  signatureAlgorithm: AlgorithmIdentifier;
}

/** Key and signature algorithms Signet certifies or accepts; other requests are always read in full. */
const SHAPED_KEYS = new Set<string>([OID.ecPublicKey, OID.rsaEncryption, OID.ed25519]);
const SHAPED_SIGNATURES = new Set<string>([OID.ecdsaWithSha256, OID.ecdsaWithSha384, OID.sha256WithRSA, OID.ed25519]);
const MAX_SHAPES = 256;
/** A shape that did not re-create its request (BER, say) is tried again only every so many requests of its lengths. */
const RETRY_EVERY = 64;

const VERSION_1 = new Uint8Array(new asn1js.Integer({ value: 0 }).toBER(false));
const EMPTY_NAME = Buffer.from(AsnConvert.serialize(new Name()));

/** The attributes field alone, tagged as in CertificationRequestInfo, for asn1-schema to read a slot by the same rule. */
@AsnType({ type: AsnTypeTypes.Sequence })
class AttributesField {
  @AsnProp({ type: Attributes, implicit: true, context: 0 })
  attributes = new Attributes();
}

const EMPTY_ATTRIBUTES = Buffer.from(
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [] }).toBER(false),
);

export class RequestShapes {
  private readonly byLength = new Map<number, RequestShape[]>();
  private count = 0;
  /** Lengths whose layout did not re-create the request, and how many such requests came since. */
  private readonly misses = new Map<string, number>();

  /** Shapes kept (at most MAX_SHAPES). */
  get size(): number {
    return this.count;
  }

  match(der: Uint8Array): ShapedRequest | undefined {
    const shapes = this.byLength.get(der.length);
    if (!shapes) return undefined;
    const bytes = Buffer.from(der.buffer, der.byteOffset, der.length);
    for (const shape of shapes) {
      if (!shape.fixed.every(([from, to]) => bytes.compare(shape.layout.der, from, to, from, to) === 0)) continue;
      return read(bytes, shape);
    }
    return undefined;
  }

  /** Keeps the shape of a request the full parser read, if the layout re-creates it byte for byte. */
  learn(der: Uint8Array, tree: asn1js.AsnType, request: CertificationRequest): void {
    const algorithm = request.certificationRequestInfo.subjectPKInfo.algorithm;
    if (!SHAPED_KEYS.has(algorithm.algorithm) || !SHAPED_SIGNATURES.has(request.signatureAlgorithm.algorithm)) return;
    if (request.certificationRequestInfo.version !== 0) return;
    if (this.count >= MAX_SHAPES) {
      // Forget every shape and learn again: a burst of unusual requests cannot keep the usual ones out for ever.
      this.byLength.clear();
      this.count = 0;
    }
    const info = (tree as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const [, subject, , attributes] = info.valueBlock.value as asn1js.BaseBlock[];
    const lengthOf = (node: asn1js.BaseBlock | undefined) => node?.valueBeforeDecodeView.byteLength ?? 0;
    const key = new Uint8Array(request.certificationRequestInfo.subjectPKInfo.subjectPublicKey);
    const signature = new Uint8Array(request.signature);
    // Laying a request out costs half a full reading: a client that always sends what no layout re-creates pays it rarely.
    const lengths = `${der.length}/${lengthOf(subject)}/${key.length}/${attributes ? lengthOf(attributes) : '-'}/${signature.length}`;
    const missed = this.misses.get(lengths);
    if (missed !== undefined) {
      this.misses.set(lengths, missed + 1);
      if (missed % RETRY_EVERY !== 0) return;
    }
    const parts: Part[] = [
      VERSION_1,
      new Slot('subject', lengthOf(subject)),
      sequence([new Uint8Array(AsnConvert.serialize(algorithm)), bitString(new Slot('key', key.length))], 'spki'),
      ...(attributes ? [new Slot('attributes', lengthOf(attributes))] : []),
    ];
    let shape: Layout;
    try {
      shape = layout(
        sequence([sequence(parts, 'info'), new Uint8Array(AsnConvert.serialize(request.signatureAlgorithm)), bitString(new Slot('signature', signature.length))]),
      );
    } catch {
      return;
    }
    const at = (name: string): Range => ({ at: shape.offsets.get(name)!, length: shape.lengths.get(name)! });
    const filled = Buffer.from(shape.der);
    const slots: Array<[string, Uint8Array]> = [
      ['subject', subject!.valueBeforeDecodeView],
      ['key', key],
      ...(attributes ? [['attributes', attributes.valueBeforeDecodeView] as [string, Uint8Array]] : []),
      ['signature', signature],
    ];
    for (const [name, value] of slots) filled.set(value, at(name).at);
    if (!filled.equals(Buffer.from(der.buffer, der.byteOffset, der.length))) {
      if (this.misses.size >= MAX_SHAPES) this.misses.clear();
      if (missed === undefined) this.misses.set(lengths, 1);
      return;
    }
    this.misses.delete(lengths);
    // Known already, and this request missed it only because a slot did not read cleanly: nothing to learn.
    if (this.byLength.get(der.length)?.some((known) => Buffer.from(known.layout.der).equals(Buffer.from(shape.der)))) return;
    const fixed: Array<[number, number]> = [];
    let from = 0;
    for (const { at: start, length } of slots.map(([name]) => at(name)).sort((a, b) => a.at - b.at)) {
      fixed.push([from, start]);
      from = start + length;
    }
    fixed.push([from, shape.der.length]);
    const learned: RequestShape = {
      layout: shape,
      fixed,
      info: at('info'),
      subject: at('subject'),
      spki: at('spki'),
      key: at('key'),
      ...(attributes ? { attributes: at('attributes') } : {}),
      signature: at('signature'),
      spkiAlgorithm: algorithm,
      signatureAlgorithm: request.signatureAlgorithm,
    };
    this.byLength.set(der.length, [...(this.byLength.get(der.length) ?? []), learned]);
    this.count += 1;
  }
}

function read(bytes: Buffer, shape: RequestShape): ShapedRequest | undefined {
  const slice = ({ at, length }: Range) => bytes.subarray(at, at + length);
  const subjectBytes = slice(shape.subject);
  const subject = subjectBytes.equals(EMPTY_NAME) ? new Name() : readSlot(subjectBytes, (node) => AsnParser.fromASN(node, Name));
  if (!subject) return undefined;
  let attributes: Attributes | undefined;
  if (shape.attributes) {
    const attributeBytes = slice(shape.attributes);
    attributes = attributeBytes.equals(EMPTY_ATTRIBUTES)
      ? new Attributes()
      : readSlot(attributeBytes, (node) => AsnParser.fromASN(new asn1js.Sequence({ value: [node] }), AttributesField).attributes);
    if (!attributes) return undefined;
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: new SubjectPublicKeyInfo({ algorithm: copyAlgorithm(shape.spkiAlgorithm), subjectPublicKey: copy(slice(shape.key)) }),
    ...(attributes ? { attributes } : {}),
  });
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    // asn1-schema's `raw` is the Uint8Array asn1js read (typed ArrayBuffer); a copy of the same kind.
    certificationRequestInfoRaw: new Uint8Array(slice(shape.info)) as unknown as ArrayBuffer,
    signatureAlgorithm: copyAlgorithm(shape.signatureAlgorithm),
    signature: copy(slice(shape.signature)),
  });
  return { request, subjectPublicKeyInfo: new Uint8Array(copy(slice(shape.spki))) };
}

/** A slot's value read by asn1js and asn1-schema on its own: one value, exactly the slot, every constructed value exactly its children. */
function readSlot<T>(bytes: Uint8Array, map: (node: asn1js.AsnType) => T): T | undefined {
  const decoded = asn1js.fromBER(Uint8Array.from(bytes));
  if (decoded.offset !== bytes.length || decoded.result.error || !wellNested(decoded.result)) return undefined;
  try {
    return map(decoded.result);
  } catch {
    return undefined;
  }
}

/** asn1js lets a constructed value's last child run past the parent's length; DER does not. */
function wellNested(node: asn1js.AsnType): boolean {
  if (!(node instanceof asn1js.Constructed)) return !(node as asn1js.BaseBlock).lenBlock.isIndefiniteForm;
  const children = node.valueBlock.value;
  const total = children.reduce((n, child) => n + (child as asn1js.BaseBlock).valueBeforeDecodeView.byteLength, 0);
  return !node.lenBlock.isIndefiniteForm && total === node.lenBlock.length && children.every(wellNested);
}

function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function copyAlgorithm(algorithm: AlgorithmIdentifier): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: algorithm.algorithm, ...(algorithm.parameters !== undefined ? { parameters: algorithm.parameters && algorithm.parameters.slice(0) } : {}) });
}
