/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object keys sorted by code
 * unit, no whitespace. The hash chain hashes these bytes, so two
 * implementations that agree on the entry agree on its hash.
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof CanonicalText) return value.json;
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite numbers have no JSON form');
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A value already in canonical form (canonicalJson's own output), placed as it is: what is stored is what was hashed. */
export class CanonicalText {
  constructor(readonly json: string) {}
}
