/**
 * A fast way to a million stored certificates for the scale bench (issue 22),
 * writing what the issuance path writes (src/ca/authority.ts recordIntents and
 * recordCertificates): a `certificates` row holding a real certificate, its
 * `issuance_intents` row closed as issued, and its `certificate.issued` audit
 * entry in the hash chain (appendAuditEntries itself); the database's triggers
 * keep the dashboard's counters as they do for every insert.
 *
 * Each certificate is a copy of one of a few thousand certificates issued
 * through the domain API (same subscriber, key, profile, extensions), with a
 * fresh serial from the CA's serial rule (0x10-0x7f prefix octet + 128 random
 * bits) and its validity moved back by a whole number of seconds, so the
 * population spans `spanDays` of history (some expired) and the inventory's
 * (issued_at, serial) order is not one burst. The TBS is re-signed by the
 * issuing CA's own signer: every stored certificate verifies.
 *
 * What it skips: the lint (the templates passed it; only serial and dates
 * differ) and the batching/lease machinery (nothing concurrent to guard).
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { sql } from 'kysely';
import { Certificate } from '@peculiar/asn1-x509';
import { appendAuditEntries } from '../src/audit/audit-log.js';
import { crlShardKey } from '../src/ca/crl-partition.js';
import type { Signet } from '../src/signet.js';
import { timeOrderedId } from '../src/store/time-ordered-id.js';

const DAY_MS = 86_400_000;
/** Rows per transaction; 500 certificates × 12 columns stays under SQLite's 32,766 bound parameters. */
const BATCH = 500;

interface Template {
  tbs: Buffer;
  serialAt: number;
  notBeforeAt: number;
  notAfterAt: number;
  row: { subject: string; subscriber_id: string | null; holder: string; spki_sha256: string; key_algorithm: string; profile_id: string; issuer_ca_id: string; names_ocsp: number };
  issuedAt: number;
  notBefore: number;
  notAfter: number;
  audit: { actor: string; details: Record<string, unknown> };
  requestedBy: string;
  reason: string;
}

/** A DER header: tag and definite length. */
function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const octets = length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
  const out = Buffer.alloc(2 + octets);
  out[0] = tag;
  out[1] = 0x80 | octets;
  out.writeUIntBE(length, 2, octets);
  return out;
}

/** SIGNED{TBS} as src/crypto/signed-structure.ts encodeSigned lays it out, by concatenation (asn1js per row was a third of the time). */
function signed(tbs: Buffer, algorithm: Buffer, signature: Uint8Array): Buffer {
  const bits = Buffer.concat([header(0x03, signature.length + 1), Buffer.from([0]), signature]);
  return Buffer.concat([header(0x30, tbs.length + algorithm.length + bits.length), tbs, algorithm, bits]);
}

const utcTime = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`, 'ascii');
};

/** The TBS exactly as signed: the first element of the certificate's outer SEQUENCE. */
function firstElement(der: Buffer): Buffer {
  const header = (at: number) => {
    const first = der[at + 1]!;
    if (first < 0x80) return { length: first, size: 2 };
    const octets = first & 0x7f;
    return { length: der.readUIntBE(at + 2, octets), size: 2 + octets };
  };
  const outer = header(0);
  const inner = header(outer.size);
  return der.subarray(outer.size, outer.size + inner.size + inner.length);
}

/** Where serial and validity sit in a template's TBS (DER), found once by their encodings. */
function locate(tbs: Buffer, serialHex: string, notBefore: number, notAfter: number): { serialAt: number; notBeforeAt: number; notAfterAt: number } {
  const serial = Buffer.from(serialHex, 'hex');
  const serialAt = tbs.indexOf(Buffer.concat([Buffer.from([0x02, serial.length]), serial]));
  const notBeforeAt = tbs.indexOf(Buffer.concat([Buffer.from([0x17, 13]), utcTime(notBefore)]));
  const notAfterAt = tbs.indexOf(Buffer.concat([Buffer.from([0x17, 13]), utcTime(notAfter)]), notBeforeAt + 15);
  if (serialAt < 0 || notBeforeAt < 0 || notAfterAt < 0 || serial.length !== 17) throw new Error('template certificate not laid out as expected (17-octet serial, UTCTime validity)');
  return { serialAt: serialAt + 2, notBeforeAt: notBeforeAt + 2, notAfterAt: notAfterAt + 2 };
}

async function templates(signet: Signet, serials: string[]): Promise<Template[]> {
  const db = signet.store.db;
  const out: Template[] = [];
  for (let i = 0; i < serials.length; i += BATCH) {
    const chunk = serials.slice(i, i + BATCH);
    const rows = await db.selectFrom('certificates').selectAll().where('serial', 'in', chunk).execute();
    const intents = new Map((await db.selectFrom('issuance_intents').select(['serial', 'requested_by', 'reason']).where('serial', 'in', chunk).execute()).map((r) => [r.serial, r]));
    const audits = new Map(
      (await db.selectFrom('audit_entries').select(['target', 'actor', 'details']).where('target', 'in', chunk.map((s) => `certificate:${s}`)).where('action', '=', 'certificate.issued').execute()).map((r) => [
        r.target,
        r,
      ]),
    );
    for (const row of rows) {
      const tbs = firstElement(row.der);
      const notBefore = Date.parse(row.not_before);
      const notAfter = Date.parse(row.not_after);
      const audit = audits.get(`certificate:${row.serial}`)!;
      const intent = intents.get(row.serial)!;
      out.push({
        tbs,
        ...locate(tbs, row.serial, notBefore, notAfter),
        row: {
          subject: row.subject,
          subscriber_id: row.subscriber_id,
          holder: row.holder,
          spki_sha256: row.spki_sha256,
          key_algorithm: row.key_algorithm,
          profile_id: row.profile_id,
          issuer_ca_id: row.issuer_ca_id,
          names_ocsp: row.names_ocsp,
        },
        issuedAt: Date.parse(row.issued_at),
        notBefore,
        notAfter,
        audit: { actor: audit.actor, details: typeof audit.details === 'string' ? JSON.parse(audit.details) : (audit.details as Record<string, unknown>) },
        requestedBy: intent.requested_by,
        reason: intent.reason,
      });
    }
  }
  return out;
}

/**
 * Adds `count` certificates built from the certificates `templateSerials`
 * (issued through the domain API), issued at times spread evenly over the
 * `spanDays` before the templates, oldest first. Returns their serials.
 */
export async function bulkSeed(signet: Signet, issuingCaId: string, templateSerials: string[], count: number, spanDays: number, progress?: (done: number) => void): Promise<string[]> {
  const pool = await templates(signet, templateSerials);
  const issuer = await signet.ca.issuerContext(issuingCaId);
  const algorithm = Buffer.from(
    AsnConvert.serialize(AsnConvert.parse((await signet.store.db.selectFrom('certificates').select('der').where('serial', '=', templateSerials[0]!).executeTakeFirstOrThrow()).der, Certificate).signatureAlgorithm),
  );
  const newest = Math.min(...pool.map((t) => t.issuedAt));
  const serials: string[] = [];
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const made: Array<{ t: Template; serial: string; der: Buffer; tbs: Buffer; issuedAt: Date; notBefore: string; notAfter: string }> = [];
    for (let j = 0; j < n; j++) {
      const i = done + j;
      const t = pool[i % pool.length]!;
      // Whole seconds back, oldest first: UTCTime keeps seconds, the columns keep the template's milliseconds.
      const back = Math.round((((count - i) / count) * spanDays * DAY_MS) / 1000) * 1000 + (t.issuedAt - newest);
      const serial = randomBytes(17);
      serial[0] = 0x10 + (serial[0]! % 0x70);
      const tbs = Buffer.from(t.tbs);
      serial.copy(tbs, t.serialAt);
      utcTime(t.notBefore - back).copy(tbs, t.notBeforeAt);
      utcTime(t.notAfter - back).copy(tbs, t.notAfterAt);
      const der = signed(tbs, algorithm, await issuer.signer.sign(tbs));
      made.push({ t, serial: serial.toString('hex'), der, tbs, issuedAt: new Date(t.issuedAt - back), notBefore: new Date(t.notBefore - back).toISOString(), notAfter: new Date(t.notAfter - back).toISOString() });
    }
    await signet.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('issuance_intents')
        .values(
          made.map((m) => ({
            id: timeOrderedId(m.issuedAt.getTime()),
            serial: m.serial,
            issuer_ca_id: m.t.row.issuer_ca_id,
            profile_id: m.t.row.profile_id,
            tbs_sha256: createHash('sha256').update(m.tbs).digest('hex'),
            tbs_der: Buffer.alloc(0),
            requested_by: m.t.requestedBy,
            reason: m.t.reason,
            state: 'issued' as const,
            created_at: m.issuedAt.toISOString(),
            resolved_at: m.issuedAt.toISOString(),
            owner_instance: null,
          })),
        )
        .execute();
      await trx
        .insertInto('certificates')
        .values(made.map((m) => ({ ...m.t.row, serial: m.serial, not_before: m.notBefore, not_after: m.notAfter, der: m.der, issued_at: m.issuedAt.toISOString() })))
        .execute();
      await appendAuditEntries(
        trx,
        signet.store.dialect,
        made.map((m) => ({
          at: m.issuedAt,
          event: { actor: m.t.audit.actor, action: 'certificate.issued', target: `certificate:${m.serial}`, details: { ...m.t.audit.details, notBefore: m.notBefore, notAfter: m.notAfter } },
        })),
      );
    });
    for (const m of made) serials.push(m.serial);
    progress?.(done + n);
  }
  return serials;
}

/**
 * Revokes `serials` (reason superseded, through the RA channel) writing what
 * src/status/revocation.ts revokeCertificate writes: the revocations row with
 * its commit number from the same counter and its CRL shard, and the
 * `certificate.revoked` audit entry; 500 to a transaction instead of one. The
 * revocation listeners (OCSP answers to refresh) have nothing to do: no answer
 * about these certificates was ever signed. Each is revoked a day after it was issued.
 */
export async function bulkRevoke(signet: Signet, serials: string[], requestedBy: string, progress?: (done: number) => void): Promise<void> {
  const db = signet.store.db;
  for (let done = 0; done < serials.length; done += BATCH) {
    const chunk = serials.slice(done, done + BATCH);
    const certificates = await db.selectFrom('certificates').select(['serial', 'issuer_ca_id', 'spki_sha256', 'not_after', 'issued_at']).where('serial', 'in', chunk).execute();
    await db.transaction().execute(async (trx) => {
      const counter = await sql<{ value: number | string }>`UPDATE status_counters SET value = value + ${certificates.length} WHERE name = 'revocations' RETURNING value`.execute(trx);
      let seq = Number(counter.rows[0]!.value) - certificates.length;
      const rows = certificates.map((c) => ({
        serial: c.serial,
        issuer_ca_id: c.issuer_ca_id,
        reason_code: 4,
        ground: null,
        revoked_at: new Date(Math.min(Date.parse(c.issued_at) + DAY_MS, Date.now())).toISOString(),
        invalidity_date: null,
        requested_by: requestedBy,
        justification: null,
        channel: 'ra',
        not_after: c.not_after,
        commit_seq: ++seq,
        crl_shard: crlShardKey(c.spki_sha256),
      }));
      await sql`INSERT INTO revocations ${sql.raw(`(${Object.keys(rows[0]!).join(', ')})`)} VALUES ${sql.join(rows.map((r) => sql`(${sql.join(Object.values(r))})`))}`.execute(trx);
      await appendAuditEntries(
        trx,
        signet.store.dialect,
        rows.map((r, i) => ({
          at: new Date(r.revoked_at),
          event: {
            actor: requestedBy,
            action: 'certificate.revoked',
            target: `certificate:${r.serial}`,
            details: { issuer: r.issuer_ca_id, reason: 'superseded', reasonCode: 4, ground: null, channel: 'ra', justification: null, invalidityDate: null, spkiSha256: certificates[i]!.spki_sha256 },
          },
        })),
      );
    });
    progress?.(done + chunk.length);
  }
}
