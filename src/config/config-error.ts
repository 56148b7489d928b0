import { SignetError } from '../i18n/signet-error.js';
import type { MessageCode } from '../i18n/messages.js';

/** Longest part of a refused value a start-up error repeats: enough to recognise it, never a pasted file. */
const SHOWN = 80;

/** The refused value as a start-up error shows it: quoted (so an empty or spaced value is visible), control characters escaped, long ones cut. */
export function shownValue(value: string | undefined): string {
  const text = value ?? '';
  const chars = [...text];
  return JSON.stringify(chars.length > SHOWN ? `${chars.slice(0, SHOWN).join('')}…` : text);
}

/**
 * A malformed environment variable: it stops the start, and the CLI prints it
 * in the operator's language (src/cli/main.ts). `value`, when given, is shown
 * quoted and cut (shownValue).
 */
export function configError(code: MessageCode, params: { variable: string; value?: string | undefined } & Record<string, unknown>): SignetError {
  return new SignetError(code, 400, 'value' in params ? { ...params, value: shownValue(params.value) } : params);
}
