/**
 * Scale-out (issue 14): issuance and OCSP throughput with one `signet serve`
 * and with two over one PostgreSQL, measured in the same run, with where the
 * CPU went (the servers, PostgreSQL, the load generator), so the curve's bend
 * has its reason beside it.
 *
 *   npm run build && npx tsx bench/scale-out.ts [--seconds 15] [--ocsp-seconds 10]
 *
 * Order: one server alone, then a second server on the same store (same data
 * folder, so the same generated secrets), then the first alone again (a
 * control: a shared machine's noise shows as a difference between the two
 * one-server figures). Servers are not pinned: each may use every core, so
 * two servers can use what one leaves idle. PostgreSQL is the throwaway
 * cluster the tests use (fsync off: the database's share is a lower bound), or
 * SIGNET_TEST_POSTGRES_URL. Requests: distinct P-256 keys for distinct
 * subscribers, made beforehand; each server gets its own half.
 */
import { randomInt } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { generateSoftwareKey } from '../src/crypto/software-signer.js';
import { toPem } from '../src/http/der.js';
import { serialOctets } from '../src/status/crl-encoding.js';
import { ocspQuestions } from '../src/status/test-support/ocsp-question.js';
import setupPostgres from '../test/global-setup.js';
import { cpuBetween, cpuOf, fmt, postgresPids, processCpuSeconds, startSignetServer, type RunningServer } from './bench-support.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const SECONDS = Number(argument('seconds', '15'));
const OCSP_SECONDS = Number(argument('ocsp-seconds', '10'));
const CONNECTIONS = 64;
const KEYS = 4000;

async function requestBodies(): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = generateSoftwareKey('ecdsa-p256');
    const info = new CertificationRequestInfo({ version: 0, subject: new Name(), subjectPKInfo: AsnConvert.parse(key.publicKeyInfo, SubjectPublicKeyInfo) });
    const signature = await key.sign(new Uint8Array(AsnConvert.serialize(info)));
    const request = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: key.signatureAlgorithm, signature: new Uint8Array(signature).buffer });
    const csr = toPem('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(request)));
    // Key i always goes to subscriber i: no key is ever certified to two holders.
    bodies.push(JSON.stringify({ csr, profile: 'tls-client', subject: `CN=scale-out ${i}`, subscriberId: `scale-out-${i}` }));
  }
  return bodies;
}

async function databaseUrl(): Promise<string> {
  const admin = process.env.SIGNET_TEST_POSTGRES_URL!;
  const name = `signet_scale_out_${Date.now().toString(36)}_${randomInt(1e6)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}


interface Figure {
  perSecond: number;
  errors: number;
  p99: number;
  /** CPU milliseconds per request: servers, PostgreSQL, this process (the load generator). */
  serverMs: number;
  postgresMs: number;
  clientMs: number;
}

/**
 * Drives every server at once for `seconds`, `CONNECTIONS` split between
 * them; each server's requests come from its own slice of `bodies`.
 */
async function drive(
  servers: RunningServer[],
  seconds: number,
  request: (server: number) => { path: string; contentType: string; bodies: Array<string | Buffer>; onBody?: (body: string) => void },
  pgPids: () => number[],
): Promise<Figure> {
  const pids = pgPids();
  const server0 = servers.map((s) => processCpuSeconds(s.process.pid!));
  const postgres0 = cpuOf(pids);
  const client0 = process.cpuUsage();
  const results = await Promise.all(
    servers.map((server, index) => {
      const { path, contentType, bodies, onBody } = request(index);
      let next = 0;
      return autocannon({
        url: `${server.url}${path}`,
        connections: CONNECTIONS / servers.length,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': contentType, authorization: `Bearer ${server.adminToken}` },
            setupRequest: (r) => ({ ...r, body: bodies[next++ % bodies.length] }),
            ...(onBody ? { onResponse: (status: number, body: string) => void (status === 201 || status === 200 ? onBody(body) : undefined) } : {}),
          },
        ],
      });
    }),
  );
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const duration = Math.max(...results.map((r) => r.duration || seconds));
  const serverCpu = servers.reduce((sum, s, i) => sum + processCpuSeconds(s.process.pid!) - server0[i]!, 0);
  const postgresCpu = cpuBetween(postgres0, cpuOf(pgPids()));
  const client = process.cpuUsage(client0);
  const per = (cpu: number) => (total > 0 ? (cpu * 1000) / total : NaN);
  return {
    perSecond: total / duration,
    errors: results.reduce((n, r) => n + r.errors + r.non2xx + r.timeouts, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    serverMs: per(serverCpu),
    postgresMs: per(postgresCpu),
    clientMs: per((client.user + client.system) / 1e6),
  };
}

function row(label: string, f: Figure): string {
  const cpu = f.serverMs + f.postgresMs + f.clientMs;
  return `| ${label} | ${fmt(f.perSecond)} | ${f.p99} | ${f.serverMs.toFixed(2)} | ${f.postgresMs.toFixed(2)} | ${f.clientMs.toFixed(2)} | ${fmt(2000 / cpu)} | ${f.errors} |`;
}

let teardown: (() => Promise<void>) | undefined;
if (!process.env.SIGNET_TEST_POSTGRES_URL) teardown = (await setupPostgres({ provide: () => undefined } as never)) ?? undefined;
const lines: string[] = [];
const load0 = loadavg();
try {
  const bodies = await requestBodies();
  const halves = [bodies.filter((_, i) => i % 2 === 0), bodies.filter((_, i) => i % 2 === 1)];
  const url = await databaseUrl();
  const pgPids = await postgresPids();
  const env = { SIGNET_DATABASE_URL: url };
  // All cores for every process: the question is what a second process adds on this machine.
  const a = await startSignetServer('ecdsa-p256', env, { cores: `0-${cpus().length - 1}` });
  let b: RunningServer | undefined;
  try {
    const authorities = (await (await fetch(`${a.url}/api/v1/cas`, { headers: { authorization: `Bearer ${a.adminToken}` } })).json()) as { items: Array<{ id: string; role: string }> };
    const issuingId = authorities.items.find((c) => c.role === 'issuing')!.id;
    const issuerDer = Buffer.from(await (await fetch(`${a.url}/ca/${issuingId}.crt`)).arrayBuffer());
    const serials: string[] = [];
    const keepSerial = (body: string) => {
      if (serials.length < 20_000) serials.push((JSON.parse(body) as { serial: string }).serial);
    };
    const issuance = (servers: RunningServer[]) =>
      drive(servers, SECONDS, (i) => ({ path: '/api/v1/certificates', contentType: 'application/json', bodies: servers.length === 1 ? bodies : halves[i]!, onBody: keepSerial }), pgPids);
    const ocsp = async (servers: RunningServer[]) => {
      const questions = ocspQuestions(issuerDer);
      const sample = Array.from({ length: 5000 }, () => questions.about(serialOctets(serials[randomInt(serials.length)]!)));
      // A figure only for real answers: the request names our CA and the answer is "successful" (RFC 6960 §4.2.1).
      const answer = Buffer.from(await (await fetch(`${servers[0]!.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: sample[0] })).arrayBuffer());
      if (AsnConvert.parse(answer, OCSPResponse).responseStatus !== OCSPResponseStatus.successful) throw new Error('the OCSP responder does not answer the bench requests successfully');
      return drive(servers, OCSP_SECONDS, () => ({ path: '/ocsp', contentType: 'application/ocsp-request', bodies: sample }), pgPids);
    };
    // Warm-up: V8 optimises the hot paths, the pools fill.
    await issuance([a]);
    const oneIssuance = await issuance([a]);
    const oneOcsp = await ocsp([a]);
    console.log(row('one server: issuance', oneIssuance));
    b = await startSignetServer('ecdsa-p256', env, { dataDir: a.dataDir, cores: `0-${cpus().length - 1}` });
    await issuance([b]);
    const twoIssuance = await issuance([a, b]);
    const twoOcsp = await ocsp([a, b]);
    console.log(row('two servers: issuance', twoIssuance));
    await b.stop();
    b = undefined;
    const againIssuance = await issuance([a]);
    const againOcsp = await ocsp([a]);
    lines.push(
      row('one server: issuance', oneIssuance),
      row('two servers: issuance', twoIssuance),
      row('one server again: issuance', againIssuance),
      row('one server: OCSP (random serials)', oneOcsp),
      row('two servers: OCSP', twoOcsp),
      row('one server again: OCSP', againOcsp),
    );
  } finally {
    await b?.stop();
    await a.stop();
  }
} finally {
  await teardown?.();
}
const load1 = loadavg();
console.log(`
| run | requests/s (wall) | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | ceiling on ${cpus().length} cores (req/s) | errors |
| --- | --- | --- | --- | --- | --- | --- | --- |
${lines.join('\n')}

Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared; load average ${load0[0]!.toFixed(1)} at the start, ${load1[0]!.toFixed(1)} at the end.
Every process of the run (servers, PostgreSQL, this load generator) shares those ${cpus().length} cores, so the sum of CPU per request bounds the
rate whatever the number of servers: "ceiling" = ${cpus().length} × 1000 / (server + PostgreSQL + load generator ms per request), the rate if this run
had the whole machine. A second server raises the rate only as far as one server left cores idle (its event loop is one thread); past that,
it moves the same CPU around. Other tenants' load lowers the wall rates but not the CPU per request.
Issuance: POST /api/v1/certificates, ${CONNECTIONS} keep-alive connections split across the servers, ${SECONDS} s after a warm-up of the same length;
OCSP: POST /ocsp for random serials among those issued, ${OCSP_SECONDS} s; at these rates most are a serial's first ask (signed, linted, then cached). PostgreSQL: the test cluster (fsync off), same machine.
Reproduce: npm run build && npx tsx bench/scale-out.ts --seconds ${SECONDS} --ocsp-seconds ${OCSP_SECONDS}`);
process.exit(0);
