import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { buildServer } from '../../src/http/server.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { ensureWebBuilt, horizontalOverflow, launchBrowser, screenshot, VIEWPORTS, type Browser, type ViewportName } from './browser.js';

afterAll(dropFreshStores);

function runToolAsync(command: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

const AGREEMENT = readFileSync(new URL('../fixtures/subscriber-agreement-2022-08.zh.txt', import.meta.url), 'utf8');
const ADMIN_TOKEN = 'test-admin-token';
const OFFICER = { username: 'officer-bj', password: 'a long enough password' };
const zh = (key: MessageKey) => MESSAGES['zh-CN'][key];
const en = (key: MessageKey) => MESSAGES.en[key];

/**
 * Wraps WebCrypto's generateKey so the test learns the private key the page
 * makes (and can then prove that no request ever carried it). The page still
 * receives a non-extractable private key, exactly as without the wrapper.
 */
const KEY_SPY = `(() => {
  const subtle = crypto.subtle;
  const generate = subtle.generateKey.bind(subtle);
  window.__signetTestKeys = [];
  subtle.generateKey = async (algorithm, extractable, usages) => {
    const pair = await generate(algorithm, true, usages);
    if (!pair.privateKey) return pair;
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
    const jwk = await subtle.exportKey('jwk', pair.privateKey);
    window.__signetTestKeys.push({ pkcs8: Array.from(pkcs8), jwk });
    const params = algorithm.name === 'ECDSA' ? { name: 'ECDSA', namedCurve: algorithm.namedCurve } : { name: algorithm.name, hash: algorithm.hash };
    const privateKey = await subtle.importKey('pkcs8', pkcs8, params, extractable, ['sign']);
    return { publicKey: pair.publicKey, privateKey };
  };
})();`;

interface SpiedKey {
  pkcs8: number[];
  jwk: Record<string, string>;
}

/** Every encoding in which a private key could travel: DER, base64, base64url, hex, and each JWK secret. */
function secretForms(key: SpiedKey): string[] {
  const pkcs8 = Buffer.from(key.pkcs8);
  const secrets = [pkcs8, ...['d', 'p', 'q', 'dp', 'dq', 'qi'].filter((k) => key.jwk[k]).map((k) => Buffer.from(key.jwk[k]!, 'base64url'))];
  return secrets.flatMap((s) => [s.toString('latin1'), s.toString('base64'), s.toString('base64url'), s.toString('hex'), s.toString('base64').slice(8, 40)]);
}

// A browser journey is many steps of a second or two; on a loaded 2-core CI machine that can pass vitest's default minute.
describe('the web application on SQLite: public pages, subscriber portal, RA console (issue 7; R0, R1, R4, R5, R7, R11, R15, R16)', { timeout: 240_000 }, () => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let dir: string;
  let serial = '';
  /** Every request any page of the browser made: URL and body. */
  const traffic: { url: string; method: string; body: Buffer | null }[] = [];

  async function asAdmin(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  }

  async function open(page: Page, path: string, locale: 'zh-CN' | 'en' = 'zh-CN', viewport: ViewportName = 'desktop'): Promise<void> {
    await page.setViewportSize(VIEWPORTS[viewport]);
    await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`, { waitUntil: 'domcontentloaded' });
  }

  /** A screenshot per language and width; and at 360 px nothing may stick out sideways. */
  async function shoot(page: Page, name: string, path: string, ready: (page: Page, locale: 'zh-CN' | 'en') => Promise<void>): Promise<void> {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const viewport of ['phone', 'desktop'] as const) {
        await open(page, path, locale, viewport);
        await ready(page, locale);
        expect(await page.evaluate('document.documentElement.lang')).toBe(locale);
        if (viewport === 'phone') expect(await horizontalOverflow(page), `${name} at 360 px in ${locale}`).toBeLessThanOrEqual(0);
        await screenshot(page, `${name}-${locale}-${viewport}`);
      }
    }
  }

  beforeAll(async () => {
    ensureWebBuilt();
    t = await openTestSignet('sqlite');
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = mkdtempSync(join(tmpdir(), 'signet-web-'));

    await asAdmin('POST', '/api/v1/agreements', { id: '2022-08', title: 'CFCA 数字证书服务协议', text: AGREEMENT });
    const ra = await asAdmin('POST', '/api/v1/ra/organisations', { name: '北京注册机构' });
    await asAdmin('POST', '/api/v1/ra/operators', { username: OFFICER.username, role: 'ra-officer', raId: ra.id, password: OFFICER.password });

    browser = await launchBrowser();
    browser.context.on('request', (request: Request) => traffic.push({ url: request.url(), method: request.method(), body: request.postDataBuffer() }));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.signet.close();
  });

  it('serves the app at / and every client route, keeps /cps and the API, and the CA hierarchy for readers without JavaScript', async () => {
    const home = await fetch(`${base}/`);
    expect(home.headers.get('content-type')).toContain('text/html');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await home.text();
    expect(html).toContain('<div id="root">');
    expect(html).toContain('CA 层级');
    expect(await (await fetch(`${base}/?lang=en`)).text()).toContain('CA hierarchy');
    for (const path of ['/status', '/repository/cps', '/portal/download', '/console/applications/x']) {
      const answer = await fetch(`${base}${path}`);
      expect(answer.status, path).toBe(200);
      expect(await answer.text()).toContain('<div id="root">');
    }
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const script = await fetch(`${base}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${base}/cps`)).text()).toContain('Certification Practice Statement');
    // API misses stay problems, not the app's page.
    const miss = await fetch(`${base}/api/v1/nothing-here`);
    expect(miss.status).toBe(404);
    expect(miss.headers.get('content-type')).toContain('application/problem+json');
  });

  it('shows the public pages in zh-CN and en, at 360 px and at desktop width (R11, R16)', async () => {
    const page = await browser.context.newPage();
    await shoot(page, 'home', '/', async (p, locale) => {
      await p.getByRole('heading', { level: 1, name: MESSAGES[locale]['home.title'] }).waitFor();
    });
    await shoot(page, 'repository', '/repository', async (p) => {
      await p.locator(`[data-ca="${h.issuing.caId}"]`).waitFor();
      expect(await p.locator(`a[href="/crl/${h.issuing.caId}.crl"]`).count()).toBe(1);
      expect(await p.locator(`a[href="/ca/${h.root.caId}.crt"]`).count()).toBe(1);
    });
    await shoot(page, 'cps', '/repository/cps', async (p) => {
      await p.locator('pre.document').getByText('Certification Practice Statement').waitFor();
    });
    await shoot(page, 'agreement', '/agreement', async (p) => {
      await p.locator('article.agreement[data-version="2022-08"]').waitFor();
    });
    await asAdmin('POST', '/api/v1/publication/documents', {
      kind: 'notice',
      version: '2026-12-01',
      title: { 'zh-CN': '关于证书服务时间调整的公告', en: 'Notice of changed service hours' },
      text: { 'zh-CN': '自 2026 年 12 月 1 日起，人工服务时间为工作日 9:00–17:00。', en: 'From 1 December 2026 the service desk is open on working days, 9:00–17:00.' },
    });
    await shoot(page, 'notices', '/repository/notices', async (p, locale) => {
      const notice = p.locator('article[data-notice="2026-12-01"]');
      await notice.waitFor();
      expect(await notice.locator('pre.document').textContent()).toContain(locale === 'en' ? 'service desk is open' : '人工服务时间');
      expect(await notice.locator('a[href^="/notices/2026-12-01"]').count()).toBe(1);
    });
    await shoot(page, 'apply', '/portal/apply', async (p) => {
      await p.locator('ol.timeline li').first().waitFor();
    });
    await shoot(page, 'download', '/portal/download', async (p) => {
      await p.locator('#f-referenceNumber').waitFor();
    });
    await shoot(page, 'console-sign-in', '/console', async (p) => {
      await p.locator('#f-username').waitFor();
    });
    await page.close();
  });

  it('shows why a status lookup failed beside the field, in the reader’s language', async () => {
    const page = await browser.context.newPage();
    await open(page, '/status', 'zh-CN', 'phone');
    await page.locator('#f-serial').fill('5c00');
    await page.getByRole('button', { name: zh('status.lookup') }).click();
    const error = page.locator('[data-field="serial"] .field-error');
    await expect.poll(() => error.textContent()).toContain('5c00');
    expect(await error.textContent()).toMatch(/[\u4e00-\u9fff]/);
    await screenshot(page, 'status-error-zh-CN-phone');
    await open(page, '/status', 'en', 'phone');
    await page.locator('#f-serial').fill('5c00');
    await page.getByRole('button', { name: en('status.lookup') }).click();
    await expect.poll(() => page.locator('[data-field="serial"] .field-error').textContent()).toContain('No certificate with serial 5c00');
    await page.close();
  });

  it('walks the whole journey: register and apply → officer approves → download with a key made in the page → good → revocation → revoked in the lookup and in openssl ocsp (R0, R1, R4, R5, R7, R16)', async () => {
    const officer = await browser.context.newPage();

    // The officer signs in; a wrong password is refused beside the password field.
    await open(officer, '/console');
    await officer.locator('#f-username').fill(OFFICER.username);
    await officer.locator('#f-password').fill('not the password');
    await officer.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await officer.locator('[data-field="password"] .field-error').waitFor();
    await officer.locator('#f-password').fill(OFFICER.password);
    await officer.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await officer.locator('[data-testid="operator"]', { hasText: OFFICER.username }).waitFor();

    // The subscriber registers at the RA and applies (R1): the server's GB 11643 check lands beside the ID field.
    await open(officer, '/console/subscribers/new');
    await officer.locator('#f-name').fill('张三');
    await officer.locator('#f-idNumber').fill('110101199003077572');
    await officer.locator('#f-phone').fill('13800138000');
    await officer.locator('#f-email').fill('zhangsan@example.cn');
    await officer.getByRole('button', { name: zh('register.submit') }).click();
    const idError = officer.locator('[data-field="idNumber"] .field-error');
    await idError.waitFor();
    expect(await idError.textContent()).toContain('校验码');
    expect(await officer.locator('#f-idNumber').getAttribute('aria-invalid')).toBe('true');
    await officer.setViewportSize(VIEWPORTS.phone);
    expect(await horizontalOverflow(officer)).toBeLessThanOrEqual(0);
    await screenshot(officer, 'register-error-zh-CN-phone');
    await officer.setViewportSize(VIEWPORTS.desktop);
    await screenshot(officer, 'register-error-zh-CN-desktop');
    // R0: without consent to the current agreement nothing is registered; the refusal sits beside the checkbox.
    await officer.locator('#f-idNumber').fill('110101199003077571');
    await officer.getByRole('button', { name: zh('register.submit') }).click();
    const consentError = officer.locator('[data-field="consent"] .field-error');
    await consentError.waitFor();
    expect(await consentError.textContent()).toContain('协议');
    expect(await idError.count()).toBe(0);
    await officer.locator('#f-consent').check();
    await officer.getByRole('button', { name: zh('register.submit') }).click();

    // The officer reviews and approves (R4): the credential is shown once.
    await officer.waitForURL(/\/console\/applications\/app-[0-9a-f-]+$/).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; page says: ${await officer.locator('.alert-error, .field-error').allTextContents()}`);
    });
    const applicationUrl = officer.url();
    // The subscriber's ID document goes on file with its SHA-256 (R1).
    const scan = join(dir, 'id-card.png');
    writeFileSync(scan, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
    await officer.locator('#f-document').setInputFiles(scan);
    await officer.getByText('id-card.png').waitFor();
    await officer.getByRole('button', { name: zh('application.take') }).click();
    // The officer registered this subscriber: approval warns of it and asks to acknowledge (issue 20, single-person RA).
    await officer.locator('input[name="acknowledge"]').check();
    expect(await officer.locator('[data-testid="approval-warnings"]').innerText()).toContain('本人登记');
    await officer.getByRole('button', { name: zh('application.approve') }).click();
    await officer.locator('[data-testid="credential"]').waitFor();
    const referenceNumber = (await officer.locator('[data-testid="reference-number"]').textContent())!;
    const authorizationCode = (await officer.locator('[data-testid="authorization-code"]').textContent())!;
    expect(referenceNumber).toMatch(/^\d{16}$/);
    await screenshot(officer, 'credential-zh-CN-desktop');

    // The subscriber downloads in a browser of their own, with a key generated in the page (R5).
    const subscriberBrowser = await launchBrowser();
    const subscriberTraffic: { url: string; method: string; body: Buffer | null }[] = [];
    subscriberBrowser.context.on('request', (request: Request) => subscriberTraffic.push({ url: request.url(), method: request.method(), body: request.postDataBuffer() }));
    try {
      await subscriberBrowser.context.addInitScript(KEY_SPY);
      const subscriber = await subscriberBrowser.context.newPage();
      await open(subscriber, '/portal/download', 'zh-CN', 'phone');
      await subscriber.locator('#f-referenceNumber').fill(referenceNumber);
      await subscriber.locator('#f-authorizationCode').fill('WRONGCODE123');
      await subscriber.getByRole('button', { name: zh('download.start') }).click();
      await subscriber.locator('[data-field="authorizationCode"] .field-error, .alert-error').first().waitFor();
      // The slow part shows its progress step by step: the key and the request were made, the CA refused the code.
      expect(await subscriber.locator('[role="progressbar"]').count()).toBe(1);
      expect(await subscriber.locator('.steps li.done').allTextContents()).toEqual([zh('download.step.key'), zh('download.step.request')]);
      expect(await subscriber.locator('.steps li.failed').textContent()).toBe(zh('download.step.submit'));
      await screenshot(subscriber, 'download-error-zh-CN-phone');
      await subscriber.locator('#f-authorizationCode').fill(authorizationCode);
      await subscriber.getByRole('button', { name: zh('download.start') }).click();
      await subscriber.locator('[data-testid="downloaded"]').waitFor();
      serial = (await subscriber.locator('[data-testid="serial"]').textContent())!.trim();
      expect(serial).toMatch(/^[0-9a-f]+$/);
      expect(await horizontalOverflow(subscriber)).toBeLessThanOrEqual(0);
      await screenshot(subscriber, 'downloaded-zh-CN-phone');

      // The key stays in the browser: IndexedDB holds a non-extractable private key beside the certificate.
      const stored = (await subscriber.evaluate(`new Promise((resolve, reject) => {
        const r = indexedDB.open('signet-keys');
        r.onerror = () => reject(r.error);
        r.onsuccess = () => { const g = r.result.transaction('credentials').objectStore('credentials').getAll();
          g.onsuccess = () => resolve(g.result.map((c) => ({ serial: c.serial, extractable: c.privateKey.extractable, type: c.privateKey.type }))); };
      })`)) as { serial: string; extractable: boolean; type: string }[];
      expect(stored).toEqual([{ serial, extractable: false, type: 'private' }]);

      // No request from either browser ever carried the private key, in any encoding.
      const keys = (await subscriber.evaluate('window.__signetTestKeys')) as SpiedKey[];
      expect(keys).toHaveLength(2);
      const forms = keys.flatMap(secretForms);
      const everything = [...traffic, ...subscriberTraffic];
      expect(everything.length).toBeGreaterThan(10);
      for (const request of everything) {
        const seen = `${decodeURIComponent(request.url)}\n${request.body?.toString('latin1') ?? ''}`;
        for (const form of forms) expect(seen.includes(form), `${request.method} ${request.url} carries the private key`).toBe(false);
      }
      // What did travel: the credential and a PKCS#10 request that openssl verifies, for the certificate's key.
      const downloads = subscriberTraffic.filter((r) => r.url.endsWith('/api/v1/ra/downloads') && r.method === 'POST');
      expect(downloads).toHaveLength(2);
      const sent = JSON.parse(downloads[1]!.body!.toString('utf8')) as Record<string, string>;
      expect(Object.keys(sent).sort()).toEqual(['authorizationCode', 'csr', 'referenceNumber']);
      const csrPath = join(dir, 'browser.csr');
      writeFileSync(csrPath, sent.csr!);
      const verified = runTool('openssl', ['req', '-in', csrPath, '-verify', '-noout']);
      expect(verified.status, verified.stderr).toBe(0);
      const certificate = (await (await fetch(`${base}/api/v1/certificates/${serial}.pem`)).text()).trim();
      const leaf = join(dir, 'leaf.pem');
      writeFileSync(leaf, certificate);
      const csrKey = runTool('openssl', ['req', '-in', csrPath, '-noout', '-pubkey']).stdout;
      const certKey = runTool('openssl', ['x509', '-in', leaf, '-noout', '-pubkey']).stdout;
      expect(certKey).toBe(csrKey);
      const pkcs8Path = join(dir, 'spied.der');
      writeFileSync(pkcs8Path, Buffer.from(keys[1]!.pkcs8));
      expect(runTool('openssl', ['pkey', '-inform', 'DER', '-in', pkcs8Path, '-pubout']).stdout).toBe(certKey);

      // The public lookup says "good" (R16), in the subscriber's portal and on the status page.
      await open(subscriber, '/portal/certificates', 'zh-CN', 'phone');
      await subscriber.locator(`[data-serial="${serial}"]`).waitFor();
      await subscriber.locator('.badge-good').waitFor();
      await screenshot(subscriber, 'my-certificates-good-zh-CN-phone');
      await open(subscriber, `/status?serial=${serial}`, 'en', 'desktop');
      await subscriber.locator('[data-testid="status-result"][data-status="good"]').waitFor();
      expect(await subscriber.locator('[data-testid="status-result"]').textContent()).toContain('Beijing time');
      await screenshot(subscriber, 'status-good-en-desktop');

      // The lookup by upload gives the same answer.
      await open(subscriber, '/status', 'zh-CN', 'desktop');
      await subscriber.locator('#f-certificate').setInputFiles(leaf);
      await subscriber.locator('[data-testid="status-result"][data-status="good"]').waitFor();

      // The subscriber asks for revocation (R7): the portal says where and how.
      await open(subscriber, '/portal/certificates', 'zh-CN', 'desktop');
      await subscriber.getByRole('link', { name: zh('mine.request-revocation') }).click();
      await subscriber.getByRole('heading', { name: zh('portal-revoke.title') }).waitFor();
      await screenshot(subscriber, 'revocation-request-zh-CN-desktop');
      await subscriber.close();
    } finally {
      await subscriberBrowser.close();
    }

    // At the original RA the officer records the subscriber's request and revokes (R7).
    await open(officer, `/console/revoke?serial=${serial}`);
    await officer.locator('#f-channel').selectOption('subscriber');
    await officer.locator('#f-reason').selectOption('keyCompromise');
    await officer.locator('#f-justification').fill('订户本人到柜台申请：私钥可能泄露');
    await officer.getByRole('button', { name: zh('revoke.action') }).click();
    await officer.locator('[data-field="confirm"] .field-error').waitFor();
    await officer.locator('#f-confirm').check();
    await screenshot(officer, 'revoke-zh-CN-desktop');
    await officer.getByRole('button', { name: zh('revoke.action') }).click();
    await officer.locator('[data-testid="status-result"][data-status="revoked"]').waitFor();

    // The public lookup and OCSP say "revoked".
    const lookup = await browser.context.newPage();
    await open(lookup, `/status?serial=${serial}`, 'zh-CN', 'phone');
    await lookup.locator('[data-testid="status-result"][data-status="revoked"]').waitFor();
    expect(await lookup.locator('[data-testid="status-result"]').textContent()).toContain(zh('reason.keyCompromise'));
    await screenshot(lookup, 'status-revoked-zh-CN-phone');
    await lookup.close();
    const leaf = join(dir, 'leaf.pem');
    // Asynchronously: the OCSP responder answering openssl lives in this very process.
    const ocsp = await runToolAsync('openssl', [
      'ocsp',
      '-issuer',
      writePem(dir, 'issuing.pem', h.issuing.der),
      '-cert',
      leaf,
      '-CAfile',
      writePem(dir, 'root.pem', h.root.der),
      '-url',
      `${base}/ocsp`,
      '-resp_text',
    ]);
    expect(ocsp.stderr + ocsp.stdout).toContain('Response verify OK');
    expect(ocsp.stdout).toMatch(/: revoked/);
    expect(ocsp.stdout).toContain('Reason: keyCompromise');

    // The application page now names the certificate.
    await officer.goto(applicationUrl);
    await officer.getByText(serial).first().waitFor();
    await officer.close();
  });

  it('downloads with an RSA-2048 key made in the page into a password-protected PKCS#12 file that openssl opens (R5)', async () => {
    // An enterprise approved through the API by the officer: only the download is the browser's.
    const login = await fetch(`${base}/api/v1/ra/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OFFICER) });
    const csrf = String(((await login.json()) as { csrfToken: string }).csrfToken);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('signet_session='))!.split(';')[0]!;
    const asOfficer = async (path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await response.json()) as Record<string, unknown>;
      expect(response.status, JSON.stringify(json)).toBeLessThan(300);
      return json;
    };
    const subscriber = await asOfficer('/api/v1/ra/subscribers', {
      type: 'enterprise',
      name: '示例科技有限公司',
      uscc: '91350100M000100Y43',
      legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
      agent: { name: '李四', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'lisi@example.cn' },
      consent: { agreementVersion: '2022-08', accepted: true },
    });
    const application = await asOfficer('/api/v1/ra/applications', { subscriberId: subscriber.id, purpose: 'signing' });
    await asOfficer(`/api/v1/ra/applications/${application.id}/review`, {});
    const credential = (await asOfficer(`/api/v1/ra/applications/${application.id}/approve`, {})).credential as { referenceNumber: string; authorizationCode: string };

    const page = await browser.context.newPage();
    await open(page, '/portal/download', 'en', 'desktop');
    await page.locator('#f-referenceNumber').fill(credential.referenceNumber);
    await page.locator('#f-authorizationCode').fill(credential.authorizationCode);
    await page.locator('input[name="algorithm"][value="rsa-2048"]').check();
    // This time the subscriber takes the key away in a password-protected PKCS#12 file; a short password is refused beside its field.
    await page.locator('input[name="container"][value="pkcs12"]').check();
    await page.locator('#f-password').fill('short');
    await page.getByRole('button', { name: en('download.start') }).click();
    await page.locator('[data-field="password"] .field-error').waitFor();
    const password = '订户的口令 long enough';
    await page.locator('#f-password').fill(password);
    await page.locator('#f-passwordAgain').fill(password);
    const saved = page.waitForEvent('download');
    await page.getByRole('button', { name: en('download.start') }).click();
    const file = join(dir, 'subscriber.p12');
    await (await saved).saveAs(file);
    await page.locator('[data-testid="downloaded"]').waitFor();
    const rsaSerial = (await page.locator('[data-testid="serial"]').textContent())!.trim();
    const pem = join(dir, 'rsa-leaf.pem');
    writeFileSync(pem, await (await fetch(`${base}/api/v1/certificates/${rsaSerial}.pem`)).text());
    const text = runTool('openssl', ['x509', '-in', pem, '-noout', '-text']).stdout;
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('91350100M000100Y43');

    // OpenSSL opens the file with the password: PBES2/PBKDF2/AES-256-CBC, SHA-256 MAC, the key of the certificate, and the chain.
    const info = runTool('openssl', ['pkcs12', '-in', file, '-info', '-noout', '-passin', `pass:${password}`]);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr).toContain('MAC: sha256');
    expect(info.stderr).toMatch(/PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256/);
    const keyPem = runTool('openssl', ['pkcs12', '-in', file, '-nocerts', '-nodes', '-passin', `pass:${password}`]).stdout;
    const keyPath = join(dir, 'p12-key.pem');
    writeFileSync(keyPath, keyPem);
    expect(runTool('openssl', ['pkey', '-in', keyPath, '-pubout']).stdout).toBe(runTool('openssl', ['x509', '-in', pem, '-noout', '-pubkey']).stdout);
    const certs = runTool('openssl', ['pkcs12', '-in', file, '-nokeys', '-passin', `pass:${password}`]).stdout;
    expect(certs.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    expect(runTool('openssl', ['pkcs12', '-in', file, '-noout', '-passin', 'pass:wrong password']).status).not.toBe(0);
    await screenshot(page, 'downloaded-rsa-en-desktop');
    await page.close();
  });

  it('gives officers a console they can work in: dashboard charts that link to their lists, queue, inventory, in both languages', async () => {
    // A complaint received 20 days ago is overdue (7 working days, R12); one received now is not.
    // Both are about the certificate of the officer's RA: an RA officer sees only their RA's complaints (issue 16).
    const longAgo = new Date(Date.now() - 20 * 86_400_000).toISOString();
    await asAdmin('POST', '/api/v1/service/complaints', { receivedAt: longAgo, channel: 'phone', complainant: { name: '李四', contact: '13800138000' }, category: 'service', description: '下载页面打不开', certificateSerial: serial });
    await asAdmin('POST', '/api/v1/service/complaints', { channel: 'email', complainant: { name: '王五', contact: 'wangwu@example.cn' }, category: 'fee', description: '收费疑问', certificateSerial: serial });
    const page = await browser.context.newPage();
    await open(page, '/console');
    // The officer's session from the journey (an HttpOnly cookie) still holds.
    await page.locator('[data-testid="operator"]', { hasText: OFFICER.username }).waitFor();
    await shoot(page, 'console-dashboard', '/console', async (p) => {
      await p.locator('[data-chart="issued"] .recharts-surface').waitFor();
      await p.locator('[data-chart="revocations"] .recharts-pie').waitFor({ state: 'attached' });
      await p.locator('[data-chart="complaints"] .recharts-surface').waitFor();
    });
    // A chart's links lead to the filtered list behind it.
    await open(page, '/console');
    await page.getByRole('link', { name: `${zh('complaints.overdue')}: 1` }).click();
    await page.waitForURL(/\/console\/complaints\?due=overdue/);
    await expect.poll(() => page.locator('[data-complaint]').count()).toBe(1);
    await screenshot(page, 'console-complaints-overdue-zh-CN-desktop');
    await open(page, '/console');
    await page.locator('[data-chart="revocations"] .recharts-pie').waitFor({ state: 'attached' });
    await page.getByRole('link', { name: new RegExp(zh('reason.keyCompromise')) }).click();
    await page.waitForURL(/\/console\/certificates\?status=revoked&reason=keyCompromise/);
    await page.locator(`tr[data-serial="${serial}"]`).waitFor();
    await shoot(page, 'console-inventory', '/console/certificates?status=revoked', async (p) => {
      await p.locator(`tr[data-serial="${serial}"]`).waitFor();
    });
    await shoot(page, 'console-queue', '/console/applications', async (p) => {
      await p.locator('[data-application]').first().waitFor();
    });
    await shoot(page, 'console-register', '/console/subscribers/new', async (p) => {
      await p.locator('#f-name').waitFor();
    });
    await shoot(page, 'console-revoke', '/console/revoke', async (p) => {
      await p.locator('#f-serial').waitFor();
    });
    await page.close();

    // A CA administrator signs in with the CA's token for revocations on the CA's own grounds (R15).
    const admin = await browser.context.newPage();
    await open(admin, '/console');
    await admin.getByRole('button', { name: zh('console.sign-out') }).click();
    await admin.getByRole('tab', { name: zh('console.with-token') }).click();
    await admin.locator('#f-token').fill('not-the-token');
    await admin.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await admin.locator('[data-field="token"] .field-error').waitFor();
    await admin.locator('#f-token').fill(ADMIN_TOKEN);
    await admin.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await admin.locator('[data-testid="operator"]').waitFor();
    await admin.goto(`${base}/console/revoke?serial=${serial}`);
    await admin.locator('#f-channel').selectOption('ca');
    await admin.locator('#f-ground').selectOption('false-information');
    await admin.locator('#f-justification').fill('营业执照系伪造');
    await admin.locator('#f-confirm').check();
    await screenshot(admin, 'console-revoke-ca-ground-zh-CN-desktop');
    await admin.getByRole('button', { name: zh('revoke.action') }).click();
    // Revoked already, for ever: the refusal is shown, nothing changes.
    await admin.locator('.alert-error, [data-field="serial"] .field-error').first().waitFor();
    expect((await t.signet.status.revocation(serial))?.reason).toBe('keyCompromise');
    await admin.close();
  });
});
