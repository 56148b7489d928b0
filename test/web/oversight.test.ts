import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { apiCaller, horizontalOverflow, launchBrowser, screenshot, serveSignet, VIEWPORTS, type Browser } from './browser.js';

afterAll(dropFreshStores);

const ADMIN_TOKEN = 'test-admin-token';
const PASSWORD = 'a long enough password';
type Locale = 'zh-CN' | 'en';
const say = (locale: Locale, key: MessageKey) => MESSAGES[locale][key];
const zh = (key: MessageKey) => say('zh-CN', key);

/**
 * Issue 20 part A in the browser: an RA administrator staffs their RA (and
 * sees no other RA's people), two-person approval stops the officer who
 * registered an application and warns the second one about missing documents,
 * the subscriber is told, and an auditor finds the approval in the audit log
 * by its words, with the chain's verdict beside it.
 */
describe('operators, two-person approval and the audit-log viewer in the console, on SQLite (issue 20; R4, R20)', { timeout: 400_000 }, () => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let raA: string;
  let applicationId: string;
  let subscriberId: string;

  const call = apiCaller(() => base, ADMIN_TOKEN);
  async function status(method: string, path: string, body: unknown, token: string): Promise<number> {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await response.arrayBuffer();
    return response.status;
  }
  async function tokenOf(operatorId: unknown): Promise<string> {
    return String((await call('POST', '/api/v1/ra/api-tokens', { label: 'test set-up', operatorId })).token);
  }

  async function open(page: Page, path: string, locale: Locale = 'zh-CN', viewport: keyof typeof VIEWPORTS = 'desktop'): Promise<void> {
    await page.setViewportSize(VIEWPORTS[viewport]);
    await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`, { waitUntil: 'domcontentloaded' });
  }

  /** A fresh sign-in as `username` (the cookies of the one before are dropped). */
  async function signIn(username: string): Promise<Page> {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await open(page, '/console');
    await page.locator('#f-username').fill(username);
    await page.locator('#f-password').fill(PASSWORD);
    await page.getByRole('button', { name: zh('console.sign-in') }).last().click();
    await page.locator('[data-testid="operator"]', { hasText: username }).waitFor();
    return page;
  }

  async function shoot(page: Page, name: string, ready: string, path: string): Promise<void> {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const viewport of ['phone', 'desktop'] as const) {
        await open(page, path, locale, viewport);
        await page.locator(ready).first().waitFor();
        if (viewport === 'phone') expect(await horizontalOverflow(page), `${name} at 360 px in ${locale}`).toBeLessThanOrEqual(0);
        await screenshot(page, `${name}-${locale}-${viewport}`);
      }
    }
  }

  beforeAll(async () => {
    ({ t, app, base } = await serveSignet());
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '订户协议', actor: 'test' });
    raA = String((await call('POST', '/api/v1/ra/organisations', { name: '甲注册机构' })).id);
    const raB = String((await call('POST', '/api/v1/ra/organisations', { name: '乙注册机构' })).id);
    await call('POST', '/api/v1/ra/operators', { username: 'chief-a', displayName: '甲管理员', role: 'ra-admin', raId: raA, password: PASSWORD });
    await call('POST', '/api/v1/ra/operators', { username: 'clerk-a', displayName: '甲审核员', role: 'ra-officer', raId: raA, password: PASSWORD });
    await call('POST', '/api/v1/ra/operators', { username: 'chief-b', displayName: '乙管理员', role: 'ra-admin', raId: raB, password: PASSWORD });
    await call('POST', '/api/v1/ra/operators', { username: 'clerk-b', displayName: '乙审核员', role: 'ra-officer', raId: raB, password: PASSWORD });
    await call('POST', '/api/v1/ra/operators', { username: 'ca-admin-1', displayName: 'CA 管理员', role: 'ca-admin', raId: null, password: PASSWORD });
    await call('POST', '/api/v1/ra/operators', { username: 'auditor-1', displayName: '审计员', role: 'auditor', raId: null, password: PASSWORD });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.signet.close();
  });

  it('lets an RA administrator staff only their RA in the console; another RA’s administrator sees none of them and is refused', async () => {
    const page = await signIn('chief-a');
    await open(page, '/console/admin/operators');
    const table = page.locator('[data-testid="operators"]');
    await table.locator('tr[data-operator="clerk-a"]').waitFor();
    expect(await table.locator('tr[data-operator]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-operator')))).toEqual(['chief-a', 'clerk-a']);
    // Their own account cannot be changed by themselves.
    expect(await table.locator('tr[data-operator="chief-a"] button').count()).toBe(0);

    // A new officer: a short password is refused beside its field, then the account is made at this RA.
    const form = page.locator('[data-testid="new-operator"]');
    await form.locator('#f-username').fill('checker-a');
    await form.locator('#f-displayName').fill('甲复核员');
    await form.locator('#f-password').fill('short');
    await form.getByRole('button', { name: zh('operators.create') }).click();
    await form.locator('[data-field="password"] .field-error').waitFor();
    await form.locator('#f-password').fill(PASSWORD);
    await form.getByRole('button', { name: zh('operators.create') }).click();
    await table.locator('tr[data-operator="checker-a"]').waitFor();
    const created = (await call('GET', '/api/v1/ra/operators')) as unknown as { username: string; raId: string; role: string }[];
    expect(created.find((o) => o.username === 'checker-a')).toMatchObject({ raId: raA, role: 'ra-officer' });

    // Disable and enable the clerk; the state shows in words.
    const clerk = table.locator('tr[data-operator="clerk-a"]');
    await clerk.locator('[data-action="status"]').click();
    await page.locator('tr[data-operator="clerk-a"] [data-status="disabled"]').waitFor();
    await page.locator('tr[data-operator="clerk-a"] [data-action="status"]').click();
    await page.locator('tr[data-operator="clerk-a"] [data-status="active"]').waitFor();
    expect(await page.locator('[data-testid="approval-policies"] li').count()).toBe(1);
    await shoot(page, 'oversight-operators', 'tr[data-operator="checker-a"]', '/console/admin/operators');

    // RA B's administrator: no RA A account on the page, and the API refuses to touch one.
    const other = await signIn('chief-b');
    await open(other, '/console/admin/operators');
    await other.locator('tr[data-operator="clerk-b"]').waitFor();
    expect(await other.locator('tr[data-operator="clerk-a"]').count()).toBe(0);
    const operators = (await call('GET', '/api/v1/ra/operators')) as unknown as { id: string; username: string }[];
    const clerkA = operators.find((o) => o.username === 'clerk-a')!.id;
    const chiefB = await tokenOf(operators.find((o) => o.username === 'chief-b')!.id);
    expect(await status('POST', `/api/v1/ra/operators/${clerkA}/status`, { status: 'disabled' }, chiefB)).toBe(403);
    expect(await status('POST', `/api/v1/ra/operators/${clerkA}/password`, { password: 'another long password' }, chiefB)).toBe(403);
    expect(await status('POST', `/api/v1/ra/operators/${clerkA}/role`, { role: 'ra-admin' }, chiefB)).toBe(403);
    expect(await status('POST', `/api/v1/ra/organisations/${raA}/approval-policy`, { approvalPolicy: 'single-person' }, chiefB)).toBe(403);
  });

  it('refuses the registering officer under two-person approval, makes the second officer acknowledge “no documents”, and tells the subscriber', async () => {
    // The CA administrator turns two-person approval on for RA A in the console.
    const admin = await signIn('ca-admin-1');
    await open(admin, '/console/admin/operators');
    await admin.locator(`[data-ra="${raA}"] button`).click();
    await admin.locator(`[data-ra="${raA}"] [data-policy="two-person"]`).waitFor();
    // An RA created in the console starts with two-person approval unless the administrator chooses otherwise.
    await open(admin, '/console/organisations');
    await admin.locator('#f-name').fill('丙注册机构');
    await admin.getByRole('button', { name: zh('organisations.add'), exact: true }).click();
    await admin.locator('section.card', { hasText: '丙注册机构' }).locator('[data-policy="two-person"]').waitFor();
    expect(((await call('GET', '/api/v1/ra/organisations')) as unknown as { name: string; approvalPolicy: string }[]).find((o) => o.name === '丙注册机构')?.approvalPolicy).toBe('two-person');

    const operators = (await call('GET', '/api/v1/ra/operators')) as unknown as { id: string; username: string }[];
    const clerkToken = await tokenOf(operators.find((o) => o.username === 'clerk-a')!.id);
    const consent = { agreementVersion: 'v1', accepted: true };
    subscriberId = String((await call('POST', '/api/v1/ra/subscribers', { type: 'individual', name: '周九', idType: 'resident-id', idNumber: '110101199003077571', phone: '13800138000', email: 'zhou@example.cn', consent }, clerkToken)).id);
    applicationId = String((await call('POST', '/api/v1/ra/applications', { subscriberId, purpose: 'signing' }, clerkToken)).id);

    // The clerk who registered it takes it into review and is told they cannot approve it.
    const clerk = await signIn('clerk-a');
    await open(clerk, `/console/applications/${applicationId}`);
    await clerk.getByRole('button', { name: zh('application.take') }).click();
    await clerk.locator('[data-testid="approval-refused"]', { hasText: '双人审核' }).waitFor();
    expect(await clerk.getByRole('button', { name: zh('application.approve') }).isDisabled()).toBe(true);
    await shoot(clerk, 'oversight-two-person-refused', '[data-testid="approval-refused"]', `/console/applications/${applicationId}`);
    // The domain refuses it too, whatever a client sends.
    expect(await status('POST', `/api/v1/ra/applications/${applicationId}/approve`, {}, clerkToken)).toBe(403);

    // The second officer is warned that no document was uploaded and must acknowledge it.
    const checker = await signIn('checker-a');
    await open(checker, `/console/applications/${applicationId}`);
    const warnings = checker.locator('[data-testid="approval-warnings"]');
    await warnings.locator('[data-warning="ra.approval-warning.no-documents"]').waitFor();
    expect(await warnings.textContent()).toContain('没有上传任何证明材料');
    await shoot(checker, 'oversight-no-documents-warning', '[data-testid="approval-warnings"]', `/console/applications/${applicationId}`);
    await open(checker, `/console/applications/${applicationId}`);
    await warnings.locator('[data-warning="ra.approval-warning.no-documents"]').waitFor();
    await checker.getByRole('button', { name: zh('application.approve') }).click();
    await checker.getByText(zh('approval.acknowledge-required')).waitFor();
    expect((await call('GET', `/api/v1/ra/applications/${applicationId}`)).status).toBe('in-review');
    await checker.locator('input[name="acknowledge"]').check();
    await checker.getByRole('button', { name: zh('application.approve') }).click();
    await checker.locator('[data-testid="reference-number"]').waitFor();
    await checker.locator('[data-testid="approval-recorded"]', { hasText: '没有上传任何证明材料' }).waitFor();
    await screenshot(checker, 'oversight-approved-with-warning-zh-CN-desktop');

    // The approval says who and what was warned; the subscriber's notice is queued, in both languages.
    const entry = await t.signet.store.db.selectFrom('audit_entries').select(['actor', 'details']).where('action', '=', 'ra.application-approved').executeTakeFirstOrThrow();
    expect(entry.actor).toBe('operator:checker-a');
    expect(JSON.parse(entry.details).warnings).toEqual(['no-documents']);
    const [notice] = await t.signet.service.outbox.list({ recipient: `subscriber:${subscriberId}`, kind: 'application-approved' });
    expect(notice!.subject).toEqual({ 'zh-CN': '您的签名证书申请已获批准', en: 'Your signing certificate application was approved' });
  });

  it('lets a CA-wide auditor find the approval by its words and by the application, with the chain verdict, in both languages', async () => {
    const page = await signIn('auditor-1');
    await open(page, '/console/admin/audit-log');
    await page.locator('[data-testid="chain-status"][data-chain="ok"]').waitFor();
    await page.locator('#f-action').selectOption({ label: '批准申请' });
    await page.locator('#f-subject').fill(applicationId);
    await page.getByRole('button', { name: zh('audit-log.find') }).click();
    const rows = page.locator('[data-testid="audit-entries"] tr[data-seq]');
    await expect.poll(() => rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-action')))).toEqual(['ra.application-approved']);
    const row = rows.first();
    expect(await row.locator('[data-testid="action-words"]').textContent()).toBe('批准申请');
    expect(await row.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ok');
    // No internal code in the words shown: the action code appears only for unnamed actions, in a code element.
    // Evaluated in the page (a string, as the test's own tsconfig has no DOM types).
    const visible = (await row.evaluate(`(() => {
      const copy = document.querySelector('[data-testid="audit-entries"] tr[data-seq]').cloneNode(true);
      copy.querySelectorAll('code, details').forEach((c) => c.remove());
      return copy.textContent;
    })()`)) as string;
    expect(visible).not.toMatch(/ra\.|application-approved|operator:/);
    expect(visible).toContain('操作员');

    // A time range in Beijing time that ends before the approval finds nothing of it.
    await page.locator('#f-to').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: zh('audit-log.find') }).click();
    await page.getByText(zh('audit-log.nothing')).waitFor();

    // Everything the clerk did, newest first, a page at a time.
    await page.locator('#f-to').fill('');
    await page.locator('#f-subject').fill('');
    await page.locator('#f-action').selectOption('');
    await page.locator('#f-actor').fill('clerk-a');
    await page.getByRole('button', { name: zh('audit-log.find') }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(2);
    const seqs = (await rows.evaluateAll((r) => r.map((x) => Number(x.getAttribute('data-seq'))))) as number[];
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);

    await shoot(page, 'oversight-audit-log', '[data-testid="audit-entries"] tr[data-seq]', '/console/admin/audit-log');
    await open(page, '/console/admin/audit-log', 'en');
    await page.locator('#f-action').selectOption({ label: 'Application approved' });
    await page.getByRole('button', { name: say('en', 'audit-log.find') }).click();
    await expect.poll(() => rows.first().locator('[data-testid="action-words"]').textContent()).toBe('Application approved');

    // An RA administrator is told the log is for CA-wide roles; the API refuses them.
    const chief = await signIn('chief-a');
    await open(chief, '/console/admin/audit-log');
    await chief.getByText(zh('audit-log.ca-wide-only')).waitFor();
  });
});
