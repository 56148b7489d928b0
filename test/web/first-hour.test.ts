import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { ensureBuilt, ensureWebBuilt, launchBrowser, REPOSITORY, screenshot, type Browser } from './browser.js';

const zh = (key: MessageKey) => MESSAGES['zh-CN'][key];

/** A port nobody listens on right now (the server is then told it through SIGNET_PORT, as the README says). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** README's one fenced block that follows the marker comment naming this test: the command-line journey, as written. */
export function readmeJourney(readme: string): string {
  const marker = readme.indexOf('<!-- test/web/first-hour.test.ts runs this block');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (marker < 0 || !block) throw new Error('README.md has lost its command-line journey block');
  return block[1]!;
}

/** Runs a shell script to its end; stdout and stderr kept apart. */
function run(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // -e and pipefail: a README line that fails stops the run here (README itself does not set them: a pasted `set -e` closes the terminal).
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Issue 19, "the first hour": exactly README's `npm start` in a checkout with
 * an empty data folder (nothing set but SIGNET_PORT, which README says picks
 * another port), then only what its welcome says — no database access, no API
 * call README does not show. The welcome's credentials sign in; a subscriber
 * registers and applies in the portal, the officer approves in the console,
 * and the subscriber downloads the certificate in the browser (R0, R1, R4,
 * R5). Then README's command-line journey runs as written, taken from
 * README.md itself so that the two cannot drift apart.
 *
 * The checkout is a temporary folder of links to this one's package.json,
 * bin, dist, web and node_modules: `npm start` and `npm run signet` find the
 * package there, and `./data` and the files README writes land in it.
 */
describe('the first hour: npm start on an empty data folder → welcome → apply → approve → download in the browser (R0, R4, R5)', { timeout: 600_000 }, () => {
  let server: ChildProcess;
  let output = '';
  let checkout = '';
  let dataDir = '';
  let port = 0;
  let browser: Browser;

  beforeAll(async () => {
    ensureBuilt();
    ensureWebBuilt();
    checkout = mkdtempSync(join(tmpdir(), 'signet-first-hour-'));
    for (const entry of ['package.json', 'bin', 'dist', 'web', 'node_modules']) symlinkSync(join(REPOSITORY, entry), join(checkout, entry));
    dataDir = join(checkout, 'data');
    port = await freePort();
    // The user's own language: the welcome in Chinese, as on a machine set to zh-CN.
    const env: NodeJS.ProcessEnv = { ...process.env, SIGNET_PORT: String(port), SIGNET_LANG: 'zh-CN', SIGNET_LOG_LEVEL: 'warn' };
    for (const name of Object.keys(env)) if (name.startsWith('SIGNET_') && !['SIGNET_PORT', 'SIGNET_LANG', 'SIGNET_LOG_LEVEL'].includes(name)) delete env[name];
    expect(readFileSync(join(REPOSITORY, 'README.md'), 'utf8')).toContain('npm ci && npm start     #');
    server = spawn('npm', ['start'], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    for (const deadline = Date.now() + 240_000; !/接下来/.test(output); ) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`npm start gave no welcome:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    browser = await launchBrowser();
    // A checkout whose dist/ is stale compiles it first, and a first start makes keys: minutes on a busy machine.
  }, 540_000);

  afterAll(async () => {
    await browser?.close();
    // npm runs node as its child: end the whole process group this test started.
    if (server?.pid) process.kill(-server.pid, 'SIGTERM');
    rmSync(checkout, { recursive: true, force: true });
  });

  it('prints where to go and how to sign in; the passwords are kept readable by the owner only', () => {
    expect(output).toContain('Signet 开发部署已就绪');
    expect(output).toMatch(/订户门户（申请证书）：http:\/\/127\.0\.0\.1:\d+\/portal\/register/);
    expect(output).toMatch(/RA 控制台（审核、管理）：http:\/\/127\.0\.0\.1:\d+\/console/);
    expect(output).toMatch(/API 文档：http:\/\/127\.0\.0\.1:\d+\/api\/docs/);
    expect(output).toMatch(/CA 管理员：用户名 admin {2}密码 \S{24}/);
    expect(output).toMatch(/RA 审核员（示例注册机构 Demo RA）：用户名 officer {2}密码 \S{24}/);
    expect(statSync(join(dataDir, 'development-credentials')).mode & 0o777).toBe(0o600);
  });

  it('lets a newcomer apply in the portal, approve in the console and download in the browser, with nothing but the welcome', async () => {
    const url = (label: RegExp) => label.exec(output)![1]!;
    const portal = url(/订户门户（申请证书）：(\S+)/);
    const console = url(/RA 控制台（审核、管理）：(\S+)/);
    const operator = (username: string) => ({ username, password: new RegExp(`用户名 ${username} {2}密码 (\\S+)`).exec(output)![1]! });

    // The CA administrator's credentials sign in too.
    const admin = await browser.context.newPage();
    await admin.goto(console);
    await admin.locator('#f-username').fill('admin');
    await admin.locator('#f-password').fill(operator('admin').password);
    await admin.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await admin.locator('[data-testid="operator"]', { hasText: 'admin' }).waitFor();
    await admin.close();

    // A person registers and applies at the demo RA, under the sample agreement in force (R0, R1).
    const subscriberBrowser = await launchBrowser();
    const after: Array<() => Promise<void>> = [];
    try {
      const subscriber = await subscriberBrowser.context.newPage();
      await subscriber.goto(portal);
      await subscriber.locator('#f-raId').waitFor();
      expect(await subscriber.locator('#f-raId option').allTextContents()).toEqual(['示例注册机构 Demo RA']);
      await subscriber.locator('#f-name').fill('张三');
      await subscriber.locator('#f-idNumber').fill('110101199003077571');
      await subscriber.locator('#f-phone').fill('13800138000');
      await subscriber.locator('#f-email').fill('zhangsan@example.cn');
      await subscriber.locator('#f-consent').check();
      await subscriber.getByRole('button', { name: zh('sp.register.submit') }).click();
      await subscriber.locator('[data-testid="tracking"]').waitFor();
      await screenshot(subscriber, 'first-hour-registered');

      // The officer signs in with the welcome's password, opens the application and approves it (R4).
      // The officer's own browser: the administrator's session stays in the other one.
      const officerBrowser = await launchBrowser();
      after.push(() => officerBrowser.close());
      const officer = await officerBrowser.context.newPage();
      await officer.goto(console);
      await officer.locator('#f-username').fill('officer');
      await officer.locator('#f-password').fill(operator('officer').password);
      await officer.getByRole('button', { name: zh('console.sign-in') }).last().click();
      await officer.locator('[data-testid="operator"]', { hasText: 'officer' }).waitFor();
      await officer.goto(`${console}/applications`);
      await officer.locator('tr[data-application]').first().getByRole('link').click();
      await officer.getByRole('button', { name: zh('application.take') }).click();
      // Nothing was uploaded: approval warns of it and asks the officer to acknowledge (issue 20).
      await officer.locator('input[name="acknowledge"]').check();
      await officer.getByRole('button', { name: zh('application.approve') }).click();
      await officer.locator('[data-testid="credential"]').waitFor();
      const referenceNumber = (await officer.locator('[data-testid="reference-number"]').textContent())!.trim();
      const authorizationCode = (await officer.locator('[data-testid="authorization-code"]').textContent())!.trim();
      await screenshot(officer, 'first-hour-approved');

      // The subscriber downloads with a key made in the page (R5).
      await subscriber.goto(portal.replace(/\/portal\/register$/, '/portal/download'));
      await subscriber.locator('#f-referenceNumber').fill(referenceNumber);
      await subscriber.locator('#f-authorizationCode').fill(authorizationCode);
      await subscriber.getByRole('button', { name: zh('download.start') }).click();
      await subscriber.locator('[data-testid="downloaded"]').waitFor();
      const serial = (await subscriber.locator('[data-testid="serial"]').textContent())!.trim();
      expect(serial).toMatch(/^[0-9a-f]{34}$/);
      await screenshot(subscriber, 'first-hour-downloaded');
    } finally {
      for (const close of after) await close();
      await subscriberBrowser.close();
    }
  });

  it("runs README's command-line journey as written: apply, approve, download, status, revoke, OCSP, CRL, evidence", async () => {
    const script = readmeJourney(readFileSync(join(REPOSITORY, 'README.md'), 'utf8'));
    const env: NodeJS.ProcessEnv = { ...process.env, SIGNET_PORT: String(port), SIGNET_LANG: 'en' };
    for (const name of Object.keys(env)) if (name.startsWith('SIGNET_') && !['SIGNET_PORT', 'SIGNET_LANG'].includes(name)) delete env[name];
    const journey = await run(script, checkout, env);
    const output = `${journey.stdout}\n${journey.stderr}`;
    expect(journey.status, output).toBe(0);
    expect(journey.stdout).toContain('"ok"');
    // -nameopt utf8: the name as people read it, not \E6\9D\8E escapes.
    expect(journey.stdout).toMatch(/^subject=C=CN, serialNumber=IDCCN-11010519491231002X, CN=李四, emailAddress=lisi@example\.cn$/m);
    const serial = JSON.parse(readFileSync(join(checkout, 'download.json'), 'utf8')).serial as string;
    expect(journey.stdout).toMatch(new RegExp(`^${serial}\tvalid\tindividual-signing\t`, 'm'));
    expect(journey.stdout).toMatch(/^Status: valid$/m);
    expect(journey.stdout).toContain(`Revoked certificate ${serial} (key compromise)`);
    expect(journey.stdout).toContain('me.pem: revoked');
    expect(journey.stderr).toContain('Response verify OK');
    expect(journey.stdout).toContain(`Serial Number: ${serial.toUpperCase()}`);
    expect(journey.stdout).toMatch(/Evidence package verified: signed by .+\n.+not revoked/);
    // The journey left the server in the state README says: the certificate revoked, the credential used.
    const approval = JSON.parse(readFileSync(join(checkout, 'approval.json'), 'utf8')) as { application: { status: string } };
    expect(approval.application.status).toBe('approved');
  });
});
