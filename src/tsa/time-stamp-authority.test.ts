import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { SignedData } from '@peculiar/asn1-cms';
import { MessageImprint, TimeStampReq, TimeStampResp, TSTInfo, type TimeStampReqVersion } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Extension, Extensions } from '@peculiar/asn1-x509';
import type { FastifyInstance } from 'fastify';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { checkDer } from '../crypto/strict-der.js';
import { SignedAttributes } from './cms-signed-data.js';
import { failuresIn, normaliseOid } from './time-stamp-query.js';
import { TimeStampAuthority, tsaPolicyOid } from './time-stamp-authority.js';
import { tsaDatabase } from './token-ledger.js';

afterAll(dropFreshStores);

function parseReply(der: Buffer) {
  const response = AsnConvert.parse(der, TimeStampResp);
  const token = response.timeStampToken;
  const signedData = token ? AsnConvert.parse(token.content, SignedData) : undefined;
  const eContent = signedData?.encapContentInfo.eContent?.single;
  const tstInfo = eContent ? AsnConvert.parse(eContent.buffer, TSTInfo) : undefined;
  return { response, signedData, tstInfo, failures: response.status.failInfo ? failuresIn(response.status.failInfo) : [] };
}

describe.each(storeBackends)('the RFC 3161 time-stamping authority on %s (R13, RFC 3161)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let rootPem: string;
  let untrustedPem: string;
  let document: string;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    dir = mkdtempSync(join(tmpdir(), 'signet-tsa-'));
    rootPem = writePem(dir, 'root.pem', h.root.der);
    // openssl ts -verify builds the chain TSA → issuing CA → root from -untrusted and -CAfile.
    untrustedPem = writePem(dir, 'untrusted.pem', h.tsa.der, h.issuing.der);
    document = join(dir, 'contract.txt');
    writeFileSync(document, '甲方与乙方于 2026 年 11 月签订的交易合同 / transaction record 42\n');
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  async function post(query: Buffer, contentType = 'application/timestamp-query') {
    const response = await app.inject({ method: 'POST', url: '/tsa', payload: query, headers: { 'content-type': contentType } });
    return { status: response.statusCode, type: response.headers['content-type'], body: response.rawPayload };
  }

  function opensslQuery(name: string, ...args: string[]): Buffer {
    const path = join(dir, `${name}.tsq`);
    const made = runTool('openssl', ['ts', '-query', '-data', document, ...args, '-out', path]);
    expect(made.status, made.stderr).toBe(0);
    return readFileSync(path);
  }

  it.each(['sha256', 'sha384', 'sha512'])('stamps a %s query that openssl ts -verify accepts, and a tampered file fails', async (hash) => {
    const query = opensslQuery(`q-${hash}`, `-${hash}`, '-cert');
    const reply = await post(query);
    expect(reply.status).toBe(200);
    expect(reply.type).toBe('application/timestamp-reply');
    const replyPath = join(dir, `r-${hash}.tsr`);
    writeFileSync(replyPath, reply.body);

    const verified = runTool('openssl', ['ts', '-verify', '-data', document, '-in', replyPath, '-CAfile', rootPem, '-untrusted', untrustedPem]);
    expect(verified.stdout + verified.stderr).toContain('Verification: OK');
    expect(verified.status).toBe(0);

    const tampered = join(dir, `tampered-${hash}.txt`);
    writeFileSync(tampered, readFileSync(document, 'utf8').replace('42', '43'));
    const refused = runTool('openssl', ['ts', '-verify', '-data', tampered, '-in', replyPath, '-CAfile', rootPem, '-untrusted', untrustedPem]);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/message imprint mismatch/i);
  });

  it('echoes the nonce, states policy and accuracy, and records the unique serial (RFC 3161 §2.4.2)', async () => {
    const query = opensslQuery('nonce', '-sha256', '-cert');
    const request = AsnConvert.parse(query, TimeStampReq);
    expect(request.nonce).toBeDefined();
    const { tstInfo, signedData } = parseReply((await post(query)).body);
    expect(Buffer.from(tstInfo!.nonce!)).toEqual(Buffer.from(request.nonce!));
    expect(normaliseOid(tstInfo!.policy)).toBe(tsaPolicyOid(t.config.policyOid));
    expect(tstInfo!.accuracy?.seconds).toBe(1);
    expect(signedData!.certificates).toHaveLength(2);

    const serial = Buffer.from(tstInfo!.serialNumber).toString('hex');
    expect(serial).toHaveLength(34);
    const row = await t.signet.tsa.token(serial);
    expect(row.gen_time).toBe(tstInfo!.genTime.toISOString());
    expect(row.message_imprint).toBe(Buffer.from(request.messageImprint.hashedMessage.buffer).toString('hex'));
    expect(row.policy).toBe(normaliseOid(tstInfo!.policy));
  });

  it('with certReq carries the TSA and issuing CA certificates, so openssl ts -verify and BouncyCastle need only the root (RFC 3161 §2.4.1)', async () => {
    const reply = await post(opensslQuery('chain', '-sha256', '-cert'));
    const { signedData } = parseReply(reply.body);
    const carried = (signedData!.certificates ?? []).map((c) => Buffer.from(AsnConvert.serialize(c.certificate!)));
    expect(carried.map((c) => c.toString('hex')).sort()).toEqual([h.tsa.der, h.issuing.der].map((c) => c.toString('hex')).sort());
    // DER SET OF order (X.690 §11.6), whichever certificate that puts first.
    expect(Buffer.compare(carried[0]!, carried[1]!)).toBeLessThan(0);
    const replyPath = join(dir, 'chain.tsr');
    writeFileSync(replyPath, reply.body);
    const verified = runTool('openssl', ['ts', '-verify', '-data', document, '-in', replyPath, '-CAfile', rootPem]);
    expect(verified.stdout + verified.stderr).toContain('Verification: OK');
    // Without certReq the root alone is not enough: the control that shows the chain is what the token carries.
    const bare = join(dir, 'bare.tsr');
    writeFileSync(bare, (await post(opensslQuery('bare', '-sha256'))).body);
    expect(runTool('openssl', ['ts', '-verify', '-data', document, '-in', bare, '-CAfile', rootPem]).status).not.toBe(0);
  });

  it('leaves the TSA certificate out unless certReq asks for it, and the token still verifies with -untrusted', async () => {
    const reply = await post(opensslQuery('no-cert', '-sha256'));
    const { signedData } = parseReply(reply.body);
    expect(signedData!.certificates).toBeUndefined();
    const replyPath = join(dir, 'no-cert.tsr');
    writeFileSync(replyPath, reply.body);
    const verified = runTool('openssl', ['ts', '-verify', '-data', document, '-in', replyPath, '-CAfile', rootPem, '-untrusted', untrustedPem]);
    expect(verified.stdout).toContain('Verification: OK');
  });

  it('gives every token its own serial: prefix octet, genTime in milliseconds, 80 random bits (RFC 3161 §2.4.2)', async () => {
    const query = opensslQuery('many', '-sha256', '-no_nonce');
    const replies = await Promise.all(Array.from({ length: 50 }, () => post(query)));
    const tokens = replies.map((r) => parseReply(r.body).tstInfo!);
    const serials = new Set(tokens.map((tst) => Buffer.from(tst.serialNumber).toString('hex')));
    expect(serials.size).toBe(50);
    for (const serial of serials) await t.signet.tsa.token(serial);
    // Ordered by the time the token states, so the ledger's key index is appended to (time-stamp-authority.ts, orderedByTime).
    for (const tst of tokens) {
      const serial = Buffer.from(tst.serialNumber);
      expect(serial).toHaveLength(17);
      expect(serial[0]).toBe(t.config.serialPrefix);
      expect(serial.readUIntBE(1, 6)).toBe(tst.genTime.getTime());
    }
    // The random part differs even between tokens of the same millisecond.
    expect(new Set(tokens.map((tst) => Buffer.from(tst.serialNumber).subarray(7).toString('hex'))).size).toBe(50);
  });

  const imprint = (hash: string, length: number) =>
    new MessageImprint({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: hash }), hashedMessage: new OctetString(new Uint8Array(length).fill(7)) });
  const SHA256 = '2.16.840.1.101.3.4.2.1';

  it.each([
    { why: 'bytes that are not a TimeStampReq', query: () => Buffer.from('hello, TSA'), failure: 'badDataFormat' },
    { why: 'an empty body', query: () => Buffer.alloc(0), failure: 'badDataFormat' },
    {
      why: 'trailing bytes after the request',
      query: () => Buffer.concat([Buffer.from(AsnConvert.serialize(new TimeStampReq({ messageImprint: imprint(SHA256, 32) }))), Buffer.from([0])]),
      failure: 'badDataFormat',
    },
    { why: 'a SHA-1 imprint', query: () => opensslQuery('sha1', '-sha1'), failure: 'badAlg' },
    {
      why: 'an MD5 imprint',
      query: () => Buffer.from(AsnConvert.serialize(new TimeStampReq({ messageImprint: imprint('1.2.840.113549.2.5', 16) }))),
      failure: 'badAlg',
    },
    {
      why: 'an imprint of the wrong length',
      query: () => Buffer.from(AsnConvert.serialize(new TimeStampReq({ messageImprint: imprint(SHA256, 20) }))),
      failure: 'badDataFormat',
    },
    {
      why: 'version 2',
      query: () => Buffer.from(AsnConvert.serialize(new TimeStampReq({ version: 2 as TimeStampReqVersion, messageImprint: imprint(SHA256, 32) }))),
      failure: 'badDataFormat',
    },
    { why: 'a policy the TSA does not have', query: () => opensslQuery('policy', '-sha256', '-tspolicy', '1.2.3.4.5'), failure: 'unacceptedPolicy' },
    {
      why: 'an extension the TSA does not know',
      query: () =>
        Buffer.from(
          AsnConvert.serialize(
            new TimeStampReq({
              messageImprint: imprint(SHA256, 32),
              extensions: new Extensions([new Extension({ extnID: '1.2.3.4', critical: false, extnValue: new OctetString(new Uint8Array([5, 0])) })]),
            }),
          ),
        ),
      failure: 'unacceptedExtension',
    },
  ])('answers $why with a rejection ($failure), not an HTTP error, and records nothing', async ({ query, failure }) => {
    const db = tsaDatabase(t.signet.store);
    const before = await db.selectFrom('timestamp_tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const reply = await post(query());
    expect(reply.status).toBe(200);
    const { response, failures } = parseReply(reply.body);
    expect(response.status.status).toBe(2);
    expect(response.timeStampToken).toBeUndefined();
    expect(failures).toEqual([failure]);
    expect(response.status.statusString?.length).toBe(2);
    const after = await db.selectFrom('timestamp_tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));

    // OpenSSL reads the same rejection.
    const path = join(dir, `rejected-${failure}.tsr`);
    writeFileSync(path, reply.body);
    const text = runTool('openssl', ['ts', '-reply', '-in', path, '-text']);
    expect(text.stdout).toMatch(/Status: Rejected/);
  });

  it('accepts a query that names the TSA policy', async () => {
    const reply = await post(opensslQuery('our-policy', '-sha256', '-tspolicy', tsaPolicyOid(t.config.policyOid)));
    expect(parseReply(reply.body).response.status.status).toBe(0);
  });

  it('never states a time earlier than one it stated, across restarts (clock guard)', async () => {
    let now = new Date('2030-01-01T00:00:10.000Z');
    const clock = () => now;
    const tsa = new TimeStampAuthority({ ca: t.signet.ca, policyArc: t.config.policyOid, serialPrefix: 0x5c, clock, accuracyMs: 1000 });
    const query = opensslQuery('clock', '-sha256');
    const first = parseReply((await tsa.reply(query)).der).tstInfo!;
    expect(first.genTime.toISOString()).toBe('2030-01-01T00:00:10.000Z');

    now = new Date('2030-01-01T00:00:09.400Z'); // 600 ms back: within the accuracy, the last time is reused
    const second = parseReply((await tsa.reply(query)).der).tstInfo!;
    expect(second.genTime.toISOString()).toBe('2030-01-01T00:00:10.000Z');

    now = new Date('2030-01-01T00:00:05.000Z'); // 5 s back: the clock is not trusted
    const refused = parseReply((await tsa.reply(query)).der);
    expect(refused.failures).toEqual(['timeNotAvailable']);

    // A fresh TSA (a restart) reads the high-water mark from the store.
    const restarted = new TimeStampAuthority({ ca: t.signet.ca, policyArc: t.config.policyOid, serialPrefix: 0x5c, clock, accuracyMs: 1000 });
    expect(parseReply((await restarted.reply(query)).der).failures).toEqual(['timeNotAvailable']);
    now = new Date('2030-01-01T00:00:11.250Z');
    expect(parseReply((await restarted.reply(query)).der).tstInfo!.genTime.toISOString()).toBe('2030-01-01T00:00:11.250Z');
  });

  it('emits canonical DER: asn1-schema re-encodes the token and the reply byte for byte (token-encoder.ts)', async () => {
    for (const args of [['-sha256', '-cert'], ['-sha512', '-no_nonce']]) {
      const query = opensslQuery('canonical', ...args);
      const reply = (await post(query)).body;
      expect(() => checkDer(reply)).not.toThrow();
      const response = AsnConvert.parse(reply, TimeStampResp);
      expect(Buffer.from(AsnConvert.serialize(response))).toEqual(reply);
      const token = response.timeStampToken!;
      const signedData = AsnConvert.parse(token.content, SignedData);
      expect(Buffer.from(AsnConvert.serialize(signedData))).toEqual(Buffer.from(token.content));
      const tstDer = signedData.encapContentInfo.eContent!.single!.buffer;
      const tstInfo = AsnConvert.parse(tstDer, TSTInfo);
      // asn1js reads a 128-bit OID arc as {hex}; given back in decimal it re-encodes exactly.
      tstInfo.policy = normaliseOid(tstInfo.policy);
      expect(Buffer.from(AsnConvert.serialize(tstInfo))).toEqual(Buffer.from(tstDer));
      // OpenSSL writes the hash's parameters as NULL; the imprint rebuilt from values says so too (RFC 3161 §2.4.2).
      const asked = AsnConvert.parse(query, TimeStampReq).messageImprint;
      expect(asked.hashAlgorithm.parameters).not.toBeUndefined();
      expect(Buffer.from(AsnConvert.serialize(tstInfo.messageImprint))).toEqual(Buffer.from(AsnConvert.serialize(asked)));
      expect(signedData.version).toBe(3);
      expect(signedData.signerInfos[0]!.signedAttrs!.map((a) => a.attrType).sort()).toEqual(
        ['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.16.2.47'].sort(),
      );
    }
  });

  it('builds every kind of token from values: each nonce length, high-bit nonces, no nonce, certReq or not, every hash (token-encoder.ts, RFC 3161 §2.4.2)', async () => {
    const tsaKey = new X509Certificate(h.tsa.der).publicKey;
    const shapes: Array<{ hash: 'sha256' | 'sha384' | 'sha512'; nonce?: Buffer; certReq: boolean }> = [
      { hash: 'sha256', nonce: Buffer.from([0x01]), certReq: true },
      { hash: 'sha256', nonce: Buffer.from('00ff0102030405060708090a0b0c0d0e0f1011', 'hex'), certReq: true },
      { hash: 'sha256', nonce: Buffer.from('7f'.repeat(32), 'hex'), certReq: false },
      { hash: 'sha256', certReq: false },
      { hash: 'sha384', nonce: Buffer.from('0102030405060708', 'hex'), certReq: true },
      { hash: 'sha512', certReq: true },
    ];
    const oids = { sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3' };
    for (const shape of shapes) {
      // Twice each: nothing is remembered from one token to the next.
      for (let round = 0; round < 2; round++) {
        const digest = createHash(shape.hash).update(`${shape.hash}-${round}-${shape.nonce?.length}`).digest();
        const query = Buffer.from(
          AsnConvert.serialize(
            new TimeStampReq({
              messageImprint: new MessageImprint({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: oids[shape.hash] }), hashedMessage: new OctetString(digest) }),
              ...(shape.nonce ? { nonce: new Uint8Array(shape.nonce).buffer } : {}),
              certReq: shape.certReq,
            }),
          ),
        );
        const der = (await t.signet.tsa.reply(query)).der;
        // Strict DER out (X.690 §10–11), whole reply.
        expect(() => checkDer(der)).not.toThrow();
        const { response, signedData, tstInfo } = parseReply(der);
        // The imprint is the request's value, rebuilt: the same DER as the request's.
        expect(Buffer.from(AsnConvert.serialize(tstInfo!.messageImprint))).toEqual(Buffer.from(AsnConvert.serialize(AsnConvert.parse(query, TimeStampReq).messageImprint)));
        expect(Buffer.from(AsnConvert.serialize(response))).toEqual(der);
        expect(Buffer.from(AsnConvert.serialize(signedData!))).toEqual(Buffer.from(response.timeStampToken!.content));
        expect(Buffer.from(tstInfo!.messageImprint.hashedMessage.buffer)).toEqual(digest);
        expect(tstInfo!.nonce ? Buffer.from(tstInfo!.nonce) : undefined).toEqual(shape.nonce);
        expect(Buffer.from(tstInfo!.serialNumber).length).toBe(17);
        expect(Boolean(signedData!.certificates?.length)).toBe(shape.certReq);
        // The signature covers the signed attributes as asn1-schema encodes them, under the TSA certificate's key.
        const signerInfo = signedData!.signerInfos[0]!;
        const toBeSigned = Buffer.from(AsnConvert.serialize(new SignedAttributes(signerInfo.signedAttrs!)));
        expect(verify('sha256', toBeSigned, tsaKey, Buffer.from(signerInfo.signature.buffer))).toBe(true);
        const messageDigest = signerInfo.signedAttrs!.find((a) => a.attrType === '1.2.840.113549.1.9.4')!;
        const eContent = Buffer.from(signedData!.encapContentInfo.eContent!.single!.buffer);
        expect(Buffer.from(AsnConvert.parse(messageDigest.attrValues[0]!, OctetString).buffer)).toEqual(createHash('sha256').update(eContent).digest());
      }
    }
  });

  it('serves its certificate for verifiers', async () => {
    const response = await app.inject({ method: 'GET', url: '/tsa/certificate.pem' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('BEGIN CERTIFICATE');
  });
});
