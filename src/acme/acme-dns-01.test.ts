import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { freePort, openAcmeFixture, type AcmeFixture } from './test-support/acme-fixture.js';
import { validateDns01 } from './dns-01.js';

afterAll(dropFreshStores);

const run = promisify(execFile);

/**
 * dns-01 (RFC 8555 §8.4) end to end with parts nobody here wrote: BIND 9
 * (Debian's named) serves example.com and takes dynamic updates (RFC 2136);
 * lego's rfc2136 provider writes the TXT record there; Signet's validator asks
 * named as its configured resolver. A wildcard certificate follows.
 */
describe('lego with dns-01 through BIND 9 (RFC 2136 updates) gets a wildcard certificate (RFC 8555 §8.4, §7.1.3)', () => {
  let f: AcmeFixture;
  let named: ChildProcess;
  let dnsPort: number;
  const secret = randomBytes(32).toString('base64');

  beforeAll(async () => {
    dnsPort = await freePort();
    f = await openAcmeFixture('sqlite', { env: {} });
    f.t.signet.acme.network.dnsResolver = `127.0.0.1:${dnsPort}`;
    const zoneDir = join(f.dir, 'named');
    mkdirSync(zoneDir);
    writeFileSync(
      join(zoneDir, 'example.com.zone'),
      ['$TTL 60', '@ IN SOA ns.example.com. hostmaster.example.com. 1 60 60 600 60', '@ IN NS ns.example.com.', 'ns IN A 127.0.0.1', '@ IN A 127.0.0.1', ''].join('\n'),
    );
    writeFileSync(
      join(zoneDir, 'named.conf'),
      [
        `options { directory "${zoneDir}"; pid-file "${zoneDir}/named.pid"; listen-on port ${dnsPort} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; allow-query { any; }; dnssec-validation no; };`,
        `key "lego" { algorithm hmac-sha256; secret "${secret}"; };`,
        `zone "example.com" { type primary; file "${zoneDir}/example.com.zone"; allow-update { key "lego"; }; };`,
        '',
      ].join('\n'),
    );
    named = spawn('named', ['-g', '-c', join(zoneDir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Ready when it answers the zone's SOA.
    let log = '';
    named.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    for (let i = 0; i < 120; i++) {
      const resolver = new Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([`127.0.0.1:${dnsPort}`]);
      if ((await resolver.resolveSoa('example.com').catch(() => null))?.hostmaster === 'hostmaster.example.com') return;
      if (named.exitCode !== null) throw new Error(`named stopped: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`named did not answer: ${log}`);
  }, 180_000);
  afterAll(async () => {
    named?.kill();
    await f?.close();
  });

  it('gets *.example.com and example.com with dns-01; openssl verify accepts it', async () => {
    let out = '';
    try {
      const result = await run(
        'lego',
        ['--server', f.directory, '--path', join(f.dir, 'lego'), '--email', 'ops@example.com', '--accept-tos', '--eab', '--kid', f.binding.keyId, '--hmac', f.binding.macKey,
          '--dns', 'rfc2136', '--dns.disable-cp', '--dns.resolvers', `127.0.0.1:${dnsPort}`, '--domains', '*.example.com', '--domains', 'example.com', 'run'],
        {
          timeout: 240_000,
          env: { ...process.env, RFC2136_NAMESERVER: `127.0.0.1:${dnsPort}`, RFC2136_TSIG_KEY: 'lego', RFC2136_TSIG_SECRET: secret, RFC2136_TSIG_ALGORITHM: 'hmac-sha256.', RFC2136_PROPAGATION_TIMEOUT: '30', RFC2136_POLLING_INTERVAL: '1', RFC2136_SEQUENCE_INTERVAL: '1' },
        },
      );
      out = result.stdout + result.stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    const cert = join(f.dir, 'lego', 'certificates', '_.example.com.crt');
    const verify = runTool('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', f.rootPem, '-untrusted', cert, cert]);
    expect(verify.status, verify.stderr + verify.stdout + out).toBe(0);
    const san = runTool('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']).stdout;
    expect(san).toContain('DNS:*.example.com');
    expect(san).toContain('DNS:example.com');
  }, 300_000);

  it('refuses when the zone holds no record for the challenge (lego removed its own): unauthorized, from the same resolver path', async () => {
    await expect(validateDns01('example.com', 'token.thumbprint', `127.0.0.1:${dnsPort}`, 5000)).rejects.toMatchObject({ kind: 'unauthorized' });
  });
});
