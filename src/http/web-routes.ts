import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { localeFrom } from '../i18n/locale.js';
import type { Signet } from '../signet.js';
import { serverRenderedHome } from './home-page.js';

/** Where `vite build web` puts the web application (the same path from src/http and from dist/http). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths the web application routes in the browser: each answers with the app's page. */
export const CLIENT_ROUTES = ['/status', '/repository', '/repository/*', '/agreement', '/agreement/*', '/evidence', '/fees', '/contact', '/portal', '/portal/*', '/console', '/console/*'] as const;

/**
 * Scripts only from this origin, no framing, no plugins. Inline styles are
 * allowed for the charts (recharts sets style attributes); inline scripts
 * are not: a script injected into a page cannot run, so it cannot reach the
 * subscriber's key in this browser.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function page(reply: FastifyReply, html: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .send(html);
}

/**
 * The web application (issue 7), built into web/dist, served by this same
 * process: hashed assets cached for ever, the page itself for every client
 * route. Without a build the server-rendered front page (home-page.ts)
 * stays at `/`.
 */
export async function webRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  const indexPath = `${WEB_DIST}index.html`;
  if (!existsSync(indexPath)) {
    app.log.warn({ path: indexPath }, 'web application not built (npm run build): serving the server-rendered front page only');
    return;
  }
  const index = readFileSync(indexPath, 'utf8');

  await app.register(fastifyStatic, {
    root: `${WEB_DIST}assets`,
    prefix: '/assets/',
    decorateReply: false,
    // Vite names every asset by its content hash: a changed file is a new URL.
    immutable: true,
    maxAge: '365d',
    index: false,
  });

  const hide = { schema: { hide: true } };
  for (const url of CLIENT_ROUTES) app.get(url, hide, async (_request, reply) => page(reply, index));

  // The front page also carries the CA hierarchy in plain HTML, for readers and tools without JavaScript.
  app.get<{ Querystring: { lang?: string } }>('/', hide, async (request, reply) => {
    const locale = request.query.lang ? localeFrom(request.query.lang) : 'zh-CN';
    const { body } = await serverRenderedHome(signet, locale);
    return page(reply, index.replace(/<noscript>[\s\S]*?<\/noscript>/, `<noscript>${body}</noscript>`));
  });
}
