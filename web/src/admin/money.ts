/** Amounts and instants as operators type them, turned into what the server stores. No imports: the root type check and the tests read this file too. */

/**
 * Yuan as typed (¥1,234.50, 1234.5) to integer fen, exactly: money never
 * goes through a floating-point number. Null when it is not an amount.
 */
export function yuanToFen(text: string): string | null {
  const m = /^\s*¥?\s*(\d{1,3}(?:,\d{3})+|\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const whole = m[1]!.replace(/,/g, '');
  const cents = (m[2] ?? '').padEnd(2, '0');
  return (BigInt(whole) * 100n + BigInt(cents)).toString();
}

/** A `datetime-local` value read as Beijing time (UTC+8), whatever the browser's zone. */
export function beijingInstant(local: string): string | undefined {
  if (!local) return undefined;
  const withSeconds = local.length === 16 ? `${local}:00` : local;
  const at = new Date(`${withSeconds}+08:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
