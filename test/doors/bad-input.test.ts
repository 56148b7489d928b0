import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TimeStampResp } from '@peculiar/asn1-tsp';
import type { FastifyInstance } from 'fastify';
import * as pkijs from 'pkijs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/acme/test-support/acme-fixture.js';
import { TestClient, eab, signJws, testKey, thumbprint } from '../../src/acme/test-support/test-client.js';
import { createHierarchy } from '../../src/ca/hierarchy.js';
import { softwareSignerFromPkcs8 } from '../../src/crypto/software-signer.js';
import { checkDer } from '../../src/crypto/strict-der.js';
import { openTestSignet, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { toPem } from '../../src/http/der.js';
import { buildServer } from '../../src/http/server.js';
import { bootstrapPrincipal, type Principal } from '../../src/ra/roles.js';
import { MESSAGE_TYPE, readCertRep, readPkiMessage, sealEnvelope, signPkiMessage } from '../../src/scep/pki-message.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { mutate } from '../fuzz/fuzz.js';
import { changedTables, cmpFailure, fingerprint, nonCanonical, replaceNode, seeded, send, withExtraElement, type Answer } from './door-support.js';

afterAll(dropFreshStores);

const CONSENT = { agreementVersion: 'v1', accepted: true };
const OCSP_MALFORMED = Buffer.from('30030a0101', 'hex');
const ACME = 'urn:ietf:params:acme:error:';
const AES128 = '2.16.840.1.101.3.4.1.2';
const SEED = Number(process.env.SIGNET_FUZZ_SEED ?? 2115);
const FUZZ_CASES = Number(process.env.SIGNET_DOOR_FUZZ_CASES ?? 8);
/**
 * Tables that change whatever a request says, and why: every ACME answer
 * carries a fresh replay nonce (RFC 8555 §6.5) and a verified request spends
 * its own; each running server renews its own lease row on a timer.
 */
const PROTOCOL_BOOKKEEPING = ['acme_nonces', 'process_instances'];
/** What a wrong guess at the RA's code changes on purpose (R5): its count, the credential's failed attempts or lock, and the audit. */
const GUESS_TABLES = ['audit_entries', 'ra_download_credentials', 'ra_secret_attempts'];
/**
 * The RA's guess counts by what they mean (src/ra/attempts.ts): a right code
 * forgets the count, leaving a row at 0, which means the same as no row, and
 * when a count was last touched is not part of it.
 */
const GUESS_COUNTS = {
  ra_secret_attempts: (rows: Record<string, unknown>[]) => rows.filter((r) => Number(r.attempts) > 0).map((r) => ({ key: r.key, attempts: Number(r.attempts), window_started: r.window_started })),
};

/** What a door answered, judged in the door's own terms: null when it is the protocol's refusal, else why not. */
type Judge = (answer: Answer) => string | null;

const problemJson = (codes: RegExp): Judge => (a) => {
  if (a.status < 400 || a.status >= 500) return `HTTP ${a.status}`;
  if (!String(a.headers['content-type']).includes('application/problem+json')) return `content-type ${a.headers['content-type']}`;
  const code = (JSON.parse(a.text) as { code?: string }).code ?? '';
  return codes.test(code) ? null : `code ${code}`;
};
const acmeProblem = (types: RegExp): Judge => (a) => {
  if (a.status < 400 || a.status >= 500) return `HTTP ${a.status}`;
  if (!String(a.headers['content-type']).includes('application/problem+json')) return `content-type ${a.headers['content-type']}`;
  const type = (JSON.parse(a.text) as { type?: string }).type ?? '';
  return type.startsWith(ACME) && types.test(type.slice(ACME.length)) ? null : `type ${type}`;
};
/** RFC 7030 §4.2.3: an HTTP error status with a human-readable text/plain body, no internal code in front. */
const estText = (status: number, text?: RegExp): Judge => (a) => {
  if (a.status !== status) return `HTTP ${a.status} ${a.text.slice(0, 120)}`;
  if (!String(a.headers['content-type']).startsWith('text/plain')) return `content-type ${a.headers['content-type']}`;
  if (/^[a-z]+\.[a-z-]+:/.test(a.text)) return `body starts with an internal code: ${a.text.slice(0, 80)}`;
  return !text || text.test(a.text) ? null : `body ${a.text.slice(0, 160)}`;
};
/** RFC 4210 §5.3.21: an error PKIMessage with this failure bit (HTTP 400 when the message could not be read). */
const cmpError = (failures: RegExp, status?: number): Judge => (a) => {
  if (status !== undefined && a.status !== status) return `HTTP ${a.status}`;
  if (a.status >= 500) return `HTTP ${a.status}`;
  if (a.headers['content-type'] !== 'application/pkixcmp') return `content-type ${a.headers['content-type']}`;
  const failure = cmpFailure(a.body);
  return failure && failures.test(failure) ? null : `failInfo ${failure}`;
};
/** RFC 6960 §2.3: malformedRequest, never internalError. */
const ocspMalformed: Judge = (a) => (a.status === 200 && a.body.equals(OCSP_MALFORMED) ? null : `HTTP ${a.status} ${a.body.toString('hex').slice(0, 40)}`);
/** RFC 3161 §2.4.2: a rejection with badDataFormat (bit 5), HTTP 200 as the RFC's HTTP binding has it. */
const tsaRejection: Judge = (a) => {
  if (a.status !== 200) return `HTTP ${a.status}`;
  try {
    const response = AsnConvert.parse(a.body, TimeStampResp);
    const bits = response.status.failInfo;
    return response.status.status === 2 && !response.timeStampToken && bits?.toNumber && bits.toNumber() === 1 << 5 ? null : `status ${response.status.status}, failInfo ${bits?.toNumber?.()}`;
  } catch (error) {
    return `not a TimeStampResp: ${(error as Error).message}`;
  }
};
/** RFC 8894 §3.3.2.2: a CertRep FAILURE with its failInfo, or HTTP 400 with a readable text when there is no transaction to answer (§4.3). */
const scepRefusal: Judge = (a) => {
  if (a.status === 400) return String(a.headers['content-type']).startsWith('text/plain') && !/^[a-z]+\.[a-z-]+:/.test(a.text) ? null : `${a.headers['content-type']}: ${a.text.slice(0, 80)}`;
  if (a.status !== 200) return `HTTP ${a.status}`;
  try {
    const rep = readCertRep(a.body);
    return rep.status === '2' && rep.failInfo !== undefined ? null : `CertRep status ${rep.status}, failInfo ${rep.failInfo}`;
  } catch (error) {
    return `not a CertRep: ${(error as Error).message}`;
  }
};
/** The TimeStampResp's PKIStatus, or null when the answer is none. */
function tsaStatus(a: Answer): number | null {
  try {
    return AsnConvert.parse(a.body, TimeStampResp).status.status;
  } catch {
    return null;
  }
}
/** Any OCSP answer but a successful one (RFC 6960 §4.2.1): malformedRequest, unauthorized, … */
const ocspRefused = (a: Answer) => a.status === 200 && a.body.length === 5 && a.body[0] === 0x30 && a.body[2] === 0x0a && a.body[4] !== 0;
/** The relying party's evidence viewer: a damaged package is a finding, "does not verify" (R14); no package at all is a 400. */
const evidenceUnverified: Judge = (a) => {
  if (a.status === 400) return problemJson(/^evidence\./)(a);
  return a.status === 200 && (JSON.parse(a.text) as { valid?: boolean }).valid === false ? null : `HTTP ${a.status} ${a.text.slice(0, 120)}`;
};

/**
 * Issue 21 "bad input" and issue 15's "no row written" over real listeners:
 * every door that takes DER, CMS or JWS from a client is sent non-canonical
 * DER (BER lengths, indefinite form, trailing and missing bytes), non-ASN.1,
 * and seeded structure-aware mutants of valid messages made by tools nobody
 * here wrote (OpenSSL req/ocsp/ts/cms/cmp); then replayed nonces and
 * transactions, wrong secrets and identifiers nobody reviewed. Each answer
 * must be the protocol's own refusal (REST problem document, ACME problem
 * type, EST status with a readable text, CMP error with its failInfo, OCSP
 * malformedRequest, TSA rejection), and every table of the store must hash
 * as it did before, but for the tables a protocol changes on purpose.
 */
describe.each(storeBackends)('every door refuses bad input in its own terms and changes nothing, on %s (issue 21, issue 15)', (backend) => {
  let t: TestSignet;
  let dir: string;
  let tlsApp: FastifyInstance;
  let plainApp: FastifyInstance;
  let responder: Server;
  /** https://127.0.0.1:PORT (EST needs TLS) and http://127.0.0.1:PORT (everything else, ACME's JWS url included). */
  let https: string;
  let http: string;
  let tlsCa: Buffer;
  let officer: Principal;
  let people = 0;
  const admin = { authorization: 'Bearer test-admin-token' };
  const seeds: Record<string, Buffer> = {};
  /** A certificate Signet issued to a subscriber, and another: the holder signs kur/rr and authenticates simplereenroll. */
  const holder = { cert: '', key: '', serial: '' };
  const other = { cert: '', key: '', serial: '' };
  /** For the doors' malformed and fuzzed requests: never spent, and never guessed at (those fail before the code is read). */
  let credential: { referenceNumber: string; authorizationCode: string };
  /** For SCEP's seed: its challengePassword (never spent: every variant and mutant is refused before it is read, or as a guess). */
  let scepCredential: { referenceNumber: string; authorizationCode: string };
  /** For CMP's seeds: a mutant whose MAC no longer verifies is a wrong guess at this one, and may lock it. */
  let cmpCredential: { referenceNumber: string; authorizationCode: string };
  const acmeHttp01 = new Map<string, string>();
  let acme: TestClient;
  let finalizeUrl = '';
  let orderUrl = '';
  /** A second binding for the same enterprise, not yet used: the wrong-MAC case tries it, then a second account takes it. */
  let secondBinding: { keyId: string; macKey: string };
  let db: Kysely<unknown>;

  const path = (name: string) => join(dir, name);
  const tool = (command: string, args: string[]) => {
    const result = runTool(command, args);
    expect(result.status, `${command} ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  const snapshot = () => fingerprint(db, PROTOCOL_BOOKKEEPING, GUESS_COUNTS);
  const otherAudits = async () => Number((await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).where('action', 'not in', ['ra.credential-wrong-code', 'ra.credential-locked']).executeTakeFirstOrThrow()).n);
  const wrongCodeAudits = async () => Number((await t.signet.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'ra.credential-wrong-code').executeTakeFirstOrThrow()).n);

  async function approvedCredential(name: string): Promise<{ referenceNumber: string; authorizationCode: string; subscriberId: string }> {
    people += 1;
    const record = { type: 'individual', name, idType: 'passport', idNumber: `E${String(70000000 + people)}`, phone: `+86138002390${String(people).padStart(2, '0')}`, email: `door${people}@example.com` };
    const { subscribers, applications } = t.signet.ra;
    const subscriber = await subscribers.register(officer, { record, consent: CONSENT }, '192.0.2.1');
    const application = await applications.submit(officer, { subscriberId: subscriber.id, purpose: 'signing' }, '192.0.2.1');
    await applications.startReview(officer, application.id);
    const { credential: issued } = await applications.approve(officer, application.id, { note: 'checked' });
    return { ...issued, subscriberId: subscriber.id };
  }

  /** A key and a DER PKCS#10 request made by OpenSSL. */
  function request(name: string, subject: string, extra: string[] = []): { der: Buffer; key: string; pem: string } {
    const key = path(`${name}.key`);
    tool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', subject, '-out', path(`${name}.csr`), ...extra]);
    const pem = readFileSync(path(`${name}.csr`), 'utf8');
    return { der: Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), key, pem };
  }

  /** A certificate issued through the CA to a subscriber the RA reviewed, PEM files for OpenSSL and the TLS client. */
  async function issuedTo(into: typeof holder, name: string): Promise<void> {
    const person = await approvedCredential(name);
    const made = request(`holder-${people}`, `/CN=${name}`);
    const issued = await t.signet.ca.issue({ csr: made.pem, profileId: 'individual-signing', subject: `CN=${name}`, subscriberId: person.subscriberId, requestedBy: 'test', reason: 'door test holder' });
    into.cert = path(`holder-${people}.pem`);
    writeFileSync(into.cert, toPem('CERTIFICATE', issued.der));
    into.key = made.key;
    into.serial = issued.serial;
  }

  /**
   * A CMP request exactly as `openssl cmp` sends it, without sending it: with
   * -rspin naming a file that is no response, the client writes its request
   * (-reqout) and stops at the answer.
   */
  function cmpRequest(name: string, args: string[]): Buffer {
    writeFileSync(path('no-response.der'), '0');
    const ran = runTool('openssl', ['cmp', '-server', '127.0.0.1:1', '-path', '.well-known/cmp', '-reqout', path(`${name}.der`), '-rspin', path('no-response.der'), ...(args.includes('rr') ? [] : ['-certout', path(`${name}-never.pem`)]), ...args]);
    expect(existsSync(path(`${name}.der`)), ran.stderr).toBe(true);
    return readFileSync(path(`${name}.der`));
  }

  /** A binary door's URL, sent `body` under `contentType` instead of its own media type. */
  const sendAs = (door: { name: string }, estUrl: string, contentType: string, body: Buffer) => {
    const urls: Record<string, string> = { OCSP: `${http}/ocsp`, TSA: `${http}/tsa`, evidence: `${http}/api/v1/evidence/verification`, SCEP: `${http}/scep?operation=PKIOperation`, CMP: `${http}/.well-known/cmp` };
    const url = estUrl.startsWith('https') ? estUrl : urls[door.name.split(' ')[0]!]!;
    return send(url, { body, ca: tlsCa, headers: { 'content-type': contentType }, ...(door.name.includes('simplereenroll') ? { cert: readFileSync(holder.cert), key: readFileSync(holder.key) } : {}) });
  };
  const cmpPost = (der: Buffer) => send(`${http}/.well-known/cmp`, { body: der, headers: { 'content-type': 'application/pkixcmp' } });
  const estPost = (route: string, body: Buffer | string, options: { basic?: [string, string]; client?: typeof holder } = {}) =>
    send(`${https}/.well-known/est/${route}`, {
      body,
      ca: tlsCa,
      ...(options.client ? { cert: readFileSync(options.client.cert), key: readFileSync(options.client.key) } : {}),
      headers: {
        'content-type': 'application/pkcs10',
        'accept-language': 'en',
        ...(options.basic ? { authorization: `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}` } : {}),
      },
    });

  beforeAll(async () => {
    const http01Port = await freePort();
    t = await openTestSignet(backend, { estRetryAfterSeconds: 1, acmeNetwork: { http01Port, hosts: { 'door.example.com': '127.0.0.1' }, timeoutMs: 20_000 } });
    db = t.signet.store.db as unknown as Kysely<unknown>;
    dir = mkdtempSync(join(tmpdir(), 'signet-doors-'));
    const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    const issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
    await t.signet.ra.agreements.publish({ id: 'v1', title: '数字证书服务协议', text: '协议', actor: 'test', publishedAt: new Date(Date.now() - 86_400_000) });
    const ra = await t.signet.ra.organisations.create(bootstrapPrincipal('cli', 'test'), { name: '门户测试注册机构' });
    officer = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'cli' };

    tool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path('tls.key'), '-out', path('tls.pem'), '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    tlsCa = readFileSync(path('tls.pem'));
    // The servers' five-minute CRL/OCSP round writes on its own clock; a run on a loaded machine may outlast it,
    // and its rows would read as a refusal's. Nothing here depends on it: it does not start.
    t.signet.status.startSchedule = () => () => undefined;
    tlsApp = await buildServer(t.signet, { logger: false, rateLimits: false, tls: { cert: tlsCa, key: readFileSync(path('tls.key')) } });
    await tlsApp.listen({ host: '127.0.0.1', port: 0 });
    https = `https://127.0.0.1:${(tlsApp.server.address() as { port: number }).port}`;
    plainApp = await buildServer(t.signet, { logger: false, rateLimits: false, tls: null });
    await plainApp.listen({ host: '127.0.0.1', port: 0 });
    http = `http://127.0.0.1:${(plainApp.server.address() as { port: number }).port}`;

    await issuedTo(holder, 'Holder One');
    await issuedTo(other, 'Holder Two');
    credential = await approvedCredential('Li Lei');
    cmpCredential = await approvedCredential('Li Lei');
    scepCredential = await approvedCredential('Li Lei');

    // Valid messages of every kind, made by tools nobody here wrote.
    seeds.csr = request('seed', '/CN=Li Lei').der;
    tool('openssl', ['ocsp', '-issuer', issuingPem, '-serial', `0x${holder.serial}`, '-no_nonce', '-reqout', path('ocsp.der')]);
    seeds.ocsp = readFileSync(path('ocsp.der'));
    writeFileSync(path('data.txt'), '合同正文');
    tool('openssl', ['ts', '-query', '-data', path('data.txt'), '-sha256', '-cert', '-out', path('q.tsq')]);
    seeds.tsq = readFileSync(path('q.tsq'));
    tool('openssl', ['cms', '-sign', '-binary', '-nodetach', '-in', path('data.txt'), '-signer', holder.cert, '-inkey', holder.key, '-certfile', issuingPem, '-outform', 'DER', '-out', path('signed.p7s')]);
    seeds.cms = readFileSync(path('signed.p7s'));
    const evidence = await send(`${http}/api/v1/evidence`, { body: JSON.stringify({ serial: holder.serial, at: new Date().toISOString() }), headers: { ...admin, 'content-type': 'application/json' } });
    expect(evidence.status, evidence.text).toBe(201);
    seeds.evidence = Buffer.from((JSON.parse(evidence.text) as { package: string }).package, 'base64');
    const mac = ['-ref', cmpCredential.referenceNumber, '-secret', `pass:${cmpCredential.authorizationCode}`];
    tool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path('cmp.key')]);
    seeds.ir = cmpRequest('ir', ['-cmd', 'ir', ...mac, '-newkey', path('cmp.key'), '-subject', '/CN=Li Lei']);
    seeds.cr = cmpRequest('cr', ['-cmd', 'cr', ...mac, '-newkey', path('cmp.key'), '-subject', '/CN=Li Lei']);
    seeds.p10cr = cmpRequest('p10cr', ['-cmd', 'p10cr', ...mac, '-csr', path('seed.csr')]);
    seeds.kur = cmpRequest('kur', ['-cmd', 'kur', '-cert', holder.cert, '-key', holder.key, '-newkey', path('cmp.key')]);
    seeds.rr = cmpRequest('rr', ['-cmd', 'rr', '-cert', holder.cert, '-key', holder.key, '-oldcert', holder.cert, '-revreason', '1']);

    // A SCEP PKCSReq (RFC 8894 §3.3.1): a throwaway RSA certificate signs it, the RA certificate from GetCACert opens it.
    tool('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('scep.key'), '-out', path('scep-self.pem'), '-subj', '/CN=Li Lei', '-days', '1']);
    writeFileSync(path('scep.cnf'), `[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=Li Lei\n[attrs]\nchallengePassword=${scepCredential.referenceNumber}:${scepCredential.authorizationCode}\n`);
    tool('openssl', ['req', '-new', '-key', path('scep.key'), '-config', path('scep.cnf'), '-outform', 'DER', '-out', path('scep.csr')]);
    const caCerts = await send(`${http}/scep?operation=GetCACert`);
    expect(caCerts.status, caCerts.text).toBe(200);
    const raCertificate = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(new Uint8Array(caCerts.body).buffer).content }).certificates![0] as pkijs.Certificate;
    const pemBytes = (file: string) => Buffer.from(readFileSync(file, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    seeds.scep = await signPkiMessage({
      signer: await softwareSignerFromPkcs8('rsa-2048', pemBytes(path('scep.key'))),
      signerCertificateDer: pemBytes(path('scep-self.pem')),
      messageType: MESSAGE_TYPE.PKCSReq,
      transactionId: 'door-test-scep-seed',
      envelope: sealEnvelope(readFileSync(path('scep.csr')), raCertificate, AES128),
    });

    // An ACME account bound to an enterprise the RA verified, with an order ready to finalize.
    const enterprise = await t.signet.ra.subscribers.register(
      officer,
      {
        record: {
          type: 'enterprise',
          name: '门户科技有限公司',
          uscc: '91350100M000100Y43',
          legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
          agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
        },
        consent: CONSENT,
      },
      '192.0.2.1',
    );
    const binding = await t.signet.acme.bindings.issue(officer, { subscriberId: enterprise.id, identifiers: ['door.example.com'], validityDays: 30 });
    secondBinding = await t.signet.acme.bindings.issue(officer, { subscriberId: enterprise.id, identifiers: ['door2.example.com'], validityDays: 30 });
    responder = createServer((req, res) => {
      const answer = acmeHttp01.get(req.url?.split('/').pop() ?? '');
      res.writeHead(answer ? 200 : 404).end(answer ?? 'no such token');
    });
    await new Promise<void>((resolve) => responder.listen(http01Port, '127.0.0.1', resolve));
    acme = new TestClient(http, testKey());
    expect((await acme.register(binding)).status).toBe(201);
    const created = await acme.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'door.example.com' }] });
    expect(created.status, created.text).toBe(201);
    orderUrl = created.headers.get('location')!;
    finalizeUrl = created.body.finalize as string;
    for (const authzUrl of created.body.authorizations as string[]) {
      const challenge = ((await acme.post(authzUrl, '')).body.challenges as { type: string; url: string; token: string }[]).find((c) => c.type === 'http-01')!;
      acmeHttp01.set(challenge.token, `${challenge.token}.${thumbprint(acme.key)}`);
      expect((await acme.post(challenge.url, {})).body.status).toBe('valid');
    }
    expect((await acme.post(orderUrl, '')).body.status).toBe('ready');
  }, 180_000);

  afterAll(async () => {
    if (responder) await new Promise((resolve) => responder.close(resolve));
    await tlsApp?.close();
    await plainApp?.close();
    await t?.signet.close();
  });

  /** A door that takes DER from a client: how to send bytes there, and what refusing them looks like. */
  interface Door {
    name: string;
    seed: string;
    send: (bytes: Buffer) => Promise<Answer>;
    refused: Judge;
    /** CMS allows BER (RFC 5652 §1): a BER re-encoding of a valid signature still gets the verifier's regular answer. */
    berAllowed?: boolean;
    /** An answer to a valid (unsigned) request writes rows on purpose: OCSP caches what it signed, the TSA keeps its ledger. */
    acceptedWrites?: boolean;
    /** A message whose MAC does not verify is a guess at the RA's code: counted and audited (GUESS_TABLES), by design. */
    macGuess?: boolean;
    /** Any refusal in the protocol's terms, whatever its reason (a mutant may fail its signature before its syntax). */
    anyRefusal: (answer: Answer) => boolean;
  }
  const httpError = (a: Answer) => a.status >= 400;
  const rest = (url: string, headers: Record<string, string>, body: (b64: string) => Record<string, unknown>) => (bytes: Buffer) =>
    send(`${http}${url}`, { body: JSON.stringify(body(bytes.toString('base64'))), headers: { ...headers, 'content-type': 'application/json' } });
  const doors = (): Door[] => [
    { name: 'REST issuance (POST /api/v1/certificates, PKCS#10)', seed: 'csr', send: rest('/api/v1/certificates', admin, (csr) => ({ csr, profile: 'individual-signing', subject: 'CN=Li Lei' })), refused: problemJson(/^request\./), anyRefusal: httpError },
    { name: 'REST download (POST /api/v1/ra/downloads, PKCS#10)', seed: 'csr', send: rest('/api/v1/ra/downloads', {}, (csr) => ({ ...credential, csr })), refused: problemJson(/^request\./), anyRefusal: httpError },
    { name: 'OCSP over POST', seed: 'ocsp', send: (b) => send(`${http}/ocsp`, { body: b, headers: { 'content-type': 'application/ocsp-request' } }), refused: ocspMalformed, acceptedWrites: true, anyRefusal: ocspRefused },
    { name: 'OCSP over GET', seed: 'ocsp', send: (b) => send(`${http}/ocsp/${encodeURIComponent(b.toString('base64'))}`), refused: ocspMalformed, acceptedWrites: true, anyRefusal: ocspRefused },
    { name: 'TSA (POST /tsa)', seed: 'tsq', send: (b) => send(`${http}/tsa`, { body: b, headers: { 'content-type': 'application/timestamp-query' } }), refused: tsaRejection, acceptedWrites: true, anyRefusal: (a) => tsaRejection(a) === null || tsaStatus(a) === 2 },
    { name: 'CMS verify (POST /api/v1/cms/verify)', seed: 'cms', send: rest('/api/v1/cms/verify', {}, (signature) => ({ signature })), refused: problemJson(/^(request|cms)\./), berAllowed: true, anyRefusal: httpError },
    { name: 'evidence verification (POST /api/v1/evidence/verification)', seed: 'evidence', send: (b) => send(`${http}/api/v1/evidence/verification`, { body: b, headers: { 'content-type': 'application/octet-stream' } }), refused: evidenceUnverified, anyRefusal: (a) => evidenceUnverified(a) === null },
    { name: 'ACME finalize (RFC 8555 §7.4)', seed: 'csr', send: async (b) => acmeAnswer(await acme.post(finalizeUrl, { csr: b.toString('base64url') })), refused: acmeProblem(/^(badCSR|malformed)$/), anyRefusal: httpError },
    { name: 'EST simpleenroll (RFC 7030 §4.2.1)', seed: 'csr', send: (b) => estPost('simpleenroll', b.toString('base64'), { basic: [credential.referenceNumber, credential.authorizationCode] }), refused: estText(400), anyRefusal: httpError },
    { name: 'EST simplereenroll (RFC 7030 §4.2.2)', seed: 'csr', send: (b) => estPost('simplereenroll', b.toString('base64'), { client: holder }), refused: estText(400), anyRefusal: httpError },
    { name: 'SCEP PKIOperation (RFC 8894 §4.3)', seed: 'scep', send: (b) => send(`${http}/scep?operation=PKIOperation`, { body: b, headers: { 'content-type': 'application/x-pki-message' } }), refused: scepRefusal, anyRefusal: (a) => scepRefusal(a) === null },
    ...(['ir', 'cr', 'p10cr', 'kur', 'rr'] as const).map((type): Door => ({ name: `CMP ${type} (RFC 4210)`, seed: type, send: cmpPost, refused: cmpError(/^badDataFormat$/, 400), macGuess: ['ir', 'cr', 'p10cr'].includes(type), anyRefusal: (a) => cmpFailure(a.body) !== null })),
  ];

  it('accepts the unmutated seed at every door, so each refusal below is about the bytes', async () => {
    // Read-only doors: the valid message gets a regular answer. The issuing doors are checked by their own suites.
    expect(ocspMalformed(await send(`${http}/ocsp`, { body: seeds.ocsp, headers: { 'content-type': 'application/ocsp-request' } }))).not.toBeNull();
    const verified = await rest('/api/v1/cms/verify', {}, (signature) => ({ signature }))(seeds.cms!);
    expect(verified.status, verified.text).toBe(200);
    // The SCEP seed is not sent (it would spend its credential): its signature and envelope are what the server reads.
    expect((await readPkiMessage(seeds.scep!)).signatureValid).toBe(true);
    const evidence = await send(`${http}/api/v1/evidence/verification`, { body: seeds.evidence, headers: { 'content-type': 'application/octet-stream' } });
    expect(JSON.parse(evidence.text).valid, evidence.text).toBe(true);
  });

  it('refuses non-canonical DER and non-ASN.1 at every door with the protocol\'s own error, and no table changes (X.690 §10, issue 15 item 1)', async () => {
    const wrong: string[] = [];
    let sent = 0;
    for (const door of doors()) {
      const before = await snapshot();
      for (const variant of nonCanonical(seeds[door.seed]!)) {
        const answer = await door.send(variant.bytes);
        sent += 1;
        const ber = door.berAllowed && variant.name.endsWith('(BER)');
        const why = ber ? (answer.status === 200 ? null : `BER is CMS's own encoding, yet HTTP ${answer.status}`) : door.refused(answer);
        if (why) wrong.push(`${door.name}, ${variant.name}: ${why}`);
      }
      const changed = changedTables(before, await snapshot());
      if (changed.length) wrong.push(`${door.name}: refusals changed ${changed.join(', ')}`);
    }
    expect(wrong).toEqual([]);
    expect(sent).toBe(16 * 7);
  }, 180_000);

  it(`answers seeded structure-aware mutants of every door's valid message without a 5xx, and a refused mutant changes nothing (issue 15 item 6; seed ${SEED}, ${FUZZ_CASES} per door)`, async () => {
    const wrong: string[] = [];
    const tally: Record<string, { refused: number; accepted: number }> = {};
    for (const [index, door] of doors().entries()) {
      const next = seeded(SEED + index * 7919);
      const count = (tally[door.name] = { refused: 0, accepted: 0 });
      let before = await snapshot();
      const audits = await otherAudits();
      for (let i = 0; i < FUZZ_CASES; i++) {
        const bytes = mutate(seeds[door.seed]!, next);
        // A mutation that changed nothing is the valid message itself, not a mutant.
        if (bytes.equals(seeds[door.seed]!)) continue;
        const answer = await door.send(bytes);
        const label = `${door.name}, case ${i} (${bytes.toString('hex').slice(0, 60)}…)`;
        if (answer.status >= 500) wrong.push(`${label}: HTTP ${answer.status} ${answer.text.slice(0, 160)}`);
        if (door.seed === 'ocsp' && answer.body.equals(Buffer.from('30030a0102', 'hex'))) wrong.push(`${label}: OCSP internalError`);
        const refused = door.anyRefusal(answer);
        if (refused) count.refused += 1;
        else count.accepted += 1;
        // A door whose valid answers write (OCSP, TSA) is checked case by case; the others once per door.
        if (door.acceptedWrites) {
          const after = await snapshot();
          const changed = changedTables(before, after);
          if (refused && changed.length) wrong.push(`${label}: refused, yet changed ${changed.join(', ')}`);
          before = after;
        } else if (!refused && !door.berAllowed && door.seed !== 'evidence') {
          wrong.push(`${label}: a mutant of a signed message was accepted: HTTP ${answer.status} ${answer.text.slice(0, 160)}\n${bytes.toString('hex')}\n${seeds[door.seed]!.toString('hex')}`);
        }
      }
      if (!door.acceptedWrites) {
        const changed = changedTables(before, await snapshot()).filter((table) => !(door.macGuess && GUESS_TABLES.includes(table)));
        if (changed.length) wrong.push(`${door.name}: refused mutants changed ${changed.join(', ')}`);
        if ((await otherAudits()) !== audits) wrong.push(`${door.name}: refused mutants were audited as something other than wrong codes`);
      }
    }
    expect(wrong, `seed ${SEED}: replay with SIGNET_FUZZ_SEED=${SEED} SIGNET_DOOR_FUZZ_CASES=${FUZZ_CASES}`).toEqual([]);
    expect(Object.values(tally).reduce((n, c) => n + c.refused, 0)).toBeGreaterThan(0);
  }, 300_000);

  it('answers a binary door sent JSON, a form or a body past its limit with a 4xx or its protocol\'s refusal, never a 5xx, changing nothing', async () => {
    const binary = doors().filter((door) => !door.name.startsWith('REST') && !door.name.startsWith('CMS') && !door.name.startsWith('ACME') && !door.name.includes('GET'));
    const wrong: string[] = [];
    const before = await snapshot();
    const huge = Buffer.alloc(17 * 1024 * 1024, 0x30);
    for (const door of binary) {
      const url = door.name.startsWith('EST') ? `${https}/.well-known/est/${door.name.includes('simplereenroll') ? 'simplereenroll' : 'simpleenroll'}` : undefined;
      for (const [what, contentType, body] of [
        ['JSON', 'application/json', Buffer.from('{"csr":"MIIB"}')],
        ['a form', 'application/x-www-form-urlencoded', Buffer.from('csr=MIIB&x=1')],
        ['of 17 MiB', 'application/octet-stream', huge],
      ] as const) {
        const target = url ?? door.name;
        const answer = await sendAs(door, target, contentType, body);
        if (answer.status >= 500 || (answer.status < 400 && !door.anyRefusal(answer))) wrong.push(`${door.name}, ${what}: HTTP ${answer.status} ${answer.text.slice(0, 100)}`);
      }
    }
    const changed = changedTables(before, await snapshot());
    if (changed.length) wrong.push(`changed ${changed.join(', ')}`);
    expect(wrong).toEqual([]);
  }, 120_000);

  /** One refusal: what is sent, what the protocol answers, and which tables it may change (and why). */
  interface Case {
    name: string;
    act: () => Promise<Answer>;
    refused: Judge;
    /** The one table a wrong secret changes on purpose: the RA counts the guess before evaluating it (R5). */
    countsGuess?: boolean;
  }

  /** The refusals, then the store: unchanged after the plain ones together, and after each guess only where a guess is counted. */
  async function expectRefusedUnchanged(cases: Case[]): Promise<void> {
    const wrong: string[] = [];
    const plain = cases.filter((c) => !c.countsGuess);
    const before = await snapshot();
    for (const c of plain) {
      const why = c.refused(await c.act());
      if (why) wrong.push(`${c.name}: ${why}`);
    }
    const changed = changedTables(before, await snapshot());
    if (changed.length) wrong.push(`refusing ${plain.map((c) => c.name).join('; ')} changed [${changed.join(', ')}]`);
    for (const c of cases.filter((k) => k.countsGuess)) {
      const guessBefore = await snapshot();
      const audited = await wrongCodeAudits();
      const why = c.refused(await c.act());
      if (why) wrong.push(`${c.name}: ${why}`);
      // A wrong guess is counted on the credential and audited (R5: it locks after the RA's limit), and nothing else.
      const guessChanged = changedTables(guessBefore, await snapshot());
      if (guessChanged.join(',') !== GUESS_TABLES.join(',')) wrong.push(`${c.name}: changed [${guessChanged.join(', ')}], expected [${GUESS_TABLES.join(', ')}]`);
      if ((await wrongCodeAudits()) !== audited + 1) wrong.push(`${c.name}: the wrong code was not audited as ra.credential-wrong-code`);
    }
    expect(wrong).toEqual([]);
  }

  it('ACME: a replayed or invented nonce, a wrong EAB MAC, an identifier outside the binding, another account\'s order or certificate, and a CSR for other names are refused with RFC 8555 problem types, changing nothing (§6.5, §7.3.4, §7.4, §7.6)', async () => {
    const spent = signJws(acme.key, { nonce: await acme.nonce(), url: orderUrl, kid: acme.kid }, '');
    expect((await acme.post(orderUrl, '', { body: spent })).status).toBe(200);
    const stranger = testKey();
    const url = `${http}/acme/new-account`;
    const second = new TestClient(http, testKey());
    await expectRefusedUnchanged([
      { name: 'a replayed nonce', act: async () => acmeAnswer(await acme.post(orderUrl, '', { body: spent })), refused: acmeProblem(/^badNonce$/) },
      { name: 'an invented nonce', act: async () => acmeAnswer(await acme.post(orderUrl, '', { header: { nonce: 'bm90LWEtbm9uY2UtZnJvbS11cw' } })), refused: acmeProblem(/^badNonce$/) },
      {
        name: 'an External Account Binding with a wrong MAC',
        act: async () => acmeAnswer(await new TestClient(http, stranger).post('/acme/new-account', { termsOfServiceAgreed: true, externalAccountBinding: eab(secondBinding.keyId, Buffer.alloc(32, 7).toString('base64url'), stranger.jwk, url) }, { useJwk: true })),
        refused: acmeProblem(/^unauthorized$/),
      },
      { name: 'an identifier the binding does not allow', act: async () => acmeAnswer(await acme.post('/acme/new-order', { identifiers: [{ type: 'dns', value: 'other.example.net' }] })), refused: acmeProblem(/^rejectedIdentifier$/) },
      { name: 'a CSR naming what the order is not for', act: async () => acmeAnswer(await acme.post(finalizeUrl, { csr: request('acme-other', '/CN=door.example.com', ['-addext', 'subjectAltName=DNS:door.example.com,DNS:evil.example.com']).der.toString('base64url') })), refused: acmeProblem(/^badCSR$/) },
      { name: 'revoking a certificate this account did not order', act: async () => acmeAnswer(await acme.post('/acme/revoke-cert', { certificate: Buffer.from(readFileSync(holder.cert, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64url') })), refused: acmeProblem(/^unauthorized$/) },
    ]);
    // The binding the wrong MAC tried is still free: its right MAC binds a second account, which may not touch the first one's order.
    expect((await second.register(secondBinding)).status).toBe(201);
    await expectRefusedUnchanged([
      { name: "finalizing another account's order", act: async () => acmeAnswer(await second.post(finalizeUrl, { csr: seeds.csr!.toString('base64url') })), refused: acmeProblem(/^malformed$/) },
      { name: "reading another account's order", act: async () => acmeAnswer(await second.post(orderUrl, '')), refused: acmeProblem(/^malformed$/) },
    ]);
  }, 120_000);

  it('EST: a wrong code, no credentials, names nobody reviewed, a certificate this CA never issued, plain HTTP and a spent credential get the RFC 7030 status with a readable text, changing nothing but the guess count (§3.2.3, §3.3, §4.2)', async () => {
    const person = await approvedCredential('Wang Fang');
    const good = request('est-good', '/CN=Wang Fang');
    expect((await estPost('simpleenroll', good.der.toString('base64'), { basic: [person.referenceNumber, person.authorizationCode] })).status).toBe(200);
    tool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path('stranger.key'), '-out', path('stranger.pem'), '-subj', '/CN=Holder One', '-days', '1']);
    const stranger = { cert: path('stranger.pem'), key: path('stranger.key'), serial: '' };
    const body = seeds.csr!.toString('base64');
    const guessed = await approvedCredential('Li Lei');
    const fresh = await approvedCredential('Li Lei');
    const basic: [string, string] = [fresh.referenceNumber, fresh.authorizationCode];
    await expectRefusedUnchanged([
      { name: 'a wrong code', act: () => estPost('simpleenroll', body, { basic: [guessed.referenceNumber, 'WRONGWRONG22'] }), refused: (a) => estText(401, /Wrong reference number/)(a) ?? (String(a.headers['www-authenticate']).startsWith('Basic') ? null : 'no WWW-Authenticate'), countsGuess: true },
      { name: 'no credentials', act: () => estPost('simpleenroll', body), refused: estText(401) },
      { name: "another person's name", act: () => estPost('simpleenroll', request('est-other', '/CN=Han Meimei').der.toString('base64'), { basic }), refused: estText(403, /did not review/) },
      { name: 'a DNS name nobody reviewed', act: () => estPost('simpleenroll', request('est-dns', '/CN=Li Lei', ['-addext', 'subjectAltName=DNS:www.example.com']).der.toString('base64'), { basic }), refused: estText(403, /did not review/) },
      { name: 'the credential already spent', act: () => estPost('simpleenroll', good.der.toString('base64'), { basic: [person.referenceNumber, person.authorizationCode] }), refused: estText(409) },
      { name: 're-enrolment without a client certificate', act: () => estPost('simplereenroll', body), refused: estText(403) },
      { name: 're-enrolment with a certificate this CA never issued', act: () => estPost('simplereenroll', body, { client: stranger }), refused: estText(403, /not one this CA issued/) },
      {
        name: 'enrolment over plain HTTP',
        act: () => send(`${http}/.well-known/est/simpleenroll`, { body, headers: { 'content-type': 'application/pkcs10', 'accept-language': 'en', authorization: `Basic ${Buffer.from(basic.join(':')).toString('base64')}` } }),
        refused: estText(403, /over TLS only/),
      },
    ]);
  }, 120_000);

  it('CMP: a wrong secret, a replayed transaction, a subject nobody reviewed, revoking another\'s certificate, a signer this CA never certified and a protecting certificate that only re-encodes to the one on record get error messages with their failInfo, changing nothing but the guess count (RFC 4210 §5.2.3, RFC 9483 §3.2)', async () => {
    const person = await approvedCredential('Zhao Replay');
    const replayed = cmpRequest('replay-ir', ['-cmd', 'ir', '-ref', person.referenceNumber, '-secret', `pass:${person.authorizationCode}`, '-newkey', path('cmp.key'), '-subject', '/CN=Zhao Replay']);
    const first = await cmpPost(replayed);
    expect(first.status).toBe(200);
    expect(cmpFailure(first.body)).toBeNull();
    // A certificate from a CA that is not this one (openssl leaves a self-signed one out of extraCerts).
    tool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path('foreign-ca.key'), '-out', path('foreign-ca.pem'), '-subj', '/CN=Foreign CA', '-days', '2']);
    tool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path('cmp-stranger.key'), '-out', path('cmp-stranger.csr'), '-subj', '/CN=Holder One']);
    tool('openssl', ['x509', '-req', '-in', path('cmp-stranger.csr'), '-CA', path('foreign-ca.pem'), '-CAkey', path('foreign-ca.key'), '-CAcreateserial', '-days', '1', '-out', path('cmp-stranger.pem')]);
    const guessed = await approvedCredential('Li Lei');
    const fresh = await approvedCredential('Li Lei');
    // The holder's own rr, its certificate given an extra element inside its first extension: the protection still
    // verifies (extraCerts is outside it), and a schema that skips the element re-encodes it to the certificate on record.
    const rr = seeds.rr!;
    const outline = checkDer(rr);
    const extraCerts = outline.children.find((n) => n.tagClass === 2 && n.tagNumber === 1)!;
    const certificate = extraCerts.children[0]!.children[0]!;
    const tbs = certificate.children[0]!;
    const extensions = tbs.children.find((n) => n.tagClass === 2 && n.tagNumber === 3)!;
    const extension = extensions.children[0]!.children[0]!;
    const padded = replaceNode(rr, [outline, extraCerts, extraCerts.children[0]!, certificate, tbs, extensions, extensions.children[0]!, extension], withExtraElement(rr, extension, Buffer.from('0400', 'hex')));
    await expectRefusedUnchanged([
      { name: 'a wrong secret', act: () => cmpPost(cmpRequest('wrong-secret', ['-cmd', 'ir', '-ref', guessed.referenceNumber, '-secret', 'pass:WRONGWRONG22', '-newkey', path('cmp.key'), '-subject', '/CN=Li Lei'])), refused: cmpError(/^badMessageCheck$/), countsGuess: true },
      { name: 'a replayed transaction', act: () => cmpPost(replayed), refused: cmpError(/^transactionIdInUse$/) },
      { name: 'a subject nobody reviewed', act: () => cmpPost(cmpRequest('stranger-subject', ['-cmd', 'ir', '-ref', fresh.referenceNumber, '-secret', `pass:${fresh.authorizationCode}`, '-newkey', path('cmp.key'), '-subject', '/CN=Han Meimei'])), refused: cmpError(/^badCertTemplate$/) },
      { name: "revoking another holder's certificate", act: () => cmpPost(cmpRequest('rr-other', ['-cmd', 'rr', '-cert', holder.cert, '-key', holder.key, '-oldcert', other.cert, '-revreason', '1'])), refused: cmpError(/^notAuthorized$/) },
      { name: 'a key update signed by a certificate this CA never issued', act: () => cmpPost(cmpRequest('kur-stranger', ['-cmd', 'kur', '-cert', path('cmp-stranger.pem'), '-key', path('cmp-stranger.key'), '-newkey', path('cmp.key')])), refused: cmpError(/^signerNotTrusted$/) },
      { name: 'a protecting certificate that only re-encodes to the one on record', act: () => cmpPost(padded), refused: cmpError(/^signerNotTrusted$/) },
    ]);
    expect(await t.signet.status.revocation(holder.serial)).toBeFalsy();
    expect(await t.signet.status.revocation(other.serial)).toBeFalsy();
  }, 120_000);

  it('REST download: a wrong code and a spent credential are refused with problem documents, changing nothing but the guess count (R5, R6)', async () => {
    const person = await approvedCredential('Sun Spent');
    const good = request('rest-good', '/CN=Sun Spent');
    const guessed = await approvedCredential('Sun Guess');
    const download = (reference: string, code: string, csr: Buffer) => send(`${http}/api/v1/ra/downloads`, { body: JSON.stringify({ referenceNumber: reference, authorizationCode: code, csr: csr.toString('base64') }), headers: { 'content-type': 'application/json' } });
    expect((await download(person.referenceNumber, person.authorizationCode, good.der)).status).toBe(201);
    await expectRefusedUnchanged([
      { name: 'a wrong code', act: () => download(guessed.referenceNumber, 'WRONGWRONG22', good.der), refused: problemJson(/^ra\.credential-refused$/), countsGuess: true },
      { name: 'the credential already spent', act: () => download(person.referenceNumber, person.authorizationCode, good.der), refused: problemJson(/^ra\.credential-used$/) },
    ]);
  }, 60_000);
});

/** The ACME test client's answer in this suite's shape. */
function acmeAnswer(a: { status: number; headers: Headers; text: string }): Answer {
  return { status: a.status, headers: Object.fromEntries(a.headers.entries()), body: Buffer.from(a.text), text: a.text };
}
