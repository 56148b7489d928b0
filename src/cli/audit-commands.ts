import type { Command } from 'commander';
import { FileHeadSink, HeadExportError, trustedKeyFingerprint } from '../audit/head-export.js';
import { verifyAudit } from '../audit/verification.js';
import { translate } from '../i18n/messages.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { locale, print, say, withSignet } from './command-support.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `signet audit verify`, `signet audit keys`, `signet audit export-heads` (R20): thin over src/audit. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('tamper-evident audit log / 防篡改审计日志');
  audit
    .command('verify')
    .description('recompute the hash chain, check the signed checkpoints and the heads exported outside the database; non-zero exit at the first bad entry / 校验审计链')
    .option('--heads <file>', 'exported-head file to check the chain against (default SIGNET_AUDIT_HEAD_EXPORT)')
    .option('--trusted-key <fingerprint|file>', 'pin an audit key: SHA-256 of its SPKI in hex, or its public key file; repeatable (default SIGNET_AUDIT_TRUSTED_KEYS)', collect)
    .option('--json', 'machine-readable output')
    .action(async (opts: { heads?: string; trustedKey?: string[]; json?: boolean }) => {
      await withSignet(async (signet) => {
        let trustedKeys: string[];
        try {
          trustedKeys = opts.trustedKey ? opts.trustedKey.map(trustedKeyFingerprint) : signet.config.auditTrustedKeys.map(trustedKeyFingerprint);
        } catch (error) {
          if (!(error instanceof HeadExportError)) throw error;
          process.stderr.write(`${say('cli.error', { detail: translate(error.code, locale, error.params) })}\n`);
          process.exitCode = 2;
          return;
        }
        // Progress on stderr, so --json on stdout stays one document.
        const onProgress = (entries: number, total: number) =>
          process.stderr.write(`${say('audit.progress', { entries, total, percent: total > 0 ? Math.floor((entries * 100) / total) : 100 })}\n`);
        const result = await verifyAudit(signet.store, { heads: opts.heads ?? signet.config.auditHeadExport, trustedKeys, onProgress, requirePinnedKeys: signet.config.mode === 'production' });
        const { chain, checkpoints, heads } = result;
        const lines = [
          chain.ok ? say('cli.audit-ok', { entries: chain.entries, head: chain.headHash }) : say('cli.audit-broken', { seq: chain.firstBadSeq, problem: translate(chain.code, locale, { seq: chain.firstBadSeq, ...chain.params }) }),
          checkpoints.ok
            ? say('audit.checkpoints-ok', { count: checkpoints.checkpoints, seq: checkpoints.lastCheckpointSeq ?? '-' })
            : say('audit.checkpoints-broken', { id: checkpoints.checkpointId, seq: checkpoints.upToSeq, problem: translate(checkpoints.code, locale, checkpoints.params) }),
          heads === null
            ? say('audit.heads-none')
            : heads.ok
              ? say('audit.heads-ok', {
                  count: heads.heads,
                  pinned: say(heads.pinned ? 'audit.heads-pinned' : 'audit.heads-not-pinned'),
                  seq: heads.anchors.at(-1)?.upToSeq ?? '-',
                  unanchored: chain.ok ? chain.unanchored : '-',
                })
              : say('audit.heads-broken', { problem: translate(heads.code, locale, heads.params) }),
          ...(result.unpinned ? [say('audit.unpinned-in-production')] : []),
        ];
        // The chain's fields at the top, as before the exported heads: scripts read firstBadSeq there.
        print(!!opts.json, { ...chain, ok: result.ok, checkpoints, heads, unpinned: result.unpinned }, lines.join('\n'));
        if (!result.ok) process.exitCode = 3;
      });
    });
  audit
    .command('keys')
    .description('audit signing keys with the fingerprints to pin / 审计签名密钥及其指纹')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const keys = await signet.auditCheckpoints.publicKeys();
        print(!!opts.json, keys, keys.map((k) => `${k.id}\t${k.active ? 'active' : '-'}\t${k.keyAlgorithm}\t${k.keyStorage}\t${formatShanghaiTime(k.createdAt)}\tSHA-256 ${k.spkiSha256}\n${k.publicKeyPem.trim()}`).join('\n'));
      });
    });
  audit
    .command('export-heads')
    .description('append every stored checkpoint to an exported-head file, to start one for a running deployment / 导出全部检查点')
    .requiredOption('--out <file>', 'the file to append to')
    .option('--json', 'machine-readable output')
    .action(async (opts: { out: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const sink = new FileHeadSink(opts.out);
        const heads = await signet.auditCheckpoints.exportedHeads();
        for (const head of heads) await sink.append(head);
        print(!!opts.json, { file: opts.out, count: heads.length }, say('audit.heads-exported', { count: heads.length, file: opts.out }));
      });
    });
}
