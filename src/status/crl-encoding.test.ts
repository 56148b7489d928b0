import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, CertificateList, Name, Extension } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import {
  ChunkedDer,
  EntryLines,
  RevokedEntryEncoder,
  assembleCertificateList,
  assembleTbsCertList,
  CrlSizeChanged,
  TbsCertListWriter,
  encodeEntryWithSchema,
  entriesLengthOf,
  maxEntryLength,
  sequenceHeader,
  type CrlEntry,
} from './crl-encoding.js';
import { readPublishedCrl, walkRevokedEntries } from './crl-reader.js';

function randomEntry(i: number): CrlEntry {
  const length = 1 + (i % 20);
  const serial = randomBytes(length);
  if (i % 3 === 0) serial[0]! |= 0x80; // needs the 00 sign octet
  const hex = serial.toString('hex').replace(/^(00)+(?=.)/, '');
  const year = i % 5 === 0 ? 2051 + (i % 30) : 2000 + (i % 49);
  const at = new Date(Date.UTC(year, i % 12, 1 + (i % 28), i % 24, i % 60, (i * 7) % 60, i % 1000)).toISOString();
  return {
    serial: hex,
    revoked_at: at,
    reason_code: [0, 1, 2, 3, 4, 5, 9, 10][i % 8]!,
    invalidity_date: i % 4 === 0 ? new Date(Date.UTC(2026, 0, 1 + (i % 28), 3, 4, 5, 678)).toISOString() : null,
  };
}

describe('streamed CRL encoding (docs/status.md)', () => {
  it('writes every entry shape byte for byte as asn1-x509 RevokedCertificate does (RFC 5280 §5.1.2.6)', () => {
    const encoder = new RevokedEntryEncoder();
    for (let i = 0; i < 3000; i++) {
      const entry = randomEntry(i);
      const out = new ChunkedDer(64);
      const length = encoder.write(entry, out);
      const bytes = Buffer.alloc(length);
      out.drainInto(bytes, 0);
      expect(bytes.toString('hex'), JSON.stringify(entry)).toBe(encodeEntryWithSchema(entry).toString('hex'));
    }
  });

  it('gives the DER length of a list from its tally by shape, as the entries written add up (the TBS headers are written first)', () => {
    const entries = Array.from({ length: 3000 }, (_, i) => randomEntry(i));
    // The tally as crl-publisher.ts counts it in SQL: serial octets with the sign octet, UTCTimes, the two extensions.
    const tally = { entries: 0, serialOctets: 0, utcTimes: 0, reasons: 0, invalidityDates: 0, both: 0 };
    let written = 0;
    for (const e of entries) {
      tally.entries += 1;
      tally.serialOctets += Math.ceil(e.serial.length / 2) + (e.serial.length % 2 === 0 && parseInt(e.serial[0]!, 16) >= 8 ? 1 : 0);
      if (e.revoked_at < '2050') tally.utcTimes += 1;
      if (e.reason_code !== 0) tally.reasons += 1;
      if (e.invalidity_date) tally.invalidityDates += 1;
      if (e.reason_code !== 0 && e.invalidity_date) tally.both += 1;
      written += encodeEntryWithSchema(e).length;
    }
    expect(entriesLengthOf(tally)).toBe(written);
    expect(entriesLengthOf({ entries: 0, serialOctets: 0, utcTimes: 0, reasons: 0, invalidityDates: 0, both: 0 })).toBe(0);
  });

  it('writes the lines of a page the database aggregated (SQLite) byte for byte as the entries themselves, with or without a shard key', () => {
    const entries = Array.from({ length: 3000 }, (_, i) => randomEntry(i));
    const line = (e: CrlEntry, i: number) => `${e.serial} ${e.revoked_at} ${e.reason_code} ${e.invalidity_date ?? '-'}${i % 2 ? ` ${(i % 65536).toString(16).padStart(4, '0')}` : ''}`;
    const page = entries.map(line).join('\n');
    const fromLines = new ChunkedDer(4096);
    const lineEncoder = new RevokedEntryEncoder();
    let lines = 0;
    for (let at = 0; at < page.length; lines++) at = lineEncoder.writeLine(page, at, fromLines);
    expect(lines).toBe(entries.length);
    const fromEntries = new ChunkedDer(4096);
    const entryEncoder = new RevokedEntryEncoder();
    for (const e of entries) entryEncoder.write(e, fromEntries);
    const a = Buffer.alloc(fromLines.length);
    const b = Buffer.alloc(fromEntries.length);
    fromLines.drainInto(a, 0);
    fromEntries.drainInto(b, 0);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(Buffer.concat(entries.map(encodeEntryWithSchema)))).toBe(true);
    // A line without its fields is refused, not written half.
    for (const bad of ['5abc', '5abc 2026-01-01T00:00:00.000Z', '5abc 2026-01-01T00:00:00.000Z x -']) {
      expect(() => new RevokedEntryEncoder().writeLine(bad, 0, new ChunkedDer(64)), bad).toThrow(/CRL page line/);
    }
  });

  it('writes the lines PostgreSQL sends by COPY as octets, in chunks that split lines anywhere, byte for byte as the entries themselves', () => {
    const entries = Array.from({ length: 600 }, (_, i) => randomEntry(i));
    const line = (e: CrlEntry, i: number) => `${e.serial} ${e.revoked_at} ${e.reason_code} ${e.invalidity_date ?? '-'}${i % 2 ? ` ${(i % 65536).toString(16).padStart(4, '0')}` : ''}\n`;
    const octets = Buffer.from(entries.map(line).join(''), 'latin1');
    const expected = Buffer.concat(entries.map(encodeEntryWithSchema));
    const written = (chunks: Array<[Buffer, number, number]>) => {
      const out = new ChunkedDer(4096);
      const lines = new EntryLines(new RevokedEntryEncoder(), out);
      for (const [chunk, start, end] of chunks) lines.write(chunk, start, end);
      lines.end();
      const der = Buffer.alloc(out.length);
      out.drainInto(der, 0);
      return { der, lines: lines.lines };
    };
    // Every split of the first lines in two (inside a serial, a time, at a newline, just after one), then chunks of
    // a few sizes, each a range of a larger buffer as a network chunk is.
    const head = octets.subarray(0, octets.indexOf('\n', 400) + 1);
    const headEntries = head.toString('latin1').split('\n').length - 1;
    const headExpected = Buffer.concat(entries.slice(0, headEntries).map(encodeEntryWithSchema));
    for (let cut = 0; cut <= head.length; cut++) {
      const { der, lines } = written([
        [head, 0, cut],
        [head, cut, head.length],
      ]);
      expect(lines, `cut at ${cut}`).toBe(headEntries);
      expect(der.equals(headExpected), `cut at ${cut}`).toBe(true);
    }
    for (const size of [1, 7, 64, 1000, octets.length]) {
      const padded = Buffer.concat([Buffer.from('xx'), octets, Buffer.from('yy')]);
      const chunks: Array<[Buffer, number, number]> = [];
      for (let at = 2; at < padded.length - 2; at += size) chunks.push([padded, at, Math.min(at + size, padded.length - 2)]);
      const { der, lines } = written(chunks);
      expect(lines, `chunks of ${size}`).toBe(entries.length);
      expect(der.equals(expected), `chunks of ${size}`).toBe(true);
    }
    // A stream cut inside a line is refused at its end; a line without its fields is refused, not written half.
    expect(() => written([[octets, 0, octets.length - 3]])).toThrow(/inside a line/);
    for (const bad of ['5abc\n', '5abc 2026-01-01T00:00:00.000Z\n', '5abc 2026-01-01T00:00:00.000Z x -\n']) {
      expect(() => written([[Buffer.from(bad), 0, bad.length]]), bad).toThrow(/CRL line/);
    }
  });

  it('assembles a CertificateList that asn1-x509 parses back with every entry, across chunk boundaries', () => {
    const encoder = new RevokedEntryEncoder();
    const chunks = new ChunkedDer(1000);
    const entries = Array.from({ length: 500 }, (_, i) => randomEntry(i));
    for (const entry of entries) encoder.write(entry, chunks);
    const tbs = assembleTbsCertList(
      {
        signature: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }),
        issuer: new Name([]),
        thisUpdate: new Date('2026-03-01T10:00:00Z'),
        nextUpdate: new Date('2026-03-02T10:00:00Z'),
        crlExtensions: [new Extension({ extnID: '2.5.29.20', critical: false })],
      },
      chunks,
    );
    const der = assembleCertificateList(tbs, new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }), new Uint8Array([1, 2, 3]));
    const parsed = AsnConvert.parse(der, CertificateList);
    expect(parsed.tbsCertList.revokedCertificates).toHaveLength(500);
    expect(parsed.tbsCertList.crlExtensions?.[0]?.extnID).toBe('2.5.29.20');
    expect(Buffer.from(parsed.tbsCertList.revokedCertificates![7]!.userCertificate).toString('hex').replace(/^00/, '')).toBe(entries[7]!.serial);
    expect(Buffer.from(AsnConvert.serialize(parsed)).equals(der)).toBe(true);
  });

  it('leaves revokedCertificates out entirely when nothing is revoked (RFC 5280 §5.1.2.6)', () => {
    const tbs = assembleTbsCertList(
      { signature: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }), issuer: new Name([]), thisUpdate: new Date(), nextUpdate: new Date(), crlExtensions: [] },
      new ChunkedDer(),
    );
    const parsed = AsnConvert.parse(assembleCertificateList(tbs, new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }), new Uint8Array([1])), CertificateList);
    expect(parsed.tbsCertList.revokedCertificates ?? []).toHaveLength(0);
  });

  it('never needs more room per entry than maxEntryLength, and a buffer with room to spare gives the same DER as an exact one', () => {
    const longest = maxEntryLength();
    const entries = Array.from({ length: 2000 }, (_, i) => randomEntry(i));
    for (const e of entries) expect(encodeEntryWithSchema(e).length, JSON.stringify(e)).toBeLessThanOrEqual(longest);
    // The worst case itself: a 20-octet serial with its sign octet, GeneralizedTime, a reason and an invalidity date.
    expect(encodeEntryWithSchema({ serial: 'ff'.repeat(20), revoked_at: '2051-01-01T00:00:00.000Z', reason_code: 10, invalidity_date: '2051-01-01T00:00:00.000Z' }).length).toBe(longest);
    const fields = {
      signature: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }),
      issuer: new Name([]),
      thisUpdate: new Date('2026-03-01T10:00:00Z'),
      nextUpdate: new Date('2026-03-02T10:00:00Z'),
      crlExtensions: [new Extension({ extnID: '1.2.3.4', critical: false })],
    };
    const encoder = new RevokedEntryEncoder();
    const chunks = new ChunkedDer();
    const roomy = new TbsCertListWriter(fields, entries.length * longest);
    for (const e of entries) {
      encoder.write(e, chunks);
      encoder.write(e, roomy);
    }
    const exact = assembleTbsCertList(fields, chunks);
    const spare = roomy.finish();
    expect(spare.equals(exact)).toBe(true);
    const der = roomy.signed(fields.signature, new Uint8Array([1, 2, 3]));
    // Finished in place around the TBS, the same bytes as a copy would give.
    expect(der.equals(assembleCertificateList(exact, fields.signature, new Uint8Array([1, 2, 3])))).toBe(true);
    // 2,000 entries pass asn1js's node cap: the frame walk evidence uses counts them over the signed bytes.
    expect(walkRevokedEntries(readPublishedCrl(der), () => undefined)).toBe(2000);
    // More entries than the room given is refused, never written past the buffer.
    const tight = new TbsCertListWriter(fields, longest);
    encoder.write(entries[0]!, tight);
    expect(() => {
      for (let i = 0; i < 3; i++) encoder.write({ ...entries[0]!, serial: 'ff'.repeat(20) }, tight);
    }).toThrow(CrlSizeChanged);
  });

  it('writes DER definite lengths in the short and long forms (X.690 §8.1.3)', () => {
    expect(sequenceHeader(5).toString('hex')).toBe('3005');
    expect(sequenceHeader(127).toString('hex')).toBe('307f');
    expect(sequenceHeader(128).toString('hex')).toBe('308180');
    expect(sequenceHeader(50_000_000).toString('hex')).toBe('308402faf080');
  });
});
