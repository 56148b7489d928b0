import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, CertID, OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { MalformedOcspRequest, parseOcspRequest, rfc5019Question } from './ocsp-request.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

// A minimal DER writer, so the hand-built requests below say byte for byte what they contain.
const length = (n: number, longForm = false): Buffer => {
  if (n < 0x80 && !longForm) return Buffer.from([n]);
  const octets: number[] = [];
  for (let v = n; v > 0 || octets.length === 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
  return Buffer.from([0x80 | octets.length, ...octets]);
};
const tlv = (tag: number, ...contents: Buffer[]) => {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const ctx = (n: number, ...c: Buffer[]) => tlv(0xa0 + n, ...c);
const oid = (dotted: string) => {
  const arcs = dotted.split('.').map(BigInt);
  const out: number[] = [];
  const base128 = (v: bigint) => {
    const digits = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) digits.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...digits);
  };
  base128(arcs[0]! * 40n + arcs[1]!);
  arcs.slice(2).forEach(base128);
  return tlv(0x06, Buffer.from(out));
};
const octets = (b: Buffer) => tlv(0x04, b);
const boolTrue = Buffer.from([0x01, 0x01, 0xff]);
const extension = (id: string, value: Buffer, critical = false) => seq(oid(id), ...(critical ? [boolTrue] : []), octets(value));

const SERVICE_LOCATOR = '1.3.6.1.5.5.7.48.1.7';
const ACCEPTABLE_RESPONSES = '1.3.6.1.5.5.7.48.1.4';
const PREFERRED_SIGNATURE_ALGORITHMS = '1.3.6.1.5.5.7.48.1.8';
const NONCE = '1.3.6.1.5.5.7.48.1.2';
const BASIC = '1.3.6.1.5.5.7.48.1.1';

/** A CertID's DER, rebuilt from its fields; serial is the INTEGER's contents as given. */
function certIdDer(certId: CertID, serial = Buffer.from(certId.serialNumber), hashParameters: Buffer | null = Buffer.from([0x05, 0x00])): Buffer {
  return seq(
    seq(oid(certId.hashAlgorithm.algorithm), ...(hashParameters ? [hashParameters] : [])),
    octets(Buffer.from(certId.issuerNameHash.buffer)),
    octets(Buffer.from(certId.issuerKeyHash.buffer)),
    tlv(0x02, serial),
  );
}

/**
 * What NSS's service locator carries and more (RFC 6960 §4.4): a singleRequestExtensions with the
 * locator and an unknown private extension, requestExtensions with a nonce, acceptable response
 * types and preferred signature algorithms.
 */
function requestWithExtensions(certId: CertID): Buffer {
  const locator = seq(seq(), seq(seq(oid('1.3.6.1.5.5.7.48.1'), tlv(0x86, Buffer.from('http://ocsp.example/')))));
  const single = seq(certIdDer(certId), ctx(0, seq(extension(SERVICE_LOCATOR, locator), extension('1.3.6.1.4.1.99999.7', Buffer.from([0x05, 0x00])))));
  const requestExtensions = ctx(
    2,
    seq(
      extension(NONCE, octets(Buffer.from('0123456789abcdef'))),
      extension(ACCEPTABLE_RESPONSES, seq(oid(BASIC))),
      extension(PREFERRED_SIGNATURE_ALGORITHMS, seq(seq(seq(oid('1.2.840.10045.4.3.2'))))),
    ),
  );
  return seq(seq(seq(single), requestExtensions));
}

function refusal(der: Buffer): string {
  try {
    parseOcspRequest(der, 50);
  } catch (error) {
    if (error instanceof MalformedOcspRequest) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('the RFC 5019 request read by its layout (issue 22: cold questions without a parse)', () => {
  const sha1 = seq(oid('1.3.14.3.2.26'), Buffer.from([0x05, 0x00]));
  const rfc5019 = (serial: Buffer, name = Buffer.alloc(20, 0x11), key = Buffer.alloc(20, 0x22), algorithm = sha1) =>
    seq(seq(seq(seq(seq(algorithm, octets(name), octets(key), tlv(0x02, serial))))));
  const agrees = (der: Buffer) => {
    const fast = rfc5019Question(der);
    if (!fast) return null;
    // Whatever the layout reading accepts, the full reading accepts too, with the same CertID.
    const { certIds, nonce } = parseOcspRequest(der, 50);
    expect(certIds).toHaveLength(1);
    expect(nonce).toBeUndefined();
    expect(fast.certIdHex).toBe(Buffer.from(AsnConvert.serialize(certIds[0]!)).toString('hex'));
    expect(fast.nameHash.equals(Buffer.from(certIds[0]!.issuerNameHash.buffer))).toBe(true);
    expect(fast.keyHash.equals(Buffer.from(certIds[0]!.issuerKeyHash.buffer))).toBe(true);
    expect(fast.serial.equals(Buffer.from(certIds[0]!.serialNumber))).toBe(true);
    return fast;
  };

  it('reads the one SHA-1 CertID of every serial length as parseOcspRequest does, and every one-octet change either the same way or not at all', () => {
    const serials = [Buffer.from([1]), Buffer.from([0x00, 0x80]), Buffer.from(`00${'ff'.repeat(20)}`, 'hex'), Buffer.alloc(32, 0x7f)];
    for (const serial of serials) {
      const der = rfc5019(serial);
      expect(agrees(der), serial.toString('hex')).not.toBeNull();
      let taken = 0;
      for (let at = 0; at < der.length; at++) {
        for (const value of [0x00, 0x30, 0x80, der[at]! ^ 0x01]) {
          if (value === der[at]) continue;
          const changed = Buffer.from(der);
          changed[at] = value;
          if (agrees(changed)) taken += 1;
        }
      }
      // Only changes inside the two hashes and the serial's octets keep the layout.
      expect(taken).toBeGreaterThan(0);
      expect(agrees(der.subarray(0, der.length - 1))).toBeNull();
      expect(agrees(Buffer.concat([der, Buffer.from([0])]))).toBeNull();
    }
  });

  it('leaves every other form to the full reading: nonce, SHA-256, no NULL, two CertIDs, negative or padded serials', () => {
    const certId = seq(sha1, octets(Buffer.alloc(20, 1)), octets(Buffer.alloc(20, 2)), tlv(0x02, Buffer.from([5])));
    expect(rfc5019Question(seq(seq(seq(seq(certId)), ctx(2, seq(extension(NONCE, octets(Buffer.from('0123456789abcdef'))))))))).toBeNull();
    expect(rfc5019Question(rfc5019(Buffer.from([5]), Buffer.alloc(32, 1), Buffer.alloc(32, 2), seq(oid('2.16.840.1.101.3.4.2.1'), Buffer.from([0x05, 0x00]))))).toBeNull();
    expect(rfc5019Question(rfc5019(Buffer.from([5]), undefined, undefined, seq(oid('1.3.14.3.2.26'))))).toBeNull();
    expect(rfc5019Question(seq(seq(seq(seq(certId), seq(certId)))))).toBeNull();
    expect(rfc5019Question(rfc5019(Buffer.from([0x85])))).toBeNull();
    expect(refusal(rfc5019(Buffer.from([0x85])))).toMatch(/negative serial/);
    expect(rfc5019Question(rfc5019(Buffer.from([0x00, 0x05])))).toBeNull();
    expect(refusal(rfc5019(Buffer.from([0x00, 0x05])))).toMatch(/not DER/);
  });
});

/** The tools run while the server answers in this process: never block its event loop. */
function tool(command: string, args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(new Error(`${command} could not run: ${error.message}`));
      resolve({ status: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A tool's standard output as bytes (runTool decodes it as UTF-8). */
function binaryOutput(command: string, args: string[]): Buffer {
  const result = spawnSync(command, args, { timeout: 60_000 });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message} (run scripts/setup-test-tools.sh)`);
  expect(result.status, `${command} ${args.join(' ')}: ${result.stderr.toString()}`).toBe(0);
  return result.stdout;
}

/** An NSS database holding the chain, for ocspclnt. */
function nssDatabase(dir: string, chain: Array<{ nickname: string; pem: string; trust: string }>): string {
  const db = `sql:${join(dir, 'nssdb')}`;
  runTool('mkdir', ['-p', join(dir, 'nssdb')]);
  expect(runTool('certutil', ['-N', '-d', db, '--empty-password']).status).toBe(0);
  for (const { nickname, pem, trust } of chain) expect(runTool('certutil', ['-A', '-d', db, '-n', nickname, '-t', trust, '-a', '-i', pem]).status).toBe(0);
  return db;
}

describe('OCSP requests as other clients write them (RFC 6960 §4.1.1, §4.4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-request-'));
  const run = (command: string, args: string[]) => {
    const result = runTool(command, args);
    expect(result.status, `${command} ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  let certId: CertID;
  beforeAll(() => {
    // A throwaway CA and leaf from OpenSSL: the parser does not care who issued them.
    const p = (name: string) => join(dir, name);
    run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-subj', '/CN=OCSP request test CA', '-days', '2']);
    run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=leaf']);
    writeFileSync(p('ext.cnf'), 'authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\n');
    run('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-set_serial', '0x5c0a0b0c', '-out', p('leaf.pem'), '-days', '1', '-extfile', p('ext.cnf')]);
    run('openssl', ['ocsp', '-issuer', p('ca.pem'), '-cert', p('leaf.pem'), '-no_nonce', '-reqout', p('plain.der')]);
    certId = parseOcspRequest(readFileSync(p('plain.der')), 50).certIds[0]!;
  });

  it('accepts OpenSSL (nonce, no nonce, SHA-256 CertID, signed with a requestorName), NSS (with and without the service locator) and python-cryptography', () => {
    const p = (name: string) => join(dir, name);
    const made: Array<[string, Buffer, boolean]> = [];
    const openssl = (name: string, args: string[], nonce: boolean) => {
      run('openssl', ['ocsp', ...args, '-reqout', p(name)]);
      made.push([`openssl ${args.join(' ')}`, readFileSync(p(name)), nonce]);
    };
    openssl('nonce.der', ['-issuer', p('ca.pem'), '-cert', p('leaf.pem')], true);
    openssl('plain.der', ['-issuer', p('ca.pem'), '-cert', p('leaf.pem'), '-no_nonce'], false);
    openssl('sha256.der', ['-sha256', '-issuer', p('ca.pem'), '-cert', p('leaf.pem')], true);
    openssl('signed.der', ['-issuer', p('ca.pem'), '-cert', p('leaf.pem'), '-signer', p('leaf.pem'), '-signkey', p('leaf.key'), '-sign_other', p('ca.pem')], true);

    const db = nssDatabase(dir, [
      { nickname: 'ca', pem: p('ca.pem'), trust: 'C,,' },
      { nickname: 'leaf', pem: p('leaf.pem'), trust: ',,' },
    ]);
    made.push(['NSS ocspclnt -r -L', binaryOutput('ocspclnt', ['-d', db, '-r', 'leaf', '-L']), false]);
    made.push(['NSS ocspclnt -r', binaryOutput('ocspclnt', ['-d', db, '-r', 'leaf']), false]);

    const python = binaryOutput('/usr/bin/python3', [
      '-c',
      [
        'import sys, os',
        'from cryptography import x509',
        'from cryptography.hazmat.primitives import hashes, serialization',
        'from cryptography.x509 import ocsp',
        `leaf = x509.load_pem_x509_certificate(open(${JSON.stringify(p('leaf.pem'))}, "rb").read())`,
        `ca = x509.load_pem_x509_certificate(open(${JSON.stringify(p('ca.pem'))}, "rb").read())`,
        'b = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA256()).add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)',
        'sys.stdout.buffer.write(b.build().public_bytes(serialization.Encoding.DER))',
      ].join('\n'),
    ]);
    made.push(['python3-cryptography OCSPRequestBuilder', python, true]);

    for (const [who, der, nonce] of made) {
      const question = parseOcspRequest(der, 50);
      expect(question.certIds, who).toHaveLength(1);
      expect(Buffer.from(question.certIds[0]!.serialNumber).toString('hex'), who).toBe('5c0a0b0c');
      expect(question.nonce !== undefined, who).toBe(nonce);
    }
    // NSS's request does carry the locator in singleRequestExtensions: the case this parser exists for.
    const nssDer = made.find(([who]) => who === 'NSS ocspclnt -r -L')![1];
    expect(nssDer.includes(oid(SERVICE_LOCATOR))).toBe(true);
  });

  it('reads the empty requestExtensions BouncyCastle writes as absent (bcprov 1.72 PKIX revocation checker; issue 13)', () => {
    // What Java's PKIX with BouncyCastle's provider sent for the issuing CA (test/interop/chain-revocation.test.ts).
    const bouncyCastle = Buffer.from('MFQwUjBMMEowSDAHBgUrDgMCGgQULj8eSUW+Acx+Rw8rtSn1xAn2O2QEFNvAy8cTjAiXptybdyrzIg30h8tIAhFcMls/MBKjIyShmU7woTgaJaICMAA=', 'base64');
    const question = parseOcspRequest(bouncyCastle, 50);
    expect(question.certIds).toHaveLength(1);
    expect(question.nonce).toBeUndefined();
  });

  it('accepts and ignores unknown singleRequestExtensions and requestExtensions; reads the nonce among them (RFC 6960 §4.4)', () => {
    const question = parseOcspRequest(requestWithExtensions(certId), 50);
    expect(question.certIds).toHaveLength(1);
    expect(Buffer.from(AsnConvert.serialize(question.certIds[0]!)).equals(certIdDer(certId))).toBe(true);
    expect(question.nonce?.extnID).toBe(NONCE);
  });

  it('refuses BER and non-canonical encodings, each with its reason (X.690 §10–11)', () => {
    const plain = readFileSync(join(dir, 'plain.der'));
    const single = (cid: Buffer, ...rest: Buffer[]) => seq(seq(seq(seq(cid, ...rest))));
    const withOuterHeader = (header: Buffer, trailer = Buffer.alloc(0)) => Buffer.concat([header, plain.subarray(2), trailer]);
    expect(plain[1]!).toBeLessThan(0x80);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['long-form outer length', withOuterHeader(Buffer.from([0x30, 0x81, plain[1]!])), /long-form length/],
      ['indefinite outer length', withOuterHeader(Buffer.from([0x30, 0x80]), Buffer.from([0, 0])), /indefinite length/],
      ['a byte after the request', Buffer.concat([plain, Buffer.from([0])]), /1 byte after/],
      ['serial with a redundant leading zero', single(certIdDer(certId, Buffer.concat([Buffer.from([0]), Buffer.from(certId.serialNumber)]))), /INTEGER .*not minimal/],
      ['negative serial', single(certIdDer(certId, Buffer.from([0xff, 0x01]))), /negative serial/],
      ['hash parameters other than NULL', single(certIdDer(certId, undefined, oid('1.2.3'))), /parameters other than absent or NULL/],
      ['version v1 written out', seq(seq(ctx(0, tlv(0x02, Buffer.from([0]))), seq(seq(certIdDer(certId))))), /version v1 written out/],
      ['version 2', seq(seq(ctx(0, tlv(0x02, Buffer.from([1]))), seq(seq(certIdDer(certId))))), /only v1 exists/],
      ['critical FALSE written out', single(certIdDer(certId), ctx(0, seq(seq(oid(SERVICE_LOCATOR), Buffer.from([0x01, 0x01, 0x00]), octets(seq()))))), /DEFAULT value written out/],
      ['BOOLEAN TRUE as 01', single(certIdDer(certId), ctx(0, seq(seq(oid(SERVICE_LOCATOR), Buffer.from([0x01, 0x01, 0x01]), octets(seq()))))), /BOOLEAN/],
      ['unknown critical extension', single(certIdDer(certId), ctx(0, seq(extension('1.3.6.1.4.1.99999.8', seq(), true)))), /unknown critical extension/],
      ['the same extension twice', single(certIdDer(certId), ctx(0, seq(extension(SERVICE_LOCATOR, seq()), extension(SERVICE_LOCATOR, seq())))), /twice/],
      ['empty singleRequestExtensions', single(certIdDer(certId), ctx(0, seq())), /empty|fields an OCSPRequest does not have/],
      ['no CertID', seq(seq(seq())), /1 to 50 certificates/],
      ['a field after requestExtensions', seq(seq(seq(seq(certIdDer(certId))), ctx(2, seq(extension(NONCE, octets(Buffer.from('x'))))), tlv(0x05, Buffer.alloc(0)))), /not an OCSPRequest|fields an OCSPRequest does not have/],
      ['a 33-octet nonce', seq(seq(seq(seq(certIdDer(certId))), ctx(2, seq(extension(NONCE, octets(Buffer.alloc(33, 7))))))), /nonce of 33 octets/],
      ['constructed OCTET STRING', single(seq(seq(oid('1.3.14.3.2.26'), Buffer.from([5, 0])), tlv(0x24, octets(Buffer.alloc(20))), octets(Buffer.alloc(20)), tlv(2, Buffer.from([1])))), /constructed/],
      ['nested 60 deep', [...Array(60)].reduce((inner: Buffer) => seq(inner), Buffer.alloc(0)), /nested deeper/],
    ];
    for (const [name, der, reason] of cases) expect(refusal(der), name).toMatch(reason);
  });
});

describe.each(storeBackends)('the responder answers what NSS and the RFC send, refuses what is not DER, on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  let leafPem: string;
  let issuingPem: string;
  let rootPem: string;
  let db: string;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await openTestSignet(backend, { clock: () => now, publicUrl: url });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-nss-'));
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'leaf');
    const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=NSS OCSP leaf', subscriberId: 's1', requestedBy: 'test', reason: 'test' });
    rootPem = writePem(dir, 'root.pem', h.root.der);
    issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
    leafPem = writePem(dir, 'leaf.pem', issued.der);
    db = nssDatabase(dir, [
      { nickname: 'root', pem: rootPem, trust: 'CT,C,C' },
      { nickname: 'issuing', pem: issuingPem, trust: ',,' },
      { nickname: 'leaf', pem: leafPem, trust: ',,' },
    ]);
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  const post = (payload: Buffer) => app.inject({ method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, payload });
  const basicOf = (der: Buffer) => {
    const response = AsnConvert.parse(der, OCSPResponse);
    expect(response.responseStatus).toBe(OCSPResponseStatus.successful);
    return AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse);
  };
  const counts = async () => {
    const db = statusDb(t.signet.store);
    const n = async (table: 'ocsp_responses' | 'revocations' | 'audit_entries') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return [await n('ocsp_responses'), await n('revocations'), await n('audit_entries')];
  };

  it('NSS ocspclnt -L (service locator in singleRequestExtensions) is answered good, and OpenSSL matches the answer to that request (issue 23 item 3)', async () => {
    const request = binaryOutput('ocspclnt', ['-d', db, '-r', 'leaf', '-L']);
    const response = await post(request);
    const basic = basicOf(response.rawPayload);
    expect(basic.tbsResponseData.responses[0]!.certStatus.good).toBeDefined();
    writeFileSync(join(dir, 'nss-req.der'), request);
    writeFileSync(join(dir, 'nss-resp.der'), response.rawPayload);
    const check = await tool('openssl', ['ocsp', '-reqin', join(dir, 'nss-req.der'), '-respin', join(dir, 'nss-resp.der'), '-issuer', issuingPem, '-cert', leafPem, '-CAfile', rootPem]);
    expect(check.output).toContain('Response verify OK');
    expect(check.output).toContain(`${leafPem}: good`);
    // NSS reads the answer to its own request.
    // From a file: ocspclnt reads a pipe short (SEC_ERROR_INPUT_LEN).
    const nssRead = spawnSync('ocspclnt', ['-d', db, '-P'], { stdio: [openSync(join(dir, 'nss-resp.der'), 'r'), 'pipe', 'pipe'], encoding: 'utf8' });
    expect(nssRead.status, nssRead.stderr).toBe(0);
    expect(nssRead.stdout).toContain('Status: Cert is good.');
  });


  it('a hand-built request with unknown single and request extensions is answered, nonce echoed; its BER twin is malformedRequest and writes nothing', async () => {
    const plainFile = join(dir, 'plain.der');
    expect((await tool('openssl', ['ocsp', '-issuer', issuingPem, '-cert', leafPem, '-no_nonce', '-reqout', plainFile])).status).toBe(0);
    const certId = parseOcspRequest(readFileSync(plainFile), 50).certIds[0]!;
    const request = requestWithExtensions(certId);
    const basic = basicOf((await post(request)).rawPayload);
    expect(basic.tbsResponseData.responses[0]!.certStatus.good).toBeDefined();
    expect(Buffer.from(AsnConvert.serialize(basic.tbsResponseData.responses[0]!.certID)).equals(certIdDer(certId))).toBe(true);
    const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === NONCE);
    expect(Buffer.from(echoed!.extnValue.buffer).equals(octets(Buffer.from('0123456789abcdef')))).toBe(true);

    const before = await counts();
    const ber = Buffer.concat([Buffer.from([0x30, 0x80]), request.subarray(2), Buffer.from([0, 0])]);
    const padded = seq(seq(seq(seq(certIdDer(certId, Buffer.concat([Buffer.from([0]), Buffer.from(certId.serialNumber)]))))));
    for (const body of [ber, padded]) {
      const response = await post(body);
      expect(response.statusCode).toBe(200);
      expect(AsnConvert.parse(response.rawPayload, OCSPResponse).responseStatus).toBe(OCSPResponseStatus.malformedRequest);
      const get = await app.inject(`/ocsp/${encodeURIComponent(body.toString('base64'))}`);
      expect(AsnConvert.parse(get.rawPayload, OCSPResponse).responseStatus).toBe(OCSPResponseStatus.malformedRequest);
    }
    expect(await counts()).toEqual(before);
  });

  it('NSS ocspclnt -S asks over HTTP (the AIA URL) and trusts the answer: succeeded, then revoked', async () => {
    const good = await tool('ocspclnt', ['-d', db, '-S', 'leaf']);
    expect(good.output).toContain('Check of certificate "leaf" succeeded');
    const serial = new X509Certificate(readFileSync(leafPem)).serialNumber.toLowerCase();
    await t.signet.status.revokeCertificate({ serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:1' });
    const revoked = await tool('ocspclnt', ['-d', db, '-S', 'leaf']);
    expect(revoked.output).toMatch(/revoked/i);
    expect(revoked.output).not.toContain('succeeded');
  });
});
