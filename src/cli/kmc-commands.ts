import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Command, Option } from 'commander';
import { toPem } from '../http/der.js';
import { SignetError } from '../i18n/signet-error.js';
import { inProcessKmcClient, issueDualCertificates } from '../kmc/dual-certificates.js';
import { say, withSignet, print } from './command-support.js';

function readInput(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SignetError('cli.file-unreadable', 400, { path, detail: (error as Error).message }, field);
  }
}

/** DER from a PEM file of the given label, or the file itself when it is DER. */
function derFrom(path: string, label: string, field: string): Buffer {
  const bytes = readInput(path, field);
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN')) return bytes;
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!match?.[1]) throw new SignetError('kmc.bad-request', 400, { detail: `${path} holds no ${label} PEM block` }, field);
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

function subcommand(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** `signet kmc …` and `signet cert issue-dual`: thin over the key management centre. */
export function registerKmcCommands(program: Command): void {
  const kmc = subcommand(program, 'kmc', 'key management centre for dual SM2 certificates / 密钥管理中心');

  kmc
    .command('init')
    .description('create the KMC signing and escrow keys and register the issuing CAs / 初始化密钥管理中心')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const { signingPublicKeyInfo } = await signet.kmc.initialise('cli');
        const trusted: string[] = [];
        for (const authority of (await signet.ca.authorities()).filter((a) => a.role === 'issuing')) {
          const issuer = await signet.ca.issuerContext(authority.id);
          await signet.kmc.trustCa(authority.id, issuer.signer.publicKeyInfo, 'cli', issuer.signer.distinguishingId);
          trusted.push(authority.id);
        }
        const fingerprint = createHash('sha256').update(signingPublicKeyInfo).digest('hex');
        print(opts.json, { signingKeySha256: fingerprint, trustedCas: trusted }, say('cli.kmc-initialised', { fingerprint, cas: trusted.join(', ') }));
      });
    });

  kmc
    .command('operator-add')
    .description('register a recovery or judicial officer by their SM2 public key / 登记密钥恢复操作员')
    .requiredOption('--id <id>', 'operator id')
    .requiredOption('--name <name>', 'operator name')
    .addOption(new Option('--role <role>', 'who they may approve for').choices(['recovery-officer', 'judicial-officer']).makeOptionMandatory())
    .requiredOption('--public-key <file>', 'SM2 public key (PEM PUBLIC KEY or DER SPKI)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { id: string; name: string; role: 'recovery-officer' | 'judicial-officer'; publicKey: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        await signet.kmc.registerOperator({ id: opts.id, name: opts.name, role: opts.role, publicKeyInfo: derFrom(opts.publicKey, 'PUBLIC KEY', 'publicKey') }, 'cli');
        print(opts.json, { id: opts.id, role: opts.role }, say('cli.kmc-operator-added', { id: opts.id, role: opts.role }));
      });
    });

  kmc
    .command('recovery-request')
    .description('open a key recovery; operators then sign the statement written to --statement-out / 申请密钥恢复')
    .option('--escrow <id>', 'escrow id')
    .option('--serial <hex>', 'serial of the encryption certificate')
    .addOption(new Option('--kind <kind>', 'the subscriber’s own recovery or a court’s').choices(['subscriber', 'judicial']).makeOptionMandatory())
    .requiredOption('--justification <text>', 'why')
    .requiredOption('--requested-by <who>', 'who asks')
    .requiredOption('--deliver-to <file>', 'SM2 public key the recovered key is enveloped to (PEM or DER)')
    .requiredOption('--statement-out <file>', 'where to write the statement the two operators sign')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: { escrow?: string; serial?: string; kind: 'subscriber' | 'judicial'; justification: string; requestedBy: string; deliverTo: string; statementOut: string; json?: boolean }) => {
        await withSignet(async (signet) => {
          const { recoveryId, statement } = await signet.kmc.requestRecovery({
            escrowId: opts.escrow,
            certificateSerial: opts.serial?.toLowerCase(),
            kind: opts.kind,
            justification: opts.justification,
            requestedBy: opts.requestedBy,
            deliverTo: derFrom(opts.deliverTo, 'PUBLIC KEY', 'deliverTo'),
          });
          writeFileSync(opts.statementOut, statement);
          print(opts.json, { recoveryId, statement: opts.statementOut }, say('cli.kmc-recovery-requested', { recoveryId, statement: opts.statementOut }));
        });
      },
    );

  kmc
    .command('recovery-approve')
    .description('one operator’s approval: their SM2 signature over the statement (openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678) / 批准密钥恢复')
    .requiredOption('--recovery <id>', 'recovery id')
    .requiredOption('--operator <id>', 'operator id')
    .requiredOption('--signature <file>', 'DER signature file')
    .option('--out <file>', 'where to write the SM2EnvelopedKey when this is the second approval')
    .option('--json', 'machine-readable output')
    .action(async (opts: { recovery: string; operator: string; signature: string; out?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const result = await signet.kmc.approveRecovery(opts.recovery, opts.operator, readInput(opts.signature, 'signature'));
        if (result.envelopedKey && opts.out) writeFileSync(opts.out, result.envelopedKey);
        const { envelopedKey, ...summary } = result;
        const text =
          result.state === 'delivered'
            ? say('cli.kmc-recovery-delivered', { recoveryId: result.recoveryId, out: opts.out ?? '-' })
            : say('cli.kmc-recovery-approved', { recoveryId: result.recoveryId, approvals: result.approvals });
        print(opts.json, { ...summary, envelopedKey: envelopedKey?.toString('base64') }, text);
      });
    });

  const cert = subcommand(program, 'cert', 'certificates / 证书');
  cert
    .command('issue-dual')
    .description('issue a signing and an encryption SM2 certificate together; the KMC makes and escrows the encryption key / 签发双证书')
    .requiredOption('--csr <file>', 'PKCS#10 of the subscriber’s SM2 signing key (openssl req -sm3 -sigopt distid:1234567812345678)')
    .requiredOption('--signing-profile <id>', 'individual-signing or enterprise-signing')
    .requiredOption('--encryption-profile <id>', 'individual-encryption or enterprise-encryption')
    .requiredOption('--subject <dn>', 'subject, e.g. "CN=张三,C=CN"')
    .requiredOption('--subscriber <id>', 'subscriber id')
    .requiredOption('--out-dir <dir>', 'writes signing.pem, encryption.pem and enveloped-key.der (GM/T 0009 SM2EnvelopedKey)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { csr: string; signingProfile: string; encryptionProfile: string; subject: string; subscriber: string; outDir: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const dual = await issueDualCertificates(signet.ca, await inProcessKmcClient(signet.kmc), {
          csr: readInput(opts.csr, 'csr'),
          signingProfileId: opts.signingProfile,
          encryptionProfileId: opts.encryptionProfile,
          subject: opts.subject,
          subscriberId: opts.subscriber,
          requestedBy: 'cli',
          reason: 'signet cert issue-dual',
        });
        mkdirSync(opts.outDir, { recursive: true });
        writeFileSync(join(opts.outDir, 'signing.pem'), toPem('CERTIFICATE', dual.signing.der));
        writeFileSync(join(opts.outDir, 'encryption.pem'), toPem('CERTIFICATE', dual.encryption.der));
        writeFileSync(join(opts.outDir, 'enveloped-key.der'), dual.envelopedKey);
        print(
          opts.json,
          { signing: dual.signing.serial, encryption: dual.encryption.serial, escrowId: dual.escrowId, subject: dual.signing.subject, outDir: opts.outDir },
          say('cli.dual-issued', { signing: dual.signing.serial, encryption: dual.encryption.serial, subject: dual.signing.subject, outDir: opts.outDir }),
        );
      });
    });
}
