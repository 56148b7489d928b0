import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * PostgreSQL's COPY for the CRL publisher (issue 22: a million entries within 200 MB). node-postgres turns every
 * field it reads into a string and copies every parameter it sends into a message buffer of its own: for a
 * million-entry CRL, 62 MB of page strings, 80 MB of parser buffers and a MiB per archived piece, freed only at
 * garbage collections, and the publication's peak memory varied with them (170-262 MB between identical runs,
 * docs/performance.md). COPY hands the octets over as they travel: pieces go in by pg-copy-streams' COPY FROM,
 * entries come out by CopyOut below.
 */

/** PGCOPY's binary file header (PostgreSQL, COPY, "Binary Format"): the signature, no flags, no header extension. */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

/**
 * One row of crl_archive_pieces by COPY FROM STDIN in binary form: the piece's octets go to the socket as they are,
 * never copied into a message buffer. Resolves once the server has taken the row (so the caller may reuse `bytes`).
 */
export async function copyPieceIn(client: pg.PoolClient, row: { crl_id: string; seq: number; bytes: Buffer; created_at: string }): Promise<void> {
  const id = Buffer.from(row.crl_id, 'utf8');
  const createdAt = Buffer.from(row.created_at, 'utf8');
  // A tuple: its field count, then each field as its length and octets (text as UTF-8, integer as int4, bytea as is).
  const before = Buffer.alloc(BINARY_HEADER.length + 2 + 4 + id.length + 4 + 4 + 4);
  let at = BINARY_HEADER.copy(before, 0);
  at = before.writeInt16BE(4, at);
  at = before.writeInt32BE(id.length, at);
  at += id.copy(before, at);
  at = before.writeInt32BE(4, at);
  at = before.writeInt32BE(row.seq, at);
  before.writeInt32BE(row.bytes.length, at);
  const after = Buffer.alloc(4 + createdAt.length + 2);
  at = after.writeInt32BE(createdAt.length, 0);
  at += createdAt.copy(after, at);
  // The trailer: a field count of -1.
  after.writeInt16BE(-1, at);
  const stream = client.query(copyFrom('COPY crl_archive_pieces (crl_id, seq, bytes, created_at) FROM STDIN (FORMAT binary)'));
  stream.write(before);
  stream.write(row.bytes);
  stream.end(after);
  await finished(stream);
}

/** Where a COPY TO STDOUT's octets go: `data` for each stretch of a row's octets as it arrives, `afterChunk` after each network chunk. */
export interface CopyOutConsumer {
  /** Octets chunk[start, end) of the rows, in order (a row may be split between two calls). Synchronous. */
  data(chunk: Buffer, start: number, end: number): void;
  /** After each network chunk; while the promise it may return is pending, nothing more is read (the server waits). */
  afterChunk(): void | Promise<void>;
}

/** The backend messages a COPY TO STDOUT is made of (PostgreSQL, "Message Formats"). */
const COPY_OUT_RESPONSE = 0x48; // 'H'
const COPY_DATA = 0x64; // 'd'
/** Messages the server may send at any time, which the COPY skips as pg-copy-streams does. */
const ASYNCHRONOUS = new Set([0x4e /* 'N' notice */, 0x53 /* 'S' parameter status */, 0x41 /* 'A' notification */]);

/**
 * COPY … TO STDOUT that hands the consumer the socket's own chunks (start and end of each row's octets), with no
 * object per row. pg-copy-streams' copy-to (used for COPY FROM above) takes a Buffer slice per row and copies each
 * network chunk once more: a million rows made 130 MB of short-lived objects, which grew V8's young generation.
 * Like it, this reads the socket itself from the Query until CopyDone (or an ErrorResponse), and hands everything
 * from there on back to node-postgres's parser, which then reports the command's completion or error here.
 */
export class CopyOut {
  readonly done: Promise<number>;
  private resolve!: (rows: number) => void;
  private reject!: (error: Error) => void;
  private connection: pg.Connection | null = null;
  private parserListener: ((chunk: Buffer) => void) | null = null;
  /** The current message: its type, the octets of its length still to read (of 4), the octets of its body still to read. */
  private code = 0;
  private lengthOctets = 0;
  private length = 0;
  private bodyLeft = 0;
  private rows = 0;
  private failed = false;

  constructor(
    readonly text: string,
    private readonly consumer: CopyOutConsumer,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    this.connection = connection;
    const stream = connection.stream;
    const listeners = stream.listeners('data') as Array<(chunk: Buffer) => void>;
    if (listeners.length !== 1) throw new Error(`COPY expects node-postgres's one reader on the socket, found ${listeners.length}`);
    this.parserListener = listeners[0]!;
    stream.removeListener('data', this.parserListener);
    stream.on('data', this.onData);
    connection.query(this.text);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.failed) return;
    try {
      for (let at = 0; at < chunk.length; ) {
        if (this.bodyLeft > 0) {
          const end = Math.min(chunk.length, at + this.bodyLeft);
          if (this.code === COPY_DATA) this.consumer.data(chunk, at, end);
          this.bodyLeft -= end - at;
          at = end;
          continue;
        }
        if (this.lengthOctets === 0) {
          const code = chunk[at]!;
          if (code !== COPY_OUT_RESPONSE && code !== COPY_DATA && !ASYNCHRONOUS.has(code)) {
            // CopyDone, an ErrorResponse or anything else: node-postgres's parser reads on from this message.
            this.detach(chunk.subarray(at));
            return;
          }
          this.code = code;
          this.lengthOctets = 4;
          this.length = 0;
          at++;
          continue;
        }
        // The message's length (it counts its own four octets), which a chunk may split.
        this.length = this.length * 256 + chunk[at++]!;
        if (--this.lengthOctets === 0) {
          this.bodyLeft = this.length - 4;
          if (this.code === COPY_DATA) this.rows++;
        }
      }
      releaseChunk(chunk);
      const pending = this.consumer.afterChunk();
      if (pending) {
        const stream = this.connection!.stream;
        stream.pause();
        pending.then(
          () => stream.resume(),
          (error: unknown) => this.fail(error),
        );
      }
    } catch (error) {
      this.fail(error);
    }
  };

  private detach(rest: Buffer): void {
    const stream = this.connection!.stream;
    stream.removeListener('data', this.onData);
    stream.on('data', this.parserListener!);
    this.parserListener!(rest);
  }

  /**
   * The consumer failed: the rest of the COPY is read and dropped (the socket must not stay paused), and the caller
   * closes this connection (SignetDatabase.withClient), which ends node-postgres's client in good order.
   */
  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.reject(error instanceof Error ? error : new Error(String(error)));
    this.connection?.stream.resume();
  }

  // node-postgres calls these once its parser reads the end of the COPY.
  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (!this.failed) this.resolve(this.rows);
  }

  handleError(error: Error): void {
    if (!this.failed) this.reject(error);
    this.failed = true;
  }
}

/**
 * The rows of `select` (one text column) by COPY TO STDOUT in a read-only transaction whose settings are `settings`
 * (SET LOCAL statements), handed to `consumer` as they arrive (CopyOut). Returns how many rows the server sent.
 */
export async function copyRowsOut(client: pg.PoolClient, settings: string[], select: string, consumer: CopyOutConsumer): Promise<number> {
  await client.query('BEGIN TRANSACTION READ ONLY');
  for (const setting of settings) await client.query(setting);
  const copy = new CopyOut(`COPY (${select}) TO STDOUT`, consumer);
  client.query(copy);
  const rows = await copy.done;
  await client.query('COMMIT');
  return rows;
}

/**
 * Frees a network chunk read to its end now rather than at the next garbage collection. Each read has an
 * ArrayBuffer of its own, which V8 counts as external memory and frees only at a collection: with almost no objects
 * made per row, collections are rare and 64 MB of chunks piled up first (the publication's peak). Only a chunk that
 * owns its whole ArrayBuffer is freed, and only once nothing else can see it (not the one handed back to node-postgres).
 */
function releaseChunk(chunk: Buffer): void {
  const buffer = chunk.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength && typeof buffer.transfer === 'function') buffer.transfer(0);
}
