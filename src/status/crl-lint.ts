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
import { CrlMalformed, readPublishedCrl, walkRevokedEntries, walkRevokedEntryFrames, type EntryFrame, type PublishedCrlReading } from './crl-reader.js';

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
  const findings: string[] = [];
  let crl: PublishedCrlReading;
  try {
    crl = readPublishedCrl(der);
  } catch (error) {
    if (error instanceof CrlMalformed) return [error.message];
    throw error;
  }
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
  if (findings.length < MAX_FINDINGS) findings.push(...entryProblems(crl, context, MAX_FINDINGS - findings.length));
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
 */
function entryProblems(crl: PublishedCrlReading, context: CrlLintContext, room: number): string[] {
  const findings: string[] = [];
  const der = crl.der;
  const latest = crl.thisUpdate.getTime() + CLOCK_SKEW_MS;
  // Signet lists entries in the order of the stored hex serials, which is the order of their octets (less the
  // sign octet): a repeat is then the entry before. Any other order falls back to remembering every serial.
  let previousStart = 0;
  let previousEnd = 0;
  let ordered = true;
  let number = 0;
  let current: EntryFrame | undefined;
  const serialHex = () => (current ? der.toString('hex', current.serialStart, current.serialEnd).replace(/^00(?=[89a-f])/, '') : '');
  const note = (why: string, serial = serialHex()) => {
    if (findings.length < room) findings.push(`revoked entry ${number} (serial ${serial}): ${why}`);
  };
  // Entries checked in full and found clean, by length, serial length and time type. A million entries have a
  // handful of layouts: an entry whose bytes equal such an entry's everywhere but in the serial's and the
  // revocationDate's content octets has the same DER verdict and the same extensions, so only those two
  // fields are checked for it (the serial's minimal form is the walk's). Every other entry is checked in full.
  const clean = new Map<number, CheckedEntry>();
  walkRevokedEntryFrames(crl, (frame) => {
    current = frame;
    number += 1;
    const { at, end, serialStart, serialEnd } = frame;
    const unsigned = serialEnd - serialStart > 1 && der[serialStart] === 0 ? serialStart + 1 : serialStart;
    if (number > 1) {
      const order = compareOctets(der, unsigned, serialEnd, previousStart, previousEnd);
      if (ordered && order === 0) note('listed twice (RFC 5280 §5.1.2.6)');
      else if (order < 0) ordered = false;
    }
    previousStart = unsigned;
    previousEnd = serialEnd;
    if (der[serialStart]! & 0x80) note('negative serial (RFC 5280 §4.1.2.2)');
    if (serialEnd - serialStart > 20) note('serial longer than 20 octets (RFC 5280 §4.1.2.2)');

    const key = (end - at) * 4096 + (serialEnd - serialStart) * 2 + (der[frame.timeAt] === UTC_TIME ? 1 : 0);
    const known = clean.get(key);
    if (known && sameOutsideFields(der, frame, known)) {
      const time = revocationTime(der, frame.timeAt, frame.timeStart, frame.timeEnd);
      if (time === null) return entryInFull(frame);
      if (time > latest) note('revocationDate after thisUpdate');
      return findings.length >= room;
    }
    const before = findings.length;
    const stop = entryInFull(frame);
    if (findings.length === before && clean.size < 64) clean.set(key, checkedEntry(der, frame));
    return stop;
  });

  function entryInFull(frame: EntryFrame): boolean {
    let entry: DerNode;
    const bytes = der.subarray(frame.at, frame.end);
    try {
      entry = checkDer(bytes, 'the entry');
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      note(`not DER: ${error.reason}`);
      return findings.length >= room;
    }
    const time = entry.children[1]!;
    const timeBytes = nodeBytes(bytes, time);
    for (const problem of timeProblems(timeBytes, 'revocationDate')) note(problem);
    // Nodes' clocks differ a little: a revocation stamped by a node slightly ahead is not a fault.
    if (asDate(timeBytes) > latest) note('revocationDate after thisUpdate');
    const extensions = entry.children[2];
    if (extensions) {
      const seen = new Set<string>();
      for (const extension of extensions.children) {
        const [oidNode, second, third] = extension.children;
        const oid = Buffer.from(contentsOf(bytes, oidNode!)).toString('hex');
        const critical = third !== undefined && contentsOf(bytes, second!)[0] === 0xff;
        const value = contentsOf(bytes, third ?? second!);
        if (seen.has(oid)) note(`entry extension ${oid} appears twice`);
        seen.add(oid);
        if (oid === '551d15') {
          // reasonCode: ENUMERATED, one octet for every defined value.
          if (critical) note('reasonCode is critical (RFC 5280 §5.3.1)');
          const code = value.length === 3 && value[0] === 0x0a && value[1] === 1 ? value[2]! : -1;
          if (code === 0) note('reasonCode unspecified written out (RFC 5280 §5.3.1: leave the extension out)');
          else if (!REASONS.has(code)) note(`reasonCode ${code < 0 ? 'not a defined ENUMERATED' : code} (RFC 5280 §5.3.1)`);
          else if (code === REMOVE_FROM_CRL && context.kind !== 'delta') note('removeFromCRL in a full CRL (RFC 5280 §5.3.1)');
        } else if (oid === '551d18') {
          if (critical) note('invalidityDate is critical (RFC 5280 §5.3.2)');
          if (value[0] !== GENERALIZED_TIME) note('invalidityDate is not a GeneralizedTime (RFC 5280 §5.3.2)');
        } else if (oid === '551d1d') {
          note('certificateIssuer: Signet publishes no indirect CRLs (RFC 5280 §5.3.3)');
        } else if (critical) {
          note(`unknown critical entry extension ${oid}`);
        }
      }
    }
    return findings.length >= room;
  }

  if (!ordered && findings.length < room) {
    const seen = new Set<string>();
    number = 0;
    current = undefined;
    walkRevokedEntries(crl, (serial) => {
      number += 1;
      const hex = serial.toString('hex');
      if (seen.has(hex)) note('listed twice (RFC 5280 §5.1.2.6)', hex);
      seen.add(hex);
      return findings.length >= room;
    });
  }
  return findings;
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

/** Octet order of der[aStart, aEnd) against der[bStart, bEnd): negative, zero or positive, as Buffer.compare. */
function compareOctets(der: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const common = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < common; i++) {
    const difference = der[aStart + i]! - der[bStart + i]!;
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
