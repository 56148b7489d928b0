import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, CertificateList, CRLNumber, Extension, Name, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { ChunkedDer, RevokedEntryEncoder, assembleCertificateList, assembleTbsCertList, type CrlEntry } from './crl-encoding.js';
import { CrlMalformed, crlSignatureValid, findRevokedEntry, readPublishedCrl, walkRevokedEntries } from './crl-reader.js';

const ECDSA_SHA256 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = publicKey.export({ type: 'spki', format: 'der' });

function entry(i: number): CrlEntry {
  const length = 1 + (i % 20);
  const serial = randomBytes(length);
  if (i % 3 === 0) serial[0]! |= 0x80; // takes the 00 sign octet
  return {
    serial: serial.toString('hex').replace(/^(00)+(?=.)/, ''),
    revoked_at: new Date(Date.UTC(i % 5 === 0 ? 2051 : 2026, i % 12, 1 + (i % 28), i % 24, i % 60, (i * 7) % 60)).toISOString(),
    reason_code: [0, 1, 2, 3, 4, 5, 9, 10][i % 8]!,
    invalidity_date: i % 4 === 0 ? '2026-01-02T03:04:05.000Z' : null,
  };
}

/** A CRL signed for real over the bytes the streamed encoder wrote (the publisher's path, without a store). */
function signedCrl(entries: CrlEntry[], crlNumber = 7): Buffer {
  const encoder = new RevokedEntryEncoder();
  const chunks = new ChunkedDer();
  for (const e of entries) encoder.write(e, chunks);
  const tbs = assembleTbsCertList(
    {
      signature: ECDSA_SHA256,
      issuer: new Name([]),
      thisUpdate: new Date('2026-12-01T02:00:00Z'),
      nextUpdate: new Date('2026-12-02T02:00:00Z'),
      crlExtensions: [new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(crlNumber))) })],
    },
    chunks,
  );
  return assembleCertificateList(tbs, ECDSA_SHA256, sign('sha256', tbs, privateKey));
}

describe('reading a published CRL without a parse tree of its entries (R14, RFC 5280 §5.1)', () => {
  it('reads the frame and finds every entry exactly as asn1-x509 reads it, and no serial that is not on it', () => {
    // One- and two-octet random serials repeat: a CRL lists a serial once.
    const seen = new Set<string>();
    const entries = Array.from({ length: 600 }, (_, i) => entry(i)).filter((e) => !seen.has(e.serial) && seen.add(e.serial));
    const der = signedCrl(entries);
    const crl = readPublishedCrl(der);
    const reference = AsnConvert.parse(der, CertificateList);
    expect(crl.thisUpdate.toISOString()).toBe('2026-12-01T02:00:00.000Z');
    expect(crl.nextUpdate?.toISOString()).toBe('2026-12-02T02:00:00.000Z');
    expect(crl.crlNumber).toBe(7n);
    expect(crl.tbs.equals(Buffer.from(AsnConvert.serialize(reference.tbsCertList)))).toBe(true);
    expect(crlSignatureValid(crl, spki)).toBe(true);
    expect(walkRevokedEntries(crl, () => false)).toBe(entries.length);
    for (const [i, e] of entries.entries()) {
      const found = findRevokedEntry(crl, e.serial);
      expect(found && Buffer.from(AsnConvert.serialize(found)).toString('hex'), e.serial).toBe(
        Buffer.from(AsnConvert.serialize(reference.tbsCertList.revokedCertificates![i]!)).toString('hex'),
      );
    }
    expect(findRevokedEntry(crl, 'abcdef0123456789')).toBeNull();
    // The serial as the store normalises it (a leading 00 octet) names the same entry.
    expect(findRevokedEntry(crl, `00${entries[1]!.serial}`)).not.toBeNull();
  });

  it('reads a CRL with no entries (revokedCertificates absent, RFC 5280 §5.1.2.6)', () => {
    const crl = readPublishedCrl(signedCrl([]));
    expect(walkRevokedEntries(crl, () => false)).toBe(0);
    expect(findRevokedEntry(crl, '01')).toBeNull();
    expect(crlSignatureValid(crl, spki)).toBe(true);
  });

  it('checks the signature over the exact signed bytes: one changed entry octet breaks it', () => {
    const der = signedCrl(Array.from({ length: 50 }, (_, i) => entry(i)));
    const changed = Buffer.from(der);
    changed.writeUInt8(changed.readUInt8(200) ^ 1, 200);
    expect(crlSignatureValid(readPublishedCrl(changed), spki)).toBe(false);
  });

  it('refuses what is not DER: trailing bytes, indefinite or non-minimal lengths, a cut list, a non-minimal serial, two algorithms', () => {
    const der = signedCrl([{ serial: '0102', revoked_at: '2026-01-01T00:00:00.000Z', reason_code: 0, invalidity_date: null }]);
    const refuse = (bytes: Buffer, pattern: RegExp) => {
      expect(() => {
        const crl = readPublishedCrl(bytes);
        walkRevokedEntries(crl, () => false);
      }).toThrow(CrlMalformed);
      expect(() => walkRevokedEntries(readPublishedCrl(bytes), () => false)).toThrow(pattern);
    };
    refuse(Buffer.concat([der, Buffer.from([0])]), /bytes follow/);
    refuse(der.subarray(0, der.length - 1), /runs past|cut short/);
    const indefinite = Buffer.from(der);
    indefinite[1] = 0x80;
    refuse(indefinite, /indefinite/);
    // The outer length written in the long form though it fits in the short one would be a second encoding.
    const small = signedCrl([]);
    const content = small.subarray(small[1]! & 0x80 ? 2 + (small[1]! & 0x7f) : 2);
    refuse(Buffer.concat([Buffer.from([0x30, 0x82, 0x00, content.length]), content]), /leading zero|under 128/);

    // Entry serial 0x00 0x01: not the shortest INTEGER (X.690 §8.3.2). Found and rewritten in place, same lengths.
    const at = der.indexOf(Buffer.from([0x02, 0x02, 0x01, 0x02]));
    const padded = Buffer.from(der);
    padded[at + 2] = 0x00;
    padded[at + 3] = 0x01;
    refuse(padded, /not minimally encoded/);

    // The inner signature algorithm must be the outer one (RFC 5280 §5.1.1.2).
    const algorithm = Buffer.from(AsnConvert.serialize(ECDSA_SHA256));
    const other = Buffer.from(AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' })));
    const inner = Buffer.from(der);
    other.copy(inner, der.indexOf(algorithm));
    refuse(inner, /differs from the outer one/);
  });

  it('walks a list of 1,000,000 entries and finds the last one, without a node per entry', () => {
    const entries = Array.from({ length: 1_000_000 }, (_, i) => ({
      serial: `5${i.toString(16).padStart(31, '0')}`,
      revoked_at: '2026-11-30T00:00:00.000Z',
      reason_code: 4,
      invalidity_date: null,
    }));
    const der = signedCrl(entries);
    entries.length = 0;
    // What the reader keeps, not the garbage a walk leaves for the collector: collect before both readings.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    collect();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const crl = readPublishedCrl(der);
    const last = findRevokedEntry(crl, `5${(999_999).toString(16).padStart(31, '0')}`);
    const absent = findRevokedEntry(crl, `6${'0'.repeat(31)}`);
    const ms = performance.now() - started;
    collect();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(last?.revocationDate.getTime().toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(absent).toBeNull();
    expect(crlSignatureValid(crl, spki)).toBe(true);
    // asn1js would hold ~9.4 million nodes here (and refuses past 10,000): the walk holds none.
    expect(heapGrowth).toBeLessThan(32 * 1024 * 1024);
    expect(crl).toBeDefined(); // held to here, so the reading after collection counts what it retains
    console.log(`[crl reader] ${der.length} B CRL of 1,000,000 entries: found the last and an absent serial in ${ms.toFixed(0)} ms, heap +${(heapGrowth / 1048576).toFixed(1)} MB`);
  });
});
