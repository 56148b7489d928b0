import type { FastifyInstance } from 'fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool, runToolAsync, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { openRaTestBed } from '../ra/test-support/ra-test-bed.js';
import { buildServer } from '../http/server.js';
import type { Principal } from '../ra/roles.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';

afterAll(dropFreshStores);

const CONSENT = { agreementVersion: 'v1', accepted: true };

const runAsync = (command: string, args: string[], env: NodeJS.ProcessEnv) => runToolAsync(command, args, { env });

/**
 * certmonger (Debian, the daemon behind FreeIPA's enrolment) as a second
 * SCEP client nobody here wrote: its own session bus and state folder, so it
 * touches nothing of the host's; `getcert` drives it as an operator would.
 */
describe.each(storeBackends)('SCEP with certmonger on %s (issue 21)', (backend) => {
  let t: TestSignet;
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  let rootPem: string;
  let issuingPem: string;
  let officer: Principal;
  let env: NodeJS.ProcessEnv;
  let busPid: number | undefined;
  let daemon: ChildProcess | undefined;
  const log: string[] = [];
  // certmonger -s takes its session lock (and writes its built-in CA list) under the passwd home whatever HOME says;
  // the state this test uses is in its own folder (CERTMONGER_*_DIR), and the left-over folder is removed if it was not there before.
  const userState = join(homedir(), '.config', 'certmonger');
  const hadUserState = existsSync(userState);

  const getcert = (args: string[]) => runAsync('getcert', [args[0]!, '-s', ...args.slice(1)], env);

  async function approvedCredential(record: Record<string, unknown>): Promise<{ referenceNumber: string; authorizationCode: string }> {
    const { subscribers, applications } = t.signet.ra;
    const subscriber = await subscribers.register(officer, { record, consent: CONSENT }, '192.0.2.1');
    const application = await applications.submit(officer, { subscriberId: subscriber.id, purpose: 'signing' }, '192.0.2.1');
    await applications.startReview(officer, application.id);
    return (await applications.approve(officer, application.id, { note: 'checked' })).credential;
  }

  /** certmonger works in the background: read its record until it says what we wait for. */
  async function waitForStatus(id: string, wanted: RegExp): Promise<string> {
    let listed = '';
    for (let i = 0; i < 480; i++) {
      listed = (await getcert(['list', '-i', id])).stdout;
      if (wanted.test(listed)) return listed;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`certmonger never reached ${wanted}: ${listed}\n${log.join('')}`);
  }

  function verify(certificatePath: string): void {
    const result = runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootPem, '-untrusted', issuingPem, certificatePath]);
    expect(result.status, result.stderr + result.stdout).toBe(0);
  }

  beforeAll(async () => {
    ({ t, dir, rootPem, issuingPem, officer } = await openRaTestBed(backend, { dirPrefix: 'signet-certmonger-' }));
    app = await buildServer(t.signet, { logger: false, rateLimits: false, tls: null });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const home = join(dir, 'home');
    mkdirSync(join(home, 'run'), { recursive: true });
    const bus = join(dir, 'bus');
    // A session instance keeps its state under the user's home unless told otherwise: here, in the test's folder.
    for (const sub of ['config', 'requests', 'cas', 'local', 'tmp']) mkdirSync(join(home, sub), { recursive: true });
    env = {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${bus}`,
      CERTMONGER_CONFIG_DIR: join(home, 'config'),
      CERTMONGER_REQUESTS_DIR: join(home, 'requests'),
      CERTMONGER_CAS_DIR: join(home, 'cas'),
      CERTMONGER_LOCAL_CA_DIR: join(home, 'local'),
      CERTMONGER_TMPDIR: join(home, 'tmp'),
    };
    const started = runTool('dbus-daemon', ['--session', '--fork', '--print-pid=1', `--address=unix:path=${bus}`]);
    expect(started.status, started.stderr).toBe(0);
    busPid = Number(started.stdout.trim());
    daemon = spawn('certmonger', ['-s', '-n', '-d', '1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    daemon.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    for (let i = 0; i < 240 && (await getcert(['list-cas'])).status !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 250));
  }, 180_000);

  afterAll(async () => {
    daemon?.kill('SIGTERM');
    if (busPid) {
      try {
        process.kill(busPid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await app?.close();
    await t?.signet.close();
    if (!hadUserState) rmSync(userState, { recursive: true, force: true });
  });

  it('getcert add-scep-ca discovers the RA and CA certificates; getcert request with the RA credential as challenge password enrols, resubmit renews through the RA review, openssl verify accepts both; REST revocation is seen in OCSP (RFC 8894 §3.3.1, R16)', async () => {
    const added = await getcert(['add-scep-ca', '-c', 'Signet', '-u', `${base}/scep`]);
    expect(added.status, added.stderr + added.stdout).toBe(0);
    const credential = await approvedCredential({ type: 'individual', name: 'Wu Lei', idType: 'passport', idNumber: 'E52345678', phone: '+8613800138005', email: 'wulei@example.com' });
    const cert = join(dir, 'wulei.pem');
    const key = join(dir, 'wulei.key');
    const asked = await getcert(['request', '-c', 'Signet', '-I', 'wulei', '-f', cert, '-k', key, '-N', 'CN=Wu Lei', '-L', `${credential.referenceNumber}:${credential.authorizationCode}`, '-g', '2048']);
    expect(asked.status, asked.stderr + asked.stdout).toBe(0);
    await waitForStatus('wulei', /status: MONITORING/);
    expect(existsSync(cert)).toBe(true);
    verify(cert);
    expect(runTool('openssl', ['x509', '-in', cert, '-noout', '-subject']).stdout).toContain('Wu Lei');
    const oldSerial = runTool('openssl', ['x509', '-in', cert, '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();

    // Renewal (R16): certmonger sends RenewalReq signed with the certificate it holds; the RA files a renewal the
    // officer reviews, certmonger is told PENDING and polls.
    const resubmitted = await getcert(['resubmit', '-i', 'wulei']);
    expect(resubmitted.status, resubmitted.stderr + resubmitted.stdout).toBe(0);
    let filed: Awaited<ReturnType<typeof t.signet.ra.renewals.latestReplacement>>;
    for (let i = 0; i < 120 && !filed; i++) {
      filed = await t.signet.ra.renewals.latestReplacement(oldSerial);
      if (!filed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(filed?.status, log.join('') + (await getcert(['list', '-i', 'wulei'])).stdout).toBe('submitted');
    expect((await getcert(['list', '-i', 'wulei'])).stdout).toMatch(/status: CA_WORKING/);
    await t.signet.ra.applications.startReview(officer, filed!.id);
    await t.signet.ra.applications.approve(officer, filed!.id, { note: 'renewal checked' });
    // The operator asks again rather than wait for certmonger's next poll: the same transaction, now approved.
    expect((await getcert(['resubmit', '-i', 'wulei'])).status).toBe(0);
    let renewedSerial = oldSerial;
    for (let i = 0; i < 480 && renewedSerial === oldSerial; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (/status: MONITORING/.test((await getcert(['list', '-i', 'wulei'])).stdout)) renewedSerial = runTool('openssl', ['x509', '-in', cert, '-noout', '-serial']).stdout.trim().split('=')[1]!.toLowerCase();
    }
    expect(renewedSerial).not.toBe(oldSerial);
    verify(cert);
    expect((await t.signet.ra.renewals.latestReplacement(oldSerial))?.status).toBe('completed');

    // Revocation through the existing REST API; OCSP answers revoked.
    const revoked = await fetch(`${base}/api/v1/certificates/${renewedSerial}/revocation`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'ca', ground: 'written-request', justification: '订户书面申请' }),
    });
    expect(revoked.status, await revoked.clone().text()).toBe(201);
    const chain = join(dir, 'chain.pem');
    writeFileSync(chain, readFileSync(rootPem, 'utf8') + readFileSync(issuingPem, 'utf8'));
    const ocsp = await runAsync('openssl', ['ocsp', '-issuer', issuingPem, '-cert', cert, '-url', `${base}/ocsp`, '-CAfile', chain], env);
    expect(ocsp.stdout + ocsp.stderr).toMatch(/: revoked/);
  }, 240_000);
});
