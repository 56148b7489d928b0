/**
 * ACME orders completed per second end to end, beside the REST API's issuance
 * rate on the same server in the same run (issue 21).
 *
 *   npm run build && npx tsx bench/acme.ts [orders] [rest-requests]
 *
 * One `signet serve` (ECDSA P-256 hierarchy, durable SQLite) pinned to core 0.
 * REST: POST /api/v1/certificates with the operator token, as bench/issuance.ts.
 * ACME: the npm acme-client (nobody here wrote it) drives whole orders as a
 * subscriber's server would: newOrder → authorization → http-01 answered by a
 * local responder in this process (Signet connects to it and checks the key
 * authorization) → poll → finalize → poll → download the chain. Each of
 * CLIENTS accounts has its own External Account Binding issued over the RA's
 * REST API for a verified enterprise, and orders one name of its own again
 * and again (every order validated afresh: no authorization reuse).
 */
import { createServer } from 'node:http';
import * as acme from 'acme-client';
import { fmt, freePort, processCpuSeconds, startSignetServer } from './bench-support.js';

const ORDERS = Number(process.argv[2] ?? 300);
const REST = Number(process.argv[3] ?? 1500);
const CLIENTS = Number(process.env.SIGNET_BENCH_ACME_CLIENTS ?? 16);
const names = Array.from({ length: CLIENTS }, (_, i) => `host${i}.bench.example.com`);

const tokens = new Map<string, string>();
const responder = createServer((request, response) => {
  const answer = tokens.get(request.url?.split('/').pop() ?? '');
  response.writeHead(answer ? 200 : 404).end(answer ?? '');
});
const http01Port = await freePort();
await new Promise<void>((resolve) => responder.listen(http01Port, '127.0.0.1', resolve));

const server = await startSignetServer('ecdsa-p256', {
  SIGNET_ACME_HTTP01_PORT: String(http01Port),
  SIGNET_ACME_HOSTS: names.map((n) => `${n}=127.0.0.1`).join(','),
  // The per-account limits guard a public door; the bench's accounts order far more than a real one.
  SIGNET_ACME_LIMITS: 'orders=1000000/3600,pending=1000000',
});

async function call(path: string, body: unknown, token = server.adminToken): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The RA's side over REST: agreement, RA, officer, a verified enterprise, one binding per client. */
async function bindings(): Promise<{ keyId: string; macKey: string }[]> {
  await call('/api/v1/agreements', { id: 'bench-1', title: '数字证书服务协议', text: '服务协议全文' });
  const raId = String((await call('/api/v1/ra/organisations', { name: '基准测试注册机构' })).id);
  const operator = await call('/api/v1/ra/operators', { username: 'bench-officer', role: 'ra-officer', raId, password: 'bench officer password' });
  const officer = String((await call('/api/v1/ra/api-tokens', { label: 'bench', operatorId: operator.id })).token);
  const subscriber = await call(
    '/api/v1/ra/subscribers',
    {
      type: 'enterprise',
      name: '示例科技有限公司',
      uscc: '91350100M000100Y43',
      legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
      agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
      consent: { agreementVersion: 'bench-1', accepted: true },
    },
    officer,
  );
  const out: { keyId: string; macKey: string }[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const binding = await call('/api/v1/ra/acme-bindings', { subscriberId: subscriber.id, identifiers: ['*.bench.example.com'], validityDays: 7 }, officer);
    out.push({ keyId: String(binding.keyId), macKey: String(binding.macKey) });
  }
  return out;
}

/** Runs `total` jobs with `parallel` workers; returns jobs done per second and the server's CPU seconds. */
async function timed(total: number, parallel: number, job: (worker: number, i: number) => Promise<void>): Promise<{ perSecond: number; perCpuSecond: number; clientShare: number }> {
  let next = 0;
  const cpu0 = processCpuSeconds(server.process.pid!);
  const client0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, worker) => {
      for (let i = next++; i < total; i = next++) await job(worker, i);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = processCpuSeconds(server.process.pid!) - cpu0;
  const client = process.cpuUsage(client0);
  return { perSecond: total / seconds, perCpuSecond: total / Math.max(cpu, 0.01), clientShare: (client.user + client.system) / 1e6 / seconds };
}

try {
  // Requests made beforehand: the key pairs are the subscribers' work, not the CA's.
  const restBodies: string[] = [];
  for (let i = 0; i < REST; i++) {
    const [, csr] = await acme.crypto.createCsr({ commonName: `bench subscriber ${i}` }, await acme.crypto.createPrivateEcdsaKey());
    restBodies.push(JSON.stringify({ csr: csr.toString(), profile: 'tls-client', subject: `CN=bench subscriber ${i}`, subscriberId: `bench-${i}` }));
  }
  const acmeCsrs = await Promise.all(names.map(async (name) => (await acme.crypto.createCsr({ commonName: name, altNames: [name] }, await acme.crypto.createPrivateEcdsaKey()))[1]));

  const clients = await Promise.all(
    (await bindings()).map(async (eab) => {
      const client = new acme.Client({
        directoryUrl: `${server.url}/acme/directory`,
        accountKey: await acme.crypto.createPrivateEcdsaKey(),
        externalAccountBinding: { kid: eab.keyId, hmacKey: eab.macKey },
        // Signet validates inside the challenge POST and issues inside finalize: polls find the result at once.
        backoffMin: 20,
        backoffMax: 200,
      });
      await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:ops@example.com'] });
      return client;
    }),
  );
  const order = async (worker: number) => {
    const chain = await clients[worker]!.auto({
      csr: acmeCsrs[worker]!,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        tokens.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        tokens.delete(challenge.token);
      },
    });
    if (!chain.includes('BEGIN CERTIFICATE')) throw new Error('an order ended without a certificate');
  };
  const rest = async (_worker: number, i: number) => {
    const response = await fetch(`${server.url}/api/v1/certificates`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` }, body: restBodies[i]! });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`REST issuance answered ${response.status}`);
  };

  // Warm-up of both paths under the same concurrency, then REST and ACME one after the other on the same server.
  await timed(Math.min(CLIENTS * 2, ORDERS), CLIENTS, (worker) => order(worker));
  await timed(Math.min(200, REST), CLIENTS, rest);
  const restRate = await timed(REST, CLIENTS, rest);
  const acmeRate = await timed(ORDERS, CLIENTS, (worker) => order(worker));
  console.log(`REST  POST /api/v1/certificates ${fmt(restRate.perSecond).padStart(6)} certs/s wall   ${fmt(restRate.perCpuSecond).padStart(6)} certs/server-CPU-s   load generator ${(restRate.clientShare * 100).toFixed(0)}% of a core`);
  console.log(
    `ACME  whole orders (http-01)     ${acmeRate.perSecond.toFixed(1).padStart(6)} orders/s wall  ${acmeRate.perCpuSecond.toFixed(1).padStart(6)} orders/server-CPU-s  load generator ${(acmeRate.clientShare * 100).toFixed(0)}% of a core   ratio ACME/REST ${((acmeRate.perCpuSecond / restRate.perCpuSecond) * 100).toFixed(1)}% (CPU)`,
  );
  console.log(`
${REST} REST issuances and ${ORDERS} ACME orders (after a warm-up of each), ${CLIENTS} concurrent clients, one signet serve (ECDSA P-256, SQLite, synchronous=${(process.env.SIGNET_SQLITE_SYNCHRONOUS || 'full').toUpperCase()}) pinned to core 0.
An ACME order is ~10 signed JWS requests (newOrder, authz, challenge, poll, finalize, poll, download, nonces) plus Signet's own HTTP fetch of the http-01 token,
each JWS verified and each nonce taken from the store; the REST figure is one request per certificate.
Reproduce: npm run build && npx tsx bench/acme.ts ${ORDERS} ${REST}   (SIGNET_BENCH_ACME_CLIENTS=N)`);
} finally {
  await server.stop();
  responder.close();
}
