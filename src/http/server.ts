import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Signet } from '../signet.js';
import { SignetError } from '../i18n/signet-error.js';
import { caRoutes } from './ca-routes.js';
import { ocspCacheMetrics } from '../status/ocsp-response-cache.js';
import { ocspStoreMetrics } from '../status/ocsp-responder.js';
import { certificateRoutes } from './certificate-routes.js';
import { statusRoutes } from './status-routes.js';
import { homePage } from './home-page.js';
import { ServerMetrics } from './metrics.js';
import { calendar, calendarMetrics, clockHealth, clockMetrics } from '../lifetimes.js';
import { requireOperator } from './operator-auth.js';
import { sendProblem, toSignetError } from './problem.js';
import { tsaRoutes } from './tsa-routes.js';
import { evidenceRoutes } from './evidence-routes.js';
import { raRoutes } from './ra-routes.js';
import { portalRoutes } from './portal-routes.js';
import { serviceRoutes } from './service-routes.js';
import { agreementRoutes } from './agreement-routes.js';
import { disputeRoutes } from './dispute-routes.js';
import { inventoryRoutes } from './inventory-routes.js';
import { webRoutes } from './web-routes.js';
import { dualCertificateRoutes, kmcRoutes } from './kmc-routes.js';
import { estRoutes } from './est-routes.js';
import { cmpRoutes } from './cmp-routes.js';
import { scepRoutes } from './scep-routes.js';
import { toPem } from './der.js';
import { acmeRoutes } from './acme-routes.js';
import { rateLimitsFrom, registerRateLimits, type RateLimitSettings } from './rate-limits.js';
import { trustedProxiesFrom } from './proxies.js';
import { configError } from '../config/config-error.js';

/** Scripts only from this origin; inline styles are allowed for the server-rendered pages and the API docs. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface ServerOptions {
  /** pino options, or false for silence in tests. */
  logger?: boolean | { level: string };
  /** Rate limits on the public doors (rate-limits.ts); default from SIGNET_RATE_LIMITS. */
  rateLimits?: RateLimitSettings | false;
  /** TLS on the listener; default from SIGNET_TLS_CERT_FILE and SIGNET_TLS_KEY_FILE (tlsFrom). */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Reverse proxies whose X-Forwarded-For is believed; default from SIGNET_TRUSTED_PROXIES (proxies.ts), else none. */
  trustedProxies?: string[] | false;
  /** What /metrics counts (metrics.ts); default this server's own, without the process's runtime figures. */
  metrics?: ServerMetrics;
}

/**
 * TLS on the listener (issue 16 §7): the certificate chain and key from PEM
 * files, both or neither. A half-given pair, or a file that cannot be read,
 * stops the start rather than serving plain HTTP.
 */
export function tlsFrom(env: NodeJS.ProcessEnv): { cert: Buffer; key: Buffer } | null {
  const certFile = env.SIGNET_TLS_CERT_FILE?.trim();
  const keyFile = env.SIGNET_TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) throw configError('http.config.tls-half-pair', { variable: certFile ? 'SIGNET_TLS_CERT_FILE' : 'SIGNET_TLS_KEY_FILE', other: certFile ? 'SIGNET_TLS_KEY_FILE' : 'SIGNET_TLS_CERT_FILE', value: certFile || keyFile });
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** The HTTP edge: thin routes over the domains, problems rendered in the reader's language. */
export async function buildServer(signet: Signet, options: ServerOptions = {}): Promise<FastifyInstance> {
  const tls = options.tls === undefined ? tlsFrom(process.env) : options.tls;
  // EST re-enrolment authenticates with a certificate this CA issued (RFC 7030 §3.3.2): the listener asks for one
  // naming Signet's CAs, and never insists; the EST door checks what was presented (src/est/est-server.ts).
  const clientCas = tls ? (await signet.ca.authorities()).map((a) => toPem('CERTIFICATE', a.certificateDer)) : [];
  const app = Fastify({
    ...(tls
      ? { https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' as const, ...(clientCas.length > 0 ? { requestCert: true, rejectUnauthorized: false, ca: clientCas } : {}) } }
      : {}),
    logger: options.logger ?? { level: signet.config.logLevel },
    // request.ip is the connection's address unless it is a configured proxy (issue 16 §3).
    trustProxy: options.trustedProxies ?? trustedProxiesFrom(process.env),
    bodyLimit: signet.config.bodyLimit,
    // An unknown field is a client error to report, not something to drop silently.
    // No coercion (issue 16): `name: 12` or `"true"` for a boolean is refused, not converted.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });

  // DER request bodies (PKCS#10 now; OCSP and time-stamp queries later) arrive as bytes.
  for (const type of ['application/pkcs10', 'application/octet-stream']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Signet API',
        version: '1',
        description: 'Certificate authority: hierarchy, issuance, certificates. Errors are RFC 9457 problems in zh-CN or en.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  // Before any route: the limits attach to the routes they cover as those are added (issue 16 §3).
  await registerRateLimits(app, options.rateLimits ?? rateLimitsFrom(process.env), signet.ra.requestCounts);

  // Issue 16 §7: every response says not to sniff or frame it; pages get a CSP; API answers, which carry tracking
  // codes, authorization codes, tokens and personal data, are not stored by caches unless a route says otherwise.
  // Both hooks run on every request, OCSP's included: callback style, not async, so they add no promise and no
  // microtask turn to each answer (issue 22).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    // Only over TLS (RFC 6797 §7.2: a host must not send it over plain HTTP).
    if (tls) reply.header('strict-transport-security', 'max-age=31536000');
    if (!reply.hasHeader('cache-control') && request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  // One value per query parameter (issue 16): `?lang=a&lang=b` is refused here rather than reaching a handler as an array.
  app.addHook('onRequest', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(query ?? {})) {
      if (Array.isArray(value)) return done(new SignetError('request.repeated-parameter', 400, { name: name.slice(0, 64) }, name.slice(0, 64)));
    }
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const signetError = toSignetError(error, request);
    if (signetError.status >= 500) request.log.error({ err: error, reference: signetError.params.reference }, 'request failed');
    return sendProblem(request, reply, signetError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new SignetError('route.not-found', 404, { path: request.url.split('?')[0] })),
  );

  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness and readiness' } }, async () => {
    const authorities = await signet.ca.authorities();
    // Expiries, next rollovers and the warnings an operator must act on (docs/operations.md); warnings do not fail liveness.
    const { identities, root, warnings } = await calendar(signet);
    // The node/database clock skew and whether the TSA would stamp now (docs/operations.md, clocks).
    const clock = await clockHealth(signet);
    // Which runtime and OpenSSL answer (issue 18: the project brings Node 24; an operator can see it did).
    const runtime = { node: process.version, openssl: process.versions.openssl };
    return { status: 'ok', database: signet.store.dialect, authorities: authorities.length, identities, root, warnings, clock, runtime };
  });
  // Metrics say how busy the CA is and what it issues: for the operator's Prometheus, with a bearer token
  // (SIGNET_METRICS_TOKEN, else the admin token), not for everyone (issue 16 §7).
  const metrics = options.metrics ?? new ServerMetrics();
  const metricsAuth = requireOperator(() => process.env.SIGNET_METRICS_TOKEN || signet.config.adminToken());
  app.get('/metrics', { schema: { hide: true }, onRequest: metricsAuth }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send((await metrics.registry.metrics()) + calendarMetrics(await calendar(signet)) + clockMetrics(await clockHealth(signet)) + ocspCacheMetrics(signet.status.ocsp.cacheStats()) + ocspStoreMetrics(signet.status.ocsp.storeStats())),
  );
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Each domain's routes; a domain adds its line here and nothing else.
  await caRoutes(app, signet);
  await certificateRoutes(app, signet, metrics);
  await statusRoutes(app, signet);
  await tsaRoutes(app, signet);
  await evidenceRoutes(app, signet);
  await raRoutes(app, signet);
  await portalRoutes(app, signet);
  await serviceRoutes(app, signet);
  await agreementRoutes(app, signet);
  await disputeRoutes(app, signet);
  await inventoryRoutes(app, signet);
  await kmcRoutes(app, signet.kmc);
  await dualCertificateRoutes(app, signet);
  await estRoutes(app, signet);
  await acmeRoutes(app, signet);
  await cmpRoutes(app, signet);
  await scepRoutes(app, signet);
  // The web application takes `/` when it is built; the server-rendered front page otherwise.
  await webRoutes(app, signet);
  await homePage(app, signet);
  return app;
}
