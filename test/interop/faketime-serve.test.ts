import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslRequest } from '../../src/ca/test-support/ca-fixture.js';
import { freePort } from './verifiers.js';

/** Debian's libfaketime (package faketime, scripts/setup-test-tools.sh); the MT build, as Node has threads. */
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
const ENTRY = join(import.meta.dirname, '..', '..', 'src', 'cli', 'entry.ts');
const ADMIN = 'faketime-admin-token-not-secret';

/** The environment of a process whose clock runs `offset` ahead (libfaketime's "+365d"), or the real clock. */
function clockEnv(offset: string | null): NodeJS.ProcessEnv {
  if (!offset) return {};
  if (!existsSync(FAKETIME_LIB)) throw new Error(`${FAKETIME_LIB} is missing (run scripts/setup-test-tools.sh)`);
  return { LD_PRELOAD: FAKETIME_LIB, FAKETIME: offset };
}

/**
 * Issue 13 item 6, the real-process half: the data folder an operator
 * installed today, run by a real `signet serve` process whose clock
 * libfaketime puts one year and then five years ahead. Nothing is done by
 * hand in between: the server's start rolls the expired OCSP responder (and
 * at five years the TSA) over by itself, and `openssl ocsp` / `openssl ts
 * -verify`, run under the same shifted clock, accept what the rolled-over
 * identities sign. Then the clock comes back to today: the TSA refuses (its
 * latest genTime is five years ahead), says so in /healthz, and stamps again
 * once `signet tsa reset-clock-guard` has run beside the live server.
 */
describe('a real signet serve a year and five years on, under libfaketime (issue 13)', () => {
  const data = mkdtempSync(join(tmpdir(), 'signet-faketime-'));
  const work = mkdtempSync(join(tmpdir(), 'signet-faketime-work-'));
  let port = 0;
  let server: { child: ChildProcess; log: () => string } | null = null;
  const env = (offset: string | null): NodeJS.ProcessEnv => ({
    ...process.env,
    SIGNET_DATA: data,
    SIGNET_DATABASE_URL: '',
    SIGNET_PORT: String(port),
    SIGNET_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SIGNET_ADMIN_TOKEN: ADMIN,
    SIGNET_LANG: 'en',
    SIGNET_LOG_LEVEL: 'warn',
    ...clockEnv(offset),
  });

  async function serve(offset: string | null): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve'], { env: env(offset), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString('utf8')));
    server = { child, log: () => log };
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`signet serve exited ${child.exitCode}: ${log}`);
      if (log.includes('Signet is listening on')) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`signet serve did not start: ${log}`);
  }

  async function stop(): Promise<void> {
    const running = server;
    server = null;
    if (!running || running.child.exitCode !== null) return;
    const exited = new Promise((r) => running.child.once('exit', r));
    running.child.kill('SIGTERM');
    await exited;
  }
  afterAll(stop);

  /** OpenSSL under the same clock as the server it talks to. */
  function openssl(offset: string | null, args: string[]): string {
    const result = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...clockEnv(offset) }, timeout: 30_000 });
    if (result.error) throw new Error(`openssl could not run: ${result.error.message}`);
    return `${result.stdout}${result.stderr}${result.status === 0 ? '' : 'FAILED'}`;
  }

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  type Identity = { kind: string; id: string; caId: string | null; inForce: boolean; notAfter: string };
  async function health(): Promise<{ identities: Identity[]; clock: { tsa: { refusing: { code: string; text: { en: string } } | null; highWater: string | null } } }> {
    return (await api('GET', '/healthz')).json as never;
  }

  async function issueLeaf(name: string): Promise<string> {
    const issued = await api('POST', '/api/v1/certificates', { csr: opensslRequest(work, 'ecdsa-p256', name).csrPem, profile: 'tls-client', subject: `CN=${name},O=Faketime,C=CN` });
    expect(issued.status, JSON.stringify(issued.json)).toBe(201);
    const path = join(work, `${name}.pem`);
    writeFileSync(path, String(issued.json.pem));
    return path;
  }

  /** The hierarchy as the server serves it, for -CAfile and -issuer. */
  async function chainFiles(): Promise<{ chain: string; issuer: string }> {
    const { items } = (await api('GET', '/api/v1/cas')).json as unknown as { items: { id: string; role: string }[] };
    const pems: Record<string, string> = {};
    // One root and one issuing CA in this deployment's ten years (its issuing CA lives 3,652 days).
    for (const ca of items) pems[ca.role] = await (await fetch(`http://127.0.0.1:${port}/ca/${ca.id}.pem`)).text();
    const chain = join(work, 'chain.pem');
    const issuer = join(work, 'issuer.pem');
    writeFileSync(chain, `${pems.root}${pems.issuing}`);
    writeFileSync(issuer, pems.issuing!);
    return { chain, issuer };
  }

  function checkOcsp(offset: string | null, leaf: string, files: { chain: string; issuer: string }): string {
    // No -VAfile: the responder's certificate must chain to the issuing CA and be valid at the shifted time.
    const out = openssl(offset, ['ocsp', '-issuer', files.issuer, '-cert', leaf, '-url', `http://127.0.0.1:${port}/ocsp`, '-CAfile', files.chain, '-no_nonce']);
    expect(out).toContain('Response verify OK');
    expect(out).toMatch(/: good/);
    return out;
  }

  async function checkTimeStamp(offset: string | null, files: { chain: string }): Promise<{ granted: boolean; text: string }> {
    const document = join(work, 'document.txt');
    writeFileSync(document, `stamped at ${offset ?? 'today'}\n`);
    const query = join(work, 'q.tsq');
    expect(openssl(offset, ['ts', '-query', '-data', document, '-sha256', '-cert', '-out', query])).not.toContain('FAILED');
    const response = await fetch(`http://127.0.0.1:${port}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(query) });
    const reply = join(work, 'r.tsr');
    writeFileSync(reply, Buffer.from(await response.arrayBuffer()));
    const text = openssl(offset, ['ts', '-reply', '-in', reply, '-text']);
    if (!text.includes('Status: Granted')) return { granted: false, text };
    expect(openssl(offset, ['ts', '-verify', '-data', document, '-in', reply, '-CAfile', files.chain])).toContain('Verification: OK');
    return { granted: true, text };
  }

  const inForce = (identities: Identity[], kind: string) => identities.filter((i) => i.kind === kind && i.inForce).map((i) => i.id);

  it('rolls over by itself at +1 and +5 years; OpenSSL accepts every answer; a tripped TSA guard comes back by the command', { timeout: 600_000 }, async () => {
    port = await freePort();
    // Today: the first start makes the development deployment; a subscriber's leaf is issued.
    await serve(null);
    const today = await health();
    const firstOcsp = inForce(today.identities, 'ocsp');
    const firstTsa = inForce(today.identities, 'tsa');
    expect(firstOcsp).toHaveLength(1);
    const leaf = await issueLeaf('issued-today');
    await stop();

    // One year on (365 days: the OCSP responder made today has just expired). Nobody touched the deployment.
    const year = '+365d';
    await serve(year);
    const h1 = await health();
    const ocsp1 = inForce(h1.identities, 'ocsp');
    expect(ocsp1, 'a new OCSP responder in force at once').toHaveLength(1);
    expect(ocsp1[0]).not.toBe(firstOcsp[0]);
    expect(inForce(h1.identities, 'tsa'), 'the TSA has three quarters of its life left').toEqual(firstTsa);
    let files = await chainFiles();
    checkOcsp(year, leaf, files);
    expect((await checkTimeStamp(year, files)).granted).toBe(true);
    await stop();

    // Five years on: the year-one responder and the first TSA (1,826 days) have expired; a new leaf is issued.
    const fiveYears = '+1830d';
    await serve(fiveYears);
    const h5 = await health();
    const ocsp5 = inForce(h5.identities, 'ocsp');
    const tsa5 = inForce(h5.identities, 'tsa');
    expect(ocsp5).toHaveLength(1);
    expect([...firstOcsp, ...ocsp1]).not.toContain(ocsp5[0]);
    expect(tsa5).toHaveLength(1);
    expect(tsa5[0]).not.toBe(firstTsa[0]);
    files = await chainFiles();
    const later = await issueLeaf('issued-in-year-five');
    checkOcsp(fiveYears, later, files);
    expect((await checkTimeStamp(fiveYears, files)).granted).toBe(true);
    await stop();

    // The clock comes back to today (it was the clock that ran ahead): the TSA's latest genTime is five years off.
    await serve(null);
    const back = await health();
    expect(back.clock.tsa.refusing?.code).toBe('tsa.time-not-available');
    expect(back.clock.tsa.refusing?.text.en).toContain('signet tsa reset-clock-guard');
    files = await chainFiles();
    const refused = await checkTimeStamp(null, files);
    expect(refused.granted).toBe(false);
    expect(refused.text).toMatch(/Status: Rejected[\s\S]*latest time already stamped[\s\S]*time source is not available/);

    // The operator checks the time and resets the guard beside the live server; it notices within its 30 s refresh.
    const reset = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'tsa', 'reset-clock-guard', '--reason', 'host clock ran five years ahead; checked against NTP', '--json'], {
      env: env(null),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(reset.status, reset.stderr).toBe(0);
    const made = JSON.parse(reset.stdout) as { tokensDisregarded: number; previousHighWater: string };
    expect(made.tokensDisregarded).toBeGreaterThanOrEqual(1);
    expect(Date.parse(made.previousHighWater)).toBeGreaterThan(Date.now() + 4 * 365 * 86_400_000);
    const deadline = Date.now() + 60_000;
    let stamped = { granted: false, text: '' };
    while (!stamped.granted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2_000));
      stamped = await checkTimeStamp(null, files);
    }
    expect(stamped.granted, stamped.text).toBe(true);
    expect((await health()).clock.tsa.refusing).toBeNull();
  });
});
