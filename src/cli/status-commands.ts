import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { formatShanghaiTime } from '../i18n/locale.js';
import { bothLocales, type MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import type { PublicCertificateStatus } from '../status/public-status.js';
import { CA_REVOCATION_GROUNDS, reasonWords, REVOCATION_CHANNELS, REVOCATION_REASONS, type RevocationChannel } from '../status/revocation-reasons.js';
import { say, withSignet, print, printList } from './command-support.js';

const STATUS_WORDS: Record<PublicCertificateStatus['status'], MessageCode> = {
  good: 'status.good',
  revoked: 'status.revoked',
  expired: 'status.expired',
  'not-yet-valid': 'status.not-yet-valid',
};

function subcommand(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** `signet cert status`, `signet cert revoke`, `signet crl generate|show`: thin over the status domain. */
export function registerStatusCommands(program: Command): void {
  const cert = subcommand(program, 'cert', 'certificates / 证书');

  cert
    .command('status <serial>')
    .description('public status of a certificate: status, validity, issuer, subject / 查询证书状态')
    .option('--json', 'machine-readable output')
    .action(async (serial: string, opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const status = await signet.status.publicStatus(serial);
        const lines = [
          say('cli.status-summary', {
            serial: status.serial,
            status: say(STATUS_WORDS[status.status]),
            subject: status.subject,
            issuer: status.issuer,
            notBefore: formatShanghaiTime(status.notBefore),
            notAfter: formatShanghaiTime(status.notAfter),
          }),
        ];
        if (status.revokedAt) lines.push(say('cli.status-revoked', { revokedAt: formatShanghaiTime(status.revokedAt), reason: status.reason ? reasonWords(status.reason) : '-' }));
        print(opts.json, status, lines.join('\n'));
      });
    });

  cert
    .command('revoke [serial]')
    .description('revoke a certificate, for ever (R7, R15) / 吊销证书（不可撤销）')
    // Like every other cert command the serial follows the command; --serial stays for scripts written before.
    .addOption(new Option('--serial <hex>', 'serial number (hex)').hideHelp())
    .addOption(new Option('--reason <reason>', 'RFC 5280 reason').choices(Object.keys(REVOCATION_REASONS)))
    .addOption(new Option('--ground <ground>', 'CA-initiated ground of the agreement (implies --channel ca)').choices(Object.keys(CA_REVOCATION_GROUNDS)))
    .addOption(new Option('--channel <channel>', 'who asked').choices([...REVOCATION_CHANNELS]))
    .option('--justification <text>', 'written justification (required for CA-initiated and rights-holder revocations)')
    .option('--invalidity-date <iso>', 'when the key is known or suspected to have been compromised')
    .option('--json', 'machine-readable output')
    .action(
      async (serialArgument: string | undefined, opts: { serial?: string; reason?: string; ground?: string; channel?: RevocationChannel; justification?: string; invalidityDate?: string; json?: boolean }) => {
        if (serialArgument && opts.serial) throw new SignetError('cli.serial-twice', 400, {}, 'serial');
        const serial = serialArgument ?? opts.serial;
        if (!serial) throw new SignetError('cli.serial-missing', 400, {}, 'serial');
        await withSignet(async (signet) => {
          const revocation = await signet.status.revokeCertificate({
            serial,
            reason: opts.reason,
            ground: opts.ground,
            channel: opts.channel ?? (opts.ground ? 'ca' : 'ra'),
            justification: opts.justification,
            invalidityDate: opts.invalidityDate,
            requestedBy: `cli:${process.env.USER ?? 'operator'}`,
          });
          print(opts.json, revocation, say('cli.revoked', { serial: revocation.serial, reason: reasonWords(revocation.reason), revokedAt: formatShanghaiTime(revocation.revokedAt) }));
        });
      },
    );

  const crl = subcommand(program, 'crl', 'certificate revocation lists / 证书废止列表');
  crl
    .command('generate')
    .description('sign and publish a CRL now (default: every CA) / 立即生成并发布 CRL')
    .option('--ca <caId>', 'only this CA')
    .option('--delta', 'a delta CRL against the newest full CRL')
    .option('--out <file>', 'also write the DER CRL here (with --ca)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { ca?: string; delta?: boolean; out?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const authorities = opts.ca ? [await signet.ca.authority(opts.ca)] : await signet.ca.authorities();
        const kind = opts.delta ? 'delta' : 'full';
        const published = [];
        for (const authority of authorities) {
          // The root stays offline: its CRL comes from `signet ca root-ceremony` (named with --ca, it is refused and says so).
          if (authority.role === 'root' && !opts.ca) continue;
          published.push(await signet.status.crls.publish(authority.id, kind, `cli:${process.env.USER ?? 'operator'}`));
        }
        if (opts.out && published.length === 1) writeFileSync(opts.out, published[0]!.der);
        const summaries = published.map(({ der: _der, ...summary }) => summary);
        print(
          opts.json,
          summaries,
          summaries
            .map((c) => say('cli.crl-published', { caId: c.issuerCaId, kind: bothLocales(c.kind === 'delta' ? 'crl.kind.delta' : 'crl.kind.full'), number: c.crlNumber, entries: c.entries, nextUpdate: formatShanghaiTime(c.nextUpdate) }))
            .join('\n'),
        );
      });
    });

  crl
    .command('show')
    .description('the archived CRL in force at a time (R14), or the list of CRLs of a CA / 查询某一时刻有效的 CRL')
    .requiredOption('--ca <caId>', 'CA id')
    .option('--at <iso>', 'a time, e.g. 2026-03-01T10:00:00Z')
    .option('--out <file>', 'write the DER CRL here')
    .option('--json', 'machine-readable output')
    .action(async (opts: { ca: string; at?: string; out?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        await signet.ca.authority(opts.ca);
        if (!opts.at) {
          const history = await signet.status.crls.history(opts.ca);
          printList(opts.json, history, (c) => `${c.crlNumber}\t${c.kind}\t${formatShanghaiTime(c.thisUpdate)}\t${c.entries}\t${c.sha256}`, 'cli.empty.crls');
          return;
        }
        const at = new Date(opts.at);
        if (Number.isNaN(at.getTime())) throw new SignetError('crl.bad-time', 400, { value: opts.at });
        const inForce = await signet.status.crlInForceAt(opts.ca, at);
        if (!inForce) throw new SignetError('crl.none-in-force', 404, { caId: opts.ca, at: at.toISOString() });
        if (opts.out) writeFileSync(opts.out, inForce.der);
        const { der: _der, ...summary } = inForce;
        print(opts.json, summary, `${summary.crlNumber}\t${summary.kind}\t${formatShanghaiTime(summary.thisUpdate)}\t${summary.entries}\t${summary.sha256}`);
      });
    });
}
