import * as asn1js from 'asn1js';
import { AsnIpConverter } from '@peculiar/asn1-x509';
import { contentsOf, nodeBytes, type DerNode } from '../crypto/strict-der.js';

/**
 * A TBSCertificate read from the outline strict-der.ts made of the very bytes
 * to be signed (RFC 5280 §4.1), and its extension values read from theirs:
 * what certificate-lint.ts and encoding-lint.ts check. The outline has
 * already passed the DER rules; this checks the shape (which field, which
 * tag, in which order) and keeps the values the lints need, nothing more.
 * Built per lint and dropped with it.
 *
 * Why not asn1-schema: its parse of the TBS and of the extension values was
 * a fifth of a certificate's server CPU (issue 15 profile,
 * docs/issuance-cycle.md), most of it building objects no lint reads.
 */

/** The TBS or an extension value does not have the shape RFC 5280 gives it; the message says where. */
export class ShapeError extends Error {}

export type StringKind = 'printable' | 'utf8' | 'ia5' | 'other';
export interface AttributeReading {
  type: string;
  kind: StringKind;
  /** The value as text, for the three string types; undefined for any other. */
  text?: string;
}
/** RDNs in order, each its attributes in order. */
export type NameReading = AttributeReading[][];

export interface TimeReading {
  date: Date;
  utc: boolean;
  fraction: boolean;
}

export interface SpkiReading {
  algorithm: string;
  /** DER of the parameters, absent when there are none. */
  parameters?: Uint8Array;
  /** The BIT STRING's bits (after the unused-bits octet). */
  key: Uint8Array;
  unusedBits: number;
}

export interface ExtensionReading {
  oid: string;
  critical: boolean;
  /** extnValue's contents: the DER of the extension's value. */
  value: Uint8Array;
  /** Its outline, read when the value's DER was checked. */
  outline: DerNode;
}

export interface TbsReading {
  /** 0 when the [0] field is absent (v1). */
  version: number;
  serial: Uint8Array;
  /** DER of the signature AlgorithmIdentifier as signed. */
  signature: Uint8Array;
  signatureAlgorithm: string;
  signatureHasParameters: boolean;
  issuer: NameReading;
  notBefore: TimeReading;
  notAfter: TimeReading;
  subject: NameReading;
  spki: SpkiReading;
  uniqueIdentifiers: boolean;
  extensions: ExtensionReading[];
}

const SEQUENCE = 16;
const SET = 17;

function expect(node: DerNode | undefined, tagClass: number, tagNumber: number, what: string): DerNode {
  if (!node) throw new ShapeError(`${what} is missing`);
  if (node.tagClass !== tagClass || node.tagNumber !== tagNumber) throw new ShapeError(`${what} has tag [${node.tagClass}:${node.tagNumber}] at offset ${node.offset}`);
  return node;
}

const universal = (node: DerNode | undefined, tag: number, what: string) => expect(node, 0, tag, what);

/** OBJECT IDENTIFIER contents in dotted form (X.690 §8.19; strict-der.ts has checked the digits). */
export function oidText(c: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    value = value * 128 + (c[i]! & 0x7f);
    if (c[i]! & 0x80) continue;
    if (arcs.length === 0) {
      const first = value < 80 ? Math.floor(value / 40) : 2;
      arcs.push(first, value - first * 40);
    } else arcs.push(value);
    value = 0;
  }
  return arcs.join('.');
}

export function readOid(bytes: Uint8Array, node: DerNode | undefined, what: string): string {
  return oidText(contentsOf(bytes, universal(node, 6, what)));
}

/** A TBSCertificate from its checked outline; throws ShapeError when it is not one. */
export function readTbs(bytes: Uint8Array, outline: DerNode, extensionOutline: (value: Uint8Array, oid: string) => DerNode): TbsReading {
  universal(outline, SEQUENCE, 'the TBSCertificate');
  const fields = outline.children;
  let at = 0;
  let version = 0;
  if (fields[0]?.tagClass === 2 && fields[0].tagNumber === 0) {
    // [0] EXPLICIT Version: one INTEGER.
    const inner = fields[0].children;
    const integer = contentsOf(bytes, universal(inner[0], 2, 'the version'));
    if (inner.length !== 1 || integer.length !== 1) throw new ShapeError('the version is not one small INTEGER');
    version = integer[0]!;
    at = 1;
  }
  const serial = contentsOf(bytes, universal(fields[at], 2, 'the serialNumber'));
  const signatureNode = universal(fields[at + 1], SEQUENCE, 'the signature AlgorithmIdentifier');
  const signatureAlgorithm = readOid(bytes, signatureNode.children[0], 'the signature algorithm');
  if (signatureNode.children.length > 2) throw new ShapeError('the signature AlgorithmIdentifier has more than two fields');
  const issuer = readName(bytes, fields[at + 2], 'the issuer');
  const validity = universal(fields[at + 3], SEQUENCE, 'the validity');
  if (validity.children.length !== 2) throw new ShapeError('the validity is not notBefore and notAfter');
  const notBefore = readTime(bytes, validity.children[0], 'notBefore');
  const notAfter = readTime(bytes, validity.children[1], 'notAfter');
  const subject = readName(bytes, fields[at + 4], 'the subject');
  const spki = readSpki(bytes, fields[at + 5]);
  at += 6;
  let uniqueIdentifiers = false;
  let extensions: ExtensionReading[] = [];
  let lastTag = 0;
  for (; at < fields.length; at++) {
    const field = fields[at]!;
    // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions, each once and in that order.
    if (field.tagClass !== 2 || field.tagNumber < 1 || field.tagNumber > 3 || field.tagNumber <= lastTag) {
      throw new ShapeError(`unexpected field [${field.tagClass}:${field.tagNumber}] at offset ${field.offset}`);
    }
    lastTag = field.tagNumber;
    if (field.tagNumber < 3) uniqueIdentifiers = true;
    else {
      if (field.children.length !== 1) throw new ShapeError('[3] extensions does not hold one SEQUENCE');
      extensions = readExtensions(bytes, universal(field.children[0], SEQUENCE, 'the extensions'), extensionOutline);
    }
  }
  return {
    version,
    serial,
    signature: nodeBytes(bytes, signatureNode),
    signatureAlgorithm,
    signatureHasParameters: signatureNode.children.length > 1,
    issuer,
    notBefore,
    notAfter,
    subject,
    spki,
    uniqueIdentifiers,
    extensions,
  };
}

function readExtensions(bytes: Uint8Array, node: DerNode, extensionOutline: (value: Uint8Array, oid: string) => DerNode): ExtensionReading[] {
  if (node.children.length === 0) throw new ShapeError('extensions is empty (RFC 5280 §4.1: SIZE (1..MAX))');
  return node.children.map((extension) => {
    const parts = universal(extension, SEQUENCE, 'an extension').children;
    const oid = readOid(bytes, parts[0], 'an extension identifier');
    let critical = false;
    let next = 1;
    if (parts[1]?.tagClass === 0 && parts[1].tagNumber === 1) {
      critical = contentsOf(bytes, parts[1])[0] === 0xff;
      // X.690 §11.5: a DEFAULT value is left out, so critical FALSE is never written.
      if (!critical) throw new ShapeError(`extension ${oid} writes critical FALSE (DER leaves out a DEFAULT value)`);
      next = 2;
    }
    const value = contentsOf(bytes, universal(parts[next], 4, `the value of extension ${oid}`));
    if (parts.length !== next + 1) throw new ShapeError(`extension ${oid} has fields after its value`);
    return { oid, critical, value, outline: extensionOutline(value, oid) };
  });
}

function readName(bytes: Uint8Array, node: DerNode | undefined, what: string): NameReading {
  return universal(node, SEQUENCE, what).children.map((rdn) =>
    universal(rdn, SET, `an RDN of ${what}`).children.map((atv) => {
      const [typeNode, valueNode, extra] = universal(atv, SEQUENCE, `an attribute of ${what}`).children;
      if (!valueNode || extra) throw new ShapeError(`an attribute of ${what} is not a type and a value`);
      const type = readOid(bytes, typeNode, `an attribute type of ${what}`);
      if (valueNode.tagClass !== 0) return { type, kind: 'other' as const };
      const c = contentsOf(bytes, valueNode);
      switch (valueNode.tagNumber) {
        case 19:
          return { type, kind: 'printable' as const, text: Buffer.from(c).toString('latin1') };
        case 12:
          return { type, kind: 'utf8' as const, text: Buffer.from(c).toString('utf8') };
        case 22:
          return { type, kind: 'ia5' as const, text: Buffer.from(c).toString('latin1') };
        default:
          return { type, kind: 'other' as const };
      }
    }),
  );
}

function readTime(bytes: Uint8Array, node: DerNode | undefined, what: string): TimeReading {
  if (!node || node.tagClass !== 0 || (node.tagNumber !== 23 && node.tagNumber !== 24)) throw new ShapeError(`${what} is not a UTCTime or GeneralizedTime`);
  // strict-der.ts has checked the digits and the Z: YYMMDDHHMMSSZ, or YYYYMMDDHHMMSS[.fff]Z.
  const text = Buffer.from(contentsOf(bytes, node)).toString('latin1');
  const utc = node.tagNumber === 23;
  const yy = Number(text.slice(0, 2));
  const year = utc ? yy + (yy < 50 ? 2000 : 1900) : Number(text.slice(0, 4));
  const rest = text.slice(utc ? 2 : 4);
  const fraction = rest.length > 11;
  const milliseconds = fraction ? Math.round(Number(`0${rest.slice(10, -1)}`) * 1000) : 0;
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((i) => Number(rest.slice(i, i + 2)));
  const date = new Date(Date.UTC(year, month! - 1, day, hour, minute, second, milliseconds));
  // Date.UTC rolls 31 February over into March: a field out of range shows as a different field back.
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day || date.getUTCHours() !== hour || date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second) {
    throw new ShapeError(`${what} ${text} is not a date`);
  }
  return { date, utc, fraction };
}

function readSpki(bytes: Uint8Array, node: DerNode | undefined): SpkiReading {
  const [algorithmNode, keyNode, extra] = universal(node, SEQUENCE, 'the subjectPublicKeyInfo').children;
  const algorithmParts = universal(algorithmNode, SEQUENCE, 'the key AlgorithmIdentifier').children;
  if (algorithmParts.length > 2 || extra) throw new ShapeError('the subjectPublicKeyInfo has extra fields');
  const bits = contentsOf(bytes, universal(keyNode, 3, 'the subjectPublicKey'));
  return {
    algorithm: readOid(bytes, algorithmParts[0], 'the key algorithm'),
    parameters: algorithmParts[1] && nodeBytes(bytes, algorithmParts[1]),
    key: bits.subarray(1),
    unusedBits: bits[0]!,
  };
}

/* ---- extension values (RFC 5280 §4.2), from their outlines ---- */

const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

/** §4.2.1.3 KeyUsage: the names of the bits set. */
export function readKeyUsage(e: ExtensionReading): string[] {
  const bits = contentsOf(e.value, universal(e.outline, 3, 'keyUsage'));
  const names: string[] = [];
  for (let bit = 0; bit < KEY_USAGE_BITS.length; bit++) {
    const octet = bits[1 + (bit >> 3)];
    if (octet !== undefined && octet & (0x80 >> (bit & 7))) names.push(KEY_USAGE_BITS[bit]!);
  }
  return names;
}

/** §4.2.1.9 BasicConstraints. */
export function readBasicConstraints(e: ExtensionReading): { cA: boolean; pathLenConstraint?: number } {
  const parts = universal(e.outline, SEQUENCE, 'basicConstraints').children;
  let at = 0;
  let cA = false;
  if (parts[0]?.tagClass === 0 && parts[0].tagNumber === 1) {
    cA = contentsOf(e.value, parts[0])[0] === 0xff;
    if (!cA) throw new ShapeError('basicConstraints writes cA FALSE (DER leaves out a DEFAULT value)');
    at = 1;
  }
  let pathLenConstraint: number | undefined;
  if (parts[at]) {
    const integer = contentsOf(e.value, universal(parts[at], 2, 'pathLenConstraint'));
    if (integer.length > 2 || integer[0]! & 0x80) throw new ShapeError('pathLenConstraint is not a small non-negative INTEGER');
    pathLenConstraint = integer.reduce((n, b) => n * 256 + b, 0);
    at += 1;
  }
  if (at !== parts.length) throw new ShapeError('basicConstraints has extra fields');
  return { cA, pathLenConstraint };
}

/** §4.2.1.12 ExtKeyUsageSyntax: SEQUENCE SIZE (1..MAX) OF KeyPurposeId. */
export function readExtendedKeyUsage(e: ExtensionReading): string[] {
  const node = universal(e.outline, SEQUENCE, 'extendedKeyUsage');
  if (node.children.length === 0) throw new ShapeError('extendedKeyUsage is empty');
  return node.children.map((purpose) => readOid(e.value, purpose, 'a key purpose'));
}

/** §4.2.1.1 AuthorityKeyIdentifier: its keyIdentifier, when there is one. */
export function readAuthorityKeyIdentifier(e: ExtensionReading): { keyIdentifier?: Uint8Array } {
  const parts = universal(e.outline, SEQUENCE, 'authorityKeyIdentifier').children;
  let last = -1;
  let keyIdentifier: Uint8Array | undefined;
  for (const part of parts) {
    // [0] keyIdentifier, [1] authorityCertIssuer, [2] authorityCertSerialNumber, IMPLICIT, in order.
    if (part.tagClass !== 2 || part.tagNumber > 2 || part.tagNumber <= last) throw new ShapeError(`authorityKeyIdentifier has field [${part.tagClass}:${part.tagNumber}]`);
    last = part.tagNumber;
    if (part.tagNumber === 0) {
      if (part.constructed) throw new ShapeError('authorityKeyIdentifier keyIdentifier is constructed');
      keyIdentifier = contentsOf(e.value, part);
    }
  }
  return { keyIdentifier };
}

/** A GeneralName (§4.2.1.6) with the forms the lints read as text; others by their tag only. */
export interface GeneralNameReading {
  tag: number;
  rfc822Name?: string;
  dNSName?: string;
  uniformResourceIdentifier?: string;
  /** The address as asn1-x509 writes it as text (dotted IPv4, IPv6 groups). */
  iPAddress?: string;
  iPAddressOctets?: number;
}

function readGeneralName(bytes: Uint8Array, node: DerNode, what: string): GeneralNameReading {
  if (node.tagClass !== 2 || node.tagNumber > 8) throw new ShapeError(`${what}: not a GeneralName at offset ${node.offset}`);
  const tag = node.tagNumber;
  // [1] rfc822Name, [2] dNSName, [6] URI: IMPLICIT IA5String; [7] iPAddress: IMPLICIT OCTET STRING.
  if (tag === 1 || tag === 2 || tag === 6 || tag === 7) {
    if (node.constructed) throw new ShapeError(`${what}: GeneralName [${tag}] is constructed`);
    const c = contentsOf(bytes, node);
    if (tag === 7) return { tag, iPAddress: AsnIpConverter.fromASN(new asn1js.OctetString({ valueHex: c })), iPAddressOctets: c.length };
    for (let i = 0; i < c.length; i++) if (c[i]! > 0x7f) throw new ShapeError(`${what}: GeneralName [${tag}] is not IA5String`);
    const text = Buffer.from(c).toString('latin1');
    return tag === 1 ? { tag, rfc822Name: text } : tag === 2 ? { tag, dNSName: text } : { tag, uniformResourceIdentifier: text };
  }
  return { tag };
}

function readGeneralNames(bytes: Uint8Array, node: DerNode, what: string): GeneralNameReading[] {
  if (node.children.length === 0) throw new ShapeError(`${what} is empty`);
  return node.children.map((name) => readGeneralName(bytes, name, what));
}

/** §4.2.1.6 SubjectAltName: GeneralNames. */
export function readSubjectAltName(e: ExtensionReading): GeneralNameReading[] {
  return readGeneralNames(e.value, universal(e.outline, SEQUENCE, 'subjectAltName'), 'subjectAltName');
}

/** §4.2.1.13 CRLDistributionPoints: each point's fullName, when it has one. */
export function readCrlDistributionPoints(e: ExtensionReading): { fullName?: GeneralNameReading[] }[] {
  const node = universal(e.outline, SEQUENCE, 'cRLDistributionPoints');
  if (node.children.length === 0) throw new ShapeError('cRLDistributionPoints is empty');
  return node.children.map((point) => {
    const parts = universal(point, SEQUENCE, 'a distribution point').children;
    const name = parts[0]?.tagClass === 2 && parts[0].tagNumber === 0 ? parts[0] : undefined;
    for (const part of parts) if (part.tagClass !== 2 || part.tagNumber > 2) throw new ShapeError('a distribution point has an unknown field');
    // [0] DistributionPointName (a CHOICE, so explicitly tagged): [0] IMPLICIT GeneralNames fullName, or [1] a relative name.
    const inner = name?.children[0];
    if (name && (name.children.length !== 1 || inner!.tagClass !== 2 || inner!.tagNumber > 1)) throw new ShapeError('a distributionPoint name is not fullName or nameRelativeToCRLIssuer');
    return { fullName: inner?.tagNumber === 0 ? readGeneralNames(e.value, inner, 'a distribution point fullName') : undefined };
  });
}

/** §4.2.2.1 AuthorityInfoAccessSyntax. */
export function readAuthorityInfoAccess(e: ExtensionReading): { accessMethod: string; accessLocation: GeneralNameReading }[] {
  const node = universal(e.outline, SEQUENCE, 'authorityInfoAccess');
  if (node.children.length === 0) throw new ShapeError('authorityInfoAccess is empty');
  return node.children.map((access) => {
    const [method, location, extra] = universal(access, SEQUENCE, 'an access description').children;
    if (!location || extra) throw new ShapeError('an access description is not a method and a location');
    return { accessMethod: readOid(e.value, method, 'an access method'), accessLocation: readGeneralName(e.value, location, 'authorityInfoAccess') };
  });
}

/** §4.2.1.4 CertificatePolicies: each policy and its qualifiers (the qualifier as its DER). */
export function readCertificatePolicies(e: ExtensionReading): { policyIdentifier: string; qualifiers: { id: string; qualifier?: DerNode }[] }[] {
  const node = universal(e.outline, SEQUENCE, 'certificatePolicies');
  if (node.children.length === 0) throw new ShapeError('certificatePolicies is empty');
  return node.children.map((policy) => {
    const [id, qualifiers, extra] = universal(policy, SEQUENCE, 'a policy').children;
    if (extra) throw new ShapeError('a policy has extra fields');
    return {
      policyIdentifier: readOid(e.value, id, 'a policy identifier'),
      qualifiers: qualifiers
        ? universal(qualifiers, SEQUENCE, 'policy qualifiers').children.map((info) => {
            const [qualifierId, qualifier, more] = universal(info, SEQUENCE, 'a policy qualifier').children;
            if (more) throw new ShapeError('a policy qualifier has extra fields');
            return { id: readOid(e.value, qualifierId, 'a policy qualifier identifier'), qualifier };
          })
        : [],
    };
  });
}
