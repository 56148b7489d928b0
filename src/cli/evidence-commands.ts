import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { decryptEnvelope, encryptToCertificates, envelopeChoices, type ContentCipher, type EnvelopeForm } from '../evidence/cms-envelope.js';
import { certificatesFromPem, certificateToDer, documentSigner, signDocument, type TimeStamper } from '../evidence/cms-signing.js';
import { verifySignedDocument, type TrustContext } from '../evidence/cms-verification.js';
import { renderEvidenceHtml } from '../evidence/evidence-html.js';
import { verifyEvidencePackage, type EvidencePackageVerification } from '../evidence/evidence-report.js';
import { HttpTimeStamper } from '../evidence/time-stamp-client.js';
import { formatShanghaiTime, type Locale } from '../i18n/locale.js';
import { type MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import { type Signet } from '../signet.js';
import { locale, say, withSignet, print } from './command-support.js';

function read(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    throw new SignetError('request.invalid', 400, { detail: say('cli.file-unreadable', { file, detail: (error as Error).message }) });
  }
}

/** A file of one or more certificates, PEM or DER. */
function readCertificates(file: string): Buffer[] {
  const bytes = read(file);
  const text = bytes.toString('latin1');
  return text.includes('-----BEGIN CERTIFICATE-----') ? certificatesFromPem(text) : [certificateToDer(bytes)];
}

/** Why a package failed, in the reader's language, then the technical detail. */
function notVerified(result: EvidencePackageVerification): string {
  const reasons = result.checks.filter((c) => !c.ok).map((c) => `  - ${c.text[locale]}`);
  const detail = result.problems.map((p) => `    ${p}`);
  return say('cli.evidence-not-verified', { problems: [...reasons, say('cli.evidence-technical'), ...detail].join('\n') });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The deployment's own CA certificates: roots as trust anchors, issuing CAs as intermediates. */
async function deploymentTrust(signet: Signet): Promise<TrustContext> {
  const authorities = await signet.ca.authorities();
  return {
    trustAnchors: authorities.filter((a) => a.role === 'root').map((a) => a.certificateDer),
    intermediates: authorities.filter((a) => a.role !== 'root').map((a) => a.certificateDer),
    // The deployment's SM2 IDs, from its store: this command never opened the keys.
    sm2Keys: await signet.ca.sm2Identities.upToDate(),
  };
}

/** `signet cms sign|verify|encrypt|decrypt` (R13) and `signet evidence report|verify|html` (R14). */
export function registerEvidenceCommands(program: Command): void {
  const cms = program.command('cms').description('sign, verify, encrypt and decrypt with CMS (R13) / CMS 签名、验证、加密、解密');

  cms
    .command('sign')
    .description('sign a file as CMS SignedData with a time-stamp from the TSA / 签名并加盖时间戳')
    .requiredOption('--in <file>', 'the document to sign')
    .requiredOption('--key <file>', "signer's private key (PEM PKCS#8 or SEC1)")
    .requiredOption('--cert <file>', "signer's certificate (PEM or DER)")
    .option('--chain <file>', 'intermediate CA certificates to include (PEM)')
    .requiredOption('--out <file>', 'where to write the DER SignedData (.p7s)')
    .option('--detached', 'leave the document out of the signature')
    .option('--no-timestamp', 'no signature time-stamp (only the claimed signing time)')
    .option('--tsa-url <url>', 'an RFC 3161 TSA over HTTP instead of this deployment’s own TSA')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: { in: string; key: string; cert: string; chain?: string; out: string; detached?: boolean; timestamp: boolean; tsaUrl?: string; json?: boolean }) => {
        const signer = documentSigner(read(opts.key).toString('utf8'), read(opts.cert), opts.chain ? readCertificates(opts.chain) : []);
        const content = read(opts.in);
        const sign = async (timeStamper?: TimeStamper) => {
          const signature = await signDocument({ content, signer, detached: opts.detached, timeStamper });
          writeFileSync(opts.out, signature);
          const check = await verifySignedDocument({ signature, content, trustAnchors: [], intermediates: signer.chain });
          const stamp = check.timeStamp?.genTime ? say('cli.cms-stamped', { time: formatShanghaiTime(check.timeStamp.genTime) }) : '';
          const data = { out: opts.out, detached: !!opts.detached, signer: check.signer?.subject, timeStamp: check.timeStamp?.genTime?.toISOString() ?? null, tokenSerial: check.timeStamp?.serial ?? null };
          print(opts.json, data, say('cli.cms-signed', { out: opts.out, mode: opts.detached ? 'detached' : 'attached', signer: check.signer?.subject, stamp }));
        };
        if (!opts.timestamp) return sign();
        if (opts.tsaUrl) return sign(new HttpTimeStamper(opts.tsaUrl));
        await withSignet((signet) => sign(signet.tsa));
      },
    );

  cms
    .command('verify')
    .description('verify a CMS signature, its time-stamp and certificate path / 验证签名、时间戳与证书路径')
    .requiredOption('--in <file>', 'the DER SignedData (.p7s)')
    .option('--content <file>', 'the document, for a detached signature')
    .option('--ca <file>', 'trusted root certificates (PEM); default: this deployment’s roots')
    .option('--untrusted <file>', 'extra intermediate certificates (PEM)')
    .option('--out <file>', 'write the signed content here (attached signatures)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { in: string; content?: string; ca?: string; untrusted?: string; out?: string; json?: boolean }) => {
      const signature = read(opts.in);
      const content = opts.content ? read(opts.content) : undefined;
      const trust = opts.ca
        ? { trustAnchors: readCertificates(opts.ca), intermediates: opts.untrusted ? readCertificates(opts.untrusted) : [] }
        : await withSignet(deploymentTrust);
      const result = await verifySignedDocument({ signature, content, ...trust });
      if (opts.out && result.content) writeFileSync(opts.out, result.content);
      const data = {
        valid: result.valid,
        signer: result.signer ? { subject: result.signer.subject, serial: result.signer.serial } : null,
        signingTime: result.signingTime?.toISOString() ?? null,
        timeStamp: result.timeStamp
          ? { valid: result.timeStamp.valid, genTime: result.timeStamp.genTime?.toISOString(), serial: result.timeStamp.serial, tsa: result.timeStamp.tsa, policy: result.timeStamp.policy }
          : null,
        checkedAt: result.checkedAt.toISOString(),
        detached: result.detached,
        revocation: result.revocation?.map((r) => ({ subject: r.subject, status: r.status, source: r.source ?? null, revokedAt: r.revokedAt?.toISOString() ?? null })) ?? null,
        cades: result.cades,
        problems: result.problems,
      };
      const text = result.valid
        ? say('cli.cms-verified', {
            signer: result.signer?.subject,
            signingTime: result.signingTime ? formatShanghaiTime(result.signingTime) : '-',
            stamp: result.timeStamp?.genTime ? `${formatShanghaiTime(result.timeStamp.genTime)} (${result.timeStamp.tsa})` : say('cli.cms-no-stamp'),
            level: result.cades.level === 'none' ? say('cli.cms-cades-none', { missing: result.cades.missing.join(', ') }) : result.cades.level,
          })
        : say('cli.cms-not-verified', { problems: result.problems.map((p) => `  - ${p}`).join('\n') });
      print(opts.json, data, text);
      if (!result.valid) process.exitCode = 3;
    });

  cms
    .command('encrypt')
    .description('encrypt a file to one or more certificates (EnvelopedData / AuthEnvelopedData) / 用证书加密')
    .requiredOption('--in <file>', 'the file to encrypt')
    .requiredOption('--to <file>', 'recipient certificate, PEM or DER (repeatable)', collect)
    .addOption(new Option('--cipher <cipher>', 'content encryption (default: sm4-cbc for SM2 recipients, else aes-256-cbc)').choices(['aes-256-cbc', 'aes-256-gcm', 'sm4-cbc']))
    .addOption(new Option('--form <form>', 'envelope syntax (default: gmt0010 when every recipient is SM2, else rfc5652)').choices(['gmt0010', 'rfc5652']))
    .requiredOption('--out <file>', 'where to write the DER envelope (.p7m)')
    .option('--json', 'machine-readable output')
    .action((opts: { in: string; to: string[]; cipher?: ContentCipher; form?: EnvelopeForm; out: string; json?: boolean }) => {
      const recipients = opts.to.flatMap(readCertificates);
      const chosen = envelopeChoices({ recipients, cipher: opts.cipher, form: opts.form });
      writeFileSync(opts.out, encryptToCertificates({ content: read(opts.in), recipients, ...chosen }));
      print(opts.json, { out: opts.out, ...chosen, recipients: recipients.length }, say('cli.cms-encrypted', { out: opts.out, cipher: `${chosen.cipher}, ${chosen.form}`, count: recipients.length }));
    });

  cms
    .command('decrypt')
    .description('decrypt an envelope addressed to your certificate / 用私钥解密')
    .requiredOption('--in <file>', 'the DER envelope (.p7m)')
    .requiredOption('--cert <file>', 'your certificate (PEM or DER)')
    .requiredOption('--key <file>', 'your private key (PEM)')
    .requiredOption('--out <file>', 'where to write the content')
    .option('--json', 'machine-readable output')
    .action((opts: { in: string; cert: string; key: string; out: string; json?: boolean }) => {
      const [certificateDer] = readCertificates(opts.cert);
      const opened = decryptEnvelope({ envelope: read(opts.in), certificateDer: certificateDer!, privateKey: read(opts.key).toString('utf8') });
      writeFileSync(opts.out, opened.content);
      const data = { out: opts.out, cipher: opened.cipher, keyManagement: opened.keyManagement, form: opened.form, bytes: opened.content.length };
      print(opts.json, data, say('cli.cms-decrypted', data));
    });

  const evidence = program.command('evidence').description('evidence for disputes (R14) / 争议证据');

  evidence
    .command('report')
    .description('produce a signed evidence package for a certificate at a time, or for a signed document / 生成证据包')
    .option('--serial <hex>', 'certificate serial (with --at)')
    .option('--at <iso>', 'transaction time, ISO-8601 (e.g. 2026-12-01T10:00:00+08:00)')
    .option('--signature <file>', 'a CMS signature (.p7s): its time-stamp gives the time')
    .option('--content <file>', 'the signed document, for a detached signature')
    .requiredOption('--out <file>', 'where to write the package (DER CMS SignedData)')
    .option('--crl-out <file>', 'where to write a CRL too large to embed (default: the package file name + .crl)')
    .option('--html <file>', 'also write the readable HTML report')
    .addOption(new Option('--lang <locale>', 'language of the HTML report').choices(['zh-CN', 'en']))
    .option('--json', 'machine-readable output')
    .action(async (opts: { serial?: string; at?: string; signature?: string; content?: string; out: string; crlOut?: string; html?: string; lang?: Locale; json?: boolean }) => {
      const at = opts.at ? new Date(opts.at) : undefined;
      if (at && Number.isNaN(at.getTime())) throw new SignetError('evidence.bad-time', 400, { value: opts.at }, 'at');
      await withSignet(async (signet) => {
        const produced = await signet.evidence.produce({
          serial: opts.serial,
          at,
          signature: opts.signature ? read(opts.signature) : undefined,
          content: opts.content ? read(opts.content) : undefined,
          requestedBy: `cli:${process.env.USER ?? 'operator'}`,
        });
        writeFileSync(opts.out, produced.der);
        // R14: a CRL too large to embed is the package's companion file; the arbiter gets both.
        const crl = produced.detached['crl.der'];
        const crlOut = opts.crlOut ?? `${opts.out}.crl`;
        if (crl) writeFileSync(crlOut, crl);
        if (opts.html) writeFileSync(opts.html, renderEvidenceHtml(produced.manifest, opts.lang ?? locale));
        const written = say('cli.evidence-written', { out: opts.out, conclusion: produced.manifest.conclusion[locale] });
        print(opts.json, produced.manifest, crl ? `${written}\n${say('cli.evidence-crl-beside', { crl: crlOut, out: opts.out })}` : written);
      });
    });

  evidence
    .command('verify <package>')
    .description('verify an evidence package offline, without the server / 离线验证证据包')
    .option('--ca <file>', 'trusted root certificate (PEM); default: the root inside the package (compare its fingerprint)')
    .option('--crl <file>', 'the CRL that travels beside the package when too large to embed (default: the package file name + .crl, if present)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { ca?: string; crl?: string; json?: boolean }) => {
      const crlFile = opts.crl ?? (existsSync(`${file}.crl`) ? `${file}.crl` : undefined);
      const result = await verifyEvidencePackage(read(file), opts.ca ? readCertificates(opts.ca) : undefined, crlFile ? { 'crl.der': read(crlFile) } : {});
      const data = {
        valid: result.valid,
        signer: result.signer ?? null,
        signedAt: result.signedAt?.toISOString() ?? null,
        rootFingerprint: result.rootFingerprint ?? null,
        statusAtTime: result.manifest?.statusAtTime ?? null,
        transactionTime: result.manifest?.transactionTime ?? null,
        verdict: result.verdict,
        checks: result.checks,
        problems: result.problems,
      };
      const text = result.valid
        ? say('cli.evidence-verified', {
            signer: result.signer,
            time: result.signedAt ? formatShanghaiTime(result.signedAt) : '-',
            fingerprint: result.rootFingerprint,
            conclusion: result.manifest!.conclusion[locale],
          })
        : notVerified(result);
      print(opts.json, data, text);
      if (!result.valid) process.exitCode = 3;
    });

  evidence
    .command('html <package>')
    .description('render an evidence package as a readable HTML page / 生成可读的 HTML 报告')
    .requiredOption('--out <file>', 'where to write the HTML')
    .addOption(new Option('--lang <locale>', 'language').choices(['zh-CN', 'en']))
    .action(async (file: string, opts: { out: string; lang?: Locale }) => {
      const result = await verifyEvidencePackage(read(file));
      if (!result.manifest) throw new SignetError('evidence.malformed-package', 400, { detail: result.problems.join('; ') });
      // A report rendered from a package that fails would show its (possibly altered) conclusion as if it held.
      if (!result.valid) {
        console.error(notVerified(result));
        process.exitCode = 3;
        return;
      }
      writeFileSync(opts.out, renderEvidenceHtml(result.manifest, opts.lang ?? locale));
    });

  const dispute = program.command('dispute').description('disputes (R10): filing window, negotiation, arbitration / 争议处理');
  const stateNames = ['investigating', 'negotiation', 'referred-to-arbitration', 'closed'];

  dispute
    .command('file')
    .description('file a dispute for a subscriber (refused later than the window after discovery) / 提出争议')
    .requiredOption('--subscriber <id>', 'subscriber id')
    .requiredOption('--discovered <date>', 'the day the problem was discovered, YYYY-MM-DD')
    .requiredOption('--description <text>', 'what the dispute is about')
    .option('--serial <hex>', 'the certificate concerned')
    .option('--json', 'machine-readable output')
    .action(async (opts: { subscriber: string; discovered: string; description: string; serial?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const filed = await signet.disputes.file({
          subscriberId: opts.subscriber,
          discoveredOn: opts.discovered,
          description: opts.description,
          certificateSerial: opts.serial,
          filedBy: `cli:${process.env.USER ?? 'operator'}`,
        });
        print(opts.json, filed, `${filed.id}\t${say('dispute.state.filed')}\t${filed.subscriberId}\t${filed.discoveredOn}`);
      });
    });

  dispute
    .command('advance <id>')
    .description('move a dispute on: investigating, negotiation, referred-to-arbitration, closed / 推进争议处理')
    .addOption(new Option('--to <state>', 'the new state').choices(stateNames).makeOptionMandatory())
    .requiredOption('--note <text>', 'why (the outcome, when closing)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { to: string; note: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const moved = await signet.disputes.advance(id, opts.to as 'closed', `cli:${process.env.USER ?? 'operator'}`, opts.note);
        print(opts.json, moved, `${moved.id}\t${say(`dispute.state.${moved.state}` as MessageCode)}`);
      });
    });

  dispute
    .command('show <id>')
    .description('a dispute and its history / 查看争议')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const shown = await signet.disputes.dispute(id, `cli:${process.env.USER ?? 'operator'}`);
        const lines = [
          `${shown.id}\t${say(`dispute.state.${shown.state}` as MessageCode)}\t${shown.subscriberId}\t${shown.discoveredOn}`,
          ...shown.events.map((e) => `  ${formatShanghaiTime(e.at)}\t${say(`dispute.state.${e.to}` as MessageCode)}\t${e.actor}\t${e.note}`),
        ];
        print(opts.json, shown, lines.join('\n'));
      });
    });

  dispute
    .command('list')
    .description('list disputes / 列出争议')
    .option('--subscriber <id>', 'only this subscriber')
    .option('--open', 'only disputes not closed')
    .option('--json', 'machine-readable output')
    .action(async (opts: { subscriber?: string; open?: boolean; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.disputes.list({ subscriberId: opts.subscriber, open: opts.open });
        print(opts.json, items, items.map((d) => `${d.id}\t${say(`dispute.state.${d.state}` as MessageCode)}\t${d.subscriberId}\t${d.discoveredOn}`).join('\n'));
      });
    });
}
