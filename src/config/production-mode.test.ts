import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHierarchy } from '../ca/hierarchy.js';
import { openPrivateKey } from '../crypto/key-envelope.js';
import { SignetError } from '../i18n/signet-error.js';
import { ensureDevelopmentHierarchy, openSignet, ProductionNotReadyError } from '../signet.js';
import { dropFreshStores, freshStoreUrl, storeBackends } from '../store/test-support/store-backends.js';
import { loadConfig } from './settings.js';

afterAll(dropFreshStores);

const fresh = () => mkdtempSync(join(tmpdir(), 'signet-production-'));

/** Every secret a production server needs, each its own. */
function productionEnv(dataDir: string, databaseUrl: string): Record<string, string> {
  return {
    SIGNET_MODE: 'production',
    SIGNET_DATA: dataDir,
    SIGNET_DATABASE_URL: databaseUrl,
    // http: relying parties fetch CRLs and OCSP over plain HTTP (RFC 5280 §4.2.1.13, RFC 6960 App. A; the URI lint refuses https).
    SIGNET_PUBLIC_URL: 'http://ca.example.cn',
    // The operator's own registered arc (here China's national arc, for the test only).
    SIGNET_POLICY_OID: '1.2.156.112233.1',
    SIGNET_CA_PASSPHRASE: 'ca passphrase, held by the CA officers',
    SIGNET_RESPONDER_PASSPHRASE: 'responder passphrase, for OCSP/TSA',
    SIGNET_AUDIT_PASSPHRASE: 'audit passphrase, held by the auditor',
    SIGNET_KMC_PASSPHRASE: 'kmc passphrase, held by the KMC',
    SIGNET_PII_KEY: `p1:${Buffer.alloc(32, 7).toString('base64')}`,
    SIGNET_ADMIN_TOKEN: 'an admin token of some length',
    SIGNET_AUDIT_HEAD_EXPORT: join(fresh(), 'heads.jsonl'),
    SIGNET_LOG_LEVEL: 'silent',
  };
}

const REQUIRED = [
  'SIGNET_CA_PASSPHRASE',
  'SIGNET_RESPONDER_PASSPHRASE',
  'SIGNET_AUDIT_PASSPHRASE',
  'SIGNET_KMC_PASSPHRASE',
  'SIGNET_PII_KEY',
  'SIGNET_ADMIN_TOKEN',
  'SIGNET_AUDIT_HEAD_EXPORT',
  'SIGNET_PUBLIC_URL',
];

describe('production mode refuses generated secrets and says what is missing (docs/architecture.md: production mode; R21)', () => {
  it.each(REQUIRED)('refuses to start without %s, naming it in both languages, and generates nothing', async (variable) => {
    const dataDir = fresh();
    const env = productionEnv(dataDir, join(dataDir, 'signet.db'));
    delete env[variable];
    const refusal = await openSignet(loadConfig(env)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ProductionNotReadyError);
    const error = refusal as ProductionNotReadyError;
    expect(error.variables).toEqual([variable]);
    expect(error.messageIn('en')).toContain(`${variable} is not set`);
    expect(error.messageIn('zh-CN')).toContain(`${variable} 未设置`);
    // Nothing generated, not even the database.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses one secret used for two jobs, and a secret file a development run left in the data folder does not count', async () => {
    const dataDir = fresh();
    const env = productionEnv(dataDir, join(dataDir, 'signet.db'));
    env.SIGNET_AUDIT_PASSPHRASE = env.SIGNET_CA_PASSPHRASE!;
    const shared = (await openSignet(loadConfig(env)).catch((e: unknown) => e)) as ProductionNotReadyError;
    expect(shared.variables).toEqual(['SIGNET_AUDIT_PASSPHRASE']);
    expect(shared.messageIn('en')).toContain('SIGNET_AUDIT_PASSPHRASE is the same secret as SIGNET_CA_PASSPHRASE');

    // A development run generates its secrets into the data folder…
    const dev = loadConfig({ SIGNET_DATA: dataDir });
    dev.responderPassphrase();
    expect(existsSync(join(dataDir, 'responder-passphrase'))).toBe(true);
    expect(statSync(join(dataDir, 'responder-passphrase')).mode & 0o777).toBe(0o600);
    // …which production never reads.
    const prod = productionEnv(dataDir, join(dataDir, 'signet.db'));
    delete prod.SIGNET_RESPONDER_PASSPHRASE;
    expect(((await openSignet(loadConfig(prod)).catch((e: unknown) => e)) as ProductionNotReadyError).variables).toEqual(['SIGNET_RESPONDER_PASSPHRASE']);
    expect(() => loadConfig({ SIGNET_MODE: 'staging' })).toThrow('SIGNET_MODE must be development or production, not "staging"');
    // A personal-data key that is not 32 bytes is named too.
    const short = productionEnv(dataDir, join(dataDir, 'signet.db'));
    short.SIGNET_PII_KEY = `p1:${Buffer.alloc(16).toString('base64')}`;
    const malformed = (await openSignet(loadConfig(short)).catch((e: unknown) => e)) as ProductionNotReadyError;
    expect(malformed.variables).toEqual(['SIGNET_PII_KEY']);
    expect(malformed.messageIn('en')).toContain('SIGNET_PII_KEY cannot be read or is malformed');
  });

  it('refuses the documentation policy arc (RFC 5612) and the unset default, in both languages (issue 23 item 1)', async () => {
    for (const policy of [undefined, '1.3.6.1.4.1.32473.7', '2.999.1']) {
      const dataDir = fresh();
      const env = productionEnv(dataDir, join(dataDir, 'signet.db'));
      if (policy === undefined) delete env.SIGNET_POLICY_OID;
      else env.SIGNET_POLICY_OID = policy;
      const refusal = (await openSignet(loadConfig(env)).catch((e: unknown) => e)) as ProductionNotReadyError;
      expect(refusal, policy).toBeInstanceOf(ProductionNotReadyError);
      expect(refusal.variables).toEqual(['SIGNET_POLICY_OID']);
      expect(refusal.messageIn('en')).toContain('RFC 5612');
      expect(refusal.messageIn('zh-CN')).toContain('运营者自己注册的策略 OID');
      expect(readdirSync(dataDir)).toEqual([]);
    }
  });
});

describe.each(storeBackends)('the root ceremony and separate custody on %s (R21)', (backend) => {
  it('builds no development hierarchy; the ceremony sends the root key offline; each online key opens only with its own secret', async () => {
    const dataDir = fresh();
    const env: Record<string, string> = { ...productionEnv(dataDir, await freshStoreUrl(backend)), SIGNET_ROOT_PASSPHRASE: 'root passphrase, kept in the safe' };
    const rootKeyFile = join(fresh(), 'root-key.json');
    const signet = await openSignet(loadConfig(env));
    let rootId: string;
    try {
      await expect(ensureDevelopmentHierarchy(signet, 'ecdsa-p256')).rejects.toMatchObject({ code: 'config.production-no-hierarchy' });
      signet.ca.keyring.sendNextRootOffline(rootKeyFile);
      const h = await createHierarchy(signet.ca, { algorithm: 'ecdsa-p256', actor: 'ceremony' });
      rootId = h.root.caId;
      const checkpoint = await signet.auditCheckpoints.checkpoint();
      expect(checkpoint.upToSeq).toBeGreaterThan(0);
    } finally {
      await signet.close();
    }
    expect(statSync(rootKeyFile).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(rootKeyFile, 'utf8')) as { caId: string; envelope: string; spkiSha256: string };
    expect(file.caId).toBe(rootId);

    // A server, as it is run every day: no root key file.
    const server = await openSignet(loadConfig(env));
    try {
      const db = server.store.db;
      const root = await db.selectFrom('certificate_authorities').selectAll().where('id', '=', rootId).executeTakeFirstOrThrow();
      expect(root.key_storage).toBe('offline');
      expect(JSON.parse(root.encrypted_private_key!)).toEqual({ offline: true, spkiSha256: file.spkiSha256 });
      // Nothing in the store opens as the root key, under any secret the server has or the root's own.
      const secrets = ['SIGNET_CA_PASSPHRASE', 'SIGNET_RESPONDER_PASSPHRASE', 'SIGNET_AUDIT_PASSPHRASE', 'SIGNET_KMC_PASSPHRASE', 'SIGNET_ROOT_PASSPHRASE'].map((v) => env[v]!);
      const sealed = [
        ...(await db.selectFrom('certificate_authorities').select(['id', 'encrypted_private_key']).execute()).map((r) => r.encrypted_private_key),
        ...(await db.selectFrom('delegated_signers').select(['encrypted_private_key']).execute()).map((r) => r.encrypted_private_key),
      ];
      for (const envelope of sealed) for (const secret of secrets) expect(() => openPrivateKey(envelope ?? '', secret, rootId)).toThrow();
      await expect(server.ca.issuerContext(rootId)).rejects.toMatchObject({ code: 'ca.root-key-offline', status: 409 });
      const refusal = (await server.ca.issuerContext(rootId).catch((e: unknown) => e)) as SignetError;
      expect(refusal.messageIn('zh-CN')).toContain('离线');
      // The issuing CA still signs, and the scheduler publishes its CRLs around the offline root.
      const issuing = (await server.ca.authorities()).find((a) => a.role === 'issuing')!;
      await expect(server.ca.issuerContext(issuing.id)).resolves.toMatchObject({ role: 'issuing' });
      const crls = await server.status.crls.publishDue('system:crl-schedule', 3_600_000);
      // Full CRLs only: deltas are opt-in (SIGNET_DELTA_CRLS, docs/interoperability.md).
      expect(crls.map((c) => [c.issuerCaId, c.kind])).toEqual([[issuing.id, 'full']]);

      // Separate custody: each online key is sealed under its own secret only.
      const ocsp = await db.selectFrom('delegated_signers').selectAll().where('purpose', '=', 'ocsp').executeTakeFirstOrThrow();
      expect(() => openPrivateKey(ocsp.encrypted_private_key, env.SIGNET_CA_PASSPHRASE!, ocsp.id)).toThrow();
      expect(openPrivateKey(ocsp.encrypted_private_key, env.SIGNET_RESPONDER_PASSPHRASE!, ocsp.id).length).toBeGreaterThan(0);
      const issuingRow = await db.selectFrom('certificate_authorities').selectAll().where('id', '=', issuing.id).executeTakeFirstOrThrow();
      expect(() => openPrivateKey(issuingRow.encrypted_private_key!, env.SIGNET_RESPONDER_PASSPHRASE!, issuing.id)).toThrow();
      expect(openPrivateKey(issuingRow.encrypted_private_key!, env.SIGNET_CA_PASSPHRASE!, issuing.id).length).toBeGreaterThan(0);
      const audit = (await db.selectFrom('audit_keys' as never).selectAll().executeTakeFirstOrThrow()) as unknown as { id: string; encrypted_private_key: string };
      expect(() => openPrivateKey(audit.encrypted_private_key, env.SIGNET_CA_PASSPHRASE!, audit.id)).toThrow();
      expect(openPrivateKey(audit.encrypted_private_key, env.SIGNET_AUDIT_PASSPHRASE!, audit.id).length).toBeGreaterThan(0);
      // The signed head left the database.
      expect(readFileSync(env.SIGNET_AUDIT_HEAD_EXPORT!, 'utf8')).toContain('signet-audit-head');
    } finally {
      await server.close();
    }

    // Without the file, the root ceremony (issue 13) cannot sign either.
    const withoutFile = await openSignet(loadConfig(env));
    try {
      await expect(withoutFile.status.rootCeremony({ actor: 'ceremony' })).rejects.toMatchObject({ code: 'ca.root-key-offline' });
    } finally {
      await withoutFile.close();
    }
    // A ceremony process, given the file and the root passphrase, signs the root's CRL and OCSP answers.
    const ceremony = await openSignet(loadConfig({ ...env, SIGNET_ROOT_KEY_FILE: rootKeyFile }));
    try {
      const context = await ceremony.ca.issuerContext(rootId);
      expect(context.role).toBe('root');
      const held = await ceremony.status.rootCeremony({ actor: 'ceremony' });
      expect(held).toMatchObject({ caId: rootId });
      expect(held.crl.crlNumber).toBeGreaterThan(0);
    } finally {
      await ceremony.close();
    }
  });
});

describe('`signet init --production` on the command line (the root ceremony)', () => {
  it('refuses without --root-key-out, then sends the root key to the file and prints the hierarchy', async () => {
    const { vi } = await import('vitest');
    const dataDir = fresh();
    const rootKeyFile = join(fresh(), 'root.json');
    const env: Record<string, string> = { ...productionEnv(dataDir, join(dataDir, 'signet.db')), SIGNET_ROOT_PASSPHRASE: 'root passphrase, kept in the safe', SIGNET_LANG: 'en' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    delete process.env.SIGNET_MODE;
    const { main } = await import('../cli/main.js');
    const run = async (args: string[]) => {
      let out = '';
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
      const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void (out += `${parts.join(' ')}\n`));
      process.exitCode = undefined;
      try {
        await main(['node', 'signet', ...args]);
      } finally {
        write.mockRestore();
        error.mockRestore();
      }
      const status = Number(process.exitCode ?? 0);
      process.exitCode = undefined;
      return { status, out };
    };
    try {
      const refused = await run(['init', '--production']);
      expect(refused.status).toBe(1);
      expect(refused.out).toContain('the root key must go offline');
      const made = await run(['init', '--production', '--root-key-out', rootKeyFile, '--json']);
      expect(made.status, made.out).toBe(0);
      const hierarchy = JSON.parse(made.out) as { root: string };
      expect(JSON.parse(readFileSync(rootKeyFile, 'utf8'))).toMatchObject({ type: 'signet-offline-root-key', caId: hierarchy.root });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});
