import type { Locale } from './locale.js';
import { translate, type MessageCode } from './messages.js';

/**
 * A typed domain error: it knows its HTTP status where it arises (as step-ca's
 * errors do) and speaks both languages; the edges (HTTP, CLI) only render it.
 */
export class SignetError extends Error {
  constructor(
    readonly code: MessageCode,
    readonly status: number,
    readonly params: Record<string, unknown> = {},
    /** The input field at fault, so a form can show the error beside it. */
    readonly field?: string,
  ) {
    super(translate(code, 'en', params));
    this.name = 'SignetError';
  }

  messageIn(locale: Locale): string {
    return translate(this.code, locale, this.params);
  }
}
