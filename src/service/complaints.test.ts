import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../ca/authority.js';
import { SignetError } from '../i18n/signet-error.js';
import { openDatabase, type SignetDatabase } from '../store/database.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import calendar2026 from './calendars/2026.json' with { type: 'json' };
import { PersonalDataCipher } from './personal-data.js';
import { SubscriberServices } from './subscriber-services.js';
import { WorkingDayCalendar } from './working-day-calendar.js';

afterAll(dropFreshStores);

const calendar = new WorkingDayCalendar([{ year: 2026, holidays: calendar2026.holidays, makeUpWorkdays: calendar2026.makeUpWorkdays, source: calendar2026.source }]);
/** Shanghai wall-clock time to a UTC instant (UTC+8, no daylight saving). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

describe('the working-day calendar of 2026 (R12, 国办发明电〔2025〕 holiday arrangement)', () => {
  it('knows weekends, statutory holidays and make-up working days', () => {
    expect(calendar.isWorkingDay('2026-09-30')).toBe(true); // Wednesday
    expect(calendar.isWorkingDay('2026-10-01')).toBe(false); // National Day
    expect(calendar.isWorkingDay('2026-10-07')).toBe(false); // last day of the National Day holiday (a Wednesday)
    expect(calendar.isWorkingDay('2026-10-10')).toBe(true); // Saturday, make-up working day
    expect(calendar.isWorkingDay('2026-10-11')).toBe(false); // Sunday
    expect(calendar.isWorkingDay('2026-09-20')).toBe(true); // Sunday, make-up working day before Mid-Autumn
    expect(calendar.isWorkingDay('2026-02-16')).toBe(false); // Monday inside the Spring Festival
  });

  it('gives a complaint filed before National Day its deadline at the end of the 7th working day after the day received', () => {
    // Received Thursday 2026-09-24, 10:00 Beijing time. Counting from the next day:
    //   09-25 Fri, 09-26 Sat, 09-27 Sun: Mid-Autumn holiday (not counted)
    //   09-28 Mon = 1, 09-29 Tue = 2, 09-30 Wed = 3
    //   10-01 … 10-07: National Day holiday (not counted)
    //   10-08 Thu = 4, 10-09 Fri = 5, 10-10 Sat (make-up working day) = 6, 10-11 Sun (not counted), 10-12 Mon = 7
    // So the answer is due by the end of Monday 2026-10-12, 23:59:59.999 Beijing time = 15:59:59.999Z.
    const deadline = calendar.responseDeadline(shanghai('2026-09-24T10:00:00'));
    expect(deadline.receivedDay).toBe('2026-09-24');
    expect(deadline.dueDay).toBe('2026-10-12');
    expect(deadline.dueAt.toISOString()).toBe('2026-10-12T15:59:59.999Z');
  });

  it('counts the day received in Beijing time, not UTC', () => {
    // 2026-09-30T17:00Z is already 01:00 on 10-01 in Beijing: received on National Day itself.
    // Counting from 10-02: holidays to 10-07; 10-08 = 1, 10-09 = 2, 10-10 = 3, 10-12 = 4, 10-13 = 5, 10-14 = 6, 10-15 = 7.
    expect(calendar.responseDeadline(new Date('2026-09-30T17:00:00Z')).dueDay).toBe('2026-10-15');
    // 2026-09-30T15:59Z is still 23:59 on 09-30 in Beijing: counting from 10-01 the holiday runs to 10-07, and
    // 10-08 = 1, 10-09 = 2, 10-10 = 3, 10-12 = 4, 10-13 = 5, 10-14 = 6, 10-15 = 7: the same day by another path.
    expect(calendar.responseDeadline(new Date('2026-09-30T15:59:00Z')).dueDay).toBe('2026-10-15');
    // Friday 2026-09-18: 09-20 Sun (make-up) = 1, 09-21 … 09-24 = 2…5, 09-28 = 6, 09-29 = 7.
    expect(calendar.responseDeadline(shanghai('2026-09-18T09:00:00')).dueDay).toBe('2026-09-29');
  });

  it('refuses a deadline that runs into a year it does not know', () => {
    // 2026-12-28 (Mon): 12-29, 12-30, 12-31 = 3 working days, then 2027 which is not loaded.
    const refused = (() => {
      try {
        calendar.responseDeadline(shanghai('2026-12-28T09:00:00'));
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(SignetError);
    expect((refused as SignetError).code).toBe('service.calendar-unknown-year');
    expect((refused as SignetError).status).toBe(409);
    expect((refused as SignetError).messageIn('zh-CN')).toContain('2027');
  });
});

describe.each(storeBackends)('complaints on %s (R12, R2)', (backend) => {
  let store: SignetDatabase;
  let services: SubscriberServices;
  let now = shanghai('2026-09-24T10:00:00');

  beforeAll(async () => {
    store = await openDatabase(await freshStoreUrl(backend));
    const ca = new CertificateAuthority({ store, config: { publicUrl: 'http://127.0.0.1', policyOid: '1.2.3', serialPrefix: 0x5c, passphrase: () => 'unused-passphrase' }, clock: () => now });
    services = new SubscriberServices({ ca, personalData: new PersonalDataCipher([{ id: 't1', key: randomBytes(32) }]), clock: () => now });
  });
  afterAll(() => store.close());

  it('files a complaint with its deadline, keeps the complainant encrypted, masks lists, audits full reads, flags it when overdue', async () => {
    const filed = await services.complaints.file('operator:alice', {
      channel: 'phone',
      subscriberId: 'sub-1',
      complainant: { name: '张三丰', contact: '13812345678' },
      category: 'download',
      description: '下载证书时提示授权码错误',
    });
    expect(filed.dueDay).toBe('2026-10-12');
    expect(filed.dueAt).toBe('2026-10-12T15:59:59.999Z');

    // At rest: no clear personal data in the row (R2).
    const raw = await store.db.selectFrom('service_complaints' as never).selectAll().execute() as unknown as { complainant: string; description: string }[];
    expect(raw[0]!.complainant).toMatch(/^pd1\.t1\./);
    expect(raw[0]!.complainant).not.toContain('张三丰');
    expect(raw[0]!.description).not.toContain('授权码');

    const listed = await services.complaints.list();
    expect(listed[0]).toMatchObject({ id: filed.id, complainant: { name: '张*丰', contact: '138****5678' }, overdue: false });
    expect(JSON.stringify(listed)).not.toContain('授权码');

    const full = await services.complaints.get('operator:bob', filed.id);
    expect(full.complainant).toEqual({ name: '张三丰', contact: '13812345678' });
    const reads = await store.db.selectFrom('audit_entries').selectAll().where('action', '=', 'service.complaint-read').execute();
    expect(reads.map((r) => [r.actor, r.target])).toEqual([['operator:bob', `complaint:${filed.id}`]]);

    // The last moment of the 7th working day is still in time; a millisecond later it is overdue.
    now = new Date('2026-10-12T15:59:59.999Z');
    expect(await services.complaints.overdue()).toEqual([]);
    now = new Date('2026-10-12T16:00:00.000Z');
    const overdue = await services.complaints.overdue();
    expect(overdue.map((c) => [c.id, c.overdue])).toEqual([[filed.id, true]]);

    const answered = await services.complaints.respond('operator:alice', filed.id, { response: '已重置授权码，请重新下载' });
    expect(answered).toMatchObject({ status: 'responded', overdue: false, response: '已重置授权码，请重新下载' });
    expect(await services.complaints.overdue()).toEqual([]);
    await expect(services.complaints.respond('operator:alice', filed.id, { response: 'again' })).rejects.toMatchObject({ code: 'service.complaint-already-responded', status: 409 });
    const outbox = await services.outbox.list({ recipient: 'subscriber:sub-1' });
    expect(outbox.map((n) => n.kind)).toEqual(['complaint-response']);
    // The subscriber sees the answer itself, not only that there is one (issue 20); their own text stays out of the list.
    const own = await services.complaints.ofSubscriber('sub-1');
    expect(own).toEqual([expect.objectContaining({ id: filed.id, status: 'responded', response: '已重置授权码，请重新下载' })]);
    expect(JSON.stringify(own)).not.toContain('授权码错误');
    expect(await services.complaints.ofSubscriber('sub-2')).toEqual([]);
  });

  it('refuses a complaint whose deadline falls in an unknown year with a 409 and writes nothing, then takes it once the year is loaded', async () => {
    now = shanghai('2026-12-28T09:00:00');
    const before = (await services.complaints.list()).length;
    await expect(
      services.complaints.file('operator:alice', { channel: 'email', complainant: { name: '李四', contact: 'li@example.cn' }, category: 'other', description: 'x' }),
    ).rejects.toMatchObject({ code: 'service.calendar-unknown-year', status: 409 });
    expect((await services.complaints.list()).length).toBe(before);

    // 2027 as an operator would load it (a made-up arrangement for the test: New Year 01-01 … 01-03).
    await services.calendars.load('operator:admin', { year: 2027, holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-03' }], makeUpWorkdays: [], source: 'test' });
    const filed = await services.complaints.file('operator:alice', { channel: 'email', complainant: { name: '李四', contact: 'li@example.cn' }, category: 'other', description: 'x' });
    // 12-29 = 1, 12-30 = 2, 12-31 = 3, 2027-01-01…03 holiday, 01-04 Mon = 4, 01-05 = 5, 01-06 = 6, 01-07 = 7.
    expect(filed.dueDay).toBe('2027-01-07');
    expect((await services.complaints.list())[1]?.complainant).toEqual({ name: '李*', contact: 'l***@example.cn' });
  });

  it('refuses a malformed calendar year naming the field, and bad complaints before anything is written', async () => {
    await expect(services.calendars.load('operator:admin', { year: 2028, holidays: [], makeUpWorkdays: ['2028-01-05'] })).rejects.toMatchObject({
      code: 'service.calendar-invalid',
      status: 400,
      field: 'makeUpWorkdays[0]',
    });
    await expect(services.calendars.load('operator:admin', { year: 2028, holidays: [{ name: 'x', from: '2028-02-30', to: '2028-03-01' }], makeUpWorkdays: [] })).rejects.toMatchObject({ field: 'holidays[0].from' });
    await expect(
      services.complaints.file('operator:alice', { channel: 'pigeon', complainant: { name: 'a', contact: 'b' }, category: 'c', description: 'd' }),
    ).rejects.toMatchObject({ code: 'service.bad-channel', status: 400, field: 'channel' });
    expect((await services.calendars.list()).map((y) => y.year)).toEqual([2026, 2027]);
  });
});
