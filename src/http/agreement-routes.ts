import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bilingual, DocumentKind } from '../agreement/publication.js';
import { formatShanghaiTime, localeFrom, type Locale } from '../i18n/locale.js';
import type { Signet } from '../signet.js';
import { narrowToRa, raOfSubscriber } from './access.js';
import { object, registerOperatorRoutes, type OperatorRoute } from './service-routes.js';

const str = { type: 'string', maxLength: 256 } as const;
const bilingual = (limit: number) => object({ 'zh-CN': { type: 'string', maxLength: limit }, en: { type: 'string', maxLength: limit } }, ['zh-CN', 'en']);

function date(value: unknown): Date | undefined {
  return typeof value === 'string' && value ? new Date(value) : undefined;
}

/** Publishing is the CA administrator's; objections are recorded by the staff who received the letter. */
export const PUBLICATION_ROUTES: readonly OperatorRoute[] = [
  {
    method: 'POST',
    url: '/api/v1/publication/agreements', scope: 'ca',
    tag: 'agreement',
    roles: ['ca-admin'],
    status: 201,
    summary: 'Publish an agreement version in zh-CN and en; every subscriber using a certificate is notified (R19)',
    body: object({ id: str, title: bilingual(256), text: bilingual(500_000), effectiveAt: str }, ['id', 'title', 'text']),
    handle: ({ signet, actor, body }) =>
      signet.publication.publishAgreement(actor, { id: String(body.id), title: body.title as Bilingual, text: body.text as Bilingual, effectiveAt: date(body.effectiveAt) }),
  },
  {
    method: 'POST',
    url: '/api/v1/publication/documents', scope: 'ca',
    tag: 'agreement',
    roles: ['ca-admin'],
    status: 201,
    summary: 'Publish the CPS or a notice (R11)',
    body: object({ kind: str, version: str, title: bilingual(256), text: bilingual(2_000_000), effectiveAt: str }, ['kind', 'version', 'title', 'text']),
    handle: ({ signet, actor, body }) =>
      signet.publication.publishDocument(actor, { kind: String(body.kind), version: String(body.version), title: body.title as Bilingual, text: body.text as Bilingual, effectiveAt: date(body.effectiveAt) }),
  },
  {
    method: 'POST',
    url: '/api/v1/publication/deemed-acceptance', scope: 'ca',
    tag: 'agreement',
    roles: ['ca-admin'],
    summary: 'Run the deemed-acceptance job now (R19)',
    handle: ({ signet }) => signet.publication.recordDeemedAcceptances(),
  },
  {
    method: 'POST',
    url: '/api/v1/publication/objections', scope: (signet, { body }) => raOfSubscriber(signet, body.subscriberId),
    tag: 'agreement',
    roles: ['ca-admin', 'ra-admin', 'ra-officer'],
    status: 201,
    summary: "Record a subscriber's written objection within the month; their certificates are revoked (cessationOfOperation)",
    body: object({ versionId: str, subscriberId: str, receivedAt: str, writtenReference: str, statement: { type: 'string', maxLength: 10_000 } }, ['versionId', 'subscriberId', 'writtenReference', 'statement']),
    handle: ({ signet, actor, body }) =>
      signet.publication.object(actor, {
        versionId: String(body.versionId),
        subscriberId: String(body.subscriberId),
        receivedAt: date(body.receivedAt),
        writtenReference: String(body.writtenReference),
        statement: String(body.statement),
      }),
  },
  {
    method: 'GET',
    url: '/api/v1/publication/objections', scope: 'none',
    tag: 'agreement',
    roles: ['ca-admin', 'ra-admin', 'ra-officer', 'auditor'],
    summary: 'Objections kept',
    handle: async ({ signet, by, query }) =>
      narrowToRa(signet, by, await signet.publication.objections({ versionId: query.versionId, subscriberId: query.subscriberId }), (o) => ({ subscriberId: o.subscriberId })),
  },
];

const LABEL = {
  'zh-CN': { agreement: '订户协议', cps: '电子认证业务规则（CPS）', notice: '公告', published: '发布时间', effective: '生效时间', other: 'English', none: '尚未发布' },
  en: { agreement: 'Subscriber agreement', cps: 'Certification Practice Statement (CPS)', notice: 'Notice', published: 'Published', effective: 'Effective', other: '中文', none: 'Not published yet' },
} as const;

interface Shown {
  kind: 'agreement' | DocumentKind;
  version: string;
  title: Bilingual;
  text: Bilingual;
  sha256: string;
  publishedAt: string;
  effectiveAt: string;
}

function wantsJson(request: FastifyRequest<{ Querystring: { format?: string } }>): boolean {
  return request.query.format === 'json' || /application\/json/.test(request.headers.accept ?? '');
}

function localeOf(request: FastifyRequest<{ Querystring: { lang?: string } }>): Locale {
  return request.query.lang ? localeFrom(request.query.lang) : localeFrom(request.headers['accept-language']);
}

/** A published text as people read it: plain UTF-8, in their language, dates in Beijing time; JSON for machines. */
function render(request: FastifyRequest<{ Querystring: { format?: string; lang?: string } }>, reply: FastifyReply, shown: Shown): FastifyReply {
  // Published versions never change: caches may keep them.
  reply.header('cache-control', 'public, max-age=3600');
  if (wantsJson(request)) return reply.send(shown);
  const locale = localeOf(request);
  const t = LABEL[locale];
  const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
  const body = [
    `${t[shown.kind]} · ${shown.title[locale]} (${shown.version})`,
    `${t.published}: ${formatShanghaiTime(shown.publishedAt)} · ${t.effective}: ${formatShanghaiTime(shown.effectiveAt)} · SHA-256 ${shown.sha256}`,
    `${t.other}: ?lang=${other}`,
    '',
    shown.text[locale],
  ].join('\n');
  return reply.type('text/plain; charset=utf-8').send(`${body}\n`);
}

type PublicRequest = FastifyRequest<{ Params: { version?: string }; Querystring: { format?: string; lang?: string } }>;

/** R11: the agreement versions, the CPS and notices at stable public URLs; the operator routes that publish them. */
export async function agreementRoutes(app: FastifyInstance, signet: Signet): Promise<void> {
  const hidden = { schema: { tags: ['agreement'] } };
  app.get('/agreements', hidden, async () => signet.ra.agreements.versions());
  app.get('/agreements/:version', hidden, async (request: PublicRequest, reply) => {
    const v = await signet.ra.agreements.version(request.params.version!);
    return render(request, reply, {
      kind: 'agreement',
      version: v.id,
      title: { 'zh-CN': v.title, en: v.titleEn ?? v.title },
      // Versions published before English texts existed show their Chinese text in both.
      text: { 'zh-CN': v.text, en: v.textEn ?? v.text },
      sha256: v.textSha256,
      publishedAt: v.publishedAt,
      effectiveAt: v.effectiveAt ?? v.publishedAt,
    });
  });
  for (const [kind, base] of [
    ['cps', '/cps'],
    ['notice', '/notices'],
  ] as const) {
    app.get(`${base}/:version`, hidden, async (request: PublicRequest, reply) => {
      const d = await signet.publication.document(kind, request.params.version!);
      return render(request, reply, { kind, version: d.version, title: d.title, text: d.text, sha256: d.textSha256, publishedAt: d.publishedAt, effectiveAt: d.effectiveAt });
    });
  }
  app.get('/notices', hidden, async () => signet.publication.documents('notice'));
  // The CPS URI written into every certificate (R11): the CPS in force; until one is published, the policy OIDs.
  app.get('/cps', hidden, async (request: PublicRequest, reply) => {
    const current = await signet.publication.current('cps');
    if (current) {
      return render(request, reply, { kind: 'cps', version: current.version, title: current.title, text: current.text, sha256: current.textSha256, publishedAt: current.publishedAt, effectiveAt: current.effectiveAt });
    }
    return reply
      .type('text/plain; charset=utf-8')
      .send(
        `Signet 电子认证业务规则 / Certification Practice Statement\n\n` +
          `证书策略 OID / Certificate policy OID arc: ${signet.config.policyOid}\n` +
          `个人签名 1.1 · 个人加密 1.2 · 企业签名 2.1 · 企业加密 2.2 · TLS 服务器 3.1 · TLS 客户端 3.2\n`,
      );
  });
  await registerOperatorRoutes(app, signet, PUBLICATION_ROUTES);
}
