import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { apiCaller, horizontalOverflow, launchBrowser, screenshot, serveSignet, VIEWPORTS, type Browser } from './browser.js';

afterAll(dropFreshStores);

const ADMIN_TOKEN = 'test-admin-token';
const OFFICER = { username: 'officer-daily', password: 'a long enough password' };
const zh = (key: MessageKey) => MESSAGES['zh-CN'][key];
type Locale = 'zh-CN' | 'en';

/**
 * Issue 20, the daily work: a subscriber registered at the counter gets portal
 * access from the console (no API call, no CLI), files a complaint in the
 * portal, the officer reads and answers it in the console, and the portal
 * shows the answer itself (R12, R2).
 */
describe('daily work in the portal and the console, on SQLite (issue 20; R0, R2, R12)', { timeout: 300_000 }, () => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let officerBrowser: Browser;
  let subscriberBrowser: Browser;
  let subscriberId: string;
  let officerToken: string;

  const call = apiCaller(() => base, ADMIN_TOKEN);

  async function open(page: Page, path: string, locale: Locale = 'zh-CN', viewport: keyof typeof VIEWPORTS = 'desktop'): Promise<void> {
    await page.setViewportSize(VIEWPORTS[viewport]);
    await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`, { waitUntil: 'domcontentloaded' });
  }

  beforeAll(async () => {
    ({ t, app, base } = await serveSignet());
    // Published in both languages: an English reader is shown the English text (issue 20).
    await t.signet.publication.publishAgreement('test', { id: '2026-01', title: { 'zh-CN': '订户协议', en: 'Subscriber agreement' }, text: { 'zh-CN': '订户协议正文', en: 'Text of the subscriber agreement' } });
    const raId = String((await call('POST', '/api/v1/ra/organisations', { name: '日常注册机构' })).id);
    const officer = await call('POST', '/api/v1/ra/operators', { username: OFFICER.username, role: 'ra-officer', raId, password: OFFICER.password });
    const token = String((await call('POST', '/api/v1/ra/api-tokens', { label: 'test set-up', operatorId: officer.id })).token);
    officerToken = token;
    // Registered at the counter: no portal access yet.
    const consent = { agreementVersion: '2026-01', accepted: true };
    subscriberId = String((await call('POST', '/api/v1/ra/subscribers', { type: 'individual', name: '王五', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'wangwu@example.cn', consent }, token)).id);
    officerBrowser = await launchBrowser();
    subscriberBrowser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await officerBrowser?.close();
    await subscriberBrowser?.close();
    await app?.close();
    await t?.signet.close();
  });

  it('gives a counter-registered subscriber portal access from the console; their complaint is answered in the console and the answer shows in the portal; they apply again; the officer sees the uploaded ID card', async () => {
    const officer = await officerBrowser.context.newPage();
    await open(officer, '/console');
    await officer.locator('#f-username').fill(OFFICER.username);
    await officer.locator('#f-password').fill(OFFICER.password);
    await officer.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await officer.locator('[data-testid="operator"]', { hasText: OFFICER.username }).waitFor();

    // Portal access: asked to confirm (the old code would stop working), then shown once.
    await open(officer, '/console/subscribers');
    await officer.locator(`[data-portal-access="${subscriberId}"]`).click();
    await officer.locator('[data-testid="portal-access-confirm"]', { hasText: '王' }).waitFor();
    await officer.getByRole('button', { name: zh('subscribers.portal-access-issue'), exact: true }).click();
    const trackingNumber = (await officer.locator('[data-testid="tracking-number"]').textContent())!.trim();
    const trackingCode = (await officer.locator('[data-testid="tracking-code"]').textContent())!.trim();
    expect(trackingNumber).toMatch(/^\d{16}$/);
    await screenshot(officer, 'daily-portal-access-zh-CN-desktop');

    // The subscriber signs in with it and files a complaint about a download.
    const subscriber = await subscriberBrowser.context.newPage();
    await open(subscriber, '/portal/account');
    await subscriber.locator('#f-trackingNumber').fill(trackingNumber);
    await subscriber.locator('#f-trackingCode').fill(trackingCode);
    await subscriber.getByRole('button', { name: zh('sp.signin.submit') }).click();
    await subscriber.getByRole('link', { name: zh('sp.nav.complaints') }).first().click();
    await subscriber.locator('#f-category').selectOption('download');
    await subscriber.locator('#f-description').fill('下载证书时提示授权码错误');
    await subscriber.getByRole('button', { name: zh('sp.complaints.submit') }).click();
    await subscriber.locator('[data-testid="complaint-filed"]').waitFor();
    expect((await subscriber.locator('[data-testid="complaint-response"]').first().textContent())!.trim()).toBe('—');

    // The officer sees the category in words, opens the complaint (an audited read) and answers it.
    await open(officer, '/console/complaints');
    const row = officer.locator('tr[data-complaint]').first();
    await expect.poll(() => row.textContent()).toContain(zh('sp.complaints.category.download' as MessageKey));
    expect(await row.textContent()).not.toContain('download');
    await row.getByRole('link').click();
    await officer.locator('[data-testid="complaint-description"]', { hasText: '授权码错误' }).waitFor();
    // An empty answer is refused beside its field, and nothing is recorded.
    await officer.getByRole('button', { name: zh('complaints.send-response') }).click();
    await officer.locator('[data-field="response"] .field-error').waitFor();
    await officer.locator('#f-response').fill('已为您重新签发授权码，请在 14 天内下载。');
    await officer.getByRole('button', { name: zh('complaints.send-response') }).click();
    await officer.locator('[data-testid="complaint-response"]', { hasText: '已为您重新签发授权码' }).waitFor();
    const reads = await t.signet.store.db.selectFrom('audit_entries').select('actor').where('action', '=', 'service.complaint-read').execute();
    expect(reads.map((r) => r.actor)).toContain(`operator:${OFFICER.username}`);

    // The complaint page in both languages, at 360 px and desktop width.
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const viewport of ['phone', 'desktop'] as const) {
        await open(officer, officer.url().replace(base, '').replace(/\?.*$/, ''), locale, viewport);
        await officer.locator('[data-testid="complaint-response"]').waitFor();
        if (viewport === 'phone') expect(await horizontalOverflow(officer), `complaint page at 360 px in ${locale}`).toBeLessThanOrEqual(0);
        await screenshot(officer, `daily-complaint-answered-${locale}-${viewport}`);
      }
    }

    // The portal shows the answer itself, not only that there is one.
    await subscriber.reload();
    await subscriber.locator('[data-testid="complaint-response"]', { hasText: '已为您重新签发授权码' }).waitFor();
    await screenshot(subscriber, 'daily-complaint-answer-in-portal-zh-CN-desktop');
    const notices = await t.signet.service.outbox.list({ recipient: `subscriber:${subscriberId}` });
    expect(notices.map((n) => n.kind)).toContain('complaint-response');

    // No certificate in force and nothing under way: the subscriber applies again from the overview (no second registration).
    await open(subscriber, '/portal/account');
    const again = subscriber.locator('[data-testid="apply-again"]');
    await again.locator('#f-consent').check();
    await again.getByRole('button', { name: zh('sp.again.submit') }).click();
    await subscriber.locator('[data-testid="portal-application"][data-status="submitted"]').waitFor();
    expect(await subscriber.locator('[data-testid="apply-again"]').count()).toBe(0);
    await screenshot(subscriber, 'daily-applied-again-zh-CN-desktop');
    const applicationId = await subscriber.locator('[data-testid="portal-application"][data-status="submitted"]').getAttribute('data-id');

    // A change of a field the certificate carries, for a subscriber with no certificate in force: approval says so,
    // and does not claim that "the certificates stay valid" (issue 20).
    const change = await call('POST', `/api/v1/ra/subscribers/${subscriberId}/changes`, { changes: { name: '王五一' } }, officerToken);
    await open(officer, `/console/changes/${String(change.id)}`);
    await officer.locator('#f-note').fill('身份证件已核验');
    await officer.getByRole('button', { name: zh('changes.approve') }).click();
    await officer.locator('[data-testid="no-reissue"]', { hasText: zh('changes.content-changed-none-in-force') }).waitFor();
    expect(await officer.locator('[data-testid="no-reissue"]').textContent()).not.toContain(zh('changes.no-certificate-affected'));

    // The agreement in the reader's language: English text on the English page, the Chinese on the Chinese one.
    await open(subscriber, '/agreement', 'en');
    await subscriber.locator('.agreement pre', { hasText: 'Text of the subscriber agreement' }).waitFor();
    expect(await subscriber.locator('.agreement h2').textContent()).toBe('Subscriber agreement');
    expect(await subscriber.locator('[data-testid="agreement-no-english"]').count()).toBe(0);
    await open(subscriber, '/agreement', 'zh-CN');
    await subscriber.locator('.agreement pre', { hasText: '订户协议正文' }).waitFor();

    // The officer sees the ID card uploaded for the subscriber before deciding; the view is an audited read (R2).
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const uploaded = await fetch(`${base}/api/v1/ra/subscribers/${subscriberId}/documents?kind=id-document&filename=${encodeURIComponent('身份证.png')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${officerToken}`, 'content-type': 'image/png' },
      body: png,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const documentId = ((await uploaded.json()) as { id: string }).id;
    await open(officer, `/console/applications/${applicationId}`);
    await officer.locator(`[data-view-document="${documentId}"]`).click();
    const view = officer.locator('[data-testid="document-view"] img');
    await view.waitFor();
    await expect.poll(() => view.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(1);
    const documentReads = await t.signet.store.db.selectFrom('audit_entries').select(['actor', 'details']).where('action', '=', 'ra.document-read').execute();
    expect(documentReads.map((r) => [r.actor, JSON.parse(r.details).document])).toEqual([[`operator:${OFFICER.username}`, documentId]]);
    // Another subscriber's path to the same document is refused, and leaves no read behind.
    const wrong = await fetch(`${base}/api/v1/ra/subscribers/sub-someone-else/documents/${documentId}`, { headers: { authorization: `Bearer ${officerToken}` } });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    await screenshot(officer, 'daily-document-view-zh-CN-desktop');
  });
});
