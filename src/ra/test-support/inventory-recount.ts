import { sql, type Kysely } from 'kysely';

type Row = { ra_id: string; kind: string; bucket: string; n: number | string };
const plain = (rows: Row[]) => rows.map((r) => `${r.ra_id}|${r.kind}|${r.bucket}|${Number(r.n)}`);

/**
 * The inventory's counters as kept (hourly, and the roll-ups of migration
 * 2610), beside a recount of the tables themselves through the
 * ra_inventory_facts view; the two lists must be equal.
 */
export async function countersAndRecount(db: Kysely<never>): Promise<{ kept: string[]; recounted: string[] }> {
  const kept = await sql<Row>`
    SELECT ra_id, kind, bucket, sum(n) AS n FROM ra_inventory_counts GROUP BY ra_id, kind, bucket HAVING sum(n) <> 0 ORDER BY 1, 2, 3`.execute(db);
  const recounted = await sql<Row>`
    SELECT coalesce(s.ra_id, '') AS ra_id, f.kind, f.bucket, count(*) AS n FROM ra_inventory_facts f LEFT JOIN ra_subscribers s ON s.id = f.subscriber_id
    GROUP BY coalesce(s.ra_id, ''), f.kind, f.bucket ORDER BY 1, 2, 3`.execute(db);
  const spans = sql.raw(`(SELECT 'issued' AS kind, 'all' AS span, 0 AS len UNION ALL SELECT 'live-until', 'day', 10 UNION ALL SELECT 'live-until', 'month', 7)`);
  const rolled = await sql<Row>`
    SELECT ra_id, kind, span || ':' || bucket AS bucket, sum(n) AS n FROM ra_inventory_rollups GROUP BY ra_id, kind, span, bucket HAVING sum(n) <> 0 ORDER BY 1, 2, 3`.execute(db);
  const rerolled = await sql<Row>`
    SELECT coalesce(s.ra_id, '') AS ra_id, v.kind, v.span || ':' || substr(f.bucket, 1, v.len) AS bucket, count(*) AS n
    FROM ra_inventory_facts f LEFT JOIN ra_subscribers s ON s.id = f.subscriber_id JOIN ${spans} v ON v.kind = f.kind
    GROUP BY coalesce(s.ra_id, ''), v.kind, v.span, substr(f.bucket, 1, v.len) ORDER BY 1, 2, 3`.execute(db);
  return { kept: [...plain(kept.rows), ...plain(rolled.rows)], recounted: [...plain(recounted.rows), ...plain(rerolled.rows)] };
}
