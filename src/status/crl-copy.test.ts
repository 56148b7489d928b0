import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CopyOut } from './crl-copy.js';

/** A backend message (PostgreSQL, "Message Formats"): its type, its length counting itself, its body. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/**
 * What the server sends for a COPY TO STDOUT of `rows` (one text column): CopyOutResponse, a CopyData per row (a
 * notice among them, as the server may send one at any time), CopyDone, CommandComplete, ReadyForQuery.
 */
function copyOutStream(rows: string[]): { octets: Buffer; endAt: number } {
  const parts = [message('H', Buffer.from([0, 0, 1, 0, 0]))];
  rows.forEach((row, i) => {
    parts.push(message('d', Buffer.from(`${row}\n`, 'latin1')));
    if (i === 2) parts.push(message('N', Buffer.from('SNOTICE\0\0', 'latin1')));
  });
  const before = Buffer.concat(parts);
  const end = Buffer.concat([message('c', Buffer.alloc(0)), message('C', Buffer.from(`COPY ${rows.length}\0`, 'latin1')), message('Z', Buffer.from('I'))]);
  return { octets: Buffer.concat([before, end]), endAt: before.length };
}

/**
 * A connection whose socket is driven by the test: node-postgres's parser is its one 'data' listener, as in pg's
 * Connection, and records what it is handed.
 */
function fakeConnection() {
  // pause() and resume() as a socket's: while paused, the test sends nothing (a socket would hold the data).
  const stream = Object.assign(new EventEmitter(), {
    pauses: 0,
    isPaused: false,
    pause: () => void ((stream.isPaused = true), stream.pauses++),
    resume: () => void (stream.isPaused = false),
  });
  const parsed: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => void parsed.push(chunk));
  const sent: string[] = [];
  const connection = { stream, query: (text: string) => void sent.push(text) } as unknown as pg.Connection;
  return { connection, stream, parsed, sent };
}

describe('COPY TO STDOUT read from the socket (src/status/crl-copy.ts)', () => {
  const rows = Array.from({ length: 12 }, (_, i) => `${(i * 7919).toString(16)} 2026-01-0${1 + (i % 9)}T00:00:00.000Z ${i % 11} -`);
  const expected = rows.map((row) => `${row}\n`).join('');

  it('hands the consumer every row octet in order and node-postgres everything from CopyDone on, wherever the network splits the messages', async () => {
    const { octets, endAt } = copyOutStream(rows);
    for (const size of [1, 2, 3, 5, 7, 64, octets.length]) {
      for (let first = 1; first <= Math.min(size, 9); first++) {
        const { connection, stream, parsed, sent } = fakeConnection();
        let received = '';
        let chunks = 0;
        const copy = new CopyOut('COPY (SELECT 1) TO STDOUT', {
          data: (chunk, start, end) => void (received += chunk.toString('latin1', start, end)),
          afterChunk: () => void chunks++,
        });
        copy.submit(connection);
        expect(sent).toEqual(['COPY (SELECT 1) TO STDOUT']);
        // The first chunk of `first` octets, then chunks of `size`, each a copy of its own as a socket read is.
        for (let at = 0; at < octets.length; at = Math.min(octets.length, at === 0 ? first : at + size)) {
          stream.emit('data', Buffer.from(octets.subarray(at, at === 0 ? first : at + size)));
        }
        expect(received, `chunks of ${size}, first ${first}`).toBe(expected);
        expect(Buffer.concat(parsed).equals(octets.subarray(endAt)), `chunks of ${size}, first ${first}`).toBe(true);
        expect(stream.listeners('data')).toHaveLength(1);
        expect(chunks).toBeGreaterThan(0);
        copy.handleCommandComplete();
        copy.handleReadyForQuery();
        await expect(copy.done).resolves.toBe(rows.length);
      }
    }
  });

  it('waits while the consumer is busy after a chunk, and fails when it fails, handing nothing more to anyone', async () => {
    const { octets } = copyOutStream(rows);
    const { connection, stream, parsed } = fakeConnection();
    let calls = 0;
    const copy = new CopyOut('COPY (SELECT 1) TO STDOUT', {
      data: () => undefined,
      afterChunk: () => (++calls === 2 ? Promise.reject(new Error('the archive failed')) : undefined),
    });
    copy.submit(connection);
    const failed = copy.done.catch((error: unknown) => error);
    for (let at = 0; at < octets.length; at += 40) {
      while (stream.isPaused) await new Promise((resolve) => setImmediate(resolve));
      stream.emit('data', Buffer.from(octets.subarray(at, at + 40)));
    }
    expect(await failed).toEqual(new Error('the archive failed'));
    expect(stream.pauses).toBe(1);
    expect(calls).toBe(2);
    // Nothing was handed to node-postgres's parser: the caller closes the connection (SignetDatabase.withClient).
    expect(parsed).toHaveLength(0);
  });

  it("reports the server's error (an ErrorResponse in place of the COPY) through node-postgres", async () => {
    const { connection, stream, parsed } = fakeConnection();
    const copy = new CopyOut('COPY (SELECT nothing) TO STDOUT', { data: () => undefined, afterChunk: () => undefined });
    copy.submit(connection);
    const error = message('E', Buffer.from('SERROR\0Mcolumn "nothing" does not exist\0\0', 'latin1'));
    stream.emit('data', error);
    expect(Buffer.concat(parsed).equals(error)).toBe(true);
    // node-postgres parses it and calls handleError on the active query.
    copy.handleError(new Error('column "nothing" does not exist'));
    await expect(copy.done).rejects.toThrow(/does not exist/);
  });
});
