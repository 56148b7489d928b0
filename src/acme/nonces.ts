import { randomBytes } from 'node:crypto';
import type { AcmeDb } from './migrations.js';

/**
 * Replay nonces (RFC 8555 §6.5) in the store: any process of a deployment
 * accepts a nonce another gave out, and a nonce is taken once only, by
 * whichever request deletes its row first.
 */
export class NonceStore {
  constructor(
    private readonly db: () => AcmeDb,
    private readonly clock: () => Date,
    private readonly lifetimeMs = 3_600_000,
  ) {}

  async issue(): Promise<string> {
    const value = randomBytes(16).toString('base64url');
    const now = this.clock();
    await this.db().insertInto('acme_nonces').values({ value, expires_at: new Date(now.getTime() + this.lifetimeMs).toISOString() }).execute();
    return value;
  }

  /** True when the nonce was given out, not yet used and not expired; it is used up either way. */
  async consume(value: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return false;
    const row = await this.db().deleteFrom('acme_nonces').where('value', '=', value).returning('expires_at').executeTakeFirst();
    return !!row && row.expires_at > this.clock().toISOString();
  }

  /** Forgets expired nonces; run now and then (cheap: an indexed range). */
  async prune(): Promise<number> {
    const result = await this.db().deleteFrom('acme_nonces').where('expires_at', '<=', this.clock().toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
