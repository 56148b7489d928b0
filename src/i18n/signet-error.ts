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

  /** Further faults found in the same input (a form's other fields), so one round trip names them all. */
  also: readonly SignetError[] = [];

  messageIn(locale: Locale): string {
    return translate(this.code, locale, this.params);
  }

  /** The first fault, carrying the others: one answer for every field at fault. */
  static all(errors: readonly SignetError[]): SignetError {
    const [first, ...rest] = errors;
    if (!first) throw new Error('SignetError.all needs at least one error');
    first.also = rest;
    return first;
  }
}

/**
 * Runs each field's check and keeps going past a refusal, so that every field
 * at fault is reported together (R1: the form shows each beside its field).
 */
export class FieldChecks {
  private readonly faults: SignetError[] = [];

  check<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof SignetError)) throw error;
      this.faults.push(error);
      return undefined;
    }
  }

  /** Throws every fault found, the first carrying the others. */
  done(): void {
    if (this.faults.length > 0) throw SignetError.all(this.faults);
  }
}
