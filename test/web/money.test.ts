import { describe, expect, it } from 'vitest';
import { beijingInstant, yuanToFen } from '../../web/src/admin/money.js';

describe('what the console sends for amounts and times an operator types (R9, R12, R19)', () => {
  it.each([
    ['120', '12000'],
    ['120.5', '12050'],
    ['¥1,280.50', '128050'],
    [' 0.01 ', '1'],
    ['0', '0'],
    // Past what a double holds exactly: still exact, because no floating point is involved.
    ['9999999999999.99', '999999999999999'],
  ])('turns ¥ %s into %s fen exactly', (typed, fen) => {
    expect(yuanToFen(typed)).toBe(fen);
  });

  it.each(['12.345', '-5', '1,28.00', '1.2.3', '', '¥', '12,0000', 'abc'])('refuses %j as an amount', (typed) => {
    expect(yuanToFen(typed)).toBeNull();
  });

  it('reads a date and time as Beijing time whatever the browser’s zone', () => {
    expect(beijingInstant('2026-12-01T09:30')).toBe('2026-12-01T01:30:00.000Z');
    expect(beijingInstant('2027-01-01T00:00')).toBe('2026-12-31T16:00:00.000Z');
    expect(beijingInstant('')).toBeUndefined();
    expect(beijingInstant('2026-13-01T00:00')).toBeUndefined();
  });
});
