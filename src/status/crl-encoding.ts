import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  CRLReason,
  Extension,
  InvalidityDate,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
  id_ce_cRLReasons,
  id_ce_invalidityDate,
} from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';

/**
 * Streaming DER for CRLs with a million entries (docs/status.md).
 *
 * Building a TBSCertList from a million asn1-schema objects costs ~80 µs and
 * several hundred bytes of heap per entry. Instead every entry *shape* (serial
 * length, UTCTime or GeneralizedTime, reason, invalidity date or not) is
 * serialised once by asn1-x509's own RevokedCertificate; later entries of the
 * same shape copy that template and overwrite the fixed-width fields (serial
 * octets, time digits) in place. The surrounding TBSCertList fields come from
 * asn1-x509 too; the only bytes we write ourselves are the tag-and-length
 * headers of the two SEQUENCEs whose contents are too large to model
 * (X.690 §8.1.2–8.1.3), in `sequenceHeader` below.
 */

/** One revoked certificate as the store keeps it: hex serial, ISO-8601 UTC times. */
export interface CrlEntry {
  serial: string;
  revoked_at: string;
  /** RFC 5280 §5.3.1; 0 (unspecified) is left out of the entry, as the RFC asks. */
  reason_code: number;
  invalidity_date: string | null;
}

const SEQUENCE = 0x30;

/** X.690 DER identifier + definite length octets for a SEQUENCE of `length` content octets. */
export function sequenceHeader(length: number): Buffer {
  if (length < 0x80) return Buffer.from([SEQUENCE, length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Buffer.from([SEQUENCE, 0x80 | octets.length, ...octets]);
}

/** The INTEGER content octets of a serial stored as minimal hex (two's complement, positive). */
export function serialOctets(hex: string): Buffer {
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return bytes[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; never fractions. */
function usesUtcTime(iso: string): boolean {
  return iso < '2050';
}

/** The value of one hex digit's character code; throws on anything else (a store row that is not a serial). */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  throw new Error(`a serial holds the character ${String.fromCharCode(code)}, not a hex digit`);
}

/** Where the digits of "YYYY-MM-DDTHH:MM:SS" sit in an ISO-8601 string, in the order DER's times write them. */
const ISO_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** timeDigits of the ISO-8601 time at text[from…] written as octets at `at` (the 'Z' is the template's). */
function writeTimeDigits(text: string, from: number, utc: boolean, buffer: Buffer, at: number): void {
  for (let i = utc ? 2 : 0; i < ISO_DIGITS.length; i++) buffer[at++] = text.charCodeAt(from + ISO_DIGITS[i]!);
}

/** An entry template's octets copied into `out`; returns where they start. */
function placeTemplate(template: EntryTemplate, out: DerSink): number {
  const bytes = template.bytes;
  const offset = out.reserve(bytes.length);
  const buffer = out.target;
  for (let i = 0; i < bytes.length; i++) buffer[offset + i] = bytes[i]!;
  return offset;
}

/** writeTimeDigits over octets. */
function writeTimeOctets(text: Buffer, from: number, utc: boolean, buffer: Buffer, at: number): void {
  for (let i = utc ? 2 : 0; i < ISO_DIGITS.length; i++) buffer[at++] = text[from + ISO_DIGITS[i]!]!;
}

/** yearAt over octets. */
function yearOfOctets(text: Buffer, at: number): number {
  let year = 0;
  for (let i = at; i < at + 4; i++) {
    const digit = (text[i] ?? 0) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return 9999;
    year = year * 10 + digit;
  }
  return year;
}

/** The year of the ISO-8601 time at text[at…], from its four digits (NaN-free: a non-digit makes it no UTCTime year). */
function yearAt(text: string, at: number): number {
  let year = 0;
  for (let i = at; i < at + 4; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return 9999;
    year = year * 10 + digit;
  }
  return year;
}

function timeDigits(iso: string, utc: boolean): string {
  // ISO-8601 "YYYY-MM-DDTHH:MM:SS.sssZ" → "YYMMDDHHMMSSZ" / "YYYYMMDDHHMMSSZ", without building a Date.
  const digits = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return utc ? digits.slice(2) : digits;
}

export function secondsOnly(iso: string): Date {
  return new Date(`${iso.slice(0, 19)}Z`);
}

interface EntryTemplate {
  bytes: Buffer;
  serialAt: number;
  serialLength: number;
  timeAt: number;
  utc: boolean;
  invalidityAt: number;
}

/** The asn1-x509 encoding of one entry: the reference every template is checked against. */
export function encodeEntryWithSchema(entry: CrlEntry): Buffer {
  const extensions: Extension[] = [];
  if (entry.reason_code !== 0) {
    extensions.push(
      new Extension({ extnID: id_ce_cRLReasons, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLReason(entry.reason_code))) }),
    );
  }
  if (entry.invalidity_date) {
    extensions.push(
      new Extension({
        extnID: id_ce_invalidityDate,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new InvalidityDate(secondsOnly(entry.invalidity_date)))),
      }),
    );
  }
  const serial = serialOctets(entry.serial);
  return Buffer.from(
    AsnConvert.serialize(
      new RevokedCertificate({
        userCertificate: new Uint8Array(serial).buffer,
        revocationDate: new Time(secondsOnly(entry.revoked_at)),
        crlEntryExtensions: extensions.length ? extensions : undefined,
      }),
    ),
  );
}

/** Encodes entries by shape templates, writing straight into the output chunks. */
export class RevokedEntryEncoder {
  /** By shape number (see `write`): a handful of shapes in practice. */
  private readonly templates = new Map<number, EntryTemplate>();

  /**
   * Writes one entry's DER into `out`; returns its length. A million entries go through here per CRL, so no
   * object, string or Buffer is made per entry: the serial's hex digits and the times' digits are written as
   * octets into the template's copy.
   */
  write(entry: CrlEntry, out: DerSink): number {
    const invalidity = entry.invalidity_date;
    return this.put(entry.serial, 0, entry.serial.length, entry.revoked_at, 0, entry.revoked_at.length, entry.reason_code, invalidity, 0, invalidity?.length ?? 0, out);
  }

  /**
   * Writes the entry on the line of `page` that starts at `at`; returns where the next line starts (page.length
   * after the last). A page is what the database aggregated for many rows at once (SQLite: one string per page
   * instead of an object per row): lines `serial revoked_at reason_code invalidity_date` joined by newlines, the
   * invalidity date `-` when absent; anything after a fourth space on a line (a partition's shard key) is skipped.
   */
  writeLine(page: string, at: number, out: DerSink): number {
    const serialEnd = page.indexOf(' ', at);
    const timeEnd = serialEnd < 0 ? -1 : page.indexOf(' ', serialEnd + 1);
    if (timeEnd < 0) throw new Error(`a CRL page line at ${at} does not have its fields`);
    let i = timeEnd + 1;
    let reason = 0;
    for (let code = page.charCodeAt(i); code >= 0x30 && code <= 0x39; code = page.charCodeAt(++i)) reason = reason * 10 + code - 0x30;
    if (i === timeEnd + 1 || page.charCodeAt(i) !== 0x20) throw new Error(`a CRL page line at ${at} has no reason code`);
    const invalidityAt = i + 1;
    let lineEnd = page.indexOf('\n', invalidityAt);
    if (lineEnd < 0) lineEnd = page.length;
    let invalidityEnd = page.indexOf(' ', invalidityAt);
    if (invalidityEnd < 0 || invalidityEnd > lineEnd) invalidityEnd = lineEnd;
    const absent = invalidityEnd - invalidityAt === 1 && page.charCodeAt(invalidityAt) === 0x2d;
    this.put(page, at, serialEnd, page, serialEnd + 1, timeEnd, reason, absent ? null : page, invalidityAt, invalidityEnd, out);
    return lineEnd + 1;
  }

  /**
   * writeLine over octets: the line starting at text[at] (octets of the same form, each line ending in a newline, as
   * PostgreSQL's COPY TO STDOUT sends one column), written when its newline lies before `end`; returns where the
   * next line starts, or -1 when the line has no newline before `end` (its rest is in the next chunk: EntryLines).
   */
  writeLineOctets(text: Buffer, at: number, end: number, out: DerSink): number {
    // Byte loops, not Buffer.indexOf: a native call per field cost more than the scan of a 60-octet line.
    let lineEnd = at;
    while (lineEnd < end && text[lineEnd] !== 0x0a) lineEnd++;
    if (lineEnd >= end) return -1;
    let serialEnd = at;
    while (serialEnd < lineEnd && text[serialEnd] !== 0x20) serialEnd++;
    let timeEnd = serialEnd + 1;
    while (timeEnd < lineEnd && text[timeEnd] !== 0x20) timeEnd++;
    if (timeEnd >= lineEnd) throw new Error(`a CRL line at ${at} does not have its fields`);
    let i = timeEnd + 1;
    let reason = 0;
    for (let code = text[i]!; i < lineEnd && code >= 0x30 && code <= 0x39; code = text[++i]!) reason = reason * 10 + code - 0x30;
    if (i === timeEnd + 1 || i >= lineEnd || text[i] !== 0x20) throw new Error(`a CRL line at ${at} has no reason code`);
    const invalidityAt = i + 1;
    let invalidityEnd = invalidityAt;
    while (invalidityEnd < lineEnd && text[invalidityEnd] !== 0x20) invalidityEnd++;
    const absent = invalidityEnd - invalidityAt === 1 && text[invalidityAt] === 0x2d;
    this.putOctets(text, at, serialEnd, timeEnd, reason, absent ? -1 : invalidityAt, invalidityEnd, out);
    return lineEnd + 1;
  }

  /** The template of an entry's shape, made once from the entry `make` gives (asn1-x509 encodes the reference). */
  private templateOf(shape: number, make: () => CrlEntry): EntryTemplate {
    let template = this.templates.get(shape);
    if (!template) {
      template = this.makeTemplate(make());
      this.templates.set(shape, template);
    }
    return template;
  }

  /** put() over octets: the serial is text[serialAt, serialEnd), the time after it, the invalidity date at invalidityAt (-1: none). */
  private putOctets(text: Buffer, serialAt: number, serialEnd: number, timeEnd: number, reasonCode: number, invalidityAt: number, invalidityEnd: number, out: DerSink): number {
    const digits = serialEnd - serialAt;
    if (digits <= 0 || digits > 42) throw new Error(`serial ${text.toString('latin1', serialAt, serialEnd)} is not 1 to 21 octets of hex`);
    const sign = digits % 2 === 0 && hexValue(text[serialAt]!) >= 8 ? 1 : 0;
    const serialLength = ((digits + 1) >> 1) + sign;
    const timeAt = serialEnd + 1;
    const utc = yearOfOctets(text, timeAt) < 2050;
    const invalidityType = invalidityAt >= 0 ? (yearOfOctets(text, invalidityAt) < 2050 ? 1 : 2) : 0;
    const shape = serialLength | (utc ? 32 : 0) | (reasonCode << 6) | (invalidityType << 16);
    // Looked up before templateOf: its closure would be an object per entry.
    const template =
      this.templates.get(shape) ??
      this.templateOf(shape, () => ({
        serial: text.toString('latin1', serialAt, serialEnd),
        revoked_at: text.toString('latin1', timeAt, timeEnd),
        reason_code: reasonCode,
        invalidity_date: invalidityAt < 0 ? null : text.toString('latin1', invalidityAt, invalidityEnd),
      }));
    const offset = placeTemplate(template, out);
    const buffer = out.target;
    let at = offset + template.serialAt;
    if (sign) buffer[at++] = 0;
    let i = serialAt;
    if (digits % 2 === 1) buffer[at++] = hexValue(text[i++]!);
    for (; i < serialEnd; i += 2) buffer[at++] = (hexValue(text[i]!) << 4) | hexValue(text[i + 1]!);
    writeTimeOctets(text, timeAt, utc, buffer, offset + template.timeAt);
    if (invalidityAt >= 0) writeTimeOctets(text, invalidityAt, false, buffer, offset + template.invalidityAt);
    return template.bytes.length;
  }

  /** The serial is text[serialAt, serialEnd), revocationDate time[timeAt, timeEnd), the invalidity date likewise. */
  private put(
    text: string,
    serialAt: number,
    serialEnd: number,
    time: string,
    timeAt: number,
    timeEnd: number,
    reasonCode: number,
    invalidity: string | null,
    invalidityAt: number,
    invalidityEnd: number,
    out: DerSink,
  ): number {
    const digits = serialEnd - serialAt;
    if (digits <= 0 || digits > 42) throw new Error(`serial ${text.slice(serialAt, serialEnd)} is not 1 to 21 octets of hex`);
    // Minimal hex as the store keeps it: a leading digit 8-f needs the 00 sign octet (X.690 §8.3.2); odd length a leading 0 nibble.
    const sign = digits % 2 === 0 && hexValue(text.charCodeAt(serialAt)) >= 8 ? 1 : 0;
    const serialLength = ((digits + 1) >> 1) + sign;
    const utc = yearAt(time, timeAt) < 2050;
    const invalidityType = invalidity !== null ? (yearAt(invalidity, invalidityAt) < 2050 ? 1 : 2) : 0;
    // serialLength ≤ 22 (5 bits), the time type (1 bit), the reason (RFC 5280 §5.3.1: 0–10), the invalidity date.
    const shape = serialLength | (utc ? 32 : 0) | (reasonCode << 6) | (invalidityType << 16);
    // Once per shape: the entry as strings, for asn1-x509 to encode the reference (looked up first: the closure
    // would be an object per entry).
    const template =
      this.templates.get(shape) ??
      this.templateOf(shape, () => ({
        serial: text.slice(serialAt, serialEnd),
        revoked_at: time.slice(timeAt, timeEnd),
        reason_code: reasonCode,
        invalidity_date: invalidity === null ? null : invalidity.slice(invalidityAt, invalidityEnd),
      }));
    const offset = placeTemplate(template, out);
    const buffer = out.target;
    let at = offset + template.serialAt;
    if (sign) buffer[at++] = 0;
    let i = serialAt;
    if (digits % 2 === 1) buffer[at++] = hexValue(text.charCodeAt(i++));
    for (; i < serialEnd; i += 2) buffer[at++] = (hexValue(text.charCodeAt(i)) << 4) | hexValue(text.charCodeAt(i + 1));
    writeTimeDigits(time, timeAt, utc, buffer, offset + template.timeAt);
    // InvalidityDate is always GeneralizedTime (RFC 5280 §5.3.2).
    if (invalidity !== null) writeTimeDigits(invalidity, invalidityAt, false, buffer, offset + template.invalidityAt);
    return template.bytes.length;
  }

  private makeTemplate(entry: CrlEntry): EntryTemplate {
    const bytes = encodeEntryWithSchema(entry);
    const outerHeader = bytes[1]! & 0x80 ? 2 + (bytes[1]! & 0x7f) : 2;
    const serial = serialOctets(entry.serial);
    // userCertificate INTEGER (02, one length octet: serials are ≤ 21 octets), then the Time.
    const serialAt = outerHeader + 2;
    const timeAt = serialAt + serial.length + 2;
    const utc = usesUtcTime(entry.revoked_at);
    const invalidityAt = entry.invalidity_date ? bytes.length - 15 : -1;
    const template: EntryTemplate = { bytes, serialAt, serialLength: serial.length, timeAt, utc, invalidityAt };
    if (
      bytes[outerHeader] !== 0x02 ||
      bytes[outerHeader + 1] !== serial.length ||
      !bytes.subarray(serialAt, serialAt + serial.length).equals(serial) ||
      bytes.toString('latin1', timeAt, timeAt + (utc ? 13 : 15)) !== timeDigits(entry.revoked_at, utc) ||
      (entry.invalidity_date && bytes.toString('latin1', invalidityAt, invalidityAt + 15) !== timeDigits(entry.invalidity_date, false))
    ) {
      throw new Error(`CRL entry template for shape of ${entry.serial} does not have the expected layout`);
    }
    return template;
  }
}

/**
 * What the DER length of a list of entries depends on, counted by the database over the entries of a CRL before
 * they are read (crl-publisher.ts): with it the TBSCertList's headers are known first, so the TBS is signed,
 * verified and linted as its pieces are written, never read back.
 */
export interface EntryTally {
  entries: number;
  /** The INTEGER content octets of every serial, the sign octet included (serialOctets). */
  serialOctets: number;
  /** Entries whose revocationDate is a UTCTime (before 2050); the others' is a GeneralizedTime. */
  utcTimes: number;
  /** Entries with a reasonCode extension (reason not unspecified). */
  reasons: number;
  /** Entries with an invalidityDate extension. */
  invalidityDates: number;
  /** Entries with both extensions. */
  both: number;
}

/**
 * The DER length of the entries a tally counts, as RevokedEntryEncoder writes them. The length of every shape
 * comes from asn1-x509's own encoding (encodeEntryWithSchema) of a one-octet serial: an entry's fields are
 * independent of each other, and no entry reaches 128 content octets (RFC 5280 §4.1.2.2: serials of at most 20
 * octets, 21 with the sign octet; at most 80 content octets), so each SEQUENCE keeps a one-octet length and the
 * serial adds its octets beyond the first. A wrong count shows as a list of another length than the one written,
 * and the publisher then signs nothing.
 */
export function entriesLengthOf(tally: EntryTally): number {
  const shape = (utc: boolean, reason: boolean, invalidity: boolean) =>
    encodeEntryWithSchema({
      serial: '01',
      revoked_at: utc ? '2049-12-31T23:59:59.000Z' : '2050-01-01T00:00:00.000Z',
      reason_code: reason ? 1 : 0,
      invalidity_date: invalidity ? '2049-12-31T23:59:59.000Z' : null,
    }).length;
  const plain = shape(true, false, false);
  const generalized = shape(false, false, false) - plain;
  const reasonOnly = shape(true, true, false) - plain;
  const invalidityOnly = shape(true, false, true) - plain;
  const both = shape(true, true, true) - plain;
  return (
    tally.entries * (plain - 1) +
    tally.serialOctets +
    (tally.entries - tally.utcTimes) * generalized +
    (tally.reasons - tally.both) * reasonOnly +
    (tally.invalidityDates - tally.both) * invalidityOnly +
    tally.both * both
  );
}

/**
 * Where encoded entries go: space is reserved, then written in place in `target` at the offset reserve()
 * returned (a number, not an object: a million reservations leave no garbage for the young generation).
 */
export interface DerSink {
  reserve(size: number): number;
  /** The buffer the last reservation lies in. */
  readonly target: Buffer;
}

/**
 * The longest DER any one entry can take (RFC 5280 §4.1.2.2: serials of at most 20 octets, so 21 content
 * octets with the sign octet; GeneralizedTime; a reason and an invalidity date): what a CRL of `count`
 * entries is given room for before the entries are read, without a pass that sorts them by shape.
 */
export function maxEntryLength(): number {
  return encodeEntryWithSchema({
    serial: '7f'.repeat(20).replace(/^7f/, 'ff'),
    revoked_at: '2050-01-01T00:00:00.000Z',
    reason_code: 1,
    invalidity_date: '2050-01-01T00:00:00.000Z',
  }).length;
}

/** An append-only byte sink in fixed-size chunks: no re-allocation, no per-entry objects. */
export class ChunkedDer implements DerSink {
  private readonly chunks: Buffer[] = [];
  private current: Buffer;
  private used = 0;
  length = 0;

  constructor(private readonly chunkSize = 4 * 1024 * 1024) {
    this.current = Buffer.allocUnsafe(chunkSize);
  }

  get target(): Buffer {
    return this.current;
  }

  reserve(size: number): number {
    if (this.used + size > this.current.length) {
      this.chunks.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(Math.max(this.chunkSize, size));
      this.used = 0;
    }
    const offset = this.used;
    this.used += size;
    this.length += size;
    return offset;
  }

  /** Copies everything into `target` at `offset` and lets go of the chunks. */
  drainInto(target: Buffer, offset: number): number {
    let at = offset;
    for (const chunk of [...this.chunks, this.current.subarray(0, this.used)]) at += chunk.copy(target, at);
    this.chunks.length = 0;
    this.current = Buffer.alloc(0);
    this.used = 0;
    return at;
  }
}

export interface TbsCertListFields {
  signature: AlgorithmIdentifier;
  issuer: Name;
  thisUpdate: Date;
  nextUpdate: Date;
  crlExtensions: Extension[];
}

/** Enough after the TBS for any signatureAlgorithm and BIT STRING Signet writes (RSA-4096 signatures are 512 octets). */
const TAIL_ROOM = 1024;
/** The CertificateList SEQUENCE header: tag and up to four length octets. */
const HEAD_ROOM = 6;

/**
 * A TBSCertList whose entries are written straight into their place in the final CRL buffer. The buffer is
 * sized for `entriesCapacity` octets of entries (an upper bound: see maxEntryLength); the headers in front of
 * the entries are written when the entries are done and their length is known, right before them, so the
 * finished CRL is one contiguous view of that buffer. Room never written is never touched, so it costs address
 * space, not memory.
 */
export class TbsCertListWriter implements DerSink {
  private readonly whole: Buffer;
  private at: number;
  private readonly entriesStart: number;
  private readonly entriesEnd: number;
  private readonly headFields: Buffer;
  private readonly extensionsPart: Buffer;
  /** Where finish() put the TBSCertList in `whole`; -1 until then. */
  private tbsStart = -1;
  private tbsEnd = -1;

  constructor(fields: TbsCertListFields, readonly entriesCapacity: number) {
    ({ headFields: this.headFields, extensionsPart: this.extensionsPart } = tbsFieldParts(fields));
    // In front of the entries: the CertificateList header's room, the TBS SEQUENCE header and the
    // revokedCertificates header (tag and up to five length octets each), and the fields before the list.
    this.entriesStart = HEAD_ROOM + 2 * HEAD_ROOM + this.headFields.length;
    this.entriesEnd = this.entriesStart + entriesCapacity;
    this.whole = Buffer.allocUnsafe(this.entriesEnd + this.extensionsPart.length + TAIL_ROOM);
    this.at = this.entriesStart;
  }

  get target(): Buffer {
    return this.whole;
  }

  reserve(size: number): number {
    if (this.at + size > this.entriesEnd) throw new CrlSizeChanged();
    const offset = this.at;
    this.at += size;
    return offset;
  }

  /** The finished TBSCertList, a view into the buffer the signed CRL will be finished in. */
  finish(): Buffer {
    const entriesLength = this.at - this.entriesStart;
    const end = this.at + this.extensionsPart.copy(this.whole, this.at);
    // RFC 5280 §5.1: revokedCertificates is absent, not empty, when nothing is listed.
    const revokedHeader = entriesLength > 0 ? sequenceHeader(entriesLength) : Buffer.alloc(0);
    const header = sequenceHeader(this.headFields.length + revokedHeader.length + entriesLength + this.extensionsPart.length);
    let start = this.entriesStart - revokedHeader.length;
    revokedHeader.copy(this.whole, start);
    start -= this.headFields.length;
    this.headFields.copy(this.whole, start);
    start -= header.length;
    header.copy(this.whole, start);
    this.tbsStart = start;
    this.tbsEnd = end;
    return this.whole.subarray(start, end);
  }

  /**
   * The signed CertificateList (RFC 5280 §5.1), finished inside the same buffer around the TBS finish() returned:
   * a 50 MB CRL is never copied. The writer owns that room, so nothing outside it has to remember the frame.
   */
  signed(signatureAlgorithm: AlgorithmIdentifier, signature: Uint8Array): Buffer {
    if (this.tbsStart < 0) throw new Error('signed() before finish()');
    const { algorithm, bitString, header } = certificateListParts(this.tbsEnd - this.tbsStart, signatureAlgorithm, signature);
    if (algorithm.length + bitString.length > TAIL_ROOM || header.length > this.tbsStart) {
      return Buffer.concat([header, this.whole.subarray(this.tbsStart, this.tbsEnd), algorithm, bitString]);
    }
    algorithm.copy(this.whole, this.tbsEnd);
    bitString.copy(this.whole, this.tbsEnd + algorithm.length);
    const start = this.tbsStart - header.length;
    header.copy(this.whole, start);
    return this.whole.subarray(start, this.tbsEnd + algorithm.length + bitString.length);
  }
}

/**
 * The TBSCertList's own fields as DER octets (asn1-x509's encoding): those before the list (version through
 * nextUpdate) and the [0] crlExtensions after it.
 */
function tbsFieldParts(fields: TbsCertListFields): { headFields: Buffer; extensionsPart: Buffer } {
  const base = {
    version: Version.v2,
    signature: fields.signature,
    issuer: fields.issuer,
    thisUpdate: new Time(fields.thisUpdate),
    nextUpdate: new Time(fields.nextUpdate),
  };
  const withoutExtensions = Buffer.from(AsnConvert.serialize(new TBSCertList(base)));
  const withExtensions = Buffer.from(AsnConvert.serialize(new TBSCertList({ ...base, crlExtensions: fields.crlExtensions })));
  const headFields = contentOf(withoutExtensions);
  return { headFields, extensionsPart: contentOf(withExtensions).subarray(headFields.length) };
}

/**
 * A TBSCertList whose entries lie elsewhere (archived in pieces, crl-publisher.ts): the octets in front of
 * `entriesLength` octets of entries (the TBS header, the fields, the revokedCertificates header) and after them
 * (the extensions). head ‖ entries ‖ tail is the DER TBSCertList that TbsCertListWriter.finish() would return.
 */
export function tbsCertListAround(fields: TbsCertListFields, entriesLength: number): { head: Buffer; tail: Buffer } {
  const { headFields, extensionsPart } = tbsFieldParts(fields);
  // RFC 5280 §5.1: revokedCertificates is absent, not empty, when nothing is listed.
  const revokedHeader = entriesLength > 0 ? sequenceHeader(entriesLength) : Buffer.alloc(0);
  const header = sequenceHeader(headFields.length + revokedHeader.length + entriesLength + extensionsPart.length);
  return { head: Buffer.concat([header, headFields, revokedHeader]), tail: extensionsPart };
}

/**
 * Lines in writeLine's form arriving as octets, in chunks that may end inside a line (PostgreSQL's COPY TO STDOUT,
 * crl-publisher.ts): each whole line is written as its entry; the start of a line a chunk ends in is kept (a few
 * dozen octets) until the next chunk brings its end. No string and no object per line.
 */
export class EntryLines {
  /** A line is at most ~130 octets (a 42-digit serial, two times, a reason, a shard key): room to spare. */
  private readonly carry = Buffer.allocUnsafe(512);
  private carried = 0;
  /** Lines written so far. */
  lines = 0;

  constructor(
    private readonly encoder: RevokedEntryEncoder,
    private readonly out: DerSink,
  ) {}

  /** The octets chunk[start, end) of the lines, in order. */
  write(chunk: Buffer, start = 0, end = chunk.length): void {
    let at = start;
    if (this.carried > 0) {
      let newline = at;
      while (newline < end && chunk[newline] !== 0x0a) newline++;
      const take = newline < end ? newline + 1 - at : end - at;
      if (this.carried + take > this.carry.length) throw new Error(`a CRL line longer than ${this.carry.length} octets`);
      chunk.copy(this.carry, this.carried, at, at + take);
      this.carried += take;
      if (newline >= end) return;
      this.encoder.writeLineOctets(this.carry, 0, this.carried, this.out);
      this.lines++;
      this.carried = 0;
      at += take;
    }
    for (let next = at; at < end; at = next, this.lines++) {
      next = this.encoder.writeLineOctets(chunk, at, end, this.out);
      if (next < 0) break;
    }
    if (at < end) {
      if (end - at > this.carry.length) throw new Error(`a CRL line longer than ${this.carry.length} octets`);
      this.carried = chunk.copy(this.carry, 0, at, end);
    }
  }

  /** After the last chunk: a line left without its newline is refused (the stream was cut). */
  end(): void {
    if (this.carried > 0) throw new Error('the CRL lines end inside a line');
  }
}

/**
 * Entries in pieces of at most `pieceBytes` octets, each holding whole entries. Pieces that filled up are taken
 * between pages (takeFull) and archived, so a list of any length holds about one piece in memory.
 */
export class EntryPieces implements DerSink {
  private current: Buffer;
  private used = 0;
  private readonly full: Buffer[] = [];
  /** A piece's memory handed back once archived (recycle), filled next instead of a new one. */
  private spare: Buffer | null = null;
  /** Octets of entries written so far. */
  length = 0;

  constructor(private readonly pieceBytes: number) {
    this.current = Buffer.allocUnsafe(pieceBytes);
  }

  get target(): Buffer {
    return this.current;
  }

  reserve(size: number): number {
    if (this.used + size > this.current.length) {
      if (this.used > 0) this.full.push(this.current.subarray(0, this.used));
      this.current = this.spare && this.spare.length >= size ? this.spare : Buffer.allocUnsafe(Math.max(this.pieceBytes, size));
      this.spare = null;
      this.used = 0;
    }
    const offset = this.used;
    this.used += size;
    this.length += size;
    return offset;
  }

  /**
   * A piece taken from this sink whose octets nobody needs any more (archived, hashed, linted): its memory is
   * filled with the next piece. A million entries then pass through two MiB instead of fifty allocations, which
   * V8 counts as external memory and answers with garbage collections until it is collected.
   */
  recycle(piece: Buffer): void {
    if (piece.byteOffset === 0 && piece.buffer.byteLength === this.pieceBytes && piece.buffer !== this.current.buffer) {
      this.spare = Buffer.from(piece.buffer as ArrayBuffer, 0, this.pieceBytes);
    }
  }

  /** The pieces that filled up since the last call. */
  takeFull(): Buffer[] {
    return this.full.splice(0);
  }

  /** Everything not taken yet, the piece being filled last; the sink is empty afterwards. */
  takeRest(): Buffer[] {
    const rest = this.full.splice(0);
    if (this.used > 0) rest.push(this.current.subarray(0, this.used));
    this.current = Buffer.alloc(0);
    this.used = 0;
    return rest;
  }
}

/** The entries read were not the entries counted (a revocation landed in between): count and read again. */
export class CrlSizeChanged extends Error {
  constructor() {
    super('the revoked entries changed while the CRL was being written');
  }
}

/**
 * The DER TBSCertList: the small fields from asn1-x509, the entries from the
 * chunks, in the order RFC 5280 §5.1 fixes (revokedCertificates after
 * nextUpdate, before the [0] extensions; absent when there are none).
 */
export function assembleTbsCertList(fields: TbsCertListFields, entries: ChunkedDer): Buffer {
  const writer = new TbsCertListWriter(fields, entries.length);
  const offset = writer.reserve(entries.length);
  entries.drainInto(writer.target, offset);
  return writer.finish();
}

export function certificateListParts(tbsLength: number, signatureAlgorithm: AlgorithmIdentifier, signature: Uint8Array): { algorithm: Buffer; bitString: Buffer; header: Buffer } {
  const algorithm = Buffer.from(AsnConvert.serialize(signatureAlgorithm));
  const bitString = Buffer.from(new asn1js.BitString({ valueHex: new Uint8Array(signature) }).toBER(false));
  return { algorithm, bitString, header: sequenceHeader(tbsLength + algorithm.length + bitString.length) };
}

/** CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signature BIT STRING } (RFC 5280 §5.1), by copying. */
export function assembleCertificateList(tbs: Buffer, signatureAlgorithm: AlgorithmIdentifier, signature: Uint8Array): Buffer {
  const { algorithm, bitString, header } = certificateListParts(tbs.length, signatureAlgorithm, signature);
  return Buffer.concat([header, tbs, algorithm, bitString]);
}

/** The content octets of a DER SEQUENCE produced by asn1-schema. */
function contentOf(der: Buffer): Buffer {
  const lengthOctet = der[1]!;
  const headerLength = lengthOctet & 0x80 ? 2 + (lengthOctet & 0x7f) : 2;
  return der.subarray(headerLength);
}
