import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { verifyAuditChain } from './audit/audit-log.js';
import { createHierarchy } from './ca/hierarchy.js';
import { openTestSignet, opensslRequest, TEST_PASSPHRASE } from './ca/test-support/ca-fixture.js';
import { openSignet } from './signet.js';
import { statusDb } from './status/schema.js';
import { dropFreshStores } from './store/test-support/store-backends.js';
import { ocspQuestions } from './status/test-support/ocsp-question.js';

afterAll(dropFreshStores);

const cliEntry = join(import.meta.dirname, 'cli', 'entry.ts');
const ADMIN = { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' };
/** The process lease of every server here: short, so that the killed node's work is recovered within the test. */
const LEASE_SECONDS = 4;
/** Node c answers this many orders, then dies with SIGKILL at its next signature, in the middle of a batch. */
const C_SURVIVES = 2;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Node {
  name: string;
  base: string;
  child: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A serial as the CRL entry carries it (an INTEGER's bytes), in the hex the store keeps. */
function crlSerials(der: Buffer): string[] {
  const list = AsnConvert.parse(der, CertificateList);
  return (list.tbsCertList.revokedCertificates ?? []).map((e) => Buffer.from(e.userCertificate).toString('hex').replace(/^00/, ''));
}

/**
 * Issue 14, item 5: several real `signet serve` processes on one PostgreSQL,
 * with CLI commands run beside them, under concurrent issuance, revocation,
 * CRL publication and OCSP; one server is killed with SIGKILL in the middle of
 * a batch while the others go on (three servers, then two). Afterwards: no
 * acknowledged certificate lost, no intent abandoned while its owner lived,
 * CRL numbers unique and their coverage increasing, every revocation on the
 * CRLs in commit order and in every node's OCSP answer within the documented
 * bound (docs/status.md, "Commit order"), audit chain intact.
 *
 * PostgreSQL only: several servers over one store is the PostgreSQL
 * deployment (README); SQLite is one server's embedded store.
 */
describe('several signet serve processes on one PostgreSQL (issue 14)', () => {
  it('lose nothing and agree on status when one of three is killed mid-batch, with CLI commands beside them', { timeout: 300_000 }, async () => {
    const t = await openTestSignet('postgres');
    const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    const caId = h.issuing.caId;
    await t.signet.status.crls.publish(caId, 'full', 'test');
    await t.signet.close();

    const csrs = Array.from({ length: 6 }, (_, i) => opensslRequest(t.dir, 'ecdsa-p256', `node-load-${i}`).csrPem);
    const cliCsr = join(t.dir, 'cli.csr');
    writeFileSync(cliCsr, opensslRequest(t.dir, 'ecdsa-p256', 'cli').csrPem);
    const baseEnv = {
      ...process.env,
      SIGNET_DATA: t.dir,
      SIGNET_DATABASE_URL: t.config.databaseUrl,
      SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE,
      SIGNET_ADMIN_TOKEN: 'test-admin-token',
      SIGNET_PUBLIC_URL: t.config.publicUrl,
      SIGNET_LOG_LEVEL: 'silent',
      SIGNET_LANG: 'en',
      SIGNET_PROCESS_LEASE_SECONDS: String(LEASE_SECONDS),
      // Deltas are opt-in; here they are on, since their membership is what commit order decides.
      SIGNET_DELTA_CRLS: 'on',
    };

    // Nodes a and b are `signet serve`; node c is the same server that kills itself at its third signature (serve-then-die.ts).
    const startNode = async (name: string): Promise<Node> => {
      const port = await freePort();
      const script = name === 'c' ? [join(import.meta.dirname, 'ca', 'test-support', 'serve-then-die.ts')] : [cliEntry, 'serve'];
      const env = { ...baseEnv, SIGNET_PORT: String(port), SIGNET_TEST_DIE_AFTER_SIGNED: String(C_SURVIVES) };
      const child = spawn(process.execPath, ['--import', 'tsx', ...script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
        if (child.exitCode !== null || i > 900) throw new Error(`${name} did not start: ${stderr}`);
        await sleep(100);
      }
      return { name, base, child, exited, stderr: () => stderr };
    };
    const runCli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], { env: baseEnv });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    const started = Date.now();
    const nodes = await Promise.all(['a', 'b', 'c'].map(startNode));
    console.info(`several-servers: three servers up in ${Date.now() - started} ms`);
    const [a, b, c] = nodes as [Node, Node, Node];
    try {
      const post = (node: Node, path: string, body: unknown) =>
        fetch(`${node.base}${path}`, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
      let n = 0;
      const issue = (node: Node) => {
        const i = n++;
        return post(node, '/api/v1/certificates', { csr: csrs[i % csrs.length], profile: 'tls-client', subject: `CN=${node.name} load ${i}`, subscriberId: `load-${i % csrs.length}`, reason: 'several servers' });
      };

      const questions = ocspQuestions(h.issuing.der);
      const ocspStatus = async (node: Node, serial: string): Promise<string> => {
        const request = questions.about(Buffer.from(serial, 'hex'));
        const reply = await fetch(`${node.base}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request });
        const response = AsnConvert.parse(Buffer.from(await reply.arrayBuffer()), OCSPResponse);
        if (!response.responseBytes) return `status-${response.responseStatus}`;
        const single = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!;
        return single.certStatus.good !== undefined ? 'good' : single.certStatus.revoked ? 'revoked' : 'unknown';
      };

      const acknowledged = new Map<string, string>();
      const revoked = new Set<string>();
      const failures: string[] = [];
      const toRevoke: string[] = [];
      let stop = false;

      // The two nodes that live: issue in batches, revoke on the other node what was issued, publish deltas, ask OCSP.
      const load = async (node: Node, other: Node) => {
        let round = 0;
        while (!stop) {
          round += 1;
          const answers = await Promise.all(Array.from({ length: 4 }, () => issue(node)));
          for (const answer of answers) {
            if (answer.status === 201) acknowledged.set(answer.json.serial as string, node.name);
            else failures.push(`${node.name} issue ${answer.status} ${JSON.stringify(answer.json)}`);
          }
          toRevoke.push(...answers.filter((x) => x.status === 201).slice(0, 1).map((x) => x.json.serial as string));
          const serial = toRevoke.shift();
          if (serial) {
            const done = await post(other, `/api/v1/certificates/${serial}/revocation`, { reason: 'superseded', channel: 'ra' });
            if (done.status === 201) revoked.add(serial);
            else failures.push(`${other.name} revoke ${serial} ${done.status} ${JSON.stringify(done.json)}`);
          }
          if (round % 3 === 0) {
            const crl = await post(node, `/api/v1/crls/${caId}`, { kind: round % 9 === 0 ? 'full' : 'delta' });
            if (crl.status !== 201) failures.push(`${node.name} crl ${crl.status} ${JSON.stringify(crl.json)}`);
          }
          const sample = [...acknowledged.keys()][round % Math.max(1, acknowledged.size)];
          if (sample) {
            const answer = await ocspStatus(other, sample);
            if (answer !== 'good' && answer !== 'revoked') failures.push(`${other.name} ocsp ${sample} ${answer}`);
          }
        }
      };
      const loads = [load(a, b), load(b, a)];

      // CLI commands beside the servers: each opens the deployment while they have intents pending.
      const commands = Promise.all([
        runCli(['ca', 'list', '--json']),
        runCli(['cert', 'issue', '--csr', cliCsr, '--profile', 'tls-client', '--subject', 'CN=from the CLI', '--json']),
        runCli(['crl', 'generate', '--ca', caId, '--delta', '--json']),
      ]);

      // Node c: two orders answered, then a batch of six in flight when it dies (SIGKILL after its next signature).
      const killedPid = c.child.pid!;
      const wave = (size: number) =>
        Promise.all(
          Array.from({ length: size }, () =>
            issue(c)
              .then((answer) => {
                if (answer.status === 201) acknowledged.set(answer.json.serial as string, 'c');
                return answer.status;
              })
              .catch(() => 0),
          ),
        );
      const statuses = [...(await wave(C_SURVIVES)), ...(await wave(6))];
      await c.exited;
      expect(c.child.signalCode).toBe('SIGKILL');
      expect(statuses.slice(0, C_SURVIVES), statuses.join(' ')).toEqual(Array(C_SURVIVES).fill(201));
      // The batch in flight got no answer at all: the connection died with the node.
      expect(statuses.slice(C_SURVIVES), statuses.join(' ')).toEqual(Array(6).fill(0));
      const killedAt = Date.now();

      // The two others go on: past the dead node's lease and a recovery round, and until the CLI commands are done.
      const outputs = await commands;
      while (Date.now() - killedAt < 3 * LEASE_SECONDS * 1000) await sleep(200);
      stop = true;
      await Promise.all(loads);
      for (const output of outputs) expect(output.code, output.stderr).toBe(0);
      const cliSerial = (JSON.parse(outputs[1]!.stdout) as { serial: string }).serial;
      acknowledged.set(cliSerial, 'cli');
      expect(failures).toEqual([]);

      // A revocation made through the CLI, and on node a: node b's OCSP says so within its bound (1 s poll + the look).
      const [viaCli, viaA] = [...acknowledged.keys()].filter((s) => !revoked.has(s)).slice(0, 2) as [string, string];
      const cliRevoke = await runCli(['cert', 'revoke', '--serial', viaCli, '--reason', 'superseded', '--channel', 'ra', '--json']);
      expect(cliRevoke.code, cliRevoke.stderr).toBe(0);
      revoked.add(viaCli);
      expect((await post(a, `/api/v1/certificates/${viaA}/revocation`, { reason: 'keyCompromise', channel: 'ra' })).status).toBe(201);
      revoked.add(viaA);
      const revokedAt = Date.now();
      let seen = await ocspStatus(b, viaA);
      while (seen !== 'revoked' && Date.now() - revokedAt < 10_000) {
        await sleep(50);
        seen = await ocspStatus(b, viaA);
      }
      const lag = Date.now() - revokedAt;
      expect(seen).toBe('revoked');
      console.info(`several-servers: node b's OCSP said revoked ${lag} ms after node a's revocation returned`);
      expect(lag).toBeLessThan(5_000);

      // The dead node's intents are closed once its lease has run out (by the survivors' recovery); nobody else's.
      const store = await openSignet(t.config);
      try {
        const db = store.store.db;
        const deadline = Date.now() + 6 * LEASE_SECONDS * 1000;
        let pending = await db.selectFrom('issuance_intents').select(['serial', 'owner_instance']).where('state', '=', 'pending').execute();
        while (pending.length > 0 && Date.now() < deadline) {
          await sleep(250);
          pending = await db.selectFrom('issuance_intents').select(['serial', 'owner_instance']).where('state', '=', 'pending').execute();
        }
        expect(pending).toEqual([]);
        const intents = await db.selectFrom('issuance_intents').select(['serial', 'state', 'owner_instance']).where('requested_by', '=', 'operator:admin-token').execute();
        const abandoned = intents.filter((i) => i.state === 'abandoned');
        const killedId = new RegExp(`:${killedPid}:`);
        for (const intent of abandoned) expect(intent.owner_instance, intent.serial).toMatch(killedId);
        const audited = await db.selectFrom('audit_entries').select(['target', 'details']).where('action', '=', 'issuance.abandoned').execute();
        expect(audited.map((e) => e.target).sort()).toEqual(abandoned.map((i) => `certificate:${i.serial}`).sort());
        for (const entry of audited) expect((JSON.parse(entry.details) as { owner: string }).owner).toMatch(killedId);
        // Node c's batch: the unanswered requests are recorded or abandoned, never left half-done.
        const ofC = intents.filter((i) => killedId.test(i.owner_instance ?? ''));
        expect(ofC.filter((i) => i.state === 'issued')).toHaveLength(C_SURVIVES);
        // At least the signed one was in flight: closed as abandoned, by a survivor, once c's lease ran out.
        expect(abandoned.length).toBeGreaterThanOrEqual(1);

        // No acknowledged certificate lost: each is on record, its intent issued.
        const recorded = new Set((await db.selectFrom('certificates').select('serial').execute()).map((r) => r.serial));
        for (const serial of acknowledged.keys()) expect(recorded.has(serial), `${serial} from ${acknowledged.get(serial)}`).toBe(true);
        for (const intent of abandoned) expect(recorded.has(intent.serial)).toBe(false);

        // CRLs: final ones published on each live node, then every archived CRL checked against commit order.
        expect((await post(a, `/api/v1/crls/${caId}`, { kind: 'full' })).status).toBe(201);
        expect((await post(b, `/api/v1/crls/${caId}`, { kind: 'delta' })).status).toBe(201);
        const s = statusDb(store.store);
        const revocations = await s.selectFrom('revocations').select(['serial', 'commit_seq']).where('issuer_ca_id', '=', caId).orderBy('commit_seq').execute();
        expect(revocations.map((r) => r.serial).sort()).toEqual([...revoked].sort());
        expect(revocations.map((r) => Number(r.commit_seq))).toEqual(revocations.map((_, i) => i + 1));
        const archive = await s.selectFrom('crl_archive').selectAll().where('issuer_ca_id', '=', caId).orderBy('crl_number').execute();
        const numbers = archive.map((crl) => Number(crl.crl_number));
        expect(new Set(numbers).size).toBe(numbers.length);
        const throughs = archive.map((crl) => Number(crl.revocations_through));
        expect(throughs).toEqual([...throughs].sort((x, y) => x - y));
        const byNumber = new Map(archive.map((crl) => [Number(crl.crl_number), crl]));
        const numbered = (from: number, to: number) => revocations.filter((r) => Number(r.commit_seq) > from && Number(r.commit_seq) <= to).map((r) => r.serial).sort();
        for (const crl of archive) {
          const base = crl.kind === 'delta' ? byNumber.get(Number(crl.base_crl_number))! : undefined;
          const expected = numbered(base ? Number(base.revocations_through) : 0, Number(crl.revocations_through));
          expect(crlSerials(crl.der).sort(), `${crl.kind} CRL ${crl.crl_number}`).toEqual(expected);
        }
        // What each live node serves now: the full CRL holds every revocation, and each node says so in OCSP.
        await sleep(1_200);
        for (const node of [a, b]) {
          const served = Buffer.from(await (await fetch(`${node.base}/crl/${caId}.crl`)).arrayBuffer());
          expect(crlSerials(served).sort(), node.name).toEqual([...revoked].sort());
          for (const serial of revoked) expect(await ocspStatus(node, serial), `${node.name} ${serial}`).toBe('revoked');
          for (const serial of [...acknowledged.keys()].filter((x) => !revoked.has(x)).slice(0, 5)) expect(await ocspStatus(node, serial)).toBe('good');
        }
        expect((await verifyAuditChain(store.store)).ok).toBe(true);
        console.info(
          `several-servers: ${acknowledged.size} certificates acknowledged, ${revoked.size} revoked, ${archive.length} CRLs, ` +
            `node c killed with ${statuses.filter((x) => x === 201).length} of ${statuses.length} answered, ${ofC.length} intents of its own, ${abandoned.length} abandoned`,
        );
      } finally {
        await store.close();
      }
    } finally {
      for (const node of nodes) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
      await Promise.all(nodes.map((node) => node.exited));
      rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
