import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../../src/ca/hierarchy.js';
import { inProcessRequestPem, openTestSignet, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { buildServer } from '../../src/http/server.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { ensureWebBuilt, launchBrowser, type Browser } from './browser.js';

afterAll(dropFreshStores);

const ADMIN_TOKEN = 'test-admin-token';
/** web/src/console/certificates-page.tsx shows 20 a page; 45 certificates and the CA's own make three pages or more. */
const PAGE_SIZE = 20;
const COUNT = 45;
const text = (locale: 'zh-CN' | 'en', key: MessageKey) => MESSAGES[locale][key];


// Page loads on a loaded 2-core machine: generous time, no timing asserted.
describe('the console’s certificate inventory pages by cursor in the browser (issue 22: keyset paging, exact serial)', { timeout: 300_000 }, () => {
  let t: TestSignet;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;
  /** Every certificate of the CA, newest first, as the inventory lists them. */
  let newestFirst: string[];
  let now = new Date('2026-10-01T02:00:00.000Z');

  const shown = async () => page.locator('tbody tr[data-serial]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-serial')));
  /** Waits until the table shows exactly `serials`, then returns them. */
  async function expectRows(serials: string[]): Promise<void> {
    await expect.poll(shown, { timeout: 30_000 }).toEqual(serials);
  }

  beforeAll(async () => {
    ensureWebBuilt();
    // Each certificate a second after the one before: the inventory's order (issued_at, serial) is the order of issue.
    t = await openTestSignet('sqlite', { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    for (let i = 0; i < COUNT; i++) {
      now = new Date(now.getTime() + 1000);
      await t.signet.ca.issue({ csr: await inProcessRequestPem(), profileId: 'tls-client', subject: `CN=pager ${i}`, requestedBy: 'test', reason: 'pager test' });
    }
    const rows = await t.signet.store.db.selectFrom('certificates').select('serial').orderBy('issued_at', 'desc').orderBy('serial', 'desc').execute();
    newestFirst = rows.map((r) => r.serial);
    expect(newestFirst.length).toBeGreaterThan(2 * PAGE_SIZE);
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${base}/console?lang=zh-CN`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('tab', { name: text('zh-CN', 'console.with-token') }).click();
    await page.locator('#f-token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: text('zh-CN', 'console.sign-in') }).last().click();
    await page.locator('[data-testid="operator"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.signet.close();
  });

  for (const locale of ['zh-CN', 'en'] as const) {
    it(`goes forward to the last page and back to the first by cursor, in ${locale}; the address names a cursor, never a page number`, async () => {
      const requested: string[] = [];
      const listen = (r: { url(): string }) => {
        if (r.url().includes('/api/v1/ra/inventory/certificates')) requested.push(r.url());
      };
      page.on('request', listen);
      await page.goto(`${base}/console/certificates?lang=${locale}`, { waitUntil: 'domcontentloaded' });
      const previous = page.getByRole('button', { name: `‹ ${text(locale, 'common.previous')}` });
      const next = page.getByRole('button', { name: `${text(locale, 'common.next')} ›` });
      const pages = Array.from({ length: Math.ceil(newestFirst.length / PAGE_SIZE) }, (_, i) => newestFirst.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      expect(pages.length).toBeGreaterThanOrEqual(3);
      await expectRows(pages[0]!);
      await expect.poll(() => previous.isDisabled()).toBe(true);

      for (const [i, rows] of pages.entries()) {
        if (i === 0) continue;
        await next.click();
        await expectRows(rows);
        expect(new URL(page.url()).searchParams.get('after')).toMatch(/~[0-9a-f]+$/);
      }
      await expect.poll(() => next.isDisabled()).toBe(true);

      for (let i = pages.length - 2; i >= 0; i--) {
        await previous.click();
        await expectRows(pages[i]!);
        if (i > 0) expect(new URL(page.url()).searchParams.get('before')).toMatch(/~[0-9a-f]+$/);
      }
      await expect.poll(() => previous.isDisabled()).toBe(true);
      await expect.poll(() => next.isDisabled()).toBe(false);

      // Deep in the list, "back to the newest" starts again at the top.
      await next.click();
      await expectRows(pages[1]!);
      await page.getByRole('button', { name: text(locale, 'inventory.first-page') }).click();
      await expectRows(pages[0]!);

      page.off('request', listen);
      expect(requested.length).toBeGreaterThan(0);
      for (const url of requested) expect(new URL(url).searchParams.has('page'), url).toBe(false);
    });
  }

  it('finds one certificate by its serial as typed or pasted with colons, exactly that one', async () => {
    const wanted = newestFirst[PAGE_SIZE + 3]!;
    await page.goto(`${base}/console/certificates?lang=en`, { waitUntil: 'domcontentloaded' });
    await expectRows(newestFirst.slice(0, PAGE_SIZE));
    const search = page.locator('input[name="q"]');
    await search.fill(wanted);
    await expectRows([wanted]);
    await search.fill(wanted.toUpperCase().match(/../g)!.join(':'));
    await expectRows([wanted]);
    // One digit off is no certificate at all, not a near match.
    await search.fill(`${wanted.slice(0, -1)}${wanted.endsWith('0') ? '1' : '0'}`);
    await expectRows([]);
  });
});
