import type { FastifyInstance } from 'fastify';
import type { Signet } from '../signet.js';
import { formatShanghaiTime, localeFrom, type Locale } from '../i18n/locale.js';
import { caNameIn } from '../ca/hierarchy-names.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const TEXT = {
  'zh-CN': {
    title: 'Signet 证书认证中心',
    hierarchy: 'CA 层级',
    id: '标识',
    role: '角色',
    name: '名称',
    algorithm: '算法',
    expires: '有效期至（北京时间）',
    certificate: '证书',
    api: '接口文档',
    cps: '电子认证业务规则（CPS）',
    root: '根 CA',
    issuing: '签发 CA',
    other: 'English',
  },
  en: {
    title: 'Signet Certificate Authority',
    hierarchy: 'CA hierarchy',
    id: 'Id',
    role: 'Role',
    name: 'Name',
    algorithm: 'Algorithm',
    expires: 'Valid until (Beijing time)',
    certificate: 'Certificate',
    api: 'API documentation',
    cps: 'Certification Practice Statement (CPS)',
    root: 'Root CA',
    issuing: 'Issuing CA',
    other: '中文',
  },
} as const;

/**
 * The CA hierarchy, server-rendered in both languages: the whole front page
 * without the web application, and what the web application shows to
 * clients without JavaScript (src/http/web-routes.ts).
 */
export async function serverRenderedHome(signet: Signet, locale: Locale): Promise<{ title: string; body: string }> {
  const t = TEXT[locale];
  const rows = (await signet.ca.authorities())
    .map(
      (a) =>
        `<tr><td><code>${escapeHtml(a.id)}</code></td><td>${t[a.role]}</td><td>${escapeHtml(caNameIn(a, locale))}</td>` +
        `<td>${escapeHtml(a.keyAlgorithm)}</td><td>${escapeHtml(formatShanghaiTime(a.notAfter))}</td>` +
        `<td><a href="/ca/${encodeURIComponent(a.id)}.crt">DER</a> · <a href="/ca/${encodeURIComponent(a.id)}.pem">PEM</a></td></tr>`,
    )
    .join('');
  const body = `<p style="text-align:right"><a href="/?lang=${locale === 'en' ? 'zh-CN' : 'en'}">${t.other}</a></p>
<h1>${t.title}</h1><h2>${t.hierarchy}</h2>
<table><thead><tr><th>${t.id}</th><th>${t.role}</th><th>${t.name}</th><th>${t.algorithm}</th><th>${t.expires}</th><th>${t.certificate}</th></tr></thead>
<tbody>${rows}</tbody></table>
<p><a href="/api/docs">${t.api}</a> · <a href="/cps">${t.cps}</a></p>`;
  return { title: t.title, body };
}

/** The public front page while the web application (issue 7) is not built: server-rendered, both languages. */
export async function homePage(app: FastifyInstance, signet: Signet): Promise<void> {
  // The web application (web-routes.ts) serves `/` once it is built; this page is its stand-in otherwise.
  if (!app.hasRoute({ method: 'GET', url: '/' })) {
    app.get<{ Querystring: { lang?: string } }>('/', { schema: { hide: true } }, async (request, reply) => {
      const locale = request.query.lang ? localeFrom(request.query.lang) : localeFrom(request.headers['accept-language']);
      const { title, body } = await serverRenderedHome(signet, locale);
      const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:960px;padding:0 1rem;color:#1f2937}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:.5rem;text-align:left}
@media(max-width:600px){td:nth-child(4),th:nth-child(4){display:none}}</style></head>
<body>${body}</body></html>`;
      return reply.type('text/html; charset=utf-8').send(html);
    });
  }

  // GET /cps (the CPS URI in every certificate, R11) is served by src/http/agreement-routes.ts from the published CPS.
}
