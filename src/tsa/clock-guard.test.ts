import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { SignedData } from '@peculiar/asn1-cms';
import { MessageImprint, TimeStampReq, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { FastifyInstance } from 'fastify';
import { createHierarchy } from '../ca/hierarchy.js';
import { buildServer } from '../http/server.js';
import { SignetError } from '../i18n/signet-error.js';
import { DatabaseClock } from '../store/database-clock.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { ClockGuard } from './clock-guard.js';
import { TimeStampAuthority } from './time-stamp-authority.js';
import { tsaDatabase } from './token-ledger.js';
import { failuresIn } from './time-stamp-query.js';

afterAll(dropFreshStores);

/** What the TSA answered: the genTime when granted, else the failure and the English status text. */
function outcome(der: Buffer): { genTime?: string; failure?: string; text?: string } {
  const response = AsnConvert.parse(der, TimeStampResp);
  if (!response.timeStampToken) {
    return { failure: failuresIn(response.status.failInfo!)[0], text: response.status.statusString?.[0]?.toString() };
  }
  const signedData = AsnConvert.parse(response.timeStampToken.content, SignedData);
  const tst = AsnConvert.parse(signedData.encapContentInfo.eContent!.single!.buffer, TSTInfo);
  return { genTime: tst.genTime.toISOString() };
}

const digest = (label: string) => createHash('sha256').update(label).digest();

// Issue 13, clocks: the TSA bounds forward excursions of its clock and comes back from a tripped guard by a
// documented command (docs/operations.md), not by waiting out a wrong clock. RFC 3161 §2.4.2: genTime is the TSA's
// statement of the time; a token with a wrong one cannot be taken back, so the guard stops them being made.
describe.each(storeBackends)('the TSA clock guard on %s (issue 13 clocks, RFC 3161 §2.4.2)', (backend) => {
  let t: TestSignet;
  let app: FastifyInstance;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    app = await buildServer(t.signet, { logger: false });
  });
  afterAll(async () => {
    await app.close();
    await t.signet.close();
  });

  /** A second TSA over the same store (another node, or a restart) with clocks the test moves. */
  function node(options: { clock: () => Date; hostOffsetMs?: () => number; monotonic?: () => number; refreshMs?: number }) {
    const hostClock = () => Date.now() + (options.hostOffsetMs?.() ?? 0);
    const databaseClock = new DatabaseClock(t.signet.store, { hostClock, maxAgeMs: options.refreshMs ?? 0 });
    const guard = new ClockGuard({ store: t.signet.store, databaseClock, limitMs: 1000, hostClock, monotonic: options.monotonic, refreshMs: options.refreshMs ?? 0 });
    return new TimeStampAuthority({ ca: t.signet.ca, policyArc: t.config.policyOid, serialPrefix: 0x5c, clock: options.clock, signers: t.signet.signers, guard });
  }

  async function stamp(tsa: TimeStampAuthority, label: string) {
    try {
      const issued = await tsa.stampDigest({ hash: 'sha256', digest: digest(label) });
      return { genTime: issued.genTime.toISOString() };
    } catch (error) {
      if (error instanceof SignetError) return { status: error.status, text: error.messageIn('en') };
      throw error;
    }
  }

  it('reports the node/database clock skew in /healthz and /metrics, and the TSA able to stamp', async () => {
    const health = (await app.inject('/healthz')).json();
    expect(health.clock.sameHost).toBe(backend === 'sqlite');
    expect(Math.abs(health.clock.skewMs)).toBeLessThan(1000);
    expect(health.clock.limitMs).toBe(1000);
    expect(health.clock.tsa.refusing).toBeNull();
    const metrics = (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer test-admin-token' } })).body;
    expect(metrics).toMatch(/signet_database_clock_skew_seconds\{same_host="(true|false)"\} -?[\d.e-]+/);
    expect(metrics).toContain('signet_tsa_clock_refusing{reason=""} 0');
  });

  it('refuses to stamp while the node clock is further from the database server clock than the limit, and says why', async () => {
    let offset = 5_000;
    // The offset changes between the steps of this test as if it always was: the monotonic clock moves with it (no jump).
    const tsa = node({ clock: () => new Date(), hostOffsetMs: () => offset, monotonic: () => Date.now() + offset });
    const query = new TimeStampReq({ messageImprint: new MessageImprint({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }), hashedMessage: new OctetString(digest('skewed')) }), certReq: true });
    const refused = outcome((await tsa.reply(Buffer.from(AsnConvert.serialize(query)))).der);
    expect(refused.failure).toBe('timeNotAvailable');
    expect(refused.text).toMatch(/differs from the database server's by [45]\d{3} ms .* more than the limit of 1000 ms/);
    const status = await tsa.clockStatus();
    expect(status.refusing?.code).toBe('tsa.clock-skew');
    expect(status.skewMs).toBeGreaterThan(4000);
    // As much behind is refused as well; back within the limit, it stamps.
    offset = -5_000;
    expect((await stamp(tsa, 'behind')).status).toBe(503);
    offset = 200;
    expect((await stamp(tsa, 'agreed')).genTime).toBeDefined();
  });

  it('refuses at once when the wall clock jumps ahead of the elapsed time, and stamps again when it is set back', async () => {
    let jump = 0;
    let mono = 1_000_000;
    const tsa = node({ clock: () => new Date(Date.now() + jump), hostOffsetMs: () => jump, monotonic: () => mono, refreshMs: 60_000 });
    expect((await stamp(tsa, 'before the jump')).genTime).toBeDefined();
    // An hour ahead, in no elapsed time. The database reading is not due for a minute: the monotonic clock catches it.
    jump = 3_600_000;
    const refused = await stamp(tsa, 'after the jump');
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(/jumped 36\d{5} ms ahead of the elapsed time/);
    expect((await tsa.clockStatus()).refusing?.code).toBe('tsa.clock-jumped');
    // Nothing was stamped an hour ahead.
    const ahead = await tsaDatabase(t.signet.store).selectFrom('timestamp_tokens').select('serial').where('gen_time', '>', new Date(Date.now() + 60_000).toISOString()).execute();
    expect(ahead).toEqual([]);
    // NTP sets it back, a few seconds later: stamping resumes by itself.
    jump = 0;
    mono += 2_500;
    expect((await stamp(tsa, 'set back')).genTime).toBeDefined();
  });

  it('recovers from a clock that ran a year ahead and stamped: reset-clock-guard disregards those tokens on every node, audited', async () => {
    const trueNow = () => new Date();
    let wrong = 365 * 86_400_000;
    // A node started with its clock a year ahead: nothing on that host witnesses it (its database reads the same clock).
    const runaway = node({ clock: () => new Date(Date.now() + wrong) });
    const stamped = await stamp(runaway, 'stamped a year ahead');
    expect(new Date(stamped.genTime!).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    await stamp(runaway, 'again a year ahead');

    // The clock is put right: now every node (and every restart) refuses, the high-water mark is a year ahead.
    wrong = 0;
    const other = node({ clock: trueNow });
    const stuck = await stamp(other, 'stuck');
    expect(stuck.status).toBe(503);
    expect(stuck.text).toMatch(/behind the latest time already stamped .* signet tsa reset-clock-guard/);

    // A reset without a reason is refused and changes nothing.
    await expect(other.resetClockGuard('test:operator', '   ')).rejects.toMatchObject({ code: 'tsa.reset-reason', status: 400 });
    const db = tsaDatabase(t.signet.store);
    expect(await db.selectFrom('tsa_clock_guard_resets').selectAll().execute()).toEqual([]);

    // A reset from a host whose clock disagrees with the database server's is refused: fix the clocks first.
    const skewed = node({ clock: trueNow, hostOffsetMs: () => 10_000 });
    await expect(skewed.resetClockGuard('test:operator', 'clock was a year ahead')).rejects.toMatchObject({ code: 'tsa.reset-clock-skew', status: 409 });

    const reset = await other.resetClockGuard('test:operator', 'host clock was set a year ahead by a bad NTP source; checked against the national time service');
    expect(reset.seq).toBe(1);
    expect(reset.tokensDisregarded).toBe(2);
    expect(Date.parse(reset.previousHighWater!)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(Date.parse(reset.highWater ?? '1970-01-01T00:00:00Z')).toBeLessThanOrEqual(Date.now());

    // This node stamps at the true time; so does the node that was stuck before (it notices the reset), and a restart.
    expect((await stamp(other, 'after the reset')).genTime).toBeDefined();
    expect((await stamp(node({ clock: trueNow }), 'restarted')).genTime).toBeDefined();
    // The tokens stay in the ledger (they were issued); the reset is in the audit log with its reason and count.
    expect((await db.selectFrom('tsa_disregarded_tokens').selectAll().execute()).length).toBe(2);
    const entry = await t.signet.store.db.selectFrom('audit_entries').selectAll().where('action', '=', 'tsa.clock-guard-reset').executeTakeFirstOrThrow();
    expect(entry.actor).toBe('test:operator');
    expect(JSON.parse(entry.details)).toMatchObject({ tokensDisregarded: 2, reason: expect.stringContaining('national time service') });
  });
});
