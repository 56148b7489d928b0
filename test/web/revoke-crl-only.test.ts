import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessRequestPem } from '../../src/ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { launchBrowser, serveSignet, type Browser, type ServedSignet } from './browser.js';

afterAll(dropFreshStores);

const ADMIN_TOKEN = 'test-admin-token';
type Locale = 'zh-CN' | 'en';
const text = (locale: Locale, key: MessageKey) => MESSAGES[locale][key];


/**
 * Issue 22 item 3 (CRL-only mode): a deployment with SIGNET_CRL_ONLY=on has no OCSP responder, so the RA
 * console's revocation page must not tell the officer that OCSP says so at once; it says what the public,
 * status and portal pages already say (the public lookup at once, a new CRL within 5 minutes). A deployment
 * with OCSP keeps the OCSP texts.
 */
describe('the RA console’s revocation page speaks of the CRL in a CRL-only deployment, of OCSP otherwise (issue 22)', { timeout: 300_000 }, () => {
  const deployments: Record<'crlOnly' | 'ocsp', { served: ServedSignet; page: Page; serials: string[] }> = {} as never;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
    for (const [name, env] of [
      ['crlOnly', { SIGNET_CRL_ONLY: 'on' }],
      ['ocsp', {}],
    ] as const) {
      const served = await serveSignet({ env });
      const serials: string[] = [];
      for (let i = 0; i < 2; i++) serials.push((await served.t.signet.ca.issue({ csr: await inProcessRequestPem(), profileId: 'tls-client', subject: `CN=revoke ${name} ${i}`, requestedBy: 'test', reason: 'revocation page test' })).serial);
      const page = await browser.context.newPage();
      await page.goto(`${served.base}/console?lang=zh-CN`, { waitUntil: 'domcontentloaded' });
      await page.getByRole('tab', { name: text('zh-CN', 'console.with-token') }).click();
      await page.locator('#f-token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: text('zh-CN', 'console.sign-in') }).last().click();
      await page.locator('[data-testid="operator"]').waitFor();
      deployments[name] = { served, page, serials };
    }
  });
  afterAll(async () => {
    await browser?.close();
    for (const { served } of Object.values(deployments)) {
      await served.app.close();
      await served.t.signet.close();
    }
  });

  /** Opens the page for `serial` in `locale`, checks its lead, revokes at the subscriber's request and returns what the page then says. */
  async function revoke(deployment: (typeof deployments)['ocsp'], serial: string, locale: Locale, lead: MessageKey): Promise<string | null> {
    const { page, served } = deployment;
    await page.goto(`${served.base}/console/revoke?serial=${serial}&lang=${locale}`, { waitUntil: 'domcontentloaded' });
    // The mode is known once the CA list has come (web/src/public/crl-only.ts): wait for the text, do not read it once.
    await expect.poll(() => page.locator('[data-testid="revoke-lead"]').textContent(), { timeout: 30_000 }).toBe(text(locale, lead));
    await page.locator('#f-channel').selectOption('subscriber');
    await page.locator('#f-reason').selectOption('keyCompromise');
    await page.locator('#f-confirm').check();
    await page.getByRole('button', { name: text(locale, 'revoke.action') }).click();
    await page.locator('[data-testid="status-result"][data-status="revoked"]').waitFor();
    expect((await served.t.signet.status.revocation(serial))?.reason).toBe('keyCompromise');
    return page.locator('[data-testid="revocation-done"]').textContent();
  }

  for (const [i, locale] of (['zh-CN', 'en'] as const).entries()) {
    it(`CRL-only, ${locale}: the lead and the confirmation name the public lookup and the CRL, not OCSP`, async () => {
      const done = await revoke(deployments.crlOnly, deployments.crlOnly.serials[i]!, locale, 'revoke.lead-crl-only');
      expect(done).toBe(text(locale, 'revoke.done-crl-only'));
      expect(await deployments.crlOnly.page.locator('.page').textContent()).not.toContain(text(locale, 'revoke.done'));
      expect(text(locale, 'revoke.done-crl-only')).toContain('CRL');
      expect(text(locale, 'revoke.done-crl-only')).not.toContain('OCSP');
    });

    it(`with OCSP, ${locale}: the lead and the confirmation still say OCSP tells relying parties at once`, async () => {
      const done = await revoke(deployments.ocsp, deployments.ocsp.serials[i]!, locale, 'revoke.lead');
      expect(done).toBe(text(locale, 'revoke.done'));
    });
  }
});
