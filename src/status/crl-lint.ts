import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  IssuingDistributionPoint,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_deltaCRLIndicator,
  id_ce_freshestCRL,
  id_ce_issuingDistributionPoint,
  type Extension,
} from '@peculiar/asn1-x509';
import { checkDer, contentsOf, DerError, nodeBytes, type DerNode } from '../crypto/strict-der.js';
import { CrlMalformed, readCrlFrameInParts, readPublishedCrl, walkEntryFrames, type EntryFrame, type PublishedCrlReading } from './crl-reader.js';

/**
 * The basics of RFC 5280 §5 checked over a CRL's bytes before it is
 * archived and served (lint-before-publish, as certificate-lint.ts is
 * lint-before-sign): a finding means the CRL is dropped unseen. Entries are
 * walked over the signed bytes one at a time (crl-reader.ts), so a CRL of a
 * million entries is linted without a parse tree of the list.
 */

export interface CrlLintContext {
  /** DER of the issuing CA certificate's subject: the CRL's issuer must be these bytes (RFC 5280 §5.1.2.3, §6.3.3 b). */
  issuerName: Uint8Array;
  /** The issuing CA certificate's subjectKeyIdentifier, which the CRL's AKI must carry (§5.2.1). */
  issuerKeyIdentifier?: Uint8Array;
  /** DER of the signer's AlgorithmIdentifier (§5.1.1.2). */
  signatureAlgorithm: Uint8Array;
  kind: 'full' | 'delta';
  /** For a delta: the number of the full CRL it updates (§5.2.4). */
  baseCrlNumber?: bigint;
  /** The highest number this issuer published before: CRL numbers only grow (§5.2.3). */
  previousNumber: bigint | null;
  /**
   * A CRL that covers part of the issuer's certificates (a partition, or a delta of one) names its scope in
   * issuingDistributionPoint; this is the URI it must name. Absent: the CRL covers everything and has no IDP.
   */
  scopeUri?: string;
}

const MAX_FINDINGS = 20;
const CLOCK_SKEW_MS = 5 * 60_000;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
/** CRLReason values RFC 5280 §5.3.1 defines, except unspecified (0, left out rather than stated) and the unused 7. */
const REASONS = new Set([1, 2, 3, 4, 5, 6, 8, 9, 10]);
const REMOVE_FROM_CRL = 8;
const KNOWN_CRL_EXTENSIONS = new Set([id_ce_authorityKeyIdentifier, id_ce_cRLNumber, id_ce_deltaCRLIndicator, id_ce_issuingDistributionPoint, id_ce_freshestCRL]);

/** Findings for a CertificateList about to be published; empty when it may go out. */
export function lintCrl(der: Uint8Array, context: CrlLintContext): string[] {
  let crl: PublishedCrlReading;
  try {
    crl = readPublishedCrl(der);
  } catch (error) {
    if (error instanceof CrlMalformed) return [error.message];
    throw error;
  }
  const findings = fieldProblems(crl, context);
  if (findings.length < MAX_FINDINGS) {
    const entries = new EntryChecks(context, crl.thisUpdate, MAX_FINDINGS - findings.length);
    try {
      entries.piece(crl.der, crl.entries.start, crl.entries.end);
      if (entries.needsRepeatPass()) entries.repeats(crl.der, crl.entries.start, crl.entries.end);
    } catch (error) {
      if (error instanceof CrlMalformed) return [...findings, error.message];
      throw error;
    }
    findings.push(...entries.findings);
  }
  return findings.slice(0, MAX_FINDINGS);
}

/**
 * A CRL too long to hold at once, as the publisher archives it (crl-publisher.ts): `head` is every octet before
 * the first entry, `tail` every octet after the last, and the entries come in pieces of whole entries.
 */
export interface CrlInParts {
  head: Buffer;
  tail: Buffer;
  /** The entry pieces in order; asked for a second time only when the list is not in serial order (repeats). */
  entryPieces: () => AsyncIterable<Buffer>;
}

/**
 * lintCrl over a CRL in parts, with every check lintCrl makes: the frame is read from the head and tail (their
 * declared lengths must add up to the entries walked), the fields around the list are linted as lintCrl lints
 * them, and the entries piece by piece, one piece in memory at a time.
 */
export async function lintCrlInParts(crl: CrlInParts, context: CrlLintContext): Promise<string[]> {
  let thisUpdate: Date;
  try {
    thisUpdate = readPublishedCrl(readCrlFrameInParts(crl.head, crl.tail).skeleton).thisUpdate;
  } catch (error) {
    if (error instanceof CrlMalformed) return [error.message];
    throw error;
  }
  const lint = startCrlLintInParts(context, thisUpdate);
  for await (const piece of crl.entryPieces()) {
    lint.piece(piece);
    if (lint.stopped()) break;
  }
  return lint.finish(crl);
}

/** lintCrlInParts in two steps: the entries as they come, the frame and fields once the head and tail exist. */
export interface CrlLintInParts {
  piece(piece: Buffer): void;
  /** Whether more entries would change nothing (the findings are at their bound, or the list is not DER). */
  stopped(): boolean;
  finish(crl: CrlInParts): Promise<string[]>;
}

/**
 * For a CRL whose head is only known after its entries were seen (the signature comes first): the entries are
 * checked against `thisUpdate` as they come (piece), then finish() reads the frame from the head and tail,
 * lints the fields, checks that the CRL's thisUpdate is that one and that the list's declared length is what
 * was walked, and walks the pieces again for repeats when the list was not in serial order.
 */
export function startCrlLintInParts(context: CrlLintContext, thisUpdate: Date): CrlLintInParts {
  const entries = new EntryChecks(context, thisUpdate, MAX_FINDINGS);
  let walked = 0;
  let malformed: string | null = null;
  let full = false;
  return {
    piece(piece) {
      if (malformed !== null || full) return;
      walked += piece.length;
      try {
        if (!entries.piece(piece, 0, piece.length)) full = true;
      } catch (error) {
        if (!(error instanceof CrlMalformed)) throw error;
        malformed = error.message;
      }
    },
    stopped: () => malformed !== null || full,
    async finish(crl) {
      let skeleton: PublishedCrlReading;
      let entriesLength: number;
      try {
        const frame = readCrlFrameInParts(crl.head, crl.tail);
        skeleton = readPublishedCrl(frame.skeleton);
        entriesLength = frame.entriesLength;
      } catch (error) {
        if (error instanceof CrlMalformed) return [error.message];
        throw error;
      }
      const findings = fieldProblems(skeleton, context);
      if (skeleton.thisUpdate.getTime() !== thisUpdate.getTime()) findings.push('thisUpdate is not the time the entries were checked against');
      if (malformed !== null) return [...findings, ...entries.findings, malformed].slice(0, MAX_FINDINGS);
      try {
        if (!full && walked !== entriesLength) throw new CrlMalformed(`revokedCertificates declares ${entriesLength} octets, its entries take ${walked}`);
        if (entries.needsRepeatPass()) {
          for await (const piece of crl.entryPieces()) if (!entries.repeats(piece, 0, piece.length)) break;
        }
      } catch (error) {
        if (error instanceof CrlMalformed) return [...findings, ...entries.findings, error.message].slice(0, MAX_FINDINGS);
        throw error;
      }
      return [...findings, ...entries.findings].slice(0, MAX_FINDINGS);
    },
  };
}

/** Everything lintCrl checks outside the list of entries. */
function fieldProblems(crl: PublishedCrlReading, context: CrlLintContext): string[] {
  const findings: string[] = [];
  const fields = tbsFields(crl);
  const strict = (bytes: Uint8Array, what: string): DerNode | undefined => {
    try {
      return checkDer(bytes, what);
    } catch (error) {
      if (error instanceof DerError) findings.push(`${what} is not DER: ${error.reason} (X.690 §10–11)`);
      else throw error;
      return undefined;
    }
  };

  // §5.1.2.1: v2 whenever extensions are present, which Signet's always are (AKI, CRL number).
  if (!fields.version || fields.version.length !== 3 || fields.version[2] !== 1) findings.push('version is not v2 (RFC 5280 §5.1.2.1)');
  strict(fields.signature, 'the TBSCertList signature algorithm');
  if (!Buffer.from(fields.signature).equals(Buffer.from(context.signatureAlgorithm))) findings.push("the signature algorithm is not the signer's (RFC 5280 §5.1.2.2)");
  strict(crl.issuer, 'the issuer name');
  if (!crl.issuer.equals(Buffer.from(context.issuerName))) findings.push("the issuer name is not the CA certificate's subject, byte for byte (RFC 5280 §5.1.2.3)");
  if (crl.issuer.length <= 2) findings.push('the issuer name is empty (RFC 5280 §5.1.2.3)');

  for (const [label, bytes] of [['thisUpdate', fields.thisUpdate], ['nextUpdate', fields.nextUpdate]] as const) {
    if (!bytes) continue;
    if (strict(bytes, label)) findings.push(...timeProblems(bytes, label));
  }
  if (!crl.nextUpdate) findings.push('nextUpdate is missing (RFC 5280 §5.1.2.5: conforming CAs include it)');
  else if (crl.nextUpdate.getTime() <= crl.thisUpdate.getTime()) findings.push('nextUpdate is not after thisUpdate (RFC 5280 §5.1.2.5)');

  if (fields.extensions) strict(fields.extensions, 'crlExtensions');
  findings.push(...extensionProblems(crl, context));
  return findings.slice(0, MAX_FINDINGS);
}

/** The TBSCertList's fields before and after the list, as bytes (the reader has checked the frame). */
function tbsFields(crl: PublishedCrlReading): { version?: Buffer; signature: Buffer; thisUpdate: Buffer; nextUpdate?: Buffer; extensions?: Buffer } {
  const tbs = crl.tbs;
  const header = (at: number) => {
    let length = tbs[at + 1]!;
    let start = at + 2;
    if (length & 0x80) {
      const octets = length & 0x7f;
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + tbs[start + i]!;
      start += octets;
    }
    return { tag: tbs[at]!, end: start + length, start };
  };
  let at = header(0).start;
  let field = header(at);
  let version: Buffer | undefined;
  if (field.tag === 0x02) {
    version = tbs.subarray(at, field.end);
    at = field.end;
    field = header(at);
  }
  const signature = tbs.subarray(at, field.end);
  at = header(field.end).end; // the issuer
  field = header(at);
  const thisUpdate = tbs.subarray(at, field.end);
  at = field.end;
  let nextUpdate: Buffer | undefined;
  let extensions: Buffer | undefined;
  while (at < tbs.length) {
    field = header(at);
    if (field.tag === UTC_TIME || field.tag === GENERALIZED_TIME) nextUpdate = tbs.subarray(at, field.end);
    else if (field.tag === 0xa0) extensions = tbs.subarray(field.start, field.end);
    at = field.end;
  }
  return { version, signature, thisUpdate, nextUpdate, extensions };
}

/** RFC 5280 §5.1.2.4–5 (and §4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050, whole seconds. */
function timeProblems(bytes: Uint8Array, label: string): string[] {
  const text = Buffer.from(bytes.subarray(2)).toString('latin1');
  const year = bytes[0] === UTC_TIME ? 1900 + Number(text.slice(0, 2)) + (Number(text.slice(0, 2)) < 50 ? 100 : 0) : Number(text.slice(0, 4));
  if (bytes[0] === GENERALIZED_TIME && text.includes('.')) return [`${label} has fractional seconds (RFC 5280 §5.1.2.4)`];
  if ((bytes[0] === UTC_TIME) !== year < 2050) return [`${label} must be ${year < 2050 ? 'UTCTime' : 'GeneralizedTime'} for year ${year} (RFC 5280 §5.1.2.4)`];
  return [];
}

function extensionProblems(crl: PublishedCrlReading, context: CrlLintContext): string[] {
  const findings: string[] = [];
  const byId = new Map<string, Extension>();
  for (const extension of crl.extensions) {
    if (byId.has(extension.extnID)) findings.push(`CRL extension ${extension.extnID} appears twice (RFC 5280 §4.2)`);
    byId.set(extension.extnID, extension);
    if (extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.extnID)) findings.push(`unknown critical CRL extension ${extension.extnID}`);
    try {
      checkDer(new Uint8Array(extension.extnValue.buffer), `CRL extension ${extension.extnID}`);
    } catch (error) {
      if (error instanceof DerError) findings.push(`the value of CRL extension ${extension.extnID} is not DER: ${error.reason}`);
      else throw error;
    }
  }

  const aki = byId.get(id_ce_authorityKeyIdentifier);
  if (!aki) findings.push('authorityKeyIdentifier is missing (RFC 5280 §5.2.1)');
  else {
    if (aki.critical) findings.push('authorityKeyIdentifier is critical (RFC 5280 §5.2.1)');
    const keyId = safeParse(aki, AuthorityKeyIdentifier)?.keyIdentifier;
    if (!keyId) findings.push('authorityKeyIdentifier has no keyIdentifier (RFC 5280 §5.2.1)');
    else if (context.issuerKeyIdentifier && !Buffer.from(keyId.buffer).equals(Buffer.from(context.issuerKeyIdentifier))) {
      findings.push("authorityKeyIdentifier is not the CA certificate's subjectKeyIdentifier (RFC 5280 §5.2.1)");
    }
  }

  const number = byId.get(id_ce_cRLNumber);
  const crlNumber = number ? nonNegativeInteger(number, 'cRLNumber', findings) : undefined;
  if (!number) findings.push('cRLNumber is missing (RFC 5280 §5.2.3)');
  else if (number.critical) findings.push('cRLNumber is critical (RFC 5280 §5.2.3)');
  if (crlNumber !== undefined && context.previousNumber !== null && crlNumber <= context.previousNumber) {
    findings.push(`cRLNumber ${crlNumber} does not exceed the ${context.previousNumber} published before (RFC 5280 §5.2.3: monotonically increasing)`);
  }

  const delta = byId.get(id_ce_deltaCRLIndicator);
  if (context.kind === 'full' && delta) findings.push('a full CRL carries deltaCRLIndicator');
  if (context.kind === 'delta') {
    if (!delta) findings.push('a delta CRL without deltaCRLIndicator (RFC 5280 §5.2.4)');
    else {
      if (!delta.critical) findings.push('deltaCRLIndicator is not critical (RFC 5280 §5.2.4)');
      const base = nonNegativeInteger(delta, 'BaseCRLNumber', findings);
      if (base !== undefined && context.baseCrlNumber !== undefined && base !== context.baseCrlNumber) findings.push(`BaseCRLNumber ${base} is not the base CRL's ${context.baseCrlNumber}`);
      if (base !== undefined && crlNumber !== undefined && base >= crlNumber) findings.push('BaseCRLNumber is not below the delta\'s cRLNumber (RFC 5280 §5.2.4)');
    }
    if (byId.has(id_ce_freshestCRL)) findings.push('a delta CRL carries freshestCRL (RFC 5280 §5.2.6)');
  }
  const freshest = byId.get(id_ce_freshestCRL);
  if (freshest?.critical) findings.push('freshestCRL is critical (RFC 5280 §5.2.6)');

  const idpExtension = byId.get(id_ce_issuingDistributionPoint);
  if (context.scopeUri !== undefined && !idpExtension) findings.push(`a CRL for the scope ${context.scopeUri} without issuingDistributionPoint (RFC 5280 §5.2.5)`);
  if (idpExtension) {
    if (!idpExtension.critical) findings.push('issuingDistributionPoint is not critical (RFC 5280 §5.2.5)');
    const idp = safeParse(idpExtension, IssuingDistributionPoint);
    if (!idp) findings.push('issuingDistributionPoint does not parse');
    else {
      const empty = !idp.distributionPoint && !idp.onlyContainsUserCerts && !idp.onlyContainsCACerts && !idp.onlySomeReasons && !idp.indirectCRL && !idp.onlyContainsAttributeCerts;
      if (empty) findings.push('issuingDistributionPoint is an empty SEQUENCE (RFC 5280 §5.2.5)');
      if (idp.onlyContainsUserCerts && idp.onlyContainsCACerts) findings.push('issuingDistributionPoint sets both onlyContainsUserCerts and onlyContainsCACerts (RFC 5280 §5.2.5)');
      if (idp.onlyContainsAttributeCerts) findings.push('issuingDistributionPoint sets onlyContainsAttributeCerts (RFC 5280 §5.2.5: FALSE)');
      if (idp.indirectCRL) findings.push('issuingDistributionPoint claims an indirect CRL, which Signet does not publish');
      const names = (idp.distributionPoint?.fullName ?? []).map((n) => n.uniformResourceIdentifier);
      if (context.scopeUri === undefined) findings.push('issuingDistributionPoint on a CRL that covers all the issuer\'s certificates');
      else if (!names.includes(context.scopeUri)) findings.push(`issuingDistributionPoint names ${names.join(', ') || 'no URI'}, not ${context.scopeUri}`);
    }
  }
  return findings;
}

function safeParse<T>(extension: Extension, type: new () => T): T | undefined {
  try {
    return AsnConvert.parse(extension.extnValue.buffer, type);
  } catch {
    return undefined;
  }
}

/** CRLNumber and BaseCRLNumber: INTEGER (0..MAX), at most 20 octets (RFC 5280 §5.2.3). */
function nonNegativeInteger(extension: Extension, label: string, findings: string[]): bigint | undefined {
  const value = new Uint8Array(extension.extnValue.buffer);
  let node: DerNode;
  try {
    node = checkDer(value, label);
  } catch {
    return undefined; // reported with the extension's DER
  }
  if (node.tagClass !== 0 || node.tagNumber !== 2) {
    findings.push(`${label} is not an INTEGER`);
    return undefined;
  }
  const contents = contentsOf(value, node);
  if (contents[0]! & 0x80) findings.push(`${label} is negative (RFC 5280 §5.2.3)`);
  if (contents.length > 20) findings.push(`${label} is longer than 20 octets (RFC 5280 §5.2.3)`);
  return BigInt(`0x${Buffer.from(contents).toString('hex')}`);
}

/**
 * Each entry (RFC 5280 §5.1.2.6, §5.3): DER, a positive serial of at most 20 octets, listed once, a revocation
 * date in the right type and not after thisUpdate, a reasonCode that is one of §5.3.1's and not unspecified,
 * removeFromCRL only in a delta, invalidityDate as GeneralizedTime, no critical or indirect-CRL extensions.
 * Fed the entries in one or more pieces of whole entries, in order (piece()); an unordered list needs a second
 * pass for repeats (repeats()). A frame that is not DER throws CrlMalformed from the walk.
 */
class EntryChecks {
  readonly findings: string[] = [];
  private readonly latest: number;
  // Signet lists entries in the order of the stored hex serials, which is the order of their octets (less the
  // sign octet): a repeat is then the entry before. Any other order falls back to remembering every serial.
  private ordered = true;
  private number = 0;
  private der: Buffer = Buffer.alloc(0);
  private current: EntryFrame | undefined;
  /** The previous entry's serial octets (less the sign octet): in `previous` at [previousStart, previousEnd). */
  private previous: Buffer = Buffer.alloc(0);
  private previousStart = 0;
  private previousEnd = 0;
  // Entries checked in full and found clean, by length, serial length and time type. A million entries have a
  // handful of layouts: an entry whose bytes equal such an entry's everywhere but in the serial's and the
  // revocationDate's content octets has the same DER verdict and the same extensions, so only those two
  // fields are checked for it (the serial's minimal form is the walk's). Every other entry is checked in full.
  private readonly clean = new Map<number, CheckedEntry>();
  private seen: Set<string> | undefined;
  private repeatNumber = 0;

  constructor(
    private readonly context: CrlLintContext,
    thisUpdate: Date,
    private readonly room: number,
  ) {
    this.latest = thisUpdate.getTime() + CLOCK_SKEW_MS;
  }

  /** Whether the findings are not yet at their bound (more entries are worth walking). */
  hasRoom(): boolean {
    return this.findings.length < this.room;
  }

  needsRepeatPass(): boolean {
    return !this.ordered && this.hasRoom();
  }

  private note(why: string, serial = this.serialHex()): void {
    if (this.findings.length < this.room) this.findings.push(`revoked entry ${this.number} (serial ${serial}): ${why}`);
  }

  private serialHex(): string {
    const current = this.current;
    return current ? this.der.toString('hex', current.serialStart, current.serialEnd).replace(/^00(?=[89a-f])/, '') : '';
  }

  /** Checks the entries in der[start, end); false once the findings reached their bound. */
  piece(der: Buffer, start: number, end: number): boolean {
    this.der = der;
    walkEntryFrames(der, start, end, (frame) => this.entry(frame), this.number);
    // The last serial outlives this piece: the next piece's first entry is compared with a copy of it.
    if (this.previous === der) {
      this.previous = Buffer.from(der.subarray(this.previousStart, this.previousEnd));
      this.previousStart = 0;
      this.previousEnd = this.previous.length;
    }
    return this.hasRoom();
  }

  private entry(frame: EntryFrame): boolean {
    const der = this.der;
    this.current = frame;
    this.number += 1;
    const { at, end, serialStart, serialEnd } = frame;
    const unsigned = serialEnd - serialStart > 1 && der[serialStart] === 0 ? serialStart + 1 : serialStart;
    if (this.number > 1) {
      const order = compareOctets(der, unsigned, serialEnd, this.previous, this.previousStart, this.previousEnd);
      if (this.ordered && order === 0) this.note('listed twice (RFC 5280 §5.1.2.6)');
      else if (order < 0) this.ordered = false;
    }
    this.previous = der;
    this.previousStart = unsigned;
    this.previousEnd = serialEnd;
    if (der[serialStart]! & 0x80) this.note('negative serial (RFC 5280 §4.1.2.2)');
    if (serialEnd - serialStart > 20) this.note('serial longer than 20 octets (RFC 5280 §4.1.2.2)');

    const key = (end - at) * 4096 + (serialEnd - serialStart) * 2 + (der[frame.timeAt] === UTC_TIME ? 1 : 0);
    const known = this.clean.get(key);
    if (known && sameOutsideFields(der, frame, known)) {
      const time = revocationTime(der, frame.timeAt, frame.timeStart, frame.timeEnd);
      if (time === null) return this.entryInFull(frame);
      if (time > this.latest) this.note('revocationDate after thisUpdate');
      return !this.hasRoom();
    }
    const before = this.findings.length;
    const stop = this.entryInFull(frame);
    if (this.findings.length === before && this.clean.size < 64) this.clean.set(key, checkedEntry(der, frame));
    return stop;
  }

  private entryInFull(frame: EntryFrame): boolean {
    let entry: DerNode;
    const bytes = this.der.subarray(frame.at, frame.end);
    try {
      entry = checkDer(bytes, 'the entry');
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      this.note(`not DER: ${error.reason}`);
      return !this.hasRoom();
    }
    const time = entry.children[1]!;
    const timeBytes = nodeBytes(bytes, time);
    for (const problem of timeProblems(timeBytes, 'revocationDate')) this.note(problem);
    // Nodes' clocks differ a little: a revocation stamped by a node slightly ahead is not a fault.
    if (asDate(timeBytes) > this.latest) this.note('revocationDate after thisUpdate');
    const extensions = entry.children[2];
    if (extensions) {
      const seen = new Set<string>();
      for (const extension of extensions.children) {
        const [oidNode, second, third] = extension.children;
        const oid = Buffer.from(contentsOf(bytes, oidNode!)).toString('hex');
        const critical = third !== undefined && contentsOf(bytes, second!)[0] === 0xff;
        const value = contentsOf(bytes, third ?? second!);
        if (seen.has(oid)) this.note(`entry extension ${oid} appears twice`);
        seen.add(oid);
        if (oid === '551d15') {
          // reasonCode: ENUMERATED, one octet for every defined value.
          if (critical) this.note('reasonCode is critical (RFC 5280 §5.3.1)');
          const code = value.length === 3 && value[0] === 0x0a && value[1] === 1 ? value[2]! : -1;
          if (code === 0) this.note('reasonCode unspecified written out (RFC 5280 §5.3.1: leave the extension out)');
          else if (!REASONS.has(code)) this.note(`reasonCode ${code < 0 ? 'not a defined ENUMERATED' : code} (RFC 5280 §5.3.1)`);
          else if (code === REMOVE_FROM_CRL && this.context.kind !== 'delta') this.note('removeFromCRL in a full CRL (RFC 5280 §5.3.1)');
        } else if (oid === '551d18') {
          if (critical) this.note('invalidityDate is critical (RFC 5280 §5.3.2)');
          if (value[0] !== GENERALIZED_TIME) this.note('invalidityDate is not a GeneralizedTime (RFC 5280 §5.3.2)');
        } else if (oid === '551d1d') {
          this.note('certificateIssuer: Signet publishes no indirect CRLs (RFC 5280 §5.3.3)');
        } else if (critical) {
          this.note(`unknown critical entry extension ${oid}`);
        }
      }
    }
    return !this.hasRoom();
  }

  /** The second pass of an unordered list: every serial remembered, a repeat named. False once at the bound. */
  repeats(der: Buffer, start: number, end: number): boolean {
    this.seen ??= new Set<string>();
    const seen = this.seen;
    this.current = undefined;
    walkEntryFrames(
      der,
      start,
      end,
      (frame) => {
        this.number = ++this.repeatNumber;
        const hex = der.toString('hex', frame.serialStart, frame.serialEnd);
        if (seen.has(hex)) this.note('listed twice (RFC 5280 §5.1.2.6)', hex);
        seen.add(hex);
        return !this.hasRoom();
      },
      this.repeatNumber,
    );
    return this.hasRoom();
  }
}

/** A copy of an entry found clean in full, and where its serial and revocationDate contents lie in it. */
interface CheckedEntry {
  bytes: Buffer;
  serialStart: number;
  serialEnd: number;
  timeStart: number;
  timeEnd: number;
}

function checkedEntry(der: Buffer, frame: EntryFrame): CheckedEntry {
  return {
    bytes: Buffer.from(der.subarray(frame.at, frame.end)),
    serialStart: frame.serialStart - frame.at,
    serialEnd: frame.serialEnd - frame.at,
    timeStart: frame.timeStart - frame.at,
    timeEnd: frame.timeEnd - frame.at,
  };
}

/** Whether the entry at `frame` has the checked entry's octets everywhere but in the serial's and the time's contents. */
function sameOutsideFields(der: Buffer, frame: EntryFrame, known: CheckedEntry): boolean {
  const { at } = frame;
  if (frame.serialStart - at !== known.serialStart || frame.timeStart - at !== known.timeStart || frame.timeEnd - at !== known.timeEnd) return false;
  const bytes = known.bytes;
  // A few tens of octets: a loop here costs less than three calls into Buffer.compare.
  for (let i = 0; i < bytes.length; i++) {
    if (i === known.serialStart) i = known.serialEnd;
    if (i === known.timeStart) i = known.timeEnd;
    if (i < bytes.length && der[at + i] !== bytes[i]) return false;
  }
  return true;
}

/** Octet order of a[aStart, aEnd) against b[bStart, bEnd): negative, zero or positive, as Buffer.compare. */
function compareOctets(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number, bEnd: number): number {
  const common = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < common; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/**
 * The revocationDate in ms when it is a DER time RFC 5280 §5.1.2.6 allows as written (UTCTime YYMMDDHHMMSSZ,
 * GeneralizedTime YYYYMMDDHHMMSSZ from 2050), read from the octets; null for anything else, which is then
 * checked in full.
 */
function revocationTime(der: Buffer, timeAt: number, start: number, end: number): number | null {
  const utc = der[timeAt] === UTC_TIME;
  if (end - start !== (utc ? 13 : 15) || der[end - 1] !== 0x5a) return null;
  for (let i = start; i < end - 1; i++) if (der[i]! < 0x30 || der[i]! > 0x39) return null;
  const two = (i: number) => (der[i]! - 0x30) * 10 + der[i + 1]! - 0x30;
  let year: number;
  let at = start;
  if (utc) {
    year = two(at);
    year += year < 50 ? 2000 : 1900;
    at += 2;
  } else {
    year = two(at) * 100 + two(at + 2);
    if (year < 2050) return null;
    at += 4;
  }
  return Date.UTC(year, two(at) - 1, two(at + 2), two(at + 4), two(at + 6), two(at + 8));
}

function asDate(time: Uint8Array): number {
  const text = Buffer.from(time.subarray(2)).toString('latin1');
  const full = time[0] === UTC_TIME ? `${Number(text.slice(0, 2)) < 50 ? '20' : '19'}${text}` : text;
  return Date.UTC(+full.slice(0, 4), +full.slice(4, 6) - 1, +full.slice(6, 8), +full.slice(8, 10), +full.slice(10, 12), +full.slice(12, 14));
}

/** The subject Name of a certificate exactly as its DER carries it (RFC 5280 §4.1: after [0] version, serial, signature, issuer, validity). */
export function certificateSubjectDer(certificateDer: Uint8Array): Uint8Array {
  const certificate = checkDer(certificateDer, 'the CA certificate');
  const fields = certificate.children[0]!.children;
  const first = fields[0]!.tagClass === 2 ? 1 : 0;
  return nodeBytes(certificateDer, fields[first + 4]!);
}
