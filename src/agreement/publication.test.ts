import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { issueFor } from '../service/test-support/certificates.js';
import { findRevocation } from '../status/revocation.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { deemedAcceptanceMoment } from './publication.js';
import { ocspQuestions } from '../status/test-support/ocsp-question.js';

afterAll(dropFreshStores);

describe('one month after publication, on the Beijing calendar (R19)', () => {
  it('is the same wall-clock time a month later, or the last day of a shorter month', () => {
    expect(deemedAcceptanceMoment('2026-11-10T02:00:00.000Z').toISOString()).toBe('2026-12-10T02:00:00.000Z');
    // 2027-01-31 10:00 Beijing → 2027-02-28 10:00 Beijing (February is shorter).
    expect(deemedAcceptanceMoment('2027-01-31T02:00:00.000Z').toISOString()).toBe('2027-02-28T02:00:00.000Z');
    // 2026-12-31T20:00Z is already 2027-01-01 04:00 in Beijing: a month later is 2027-02-01 04:00 Beijing.
    expect(deemedAcceptanceMoment('2026-12-31T20:00:00.000Z').toISOString()).toBe('2027-01-31T20:00:00.000Z');
  });
});

describe.each(storeBackends)('agreement publication on %s (R11, R19)', (backend) => {
  let t: TestSignet;
  let now = new Date('2026-09-01T02:00:00.000Z');
  const serials: Record<string, string> = {};
  let h: Hierarchy;

  /** This node's OCSP answer about one of the issuing CA's certificates. */
  const ocspStatus = async (serial: string) => {
    const request = ocspQuestions(h.issuing.der).about(Buffer.from(serial, 'hex'));
    const response = AsnConvert.parse((await t.signet.status.ocsp.respond(request)).der, OCSPResponse);
    const single = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!;
    return single.certStatus.good !== undefined ? 'good' : single.certStatus.revoked ? 'revoked' : 'unknown';
  };

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    await t.signet.ra.agreements.publish({ id: '2026-09', title: '订户协议', text: '第一版', actor: 'test' });
    // Subscribers get their certificates after the first version's month is over: no deemed acceptance of it is due.
    now = new Date('2026-11-02T02:00:00.000Z');
    for (const subscriber of ['sub-a', 'sub-b', 'sub-c']) serials[subscriber] = (await issueFor(t.signet, t.dir, subscriber, 'individual-signing')).serial;
    // sub-d's certificate ends on 11-22, before the month of the new version is over.
    serials['sub-d'] = (await issueFor(t.signet, t.dir, 'sub-d', 'individual-signing', 20)).serial;
  });
  afterAll(async () => {
    await t.signet.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('publishes a new version in zh-CN and en and tells every subscriber using a certificate through the outbox', async () => {
    now = new Date('2026-11-10T02:00:00.000Z');
    const { version, notified } = await t.signet.publication.publishAgreement('operator:admin', {
      id: '2026-11',
      title: { 'zh-CN': '订户协议（2026 年修订）', en: 'Subscriber Agreement (2026 revision)' },
      text: { 'zh-CN': '第二版正文', en: 'Second version' },
    });
    expect(version).toMatchObject({ id: '2026-11', title: '订户协议（2026 年修订）', titleEn: 'Subscriber Agreement (2026 revision)', publishedAt: now.toISOString() });
    expect(notified).toBe(4);
    const queued = await t.signet.service.outbox.list({ kind: 'agreement-published' });
    expect(queued.map((n) => n.recipient).sort()).toEqual(['subscriber:sub-a', 'subscriber:sub-b', 'subscriber:sub-c', 'subscriber:sub-d']);
    expect(queued[0]!.body['zh-CN']).toContain('2026-12-10 10:00:00 +08:00');
    expect((await t.signet.ra.agreements.version('2026-11')).textEn).toBe('Second version');
    // The RA's view is unchanged: the current version and its text.
    expect((await t.signet.ra.agreements.requireCurrent()).id).toBe('2026-11');
  });

  it('revokes with cessationOfOperation when a subscriber objects in writing within the month, and keeps the objection', async () => {
    now = new Date('2026-11-20T03:00:00.000Z');
    expect(await ocspStatus(serials['sub-c']!)).toBe('good');
    // The responder's own look at the store for other nodes' revocations is held back (its timer frozen):
    // what it says next it heard from the revocation itself, through the status domain (R7, issue 14).
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const objection = await t.signet.publication.object('operator:clerk', {
        versionId: '2026-11',
        subscriberId: 'sub-c',
        receivedAt: new Date('2026-11-19T06:00:00.000Z'),
        writtenReference: 'EMS EA123456789CN',
        statement: '不同意修订后的第五条，停止使用证书',
      });
      expect(objection.revokedSerials).toEqual([serials['sub-c']]);
      expect(await ocspStatus(serials['sub-c']!)).toBe('revoked');
    } finally {
      vi.useRealTimers();
    }
    const revocation = await findRevocation(t.signet.ca, serials['sub-c']!);
    expect(revocation).toMatchObject({ reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: 'operator:clerk' });
    expect(revocation?.justification).toContain('EMS EA123456789CN');
    const objection = (await t.signet.publication.objections({ versionId: '2026-11' }))[0]!;
    expect(objection.revokedSerials).toEqual([serials['sub-c']]);
    await expect(
      t.signet.publication.object('operator:clerk', { versionId: '2026-11', subscriberId: 'sub-c', writtenReference: 'again', statement: 'again' }),
    ).rejects.toMatchObject({ code: 'agreement.objection-exists', status: 409 });
  });

  it('records deemed acceptance exactly one month after publication, only for those still using their certificates (clock injected)', async () => {
    // sub-a accepted the new version explicitly in the meantime.
    await t.signet.store.db.transaction().execute((trx) =>
      t.signet.ra.agreements.recordAcceptance(trx, { versionId: '2026-11', subscriberId: 'sub-a', raId: null, channel: 'explicit', clientAddress: '192.0.2.1', recordedBy: 'subscriber:sub-a' }, new Date('2026-11-25T01:00:00.000Z')),
    );
    now = new Date('2026-12-10T01:59:59.999Z');
    expect(await t.signet.publication.recordDeemedAcceptances()).toEqual([]);

    now = new Date('2026-12-10T02:00:00.000Z');
    const deemed = await t.signet.publication.recordDeemedAcceptances();
    // sub-a accepted explicitly, sub-c objected (and is revoked), sub-d's certificate expired on 11-22.
    expect(deemed.map((a) => [a.subscriberId, a.versionId, a.channel, a.acceptedAt, a.recordedBy])).toEqual([['sub-b', '2026-11', 'deemed', '2026-12-10T02:00:00.000Z', 'system:deemed-acceptance']]);
    expect(await t.signet.publication.recordDeemedAcceptances()).toEqual([]);
    expect((await t.signet.ra.agreements.acceptances('sub-b')).map((a) => a.channel)).toEqual(['deemed']);
    const audit = await t.signet.store.db.selectFrom('audit_entries').selectAll().where('action', '=', 'agreement.accepted').where('target', '=', 'subscriber:sub-b').execute();
    expect(audit).toHaveLength(1);
  });

  it('refuses an objection after the month, with nothing revoked', async () => {
    now = new Date('2026-12-11T02:00:00.000Z');
    await expect(
      t.signet.publication.object('operator:clerk', { versionId: '2026-11', subscriberId: 'sub-b', writtenReference: 'late letter', statement: '太晚了' }),
    ).rejects.toMatchObject({ code: 'agreement.objection-outside-window', status: 409, field: 'receivedAt' });
    expect(await findRevocation(t.signet.ca, serials['sub-b']!)).toBeNull();
  });

  it('publishes the CPS and notices, immutable once out, in force from their effective date', async () => {
    now = new Date('2026-12-12T02:00:00.000Z');
    const { document } = await t.signet.publication.publishDocument('operator:admin', {
      kind: 'cps',
      version: '1.0',
      title: { 'zh-CN': 'Signet 电子认证业务规则', en: 'Signet Certification Practice Statement' },
      text: { 'zh-CN': 'CPS 正文', en: 'CPS text' },
    });
    expect(document).toMatchObject({ kind: 'cps', version: '1.0', effectiveAt: now.toISOString() });
    expect((await t.signet.publication.current('cps'))?.version).toBe('1.0');
    await t.signet.publication.publishDocument('operator:admin', {
      kind: 'cps',
      version: '1.1',
      title: { 'zh-CN': 'CPS 1.1', en: 'CPS 1.1' },
      text: { 'zh-CN': '新', en: 'new' },
      effectiveAt: new Date('2027-01-01T00:00:00.000Z'),
    });
    expect((await t.signet.publication.current('cps'))?.version).toBe('1.0');
    now = new Date('2027-01-01T00:00:00.000Z');
    expect((await t.signet.publication.current('cps'))?.version).toBe('1.1');
    await expect(
      t.signet.publication.publishDocument('operator:admin', { kind: 'cps', version: '1.0', title: { 'zh-CN': 'x', en: 'x' }, text: { 'zh-CN': 'x', en: 'x' } }),
    ).rejects.toMatchObject({ code: 'agreement.document-exists', status: 409 });
    await expect(
      t.signet.publication.publishDocument('operator:admin', { kind: 'cps', version: '2.0', title: { 'zh-CN': 'x', en: 'x' }, text: { 'zh-CN': 'x', en: '' } }),
    ).rejects.toMatchObject({ code: 'agreement.empty-text', field: 'text.en' });
    await expect(t.signet.publication.document('notice', 'nope')).rejects.toMatchObject({ status: 404 });
  });
});
