import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openTestSignet, opensslRequest, TEST_PASSPHRASE } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { openSignet } from '../signet.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { residentIdCheckCharacter } from './identifiers.js';
import { raDb } from './schema.js';

afterAll(dropFreshStores);

const cliEntry = join(import.meta.dirname, '..', 'cli', 'entry.ts');
const DOWNLOADS = 8;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Issue 16 §3: a crash must not burn a download credential. A real server
 * process serves eight downloads at once and is killed with SIGKILL as soon
 * as the first certificate has gone out, the others mid-way. After a restart
 * every credential is either unused (and works) or has its certificate.
 */
describe.each(storeBackends)('downloads killed mid-way on %s (issue 16 §3, R4)', (backend) => {
  it('leaves every credential unused or with its certificate after SIGKILL and restart', async () => {
    const t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    const app = await buildServer(t.signet, { logger: false });
    const admin = { authorization: 'Bearer test-admin-token' };
    const post = (url: string, payload: unknown, headers: Record<string, string> = admin) => app.inject({ method: 'POST', url, headers, payload: payload as object });
    expect((await post('/api/v1/agreements', { id: '2026-01', title: '协议', text: '协议全文' })).statusCode).toBe(201);
    const raId = (await post('/api/v1/ra/organisations', { name: '崩溃测试注册机构' })).json().id;
    const operator = (await post('/api/v1/ra/operators', { username: 'crash-officer', role: 'ra-officer', raId, password: 'crash officer password' })).json();
    const officer = { authorization: `Bearer ${(await post('/api/v1/ra/api-tokens', { label: 'crash', operatorId: operator.id })).json().token}` };
    const credentials: Array<{ referenceNumber: string; authorizationCode: string }> = [];
    for (let i = 0; i < DOWNLOADS; i++) {
      const first17 = `11010519800202${String(300 + i)}`;
      const subscriber = await post(
        '/api/v1/ra/subscribers',
        { type: 'individual', name: `订户${i}`, idType: 'resident-id', idNumber: first17 + residentIdCheckCharacter(first17), phone: '13900139000', email: `c${i}@example.cn`, consent: { agreementVersion: '2026-01', accepted: true } },
        officer,
      );
      expect(subscriber.statusCode, subscriber.body).toBe(201);
      const application = (await post('/api/v1/ra/applications', { subscriberId: subscriber.json().id, purpose: 'signing' }, officer)).json();
      await post(`/api/v1/ra/applications/${application.id}/review`, {}, officer);
      const { referenceNumber, authorizationCode } = (await post(`/api/v1/ra/applications/${application.id}/approve`, { note: 'ok' }, officer)).json().credential;
      credentials.push({ referenceNumber, authorizationCode });
    }
    const csrs = credentials.map((_, i) => opensslRequest(t.dir, 'ecdsa-p256', `crash-${i}`).csrPem);
    await app.close();
    await t.signet.close();

    const port = await freePort();
    const env = {
      ...process.env,
      SIGNET_DATA: t.dir,
      SIGNET_DATABASE_URL: t.config.databaseUrl,
      SIGNET_CA_PASSPHRASE: TEST_PASSPHRASE,
      SIGNET_ADMIN_TOKEN: 'test-admin-token',
      SIGNET_PORT: String(port),
      SIGNET_LOG_LEVEL: 'silent',
      SIGNET_PROCESS_LEASE_SECONDS: '1',
      SIGNET_DOWNLOAD_LEASE_SECONDS: '1',
    };
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cliEntry, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
      expect(i, 'the server did not start').toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 100));
    }
    let firstOut: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (firstOut = resolve));
    const answers = credentials.map((c, i) =>
      fetch(`${base}/api/v1/ra/downloads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...c, csr: csrs[i] }) })
        .then((r) => {
          if (r.ok) firstOut();
          return r.status;
        })
        .catch(() => 0),
    );
    await Promise.race([first, Promise.all(answers)]);
    child.kill('SIGKILL');
    await exited;
    const statuses = await Promise.all(answers);
    // The kill came while downloads were under way: at least one had answered, not all had.
    expect(statuses.filter((s) => s === 201).length, statuses.join(' ')).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 201 && s !== 0), statuses.join(' ')).toEqual([]);

    // Restart, after the dead process's lease and the download lease have run out.
    await new Promise((r) => setTimeout(r, 1500));
    const signet = await openSignet(t.config, { role: 'server', processLeaseMs: 1000, ra: { downloadLeaseSeconds: 1 } });
    try {
      await signet.ca.recoverAbandonedIntents();
      await signet.ra.downloads.recoverInterrupted();
      const db = raDb(signet.store);
      const rows = await db
        .selectFrom('ra_download_credentials')
        .innerJoin('ra_applications', 'ra_applications.id', 'ra_download_credentials.application_id')
        .select(['ra_download_credentials.reference_number', 'ra_download_credentials.status', 'ra_applications.status as application', 'ra_applications.certificate_serial'])
        .execute();
      expect(rows).toHaveLength(DOWNLOADS);
      let unused = 0;
      for (const row of rows) {
        if (row.status === 'issued') {
          unused += 1;
          expect(row.application, row.reference_number).toBe('approved');
        } else {
          expect([row.status, row.application], row.reference_number).toEqual(['used', 'completed']);
          expect((await signet.ca.certificate(row.certificate_serial!)).serial).toBe(row.certificate_serial);
        }
      }
      // Those that answered 201 before the kill are among the completed ones.
      expect(rows.filter((r) => r.status === 'used').length).toBeGreaterThanOrEqual(statuses.filter((s) => s === 201).length);
      // An unused credential still works.
      if (unused > 0) {
        const again = await buildServer(signet, { logger: false });
        const index = credentials.findIndex((c) => rows.find((r) => r.reference_number === c.referenceNumber)?.status === 'issued');
        const retried = await again.inject({ method: 'POST', url: '/api/v1/ra/downloads', payload: { ...credentials[index]!, csr: csrs[index] } });
        expect(retried.statusCode, retried.body).toBe(201);
        await again.close();
      }
    } finally {
      await signet.close();
    }
  }, 240_000);
});
