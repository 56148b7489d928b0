import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../store/database.js';
import { binaryType } from '../store/migrations.js';
import { ocspAnswerKeyOf } from './ocsp-answer-key.js';

/**
 * The status domain's tables. Revocations and published CRLs are evidence
 * (R7, R14): the database itself refuses to change or remove them, whatever
 * the application does, as it does for audit entries (R20).
 */
export function statusMigrations(dialect: Dialect): Record<string, Migration> {
  const binary = binaryType(dialect);
  return {
    '0100_status_revocation_crl_ocsp': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('revocations')
          // One revocation per certificate, for ever: a second one collides here.
          .addColumn('serial', 'text', (c) => c.primaryKey())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          .addColumn('reason_code', 'integer', (c) => c.notNull().check(sql`reason_code in (0, 1, 2, 3, 4, 5, 9, 10)`))
          .addColumn('ground', 'text')
          .addColumn('revoked_at', 'text', (c) => c.notNull())
          .addColumn('invalidity_date', 'text')
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .addColumn('justification', 'text')
          .addColumn('channel', 'text', (c) =>
            c.notNull().check(sql`channel in ('subscriber', 'rights-holder', 'ra', 'ca')`),
          )
          // Copied from the certificate so that a CRL can leave out expired entries without a join.
          .addColumn('not_after', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('revocations_issuer_serial')
          .on('revocations')
          .columns(['issuer_ca_id', 'serial'])
          .execute();
        await db.schema
          .createIndex('revocations_issuer_time')
          .on('revocations')
          .columns(['issuer_ca_id', 'revoked_at'])
          .execute();

        await db.schema
          .createTable('crl_archive')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          // Shared by full and delta CRLs of one issuer (RFC 5280 §5.2.3); two nodes can never publish the same one.
          .addColumn('crl_number', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('full', 'delta')`))
          .addColumn('base_crl_number', 'bigint')
          .addColumn('this_update', 'text', (c) => c.notNull())
          .addColumn('next_update', 'text', (c) => c.notNull())
          .addColumn('entries', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('der', binary, (c) => c.notNull())
          .addColumn('published_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('crl_archive_number_unique', ['issuer_ca_id', 'crl_number'])
          .execute();
        await db.schema
          .createIndex('crl_archive_issuer_time')
          .on('crl_archive')
          .columns(['issuer_ca_id', 'kind', 'this_update'])
          .execute();

        await db.schema
          .createTable('ocsp_responses')
          // hex of the DER CertID the response answers: one pre-signed response per CertID.
          .addColumn('cert_id', 'text', (c) => c.primaryKey())
          .addColumn('serial', 'text', (c) => c.notNull())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('good', 'revoked', 'unknown')`))
          .addColumn('this_update', 'text', (c) => c.notNull())
          .addColumn('next_update', 'text', (c) => c.notNull())
          .addColumn('der', binary, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('ocsp_responses_serial').on('ocsp_responses').column('serial').execute();
        await db.schema.createIndex('ocsp_responses_next_update').on('ocsp_responses').column('next_update').execute();

        await db.schema
          .createTable('status_leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();

        await refuseRewrites(db, dialect, 'revocations', 'revocations are final');
        await refuseRewrites(db, dialect, 'crl_archive', 'published CRLs are kept unchanged');
      },
    },
    '0101_status_covering_indexes': {
      async up(db: Kysely<unknown>) {
        // A CRL of a million entries pages through them in serial order: with every column it reads in the
        // index, SQLite never visits the table (measured: 93 µs per row lookup on a 400 MB file, 47 ms per page without).
        await db.schema.dropIndex('revocations_issuer_serial').execute();
        await db.schema
          .createIndex('revocations_crl_entries')
          .on('revocations')
          .columns(['issuer_ca_id', 'serial', 'revoked_at', 'not_after', 'reason_code', 'invalidity_date'])
          .execute();
        // The OCSP responders of every node ask "what was revoked since?" once a second.
        await db.schema.createIndex('revocations_revoked_at').on('revocations').columns(['revoked_at', 'serial']).execute();
      },
    },
    '0901_status_root_ceremony_responses': {
      async up(db: Kysely<unknown>) {
        // The root stays offline: the OCSP answers about the certificates it signed are signed in a ceremony
        // (src/status/root-ceremony.ts) and served from here until their nextUpdate. Every ceremony's rows stay.
        await db.schema
          .createTable('root_ocsp_responses')
          .addColumn('cert_id', 'text', (c) => c.notNull())
          .addColumn('this_update', 'text', (c) => c.notNull())
          .addColumn('next_update', 'text', (c) => c.notNull())
          .addColumn('serial', 'text', (c) => c.notNull())
          .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('good', 'revoked')`))
          .addColumn('der', binary, (c) => c.notNull())
          .addColumn('ceremony_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('root_ocsp_responses_pk', ['cert_id', 'this_update'])
          .execute();
        await refuseRewrites(db, dialect, 'root_ocsp_responses', 'ceremony responses are kept unchanged');
      },
    },
    '0910_status_commit_order': {
      async up(db: Kysely<unknown>) {
        // Status follows the order in which revocations commit, not the time their nodes stamped on them
        // (docs/status.md, "Commit order"). One counter row, bumped inside each revoking transaction:
        // its row lock makes revoking transactions commit in counter order.
        await db.schema
          .createTable('status_counters')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.alterTable('revocations').addColumn('commit_seq', 'bigint').execute();
        // The counter value a CRL covers: every revocation numbered up to it is on the CRL or its base.
        await db.schema.alterTable('crl_archive').addColumn('revocations_through', 'bigint').execute();

        // Rows from before: their order is the order of their revocation times, and a CRL covered what was revoked
        // by the moment it read its entries. Both tables refuse rewrites, so that guard is lifted for this one backfill.
        await withRewritesAllowed(db, dialect, ['revocations', 'crl_archive'], async () => {
          await sql`update revocations set commit_seq = o.n
            from (select serial, row_number() over (order by revoked_at, serial) as n from revocations) as o
            where revocations.serial = o.serial`.execute(db);
          await sql`update crl_archive set revocations_through = coalesce(
            (select max(r.commit_seq) from revocations r where r.revoked_at <= crl_archive.created_at), 0)`.execute(db);
        });
        await sql`insert into status_counters (name, value) select 'revocations', coalesce(max(commit_seq), 0) from revocations`.execute(db);

        await db.schema.createIndex('revocations_commit_seq').on('revocations').column('commit_seq').unique().execute();
        // The CRL query filters by commit_seq now: the covering index carries it so SQLite still never visits the table.
        await db.schema.dropIndex('revocations_crl_entries').execute();
        await db.schema
          .createIndex('revocations_crl_entries')
          .on('revocations')
          .columns(['issuer_ca_id', 'serial', 'commit_seq', 'revoked_at', 'not_after', 'reason_code', 'invalidity_date'])
          .execute();
        await db.schema.createIndex('revocations_issuer_commit').on('revocations').columns(['issuer_ca_id', 'commit_seq']).execute();
      },
    },
    '2200_status_crl_partitions': {
      async up(db: Kysely<unknown>) {
        // Partitioned CRLs (src/ca/crl-partition.ts): a revocation keeps the shard key of its certificate (the first
        // four hex digits of its SPKI SHA-256), so a partition's entries are one range of a covering index.
        await db.schema.alterTable('revocations').addColumn('crl_shard', 'text').execute();
        await withRewritesAllowed(db, dialect, ['revocations'], async () => {
          await sql`update revocations set crl_shard = (select substr(c.spki_sha256, 1, 4) from certificates c where c.serial = revocations.serial)`.execute(db);
        });
        await db.schema
          .createIndex('revocations_crl_partition')
          .on('revocations')
          .columns(['issuer_ca_id', 'crl_shard', 'serial', 'commit_seq', 'revoked_at', 'not_after', 'reason_code', 'invalidity_date'])
          .execute();
        // A partition's CRL is archived like any other: which partition of how many (null: the full or delta CRL).
        await db.schema.alterTable('crl_archive').addColumn('partition_count', 'integer').execute();
        await db.schema.alterTable('crl_archive').addColumn('partition_index', 'integer').execute();
        await db.schema
          .createIndex('crl_archive_partition')
          .on('crl_archive')
          .columns(['issuer_ca_id', 'partition_count', 'partition_index', 'crl_number'])
          .execute();
      },
    },
    '2500_status_crl_pieces': {
      async up(db: Kysely<unknown>) {
        // A CRL of a million entries is 49 MB: archived as one value, the store held a second copy of it (SQLite's
        // statement, PostgreSQL's pglz pass) beside the publisher's. Long CRLs now go in pieces, written one by one
        // before the crl_archive row that puts them in force (src/status/crl-publisher.ts).
        await db.schema.alterTable('crl_archive').addColumn('pieces', 'integer').execute();
        await db.schema
          .createTable('crl_archive_pieces')
          .addColumn('crl_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('bytes', binary, (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('crl_archive_pieces_pk', ['crl_id', 'seq'])
          .execute();
        const message = 'published CRLs are kept unchanged';
        if (dialect === 'sqlite') {
          await sql.raw(`CREATE TRIGGER crl_archive_pieces_no_update BEFORE UPDATE ON crl_archive_pieces BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(db);
          // Pieces whose CRL never committed (a crash between pieces) may go; a published CRL's never.
          await sql
            .raw(
              `CREATE TRIGGER crl_archive_pieces_no_delete BEFORE DELETE ON crl_archive_pieces
               WHEN EXISTS (SELECT 1 FROM crl_archive WHERE id = OLD.crl_id) BEGIN SELECT RAISE(ABORT, '${message}'); END`,
            )
            .execute(db);
          return;
        }
        // Compressed pieces of DER gain nothing (serials are random) and pglz spent seconds trying: stored out of line as they are.
        await sql`ALTER TABLE crl_archive_pieces ALTER COLUMN bytes SET STORAGE EXTERNAL`.execute(db);
        await sql
          .raw(
            `CREATE FUNCTION signet_refuse_crl_archive_pieces_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM crl_archive WHERE id = OLD.crl_id) THEN RETURN OLD; END IF;
               RAISE EXCEPTION '${message}';
             END $$`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TRIGGER crl_archive_pieces_append_only BEFORE UPDATE OR DELETE ON crl_archive_pieces
             FOR EACH ROW EXECUTE FUNCTION signet_refuse_crl_archive_pieces_rewrite()`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TRIGGER crl_archive_pieces_no_truncate BEFORE TRUNCATE ON crl_archive_pieces
             FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_crl_archive_pieces_rewrite()`,
          )
          .execute(db);
      },
    },
    '2700_status_ocsp_answer_key': {
      async up(db: Kysely<unknown>) {
        await keyOcspResponses(db, dialect);
      },
    },
  };
}

/**
 * Issue 22: a cold OCSP question is one read among a million stored answers. Keyed by the hex CertID (150
 * characters), it was a descent of the text index, then of the table by rowid: two B-trees. Keyed by a 63-bit hash
 * of the CertID (ocspAnswerKey in ocsp-responder.ts), the answer's row is the key (SQLite's rowid, a bigint primary
 * key on PostgreSQL): one descent of a B-tree whose upper levels stay in memory. cert_id stays beside it and every
 * read checks it, so two CertIDs of one hash share a slot (the later answer stands, the other is signed again when
 * asked) and never each other's answer. `etag` is the answer's strong ETag, written with it rather than hashed per
 * question; rows copied here have none (null: computed when served) until they are signed again.
 * The table is rebuilt (its key changes) with its rows: a populated store keeps its answers.
 */
async function keyOcspResponses(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('ocsp_responses_keyed')
    // PostgreSQL: the key is added once the rows are in (below), not kept up row by row.
    .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => (dialect === 'postgres' ? c.notNull() : c.primaryKey()))
    .addColumn('cert_id', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('issuer_ca_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('good', 'revoked', 'unknown')`))
    .addColumn('this_update', 'text', (c) => c.notNull())
    .addColumn('next_update', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('der', binaryType(dialect), (c) => c.notNull())
    .execute();
  const columns = 'cert_id, serial, issuer_ca_id, status, this_update, next_update, der';
  if (dialect === 'postgres') {
    await keyOcspResponsesOnPostgres(db, columns);
    return;
  }
  // SQLite has no SHA-256: the keys are computed here, a page of rows at a time, into a table of (key, rowid)
  // pairs; the rows are then copied in key order, so the new table grows at its end (copied in rowid order, random
  // keys split pages all over it: 259 s for a million answers at load 7, against 20 s for the pairs).
  // Kept in key order by its own key, so the copy below walks it without sorting (a sort would hold every row).
  await sql`CREATE TABLE ocsp_responses_keys (id INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (id, rid)) WITHOUT ROWID`.execute(db);
  let after = 0;
  for (;;) {
    const page = await sql<{ rid: number; cert_id: string }>`SELECT rowid AS rid, cert_id FROM ocsp_responses WHERE rowid > ${after} ORDER BY rowid LIMIT 2000`.execute(db);
    if (page.rows.length === 0) break;
    await sql`INSERT INTO ocsp_responses_keys (id, rid) VALUES ${sql.join(page.rows.map((row) => sql`(${ocspAnswerKeyOf(row.cert_id)}, ${row.rid})`))}`.execute(db);
    after = page.rows[page.rows.length - 1]!.rid;
  }
  await sql`INSERT OR IGNORE INTO ocsp_responses_keyed (id, ${sql.raw(columns)})
    SELECT k.id, ${sql.raw(columns.split(', ').map((c) => `o.${c}`).join(', '))} FROM ocsp_responses_keys k JOIN ocsp_responses o ON o.rowid = k.rid ORDER BY k.id`.execute(db);
  await sql`DROP TABLE ocsp_responses_keys`.execute(db);
  await db.schema.dropTable('ocsp_responses').execute();
  await db.schema.alterTable('ocsp_responses_keyed').renameTo('ocsp_responses').execute();
  await db.schema.createIndex('ocsp_responses_serial').on('ocsp_responses').column('serial').execute();
  await db.schema.createIndex('ocsp_responses_next_update').on('ocsp_responses').column('next_update').execute();
}

/**
 * PostgreSQL (Kysely runs the migrations in one transaction): the new table is filled and indexed whole beside the
 * old one, which nodes of the previous version go on reading and writing meanwhile; only then is the old one dropped
 * and the new one renamed into its place, so they wait on the swap's lock for the rest of the transaction, not for
 * the copy (answers they sign meanwhile are not copied: signed again when asked). A million answers: 11-15 CPU-s in
 * the cluster instead of 17-18, the old version's reads held up at most 0.13 s instead of 4-6 s (docs/operations.md).
 * The rows go in without a key and the key's index is built once after (sorted), rather than kept up by a million
 * inserts at random places (30 s of a 35 s run). Two CertIDs of one key (a 63-bit hash: about one chance in 20 million
 * at a million answers) would stop that index: then one row of each key stays (the other CertID's answer is signed
 * again when asked, as the copy's ON CONFLICT DO NOTHING had it) and the index is built again.
 */
async function keyOcspResponsesOnPostgres(db: Kysely<unknown>, columns: string): Promise<void> {
  // The same hash as ocspAnswerKey: the first 8 octets of SHA-256(CertID DER), top bit cleared.
  await sql
    .raw(
      `INSERT INTO ocsp_responses_keyed (id, ${columns})
       SELECT ('x' || encode(substr(sha256(decode(cert_id, 'hex')), 1, 8), 'hex'))::bit(64)::bigint & 9223372036854775807, ${columns}
       FROM ocsp_responses`,
    )
    .execute(db);
  // The constraint's name as an earlier build of this migration left it (a primary key declared with the table).
  const addKey = sql`ALTER TABLE ocsp_responses_keyed ADD CONSTRAINT ocsp_responses_keyed_pkey PRIMARY KEY (id)`;
  await sql`SAVEPOINT ocsp_answer_key`.execute(db);
  try {
    await addKey.execute(db);
    await sql`RELEASE SAVEPOINT ocsp_answer_key`.execute(db);
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await sql`ROLLBACK TO SAVEPOINT ocsp_answer_key`.execute(db);
    await sql`DELETE FROM ocsp_responses_keyed a USING (SELECT id, min(ctid) AS kept FROM ocsp_responses_keyed GROUP BY id HAVING count(*) > 1) d
      WHERE a.id = d.id AND a.ctid <> d.kept`.execute(db);
    await addKey.execute(db);
  }
  await db.schema.createIndex('ocsp_responses_keyed_serial').on('ocsp_responses_keyed').column('serial').execute();
  await db.schema.createIndex('ocsp_responses_keyed_next_update').on('ocsp_responses_keyed').column('next_update').execute();
  await db.schema.dropTable('ocsp_responses').execute();
  await db.schema.alterTable('ocsp_responses_keyed').renameTo('ocsp_responses').execute();
  await sql`ALTER INDEX ocsp_responses_keyed_serial RENAME TO ocsp_responses_serial`.execute(db);
  await sql`ALTER INDEX ocsp_responses_keyed_next_update RENAME TO ocsp_responses_next_update`.execute(db);
}

/** Runs `work` with the append-only guard of `tables` lifted, and puts it back the same way refuseRewrites made it. */
async function withRewritesAllowed(db: Kysely<unknown>, dialect: Dialect, tables: string[], work: () => Promise<void>): Promise<void> {
  const messages: Record<string, string> = { revocations: 'revocations are final', crl_archive: 'published CRLs are kept unchanged' };
  if (dialect === 'sqlite') {
    for (const table of tables) {
      for (const op of ['update', 'delete']) await sql.raw(`DROP TRIGGER ${table}_no_${op}`).execute(db);
    }
    await work();
    for (const table of tables) {
      for (const op of ['UPDATE', 'DELETE']) {
        await sql
          .raw(`CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table} BEGIN SELECT RAISE(ABORT, '${messages[table]}'); END`)
          .execute(db);
      }
    }
    return;
  }
  for (const table of tables) await sql.raw(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`).execute(db);
  await work();
  for (const table of tables) await sql.raw(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`).execute(db);
}

async function refuseRewrites(db: Kysely<unknown>, dialect: Dialect, table: string, message: string): Promise<void> {
  if (dialect === 'sqlite') {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(`CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`)
        .execute(db);
    }
    return;
  }
  await sql
    .raw(
      `CREATE FUNCTION signet_refuse_${table}_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '${message}'; END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_${table}_rewrite()`,
    )
    .execute(db);
}
