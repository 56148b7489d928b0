import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { maskName, PersonalDataCipher, parseKeyList } from '../service/personal-data.js';
import { issueFor } from '../service/test-support/certificates.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { bootstrapPrincipal, type Principal } from './roles.js';

afterAll(dropFreshStores);

/** The marked person: a name and ID number that occur nowhere else, so any occurrence is theirs. */
const NAME = '标记人甲乙丙';
const ID_NUMBER = '11010519491231002X';
const PHONE = '13912345678';
const AGENT_NAME = '代理人丁戊己';
const AGENT_ID = '110101199003077571';
const MARKS = [NAME, ID_NUMBER, PHONE, AGENT_NAME, AGENT_ID];

/**
 * R2, measured where an intruder would look: every row of every table, the
 * SQLite file and its WAL, a pg_dump. A marked subscriber goes through
 * registration, a change of name, a delegation to an agent, a certificate
 * and its issuance audit entry, a dispute and the notices it sends; then the retention purge runs.
 */
describe.each(storeBackends)('a marked subscriber\'s personal data at rest on %s (R2)', (backend) => {
  let t: TestSignet;
  let officer: Principal;
  let subscriberId: string;
  let now = new Date('2020-01-01T02:00:00.000Z');

  /** Every row of every table, as text: what a reader of the database sees. */
  async function everyRow(): Promise<string> {
    const tables =
      backend === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(t.signet.store.db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(t.signet.store.db)).rows.map((r) => r.name);
    let text = '';
    for (const table of tables) {
      const rows = (await sql.raw(`select * from "${table}"`).execute(t.signet.store.db)).rows as Record<string, unknown>[];
      for (const row of rows) for (const value of Object.values(row)) text += `${Buffer.isBuffer(value) ? value.toString('utf8') : String(value)}\n`;
    }
    return text;
  }

  /** The bytes on disk (SQLite file and WAL) or the logical dump (PostgreSQL). */
  function storeBytes(): string {
    if (backend === 'sqlite') {
      const file = t.signet.store.location;
      return [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('utf8')).join('\n');
    }
    const dump = spawnSync('/usr/lib/postgresql/15/bin/pg_dump', [t.config.databaseUrl], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    expect(dump.status, dump.stderr).toBe(0);
    return dump.stdout;
  }

  beforeAll(async () => {
    t = await openTestSignet(backend, { clock: () => now });
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    const admin = bootstrapPrincipal('cli', 'test');
    await t.signet.ra.agreements.publish({ id: 'v1', title: 'v1', text: '协议', actor: 'test' });
    const ra = await t.signet.ra.organisations.create(admin, { name: '标记测试注册机构' });
    officer = { operatorId: null, username: 'officer', role: 'ra-officer', raId: ra.id, via: 'cli' };
    const subscriber = await t.signet.ra.subscribers.register(
      officer,
      { record: { type: 'individual', name: NAME, idType: 'resident-id', idNumber: ID_NUMBER, phone: PHONE, email: 'marked@example.cn' }, consent: { agreementVersion: 'v1', accepted: true } },
      '192.0.2.7',
    );
    subscriberId = subscriber.id;
    const change = await t.signet.ra.changes.submit(officer, subscriberId, { changes: { name: `${NAME}新` } });
    await t.signet.ra.changes.approve(officer, change.id, { note: '更名' });
    const evidence = await t.signet.ra.subscribers.addDocument(officer, subscriberId, { kind: 'authorisation-letter', filename: 'auth.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.7 授权书') });
    await t.signet.ra.delegations.create(officer, subscriberId, {
      agentName: AGENT_NAME,
      agentIdType: 'resident-id',
      agentIdNumber: AGENT_ID,
      scope: ['download'],
      expiresAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
      evidenceDocumentId: evidence.id,
    });
    // A certificate of an individual profile for this subscriber: its issuance entry is append-only.
    await issueFor(t.signet, t.dir, subscriberId, 'individual-signing', 30);
    // A dispute whose description names the person; its events notify both parties through the outbox.
    const dispute = await t.signet.disputes.file({ subscriberId, discoveredOn: '2020-01-01', description: `${NAME}（身份证 ${ID_NUMBER}）称证书被冒用`, filedBy: 'operator:clerk' });
    await t.signet.disputes.advance(dispute.id, 'closed', 'operator:clerk', `与 ${NAME} 和解`);
  });
  afterAll(() => t.signet.close());

  it('keeps the name, ID number, phone and the agent\'s name and number in no table, no SQLite file or WAL, no pg_dump', async () => {
    // The RA still works with them: the full record is one audited read away, the duplicate check finds the number.
    const read = await t.signet.ra.subscribers.get(officer, subscriberId);
    expect(read.record.record).toMatchObject({ name: `${NAME}新`, idNumber: ID_NUMBER });
    await expect(
      t.signet.ra.subscribers.register(officer, { record: { type: 'individual', name: '另一人', idType: 'resident-id', idNumber: ID_NUMBER, phone: '13900000000', email: 'x@example.cn' }, consent: { agreementVersion: 'v1', accepted: true } }, null),
    ).rejects.toMatchObject({ code: 'ra.subscriber-exists' });
    const [delegation] = await t.signet.ra.delegations.of(subscriberId);
    expect(delegation!.agentName).toBe(AGENT_NAME);
    // The RA's list masks the agent's name.
    expect((await t.signet.ra.delegations.list(officer, subscriberId))[0]!.agentName).toBe(maskName(AGENT_NAME));
    const [dispute] = await t.signet.disputes.of(subscriberId);
    expect(dispute!.description).toContain(NAME);
    const notices = await t.signet.service.outbox.list({ recipient: `subscriber:${subscriberId}` });
    expect(notices.some((n) => n.body['zh-CN'].includes(NAME))).toBe(true);
    // …but nothing at rest holds them in clear.
    if (backend === 'sqlite') await sql`pragma wal_checkpoint(passive)`.execute(t.signet.store.db);
    const rows = await everyRow();
    const bytes = storeBytes();
    for (const mark of MARKS) {
      expect(rows.includes(mark), `${mark} in a table`).toBe(false);
      expect(bytes.includes(mark), `${mark} in the ${backend === 'sqlite' ? 'SQLite file or WAL' : 'pg_dump'}`).toBe(false);
    }
    // The lists show the masked name and number.
    const [listed] = await t.signet.ra.subscribers.list(officer);
    expect(listed).toMatchObject({ name: maskName(`${NAME}新`), identifierMasked: '1101**********002X' });
  });

  it('leaves no trace after the retention purge: the blind index, the sealed values and the masked forms are gone', async () => {
    const cipher = new PersonalDataCipher(parseKeyList(t.config.personalDataKeys()));
    const index = cipher.blindIndex(`resident-id:${ID_NUMBER}`);
    expect(await everyRow()).toContain(index);
    now = new Date('2026-03-01T02:00:00.000Z');
    const report = await t.signet.service.retention.run();
    expect(report.purged.map((p) => p.subscriberId)).toContain(subscriberId);
    const rows = await everyRow();
    expect(rows).not.toContain(index);
    expect(rows).not.toContain(cipher.blindIndex(`name:${NAME}新`));
    expect(rows).not.toContain(maskName(`${NAME}新`));
    expect(rows).not.toContain('1101**********002X');
    for (const mark of MARKS) expect(rows.includes(mark), mark).toBe(false);
    // The sealed dispute record and the notices about the person are blanked, not only sealed.
    const [dispute] = await t.signet.disputes.of(subscriberId);
    expect(dispute).toMatchObject({ description: '—', outcome: '—', state: 'closed' });
    expect((await t.signet.disputes.dispute(dispute!.id, 'test')).events.every((e) => e.note === '—')).toBe(true);
    const notices = await t.signet.service.outbox.list({ recipient: `subscriber:${subscriberId}` });
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((n) => n.body['zh-CN'] === '—' && n.subject.en === '—')).toBe(true);
    const desk = await t.signet.service.outbox.list({ recipient: 'role:dispute-desk' });
    expect(desk.every((n) => n.body['zh-CN'] === '—')).toBe(true);
    // What stays names the subscriber only by id: the audit chain, still intact.
    const entries = await t.signet.store.db.selectFrom('audit_entries').select(['details']).execute();
    expect(entries.some((e) => e.details.includes(subscriberId))).toBe(true);
  });
});
