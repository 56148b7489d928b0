import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, TEST_PASSPHRASE, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { DEFAULT_EVIDENCE_OPTIONS, EvidenceService, verifyEvidencePackage } from '../evidence/evidence-report.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { randomBytes } from 'node:crypto';
import type { CertificateAuthority } from '../ca/authority.js';
import { likelySignatureLengths, signingStream, type Signer } from '../crypto/signer.js';
import { encodeEntryWithSchema } from './crl-encoding.js';
import { CrlPublisher, DEFAULT_CRL_SCHEDULE, type CrlFaults } from './crl-publisher.js';
import { readPublishedCrl, walkEntryFrames, walkRevokedEntries, walkRevokedEntryFrames } from './crl-reader.js';
import { statusDb } from './schema.js';
import { insertRevocations, seedRevocations, type RevocationRow } from './test-support/bulk-revocations.js';

afterAll(dropFreshStores);

const PUBLIC_URL = 'http://127.0.0.1:8080';
const HOUR_MS = 3_600_000;

/** The CA with its issuer's signer replaced by `wrap(real signer)`: a token fault, or a signer that counts its signatures. */
function withSigner(ca: CertificateAuthority, wrap: (real: Signer) => Signer): CertificateAuthority {
  return new Proxy(ca, {
    get(target, property) {
      if (property === 'issuerContext') {
        return async (caId: string) => {
          const context = await target.issuerContext(caId);
          return { ...context, signer: wrap(context.signer) };
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The real signer, counting every signature it makes (whole or streamed). */
function countingSigner(real: Signer, counter: { signatures: number }): Signer {
  return {
    keyAlgorithm: real.keyAlgorithm,
    scheme: real.scheme,
    hash: real.hash,
    publicKeyInfo: real.publicKeyInfo,
    signatureAlgorithm: real.signatureAlgorithm,
    sign: (message) => (counter.signatures++, real.sign(message)),
    startSigning: () => {
      const stream = signingStream(real);
      return { update: (part) => stream.update(part), sign: () => (counter.signatures++, stream.sign()) };
    },
  };
}

/** The entries of a piece of whole entries: where each starts and ends. */
function entriesOf(piece: Buffer): Array<{ at: number; end: number; serialStart: number; serialEnd: number; timeStart: number }> {
  const entries: Array<{ at: number; end: number; serialStart: number; serialEnd: number; timeStart: number }> = [];
  walkEntryFrames(piece, 0, piece.length, (f) => void entries.push({ at: f.at, end: f.end, serialStart: f.serialStart, serialEnd: f.serialEnd, timeStart: f.timeStart }));
  return entries;
}

/**
 * Issue 22, item 3: a long CRL is archived in pieces (crl_archive_pieces, migration 2500), each its own statement,
 * before the row that puts it in force (R14: every CRL kept byte for byte; never half of one in force).
 */
describe.each(storeBackends)('CRLs archived in pieces on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let pieced: CrlPublisher;
  let revokedSerial: string;
  let dir: string;
  // The CA's clock, moved forward by the crash test to reach the age at which dead pieces are removed.
  let clockOffsetMs = 0;

  beforeAll(async () => {
    t = await openTestSignet(backend, { publicUrl: PUBLIC_URL, clock: () => new Date(Date.now() + clockOffsetMs) });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-pieces-'));
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256');
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=pieces', subscriberId: 's1', requestedBy: 'test', reason: 'test' });
    revokedSerial = leaf.serial;
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'ra', requestedBy: 'operator:test' });
    await seedRevocations(t.signet.store, h.issuing.caId, 400, { revokedAt: new Date().toISOString(), notAfter: '2099-01-01T00:00:00.000Z' });
    // Pieces of 1,000 octets: the ~20 KB CRL spans about twenty of them, the way 49 MB spans 47 of a MiB.
    pieced = new CrlPublisher(t.signet.ca, PUBLIC_URL, { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000 });
  }, 120_000);
  afterAll(async () => {
    await t?.signet.close();
  });

  const piecesOf = (crlId: string) =>
    statusDb(t.signet.store).selectFrom('crl_archive_pieces').select(['seq', 'bytes']).where('crl_id', '=', crlId).orderBy('seq').execute();

  it('reads a CRL archived in pieces back byte for byte, by number and as the one in force; a short CRL stays whole in its row', async () => {
    const published = await pieced.publish(h.issuing.caId, 'full', 'test');
    expect(published.entries).toBe(401);
    const row = await statusDb(t.signet.store).selectFrom('crl_archive').selectAll().where('id', '=', published.id).executeTakeFirstOrThrow();
    const pieces = await piecesOf(published.id);
    // Piece 0 is the head (headers and fields up to the list), the last the tail (extensions and signature); in
    // between the entries, whole entries of at most 1,000 octets a piece, archived while the entries were read.
    expect(Number(row.pieces)).toBe(pieces.length);
    expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(published.der.length / 1000) + 2);
    expect(pieces.map((p) => Number(p.seq))).toEqual(Array.from({ length: Number(row.pieces) }, (_, i) => i));
    expect(pieces.slice(1, -1).every((p) => p.bytes.length <= 1000)).toBe(true);
    expect(pieces.slice(1, -2).every((p) => p.bytes.length > 900)).toBe(true);
    const reading = readPublishedCrl(published.der);
    expect(pieces[0]!.bytes.length).toBe(reading.entries.start);
    expect(published.der.length - pieces.at(-1)!.bytes.length).toBe(reading.entries.end);
    expect(row.der.length).toBe(0);
    expect(Buffer.concat(pieces.map((p) => p.bytes)).equals(published.der)).toBe(true);
    expect(createHash('sha256').update(published.der).digest('hex')).toBe(row.sha256);

    // Read back by a publisher that never held the bytes (no served copy): from the pieces.
    const reader = new CrlPublisher(t.signet.ca, PUBLIC_URL);
    expect((await reader.byNumber(h.issuing.caId, published.crlNumber))!.der.equals(published.der)).toBe(true);
    expect((await reader.latest(h.issuing.caId, 'full'))!.der.equals(published.der)).toBe(true);
    const inForce = await reader.inForceAt(h.issuing.caId, new Date(t.signet.ca.now().getTime() + 1000));
    expect(inForce!.crlNumber).toBe(published.crlNumber);
    expect(inForce!.der.equals(published.der)).toBe(true);
    // What was archived is a CRL a relying party nobody here wrote accepts: OpenSSL checks its signature.
    const crlPath = join(dir, 'pieced.crl');
    writeFileSync(crlPath, inForce!.der);
    expect(runTool('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-CAfile', writePem(dir, 'issuing.pem', h.issuing.der), '-noout']).stderr).toContain('verify OK');
    let listed = 0;
    walkRevokedEntries(readPublishedCrl(inForce!.der), () => {
      listed += 1;
    });
    expect(listed).toBe(401);

    // The default piece is a MiB: this CRL stays whole in its row, as every CRL before migration 2500 did.
    const whole = await reader.publish(h.issuing.caId, 'full', 'test');
    const wholeRow = await statusDb(t.signet.store).selectFrom('crl_archive').select(['der', 'pieces']).where('id', '=', whole.id).executeTakeFirstOrThrow();
    expect(wholeRow.pieces).toBeNull();
    expect(wholeRow.der.equals(whole.der)).toBe(true);
    expect(await piecesOf(whole.id)).toEqual([]);
  });

  it('keeps the pieces of a published CRL unchanged: no update, no delete, no truncate', async () => {
    const published = await pieced.publish(h.issuing.caId, 'full', 'test');
    const db = statusDb(t.signet.store);
    await expect(db.updateTable('crl_archive_pieces').set({ bytes: Buffer.from([0]) }).where('crl_id', '=', published.id).execute()).rejects.toThrow(/unchanged/);
    await expect(db.deleteFrom('crl_archive_pieces').where('crl_id', '=', published.id).where('seq', '=', 1).execute()).rejects.toThrow(/unchanged/);
    if (backend === 'postgres') await expect(sql`truncate crl_archive_pieces`.execute(db)).rejects.toThrow(/unchanged/);
    expect((await new CrlPublisher(t.signet.ca, PUBLIC_URL).byNumber(h.issuing.caId, published.crlNumber))!.der.equals(published.der)).toBe(true);
  });

  it('evidence (R14) locates the CRL in force from its pieces: embedded when short, beside the package when long, byte for byte', async () => {
    const published = await pieced.publish(h.issuing.caId, 'full', 'test');
    const at = new Date(t.signet.ca.now().getTime() + 1000);
    const reader = new CrlPublisher(t.signet.ca, PUBLIC_URL);
    const status = { crlInForceAt: (caId: string, time: Date) => reader.inForceAt(caId, time), revocation: (serial: string) => t.signet.status.revocation(serial) };
    for (const embedCrlUpTo of [1024 * 1024, 4096]) {
      const service = new EvidenceService(t.signet.ca, status as never, t.signet.tsa, { ...DEFAULT_EVIDENCE_OPTIONS, embedCrlUpTo });
      const made = await service.produce({ serial: revokedSerial, at, requestedBy: 'test' });
      expect(made.manifest.statusAtTime).toBe('revoked');
      expect(made.manifest.crl).toMatchObject({ crlNumber: published.crlNumber, listed: true, signatureValid: true, embedded: embedCrlUpTo > published.der.length });
      const beside = made.detached['crl.der'];
      if (embedCrlUpTo < published.der.length) expect(beside!.equals(published.der)).toBe(true);
      else expect(beside).toBeUndefined();
      const verified = await verifyEvidencePackage(made.der, [h.root.der], made.detached);
      expect(verified.problems).toEqual([]);
      expect(verified.valid).toBe(true);
    }
  });

  it("stops a faulty signer's CRL in pieces before publication (the signature is verified over the pieces as written): no row, no audit entry, no piece left", async () => {
    const ca = t.signet.ca;
    // A signer that signs one octet more than it is given: a token fault, a bit flipped in memory.
    const faultyCa = new Proxy(ca, {
      get(target, property) {
        if (property === 'issuerContext') {
          return async (caId: string) => {
            const context = await target.issuerContext(caId);
            const real = context.signer;
            const signer: Signer = {
              keyAlgorithm: real.keyAlgorithm,
              scheme: real.scheme,
              hash: real.hash,
              publicKeyInfo: real.publicKeyInfo,
              signatureAlgorithm: real.signatureAlgorithm,
              sign: (message) => real.sign(Buffer.concat([message, Buffer.from([0])])),
              startSigning: () => {
                const stream = signingStream(real);
                return { update: (part) => stream.update(part), sign: () => (stream.update(Buffer.from([0])), stream.sign()) };
              },
            };
            return { ...context, signer };
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const faulty = new CrlPublisher(faultyCa, PUBLIC_URL, { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000 });
    const db = statusDb(t.signet.store);
    const countPieces = async () => Number((await db.selectFrom('crl_archive_pieces').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
    const before = { history: await t.signet.status.crls.history(h.issuing.caId), pieces: await countPieces() };
    await expect(faulty.publish(h.issuing.caId, 'full', 'test:faulty')).rejects.toThrow(/produced a bad CRL signature/);
    expect(await t.signet.status.crls.history(h.issuing.caId)).toEqual(before.history);
    expect(await countPieces()).toBe(before.pieces);
    expect((await db.selectFrom('audit_entries').select('hash').where('actor', '=', 'test:faulty').execute()).length).toBe(0);
    // The same publisher with the CA's own signer publishes.
    expect((await pieced.publish(h.issuing.caId, 'full', 'test')).entries).toBe(401);
  });

  /** Publishing with `faults` (and a signer that counts) fails with `expected`, and leaves no row, no audit entry and no piece. */
  async function refusedWithNothingLeft(faults: CrlFaults, expected: RegExp, actor: string): Promise<{ signatures: number; error: unknown }> {
    const counter = { signatures: 0 };
    const publisher = new CrlPublisher(withSigner(t.signet.ca, (real) => countingSigner(real, counter)), PUBLIC_URL, { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000 }, faults);
    const db = statusDb(t.signet.store);
    const countPieces = async () => Number((await db.selectFrom('crl_archive_pieces').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
    const before = { history: await t.signet.status.crls.history(h.issuing.caId), pieces: await countPieces() };
    const error: unknown = await publisher.publish(h.issuing.caId, 'full', actor).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, 'the publication should have been refused').toBeInstanceOf(Error);
    const message = `${(error as Error).message} ${JSON.stringify((error as { params?: unknown }).params ?? '')}`;
    expect(message).toMatch(expected);
    expect(await t.signet.status.crls.history(h.issuing.caId)).toEqual(before.history);
    expect(await countPieces()).toBe(before.pieces);
    expect((await db.selectFrom('audit_entries').select('hash').where('actor', '=', actor).execute()).length).toBe(0);
    return { signatures: counter.signatures, error };
  }

  it('lints the pieces as they are written, which are the octets signed: a wrong piece of entries is found (RFC 5280 §5.1.2.6, §5.3.1) and nothing is published', async () => {
    // Each fault keeps the piece's length (a length that changes is refused before signing: next test); the lint
    // sees the piece the signer signs and the archive keeps, so what it finds is in what would have been published.
    const faults: Array<[string, (piece: Buffer) => void, RegExp]> = [
      [
        'a reasonCode written as unspecified',
        (piece) => {
          const at = piece.indexOf(Buffer.from('0403' + '0a0104', 'hex'));
          piece[at + 4] = 0;
        },
        /reasonCode unspecified written out/,
      ],
      [
        'a serial listed twice',
        (piece) => {
          const entries = entriesOf(piece);
          const length = (e: (typeof entries)[number]) => e.serialEnd - e.serialStart;
          const i = entries.findIndex((e, k) => k > 0 && length(e) === length(entries[k - 1]!));
          piece.copy(piece, entries[i]!.serialStart, entries[i - 1]!.serialStart, entries[i - 1]!.serialEnd);
        },
        /listed twice/,
      ],
      [
        'a revocationDate years after thisUpdate',
        (piece) => {
          const [first] = entriesOf(piece);
          piece.write('49', first!.timeStart, 'latin1');
        },
        /revocationDate after thisUpdate/,
      ],
      [
        'a negative serial',
        (piece) => {
          const [, , third] = entriesOf(piece);
          piece[third!.serialStart] = 0xd0;
        },
        /negative serial/,
      ],
      [
        'an entry that is not DER',
        (piece) => {
          const [first] = entriesOf(piece);
          piece[first!.timeStart - 2] = 0x13; // revocationDate tagged PrintableString
        },
        /no revocation date|not DER|malformed/i,
      ],
    ];
    for (const [what, spoil, finding] of faults) {
      const { signatures } = await refusedWithNothingLeft({ entryPiece: (seq, piece) => (seq === 2 && spoil(piece), piece) }, finding, `test:wrong-piece`);
      // The lint runs on what was signed: the CRL was signed (once) and then stopped, never published.
      expect(signatures, what).toBe(1);
    }
    expect((await pieced.publish(h.issuing.caId, 'full', 'test')).entries).toBe(401);
  });

  it('signs nothing when the entries written are not the length the database counted for the TBS headers: longer or shorter', async () => {
    const longer = await refusedWithNothingLeft(
      { entryPiece: (seq, piece) => (seq === 3 ? Buffer.concat([piece, piece.subarray(0, entriesOf(piece)[0]!.end)]) : piece) },
      /not the \d+ its headers announce: nothing signed/,
      'test:longer',
    );
    expect(longer.signatures).toBe(0);
    const shorter = await refusedWithNothingLeft(
      { entryPiece: (seq, piece) => (seq === 3 ? piece.subarray(0, entriesOf(piece).at(-1)!.at) : piece) },
      /not the \d+ its headers announce: nothing signed/,
      'test:shorter',
    );
    expect(shorter.signatures).toBe(0);
  });

  it('publishes nothing when the archive does not hold the octets signed (an entry piece, the head or the tail changed by the store)', async () => {
    // With the whole CRL's SHA-256 taken as it was signed, and with a signature of a length it was not begun for
    // (then hashed from the archive): either way each stored piece must have the hash it had when signed.
    for (const [target, signatureLengths] of [
      ['entries', undefined],
      ['head', undefined],
      ['tail', undefined],
      ['entries', () => []],
      ['tail', () => [1]],
    ] as const) {
      // The head (seq 0) and then the tail are stored once the CRL is signed, after every piece of entries.
      let headStored = false;
      const { signatures } = await refusedWithNothingLeft(
        {
          ...(signatureLengths ? { signatureLengths } : {}),
          storedPiece: (seq, bytes) => {
            const spoil = target === 'entries' ? seq === 2 : target === 'head' ? seq === 0 : headStored && seq > 0;
            if (seq === 0) headStored = true;
            if (!spoil) return bytes;
            const copy = Buffer.from(bytes);
            copy[copy.length - 1]! ^= 0x01;
            return copy;
          },
        },
        /is not the CRL signed/,
        `test:store-${target}`,
      );
      expect(signatures, target).toBe(1);
    }
  });

  it('reads pages of entries (SQLite) or one COPY (PostgreSQL) with pieces archived on the way: full and partition CRLs list each entry once, the partitions together the full list', async () => {
    // Pages of 50 rows: SQLite reads the 401 entries in nine, each partition of two in about five.
    const schedule = { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000, pageSize: 50, partitions: [2] };
    const serials = (der: Buffer) => {
      const list: string[] = [];
      walkRevokedEntries(readPublishedCrl(der), (serial) => void list.push(serial.toString('hex')));
      return list;
    };
    const full = serials((await new CrlPublisher(t.signet.ca, PUBLIC_URL, schedule).publish(h.issuing.caId, 'full', 'test')).der);
    expect(full).toHaveLength(401);
    expect(new Set(full).size).toBe(401);
    const partitions: string[] = [];
    for (const index of [0, 1]) {
      const published = await new CrlPublisher(t.signet.ca, PUBLIC_URL, schedule).publish(h.issuing.caId, 'full', 'test', { partition: { count: 2, index } });
      const listed = serials(published.der);
      expect(listed).toHaveLength(published.entries);
      partitions.push(...listed);
    }
    expect(partitions.sort()).toEqual([...full].sort());
  });

  it("records the whole CRL's SHA-256 whether or not the signature had a length its hash was begun for (then from the archive, once each piece is the one signed)", async () => {
    for (const signatureLengths of [undefined, () => [], (signer: Signer) => likelySignatureLengths(signer.keyAlgorithm).map((n) => n + 7)]) {
      const publisher = new CrlPublisher(t.signet.ca, PUBLIC_URL, { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000 }, signatureLengths ? { signatureLengths } : {});
      const published = await publisher.publishArchived(h.issuing.caId, 'full', 'test:whole-hash');
      const der = Buffer.concat((await piecesOf(published.id)).map((p) => p.bytes));
      expect(der.length).toBe(published.bytes);
      expect(published.sha256).toBe(createHash('sha256').update(der).digest('hex'));
      expect(readPublishedCrl(der).crlNumber).toBe(BigInt(published.crlNumber));
    }
  });

  it('a process killed with SIGKILL between pieces leaves no half CRL in force; the next publication takes the number and the dead pieces go', async () => {
    const before = await pieced.publish(h.issuing.caId, 'full', 'test');
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'test-support', 'crash-between-crl-pieces.ts'), h.issuing.caId], {
      env: {
        ...process.env,
        SIGNET_DATA: t.dir,
        SIGNET_DATABASE_URL: t.config.databaseUrl,
        SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE,
        SIGNET_PUBLIC_URL: PUBLIC_URL,
        SIGNET_LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(child.stdout).not.toContain('should have died');

    const db = statusDb(t.signet.store);
    const orphans = await db
      .selectFrom('crl_archive_pieces')
      .select(['crl_id', 'seq'])
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('crl_archive').select('id').whereRef('crl_archive.id', '=', 'crl_archive_pieces.crl_id'))))
      .execute();
    // Two pieces of entries were written (head and tail come after the signature), and nothing reads them: the
    // CRL in force is still the one before, whole.
    expect(orphans.map((p) => Number(p.seq)).sort()).toEqual([1, 2]);
    const reader = new CrlPublisher(t.signet.ca, PUBLIC_URL);
    expect((await reader.latestSummary(h.issuing.caId, 'full'))!.crlNumber).toBe(before.crlNumber);
    const inForce = await reader.inForceAt(h.issuing.caId, new Date(t.signet.ca.now().getTime() + 1000));
    expect(inForce!.crlNumber).toBe(before.crlNumber);
    expect(inForce!.der.equals(before.der)).toBe(true);
    expect((await db.selectFrom('audit_entries').select('hash').where('action', '=', 'crl.published').where('actor', '=', 'test:crash').execute()).length).toBe(0);

    // Within the hour the dead pieces stay (a publication still running on another node could own them)…
    const next = await pieced.publish(h.issuing.caId, 'full', 'test');
    expect(next.crlNumber).toBe(before.crlNumber + 1);
    expect((await db.selectFrom('crl_archive_pieces').select('seq').where('crl_id', '=', orphans[0]!.crl_id).execute()).length).toBe(2);
    // …past it, the next publication removes them; the published CRLs' pieces stay.
    clockOffsetMs = 2 * HOUR_MS;
    const later = await pieced.publish(h.issuing.caId, 'full', 'test');
    expect((await db.selectFrom('crl_archive_pieces').select('seq').where('crl_id', '=', orphans[0]!.crl_id).execute()).length).toBe(0);
    for (const crl of [before, next, later]) expect((await reader.byNumber(h.issuing.caId, crl.crlNumber))!.der.equals(crl.der)).toBe(true);
  }, 180_000);
});

/**
 * A list longer than a network chunk (PostgreSQL sends its COPY in chunks of about 64 KB) whose pieces are archived
 * while it is read: on PostgreSQL the COPY waits for each piece (src/status/crl-copy.ts), and a piece that cannot be
 * archived stops it there. Issue 22: the entries pass through the process without being held.
 */
describe.each(storeBackends)('a long list whose pieces are archived while it is read, on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  // 5,000 entries of ~40 octets: about 50 pieces; on PostgreSQL ~310 KB of COPY, several network chunks.
  const schedule = { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 4096, pageSize: 100 };
  const ENTRIES = 5000;

  beforeAll(async () => {
    t = await openTestSignet(backend, { publicUrl: PUBLIC_URL });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await seedRevocations(t.signet.store, h.issuing.caId, ENTRIES, { revokedAt: new Date().toISOString(), notAfter: '2099-01-01T00:00:00.000Z' });
  }, 120_000);
  afterAll(async () => {
    await t?.signet.close();
  });

  const countPieces = async () => Number((await statusDb(t.signet.store).selectFrom('crl_archive_pieces').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);

  it('publishes every entry once, archived in pieces while the list is read, and reads it back byte for byte', async () => {
    const published = await new CrlPublisher(t.signet.ca, PUBLIC_URL, schedule).publish(h.issuing.caId, 'full', 'test');
    expect(published.entries).toBe(ENTRIES);
    const listed: string[] = [];
    walkRevokedEntries(readPublishedCrl(published.der), (serial) => void listed.push(serial.toString('hex')));
    expect(new Set(listed).size).toBe(ENTRIES);
    expect(await countPieces()).toBeGreaterThan(40);
    expect((await new CrlPublisher(t.signet.ca, PUBLIC_URL).byNumber(h.issuing.caId, published.crlNumber))!.der.equals(published.der)).toBe(true);
  });

  it('stops at a piece that cannot be archived in the middle of the list: nothing published, no piece left, and the store serves the next publication', async () => {
    const history = await t.signet.status.crls.history(h.issuing.caId);
    const pieces = await countPieces();
    const failing: CrlFaults = {
      afterArchivedPiece: (seq) => {
        if (seq === 3) throw new Error('the archive failed at piece 3');
      },
    };
    await expect(new CrlPublisher(t.signet.ca, PUBLIC_URL, schedule, failing).publishArchived(h.issuing.caId, 'full', 'test:archive-fault')).rejects.toThrow(/the archive failed at piece 3/);
    expect(await t.signet.status.crls.history(h.issuing.caId)).toEqual(history);
    expect(await countPieces()).toBe(pieces);
    // The connection the list was read on was let go (PostgreSQL: closed in the middle of its COPY); the next one works.
    for (let i = 0; i < 3; i++) expect((await new CrlPublisher(t.signet.ca, PUBLIC_URL, schedule).publishArchived(h.issuing.caId, 'full', 'test')).entries).toBe(ENTRIES);
  });
});

/**
 * The TBS headers are written before the entries from the length the database counts by shape (serial length and
 * sign octet, UTCTime or GeneralizedTime, reasonCode, invalidityDate): a CRL whose entries take every shape, in a
 * year when revocation dates are of both time types (RFC 5280 §5.1.2.6), is published in pieces byte for byte as
 * asn1-x509 encodes each entry, and OpenSSL accepts its signature.
 */
describe.each(storeBackends)('CRL entries of every shape counted before they are written, on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;

  beforeAll(async () => {
    // 2051: revocations from before 2050 carry UTCTime, those since GeneralizedTime, and both are before thisUpdate.
    const offsetMs = Date.UTC(2051, 2, 1) - Date.now();
    t = await openTestSignet(backend, { publicUrl: PUBLIC_URL, clock: () => new Date(Date.now() + offsetMs) });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-crl-shapes-'));
  }, 120_000);
  afterAll(async () => {
    await t?.signet.close();
  });

  it('publishes entries of every shape in pieces, each as asn1-x509 encodes it, signed over the counted length', async () => {
    const rows: RevocationRow[] = [];
    const serials = new Set<string>();
    for (let i = 0; rows.length < 320; i++) {
      // RFC 5280 §4.1.2.2: at most 20 octets, the sign octet included.
      const octets = randomBytes(i % 3 === 0 ? 1 + (i % 19) : 1 + (i % 20));
      if (i % 3 === 0) octets[0]! |= 0x80; // a 00 sign octet in front
      else if (i % 3 === 1) octets[0] = 1 + (octets[0]! % 15); // an odd number of hex digits
      else octets[0] = 0x10 + (octets[0]! % 0x70);
      const serial = octets.toString('hex').replace(/^0/, '');
      if (serials.has(serial)) continue;
      serials.add(serial);
      const year = [2049, 2050, 2030, 2051][i % 4]!;
      rows.push({
        serial,
        revokedAt: new Date(Date.UTC(year, i % 2, 1 + (i % 28), i % 24, i % 60, (i * 7) % 60, i % 1000)).toISOString(),
        reasonCode: [0, 1, 2, 3, 4, 5, 9, 10][i % 8]!,
        invalidityDate: i % 5 === 0 ? new Date(Date.UTC(i % 2 ? 2049 : 2050, 5, 1 + (i % 28), 3, 4, 5, 678)).toISOString() : null,
        notAfter: '2099-01-01T00:00:00.000Z',
      });
    }
    await insertRevocations(t.signet.store, h.issuing.caId, rows);

    const published = await new CrlPublisher(t.signet.ca, PUBLIC_URL, { ...DEFAULT_CRL_SCHEDULE, pieceBytes: 1000 }).publish(h.issuing.caId, 'full', 'test');
    expect(published.entries).toBe(rows.length);
    const row = await statusDb(t.signet.store).selectFrom('crl_archive').select('pieces').where('id', '=', published.id).executeTakeFirstOrThrow();
    expect(Number(row.pieces)).toBeGreaterThan(10);

    const bySerial = new Map(rows.map((r) => [r.serial, r]));
    const reading = readPublishedCrl(published.der);
    let listed = 0;
    walkRevokedEntryFrames(reading, (frame) => {
      const serial = published.der.toString('hex', frame.serialStart, frame.serialEnd).replace(/^00(?=[89a-f])/, '').replace(/^0/, '');
      const stored = bySerial.get(serial);
      expect(stored, serial).toBeDefined();
      const expected = encodeEntryWithSchema({ serial: stored!.serial, revoked_at: stored!.revokedAt, reason_code: stored!.reasonCode, invalidity_date: stored!.invalidityDate });
      expect(published.der.subarray(frame.at, frame.end).toString('hex'), serial).toBe(expected.toString('hex'));
      listed += 1;
    });
    expect(listed).toBe(rows.length);
    // Both time types are there, as the counted length assumed.
    expect(published.der.includes(Buffer.from('\x18\x0f2050', 'latin1'))).toBe(true);
    expect(published.der.includes(Buffer.from('\x17\x0d49', 'latin1'))).toBe(true);

    const crlPath = join(dir, 'shapes.crl');
    writeFileSync(crlPath, published.der);
    expect(runTool('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-CAfile', writePem(dir, 'issuing.pem', h.issuing.der), '-noout']).stderr).toContain('verify OK');
  });
});
