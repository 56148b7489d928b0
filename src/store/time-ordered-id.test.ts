import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './time-ordered-id.js';

describe('time-ordered ids (RFC 9562 §5.7, UUID version 7)', () => {
  it('carries the millisecond timestamp first, then version 7 and the RFC variant', () => {
    const at = Date.UTC(2026, 11, 1, 9, 30, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by creation time across milliseconds, so new rows go to the end of an index', () => {
    const ids = [0, 1, 2, 1000, 86_400_000].map((offset) => timeOrderedId(Date.UTC(2026, 0, 1) + offset));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs within the same millisecond (74 random bits)', () => {
    const at = Date.now();
    const ids = new Set(Array.from({ length: 1000 }, () => timeOrderedId(at)));
    expect(ids.size).toBe(1000);
  });
});
