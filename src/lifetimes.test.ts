import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from './ca/hierarchy.js';
import { openTestSignet } from './ca/test-support/ca-fixture.js';
import { buildServer } from './http/server.js';
import { dropFreshStores, storeBackends } from './store/test-support/store-backends.js';

afterAll(dropFreshStores);

interface Health {
  root: { caId: string; crlNextUpdate: string | null; ocspNextUpdate: string | null; rootSigned: number; ocspMissing: number }[];
  warnings: { code: string; text: { 'zh-CN': string; en: string } }[];
}

/**
 * docs/operations.md, the root's offline status: before its first ceremony a root has no CRL and
 * no pre-signed OCSP answer. /healthz (what the console's identities page shows) says so, not a
 * date: the absent answer once read "1970-01-01" there and in the warning.
 */
describe.each(storeBackends)("the root's status horizon before and after its ceremony, on %s", (backend) => {
  it('names the certificates without a pre-signed answer instead of a 1970 date, and the date once there are answers', async () => {
    const t = await openTestSignet(backend);
    const app = await buildServer(t.signet, { logger: false });
    try {
      const h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
      const before = await app.inject('/healthz');
      expect(before.statusCode).toBe(200);
      expect(before.body).not.toContain('1970');
      const fresh = before.json<Health>();
      expect(fresh.root).toEqual([{ caId: h.root.caId, crlNextUpdate: null, ocspNextUpdate: null, rootSigned: 1, ocspMissing: 1 }]);
      const missing = fresh.warnings.find((w) => w.code === 'lifetime.root-ocsp-missing');
      expect(missing?.text['zh-CN']).toBe(`根 CA ${h.root.caId} 签发的 1 张证书还没有预签的 OCSP 响应：请举行根密钥仪式（signet ca root-ceremony）`);
      expect(missing?.text.en).toMatch(/^1 certificate\(s\) signed by root CA .* have no pre-signed OCSP response yet/);
      expect(fresh.warnings.map((w) => w.code)).toContain('lifetime.root-crl-missing');
      expect(fresh.warnings.map((w) => w.code)).not.toContain('lifetime.root-ocsp-stale');
      const metrics = (await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${t.config.adminToken()}` } })).body;
      expect(metrics).toContain(`signet_root_status_next_update_seconds{ca="${h.root.caId}",kind="ocsp"} 0`);

      const ceremony = await t.signet.status.rootCeremony({ actor: 'test' });
      const after = (await app.inject('/healthz')).json<Health>();
      expect(after.root).toEqual([{ caId: h.root.caId, crlNextUpdate: ceremony.nextUpdate, ocspNextUpdate: ceremony.nextUpdate, rootSigned: 1, ocspMissing: 0 }]);
      expect(after.warnings.filter((w) => w.code.startsWith('lifetime.root-'))).toEqual([]);
    } finally {
      await app.close();
      await t.signet.close();
    }
  }, 120_000);
});
