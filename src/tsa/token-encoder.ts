import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, DigestAlgorithmIdentifiers, id_signedData } from '@peculiar/asn1-cms';
import { ContentType } from '@peculiar/asn1-pkcs9';
import { Accuracy, PKIStatus, PKIStatusInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { digestAlgorithm, id_contentType, id_messageDigest, type CmsSignerIdentity } from './cms-signed-data.js';
import { fill, integer, layout, octetString, oid, sequence, set, Slot, tagged, type Layout, type Part } from '../crypto/der-layout.js';

/**
 * The TSA's hot path. @peculiar/asn1-schema serialises by reflection and
 * re-parses every pre-encoded field: about 2 ms per token. Building each
 * token as a tree of asn1js objects still cost ~250 µs. So the parts that
 * never change (the TSA certificate, its identifiers, the
 * signing-certificate-v2 attribute, the policy, the accuracy) are encoded once
 * with asn1-schema, and asn1js lays out the whole reply once per *shape* —
 * the lengths of imprint, nonce, genTime, TSTInfo and signature, a handful in
 * practice — around placeholders (der-layout.ts). Each token is then three
 * copies of those bytes with its own values put in their slots. The tests
 * prove the result is byte for byte what asn1-schema produces for the same
 * structure (RFC 3161 §2.4.2, RFC 5652 §5), and OpenSSL verifies it.
 */

export interface TokenFields {
  /** The request's MessageImprint, byte for byte (RFC 3161 §2.4.2: "MUST have the same value"). */
  messageImprintDer: Uint8Array;
  /** serialNumber content octets (positive, minimal). */
  serial: Uint8Array;
  genTime: Date;
  /** The request's nonce INTEGER content octets, echoed unchanged. */
  nonce?: Uint8Array;
  /** RFC 3161 §2.4.1: the TSA's certificate (and its issuing CA's) in the token only when certReq asks for it. */
  includeCertificate: boolean;
}

export interface EncodedToken {
  /** TimeStampResp { granted, TimeStampToken }. */
  reply: Buffer;
  /** The TimeStampToken (ContentInfo), a view into `reply`. */
  token: Buffer;
}

/** Each distinct shape is laid out once; past this many (hostile nonce lengths…) they are laid out per use. */
const MAX_LAYOUTS = 512;

const der = (value: unknown) => new Uint8Array(AsnConvert.serialize(value));

/** Everything in a token that is the same for every token a TSA identity signs. */
export class TokenTemplate {
  private readonly policy: Uint8Array;
  private readonly accuracy: Uint8Array;
  private readonly attributes: { contentType: Uint8Array; signingCertificate: Uint8Array };
  private readonly sid: Uint8Array;
  private readonly digestAlgorithm: Uint8Array;
  private readonly signatureAlgorithm: Uint8Array;
  private readonly digestAlgorithms: Uint8Array;
  /** SignedData.certificates when certReq is set: the TSA's and its issuing CA's, in DER SET order. */
  private readonly certificates: Uint8Array[];
  private readonly granted: Uint8Array;
  private readonly digestLength: number;
  private readonly tstInfoLayouts = new Map<string, Layout>();
  private readonly attributeLayouts = new Map<string, { toBeSigned: Layout; members: Part[] }>();
  private readonly replyLayouts = new Map<string, Layout>();
  private lastTime = { at: NaN, der: new Uint8Array(0) };

  constructor(
    private readonly identity: CmsSignerIdentity,
    policy: string,
    accuracy: Accuracy,
    /**
     * The CA certificates above the TSA's, root excluded. Carried with the TSA's so that
     * a relying party needs only the root (jarsigner, osslsigncode, `openssl ts -verify
     * -CAfile root.pem`); RFC 3161 §2.4.1 lets certReq carry "other certificates" too.
     */
    chain: Uint8Array[] = [],
  ) {
    this.policy = oid(policy);
    this.accuracy = der(accuracy);
    this.attributes = {
      contentType: der(new Attribute({ attrType: id_contentType, attrValues: [AsnConvert.serialize(new ContentType(id_ct_tstInfo))] })),
      signingCertificate: der(identity.signingCertificate),
    };
    this.sid = der(identity.sid.issuerAndSerialNumber);
    this.digestAlgorithm = der(digestAlgorithm(identity.hash));
    this.signatureAlgorithm = der(identity.signer.signatureAlgorithm);
    this.digestAlgorithms = der(new DigestAlgorithmIdentifiers([digestAlgorithm(identity.hash)]));
    this.certificates = sortDer([new Uint8Array(identity.certificateDer), ...chain].map((der) => ({ der }))).map((c) => c.der);
    this.granted = der(new PKIStatusInfo({ status: PKIStatus.granted }));
    this.digestLength = createHash(identity.hash).digest().length;
  }

  /** TSTInfo, signed attributes, signature, SignedData, reply: one token. */
  async encode(fields: TokenFields): Promise<EncodedToken> {
    const tstInfo = this.tstInfo(fields);
    const digest = createHash(this.identity.hash).update(tstInfo).digest();
    const attributes = this.attributeLayout();
    const toBeSigned = fill(attributes.toBeSigned, { digest });
    const signature = await this.identity.signer.sign(toBeSigned);
    const reply = this.replyLayout(tstInfo.length, signature.length, fields.includeCertificate);
    const bytes = fill(reply, { tstInfo, digest, signature });
    const at = reply.offsets.get('token')!;
    return { reply: bytes, token: bytes.subarray(at, at + reply.lengths.get('token')!) };
  }

  /**
   * ```asn1
   * TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy, [ordering], [nonce] }
   * ```
   */
  tstInfo(fields: Omit<TokenFields, 'includeCertificate'>): Buffer {
    const genTime = this.genTime(fields.genTime);
    const key = `${fields.messageImprintDer.length}/${fields.serial.length}/${genTime.length}/${fields.nonce?.length ?? '-'}`;
    const shape = this.cached(this.tstInfoLayouts, key, () =>
      layout(
        sequence([
          der1,
          this.policy,
          new Slot('messageImprint', fields.messageImprintDer.length),
          integer(new Slot('serial', fields.serial.length)),
          new Slot('genTime', genTime.length),
          this.accuracy,
          ...(fields.nonce ? [integer(new Slot('nonce', fields.nonce.length))] : []),
        ]),
      ),
    );
    return fill(shape, { messageImprint: fields.messageImprintDer, serial: fields.serial, genTime, ...(fields.nonce ? { nonce: fields.nonce } : {}) });
  }

  /**
   * The signed attributes in DER order: contentType, messageDigest,
   * signing-certificate-v2. Their order depends on lengths and OIDs only,
   * never on the digest's value (the encodings differ before it), so it is
   * settled once, on the placeholder.
   */
  private attributeLayout(): { toBeSigned: Layout; members: Part[] } {
    return this.cached(this.attributeLayouts, 'attributes', () => {
      const messageDigest = sequence([oid(id_messageDigest), set([octetString(new Slot('digest', this.digestLength))])]);
      const placeholder = layout(messageDigest).der;
      const members = sortDer([
        { part: this.attributes.contentType, der: this.attributes.contentType },
        { part: messageDigest, der: placeholder },
        { part: this.attributes.signingCertificate, der: this.attributes.signingCertificate },
      ]).map((m) => m.part);
      // What the signature covers: the universal SET tag (RFC 5652 §5.4); the SignerInfo carries [0] IMPLICIT.
      return { toBeSigned: layout(set(members)), members };
    });
  }

  /** ContentInfo { id-signedData, SignedData { TSTInfo } } inside TimeStampResp { granted, token }. */
  private replyLayout(tstInfoLength: number, signatureLength: number, includeCertificate: boolean): Layout {
    const key = `${tstInfoLength}/${signatureLength}/${includeCertificate}`;
    return this.cached(this.replyLayouts, key, () => {
      const signerInfo = sequence([
        der1,
        this.sid,
        this.digestAlgorithm,
        tagged(0, this.attributeLayout().members),
        this.signatureAlgorithm,
        octetString(new Slot('signature', signatureLength)),
      ]);
      const signedData = sequence([
        der3,
        this.digestAlgorithms,
        sequence([oid(id_ct_tstInfo), tagged(0, [octetString(new Slot('tstInfo', tstInfoLength))])]),
        ...(includeCertificate ? [tagged(0, this.certificates)] : []),
        set([signerInfo]),
      ]);
      return layout(sequence([this.granted, sequence([oid(id_signedData), tagged(0, [signedData])], 'token')]));
    });
  }

  /** genTime with milliseconds, as asn1js writes it; tokens of the same millisecond share the encoding. */
  private genTime(at: Date): Uint8Array {
    const ms = at.getTime();
    if (this.lastTime.at !== ms) this.lastTime = { at: ms, der: new Uint8Array(new asn1js.GeneralizedTime({ valueDate: at }).toBER(false)) };
    return this.lastTime.der;
  }

  private cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
    let value = cache.get(key);
    if (value === undefined) {
      value = make();
      if (cache.size < MAX_LAYOUTS) cache.set(key, value);
    }
    return value;
  }
}

const der1 = new Uint8Array(new asn1js.Integer({ value: 1 }).toBER(false));
const der3 = new Uint8Array(new asn1js.Integer({ value: 3 }).toBER(false));

/** X.690 §11.6: SET OF members in the order of their encodings, the shorter padded with zeros. */
function sortDer<T extends { der: Uint8Array }>(items: T[]): T[] {
  return [...items].sort((x, y) => {
    const length = Math.max(x.der.length, y.der.length);
    const a = Buffer.alloc(length);
    const b = Buffer.alloc(length);
    a.set(x.der);
    b.set(y.der);
    return Buffer.compare(a, b);
  });
}
