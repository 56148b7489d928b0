import { describe, expect, it } from 'vitest';
import { decoyHash, hashSecret, verifySecret } from './secrets.js';

describe('stored secrets', () => {
  it('checks a secret against its scrypt hash (RFC 7914)', async () => {
    const stored = await hashSecret('correct horse', 10);
    expect(await verifySecret('correct horse', stored)).toBe(true);
    expect(await verifySecret('correct hors', stored)).toBe(false);
  });

  it('has a decoy hash at the cost of a real one, which nothing matches (an unknown account costs the same time)', async () => {
    const decoy = await decoyHash();
    const real = await hashSecret('anything');
    // Same scheme and cost parameters, so verifySecret derives with the same N, r and p as for a real account.
    expect(decoy.split('$').slice(0, 4)).toEqual(real.split('$').slice(0, 4));
    expect(Buffer.from(decoy.split('$')[5]!, 'base64')).toHaveLength(Buffer.from(real.split('$')[5]!, 'base64').length);
    for (const guess of ['', 'anything', 'password', '000000']) expect(await verifySecret(guess, decoy)).toBe(false);
    // The same value every time, kept nowhere (no module-level state).
    expect(await decoyHash()).toBe(decoy);
  });
});
