import { randomBytes } from 'node:crypto';

const POOL_BYTES = 16 * 256;

/**
 * Serial numbers of certificates and time-stamp tokens: 17 octets, the
 * deployment's prefix octet (0x10–0x7f, so the INTEGER is positive and
 * minimal) and 128 bits from the CSPRNG. The random bits are drawn 4 KiB at a
 * time and each 16 of them used once: one call into the CSPRNG per 256
 * serials instead of one per serial. Uniqueness is still the primary key's,
 * never chance's.
 */
export class SerialSource {
  private pool = Buffer.alloc(0);
  private next = 0;

  constructor(private readonly prefix: number) {
    if (!Number.isInteger(prefix) || prefix < 0x10 || prefix > 0x7f) throw new Error('serial prefix must be between 0x10 and 0x7f');
  }

  serial(): Buffer {
    if (this.next + 16 > this.pool.length) {
      this.pool = randomBytes(POOL_BYTES);
      this.next = 0;
    }
    const serial = Buffer.allocUnsafe(17);
    serial[0] = this.prefix;
    this.pool.copy(serial, 1, this.next, this.next + 16);
    // Used bits are wiped: a later leak of the pool cannot reveal past serials' randomness.
    this.pool.fill(0, this.next, this.next + 16);
    this.next += 16;
    return serial;
  }
}
