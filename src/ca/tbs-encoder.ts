import { AsnConvert } from '@peculiar/asn1-schema';
import { Version, type AttributeValue, type Name, type TBSCertificate, type Time } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { derOf, encodingOf } from '../crypto/signed-structure.js';
import { fill, integer, layout, octetString, oid, primitive, sequence, set, Slot, tagged, type Layout, type Part } from '../crypto/der-layout.js';

/**
 * The DER of a subscriber's TBSCertificate (RFC 5280 §4.1), from a layout per shape.
 *
 *   TBSCertificate ::= SEQUENCE {
 *     version         [0] EXPLICIT Version DEFAULT v1,
 *     serialNumber    CertificateSerialNumber,
 *     signature       AlgorithmIdentifier,
 *     issuer          Name,
 *     validity        Validity,
 *     subject         Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     extensions      [3] EXPLICIT Extensions OPTIONAL }
 *   Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 *
 * asn1-schema walks a TBSCertificate by reflection and asn1js builds a tree
 * of it: about 150 µs a certificate, as much as an ECDSA signature and its
 * check together. Yet certificates of one profile and issuer differ only in
 * their values, and for given lengths of those every tag and length around
 * them is the same. So asn1js lays each shape out once around placeholders
 * (src/crypto/der-layout.ts, as the time-stamp tokens are made), and each
 * certificate is that layout with its values copied into their slots:
 *
 * - the serial number's content octets;
 * - whole values the library encoded: the signature algorithm and the issuer
 *   (asn1-schema, once per CA), the two times (asn1-schema, once per second),
 *   the key (the request's own DER);
 * - the subject, itself from a layout per shape of Name (the attribute types,
 *   string types and lengths of its single-valued RDNs, as buildSubjectName
 *   makes them), its slots the strings' content octets;
 * - each extension's extnValue contents (asn1-schema encoded them when the
 *   extension was built); its extnID and critical flag are part of the shape.
 *
 * Nothing here writes a tag or a length. A new shape is accepted only if its
 * first use comes out byte for byte as asn1-schema's own encoding of the same
 * TBSCertificate, so a layout that could place a value wrongly never exists.
 * Anything outside the shape (unique identifiers, no extensions, a version
 * other than v3) is left to asn1-schema entirely.
 */
export class TbsEncoder {
  private readonly layouts = new Map<string, Layout>();
  private readonly nameLayouts = new Map<string, Layout>();
  private readonly times = new Map<number, Uint8Array>();

  encode(tbs: TBSCertificate): Buffer {
    const extensions = tbs.extensions;
    if (tbs.version !== Version.v3 || !extensions || extensions.length === 0 || tbs.issuerUniqueID || tbs.subjectUniqueID) {
      return Buffer.from(AsnConvert.serialize(tbs));
    }
    const values: Record<string, Uint8Array> = {
      serial: new Uint8Array(tbs.serialNumber),
      signature: derOf(tbs.signature),
      issuer: derOf(tbs.issuer),
      notBefore: this.time(tbs.validity.notBefore),
      notAfter: this.time(tbs.validity.notAfter),
      subject: this.name(tbs.subject),
      subjectPublicKeyInfo: derOf(tbs.subjectPublicKeyInfo),
    };
    const shape: string[] = [values.serial!.length, values.signature!.length, values.issuer!.length, values.notBefore!.length, values.notAfter!.length, values.subject!.length, values.subjectPublicKeyInfo!.length].map(String);
    extensions.forEach((extension, i) => {
      const value = new Uint8Array(extension.extnValue.buffer);
      values[`extension${i}`] = value;
      shape.push(`${extension.extnID}${extension.critical ? '!' : ''}:${value.length}`);
    });
    const key = shape.join('|');
    let tbsLayout = this.layouts.get(key);
    if (!tbsLayout) {
      tbsLayout = layoutFor(tbs, values);
      const filled = fill(tbsLayout, values);
      if (!filled.equals(Buffer.from(AsnConvert.serialize(tbs)))) {
        throw new Error('TBSCertificate layout: the filled layout differs from the library encoding');
      }
      if (this.layouts.size >= MAX_LAYOUTS) this.layouts.clear();
      this.layouts.set(key, tbsLayout);
      return filled;
    }
    return fill(tbsLayout, values);
  }

  /**
   * Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET OF AttributeTypeAndValue
   * (RFC 5280 §4.1.2.4). Single-valued RDNs whose value is one UTF8String,
   * PrintableString or IA5String take a layout; anything else asn1-schema encodes.
   */
  private name(name: Name): Uint8Array {
    const known = encodingOf(name);
    if (known) return known;
    const values: Record<string, Uint8Array> = {};
    const shape: string[] = [];
    const parts: Part[] = [];
    for (let i = 0; i < name.length; i++) {
      const rdn = name[i]!;
      const string = rdn.length === 1 ? directoryString(rdn[0]!.value) : undefined;
      if (!string) return new Uint8Array(AsnConvert.serialize(name));
      values[`rdn${i}`] = string.content;
      shape.push(`${rdn[0]!.type}:${string.tag}:${string.content.length}`);
      parts.push(set([sequence([oid(rdn[0]!.type), primitive(string.tag, new Slot(`rdn${i}`, string.content.length))])]));
    }
    const key = shape.join(',');
    const nameLayout = this.nameLayouts.get(key);
    if (nameLayout) return fill(nameLayout, values);
    const created = layout(sequence(parts));
    const filled = fill(created, values);
    if (!filled.equals(Buffer.from(AsnConvert.serialize(name)))) throw new Error('Name layout: the filled layout differs from the library encoding');
    if (this.nameLayouts.size >= MAX_LAYOUTS) this.nameLayouts.clear();
    this.nameLayouts.set(key, created);
    return filled;
  }

  /** notBefore and notAfter are whole seconds, so certificates of the same second share each encoding. */
  private time(time: Time): Uint8Array {
    const at = time.getTime().getTime();
    const kind = time.utcTime ? 1 : 2;
    const cacheKey = at * 4 + kind;
    let der = this.times.get(cacheKey);
    if (!der) {
      der = new Uint8Array(AsnConvert.serialize(time));
      if (this.times.size >= 64) this.times.clear();
      this.times.set(cacheKey, der);
    }
    return der;
  }
}

/** Shapes differ by the lengths of names and keys; a CA sees few, and a flood of new ones only costs their first use. */
const MAX_LAYOUTS = 512;

/** The one string a DirectoryString-like value holds, with its universal tag; undefined for anything else. */
function directoryString(value: AttributeValue): { tag: number; content: Buffer } | undefined {
  const held = [value.utf8String, value.printableString, value.ia5String, value.teletexString, value.universalString, value.bmpString, value.anyValue];
  if (held.filter((v) => v !== undefined).length !== 1) return undefined;
  if (value.utf8String !== undefined) return { tag: 12, content: Buffer.from(value.utf8String, 'utf8') };
  // buildSubjectName lets only ASCII into these two; anything else is left to asn1-schema.
  const ascii = value.printableString ?? value.ia5String;
  if (ascii === undefined || !/^[\x20-\x7e]*$/.test(ascii)) return undefined;
  return { tag: value.printableString !== undefined ? 19 : 22, content: Buffer.from(ascii, 'latin1') };
}

const versionV3 = new Uint8Array(
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Integer({ value: Version.v3 })] }).toBER(false),
);
const criticalTrue = new Uint8Array(new asn1js.Boolean({ value: true }).toBER(false));

function layoutFor(tbs: TBSCertificate, values: Record<string, Uint8Array>): Layout {
  const slot = (name: string) => new Slot(name, values[name]!.length);
  const extensions: Part[] = tbs.extensions!.map((extension, i) =>
    sequence([oid(extension.extnID), ...(extension.critical ? [criticalTrue] : []), octetString(slot(`extension${i}`))]),
  );
  return layout(
    sequence([
      versionV3,
      integer(slot('serial')),
      slot('signature'),
      slot('issuer'),
      sequence([slot('notBefore'), slot('notAfter')]),
      slot('subject'),
      slot('subjectPublicKeyInfo'),
      tagged(3, [sequence(extensions)]),
    ]),
  );
}
