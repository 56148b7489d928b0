import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extensions, RevokedCertificate, Time, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Sm2KeyDirectory } from '../crypto/sm2-verifier.js';
import { sequenceHeader, serialOctets } from './crl-encoding.js';

/**
 * Reading a published CRL without a parse tree of its entries (R14 at any size).
 *
 * asn1js builds ~9.4 nodes per revoked entry and refuses past 10,000 nodes, so
 * a CRL of 1,250 entries could not be read back whole, and a million entries
 * would cost hundreds of MB of objects. This reader walks the DER tag-length
 * headers over the signed bytes themselves (X.690 §8.1.2–8.1.3, DER only:
 * definite, minimal lengths): the TBSCertList is the exact byte range the
 * signature covers (never re-encoded), the small fields around the list are
 * handed to asn1-x509, and of the entries only the one asked about is parsed.
 * Every entry's frame is still checked, so a malformed list is refused, not
 * half read.
 */

/** The published bytes are not a DER CertificateList (RFC 5280 §5.1). */
export class CrlMalformed extends Error {
  constructor(detail: string) {
    super(`the CRL is not DER: ${detail}`);
  }
}

interface Element {
  tag: number;
  /** First content octet. */
  start: number;
  /** One past the last content octet, which is also one past the whole element. */
  end: number;
  /** First octet of the header. */
  at: number;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const EXTENSIONS_TAG = 0xa0;

/**
 * What a message says of one part of the entry being walked ("the serial of entry 12"), put into words only when
 * a message is made: a million entries walked build no string each (walkEntryFrames).
 */
class EntryLabel {
  part = '';
  number = 0;
  toString(): string {
    return `${this.part} ${this.number}`;
  }
}

/** One DER element at `at`, inside `[at, limit)`: low tag numbers only (all a CRL uses), definite minimal length. */
function element(der: Buffer, at: number, limit: number, what: string): Element {
  return entryElement(der, at, limit, what, { tag: 0, start: 0, end: 0, at: 0 });
}

/** element(), written into `into`: the entry walk reuses its elements rather than make four objects per entry. */
function entryElement(der: Buffer, at: number, limit: number, what: string | EntryLabel, into: Element): Element {
  if (at + 2 > limit) throw new CrlMalformed(`${what} is cut short`);
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw new CrlMalformed(`${what} has a high tag number`);
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new CrlMalformed(`${what} has an indefinite length`);
    if (octets > 4) throw new CrlMalformed(`${what} is longer than 4 GB`);
    if (start + octets > limit) throw new CrlMalformed(`${what} is cut short`);
    if (der[start] === 0) throw new CrlMalformed(`${what} has a length with a leading zero octet`);
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    if (length < 0x80) throw new CrlMalformed(`${what} has a long-form length under 128`);
    start += octets;
  }
  const end = start + length;
  if (end > limit) throw new CrlMalformed(`${what} runs past its container`);
  into.tag = tag;
  into.start = start;
  into.end = end;
  into.at = at;
  return into;
}

function expectTag(e: Element, tags: number[], what: string): Element {
  if (!tags.includes(e.tag)) throw new CrlMalformed(`${what} has tag 0x${e.tag.toString(16)}`);
  return e;
}

/** The CertificateList as published: the signed bytes, the fields around the entries, where the entries lie. */
export interface PublishedCrlReading {
  /** The TBSCertList exactly as signed. */
  tbs: Buffer;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
  /** DER of the issuer Name. */
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: bigint | null;
  extensions: Extensions;
  /** Content range of revokedCertificates in the CRL buffer (empty when absent). */
  entries: { start: number; end: number };
  der: Buffer;
}

function parseTime(der: Buffer, e: Element): Date {
  return AsnConvert.parse(der.subarray(e.at, e.end), Time).getTime();
}

/** Reads the frame of a CRL: O(1) in the number of entries (the list is skipped by its length). */
export function readPublishedCrl(input: Uint8Array): PublishedCrlReading {
  const der = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const outer = expectTag(element(der, 0, der.length, 'CertificateList'), [SEQUENCE], 'CertificateList');
  if (outer.end !== der.length) throw new CrlMalformed('bytes follow the CertificateList');
  const tbsElement = expectTag(element(der, outer.start, outer.end, 'tbsCertList'), [SEQUENCE], 'tbsCertList');
  const algorithmElement = expectTag(element(der, tbsElement.end, outer.end, 'signatureAlgorithm'), [SEQUENCE], 'signatureAlgorithm');
  const signatureElement = expectTag(element(der, algorithmElement.end, outer.end, 'signature'), [BIT_STRING], 'signature');
  if (signatureElement.end !== outer.end) throw new CrlMalformed('the CertificateList has more than three fields');
  if (signatureElement.end === signatureElement.start || der[signatureElement.start] !== 0) throw new CrlMalformed('the signature BIT STRING has unused bits');

  // TBSCertList (RFC 5280 §5.1): version, signature, issuer, thisUpdate, nextUpdate?, revokedCertificates?, [0] crlExtensions?
  let at = tbsElement.start;
  const limit = tbsElement.end;
  let field = element(der, at, limit, 'version');
  if (field.tag === INTEGER) {
    if (field.end - field.start !== 1 || der[field.start] !== 1) throw new CrlMalformed('the version is not v2');
    at = field.end;
    field = element(der, at, limit, 'signature');
  }
  expectTag(field, [SEQUENCE], 'the inner signature algorithm');
  // RFC 5280 §5.1.2.2: the algorithm inside the signed part must be the one outside it.
  if (!der.subarray(field.at, field.end).equals(der.subarray(algorithmElement.at, algorithmElement.end))) {
    throw new CrlMalformed('the signature algorithm inside the TBSCertList differs from the outer one');
  }
  const issuerElement = expectTag(element(der, field.end, limit, 'issuer'), [SEQUENCE], 'issuer');
  const thisUpdateElement = expectTag(element(der, issuerElement.end, limit, 'thisUpdate'), [UTC_TIME, GENERALIZED_TIME], 'thisUpdate');
  at = thisUpdateElement.end;
  let nextUpdate: Date | null = null;
  let entries = { start: at, end: at };
  let extensions = new Extensions();
  if (at < limit) {
    field = element(der, at, limit, 'nextUpdate');
    if (field.tag === UTC_TIME || field.tag === GENERALIZED_TIME) {
      nextUpdate = parseTime(der, field);
      at = field.end;
    }
  }
  if (at < limit) {
    field = element(der, at, limit, 'revokedCertificates');
    if (field.tag === SEQUENCE) {
      entries = { start: field.start, end: field.end };
      at = field.end;
    }
  }
  if (at < limit) {
    field = expectTag(element(der, at, limit, 'crlExtensions'), [EXTENSIONS_TAG], 'crlExtensions');
    extensions = AsnConvert.parse(der.subarray(field.start, field.end), Extensions);
    at = field.end;
  }
  if (at !== limit) throw new CrlMalformed('the TBSCertList has fields RFC 5280 does not define');

  const numberExtension = extensions.find((e) => e.extnID === id_ce_cRLNumber);
  let crlNumber: bigint | null = null;
  if (numberExtension) {
    // CRLNumber is up to 20 octets (RFC 5280 §5.2.3): past what asn1-x509's number holds exactly.
    const value = Buffer.from(numberExtension.extnValue.buffer);
    const integer = expectTag(element(value, 0, value.length, 'the CRL number'), [INTEGER], 'the CRL number');
    crlNumber = BigInt(`0x${value.subarray(integer.start, integer.end).toString('hex') || '0'}`);
  }
  return {
    tbs: der.subarray(tbsElement.at, tbsElement.end),
    signatureAlgorithm: AsnConvert.parse(der.subarray(algorithmElement.at, algorithmElement.end), AlgorithmIdentifier),
    signature: der.subarray(signatureElement.start + 1, signatureElement.end),
    issuer: der.subarray(issuerElement.at, issuerElement.end),
    thisUpdate: parseTime(der, thisUpdateElement),
    nextUpdate,
    crlNumber,
    extensions,
    entries,
    der,
  };
}

/** Is the CRL signed by this key, over exactly the bytes it carries? `sm2Keys`: the SM2 IDs of our keys. */
export function crlSignatureValid(crl: PublishedCrlReading, issuerSpki: Uint8Array, sm2Keys?: Sm2KeyDirectory): boolean {
  return verifySignature(issuerSpki, crl.signatureAlgorithm, crl.tbs, crl.signature, { sm2Keys }).ok;
}

/** Where one entry's parts lie in the CRL buffer: offsets only, so a walk over a million entries makes no object per entry. */
export interface EntryFrame {
  /** The entry's first header octet and one past its last octet. */
  at: number;
  end: number;
  /** The serial INTEGER's content octets. */
  serialStart: number;
  serialEnd: number;
  /** The revocationDate's header octet, its first content octet, one past its last. */
  timeAt: number;
  timeStart: number;
  timeEnd: number;
}

function emptyElement(): Element {
  return { tag: 0, start: 0, end: 0, at: 0 };
}

/**
 * Walks every entry's frame (RevokedCertificate ::= SEQUENCE { userCertificate
 * INTEGER, revocationDate Time, crlEntryExtensions Extensions OPTIONAL }) and
 * calls `visit` with where its parts lie; stops early when `visit` returns true.
 * One frame object is reused for every entry: `visit` must not keep it.
 */
export function walkRevokedEntryFrames(crl: PublishedCrlReading, visit: (frame: EntryFrame) => boolean | void): number {
  return walkEntryFrames(crl.der, crl.entries.start, crl.entries.end, visit);
}

/**
 * walkRevokedEntryFrames over the entries in der[start, end) (one piece of a CRL archived in pieces: whole
 * entries only); entries are numbered in messages from `numberedFrom` + 1. Returns how many were walked.
 */
export function walkEntryFrames(der: Buffer, start: number, end: number, visit: (frame: EntryFrame) => boolean | void, numberedFrom = 0): number {
  let count = numberedFrom;
  const frame: EntryFrame = { at: 0, end: 0, serialStart: 0, serialEnd: 0, timeAt: 0, timeStart: 0, timeEnd: 0 };
  // Reused for every entry: a walk over a million entries makes no object or string per entry (the young
  // generation would otherwise fill with them while the publisher holds a page of entries, and grow).
  const label = new EntryLabel();
  const [entry, serial, time, extensions] = [emptyElement(), emptyElement(), emptyElement(), emptyElement()];
  for (let at = start; at < end; ) {
    label.number = count + 1;
    label.part = 'revoked entry';
    entryElement(der, at, end, label, entry);
    if (entry.tag !== SEQUENCE) throw new CrlMalformed(`revoked entry ${count + 1} is not a SEQUENCE`);
    label.part = 'the serial of entry';
    entryElement(der, entry.start, entry.end, label, serial);
    if (serial.tag !== INTEGER || serial.end === serial.start) throw new CrlMalformed(`entry ${count + 1} does not start with an INTEGER`);
    // X.690 §8.3.2: the shortest two's complement, or two encodings of one serial could both appear.
    if (serial.end - serial.start > 1 && ((der[serial.start] === 0 && der[serial.start + 1]! < 0x80) || (der[serial.start] === 0xff && der[serial.start + 1]! >= 0x80))) {
      throw new CrlMalformed(`the serial of entry ${count + 1} is not minimally encoded`);
    }
    label.part = 'the revocation date of entry';
    entryElement(der, serial.end, entry.end, label, time);
    if (time.tag !== UTC_TIME && time.tag !== GENERALIZED_TIME) throw new CrlMalformed(`entry ${count + 1} has no revocation date`);
    if (time.end !== entry.end) {
      label.part = 'the extensions of entry';
      entryElement(der, time.end, entry.end, label, extensions);
      if (extensions.tag !== SEQUENCE || extensions.end !== entry.end) throw new CrlMalformed(`entry ${count + 1} has fields RFC 5280 does not define`);
    }
    count += 1;
    frame.at = entry.at;
    frame.end = entry.end;
    frame.serialStart = serial.start;
    frame.serialEnd = serial.end;
    frame.timeAt = time.at;
    frame.timeStart = time.start;
    frame.timeEnd = time.end;
    if (visit(frame)) return count - numberedFrom;
    at = entry.end;
  }
  return count - numberedFrom;
}

/** walkRevokedEntryFrames with the serial's content octets as a Buffer (a view, not a copy). */
export function walkRevokedEntries(crl: PublishedCrlReading, visit: (serial: Buffer, entryAt: number, entryEnd: number) => boolean | void): number {
  return walkRevokedEntryFrames(crl, (f) => visit(crl.der.subarray(f.serialStart, f.serialEnd), f.at, f.end));
}

/** The entry of one serial (hex, as the store keeps it), parsed alone by asn1-x509; null when the serial is not on the CRL. */
export function findRevokedEntry(crl: PublishedCrlReading, serialHex: string): RevokedCertificate | null {
  const wanted = serialOctets(serialHex.replace(/^(00)+(?=.)/, ''));
  let found = null as [number, number] | null;
  // The whole list is walked even after a match: a CRL whose frame is broken anywhere is refused as a whole.
  walkRevokedEntries(crl, (serial, at, end) => {
    if (!found && serial.equals(wanted)) found = [at, end];
  });
  if (!found) return null;
  const [at, end] = found;
  return AsnConvert.parse(crl.der.subarray(at, end), RevokedCertificate);
}

/**
 * The frame of a CRL archived in pieces, read from its first and last piece alone: `head` is every octet before
 * the first entry (ending with the revokedCertificates header), `tail` every octet after the last. The lengths
 * the headers declare must add up to the head, the declared entries and the tail; the result is the same CRL
 * without its list (headers re-made by sequenceHeader) (the `skeleton`, for readPublishedCrl and the lint), the entries' declared
 * length, and where the signed TBSCertList starts in the head and ends in the tail.
 */
export function readCrlFrameInParts(head: Buffer, tail: Buffer): { skeleton: Buffer; entriesLength: number; tbsStart: number; tbsEndInTail: number } {
  // Positions in the whole CRL: the head at 0, the entries from head.length, the tail after them.
  const open = Number.MAX_SAFE_INTEGER;
  const outer = expectTag(element(head, 0, open, 'CertificateList'), [SEQUENCE], 'CertificateList');
  const tbs = expectTag(element(head, outer.start, open, 'tbsCertList'), [SEQUENCE], 'tbsCertList');
  let at = tbs.start;
  let list: Element | undefined;
  while (at < head.length) {
    const field = element(head, at, open, 'a TBSCertList field');
    if (field.start === head.length) {
      list = expectTag(field, [SEQUENCE], 'revokedCertificates');
      break;
    }
    if (field.end > head.length) throw new CrlMalformed('the first piece ends inside a TBSCertList field');
    at = field.end;
  }
  if (!list) throw new CrlMalformed('the first piece does not end with the revokedCertificates header');
  const entriesLength = list.end - list.start;
  const tailStart = list.end;
  if (outer.end !== tailStart + tail.length) throw new CrlMalformed('the CertificateList length is not that of its pieces');
  if (tbs.end < tailStart || tbs.end > outer.end) throw new CrlMalformed('the tbsCertList length does not end in the last piece');
  const tbsContent = Buffer.concat([head.subarray(tbs.start, list.at), tail.subarray(0, tbs.end - tailStart)]);
  const tbsDer = Buffer.concat([sequenceHeader(tbsContent.length), tbsContent]);
  const rest = tail.subarray(tbs.end - tailStart);
  return { skeleton: Buffer.concat([sequenceHeader(tbsDer.length + rest.length), tbsDer, rest]), entriesLength, tbsStart: tbs.at, tbsEndInTail: tbs.end - tailStart };
}
