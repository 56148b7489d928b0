import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPRequest, OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { openSignet } from '../signet.js';
import { statusDomainRevoker } from '../ra/status-revoker.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { statusDb } from './schema.js';

afterAll(dropFreshStores);

/** The server runs in this process, so the tools must run without blocking its event loop. */
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

function responseStatus(der: Buffer): OCSPResponseStatus {
  return AsnConvert.parse(der, OCSPResponse).responseStatus;
}

function basicOf(der: Buffer): BasicOCSPResponse {
  const response = AsnConvert.parse(der, OCSPResponse);
  return AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse);
}

describe.each(storeBackends)('the OCSP responder on %s (RFC 6960, RFC 5019, R7, R16)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let dir: string;
  let url: string;
  let rootPem: string;
  let issuingPem: string;
  let now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await openTestSignet(backend, { clock: () => now, publicUrl: url });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-'));
    rootPem = writePem(dir, 'root.pem', h.root.der);
    issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  let counter = 0;
  async function issueLeaf(): Promise<{ serial: string; pem: string }> {
    counter += 1;
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `leaf-${counter}`);
    const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=ocsp leaf ${counter}`, subscriberId: `s${counter}`, requestedBy: 'test', reason: 'test' });
    return { serial: issued.serial, pem: writePem(dir, `leaf-${counter}.pem`, issued.der) };
  }
  const opensslOcsp = (...args: string[]) =>
    tool('openssl', ['ocsp', '-issuer', issuingPem, '-url', `${url}/ocsp`, '-CAfile', rootPem, ...args]);
  async function requestFile(leafPem: string, ...extra: string[]): Promise<Buffer> {
    const file = join(dir, `req-${randomBytes(4).toString('hex')}.der`);
    const made = await tool('openssl', ['ocsp', '-issuer', issuingPem, '-cert', leafPem, '-reqout', file, ...extra]);
    expect(made.status).toBe(0);
    return readFileSync(file);
  }
  const post = (payload: Buffer, contentType = 'application/ocsp-request') =>
    app.inject({ method: 'POST', url: '/ocsp', headers: { 'content-type': contentType }, payload });
  const counts = async () => {
    const db = statusDb(t.signet.store);
    const n = async (table: 'ocsp_responses' | 'revocations' | 'audit_entries' | 'crl_archive') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return [await n('ocsp_responses'), await n('revocations'), await n('audit_entries'), await n('crl_archive')];
  };

  it('openssl ocsp says good, then revoked with the right reason right after the revocation (nonce echoed)', async () => {
    const leaf = await issueLeaf();
    const good = await opensslOcsp('-cert', leaf.pem);
    expect(good.output).toContain('Response verify OK');
    expect(good.output).toContain(`${leaf.pem}: good`);
    expect(good.output).not.toContain('WARNING');

    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:1' });
    const revoked = await opensslOcsp('-cert', leaf.pem);
    expect(revoked.output).toContain('Response verify OK');
    expect(revoked.output).toContain(`${leaf.pem}: revoked`);
    expect(revoked.output).toContain('Reason: keyCompromise');
    expect(revoked.output).toContain('Revocation Time');
  });

  it('answers a CertID hashed with SM3 (GM/T 0015 clients) as it answers SHA-1 and SHA-256 ones', async () => {
    const leaf = await issueLeaf();
    for (const digest of ['-sha1', '-sha256', '-sm3']) {
      const answer = await opensslOcsp(digest, '-cert', leaf.pem);
      expect(answer.output, digest).toContain('Response verify OK');
      expect(answer.output, digest).toContain(`${leaf.pem}: good`);
    }
  });

  it('-no_nonce: the pre-signed response is served from cache, and replaced at once on revocation (RFC 5019 §2.2, R7)', async () => {
    const leaf = await issueLeaf();
    const first = await opensslOcsp('-cert', leaf.pem, '-no_nonce');
    expect(first.output).toContain('Response verify OK');
    expect(first.output).toContain(`${leaf.pem}: good`);
    const request = await requestFile(leaf.pem, '-no_nonce');
    const a = await post(request);
    const b = await app.inject(`/ocsp/${encodeURIComponent(request.toString('base64'))}`);
    expect(a.headers['content-type']).toBe('application/ocsp-response');
    expect(a.rawPayload.equals(b.rawPayload)).toBe(true);
    expect(a.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(a.headers.etag).toBeDefined();
    const stored = await statusDb(t.signet.store).selectFrom('ocsp_responses').selectAll().where('serial', '=', leaf.serial).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.der.equals(a.rawPayload)).toBe(true);

    await t.signet.status.revokeCertificate({ serial: leaf.serial, ground: 'breach', channel: 'ca', requestedBy: 'operator:a', justification: '违反协议' });
    const after = await opensslOcsp('-cert', leaf.pem, '-no_nonce');
    expect(after.output).toContain(`${leaf.pem}: revoked`);
    // OpenSSL 3.0 names reasons 0–8 only and prints privilegeWithdrawn (9) as "(UNKNOWN)": check the DER.
    const reason = basicOf((await post(request)).rawPayload).tbsResponseData.responses[0]!.certStatus.revoked?.revocationReason;
    expect(reason?.reason).toBe(9);
    const row = await statusDb(t.signet.store).selectFrom('ocsp_responses').selectAll().where('serial', '=', leaf.serial).executeTakeFirstOrThrow();
    expect(row.status).toBe('revoked');
  });

  it('a revocation through any code path, or on another node, is never answered good again (R7)', async () => {
    const here = await issueLeaf();
    const request = await requestFile(here.pem, '-no_nonce');
    const status = async () => basicOf((await post(request)).rawPayload).tbsResponseData.responses[0]!.certStatus;
    expect((await status()).good).toBeDefined();
    // The RA's path (the agreement's objections are wired the same way, src/signet.ts): through the status domain,
    // whose own responder hears of it before the call returns; no module-level listener list (issue 14).
    await statusDomainRevoker(t.signet.status).revokeCertificate({ serial: here.serial, reason: 'superseded', actor: 'ra:1', justification: '' });
    expect((await status()).revoked).toBeDefined();

    const elsewhere = await issueLeaf();
    const otherRequest = await requestFile(elsewhere.pem, '-no_nonce');
    expect(basicOf((await post(otherRequest)).rawPayload).tbsResponseData.responses[0]!.certStatus.good).toBeDefined();
    const otherNode = await openSignet(t.config, { clock: () => now });
    try {
      await otherNode.status.revokeCertificate({ serial: elsewhere.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'subscriber:2' });
    } finally {
      await otherNode.close();
    }
    await t.signet.status.ocsp.syncRevocations();
    const answer = basicOf((await post(otherRequest)).rawPayload).tbsResponseData.responses[0]!.certStatus;
    expect(answer.revoked?.revocationReason?.reason).toBe(5);
  });

  it('answers several certificates in one request, unknown for a serial it never issued', async () => {
    const one = await issueLeaf();
    const two = await issueLeaf();
    await t.signet.status.revokeCertificate({ serial: two.serial, reason: 'superseded', channel: 'ra', requestedBy: 'ra:1' });
    const out = await opensslOcsp('-cert', one.pem, '-cert', two.pem, '-serial', '0x5c0102030405');
    expect(out.output).toContain('Response verify OK');
    expect(out.output).toContain(`${one.pem}: good`);
    expect(out.output).toContain(`${two.pem}: revoked`);
    expect(out.output).toContain('Reason: superseded');
    expect(out.output).toContain('0x5c0102030405: unknown');
  });

  it('includes the delegated responder certificate (id-kp-OCSPSigning, ocsp-nocheck) and names it by key hash', async () => {
    const leaf = await issueLeaf();
    const response = await post(await requestFile(leaf.pem));
    const basic = basicOf(response.rawPayload);
    expect(basic.certs).toHaveLength(1);
    expect(Buffer.from(AsnConvert.serialize(basic.certs![0]!)).equals(h.ocspSigner.der)).toBe(true);
    expect(basic.tbsResponseData.responderID.byKey).toBeDefined();
    expect(basic.tbsResponseData.responseExtensions?.[0]?.extnID).toBe('1.3.6.1.5.5.7.48.1.2');
  });

  it('GnuTLS ocsptool --ask agrees: good, then revoked', async () => {
    const leaf = await issueLeaf();
    const ask = () => tool('ocsptool', [`--ask=${url}/ocsp`, `--load-issuer=${issuingPem}`, `--load-cert=${leaf.pem}`]);
    const good = await ask();
    expect(good.output).toMatch(/Certificate Status: good/);
    expect(good.output).toMatch(/Verifying OCSP Response: Success/);
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'affiliationChanged', channel: 'ra', requestedBy: 'ra:1' });
    const revoked = await ask();
    expect(revoked.output).toMatch(/Certificate Status: revoked/);
    expect(revoked.output).toMatch(/Verifying OCSP Response: Success/);
  });

  it('refreshes a stored response before it goes stale (RFC 5019 §2.2.1)', async () => {
    const leaf = await issueLeaf();
    const request = await requestFile(leaf.pem, '-no_nonce');
    const first = await post(request);
    const before = basicOf(first.rawPayload).tbsResponseData.responses[0]!.thisUpdate;
    const saved = now;
    now = new Date(now.getTime() + 17 * 3_600_000);
    try {
      expect(await t.signet.status.ocsp.refreshStale()).toBeGreaterThanOrEqual(1);
      const refreshed = await post(request);
      const after = basicOf(refreshed.rawPayload).tbsResponseData.responses[0]!;
      expect(after.thisUpdate.getTime()).toBeGreaterThan(before.getTime());
      expect(after.nextUpdate!.getTime() - now.getTime()).toBeGreaterThan(16 * 3_600_000);
    } finally {
      now = saved;
    }
  });

  it('the root\'s certificates are answered from its ceremony, signed by the root and never by the running server; before it, unauthorized', async () => {
    const file = join(dir, 'req-root.der');
    await tool('openssl', ['ocsp', '-issuer', rootPem, '-cert', issuingPem, '-reqout', file]);
    expect(responseStatus((await post(readFileSync(file))).rawPayload)).toBe(OCSPResponseStatus.unauthorized);

    await t.signet.status.rootCeremony({ actor: 'test', nextUpdateDays: 365 });
    const before = await counts();
    for (const digest of ['-sha1', '-sha256']) {
      // A relying party checking every certificate of the chain (Java PKIX, NSS -g chain) asks this for the issuing CA.
      const answer = await tool('openssl', ['ocsp', '-issuer', rootPem, digest, '-cert', issuingPem, '-url', `${url}/ocsp`, '-CAfile', rootPem, '-no_nonce']);
      expect(answer.output, digest).toContain('Response verify OK');
      expect(answer.output, digest).toContain(`${issuingPem}: good`);
      expect(answer.output, digest).toMatch(/Next Update: .*20\d\d/);
    }
    // A nonce cannot be echoed by a response signed in advance: still verifies, with OpenSSL's warning.
    const withNonce = await tool('openssl', ['ocsp', '-issuer', rootPem, '-cert', issuingPem, '-url', `${url}/ocsp`, '-CAfile', rootPem]);
    expect(withNonce.output).toContain('Response verify OK');
    // Nothing was signed to answer them.
    expect(await counts()).toEqual(before);
  });

  it('fuzzed requests get the proper OCSP error status, nothing is written and the process stays up', async () => {
    const leaf = await issueLeaf();
    const valid = await requestFile(leaf.pem, '-no_nonce');
    await post(valid); // cached once before counting
    const before = await counts();

    const parsed = AsnConvert.parse(valid, OCSPRequest);
    const wrongHash = AsnConvert.parse(valid, OCSPRequest);
    wrongHash.tbsRequest.requestList[0]!.reqCert.hashAlgorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.2.5' });
    const wrongLength = AsnConvert.parse(valid, OCSPRequest);
    wrongLength.tbsRequest.requestList[0]!.reqCert.issuerNameHash = new OctetString(new Uint8Array(7));
    const otherCa = AsnConvert.parse(valid, OCSPRequest);
    otherCa.tbsRequest.requestList[0]!.reqCert.issuerKeyHash = new OctetString(randomBytes(20));
    const tooMany = AsnConvert.parse(valid, OCSPRequest);
    tooMany.tbsRequest.requestList = Array.from({ length: 51 }, () => parsed.tbsRequest.requestList[0]!);
    const hugeNonce = await requestFile(leaf.pem, '-nonce');
    const withHugeNonce = AsnConvert.parse(hugeNonce, OCSPRequest);
    withHugeNonce.tbsRequest.requestExtensions![0]!.extnValue = new OctetString(AsnConvert.serialize(new OctetString(randomBytes(64))));

    const cases: Array<[string, Buffer, OCSPResponseStatus]> = [
      ['empty', Buffer.alloc(0), OCSPResponseStatus.malformedRequest],
      ['random bytes', randomBytes(200), OCSPResponseStatus.malformedRequest],
      ['truncated', valid.subarray(0, valid.length - 5), OCSPResponseStatus.malformedRequest],
      ['trailing garbage', Buffer.concat([valid, Buffer.from([0])]), OCSPResponseStatus.malformedRequest],
      ['a certificate instead of a request', h.issuing.der, OCSPResponseStatus.malformedRequest],
      ['MD5 CertID', Buffer.from(AsnConvert.serialize(wrongHash)), OCSPResponseStatus.malformedRequest],
      ['hash of the wrong length', Buffer.from(AsnConvert.serialize(wrongLength)), OCSPResponseStatus.malformedRequest],
      ['51 CertIDs', Buffer.from(AsnConvert.serialize(tooMany)), OCSPResponseStatus.malformedRequest],
      ['a 64-octet nonce (RFC 8954)', Buffer.from(AsnConvert.serialize(withHugeNonce)), OCSPResponseStatus.malformedRequest],
      ['a CA we do not serve', Buffer.from(AsnConvert.serialize(otherCa)), OCSPResponseStatus.unauthorized],
    ];
    for (let i = 0; i < 200; i++) {
      const mutated = Buffer.from(valid);
      const at = i % mutated.length;
      mutated[at] = mutated[at]! ^ (1 << (i % 8));
      cases.push([`bit flip ${i}`, mutated, -1 as OCSPResponseStatus]);
    }
    for (const [name, body, expected] of cases) {
      const response = await post(body);
      expect(response.statusCode, name).toBe(200);
      expect(response.headers['content-type'], name).toBe('application/ocsp-response');
      const status = responseStatus(response.rawPayload);
      if (expected !== (-1 as OCSPResponseStatus)) expect(status, name).toBe(expected);
      else expect([OCSPResponseStatus.successful, OCSPResponseStatus.malformedRequest, OCSPResponseStatus.unauthorized], name).toContain(status);
    }
    const huge = await post(randomBytes(2 * 1024 * 1024));
    expect(huge.statusCode).toBe(200);
    expect(responseStatus(huge.rawPayload)).toBe(OCSPResponseStatus.malformedRequest);
    const wrongType = await post(valid, 'application/json');
    expect(responseStatus(wrongType.rawPayload)).toBe(OCSPResponseStatus.successful);
    // Not even a URL: Fastify refuses it before any route, with a 400 problem.
    expect((await app.inject('/ocsp/%%%')).statusCode).toBe(400);
    for (const path of ['/ocsp/', '/ocsp/not-base64!', `/ocsp/${'A'.repeat(5000)}`]) {
      const response = await app.inject(path);
      expect(response.statusCode, path).toBe(200);
      expect(responseStatus(response.rawPayload), path).toBe(OCSPResponseStatus.malformedRequest);
    }
    // Bit flips may land in the serial: those are answered (unknown), signed, but never stored.
    expect(await counts()).toEqual(before);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });
});
