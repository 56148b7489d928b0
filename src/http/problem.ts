import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { localeFrom, type Locale } from '../i18n/locale.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';

/** RFC 9457 problem details, in the reader's language, with both languages attached. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: MessageCode;
  field?: string;
  messages: Record<Locale, string>;
  /** Every field at fault when the input had more than one (the first is also the problem itself). */
  errors?: { code: MessageCode; field?: string; detail: string; messages: Record<Locale, string> }[];
}

export function problemFor(error: SignetError, locale: Locale): Problem {
  return {
    type: `https://signet.dev/problems/${error.code}`,
    title: error.code,
    status: error.status,
    detail: error.messageIn(locale),
    code: error.code,
    ...(error.field ? { field: error.field } : {}),
    messages: { 'zh-CN': error.messageIn('zh-CN'), en: error.messageIn('en') },
    ...(error.also.length > 0
      ? {
          errors: [error, ...error.also].map((each) => ({
            code: each.code,
            ...(each.field ? { field: each.field } : {}),
            detail: each.messageIn(locale),
            messages: { 'zh-CN': each.messageIn('zh-CN'), en: each.messageIn('en') },
          })),
        }
      : {}),
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: SignetError): FastifyReply {
  return reply
    .code(error.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(problemFor(error, localeFrom(request.headers['accept-language'])));
}

/** Maps what Fastify itself refuses (size, media type, schema) onto our typed errors. */
export function toSignetError(error: unknown, request: FastifyRequest): SignetError {
  if (error instanceof SignetError) return error;
  const e = error as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new SignetError('request.body-too-large', 413, { limit: request.routeOptions.bodyLimit ?? '?' });
  }
  if (e.validation || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
    return new SignetError('request.invalid', e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 415 : (e.statusCode ?? 400), {
      detail: e.message ?? 'bad request',
    });
  }
  return new SignetError('server.internal', 500, { reference: randomUUID() });
}

export { translate };
