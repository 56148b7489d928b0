import { sql } from 'kysely';
import type { SignetDatabase } from '../../store/database.js';

/**
 * Test and bench support: `count` revocations of `caId` written by the
 * database itself in one statement (a recursive CTE on SQLite,
 * generate_series on PostgreSQL), so a test can stand in front of a CRL of a
 * million entries in seconds. The serials are 16 octets, `5` followed by the
 * index in 31 hex digits (`first` onwards): distinct from the 128-bit random
 * serials the CA issues (whose chance to collide is nil), ordered, and the same
 * on both stores. They belong to no certificate: only CRL size is being made.
 */
export async function seedRevocations(
  store: SignetDatabase,
  caId: string,
  count: number,
  options: { first?: number; revokedAt: string; notAfter: string },
): Promise<void> {
  const first = options.first ?? 0;
  const last = first + count - 1;
  if (count <= 0) return;
  // Each revocation takes the next number of the commit-order counter, as revokeCertificate does
  // (docs/status.md, "Commit order"): CRL membership follows those numbers.
  await store.db.transaction().execute(async (trx) => {
    const counter = await sql<{ value: number | string }>`SELECT value FROM status_counters WHERE name = 'revocations'`.execute(trx);
    const base = Number(counter.rows[0]?.value ?? 0) - first + 1;
    if (store.dialect === 'sqlite') {
      await sql`
        WITH RECURSIVE n(i) AS (SELECT ${first} UNION ALL SELECT i + 1 FROM n WHERE i < ${last})
        INSERT INTO revocations (serial, issuer_ca_id, reason_code, ground, revoked_at, invalidity_date, requested_by, justification, channel, not_after, commit_seq, crl_shard)
        SELECT '5' || printf('%031x', i), ${caId}, 4, NULL, ${options.revokedAt}, NULL, 'test:bulk', NULL, 'ca', ${options.notAfter}, ${base} + i,
               printf('%04x', (i * ${SHARD_STEP}) % 65536) FROM n`.execute(trx);
    } else {
      await sql`
        INSERT INTO revocations (serial, issuer_ca_id, reason_code, ground, revoked_at, invalidity_date, requested_by, justification, channel, not_after, commit_seq, crl_shard)
        SELECT '5' || lpad(to_hex(i), 31, '0'), ${caId}, 4, NULL, ${options.revokedAt}, NULL, 'test:bulk', NULL, 'ca', ${options.notAfter}, ${base}::bigint + i,
               lpad(to_hex((i * ${SHARD_STEP}) % 65536), 4, '0')
        FROM generate_series(${first}::bigint, ${last}::bigint) AS i`.execute(trx);
    }
    await sql`UPDATE status_counters SET value = value + ${count} WHERE name = 'revocations'`.execute(trx);
  });
}

/** Spreads the seeded rows over the shard keys of partitioned CRLs (odd, so every key is reached once per 65,536 rows). */
const SHARD_STEP = 40503;

/** The shard key `seedRevocations` gave its `index`th revocation (src/ca/crl-partition.ts). */
export function seededShard(index: number): string {
  return ((index * SHARD_STEP) % 65536).toString(16).padStart(4, '0');
}

/** The serial `seedRevocations` gave its `index`th revocation. */
export function seededSerial(index: number): string {
  return `5${index.toString(16).padStart(31, '0')}`;
}

/** One revocation as a test wants it on a CRL: any serial (minimal hex), times, reason and invalidity date. */
export interface RevocationRow {
  serial: string;
  revokedAt: string;
  reasonCode: number;
  invalidityDate: string | null;
  notAfter: string;
}

/** Test support: `rows` revoked under `caId` in one transaction, numbered by the commit-order counter as revokeCertificate numbers them. */
export async function insertRevocations(store: SignetDatabase, caId: string, rows: RevocationRow[]): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    const counter = await sql<{ value: number | string }>`SELECT value FROM status_counters WHERE name = 'revocations'`.execute(trx);
    let seq = Number(counter.rows[0]?.value ?? 0);
    for (const row of rows) {
      seq += 1;
      await sql`
        INSERT INTO revocations (serial, issuer_ca_id, reason_code, ground, revoked_at, invalidity_date, requested_by, justification, channel, not_after, commit_seq, crl_shard)
        VALUES (${row.serial}, ${caId}, ${row.reasonCode}, NULL, ${row.revokedAt}, ${row.invalidityDate}, 'test:rows', NULL, 'ca', ${row.notAfter}, ${seq}, '0000')`.execute(trx);
    }
    await sql`UPDATE status_counters SET value = ${seq} WHERE name = 'revocations'`.execute(trx);
  });
}
