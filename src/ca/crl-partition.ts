import { configError } from '../config/config-error.js';

/**
 * Partitioned CRLs (RFC 5280 §5.2.5, issue 22): which CRL partition a
 * certificate is on. The CA writes the partition's URL into the certificate's
 * cRLDistributionPoints; the status domain publishes one CRL per partition
 * with that URL in its issuingDistributionPoint.
 *
 * Membership must never change for a certificate already issued, whatever the
 * operator later sets. So the partition follows from a key fixed at issuance,
 * the first four hex digits of the certificate's SPKI SHA-256 (uniform, and
 * stored with the certificate and its revocation), and partition i of N covers
 * the key range [ceil(i·65536/N), ceil((i+1)·65536/N)). The URL names N as well
 * as i: partition 5 of 16 stays partition 5 of 16 after the setting becomes 32,
 * and is still published as long as 16 is listed (SIGNET_CRL_PARTITIONS).
 */

/** Key space of the shard key: four hex digits. */
const KEY_SPACE = 0x10000;
/** More partitions than this would publish more CRLs per round than any relying party gains from. */
export const MAX_CRL_PARTITIONS = 4096;

/** The shard key of a certificate: the first four hex digits of its SPKI SHA-256, lower case. */
export function crlShardKey(spkiSha256: string): string {
  const key = spkiSha256.slice(0, 4).toLowerCase();
  if (!/^[0-9a-f]{4}$/.test(key)) throw new Error(`not a SHA-256 in hex: ${spkiSha256}`);
  return key;
}

/** The partition index (0 ≤ i < count) of a shard key. */
export function crlPartitionOf(shardKey: string, count: number): number {
  return Math.floor((parseInt(shardKey, 16) * count) / KEY_SPACE);
}

/** The shard keys of partition `index` of `count`, as a half-open range of 4-hex-digit text (null: no upper bound). */
export function crlPartitionRange(index: number, count: number): { from: string; below: string | null } {
  const bound = (i: number) => Math.ceil((i * KEY_SPACE) / count);
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return { from: hex(bound(index)), below: index + 1 >= count ? null : hex(bound(index + 1)) };
}

/** Where partition `index` of `count` of a CA's CRL is published. */
export function crlPartitionUrl(publicUrl: string, caId: string, count: number, index: number): string {
  return `${publicUrl}/crl/${caId}/${count}/${index}.crl`;
}

/** SIGNET_CRL_PARTITIONS: "N" or "N,M,…" (the first for new certificates, every one published); empty: off. */
export function parseCrlPartitions(value: string | undefined): number[] {
  if (value === undefined || value.trim() === '' || value.trim() === 'off') return [];
  const counts = value.split(',').map((part) => part.trim());
  const parsed = counts.map(Number);
  if (parsed.some((n, i) => !/^[1-9][0-9]*$/.test(counts[i]!) || n < 2 || n > MAX_CRL_PARTITIONS)) {
    throw configError('ca.config.crl-partitions-invalid', { variable: 'SIGNET_CRL_PARTITIONS', value, max: MAX_CRL_PARTITIONS });
  }
  return [...new Set(parsed)];
}
