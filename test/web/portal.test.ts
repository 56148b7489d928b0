import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { buildServer } from '../../src/http/server.js';
import { findRevocation } from '../../src/status/revocation.js';
import { dropFreshStores } from '../../src/store/test-support/store-backends.js';
import { MESSAGES, type MessageKey } from '../../web/src/messages.js';
import { ensureWebBuilt, horizontalOverflow, launchBrowser, screenshot, VIEWPORTS, type Browser, type ViewportName } from './browser.js';

afterAll(dropFreshStores);

const AGREEMENT = readFileSync(new URL('../fixtures/subscriber-agreement-2022-08.zh.txt', import.meta.url), 'utf8');
const ADMIN_TOKEN = 'test-admin-token';
const OFFICER = { username: 'officer-portal', password: 'a long enough password' };
const zh = (key: MessageKey) => MESSAGES['zh-CN'][key];
const en = (key: MessageKey) => MESSAGES.en[key];
type Locale = 'zh-CN' | 'en';

function openssl(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: 60_000 }, (error, stdout, stderr) => resolve({ status: error ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
}

// Monday 21 September 2026, 10:00 in Beijing, moving on in real time: the holiday calendar for 2026 applies (R12).
const START = Date.parse('2026-09-21T02:00:00.000Z');
const STARTED = Date.now();

describe('the subscriber portal in the browser, on SQLite: self-registration → approval → download → self-service → self-revocation (issue 7; R0, R1, R3, R5, R6, R7, R9, R10, R12, R14)', { timeout: 240_000 }, () => {
  let t: TestSignet;
  let h: Hierarchy;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let dir: string;
  let raId = '';
  let access = { trackingNumber: '', trackingCode: '' };
  let serial = '';

  async function asOfficer(path: string, body: unknown): Promise<Record<string, unknown>> {
    const login = await fetch(`${base}/api/v1/ra/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OFFICER) });
    const csrf = String(((await login.json()) as { csrfToken: string }).csrfToken);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('signet_session='))!.split(';')[0]!;
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(json)).toBeLessThan(300);
    return json;
  }

  async function open(page: Page, path: string, locale: Locale = 'zh-CN', viewport: ViewportName = 'desktop'): Promise<void> {
    await page.setViewportSize(VIEWPORTS[viewport]);
    await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`, { waitUntil: 'domcontentloaded' });
  }

  /** Screenshot at both widths in the page's current state; at 360 px nothing may stick out sideways. */
  async function both(page: Page, name: string, locale: Locale): Promise<void> {
    for (const viewport of ['phone', 'desktop'] as const) {
      await page.setViewportSize(VIEWPORTS[viewport]);
      if (viewport === 'phone') expect(await horizontalOverflow(page), `${name} at 360 px in ${locale}`).toBeLessThanOrEqual(0);
      await screenshot(page, `portal-${name}-${locale}-${viewport}`);
    }
  }

  beforeAll(async () => {
    ensureWebBuilt();
    t = await openTestSignet('sqlite', { clock: () => new Date(START + (Date.now() - STARTED)) });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = mkdtempSync(join(tmpdir(), 'signet-portal-'));
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBeLessThan(300);
      return (await response.json()) as Record<string, unknown>;
    };
    await admin('/api/v1/agreements', { id: '2022-08', title: 'CFCA 数字证书服务协议', text: AGREEMENT });
    raId = String((await admin('/api/v1/ra/organisations', { name: '北京注册机构' })).id);
    await admin('/api/v1/ra/operators', { username: OFFICER.username, role: 'ra-officer', raId, password: OFFICER.password });
    // A CRL in force from the start: the evidence package cites it for a transaction before the revocation (R14).
    await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    await t.signet.service.fees.setSchedule('test', { raId, profileId: 'individual-signing', validityDays: 365, amountFen: 12_050 });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.signet.close();
  });

  it('registers a person in the portal: the RA\'s own checks beside the field, consent required, the tracking number and code shown once (R0, R1)', async () => {
    const page = await browser.context.newPage();
    for (const locale of ['zh-CN', 'en'] as const) {
      await open(page, '/portal/register', locale, 'desktop');
      await page.locator('#f-raId').waitFor();
      await both(page, 'register', locale);
    }

    await open(page, '/portal/register', 'zh-CN', 'phone');
    await page.locator('#f-name').fill('张三');
    await page.locator('#f-idNumber').fill('110101199003077572');
    await page.locator('#f-phone').fill('12345');
    await page.locator('#f-email').fill('zhangsan@example.cn');
    await page.locator('#f-consent').check();
    await page.getByRole('button', { name: zh('sp.register.submit') }).click();
    // GB 11643: the wrong check digit is refused beside the ID number, in Chinese; the bad phone number in the same answer (issue 20).
    const idError = page.locator('[data-field="idNumber"] .field-error');
    await idError.waitFor();
    expect(await idError.textContent()).toContain('校验码');
    expect(await page.locator('#f-idNumber').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-field="phone"] .field-error').count()).toBe(1);
    await both(page, 'register-error', 'zh-CN');
    await page.locator('#f-phone').fill('13800138000');

    // R0: without consent nothing is registered; the refusal sits beside the checkbox.
    await page.locator('#f-idNumber').fill('110101199003077571');
    await page.locator('#f-consent').uncheck();
    await page.getByRole('button', { name: zh('sp.register.submit') }).click();
    await page.locator('[data-field="consent"] .field-error').waitFor();
    expect(await idError.count()).toBe(0);
    expect(await t.signet.ra.subscribers.list({ operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' })).toEqual([]);

    await page.locator('#f-consent').check();
    await page.getByRole('button', { name: zh('sp.register.submit') }).click();
    await page.locator('[data-testid="tracking"]').waitFor();
    access = {
      trackingNumber: (await page.locator('[data-testid="tracking-number"]').textContent())!.trim(),
      trackingCode: (await page.locator('[data-testid="tracking-code"]').textContent())!.trim(),
    };
    expect(access.trackingNumber).toMatch(/^\d{16}$/);
    expect(access.trackingCode).toMatch(/^[A-Z2-9]{12}$/);
    await both(page, 'registered', 'zh-CN');

    // Straight into the subscriber's services: the application waits for review.
    await page.getByRole('button', { name: zh('sp.register.continue') }).click();
    await page.locator('[data-testid="portal-application"][data-status="submitted"]').waitFor();
    await both(page, 'account-submitted', 'zh-CN');
    const [subscriber] = await t.signet.ra.subscribers.list({ operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' });
    const [acceptance] = await t.signet.ra.agreements.acceptances(subscriber!.id);
    expect(acceptance).toMatchObject({ versionId: '2022-08', channel: 'explicit', raId });
    await page.close();
  });

  it('signs in with the tracking code in another browser, downloads with a key made in the page once the RA approved, and uses the services (R3, R5, R6, R9, R10, R12)', async () => {
    // The officer approves (the console's own journey is test/web/web-app.test.ts); the credential goes to the subscriber.
    const [subscriber] = await t.signet.ra.subscribers.list({ operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' });
    const [application] = await t.signet.ra.applications.list({ operatorId: null, username: 'test', role: 'ca-admin', raId: null, via: 'cli' }, { subscriberId: subscriber!.id });
    await asOfficer(`/api/v1/ra/applications/${application!.id}/review`, {});
    const credential = (await asOfficer(`/api/v1/ra/applications/${application!.id}/approve`, { note: '材料齐全' })).credential as { referenceNumber: string; authorizationCode: string };
    await t.signet.service.fees.charge('test', { raId, subscriberId: subscriber!.id, purpose: 'issuance', reference: application!.id, profileId: 'individual-signing', validityDays: 365 });

    const own = await launchBrowser();
    try {
      const page = await own.context.newPage();
      // A wrong code is refused beside its field, with the same words as an unknown tracking number
      // (issue 16: no answer tells a guesser which part was right); then the right one opens the services.
      await open(page, '/portal/account', 'en', 'phone');
      await page.locator('#f-trackingNumber').fill(access.trackingNumber);
      await page.locator('#f-trackingCode').fill('WRONGWRONG22');
      await page.getByRole('button', { name: en('sp.signin.submit') }).click();
      await expect.poll(() => page.locator('[data-field="trackingCode"] .field-error').textContent()).toContain('Wrong tracking number or code');
      await both(page, 'sign-in-error', 'en');
      await page.locator('#f-trackingCode').fill(access.trackingCode.toLowerCase());
      await page.getByRole('button', { name: en('sp.signin.submit') }).click();
      await page.locator('[data-testid="portal-application"][data-status="approved"]').waitFor();
      await both(page, 'account-approved', 'en');

      // R5: the download, with an ECDSA key generated in this page.
      await page.getByRole('link', { name: en('sp.app.download') }).click();
      await page.locator('#f-referenceNumber').fill(credential.referenceNumber);
      await page.locator('#f-authorizationCode').fill(credential.authorizationCode);
      await page.getByRole('button', { name: en('download.start') }).click();
      await page.locator('[data-testid="downloaded"]').waitFor();
      serial = (await page.locator('[data-testid="serial"]').textContent())!.trim();

      for (const locale of ['zh-CN', 'en'] as const) {
        await open(page, '/portal/account', locale, 'desktop');
        await page.locator(`[data-testid="portal-certificate"][data-serial="${serial}"][data-status="good"]`).waitFor();
        await both(page, 'account-good', locale);
      }

      // R1: a supporting document goes on file with its SHA-256, shown to the subscriber.
      const scan = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
      writeFileSync(join(dir, 'id-card.png'), scan);
      await page.locator('#f-document').setInputFiles(join(dir, 'id-card.png'));
      await page.getByRole('button', { name: en('sp.documents.upload') }).click();
      await page.locator('[data-testid="portal-documents"]').getByText(createHash('sha256').update(scan).digest('hex')).waitFor();

      // R6 at download: an agent gives the delegation number and their ID; without the number, the refusal sits beside it.
      await open(page, '/portal/download', 'zh-CN', 'phone');
      await page.locator('#f-as-agent').check();
      await page.locator('#f-referenceNumber').fill('0000000000000000');
      await page.locator('#f-authorizationCode').fill('ABCDEFGHJKMN');
      await page.getByRole('button', { name: zh('download.start') }).click();
      await page.locator('[data-field="agent.delegationId"] .field-error').waitFor();
      await both(page, 'download-as-agent', 'zh-CN');

      // R3: a change of phone number goes to the RA's review; a bad e-mail is refused beside its field first.
      await open(page, '/portal/account/changes', 'zh-CN', 'phone');
      await page.locator('#f-email').fill('not-an-address');
      await page.getByRole('button', { name: zh('sp.changes.submit') }).click();
      await page.locator('[data-field="email"] .field-error').waitFor();
      await both(page, 'changes-error', 'zh-CN');
      await page.locator('#f-email').fill('zhangsan@example.cn');
      await page.locator('#f-phone').fill('13700137000');
      await page.getByRole('button', { name: zh('sp.changes.submit') }).click();
      await page.getByText(zh('sp.changes.done')).waitFor();
      const [change] = await t.signet.ra.changes.of(subscriber!.id);
      expect(change).toMatchObject({ status: 'submitted', changes: { phone: '13700137000' }, submittedBy: `subscriber:${subscriber!.id}` });
      await open(page, '/portal/account/changes', 'en', 'desktop');
      await page.getByText(en('sp.changes.status.submitted')).waitFor();
      await both(page, 'changes', 'en');

      // R6: an agent, with the signed letter uploaded; an ID with a wrong check digit is refused beside its field.
      const letter = join(dir, 'authorisation.pdf');
      writeFileSync(letter, '%PDF-1.4\n授权委托书：兹授权李四代为下载证书\n%%EOF\n');
      await open(page, '/portal/account/agents', 'zh-CN', 'phone');
      await page.locator('#f-letter').setInputFiles(letter);
      await page.locator('#f-agentName').fill('李四');
      await page.locator('#f-agentIdNumber').fill('11010519491231002Y');
      await page.getByRole('button', { name: zh('sp.agents.submit') }).click();
      await page.locator('[data-field="agentIdNumber"] .field-error').waitFor();
      await page.locator('#f-agentIdNumber').fill('11010519491231002X');
      await page.getByRole('button', { name: zh('sp.agents.submit') }).click();
      await page.getByText('11010519491231002X'.slice(0, 4) + '*'.repeat(10) + '002X').waitFor();
      await both(page, 'agents', 'zh-CN');
      expect(await t.signet.ra.delegations.of(subscriber!.id)).toMatchObject([{ agentName: '李四', status: 'active' }]);

      // R12: a complaint, due on the 7th working day after Mid-Autumn and National Day: 8 October.
      await open(page, '/portal/account/complaints', 'en', 'phone');
      await page.locator('#f-description').fill('The download page was slow.');
      await page.getByRole('button', { name: en('sp.complaints.submit') }).click();
      await expect.poll(() => page.locator('[data-testid="complaint-filed"]').textContent()).toMatch(/10\/08\/2026|2026.10.08/);
      await both(page, 'complaint', 'en');

      // R10: a dispute outside the 3-month window is refused beside the date; inside it, filed.
      await open(page, '/portal/account/disputes', 'zh-CN', 'phone');
      await page.locator('#f-discoveredOn').fill('2026-05-01');
      await page.locator('#f-description').fill('证书被他人冒用');
      await page.getByRole('button', { name: zh('sp.disputes.submit') }).click();
      await expect.poll(() => page.locator('[data-field="discoveredOn"] .field-error').textContent()).toContain('3');
      await both(page, 'dispute-error', 'zh-CN');
      await page.locator('#f-discoveredOn').fill('2026-09-01');
      await page.getByRole('button', { name: zh('sp.disputes.submit') }).click();
      await page.getByText(zh('sp.disputes.done')).waitFor();
      expect(await t.signet.disputes.list({ subscriberId: subscriber!.id })).toMatchObject([{ state: 'filed', discoveredOn: '2026-09-01' }]);

      // R9: the charge in integer fen, shown as ¥.
      for (const locale of ['zh-CN', 'en'] as const) {
        await open(page, '/portal/account/charges', locale, 'desktop');
        await expect.poll(() => page.locator('[data-testid="charges-due"]').textContent()).toContain('¥120.50');
        await both(page, 'charges', locale);
      }
      await page.close();
    } finally {
      await own.close();
    }
  });

  it('lets the subscriber revoke their own certificate: the public lookup and openssl ocsp say revoked, and the record says who asked (R7, R8)', async () => {
    const own = await launchBrowser();
    try {
      const page = await own.context.newPage();
      await open(page, '/portal/account', 'zh-CN', 'desktop');
      await page.locator('#f-trackingNumber').fill(access.trackingNumber);
      await page.locator('#f-trackingCode').fill(access.trackingCode);
      await page.getByRole('button', { name: zh('sp.signin.submit') }).click();
      await page.locator(`[data-testid="portal-certificate"][data-serial="${serial}"]`).waitFor();
      await page.getByRole('link', { name: zh('sp.cert.revoke') }).click();
      await page.locator('[data-testid="self-revocation"]').waitFor();
      // No reason is chosen for the subscriber (issue 20: key compromise was pre-selected); asked beside the choices.
      expect(await page.locator('input[name="reason"]:checked').count()).toBe(0);
      await page.getByRole('button', { name: zh('sp.revoke.submit') }).click();
      await page.locator('[data-field="reason"] .field-error').waitFor();
      await page.locator('input[name="reason"][value="keyCompromise"]').check();
      await page.getByRole('button', { name: zh('sp.revoke.submit') }).click();
      await page.locator('[data-field="confirm"] .field-error').waitFor();
      expect(await findRevocation(t.signet.ca, serial)).toBeNull();
      await both(page, 'revocation', 'zh-CN');
      const declared = '装有私钥的 U 盾遗失';
      await page.locator('#f-justification').fill(declared);
      await page.locator('#f-confirm').check();
      await page.getByRole('button', { name: zh('sp.revoke.submit') }).click();
      await page.locator('[data-testid="revocation-done"]').waitFor();
      await both(page, 'revoked', 'zh-CN');
      expect(await findRevocation(t.signet.ca, serial)).toMatchObject({ reason: 'keyCompromise', channel: 'subscriber', justification: declared });

      await open(page, '/portal/account', 'en', 'phone');
      await page.locator(`[data-testid="portal-certificate"][data-serial="${serial}"][data-status="revoked"]`).waitFor();
      await both(page, 'account-revoked', 'en');
      await open(page, `/status?serial=${serial}`, 'en', 'phone');
      await page.locator('[data-testid="status-result"][data-status="revoked"]').waitFor();
      await page.close();
    } finally {
      await own.close();
    }

    const leaf = join(dir, 'leaf.pem');
    writeFileSync(leaf, await (await fetch(`${base}/api/v1/certificates/${serial}.pem`)).text());
    // The server's clock is injected (September 2026); openssl checks the response's times against the machine's, hence the tolerance.
    const ocsp = await openssl(['ocsp', '-issuer', writePem(dir, 'issuing.pem', h.issuing.der), '-cert', leaf, '-CAfile', writePem(dir, 'root.pem', h.root.der), '-url', `${base}/ocsp`, '-resp_text', '-validity_period', '315360000']);
    expect(ocsp.stderr + ocsp.stdout).toContain('Response verify OK');
    expect(ocsp.stdout).toMatch(/: revoked/);
    expect(ocsp.stdout).toContain('Reason: keyCompromise');
  });

  it('shows anyone what an evidence package proves, in plain words in both languages, and refuses a tampered one (R14)', async () => {
    // The transaction: between issuance and the subscriber's revocation, so the certificate was still good then.
    const revokedAt = Date.parse((await findRevocation(t.signet.ca, serial))!.revokedAt);
    const notBefore = Date.parse((await t.signet.ca.certificate(serial)).not_before);
    const produced = await t.signet.evidence.produce({ serial, at: new Date(Math.floor((notBefore + revokedAt) / 2)), requestedBy: 'test' });
    expect(produced.manifest.statusAtTime, JSON.stringify(produced.manifest.checks)).toBe('not-revoked');
    const good = join(dir, 'evidence.p7m');
    writeFileSync(good, produced.der);
    const tampered = join(dir, 'tampered.p7m');
    const bytes = Buffer.from(produced.der);
    // One byte of the signed manifest changed: the package's signature no longer holds.
    const at = bytes.indexOf(Buffer.from('"statusAtTime"')) + 3;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(tampered, bytes);

    const page = await browser.context.newPage();
    for (const locale of ['zh-CN', 'en'] as const) {
      await open(page, '/evidence', locale, 'desktop');
      await page.locator('#f-package').setInputFiles(good);
      await page.getByRole('button', { name: MESSAGES[locale]['evidence-viewer.check'] }).click();
      await page.locator('[data-testid="evidence-result"][data-valid="true"]').waitFor();
      expect(await page.locator('[data-testid="evidence-result"]').textContent()).toContain(produced.manifest.conclusion[locale]!);
      expect(await page.locator('[data-check][data-ok="true"]').count()).toBeGreaterThan(0);
      expect(await page.locator('[data-verification][data-ok="true"]').count()).toBe(6);
      expect(await page.locator('[data-testid="evidence-verdict"]').textContent()).toBe(produced.manifest.conclusion[locale]);
      await both(page, 'evidence', locale);
    }
    // Tampered: the conclusion shown is the verification's (failed), the failed item is marked failed with its reason in
    // the page's language, and nothing the altered report claims is shown as if it held (issue 20).
    for (const locale of ['zh-CN', 'en'] as const) {
      await open(page, '/evidence', locale, 'phone');
      await page.locator('#f-package').setInputFiles(tampered);
      await page.getByRole('button', { name: MESSAGES[locale]['evidence-viewer.check'] }).click();
      const result = page.locator('[data-testid="evidence-result"][data-valid="false"]');
      await result.waitFor();
      await page.getByText(MESSAGES[locale]['evidence-viewer.invalid']).waitFor();
      const altered = { 'zh-CN': '证据包在签署后被改动过', en: 'The package was altered after it was signed' }[locale];
      expect(await page.locator('[data-testid="evidence-verdict"]').textContent()).toContain(altered);
      const failed = page.locator('[data-verification="package-signature"][data-ok="false"]');
      expect(await failed.textContent()).toContain(altered);
      expect(await failed.textContent()).toContain(MESSAGES[locale]['evidence-viewer.failed']);
      const text = (await result.textContent())!;
      expect(text).not.toContain(produced.manifest.conclusion[locale]!);
      expect(await page.locator('[data-check]').count()).toBe(0);
      // The reason is not only in the technical detail: it is visible without opening anything.
      expect(await failed.isVisible()).toBe(true);
      await both(page, 'evidence-tampered', locale);
    }

    // The subscriber's certificate on its own page (issue 20): status and reason in words, the three downloads offered.
    for (const locale of ['zh-CN', 'en'] as const) {
      await open(page, `/portal/certificates/${serial}`, locale, 'phone');
      await page.locator('[data-testid="status-result"][data-status="revoked"]').waitFor();
      expect(await page.locator('[data-testid="certificate-detail"]').textContent()).toContain(MESSAGES[locale]['reason.keyCompromise']);
      expect(await page.locator('[data-testid="status-result"] a[download]').count()).toBe(3);
      await both(page, 'certificate', locale);
    }
    await page.close();
  });
});
