/**
 * Test support for the web application: Debian's Chromium driven by
 * playwright-core, a fresh profile per launch, and screenshots into
 * test-output/screenshots (gitignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { buildServer } from '../../src/http/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(REPOSITORY, 'test-output', 'screenshots');

export const VIEWPORTS = {
  phone: { width: 360, height: 740 },
  desktop: { width: 1280, height: 860 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** The app must be built (npm ci runs the build); a test run from a fresh checkout builds it once. */
export function ensureWebBuilt(): void {
  if (existsSync(join(REPOSITORY, 'web', 'dist', 'index.html'))) return;
  const result = spawnSync('npx', ['vite', 'build', 'web'], { cwd: REPOSITORY, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`vite build web failed: ${result.stderr}${result.stdout}`);
}

/** Newest modification time under a folder, in ms. */
function newest(folder: string): number {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Tests that run `npm start` as README says need the compiled server (npm ci
 * builds it); a checkout whose dist/ is missing or older than src/ builds it.
 */
export function ensureBuilt(): void {
  const entry = join(REPOSITORY, 'dist', 'cli', 'entry.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest(join(REPOSITORY, 'src'))) return;
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPOSITORY, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed: ${result.stderr}${result.stdout}`);
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with its own fresh profile: its own cookies, IndexedDB and key store. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-test-tools.sh`);
  const profile = mkdtempSync(join(tmpdir(), 'signet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: VIEWPORTS.desktop,
    locale: 'zh-CN',
    timezoneId: 'Europe/London',
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Nothing on the page is wider than the viewport: no sideways scrolling on a phone. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
}

/**
 * A JSON call to the server under test, as the set-up of a browser test makes it: bearer
 * token, body as JSON, anything but a 2xx fails the test with the method, path and answer.
 * `base` is read at each call (the server's port is known only once it listens).
 */
export function apiCaller(base: () => string, defaultToken: string) {
  return async (method: string, path: string, body?: unknown, token = defaultToken): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    expect(response.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
    return json;
  };
}

/** A Signet the browser tests open first: SQLite, a development hierarchy, the built web app served on a free port. */
export interface ServedSignet {
  t: TestSignet;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  base: string;
}

export async function serveSignet(options: { env?: Record<string, string> } = {}): Promise<ServedSignet> {
  ensureWebBuilt();
  const t = await openTestSignet('sqlite', options);
  await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  const app = await buildServer(t.signet, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { t, app, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/**
 * An officer reviews and approves an application (a second pair of eyes is not asked for here), and the
 * subscriber downloads the certificate with the credential handed out (R4, R5): the certificate's serial.
 */
export async function approveAndDownload(base: string, call: ReturnType<typeof apiCaller>, applicationId: string, officerToken: string, csrPem: string): Promise<string> {
  await call('POST', `/api/v1/ra/applications/${applicationId}/review`, {}, officerToken);
  const approval = await call('POST', `/api/v1/ra/applications/${applicationId}/approve`, {}, officerToken);
  const credential = approval.credential as { referenceNumber: string; authorizationCode: string };
  const download = await fetch(`${base}/api/v1/ra/downloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ referenceNumber: credential.referenceNumber, authorizationCode: credential.authorizationCode, csr: csrPem }),
  });
  expect(download.status).toBe(201);
  return String(((await download.json()) as { serial: string }).serial);
}
