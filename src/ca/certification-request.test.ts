import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { OID } from '../crypto/algorithms.js';
import { parseCertificationRequest, provePublicKey } from './certification-request.js';
import { p256Spellings, requestWithKeyBytes, rsaSpellings } from './test-support/crafted-requests.js';

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

/** What the parser and the proof of possession say about a request: the proven key, or the refusal's code and reason. */
function outcome(der: Uint8Array) {
  try {
    const key = provePublicKey(parseCertificationRequest(der));
    return { key: { ...key, subjectPublicKeyInfo: Buffer.from(key.subjectPublicKeyInfo) } };
  } catch (error) {
    return { refused: (error as { code: string }).code, detail: (error as { params: { detail: string } }).params.detail };
  }
}

afterAll(() => rmSync(opensslDir, { recursive: true, force: true }));

/** Requests made by tools nobody here wrote, each the way its users make them. */
function foreignRequests(): Array<[string, Uint8Array]> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-csr-tools-'));
  const run = (command: string, args: string[]) => execFileSync(command, args, { stdio: 'pipe', cwd: dir });
  // GnuTLS certtool.
  run('certtool', ['--generate-privkey', '--key-type', 'ecdsa', '--curve', 'secp256r1', '--outfile', 'gnutls.key']);
  execFileSync('sh', ['-c', 'printf \'cn = "gnutls"\\ndns_name = "g.example"\\n\' > gnutls.tmpl'], { cwd: dir });
  run('certtool', ['--generate-request', '--load-privkey', 'gnutls.key', '--template', 'gnutls.tmpl', '--outder', '--outfile', 'gnutls.der']);
  // NSS certutil -R.
  run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  execFileSync('sh', ['-c', 'head -c 256 /dev/urandom > noise'], { cwd: dir });
  run('certutil', ['-R', '-d', `sql:${dir}`, '-s', 'CN=nss,O=示例', '-k', 'ec', '-q', 'nistp256', '-z', 'noise', '-o', 'nss.der']);
  run('certutil', ['-R', '-d', `sql:${dir}`, '-s', 'CN=nss rsa', '-k', 'rsa', '-g', '2048', '-z', 'noise', '-o', 'nss-rsa.der']);
  const files: Array<[string, string]> = [['GnuTLS certtool', 'gnutls.der'], ['NSS certutil -R (P-256)', 'nss.der'], ['NSS certutil -R (RSA)', 'nss-rsa.der']];
  const out = files.map(([name, file]) => [name, new Uint8Array(readFileSync(join(dir, file)))] as [string, Uint8Array]);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

describe('PKCS#10 requests read strictly (RFC 2986 §4.1, X.690 §10 DER)', () => {
  it('accepts what OpenSSL, GnuTLS, NSS and asn1-csr make, for every key type Signet certifies, and certifies their keys as sent', () => {
    const requests: Array<[string, Uint8Array]> = [
      ...(Object.keys(KEYS) as KeyKind[]).map((kind) => [`asn1-csr ${kind}`, makeRequest(kind, { commonName: 'subscriber' })] as [string, Uint8Array]),
      ...(Object.keys(KEYS) as KeyKind[]).map(
        (kind) => [`openssl ${kind}`, opensslRequest(kind, '/C=CN/O=示例有限公司/CN=subscriber', 'subjectAltName=DNS:a.example,DNS:b.example')] as [string, Uint8Array],
      ),
      ...foreignRequests(),
    ];
    for (const [name, der] of requests) {
      const result = outcome(der);
      expect(result, name).toHaveProperty('key');
      const tree = asn1js.fromBER(der).result as asn1js.Sequence;
      const spki = ((tree.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[2] as asn1js.BaseBlock).valueBeforeDecodeView;
      // These tools write their keys canonically already: the canonical form is their own bytes.
      expect((result as { key: { subjectPublicKeyInfo: Buffer } }).key.subjectPublicKeyInfo, name).toEqual(Buffer.from(spki));
    }
  });

  it('refuses BER, non-minimal encodings and trailing data, saying what and where', () => {
    const der = Buffer.from(makeRequest('p256', { commonName: 'x' }));
    expect(der[0]).toBe(0x30);
    expect(der[1]).toBe(0x81); // a P-256 request is 128–255 octets long
    const bodyLength = der[2]!;
    const body = der.subarray(3);
    const info = body.subarray(0, body[1]! + 2 + (body[1]! & 0x80 ? body[1]! & 0x7f : 0));
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['a long-form length with a leading zero', Buffer.concat([Buffer.from([0x30, 0x82, 0x00, bodyLength]), body]), /non-minimal length.*offset 1/],
      ['an indefinite length', Buffer.concat([Buffer.from([0x30, 0x80]), body, Buffer.from([0, 0])]), /indefinite length at offset 1/],
      ['a byte after the request', Buffer.concat([der, Buffer.from([0])]), /1 byte after the request/],
      ['a truncated request', der.subarray(0, der.length - 1), /runs past the end/],
      ['the version as 02 02 00 00', reversion(der), /INTEGER at offset \d+: not minimal/],
      ['the signature as a constructed BIT STRING', constructedSignature(der), /BIT STRING at offset \d+: constructed/],
      ['nothing', new Uint8Array(0), /empty/],
    ];
    expect(info.length).toBeGreaterThan(0);
    for (const [name, bytes, reason] of cases) {
      const result = outcome(bytes);
      expect(result, name).toMatchObject({ refused: 'request.malformed-csr' });
      expect((result as { detail: string }).detail, name).toMatch(reason);
    }
  });

  it('certifies a compressed point, and rsaEncryption without NULL, in canonical form: one key, one identity (RFC 5480 §2.2, RFC 3279 §2.3.1)', () => {
    const ec = p256Spellings();
    const compressed = outcome(requestWithKeyBytes(ec.spellings.compressed!, ec.privateKey)) as { key: { subjectPublicKeyInfo: Buffer; spkiSha256: string } };
    const plain = outcome(requestWithKeyBytes(ec.canonical, ec.privateKey)) as { key: { subjectPublicKeyInfo: Buffer; spkiSha256: string } };
    expect(compressed.key.subjectPublicKeyInfo).toEqual(ec.canonical);
    expect(compressed.key.spkiSha256).toBe(plain.key.spkiSha256);

    const rsa = rsaSpellings();
    const noNull = outcome(requestWithKeyBytes(rsa.spellings['without NULL parameters']!, rsa.privateKey)) as { key: { subjectPublicKeyInfo: Buffer } };
    expect(noNull.key.subjectPublicKeyInfo).toEqual(rsa.canonical);
  });

  it('refuses key encodings that are not DER or not a key, with the reason', () => {
    const ec = p256Spellings();
    const rsa = rsaSpellings();
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['hybrid EC point', requestWithKeyBytes(ec.spellings.hybrid!, ec.privateKey), /point form 0x0[67]/],
      ['modulus with a spare leading 00', requestWithKeyBytes(rsa.spellings['modulus with a spare leading 00']!, rsa.privateKey), /RSAPublicKey: INTEGER at offset 4: not minimal/],
      ['exponent with a long-form length', requestWithKeyBytes(rsa.spellings['exponent with a long-form length']!, rsa.privateKey), /RSAPublicKey: long-form length 3/],
      ['bytes after the RSAPublicKey', requestWithKeyBytes(rsa.spellings['bytes after the RSAPublicKey']!, rsa.privateKey), /RSAPublicKey: 2 bytes after the RSAPublicKey/],
      ['parameters other than NULL', requestWithKeyBytes(rsa.spellings['parameters other than NULL']!, rsa.privateKey), /parameters other than NULL/],
    ];
    for (const [name, der, reason] of cases) {
      const result = outcome(der);
      expect(result, name).toMatchObject({ refused: 'request.weak-key' });
      expect((result as { detail: string }).detail, name).toMatch(reason);
    }
  });

  it('still refuses a point off the curve and a signature that does not verify', () => {
    const original = makeRequest('p256', { commonName: 'x' });
    const tree = asn1js.fromBER(original).result as asn1js.Sequence;
    const end = (node: asn1js.BaseBlock) => node.valueBeforeDecodeView.byteOffset - original.byteOffset + node.valueBeforeDecodeView.byteLength;
    const spki = (tree.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[2] as asn1js.BaseBlock;
    const offCurve = Uint8Array.from(original);
    offCurve[end(spki) - 1]! ^= 0x01; // last octet of the point's y: no longer on P-256
    const badSignature = Uint8Array.from(original);
    badSignature[original.length - 5]! ^= 0x01;
    expect(outcome(offCurve)).toMatchObject({ refused: 'request.weak-key' });
    expect(outcome(badSignature)).toMatchObject({ refused: 'request.bad-signature' });
  });
});

/** The request with its version INTEGER 02 01 00 written as 02 02 00 00 (lengths adjusted, signature left alone). */
function reversion(der: Buffer): Buffer {
  const tree = asn1js.fromBER(der).result as asn1js.Sequence;
  const info = tree.valueBlock.value[0] as asn1js.Sequence;
  const infoBytes = Buffer.from(info.valueBeforeDecodeView);
  const infoBody = infoBytes.subarray(infoBytes[1]! & 0x80 ? 2 + (infoBytes[1]! & 0x7f) : 2);
  expect(infoBody.subarray(0, 3)).toEqual(Buffer.from([0x02, 0x01, 0x00]));
  const newInfo = wrap(0x30, Buffer.concat([Buffer.from([0x02, 0x02, 0x00, 0x00]), infoBody.subarray(3)]));
  const rest = der.subarray(3 + infoBytes.length);
  return wrap(0x30, Buffer.concat([newInfo, rest]));
}

/** The signature BIT STRING as a constructed one holding a primitive (BER only). */
function constructedSignature(der: Buffer): Buffer {
  const tree = asn1js.fromBER(der).result as asn1js.Sequence;
  const [info, algorithm, signature] = tree.valueBlock.value as asn1js.BaseBlock[];
  const bits = Buffer.from(signature!.valueBeforeDecodeView);
  return wrap(0x30, Buffer.concat([Buffer.from(info!.valueBeforeDecodeView), Buffer.from(algorithm!.valueBeforeDecodeView), wrap(0x23, bits)]));
}

function wrap(tag: number, body: Buffer): Buffer {
  const n = body.length;
  return Buffer.concat([Buffer.from(n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff]), body]);
}
