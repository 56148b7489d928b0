import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { createHierarchy } from '../ca/hierarchy.js';
import { assertHsmAlgorithm } from '../ca/keyring.js';
import { createSuccessorIssuingCa } from '../ca/issuing-ceremony.js';
import { KEY_ALGORITHMS, type KeyAlgorithm, type SignatureScheme } from '../crypto/algorithms.js';
import { DEFAULT_SM2_ID } from '../crypto/sm2-key.js';
import { loadConfig } from '../config/settings.js';
import { toPem } from '../http/der.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerEvidenceCommands } from './evidence-commands.js';
import { assertRootPassphraseOwn, openSignet } from '../signet.js';
import { ensureDevelopmentDeployment } from '../deployment/development.js';
import { developmentWelcome } from '../deployment/welcome.js';
import { listenerTlsFromEnv } from '../deployment/development-tls.js';
import { registerStatusCommands } from './status-commands.js';
import { registerRaCommands } from './ra-commands.js';
import { registerKmcCommands } from './kmc-commands.js';
import { registerServiceCommands } from './service-commands.js';
import { registerTsaCommands } from './tsa-commands.js';
import { registerAcmeCommands } from './acme-commands.js';
import { registerStoreCommands } from './store-commands.js';
import { startServiceSchedule } from '../service/scheduled-work.js';
import { calendar, startRolloverSchedule } from '../lifetimes.js';
import { DEFAULT_ROOT_NEXT_UPDATE_DAYS, MAX_ROOT_NEXT_UPDATE_DAYS } from '../status/root-ceremony.js';
import { locale, say, withSignet, print, printList } from './command-support.js';
import { bootstrapPrincipal } from '../ra/roles.js';
import { INVENTORY_STATUSES } from '../ra/inventory.js';
import { localiseHelp } from './help.js';

function parseAlgorithm(value: string): KeyAlgorithm {
  if (!(KEY_ALGORITHMS as readonly string[]).includes(value)) {
    throw new CliError(say('cli.bad-algorithm', { algorithm: value, known: KEY_ALGORITHMS.join(', ') }));
  }
  return value as KeyAlgorithm;
}

class CliError extends Error {}

function readInput(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    throw new CliError(say('cli.file-unreadable', { file, detail: (error as Error).message }));
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The package's own version (package.json sits two folders up from both src/cli and dist/cli). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The commands as written, before their help is put in the reader's language. */
export function buildCommands(): Command {
  const program = new Command('signet')
    .description('Signet certificate authority / Signet 电子认证服务')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('init')
    .description('create the root CA, issuing CA, OCSP signer and TSA certificate / 创建 CA 层级')
    .addOption(new Option('--algorithm <algorithm>', 'key algorithm').choices([...KEY_ALGORITHMS]).default('ecdsa-p256'))
    .addOption(new Option('--rsa-padding <padding>', 'RSA signature scheme').choices(['pkcs1', 'pss']).default('pkcs1'))
    .option('--organization <name>', 'organisation name in the CA subjects')
    .option('--country <code>', 'two-letter country code', 'CN')
    .option('--hsm', 'generate the root, issuing CA, OCSP and TSA keys in the PKCS#11 token (SIGNET_PKCS11_MODULE, _TOKEN, _PIN)')
    .option('--sm2-id <id>', `SM2 only: the distinguishing ID every key of the hierarchy signs with (default ${DEFAULT_SM2_ID}, GM/T 0009)`)
    .option('--production', 'production mode (as SIGNET_MODE=production): every secret given, each its own, and the root key sent offline')
    .option('--root-key-out <file>', 'root ceremony: seal the root key under SIGNET_ROOT_PASSPHRASE into this new file instead of the database; no server can use it')
    .option('--json', 'machine-readable output')
    .action(async (opts: { algorithm: string; rsaPadding: string; organization?: string; country: string; hsm?: boolean; sm2Id?: string; production?: boolean; rootKeyOut?: string; json?: boolean }) => {
      if (opts.production) process.env.SIGNET_MODE = 'production';
      // Production: the root key never rests in the online store (docs/operations.md, root ceremony).
      if (process.env.SIGNET_MODE === 'production' && !opts.rootKeyOut && !opts.hsm) throw new CliError(say('config.production-root-offline'));
      const algorithm = parseAlgorithm(opts.algorithm);
      // Before the store is opened: an SM2 hierarchy cannot go into a PKCS#11 token, and is not made in software instead.
      if (opts.hsm) assertHsmAlgorithm(algorithm);
      // Bad invocation (exit 2), before the store exists: --hsm names a token no variable points at.
      if (opts.hsm && !process.env.SIGNET_PKCS11_MODULE) throw new SignetError('cli.hsm-module-missing', 400);
      const scheme: SignatureScheme | undefined = algorithm.startsWith('rsa-') ? (opts.rsaPadding as SignatureScheme) : undefined;
      if (opts.sm2Id !== undefined) {
        if (algorithm !== 'sm2') throw new CliError(say('cli.sm2-id-needs-sm2', { algorithm }));
        // GB/T 32918.2 §5.5: ENTL counts the ID's bits in 16 bits; GM/T 0009 allows no empty ID.
        const bytes = Buffer.byteLength(opts.sm2Id, 'utf8');
        if (bytes === 0 || bytes > 8191) throw new CliError(say('cli.sm2-id-invalid', { bytes }));
      }
      const distinguishingId = algorithm === 'sm2' ? (opts.sm2Id ?? DEFAULT_SM2_ID) : undefined;
      await withSignet(async (signet) => {
        if (opts.rootKeyOut) {
          assertRootPassphraseOwn(signet.config);
          signet.ca.keyring.sendNextRootOffline(opts.rootKeyOut);
        }
        const h = await createHierarchy(signet.ca, {
          algorithm,
          scheme,
          organization: opts.organization,
          country: opts.country,
          caKeyStorage: opts.hsm ? 'pkcs11' : 'software',
          // Every signing identity in the token, the online responders too (their key never leaves it either).
          responderKeyStorage: opts.hsm ? 'pkcs11' : 'software',
          distinguishingId,
          actor: 'cli:init',
        });
        // The root key is at hand during init: its first ceremony (root CRL, OCSP answers for the issuing CA).
        await signet.status.rootCeremony({ actor: 'cli:init' });
        const text = say('cli.initialised', { root: h.root.caId, issuing: h.issuing.caId, ocsp: h.ocspSigner.signerId, tsa: h.tsa.signerId, algorithm });
        const crlOnly = signet.config.crlOnly;
        print(
          !!opts.json,
          { root: h.root.caId, issuing: h.issuing.caId, ocspSigner: h.ocspSigner.signerId, tsa: h.tsa.signerId, algorithm, ...(distinguishingId ? { sm2Id: distinguishingId } : {}), ...(crlOnly ? { crlOnly } : {}) },
          [text, ...(distinguishingId ? [say('cli.sm2-id', { id: distinguishingId })] : []), ...(crlOnly ? [say('cli.crl-only')] : [])].join('\n'),
        );
      }, { create: true });
    });

  program
    .command('serve')
    .description('serve the web UI, REST API, CA certificates (creates a development CA on first start) / 启动服务')
    .addOption(new Option('--algorithm <algorithm>', 'algorithm of the development CA created on first start').choices([...KEY_ALGORITHMS]).default(process.env.SIGNET_INIT_ALGORITHM ?? 'ecdsa-p256'))
    .action(async (opts: { algorithm: string }) => {
      const config = loadConfig();
      // Only a server closes the intents of processes that died (src/signet.ts, startIntentRecovery).
      const signet = await openSignet(config, { role: 'server' });
      const algorithm = parseAlgorithm(opts.algorithm);
      // Development only: on an empty store, the hierarchy and a ready-to-use demo RA (src/deployment).
      const deployment = await ensureDevelopmentDeployment(signet, algorithm);
      if (deployment?.created) console.error(say('cli.first-start', { dataDir: config.dataDir, algorithm }));
      // Materialise the operator token now, so that it exists before the first operator call.
      config.adminToken();
      // Loaded here, not at the top: every other command starts without Fastify and its plugins (seconds on a busy machine).
      const { buildServer } = await import('../http/server.js');
      const { ServerMetrics } = await import('../http/metrics.js');
      // SIGNET_TLS=development: the listener's certificate from this deployment's own hierarchy (issue 16 §6).
      const ownTls = await listenerTlsFromEnv(signet, config, process.env, (made, names, dir) => console.error(say('deployment.tls-development-made', { serial: made.serial, names: names.join(', '), dir })));
      // The process's runtime figures (CPU, memory, GC) on /metrics: this is the one server of the process.
      const app = await buildServer(signet, { metrics: new ServerMetrics({ runtime: true }), ...(ownTls ? { tls: ownTls } : {}) });
      // Online signing identities roll over before they expire (docs/operations.md), now and every quarter hour.
      startRolloverSchedule(signet, undefined, (error) => app.log.error({ err: error }, 'identity rollover failed'));
      // Deemed acceptance, renewal reminders, retention and audit checkpoints (issue 6), on whichever node holds the lease.
      startServiceSchedule(signet, undefined, (error) => app.log.error({ err: error }, 'service jobs failed'));
      const stop = async () => {
        await app.close();
        await signet.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      console.error(say('cli.listening', { url: `${ownTls || process.env.SIGNET_TLS_CERT_FILE ? 'https' : 'http'}://${config.host}:${port}`, database: signet.store.location }));
      if (deployment) {
        const wildcard = config.host === '0.0.0.0' || config.host === '::';
        console.error(developmentWelcome(deployment, config, wildcard ? config.publicUrl : `${ownTls ? 'https' : 'http'}://${config.host}:${port}`, locale));
      }
    });

  const ca = program.command('ca').description('CA hierarchy / CA 层级');
  ca.command('list')
    .description('list CAs and every signing identity with its expiry and next rollover / 列出 CA 与签名身份')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = (await signet.ca.authorities()).map((a) => ({
          id: a.id,
          role: a.role,
          parentId: a.parentId,
          name: a.name,
          keyAlgorithm: a.keyAlgorithm,
          serial: a.serial,
          notAfter: a.notAfter.toISOString(),
        }));
        const c = await calendar(signet);
        const lang = locale;
        const text = [
          ...items.map((a) => `${a.id}\t${a.role}\t${a.keyAlgorithm}\t${formatShanghaiTime(a.notAfter)}\t${a.name}`),
          '',
          ...c.identities
            .filter((i) => i.kind !== 'root' && i.kind !== 'issuing')
            .map((i) => `${i.id}\t${i.kind}\t${i.caId ?? '-'}\t${formatShanghaiTime(i.notAfter)}\t${i.nextRollover ? formatShanghaiTime(i.nextRollover) : '-'}\t${i.inForce ? '*' : ''}`),
          ...c.warnings.map((w) => `! ${w.text[lang]}`),
        ].join('\n');
        print(!!opts.json, items, text);
      });
    });

  ca.command('calendar')
    .description('every signing identity: expiry, next rollover, and the warnings to act on / 签名身份日历')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await calendar(signet);
        const text = [
          ...c.identities.map((i) => `${i.id}\t${i.kind}\t${i.caId ?? '-'}\t${formatShanghaiTime(i.notAfter)}\t${i.nextRollover ? formatShanghaiTime(i.nextRollover) : '-'}\t${i.inForce ? '*' : ''}`),
          ...c.warnings.map((w) => `! ${w.text[locale]}`),
        ].join('\n');
        print(!!opts.json, c, text);
        if (c.warnings.length > 0) process.exitCode = 4;
      });
    });

  ca.command('new-issuing')
    .description('issuing CA ceremony: a new issuing CA under the root (root key needed); issuance moves to it / 签发 CA 更替仪式')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const actor = `cli:${process.env.USER ?? 'operator'}`;
        const made = await createSuccessorIssuingCa(signet.ca, actor);
        // The new certificate needs the root's OCSP answer and a place on its CRL: the root ceremony follows at once.
        const ceremony = await signet.status.rootCeremony({ actor });
        const result = { issuing: made.issuing.caId, predecessor: made.predecessorId, ocspSigner: made.ocspSignerId, tsa: made.tsaSignerId, notAfter: made.issuing.notAfter, rootCrlNumber: ceremony.crl.crlNumber };
        print(!!opts.json, result, say('cli.new-issuing', { issuing: result.issuing, predecessor: result.predecessor, notAfter: formatShanghaiTime(result.notAfter) }));
      });
    });

  ca.command('root-ceremony')
    .description('root key ceremony: sign the root CRL and OCSP answers for what the root signed / 根密钥仪式')
    .option('--ca <caId>', 'the root CA (default: the root)')
    .option('--next-update-days <days>', `how long they stay current, at most ${MAX_ROOT_NEXT_UPDATE_DAYS} days`, (v) => Number(v), DEFAULT_ROOT_NEXT_UPDATE_DAYS)
    .option('--json', 'machine-readable output')
    .action(async (opts: { ca?: string; nextUpdateDays: number; json?: boolean }) => {
      await withSignet(async (signet) => {
        const r = await signet.status.rootCeremony({ caId: opts.ca, nextUpdateDays: opts.nextUpdateDays, actor: `cli:${process.env.USER ?? 'operator'}` });
        const { der: _der, ...crl } = r.crl as typeof r.crl & { der?: Buffer };
        print(!!opts.json, { ...r, crl }, say('cli.root-ceremony', { caId: r.caId, number: r.crl.crlNumber, responses: r.ocspResponses, certificates: r.certificates, nextUpdate: formatShanghaiTime(r.nextUpdate) }));
      });
    });

  const cert = program.command('cert').description('certificates / 证书');
  cert
    .command('issue')
    .description('issue a certificate from a PKCS#10 request / 根据 PKCS#10 请求签发证书')
    .requiredOption('--csr <file>', 'PKCS#10 request, PEM or DER ("-" for stdin)')
    .requiredOption('--profile <profile>', 'profile id, e.g. enterprise-signing')
    .requiredOption('--subject <dn>', 'subject, e.g. "CN=张三,O=示例有限公司,C=CN"')
    .option('--san-dns <name>', 'DNS subjectAltName (repeatable)', collect)
    .option('--san-ip <address>', 'IP subjectAltName (repeatable)', collect)
    .option('--san-email <address>', 'e-mail subjectAltName (repeatable)', collect)
    .option('--subscriber <id>', 'subscriber id the key belongs to')
    .option('--resident-id <number>', 'verified resident ID number, for the GM/T 0015 IdentifyCode the profile names')
    .option('--passport <number>', 'verified passport number, for the GM/T 0015 IdentifyCode the profile names')
    .option('--uscc <code>', 'verified Unified Social Credit Code, for the GM/T 0015 extension the profile names')
    .option('--ca <caId>', 'issuing CA (default: the newest)')
    .option('--validity-days <days>', 'shorter validity than the profile', (v) => Number(v))
    .option('--reason <text>', 'why, for the audit log', 'issued from the command line')
    .option('--out <file>', 'write the PEM certificate here instead of stdout')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        csr: string;
        profile: string;
        subject: string;
        sanDns?: string[];
        sanIp?: string[];
        sanEmail?: string[];
        subscriber?: string;
        residentId?: string;
        passport?: string;
        uscc?: string;
        ca?: string;
        validityDays?: number;
        reason: string;
        out?: string;
        json?: boolean;
      }) => {
        const csr = readInput(opts.csr);
        const identities = [
          opts.residentId === undefined ? null : ({ type: 'resident-id', value: opts.residentId } as const),
          opts.passport === undefined ? null : ({ type: 'passport', value: opts.passport } as const),
          opts.uscc === undefined ? null : ({ type: 'uscc', value: opts.uscc } as const),
        ].filter((i) => i !== null);
        if (identities.length > 1) throw new CliError(say('cli.one-identity'));
        await withSignet(async (signet) => {
          const issued = await signet.ca.issue({
            csr,
            profileId: opts.profile,
            subject: opts.subject,
            subjectAltNames: { dns: opts.sanDns, ip: opts.sanIp, email: opts.sanEmail },
            identity: identities[0],
            subscriberId: opts.subscriber,
            issuerCaId: opts.ca,
            validityDays: opts.validityDays,
            requestedBy: `cli:${process.env.USER ?? 'operator'}`,
            reason: opts.reason,
          });
          const pem = toPem('CERTIFICATE', issued.der);
          if (opts.out) writeFileSync(opts.out, pem);
          const summary = say('cli.issued', {
            serial: issued.serial,
            profile: issued.profileId,
            subject: issued.subject,
            notBefore: formatShanghaiTime(issued.notBefore),
            notAfter: formatShanghaiTime(issued.notAfter),
          });
          if (opts.json) print(true, { ...issued, der: undefined, pem }, '');
          else if (opts.out) console.error(summary);
          else process.stdout.write(pem);
        });
      },
    );

  cert
    .command('show <serial>')
    .description('show a certificate by serial / 按序列号查看证书')
    .option('--pem', 'print the PEM certificate only')
    .option('--json', 'machine-readable output')
    .action(async (serial: string, opts: { pem?: boolean; json?: boolean }) => {
      await withSignet(async (signet) => {
        const row = await signet.ca.certificate(serial);
        const pem = toPem('CERTIFICATE', row.der);
        if (opts.pem) return void process.stdout.write(pem);
        // The same answer a relying party gets (OCSP, the public lookup): revoked, expired, good.
        const status = await signet.status.publicStatus(row.serial);
        const data = {
          status: status.status,
          revokedAt: status.revokedAt ?? null,
          revocationReason: status.reason ?? null,
          serial: row.serial,
          issuerCaId: row.issuer_ca_id,
          profile: row.profile_id,
          subject: row.subject,
          keyAlgorithm: row.key_algorithm,
          notBefore: row.not_before,
          notAfter: row.not_after,
          issuedAt: row.issued_at,
          pem,
        };
        const labels = locale === 'en'
          ? ['Serial', 'Status', 'Issuer CA', 'Profile', 'Subject', 'Key', 'Not before', 'Not after']
          : ['序列号', '状态', '签发 CA', '证书类型', '主题', '密钥', '生效时间', '失效时间'];
        const statusText = say(`status.${status.status}`) + (status.revokedAt ? ` (${formatShanghaiTime(status.revokedAt)}, ${status.reason})` : '');
        const values = [row.serial, statusText, row.issuer_ca_id, row.profile_id, row.subject, row.key_algorithm, formatShanghaiTime(row.not_before), formatShanghaiTime(row.not_after)];
        print(!!opts.json, data, labels.map((l, i) => `${l}: ${values[i]}`).join('\n'));
      });
    });

  cert
    .command('list')
    .description('list certificates, newest first, with their status / 列出证书')
    .addOption(new Option('--status <status>', 'only certificates in this state').choices([...INVENTORY_STATUSES]))
    .option('--search <text>', 'serial (or its start), subject or subscriber name contains this')
    .option('--ra <raId>', 'only certificates of this RA\'s subscribers')
    .option('--expiring-within <days>', 'valid certificates that expire within this many days')
    .option('--issued-on <date>', 'certificates whose validity began on this day in Beijing (YYYY-MM-DD)')
    .option('--limit <n>', 'at most this many (1-200)', '50')
    .option('--json', 'machine-readable output')
    .action(async (opts: { status?: string; search?: string; ra?: string; expiringWithin?: string; issuedOn?: string; limit: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const found = await signet.ra.inventory.page(bootstrapPrincipal('cli', process.env.USER ?? 'operator'), {
          status: opts.status,
          q: opts.search,
          raId: opts.ra,
          expiringWithinDays: opts.expiringWithin,
          issuedOn: opts.issuedOn,
          pageSize: opts.limit,
        });
        printList(opts.json, found.items, (c) => `${c.serial}\t${say(`status.${c.status}`)}\t${c.profileId}\t${formatShanghaiTime(c.notAfter)}\t${c.subject}`, 'cli.empty.certificates');
        if (!opts.json && found.items.length < found.total) console.error(say('cli.more-pages', { total: found.total, shown: found.items.length }));
      });
    });

  const profile = program.command('profile').description('certificate profiles / 证书模板');
  profile
    .command('list')
    .description('list certificate profiles / 列出证书模板')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = signet.ca.profiles.list();
        printList(opts.json, items, (p) => `${p.id}\t${p.kind}\t${p.validityDays}d\t${p.name[locale]}`, 'cli.empty.profiles');
      });
    });

  // Each domain's commands; a domain adds its line here and nothing else.
  registerAuditCommands(program);
  registerStoreCommands(program);
  registerEvidenceCommands(program);
  registerStatusCommands(program);
  registerRaCommands(program);
  registerKmcCommands(program);
  registerServiceCommands(program);
  registerTsaCommands(program);
  registerAcmeCommands(program);
  return program;
}

/** The program as the reader meets it: help in their language, without requirement numbers (src/cli/help.ts). */
export function buildProgram(): Command {
  const program = buildCommands();
  localiseHelp(program, locale);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    const detail =
      error instanceof SignetError ? [error, ...error.also].map((each) => each.messageIn(locale)).join('\n') : error instanceof CliError ? error.message : (error as Error).message;
    console.error(say('cli.error', { detail }));
    process.exitCode = error instanceof SignetError && error.status < 500 ? 2 : 1;
  }
}
