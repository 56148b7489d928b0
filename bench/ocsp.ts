/**
 * Cached OCSP responses per second (RFC 5019 requests without a nonce), three
 * servers on the same data, each in its own process, driven by autocannon
 * (and wrk where the server answers it) over loopback in the same run:
 *
 *   1. Signet's POST /ocsp (`signet serve`, Fastify, pre-signed response from memory);
 *   2. `openssl ocsp -port` over an index file holding the same certificate;
 *   3. a bare node:http server that returns the same response bytes: the ceiling.
 *
 *   npm run build && npx tsx bench/ocsp.ts [seconds]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { toPem } from '../src/http/der.js';
import { fmt, freePort, startSignetServer } from './bench-support.js';

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = 32;
const dir = mkdtempSync(join(tmpdir(), 'signet-bench-ocsp-'));

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Polls with a real OCSP request: a bare TCP probe would leave the single-threaded openssl responder waiting on it. */
async function waitForAnswer(url: string, body: Buffer): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} does not answer`);
}

/** wrk -t1 -cN -dS with the DER request as POST body; returns requests/s, and refuses to count errors as answers. */
function wrk(url: string, requestFile: string): { perSecond: number; errors: string } {
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `local f = io.open("${requestFile}", "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\nwrk.headers["Content-Type"] = "application/ocsp-request"\n`,
  );
  const out = run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, url]);
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const errors = /Socket errors:.*|Non-2xx or 3xx responses: \d+/g;
  return { perSecond, errors: (out.match(errors) ?? []).join('; ') || 'none' };
}

/** The same load with autocannon (Node, the other core): the only driver `openssl ocsp -port` answers. */
async function cannon(url: string, body: Buffer): Promise<{ perSecond: number; errors: string }> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body });
  const errors = result.errors + result.non2xx + result.timeouts;
  return { perSecond: result.requests.total / (result.duration || SECONDS), errors: errors ? `${errors} errors/non-2xx/timeouts` : 'none' };
}

async function post(url: string, body: Buffer): Promise<Buffer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body });
  return Buffer.from(await response.arrayBuffer());
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// One subscriber certificate from Signet, and the no-nonce request a browser would send for it.
const server = await startSignetServer('ecdsa-p256');
const results: string[] = [];
try {
  const authorities = (await (await fetch(`${server.url}/healthz`)).json()) as { authorities: number };
  if (authorities.authorities < 2) throw new Error('the server did not create its hierarchy');
  run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'leaf.key'), '-subj', '/CN=x', '-out', join(dir, 'leaf.csr')]);
  const issued = (await (
    await fetch(`${server.url}/api/v1/certificates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify({ csr: readFileSync(join(dir, 'leaf.csr'), 'utf8'), profile: 'tls-client', subject: 'CN=bench leaf', subscriberId: 'bench' }),
    })
  ).json()) as { serial: string; issuerCaId: string; pem: string; notAfter: string };
  writeFileSync(join(dir, 'leaf.pem'), issued.pem);
  const issuingDer = Buffer.from(await (await fetch(`${server.url}/ca/${issued.issuerCaId}.crt`)).arrayBuffer());
  writeFileSync(join(dir, 'issuing.pem'), toPem('CERTIFICATE', issuingDer));
  const requestFile = join(dir, 'request.der');
  run('openssl', ['ocsp', '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-no_nonce', '-reqout', requestFile]);
  const request = readFileSync(requestFile);
  const signetResponse = await post(`${server.url}/ocsp`, request);
  if (AsnConvert.parse(signetResponse, OCSPResponse).responseStatus !== OCSPResponseStatus.successful) throw new Error('Signet did not answer the request');

  // 1. Signet.
  const signet = await cannon(`${server.url}/ocsp`, request);
  const signetWrk = wrk(`${server.url}/ocsp`, requestFile);
  await stop(server.process);

  // 2. openssl ocsp -port over an index file with the same certificate (its own responder key, same algorithm).
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'rkey.pem'), '-subj', '/CN=openssl responder', '-days', '2', '-out', join(dir, 'rcert.pem')]);
  const expiry = issued.notAfter.replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  writeFileSync(join(dir, 'index.txt'), `V\t${expiry}\t\t${issued.serial.toUpperCase()}\tunknown\t/CN=bench leaf\n`);
  const opensslPort = await freePort();
  const openssl = spawn('taskset', ['-c', '0', 'openssl', 'ocsp', '-index', join(dir, 'index.txt'), '-port', String(opensslPort), '-rsigner', join(dir, 'rcert.pem'), '-rkey', join(dir, 'rkey.pem'), '-CA', join(dir, 'issuing.pem'), '-ignore_err'], { stdio: 'ignore' });
  await waitForAnswer(`http://127.0.0.1:${opensslPort}/`, request);
  const opensslResult = await cannon(`http://127.0.0.1:${opensslPort}/`, request);
  await stop(openssl);

  // 3. The ceiling: node:http returning the very bytes Signet served.
  writeFileSync(join(dir, 'response.der'), signetResponse);
  const barePort = await freePort();
  // On Signet's core (taskset, as startSignetServer pins it), or the ratio measures the scheduler: 82% one run, 38% the next.
  const bare = spawn(
    'taskset',
    [
      '-c',
      '0',
      process.execPath,
      '-e',
      `const body = require('fs').readFileSync(${JSON.stringify(join(dir, 'response.der'))});
       require('http').createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length }); res.end(body); }); }).listen(${barePort}, '127.0.0.1');`,
    ],
    { stdio: 'ignore' },
  );
  await waitForAnswer(`http://127.0.0.1:${barePort}/`, request);
  const ceiling = await cannon(`http://127.0.0.1:${barePort}/`, request);
  const ceilingWrk = wrk(`http://127.0.0.1:${barePort}/`, requestFile);
  await stop(bare);

  results.push(
    `Signet POST /ocsp (cached)   ${fmt(signet.perSecond).padStart(7)} responses/s   ${((signet.perSecond / ceiling.perSecond) * 100).toFixed(1)}% of the ceiling   errors: ${signet.errors}`,
    `openssl ocsp -port (index)   ${fmt(opensslResult.perSecond).padStart(7)} responses/s   ${((opensslResult.perSecond / ceiling.perSecond) * 100).toFixed(1)}% of the ceiling   errors: ${opensslResult.errors}`,
    `bare node:http, same bytes   ${fmt(ceiling.perSecond).padStart(7)} responses/s   (ceiling)   errors: ${ceiling.errors}`,
    '',
    'The same with wrk (C, HTTP/1.1 keep-alive; openssl ocsp -port never answers wrk, so it has no line here):',
    `Signet POST /ocsp (cached)   ${fmt(signetWrk.perSecond).padStart(7)} responses/s   ${((signetWrk.perSecond / ceilingWrk.perSecond) * 100).toFixed(1)}% of the ceiling   errors: ${signetWrk.errors}`,
    `bare node:http, same bytes   ${fmt(ceilingWrk.perSecond).padStart(7)} responses/s   (ceiling)   errors: ${ceilingWrk.errors}`,
  );
} finally {
  await stop(server.process);
}
console.log(results.join('\n'));
console.log(`
OCSP, one certificate, request without nonce (${readFileSync(join(dir, 'request.der')).length} bytes), each server one process on loopback;
autocannon and wrk -t1, ${CONNECTIONS} connections, ${SECONDS} s each, POST application/ocsp-request. Targets: Signet >= 70% of the ceiling and >= 15,000/s.
Reproduce: npm run build && npx tsx bench/ocsp.ts ${SECONDS}`);
