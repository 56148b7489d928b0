import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BaseCRLNumber,
  CertificateList,
  CRLNumber,
  CRLReason,
  DistributionPoint,
  DistributionPointName,
  Extension,
  FreshestCRL,
  GeneralName,
  IssuingDistributionPoint,
  KeyIdentifier,
  Name,
  RelativeDistinguishedName,
  RevokedCertificate,
  TBSCertList,
  Time,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_deltaCRLIndicator,
  id_ce_freshestCRL,
  id_ce_issuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { ChunkedDer, RevokedEntryEncoder, assembleCertificateList, assembleTbsCertList, type CrlEntry } from './crl-encoding.js';
import { certificateSubjectDer, lintCrl, lintCrlInParts, type CrlLintContext } from './crl-lint.js';
import { readPublishedCrl, walkRevokedEntryFrames, type EntryFrame } from './crl-reader.js';

const ECDSA_SHA256 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
const KEY_ID = new Uint8Array(20).fill(7);
const name = (cn: string, printable = false) =>
  new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue(printable ? { printableString: cn } : { utf8String: cn }) })])]);
const ISSUER = name('Lint Issuing CA');
const der = (value: unknown) => new Uint8Array(AsnConvert.serialize(value));
const ext = (extnID: string, critical: boolean, value: unknown) => new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
const aki = (keyId = KEY_ID) => ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) }));
const reason = (code: number, critical = false) => ext(id_ce_cRLReasons, critical, new CRLReason(code));
const entry = (serial: number[], extensions?: Extension[], date = new Date('2026-11-30T00:00:00Z')) =>
  new RevokedCertificate({ userCertificate: new Uint8Array(serial).buffer, revocationDate: new Time(date), crlEntryExtensions: extensions });

const context: CrlLintContext = { issuerName: der(ISSUER), issuerKeyIdentifier: KEY_ID, signatureAlgorithm: der(ECDSA_SHA256), kind: 'full', previousNumber: 6n };

/** A CertificateList as the publisher shapes it, with `change` applied; the signature is not the lint's business. */
function crl(change: (tbs: TBSCertList) => void = () => {}): Uint8Array {
  const tbs = new TBSCertList({
    version: 1,
    signature: ECDSA_SHA256,
    issuer: ISSUER,
    thisUpdate: new Time(new Date('2026-12-01T02:00:00Z')),
    nextUpdate: new Time(new Date('2026-12-02T02:00:00Z')),
    revokedCertificates: [entry([0x10, 1], [reason(1)]), entry([0x20, 2])],
    crlExtensions: [aki(), ext(id_ce_cRLNumber, false, new CRLNumber(7))],
  });
  change(tbs);
  return der(new CertificateList({ tbsCertList: tbs, signatureAlgorithm: ECDSA_SHA256, signature: new Uint8Array(64).buffer }));
}

const expectFinding = (findings: string[], pattern: RegExp) => expect(findings.join('\n')).toMatch(pattern);

describe('CRL lint before publishing (RFC 5280 §5, issue 15)', () => {
  it('passes a CRL shaped as the publisher shapes it', () => {
    expect(lintCrl(crl(), context)).toEqual([]);
  });

  it('refuses a CRL whose frame, version, algorithm, issuer or times are wrong', () => {
    expectFinding(lintCrl(crl((t) => (t.version = undefined)), context), /version is not v2/);
    expectFinding(lintCrl(crl((t) => (t.signature = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' }))), context), /inside the TBSCertList differs|signer's/);
    // The same text as PrintableString: equal as a name to a lenient reader, not byte for byte (§5.1.2.3).
    expectFinding(lintCrl(crl((t) => (t.issuer = name('Lint Issuing CA', true))), context), /issuer name is not the CA certificate's subject/);
    expectFinding(lintCrl(crl((t) => (t.thisUpdate = new Time({ generalTime: new Date('2026-12-01T02:00:00Z') }))), context), /thisUpdate must be UTCTime for year 2026/);
    expectFinding(lintCrl(crl((t) => (t.nextUpdate = undefined)), context), /nextUpdate is missing/);
    expectFinding(lintCrl(crl((t) => (t.nextUpdate = new Time(new Date('2026-12-01T01:00:00Z')))), context), /nextUpdate is not after thisUpdate/);
    // BER: the outer length with a leading zero octet (X.690 §10.1).
    const bytes = Buffer.from(crl());
    const octets = bytes[1]! & 0x7f;
    const ber = Buffer.concat([Buffer.from([0x30, 0x80 | (octets + 1), 0x00]), bytes.subarray(2)]);
    expectFinding(lintCrl(ber, context), /not DER: .*leading zero/);
    // GeneralizedTime inside an entry for a date UTCTime must carry.
    expectFinding(lintCrl(crl((t) => (t.revokedCertificates = [new RevokedCertificate({ userCertificate: new Uint8Array([1]).buffer, revocationDate: new Time({ generalTime: new Date('2026-11-30T00:00:00Z') }) })])), context), /revocationDate must be UTCTime for year 2026/);
  });

  it('refuses a wrong AKI, a CRL number that does not grow or is too long, and unknown critical extensions', () => {
    expectFinding(lintCrl(crl((t) => (t.crlExtensions = [ext(id_ce_cRLNumber, false, new CRLNumber(7))])), context), /authorityKeyIdentifier is missing/);
    expectFinding(lintCrl(crl((t) => (t.crlExtensions![0] = aki(new Uint8Array(20).fill(8)))), context), /not the CA certificate's subjectKeyIdentifier/);
    expectFinding(lintCrl(crl(), { ...context, previousNumber: 7n }), /cRLNumber 7 does not exceed the 7 published before/);
    const long = new Uint8Array([0x02, 21, 0x01, ...new Uint8Array(20)]);
    expectFinding(lintCrl(crl((t) => (t.crlExtensions![1] = new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(long) }))), context), /longer than 20 octets/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(ext('1.2.3.4', true, new CRLNumber(1)))), context), /unknown critical CRL extension 1\.2\.3\.4/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(aki())), context), /appears twice/);
  });

  it('refuses entries with unspecified or undefined reasons, duplicates, negative serials and indirect-CRL issuers', () => {
    const withEntries = (...entries: RevokedCertificate[]) => lintCrl(crl((t) => (t.revokedCertificates = entries)), context);
    expectFinding(withEntries(entry([1], [reason(0)])), /reasonCode unspecified written out/);
    expectFinding(withEntries(entry([1], [reason(7)])), /reasonCode 7/);
    expectFinding(withEntries(entry([1], [reason(8)])), /removeFromCRL in a full CRL/);
    expectFinding(withEntries(entry([1], [reason(1, true)])), /reasonCode is critical/);
    expectFinding(withEntries(entry([0x10, 1]), entry([0x20]), entry([0x10, 1])), /serial 1001\): listed twice/);
    expectFinding(withEntries(entry([0x10, 1]), entry([0x10, 1])), /listed twice/);
    expectFinding(withEntries(entry([0x80, 1])), /negative serial/);
    expectFinding(withEntries(entry([1, ...new Uint8Array(20)])), /longer than 20 octets/);
    expectFinding(withEntries(entry([1], [ext('2.5.29.29', true, new GeneralName({ dNSName: 'x.example' }))])), /certificateIssuer/);
    expectFinding(withEntries(entry([1], [ext('2.5.29.24', false, new Time(new Date('2026-01-01T00:00:00Z')))])), /invalidityDate is not a GeneralizedTime/);
    expectFinding(withEntries(entry([1], undefined, new Date('2026-12-03T00:00:00Z'))), /revocationDate after thisUpdate/);
  });

  it('lints a CRL in parts (head, entry pieces, tail: how a million entries are archived) with the findings lintCrl has for it whole', async () => {
    const cases: Array<[Uint8Array, CrlLintContext]> = [
      [crl(), context],
      [crl((t) => (t.version = undefined)), context],
      [crl((t) => (t.issuer = name('Lint Issuing CA', true))), context],
      [crl((t) => (t.nextUpdate = new Time(new Date('2026-12-01T01:00:00Z')))), context],
      [crl((t) => (t.crlExtensions![0] = aki(new Uint8Array(20).fill(8)))), context],
      [crl(), { ...context, previousNumber: 7n }],
      [crl(), { ...context, scopeUri: 'http://127.0.0.1:8080/crl/x/4/0.crl' }],
      ...[
        [entry([1], [reason(0)])],
        [entry([1], [reason(8)])],
        [entry([0x10, 1]), entry([0x20]), entry([0x10, 1])],
        [entry([0x10, 1]), entry([0x10, 1])],
        [entry([0x20]), entry([0x10, 1]), entry([0x30]), entry([0x20])],
        [entry([0x80, 1])],
        [entry([1, ...new Uint8Array(20)])],
        [entry([1], [ext('2.5.29.29', true, new GeneralName({ dNSName: 'x.example' }))])],
        [entry([1], undefined, new Date('2026-12-03T00:00:00Z'))],
        Array.from({ length: 40 }, (_, i) => entry([0x10, i], [reason(i % 2 ? 1 : 0)])),
      ].map((entries): [Uint8Array, CrlLintContext] => [crl((t) => (t.revokedCertificates = entries)), context]),
    ];
    for (const [bytes, ctx] of cases) {
      const whole = Buffer.from(bytes);
      const { entries } = readPublishedCrl(whole);
      const frames: Array<[number, number]> = [];
      walkRevokedEntryFrames(readPublishedCrl(whole), (f) => void frames.push([f.at, f.end]));
      // One piece per entry, then pieces of three entries: the findings never depend on where pieces end.
      for (const per of [1, 3]) {
        const pieces: Buffer[] = [];
        for (let i = 0; i < frames.length; i += per) pieces.push(whole.subarray(frames[i]![0], frames[Math.min(i + per, frames.length) - 1]![1]));
        const parts = { head: whole.subarray(0, entries.start), tail: whole.subarray(entries.end), entryPieces: async function* () { yield* pieces; } };
        expect(await lintCrlInParts(parts, ctx)).toEqual(lintCrl(whole, ctx));
      }
    }
    // A piece lost between archive and lint: the list's declared length is not what the pieces hold.
    const whole = Buffer.from(crl((t) => (t.revokedCertificates = [entry([1]), entry([2]), entry([3])])));
    const { entries } = readPublishedCrl(whole);
    let third = 0;
    walkRevokedEntryFrames(readPublishedCrl(whole), (f) => void (third = f.at));
    const lost = { head: whole.subarray(0, entries.start), tail: whole.subarray(entries.end), entryPieces: async function* () { yield whole.subarray(entries.start, third); } };
    expectFinding(await lintCrlInParts(lost, context), /declares \d+ octets, its entries take \d+/);
    // A head that does not end at the list's header, and a tail that does not close the frame.
    expectFinding(await lintCrlInParts({ ...lost, head: whole.subarray(0, entries.start - 1) }, context), /not DER|revokedCertificates header|TBSCertList field/);
    expectFinding(await lintCrlInParts({ ...lost, tail: whole.subarray(entries.end + 1) }, context), /length is not that of its pieces/);
  });

  it('checks a delta against its base and the scope a partition names (RFC 5280 §5.2.4–5.2.6)', () => {
    const delta = { ...context, kind: 'delta' as const, baseCrlNumber: 5n };
    const indicator = (base: number, critical = true) => ext(id_ce_deltaCRLIndicator, critical, new BaseCRLNumber(base));
    expect(lintCrl(crl((t) => t.crlExtensions!.push(indicator(5))), delta)).toEqual([]);
    expectFinding(lintCrl(crl(), delta), /delta CRL without deltaCRLIndicator/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(indicator(5, false))), delta), /deltaCRLIndicator is not critical/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(indicator(7))), { ...delta, baseCrlNumber: 7n }), /not below the delta's cRLNumber/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(indicator(4))), delta), /BaseCRLNumber 4 is not the base CRL's 5/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(indicator(5))), context), /full CRL carries deltaCRLIndicator/);
    const freshest = ext(id_ce_freshestCRL, false, new FreshestCRL([new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: 'http://x.example/d.crl' })] }) })]));
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(indicator(5), freshest)), delta), /delta CRL carries freshestCRL/);
    expect(lintCrl(crl((t) => t.crlExtensions!.push(freshest)), context)).toEqual([]);

    const uri = 'http://status.example/crl/ca-1-p3.crl';
    const idp = (fields: Partial<IssuingDistributionPoint>, critical = true) => ext(id_ce_issuingDistributionPoint, critical, new IssuingDistributionPoint(fields));
    const scoped = { distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: uri })] }), onlyContainsUserCerts: true };
    expect(lintCrl(crl((t) => t.crlExtensions!.push(idp(scoped))), { ...context, scopeUri: uri })).toEqual([]);
    expectFinding(lintCrl(crl(), { ...context, scopeUri: uri }), /without issuingDistributionPoint/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(idp(scoped, false))), { ...context, scopeUri: uri }), /issuingDistributionPoint is not critical/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(idp({ ...scoped, onlyContainsCACerts: true }))), { ...context, scopeUri: uri }), /both onlyContainsUserCerts and onlyContainsCACerts/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(idp(scoped))), { ...context, scopeUri: 'http://status.example/crl/ca-1-p4.crl' }), /not http:\/\/status\.example\/crl\/ca-1-p4\.crl/);
    expectFinding(lintCrl(crl((t) => t.crlExtensions!.push(idp(scoped))), context), /covers all the issuer's certificates/);
  });

  it("lints the streamed encoder's output of 20,000 entries clean (every entry shape, both time types)", () => {
    const entries: CrlEntry[] = Array.from({ length: 20_000 }, (_, i) => ({
      serial: (0x1000_0000 + i * 7919).toString(16) + (i % 3 === 0 ? '' : 'ff'),
      revoked_at: new Date(Date.UTC(2026, i % 11, 1 + (i % 28))).toISOString(),
      reason_code: [0, 1, 2, 3, 4, 5, 6, 9, 10][i % 9]!,
      invalidity_date: i % 4 === 0 ? '2026-01-02T03:04:05.000Z' : null,
    }));
    entries.sort((a, b) => (a.serial < b.serial ? -1 : 1));
    const encoder = new RevokedEntryEncoder();
    const chunks = new ChunkedDer();
    for (const e of entries) encoder.write(e, chunks);
    const tbs = assembleTbsCertList(
      { signature: ECDSA_SHA256, issuer: ISSUER, thisUpdate: new Date('2026-12-01T02:00:00Z'), nextUpdate: new Date('2026-12-02T02:00:00Z'), crlExtensions: [aki(), ext(id_ce_cRLNumber, false, new CRLNumber(7))] },
      chunks,
    );
    const bytes = assembleCertificateList(tbs, ECDSA_SHA256, Buffer.alloc(64, 1));
    expect(lintCrl(bytes, context)).toEqual([]);
    // The same list with one serial repeated at its end, out of order: found by the fallback.
    const repeated = new RevokedEntryEncoder();
    const again = new ChunkedDer();
    for (const e of [...entries, entries[0]!]) repeated.write(e, again);
    const tbs2 = assembleTbsCertList(
      { signature: ECDSA_SHA256, issuer: ISSUER, thisUpdate: new Date('2026-12-01T02:00:00Z'), nextUpdate: new Date('2026-12-02T02:00:00Z'), crlExtensions: [aki(), ext(id_ce_cRLNumber, false, new CRLNumber(7))] },
      again,
    );
    expectFinding(lintCrl(assembleCertificateList(tbs2, ECDSA_SHA256, Buffer.alloc(64, 1)), context), new RegExp(`serial ${entries[0]!.serial}\\): listed twice`));
  });

  it('checks every entry whose layout it has seen clean before in its own serial and date: late faults are found', () => {
    // 3,000 entries in two layouts (UTCTime, GeneralizedTime), each checked in full once, then faults at the end
    // that keep the layout.
    const make = (change: (entries: CrlEntry[]) => void, patch?: (bytes: Buffer, last: EntryFrame) => void) => {
      const entries: CrlEntry[] = Array.from({ length: 3000 }, (_, i) => ({
        serial: (0x5000_0000 + i).toString(16),
        revoked_at: i % 2 ? '2051-01-01T00:00:00.000Z' : '2026-11-01T00:00:00.000Z',
        reason_code: 1,
        invalidity_date: null,
      }));
      change(entries);
      const chunks = new ChunkedDer();
      const encoder = new RevokedEntryEncoder();
      for (const e of entries) encoder.write(e, chunks);
      const tbs = assembleTbsCertList(
        { signature: ECDSA_SHA256, issuer: ISSUER, thisUpdate: new Date('2052-01-01T00:00:00Z'), nextUpdate: new Date('2052-01-02T00:00:00Z'), crlExtensions: [aki(), ext(id_ce_cRLNumber, false, new CRLNumber(7))] },
        chunks,
      );
      const bytes = assembleCertificateList(tbs, ECDSA_SHA256, Buffer.alloc(64, 1));
      if (patch) {
        let last: EntryFrame | undefined;
        walkRevokedEntryFrames(readPublishedCrl(bytes), (f) => void (last = { ...f }));
        patch(bytes, last!);
      }
      return lintCrl(bytes, context);
    };
    expect(make(() => {})).toEqual([]);
    expectFinding(make((e) => (e[2999]!.revoked_at = '2052-06-01T00:00:00.000Z')), /revoked entry 3000 \(serial 50000bb7\): revocationDate after thisUpdate/);
    expectFinding(make((e) => (e[2999]!.serial = e[2998]!.serial)), /revoked entry 3000 \(serial 50000bb6\): listed twice/);
    // A letter among the time's digits; a GeneralizedTime of 2049 where only UTCTime is allowed.
    expectFinding(make(() => {}, (b, f) => (b[f.timeStart + 3] = 0x41)), /revoked entry 3000 .*not DER: GeneralizedTime/);
    expectFinding(make(() => {}, (b, f) => b.write('2049', f.timeStart, 'latin1')), /revoked entry 3000 .*revocationDate must be UTCTime for year 2049/);
    // A negative serial of the same length.
    expectFinding(make(() => {}, (b, f) => (b[f.serialStart] = 0xd0)), /revoked entry 3000 .*negative serial/);
    // The reason octet is outside the two fields: the entry is checked in full.
    expectFinding(make(() => {}, (b, f) => (b[f.end - 1] = 7)), /revoked entry 3000 .*reasonCode 7/);
  });
});

afterAll(dropFreshStores);

describe.each(storeBackends)('the publisher lints before it archives, on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let now = new Date('2026-06-01T00:00:00Z');
  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
  });
  afterAll(async () => {
    await t.signet.close();
  });

  it('publishes a clean CRL, and refuses one that lists a revocation after its own thisUpdate (a clock stepped back): nothing archived', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-crl-lint-'));
    const { csrPem } = opensslRequest(dir, 'ecdsa-p256', 'lint-leaf');
    const leaf = await t.signet.ca.issue({ csr: csrPem, profileId: 'tls-client', subject: 'CN=lint leaf', subscriberId: 's1', requestedBy: 'test', reason: 'test' });
    const clean = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    expect(lintCrl(clean.der, { ...context, issuerName: certificateSubjectDer((await t.signet.ca.authority(h.issuing.caId)).certificateDer), issuerKeyIdentifier: undefined, signatureAlgorithm: new Uint8Array(clean.der.subarray(0, 0)) })).toContain("the signature algorithm is not the signer's (RFC 5280 §5.1.2.2)");

    const stepped = now;
    now = new Date(now.getTime() + 3_600_000);
    await t.signet.status.revokeCertificate({ serial: leaf.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:1' });
    now = new Date(stepped.getTime() + 1000);
    const before = await t.signet.status.crls.history(h.issuing.caId);
    await expect(t.signet.status.crls.publish(h.issuing.caId, 'full', 'test')).rejects.toMatchObject({ code: 'crl.lint-failed', status: 500, message: expect.stringMatching(/revocationDate after thisUpdate/) });
    expect(await t.signet.status.crls.history(h.issuing.caId)).toEqual(before);

    // The clock caught up: the same revocation is listed.
    now = new Date(stepped.getTime() + 2 * 3_600_000);
    const listed = await t.signet.status.crls.publish(h.issuing.caId, 'full', 'test');
    expect(listed.entries).toBe(1);
    expect(listed.crlNumber).toBe(clean.crlNumber + 1);
  });
});
