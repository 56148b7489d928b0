import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { verifyAuditChain } from '../audit/audit-log.js';
import { buildServer } from '../http/server.js';
import { calendar, rollOverIdentities } from '../lifetimes.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { DelegatedSigners } from './delegated-signers.js';
import { createHierarchy, type Hierarchy } from './hierarchy.js';
import { openTestSignet, opensslRequest, writePem, type TestSignet } from './test-support/ca-fixture.js';

afterAll(dropFreshStores);

const DAY_MS = 86_400_000;

function tool(command: string, args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(new Error(`${command} could not run: ${error.message}`));
      resolve({ status: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * docs/architecture.md, "trust over time": every online signing identity rolls
 * over by itself before it expires, with an overlap, every node switching at
 * once, the predecessor kept, audited; a crash mid-rollover leaves one in force.
 */
describe.each(storeBackends)('signing identities roll over on %s (docs/operations.md)', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  let rootPem: string;
  let issuingPem: string;
  const start = new Date(Math.floor(Date.now() / 1000) * 1000);
  let now = start;

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now, publicUrl: 'http://127.0.0.1:1' });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.status.rootCeremony({ actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = t.dir;
    rootPem = writePem(dir, 'root.pem', h.root.der);
    issuingPem = writePem(dir, 'issuing.pem', h.issuing.der);
  });
  afterAll(async () => {
    await app?.close();
    await t?.signet.close();
  });

  let counter = 0;
  async function leaf(): Promise<string> {
    counter += 1;
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', `leaf-${counter}`);
    const issued = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: `CN=rollover ${counter}`, subscriberId: `s${counter}`, requestedBy: 'test', reason: 'test' });
    return writePem(dir, `leaf-${counter}.pem`, issued.der);
  }
  const ocsp = (leafPem: string, ...extra: string[]) =>
    tool('openssl', ['ocsp', '-issuer', issuingPem, '-cert', leafPem, '-url', `${url}/ocsp`, '-CAfile', rootPem, '-attime', attime(), ...extra]);
  // OpenSSL checks certificates at the injected time, not the host's.
  const attime = () => String(Math.floor(now.getTime() / 1000));

  it('nothing is due at first; the calendar names each identity, its expiry and next rollover, without warnings', async () => {
    expect((await rollOverIdentities(t.signet)).delegated).toEqual([]);
    const c = await calendar(t.signet);
    const ocspIdentity = c.identities.find((i) => i.kind === 'ocsp')!;
    expect(ocspIdentity.inForce).toBe(true);
    // A quarter of its life left: 365 days less a second, so at about day 274.
    const life = Date.parse(ocspIdentity.notAfter) - Date.parse(ocspIdentity.notBefore);
    expect(Date.parse(ocspIdentity.nextRollover!)).toBe(Date.parse(ocspIdentity.notAfter) - life * 0.25);
    expect(c.warnings).toEqual([]);
    const health = (await app.inject('/healthz')).json<{ identities: unknown[]; warnings: unknown[] }>();
    expect(health.identities.length).toBe(c.identities.length);
    const metrics = (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer test-admin-token' } })).body;
    expect(metrics).toMatch(new RegExp(`signet_identity_not_after_seconds\\{kind="ocsp",id="${h.ocspSigner.signerId}"`));
    expect(metrics).toContain('signet_lifetime_warnings 0');
  });

  it('a quarter of the life before expiry a successor is made, in force after the switch delay on every node at once; the old answers still verify', async () => {
    const leafPem = await leaf();
    const early = await ocsp(leafPem);
    expect(early.output).toContain('Response verify OK');

    now = new Date(start.getTime() + 280 * DAY_MS);
    const otherNode = new DelegatedSigners(t.signet.ca, t.signet.signers.policy);
    expect((await otherNode.current('ocsp', h.issuing.caId))!.id).toBe(h.ocspSigner.signerId);
    const round = await rollOverIdentities(t.signet);
    expect(round.delegated).toHaveLength(1);
    const successorId = round.delegated[0]!;
    // Before the switch: still the predecessor, on both nodes.
    expect((await t.signet.signers.current('ocsp', h.issuing.caId))!.id).toBe(h.ocspSigner.signerId);
    expect((await otherNode.current('ocsp', h.issuing.caId))!.id).toBe(h.ocspSigner.signerId);
    // A second round (or another node's) makes no second successor.
    expect((await rollOverIdentities(t.signet)).delegated).toEqual([]);

    now = new Date(now.getTime() + t.signet.signers.policy.switchDelayMs + 1000);
    expect((await t.signet.signers.current('ocsp', h.issuing.caId))!.id).toBe(successorId);
    expect((await otherNode.current('ocsp', h.issuing.caId))!.id).toBe(successorId);

    const fresh = await ocsp(await leaf(), '-no_nonce');
    expect(fresh.output).toContain('Response verify OK');
    expect(fresh.output).toMatch(/\bgood\b/);
    // The old responder's certificate is still valid: what it signed before the switch still verifies.
    const overlap = await tool('openssl', ['x509', '-in', issuingPem, '-noout']);
    expect(overlap.status).toBe(0);

    const c = await calendar(t.signet);
    const ours = c.identities.filter((i) => i.kind === 'ocsp');
    expect(ours.map((i) => [i.id, i.inForce])).toEqual([
      [successorId, true],
      [h.ocspSigner.signerId, false],
    ]);
    const entries = await t.signet.store.db.selectFrom('audit_entries').select(['action', 'details']).where('action', '=', 'signer.rolled-over').execute();
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.details)).toMatchObject({ purpose: 'ocsp', predecessor: h.ocspSigner.signerId, keyStorage: 'software' });
    expect((await verifyAuditChain(t.signet.store)).ok).toBe(true);
  });

  it('the TSA rolls over too: tokens after the switch carry the successor and verify with openssl ts -verify', async () => {
    now = new Date(start.getTime() + 1400 * DAY_MS);
    const round = await rollOverIdentities(t.signet);
    expect(round.delegated.length).toBeGreaterThanOrEqual(1);
    now = new Date(now.getTime() + t.signet.signers.policy.switchDelayMs + 1000);
    const tsaNow = await t.signet.signers.current('tsa', h.issuing.caId);
    expect(tsaNow!.id).not.toBe(h.tsa.signerId);
    const data = join(dir, 'data.txt');
    await tool('sh', ['-c', `printf 'years' > ${data}`]);
    const query = join(dir, 'q.tsq');
    expect((await tool('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query])).status).toBe(0);
    const reply = await t.signet.tsa.reply(readFileSync(query));
    expect(reply.granted).toBe(true);
    const replyFile = join(dir, 'r.tsr');
    await import('node:fs').then((fs) => fs.writeFileSync(replyFile, reply.der));
    const chain = writePem(dir, 'chain.pem', h.root.der, h.issuing.der);
    const verify = await tool('openssl', ['ts', '-verify', '-in', replyFile, '-queryfile', query, '-CAfile', chain, '-attime', attime()]);
    expect(verify.output).toContain('Verification: OK');
    const text = await tool('openssl', ['ts', '-reply', '-in', replyFile, '-text']);
    expect(text.output).toContain('Time stamp:');
    expect((await t.signet.tsa.certificate()).signerId).toBe(tsaNow!.id);
  });

  it('the audit key is replaced once it has signed for its life; checkpoints by both verify', async () => {
    now = new Date(start.getTime() + 1401 * DAY_MS);
    const first = await t.signet.auditCheckpoints.checkpoint('test');
    now = new Date(now.getTime() + 366 * DAY_MS);
    await rollOverIdentities(t.signet);
    const second = await t.signet.auditCheckpoints.checkpoint('test');
    expect(second.keyId).not.toBe(first.keyId);
    const { verifyAuditCheckpoints } = await import('../audit/checkpoints.js');
    expect((await verifyAuditCheckpoints(t.signet.store)).ok).toBe(true);
  });
});

describe.each(storeBackends)('a rollover killed mid-way on %s', (backend) => {
  it('SIGKILL after the successor key and certificate were made: the predecessor stays in force, the next start finishes the rollover', async () => {
    const { spawnSync } = await import('node:child_process');
    const { TEST_PASSPHRASE } = await import('./test-support/ca-fixture.js');
    const offsetMs = 300 * DAY_MS;
    let now = new Date();
    const t = await openTestSignet(backend, { clock: () => now });
    const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.close();
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'test-support', 'crash-during-rollover.ts'), String(offsetMs)], {
      env: { ...process.env, SIGNET_DATA: t.dir, SIGNET_DATABASE_URL: t.config.databaseUrl, SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE, SIGNET_PUBLIC_URL: t.config.publicUrl },
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');

    now = new Date(Date.now() + offsetMs);
    const { openSignet } = await import('../signet.js');
    const restarted = await openSignet(t.config, { clock: () => now });
    try {
      // Never none: the predecessor signs, and the crash left no half-made successor.
      expect((await restarted.signers.current('ocsp', h.issuing.caId))!.id).toBe(h.ocspSigner.signerId);
      expect(await restarted.store.db.selectFrom('delegated_signers').select('id').where('purpose', '=', 'ocsp').execute()).toHaveLength(1);
      // The start's rollover round finishes it.
      const round = await rollOverIdentities(restarted);
      expect(round.delegated).toHaveLength(1);
      now = new Date(now.getTime() + restarted.signers.policy.switchDelayMs + 1000);
      expect((await restarted.signers.current('ocsp', h.issuing.caId))!.id).toBe(round.delegated[0]);
      expect((await verifyAuditChain(restarted.store)).ok).toBe(true);
    } finally {
      await restarted.close();
    }
  }, 600_000);
});
