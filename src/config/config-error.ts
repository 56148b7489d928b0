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

/**
 * A whole number from the environment in [min, max], digits only; unset or blank gives `fallback`. Anything else
 * stops the start with config.whole-number-range.
 */
export function wholeNumberFrom(env: NodeJS.ProcessEnv, variable: string, range: { min: number; max: number; fallback: number }): number {
  const text = env[variable]?.trim();
  if (!text) return range.fallback;
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) throw configError('config.whole-number-range', { variable, value: text, min: range.min, max: range.max });
  return value;
}
