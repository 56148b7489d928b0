import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, Attribute, AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { OID } from '../crypto/algorithms.js';
import { parseCertificationRequest, parseInFull, provePublicKey } from './certification-request.js';
import { RequestShapes } from './certification-request-shapes.js';

type KeyKind = 'p256' | 'p384' | 'rsa2048' | 'ed25519';

const KEYS: Record<KeyKind, { generate: () => { publicKey: KeyObject; privateKey: KeyObject }; hash: string | null; signatureOid: string }> = {
  p256: { generate: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), hash: 'sha256', signatureOid: OID.ecdsaWithSha256 },
  p384: { generate: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), hash: 'sha384', signatureOid: OID.ecdsaWithSha384 },
  rsa2048: { generate: () => generateKeyPairSync('rsa', { modulusLength: 2048 }), hash: 'sha256', signatureOid: OID.sha256WithRSA },
  ed25519: { generate: () => generateKeyPairSync('ed25519'), hash: null, signatureOid: OID.ed25519 },
};

function nameOf(commonName: string | undefined): Name {
  if (commonName === undefined) return new Name();
  return new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: commonName }) })])]);
}

/** A PKCS#10 request (RFC 2986 §4.1) built with asn1-csr and signed by node:crypto, as bench/issuance.ts and most clients make them. */
function makeRequest(kind: KeyKind, options: { commonName?: string; attributes?: Attributes } = {}): Uint8Array {
  const { publicKey, privateKey } = KEYS[kind].generate();
  const info = new CertificationRequestInfo({
    version: 0,
    subject: nameOf(options.commonName),
    subjectPKInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
    ...(options.attributes ? { attributes: options.attributes } : {}),
  });
  const signature = sign(KEYS[kind].hash, Buffer.from(AsnConvert.serialize(info)), privateKey);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: KEYS[kind].signatureOid }),
    signature: new Uint8Array(signature).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

const opensslDir = mkdtempSync(join(tmpdir(), 'signet-csr-'));
let opensslCount = 0;
const OPENSSL_KEYS: Record<KeyKind, string[]> = {
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa2048: ['-newkey', 'rsa:2048'],
  ed25519: ['-newkey', 'ed25519'],
};

/** `openssl req` with a subject and, if asked, an extensionRequest attribute (RFC 2985 §5.4.2). */
function opensslRequest(kind: KeyKind, subject: string, extension?: string): Uint8Array {
  const out = join(opensslDir, `${opensslCount++}.der`);
  const args = ['req', '-new', ...OPENSSL_KEYS[kind], '-nodes', '-keyout', join(opensslDir, 'key.pem'), '-subj', subject, '-outform', 'DER', '-out', out];
  if (extension) args.push('-addext', extension);
  execFileSync('openssl', args, { stdio: 'pipe' });
  return new Uint8Array(readFileSync(out));
}

/** What the full path says about a request: the parsed request and proven key, or the refusal's code and reason. */
function outcome(read: (der: Uint8Array) => CertificationRequest, der: Uint8Array) {
  try {
    const request = read(der);
    const key = provePublicKey(request);
    return { request, key: { ...key, subjectPublicKeyInfo: Buffer.from(key.subjectPublicKeyInfo) } };
  } catch (error) {
    return { refused: (error as { code: string }).code, params: (error as { params: unknown }).params };
  }
}

function parsedBy(read: (der: Uint8Array) => CertificationRequest, der: Uint8Array): CertificationRequest | string {
  try {
    return read(der);
  } catch (error) {
    return (error as { code: string }).code;
  }
}

/** Feeds requests through a fresh shape cache as the parser does: a miss is read in full and teaches its shape. */
function throughShapes(requests: Uint8Array[]) {
  const shapes = new RequestShapes();
  let matched = 0;
  for (const der of requests) {
    const full = parseInFull(der);
    const shaped = shapes.match(der);
    if (shaped) {
      matched += 1;
      expect(shaped.request).toEqual(full);
      expect(Buffer.from(shaped.subjectPublicKeyInfo)).toEqual(Buffer.from(AsnConvert.serialize(full.certificationRequestInfo.subjectPKInfo)));
      expect(Buffer.from(AsnConvert.serialize(shaped.request))).toEqual(Buffer.from(der));
    } else {
      shapes.learn(der, asn1js.fromBER(der).result, full);
    }
  }
  return { shapes, matched };
}

/** [start, end) of the slots the shape leaves free: subject and attributes (whole), key and signature (BIT STRING contents). */
function slotsOf(der: Uint8Array): Array<[number, number]> {
  const tree = asn1js.fromBER(der).result as asn1js.Sequence;
  const start = (node: asn1js.BaseBlock) => node.valueBeforeDecodeView.byteOffset - der.byteOffset;
  const whole = (node: asn1js.BaseBlock): [number, number] => [start(node), start(node) + node.valueBeforeDecodeView.byteLength];
  const bitStringContents = (node: asn1js.BaseBlock): [number, number] => [whole(node)[1] - (node as asn1js.BitString).valueBlock.valueHexView.byteLength, whole(node)[1]];
  const [info, , signature] = tree.valueBlock.value as asn1js.BaseBlock[];
  const [, subject, spki, attributes] = (info as asn1js.Sequence).valueBlock.value as asn1js.BaseBlock[];
  const key = (spki as asn1js.Sequence).valueBlock.value[1] as asn1js.BaseBlock;
  return [whole(subject!), bitStringContents(key), ...(attributes ? [whole(attributes)] : []), bitStringContents(signature!)];
}

describe('PKCS#10 requests read from a known shape (RFC 2986 §4.1)', () => {
  it('reads requests of a shape already seen exactly as the full parser does, for every key type Signet certifies', () => {
    for (const kind of Object.keys(KEYS) as KeyKind[]) {
      const requests = Array.from({ length: 12 }, (_, i) => makeRequest(kind, i % 2 ? { commonName: 'subscriber 0042' } : {}));
      const { matched } = throughShapes(requests);
      // ECDSA signatures vary in length (70–72 octets for P-256), so not every request's shape was seen before.
      expect(matched, kind).toBeGreaterThanOrEqual(4);
    }
  });

  it('reads requests made by `openssl req`, with a subject and an extensionRequest attribute, as the full parser does', () => {
    for (const kind of Object.keys(KEYS) as KeyKind[]) {
      const requests = Array.from({ length: kind === 'rsa2048' ? 3 : 6 }, () =>
        opensslRequest(kind, '/C=CN/O=示例有限公司/CN=subscriber', 'subjectAltName=DNS:a.example,DNS:b.example'),
      );
      const { matched } = throughShapes(requests);
      expect(matched, kind).toBeGreaterThanOrEqual(1);
    }
  });

  it('takes the key\'s SubjectPublicKeyInfo exactly as it stands in the request', () => {
    const shapes = new RequestShapes();
    const first = makeRequest('p256');
    shapes.learn(first, asn1js.fromBER(first).result, parseInFull(first));
    const tree = asn1js.fromBER(first).result as asn1js.Sequence;
    const spki = ((tree.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[2] as asn1js.BaseBlock).valueBeforeDecodeView;
    expect(Buffer.from(shapes.match(first)!.subjectPublicKeyInfo)).toEqual(Buffer.from(spki));
  });

  it('learns a shape once, however often a request of that shape is read in full', () => {
    const shapes = new RequestShapes();
    const der = makeRequest('ed25519');
    const full = parseInFull(der);
    for (let i = 0; i < 3; i++) shapes.learn(der, asn1js.fromBER(der).result, full);
    expect(shapes.size).toBe(1);
    expect(shapes.match(der)?.request).toEqual(full);
  });

  it('learns no shape from a request that is not DER, so such requests are always read in full', () => {
    const der = makeRequest('ed25519');
    // The outer length in long form (30 81 xx for a length below 128 would be BER): asn1js and asn1-schema accept it.
    const ber = Buffer.concat([Buffer.from([0x30, 0x82, der[1]! >> 8, der[1]!]), der.subarray(2)]);
    const shapes = new RequestShapes();
    shapes.learn(ber, asn1js.fromBER(ber).result, parseInFull(ber));
    expect(shapes.match(ber)).toBeUndefined();
    expect(shapes.match(der)).toBeUndefined();
  });

  it('refuses nothing the full parser accepts and accepts nothing it refuses: every byte of a request flipped', () => {
    const cases: Uint8Array[] = [
      makeRequest('p256'),
      makeRequest('ed25519', {
        commonName: 'subscriber',
        attributes: new Attributes([new Attribute({ type: '1.2.840.113549.1.9.7', values: [AsnConvert.serialize(new asn1js.Utf8String({ value: 'secret' }))] })]),
      }),
      opensslRequest('p256', '/O=Org/CN=flip', 'subjectAltName=DNS:flip.example'),
      makeRequest('rsa2048', { commonName: 'rsa' }),
    ];
    for (const original of cases) {
      const shapes = new RequestShapes();
      shapes.learn(original, asn1js.fromBER(original).result, parseInFull(original));
      const slots = slotsOf(original);
      let shapedFlips = 0;
      for (let i = 0; i < original.length; i++) {
        for (const mask of [0x01, 0x80]) {
          const flipped = Uint8Array.from(original);
          flipped[i]! ^= mask;
          const shaped = shapes.match(flipped);
          if (!slots.some(([from, to]) => i >= from && i < to)) {
            expect(shaped, `byte ${i} ^ ${mask} outside the slots`).toBeUndefined();
            continue;
          }
          const full = outcome(parseInFull, flipped);
          if (shaped) {
            shapedFlips += 1;
            expect(parsedBy(parseInFull, flipped), `byte ${i} ^ ${mask}`).toEqual(shaped.request);
          }
          // parseInFull taught the module's own cache this request's shape (if it parsed): now read from it.
          expect(outcome(parseCertificationRequest, flipped), `byte ${i} ^ ${mask}`).toEqual(full);
        }
      }
      // The key and signature bytes are opaque to the parser: flips there are read from the shape and refused by the proof of possession.
      expect(shapedFlips).toBeGreaterThan(64);
    }
  });

  it('refuses through the public parser exactly what the full parser refuses, for the same reason', () => {
    const original = makeRequest('p256', { commonName: 'x' });
    parseCertificationRequest(original); // teaches its shape
    const variants: Array<[string, Uint8Array]> = [];
    const [keyFrom] = slotsOf(original)[1]!;
    const [signatureFrom] = slotsOf(original)[2]!;
    const offCurve = Uint8Array.from(original);
    offCurve[keyFrom + 64]! ^= 0x01; // last octet of the point's y: no longer on P-256
    variants.push(['a point off the curve', offCurve]);
    const badSignature = Uint8Array.from(original);
    badSignature[signatureFrom + 10]! ^= 0x01;
    variants.push(['a signature that does not verify', badSignature]);
    variants.push(['trailing bytes', Buffer.concat([original, Buffer.of(0)])]);
    variants.push(['a truncated request', original.subarray(0, original.length - 1)]);
    const outcomes = variants.map(([name, der]) => [name, outcome(parseCertificationRequest, der)] as const);
    expect(Object.fromEntries(outcomes.map(([name, o]) => [name, 'refused' in o ? o.refused : 'accepted']))).toEqual({
      'a point off the curve': 'request.weak-key',
      'a signature that does not verify': 'request.bad-signature',
      'trailing bytes': 'request.malformed-csr',
      'a truncated request': 'request.malformed-csr',
    });
    for (const [name, der] of variants) expect(outcome(parseCertificationRequest, der), name).toEqual(outcome(parseInFull, der));
  });
});
