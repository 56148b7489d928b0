import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslRequest, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { apiCaller, approveAndDownload, horizontalOverflow, launchBrowser, REPOSITORY, screenshot, serveSignet, VIEWPORTS, type Browser } from './browser.js';

afterAll(dropFreshStores);

const AGREEMENT = readFileSync(new URL('../fixtures/subscriber-agreement-2022-08.zh.txt', import.meta.url), 'utf8');
const ADMIN_TOKEN = 'test-admin-token';
const PASSWORD = 'a long enough password';
const zh = (key: MessageKey) => MESSAGES['zh-CN'][key];
const en = (key: MessageKey) => MESSAGES.en[key];

/** The deployment's contact details, as README's SIGNET_CONTACT_* set them. */
const CONTACT = {
  SIGNET_CONTACT_NAME: '客户服务部',
  SIGNET_CONTACT_NAME_EN: 'Customer service',
  SIGNET_CONTACT_PHONE: '400-810-0000',
  SIGNET_CONTACT_EMAIL: 'service@signet.example.cn',
  SIGNET_CONTACT_ADDRESS: '北京市西城区示例路 1 号',
  SIGNET_CONTACT_ADDRESS_EN: '1 Example Road, Xicheng District, Beijing',
  SIGNET_CONTACT_HOURS: '工作日 9:00–17:00',
  SIGNET_CONTACT_HOURS_EN: 'Working days, 9:00–17:00',
};

/**
 * Words a Chinese page may carry in Latin letters: acronyms are let through by
 * shape (all capitals: CA, RA, CRL, OCSP, PKCS, SHA); these are names people
 * use as they are (the product, browsers, tools, formats).
 */
const LATIN_NAMES = new Set(['Signet', 'Demo', 'WebCrypto', 'IndexedDB', 'OpenSSL', 'Chrome', 'Chromium', 'Firefox', 'Edge', 'Safari', 'Windows', 'macOS', 'Linux', 'Base64', 'JavaScript', 'KiB', 'MiB', 'UTC', 'SQLite', 'PostgreSQL', 'iOS', 'Android', 'Ed25519']);

interface Finding {
  who: string;
  path: string;
  rule: string;
  text: string;
}

/** Every text a reader gets from the page: text nodes outside `code`/`pre`, and placeholders, labels and titles. */
async function pageTexts(page: Page): Promise<string[]> {
  // A string, not a function: the test's own type check knows no DOM.
  return page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      // Identifiers in code are meant to be read as they are; an element in another language (the switch's "English") or
      // marked translate="no" (a CA's name as in its certificate) is that language or name.
      if (!text || node.parentElement.closest('code, pre, kbd, samp, script, style, noscript, [translate="no"], [lang]:not([lang="zh-CN"]):not(html)')) continue;
      out.push(text);
    }
    for (const element of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
      for (const name of ['placeholder', 'aria-label', 'title']) {
        const value = (element.getAttribute(name) || '').trim();
        if (value && !element.closest('code, pre')) out.push(value);
      }
    }
    return out;
  })()`);
}

/**
 * What a Chinese page must not show (issue 20): an internal code (a profile id,
 * a status, an enum value, a message key), a source path, or English words.
 * Addresses (URLs, e-mail) are taken out first: they are what they are.
 */
export function zhProblems(text: string): Array<{ rule: string; text: string }> {
  const found: Array<{ rule: string; text: string }> = [];
  const plain = text
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' ')
    .replace(/\b(?:[\w-]+\.)+(?:cn|com|org|net)\b/g, ' ')
    // A path on this site (/ocsp, /api/docs) is an address too; a serial number (hex, often cut short with …) is the certificate's name.
    .replace(/(^|[\s（(“"])\/[\w./-]*/g, '$1 ')
    .replace(/\b[0-9a-f]{8,}…?/g, ' ')
    // So is a file name's extension: 保存为 PKCS#12 文件（.p12）.
    .replace(/(^|[\s（(])\.[a-z0-9]{2,4}(?=[）)\s,、]|$)/g, '$1 ');
  const rule = (name: string, pattern: RegExp) => {
    for (const m of plain.matchAll(pattern)) found.push({ rule: name, text: `${m[0]}  ⟵  ${text.slice(0, 160)}` });
  };
  rule('source path', /\b(?:src|web|test|docs)\/[\w./-]+|\b[\w-]+\.(?:tsx?|json|js|md)\b/g);
  rule('message key', /\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*){2,}\b/g);
  rule('internal code', /\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b|\b[a-z]+_[a-z0-9_]+\b|\b(?!macOS\b|iOS\b)[a-z]+[A-Z][A-Za-z]+\b/g);
  const words = plain.replace(/\b[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+\b|\b[a-z]+[A-Z][A-Za-z]+\b/g, ' ').match(/[A-Za-z][A-Za-z0-9']*/g) ?? [];
  const english = words.filter((w) => !/^[A-Z0-9]+$/.test(w) && !/^[A-Z][A-Z0-9-]*s?$/.test(w) && !LATIN_NAMES.has(w) && !/^[a-z]$/i.test(w));
  if (english.length > 0) found.push({ rule: 'English', text: `${english.join(' ')}  ⟵  ${text.slice(0, 160)}` });
  return found;
}

describe('every page of the zh-CN web application, as each kind of user (issue 20)', { timeout: 600_000 }, () => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base = '';
  let serial = '';
  let pendingApplication = '';
  let subscriberId = '';
  let raId = '';
  let portalToken = '';
  const tokens: Record<string, string> = {};
  const browsers: Browser[] = [];
  const call = apiCaller(() => base, ADMIN_TOKEN);

  beforeAll(async () => {
    ({ t, app, base } = await serveSignet({ env: CONTACT }));
    const dir = mkdtempSync(join(tmpdir(), 'signet-walk-'));

    await call('POST', '/api/v1/agreements', { id: '2022-08', title: 'CFCA 数字证书服务协议', text: AGREEMENT });
    raId = String((await call('POST', '/api/v1/ra/organisations', { name: '北京注册机构' })).id);
    // Display names as people give them; the usernames are identifiers (shown as code).
    for (const [username, role, displayName] of [
      ['officer-walk', 'ra-officer', '王芳'],
      ['ra-admin-walk', 'ra-admin', '李强'],
      ['auditor-walk', 'auditor', '陈静'],
    ] as const) {
      const operator = await call('POST', '/api/v1/ra/operators', { username, displayName, role, raId: role === 'auditor' ? undefined : raId, password: PASSWORD });
      tokens[role] = String((await call('POST', '/api/v1/ra/api-tokens', { label: 'page walk', operatorId: operator.id })).token);
    }
    tokens['ca-admin'] = ADMIN_TOKEN;
    const officer = tokens['ra-officer']!;
    await call('POST', '/api/v1/service/fees/schedules', { raId, profileId: 'individual-signing', validityDays: 365, amountFen: 12_050 });
    await call('POST', '/api/v1/service/fees/schedules', { raId, profileId: 'enterprise-signing', validityDays: 730, amountFen: 128_000 });

    // A person registers in the portal (R0, R1); an officer approves, the certificate is downloaded (R4, R5).
    const registered = await fetch(`${base}/api/v1/portal/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ raId, purpose: 'signing', type: 'individual', name: '张三', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'zhangsan@example.cn', consent: { agreementVersion: '2022-08', accepted: true } }),
    });
    expect(registered.status).toBe(201);
    const self = (await registered.json()) as { subscriber: { id: string }; application: { id: string }; access: { trackingNumber: string; trackingCode: string } };
    subscriberId = self.subscriber.id;
    serial = await approveAndDownload(base, call, self.application.id, officer, opensslRequest(dir, 'ecdsa-p256', 'zhangsan').csrPem);
    const session = await fetch(`${base}/api/v1/portal/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(self.access) });
    portalToken = String(((await session.json()) as { token: string }).token);

    // An enterprise at the counter, with an application waiting; a complaint, a change of information and a dispute open.
    const enterprise = await call(
      'POST',
      '/api/v1/ra/subscribers',
      {
        type: 'enterprise',
        name: '福建示例科技有限公司',
        uscc: '91350100M000100Y43',
        legalRepresentative: { name: '王五', idType: 'resident-id', idNumber: '11010519491231002X' },
        agent: { name: '赵六', idType: 'resident-id', idNumber: '110101199003077571', phone: '13900139000', email: 'zhaoliu@example.cn' },
        consent: { agreementVersion: '2022-08', accepted: true },
      },
      officer,
    );
    pendingApplication = String((await call('POST', '/api/v1/ra/applications', { subscriberId: enterprise.id, purpose: 'signing' }, officer)).id);
    await call('POST', '/api/v1/service/complaints', { channel: 'phone', subscriberId, complainant: { name: '张三', contact: '13800138000' }, category: 'download', description: '下载证书时页面没有反应' }, officer);
    await call('POST', `/api/v1/ra/subscribers/${subscriberId}/changes`, { changes: { phone: '13700137000' } }, officer);
    const yesterday = new Date(Date.now() - 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    await t.signet.disputes.file({ subscriberId, discoveredOn: yesterday, description: '证书被他人冒用', certificateSerial: serial, filedBy: `subscriber:${subscriberId}` });
  });

  afterAll(async () => {
    for (const browser of browsers) await browser.close();
    await app?.close();
    await t?.signet.close();
  });

  /** A browser for one kind of user: its tab holds their token as the sign-in pages would keep it. */
  async function browserAs(storage: Record<string, string>): Promise<Page> {
    const browser = await launchBrowser();
    browsers.push(browser);
    await browser.context.addInitScript((entries: Record<string, string>) => {
      for (const [key, value] of Object.entries(entries)) sessionStorage.setItem(key, value);
      localStorage.setItem('signet.locale', 'zh-CN');
    }, storage);
    return browser.context.newPage();
  }

  /** Opens a page and waits until nothing is loading any more. */
  async function visit(page: Page, path: string): Promise<void> {
    await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
    await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  }

  /**
   * Walks from the seeds through every link the pages offer (within the
   * app, not the API or files), one page per route shape, at 360 px: every
   * page's text is checked, and nothing may stick out sideways; a badge
   * never breaks across lines.
   */
  async function walk(who: string, page: Page, seeds: string[], within: (path: string) => boolean): Promise<{ visited: string[]; findings: Finding[] }> {
    await page.setViewportSize(VIEWPORTS.phone);
    const queue = [...seeds];
    const seen = new Set<string>();
    const visited: string[] = [];
    const findings: Finding[] = [];
    const shape = (path: string) => path.replace(/\?.*$/, '').replace(/\/[^/]*\d[^/]*/g, '/:id');
    while (queue.length > 0 && visited.length < 60) {
      const path = queue.shift()!;
      if (visited.includes(path) || (seen.has(shape(path)) && !seeds.includes(path))) continue;
      seen.add(shape(path));
      await visit(page, path);
      visited.push(path);
      // Every path the walk reaches is the app's page, not the server's 404.
      if ((await page.locator('main#main').count()) === 0) findings.push({ who, path, rule: 'not a page of the app', text: (await page.textContent('body'))?.slice(0, 120) ?? '' });
      for (const text of await pageTexts(page)) for (const problem of zhProblems(text)) findings.push({ who, path, ...problem });
      const overflow = await horizontalOverflow(page);
      if (overflow > 0) findings.push({ who, path, rule: '360 px overflow', text: `${overflow} px too wide` });
      const wrapped = (await page.evaluate(`[...document.querySelectorAll('.badge')]
        .filter((badge) => {
          const range = document.createRange();
          range.selectNodeContents(badge);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
        })
        .map((badge) => badge.textContent)`)) as string[];
      for (const text of wrapped) findings.push({ who, path, rule: 'badge wraps', text });
      const links = (await page.evaluate(`[...document.querySelectorAll('a[href^="/"]')].map((a) => a.getAttribute('href'))`)) as string[];
      for (const link of links) {
        if (/^\/(api|ca|crl|ocsp|cps|tsa|acme|est|\.well-known)(\/|$)|\.(pem|crt|cer|der|crl|p7b|p12|txt|json)$/.test(link)) continue;
        if (within(link) && !seen.has(shape(link))) queue.push(link);
      }
    }
    return { visited, findings };
  }

  const report = (findings: Finding[]) => findings.map((f) => `${f.who} ${f.path} [${f.rule}] ${f.text}`).join('\n');

  it('shows no internal code, source path or English sentence on any page, to the public, a subscriber and each operator role, and nothing is wider than 360 px', async () => {
    const publicPages = ['/', '/status', `/status?serial=${serial}`, '/repository', '/repository/cps', '/repository/notices', '/agreement', '/portal/apply', '/portal/register', '/portal/download', '/portal/certificates', '/portal/revocation', '/evidence', '/fees', '/contact', '/portal/no-such-page'];
    const consoleSeeds = ['/console', `/console/applications/${pendingApplication}`, `/console/certificates/${serial}`, '/console/subscribers/new', `/console/subscribers/${subscriberId}/change`];
    // The walks run side by side: each mostly waits for its pages.
    const walks = {
      public: walk('public', await browserAs({}), publicPages, (p) => !p.startsWith('/console') && !p.startsWith('/portal/account')),
      subscriber: walk('subscriber', await browserAs({ 'signet.portal.token': portalToken }), ['/portal/account', `/portal/certificates/${serial}`], (p) => p.startsWith('/portal/account') || p.startsWith('/portal/certificates/')),
      ...Object.fromEntries(
        await Promise.all(
          (['ra-officer', 'ra-admin', 'ca-admin', 'auditor'] as const).map(async (role) => [role, walk(role, await browserAs({ 'signet.console.token': tokens[role]! }), consoleSeeds, (p) => p.startsWith('/console'))] as const),
        ),
      ),
    };
    const results = Object.fromEntries(await Promise.all(Object.entries(walks).map(async ([who, result]) => [who, await result] as const)));
    const visitedBy = Object.fromEntries(Object.entries(results).map(([who, r]) => [who, r.visited]));
    const all = Object.values(results).flatMap((r) => r.findings);
    mkdirSync(join(REPOSITORY, 'test-output'), { recursive: true });
    writeFileSync(join(REPOSITORY, 'test-output', 'page-walk.txt'), `${Object.entries(visitedBy).map(([who, paths]) => `${who}: ${paths.join(' ')}`).join('\n')}\n\n${report(all)}\n`);
    // The walk reached the pages each role works on.
    expect(visitedBy.public).toEqual(expect.arrayContaining(['/fees', '/contact', '/portal/download']));
    expect(visitedBy.subscriber!.some((p) => p.startsWith('/portal/account/charges'))).toBe(true);
    expect(visitedBy['ra-officer']!.some((p) => p.startsWith('/console/complaints/'))).toBe(true);
    expect(visitedBy['ca-admin']!.some((p) => p.startsWith('/console/admin/fees'))).toBe(true);
    expect(visitedBy['ca-admin']!.some((p) => p.startsWith('/console/disputes/'))).toBe(true);
    expect(report(all)).toBe('');
  });

  it('prints the credential slip alone, with the reference number, code, download address and the CA contact; the code works in lower case with hyphens (R4, R5)', async () => {
    // A second officer approves (registrar ≠ approver); the first hands out a fresh credential in the console.
    const approver = await call('POST', '/api/v1/ra/operators', { username: 'approver', displayName: '刘洋', role: 'ra-officer', raId: raId, password: PASSWORD });
    const approverToken = String((await call('POST', '/api/v1/ra/api-tokens', { label: 'page walk', operatorId: approver.id })).token);
    await call('POST', `/api/v1/ra/applications/${pendingApplication}/review`, {}, approverToken);
    await call('POST', `/api/v1/ra/applications/${pendingApplication}/approve`, {}, approverToken);
    const page = await browserAs({ 'signet.console.token': tokens['ra-officer']! });
    await page.setViewportSize(VIEWPORTS.desktop);
    await visit(page, `/console/applications/${pendingApplication}`);
    // The print dialog is the browser's; the test records that it was asked for.
    await page.evaluate('window.print = () => { window.printed = (window.printed || 0) + 1; }');
    await page.getByRole('button', { name: zh('application.new-credential') }).click();
    await page.locator('[data-testid="credential"]').waitFor();
    const referenceNumber = (await page.locator('[data-testid="reference-number"]').textContent())!.trim();
    const code = (await page.locator('[data-testid="authorization-code"]').textContent())!.trim();
    const url = (await page.locator('[data-testid="download-url"]').textContent())!.trim();
    expect(url).toBe(`${base}/portal/download?ref=${referenceNumber}`);

    for (const locale of ['zh-CN', 'en'] as const) {
      if (locale === 'en') await page.locator('[data-testid="language"]').click();
      await page.getByRole('button', { name: locale === 'en' ? en('slip.print') : zh('slip.print') }).click();
      expect(await page.evaluate('window.printed')).toBe(locale === 'en' ? 2 : 1);
      await page.emulateMedia({ media: 'print' });
      const sheet = page.locator('[data-testid="slip-sheet"]');
      // Printed: the slip and nothing of the console around it.
      expect(await sheet.isVisible()).toBe(true);
      expect(await page.locator('#root').isVisible()).toBe(false);
      const printed = (await sheet.textContent())!;
      for (const text of [referenceNumber, code, url, CONTACT.SIGNET_CONTACT_PHONE, CONTACT.SIGNET_CONTACT_EMAIL, locale === 'en' ? CONTACT.SIGNET_CONTACT_ADDRESS_EN : CONTACT.SIGNET_CONTACT_ADDRESS, '福建示例科技有限公司']) {
        expect(printed).toContain(text);
      }
      expect(printed).toContain(locale === 'en' ? en('slip.title') : zh('slip.title'));
      await page.setViewportSize({ width: 794, height: 1123 });
      await screenshot(page, `credential-slip-print-${locale}`);
      await page.emulateMedia({ media: 'screen' });
      await page.evaluate("window.dispatchEvent(new Event('afterprint'))");
      await sheet.waitFor({ state: 'detached' });
      for (const viewport of ['phone', 'desktop'] as const) {
        await page.setViewportSize(VIEWPORTS[viewport]);
        if (viewport === 'phone') expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
        await screenshot(page, `credential-slip-screen-${locale}-${viewport}`);
      }
    }

    // The subscriber follows the slip: the reference number is filled in, the code typed in lower case with hyphens.
    const subscriber = await browserAs({});
    await visit(subscriber, new URL(url).pathname + new URL(url).search);
    expect(await subscriber.locator('#f-referenceNumber').inputValue()).toBe(referenceNumber);
    expect(await subscriber.locator('[data-field="authorizationCode"]').textContent()).toContain('不区分大小写');
    await subscriber.locator('#f-authorizationCode').fill(code.toLowerCase().replace(/(.{4})(?!$)/g, '$1-'));
    await subscriber.getByRole('button', { name: zh('download.start') }).click();
    await subscriber.locator('[data-testid="downloaded"]').waitFor({ timeout: 60_000 });
  });

  it('publishes the fees and the CA contact in both languages at 360 px and desktop; the header shows every link at 1366 and 1440 px; a count of one reads as one (R9)', async () => {
    const page = await browserAs({});
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const viewport of ['phone', 'desktop'] as const) {
        await page.setViewportSize(VIEWPORTS[viewport]);
        await visit(page, `/fees?lang=${locale}`);
        const individual = page.locator('tr[data-fee="individual-signing"]');
        expect(await individual.textContent()).toContain('¥120.50');
        expect(await individual.textContent()).toContain(locale === 'en' ? 'Individual signing certificate' : '个人签名证书');
        expect(await page.locator('tr[data-fee="enterprise-signing"]').textContent()).toContain('¥1,280.00');
        expect(await page.locator('tr[data-fee="enterprise-signing"] .money').getAttribute('data-fen')).toBe('128000');
        if (viewport === 'phone') expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
        await screenshot(page, `public-fees-${locale}-${viewport}`);

        await visit(page, `/contact?lang=${locale}`);
        const contact = (await page.locator('[data-testid="ca-contact"]').textContent())!;
        for (const text of [CONTACT.SIGNET_CONTACT_PHONE, CONTACT.SIGNET_CONTACT_EMAIL, locale === 'en' ? CONTACT.SIGNET_CONTACT_HOURS_EN : CONTACT.SIGNET_CONTACT_HOURS]) expect(contact).toContain(text);
        expect(await page.locator(`a[href="tel:4008100000"]`).count()).toBe(1);
        if (viewport === 'phone') expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
        await screenshot(page, `contact-${locale}-${viewport}`);
      }
      // Where the site tells people to contact the CA, the details are there.
      await visit(page, `/portal/revocation?lang=${locale}`);
      expect(await page.locator('[data-testid="ca-contact"]').textContent()).toContain(locale === 'en' ? CONTACT.SIGNET_CONTACT_ADDRESS_EN : CONTACT.SIGNET_CONTACT_ADDRESS);
    }

    // The header at common laptop widths: every link in sight and clickable, none under the language button.
    for (const width of [1366, 1440, 1280, 1024]) {
      for (const locale of ['en', 'zh-CN'] as const) {
        await page.setViewportSize({ width, height: 800 });
        await visit(page, `/?lang=${locale}`);
        const hidden = (await page.evaluate(`(() => {
          const language = document.querySelector('[data-testid="language"]').getBoundingClientRect();
          return [...document.querySelectorAll('#site-nav a')].filter((a) => {
            const r = a.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            const overlaps = r.right > language.left && r.left < language.right && r.bottom > language.top && r.top < language.bottom;
            return r.width === 0 || r.right > window.innerWidth || !(hit === a || a.contains(hit)) || overlaps;
          }).map((a) => a.textContent);
        })()`)) as string[];
        expect(hidden, `${locale} at ${width} px`).toEqual([]);
        if (width === 1366) await screenshot(page, `header-${locale}-1366`);
      }
    }

    // "1 certificate", not "1 certificates"; the dashboard fits a phone.
    const officer = await browserAs({ 'signet.console.token': tokens['ra-officer']! });
    for (const locale of ['en', 'zh-CN'] as const) {
      await visit(officer, `/console/certificates?q=${serial}&lang=${locale}`);
      await officer.getByText(locale === 'en' ? '1 certificate' : '共 1 张证书', { exact: true }).waitFor();
      await officer.setViewportSize(VIEWPORTS.phone);
      await visit(officer, `/console?lang=${locale}`);
      expect(await horizontalOverflow(officer), `dashboard at 360 px in ${locale}`).toBeLessThanOrEqual(0);
      await screenshot(officer, `dashboard-${locale}-phone`);
      await officer.setViewportSize(VIEWPORTS.desktop);
    }
  });

  it('names what it refuses: the checker flags the raw codes and English the issue found', () => {
    expect(zhProblems('密钥算法 ecdsa-p256').map((p) => p.rule)).toEqual(['internal code']);
    expect(zhProblems('订户类型必须是 individual（个人）或 enterprise（企业）').map((p) => p.rule)).toEqual(['English']);
    expect(zhProblems('格式同 src/service/calendars/2026.json').map((p) => p.rule)).toContain('source path');
    expect(zhProblems('sp.nav.charges').map((p) => p.rule)).toContain('message key');
    expect(zhProblems('原因：cessationOfOperation').map((p) => p.rule)).toContain('internal code');
    expect(zhProblems('Case-sensitive; locked after 5 wrong attempts').length).toBeGreaterThan(0);
    expect(zhProblems('证书废止列表（CRL）与 OCSP：Signet 证书认证中心 · service@signet.example.cn · https://ca.example.cn/crl')).toEqual([]);
  });
});
