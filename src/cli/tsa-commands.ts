import type { Command } from 'commander';
import { clockHealth } from '../lifetimes.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { locale, print, say, withSignet } from './command-support.js';

const when = (iso: string | null) => (iso ? formatShanghaiTime(iso) : '-');

/** `signet tsa clock` and `signet tsa reset-clock-guard` (docs/operations.md, clocks): thin over src/tsa/clock-guard.ts. */
export function registerTsaCommands(program: Command): void {
  const tsa = program.command('tsa').description('time-stamping authority / 时间戳服务');
  tsa
    .command('clock')
    .description('whether the TSA would stamp now: skew to the database clock, latest time stamped; exit 4 while it refuses / 时钟状态')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const h = await clockHealth(signet);
        const text = h.tsa.refusing
          ? say('tsa.clock-refusing', { detail: h.tsa.refusing.text[locale] })
          : say('tsa.clock-ok', { skewMs: h.skewMs, limitMs: h.limitMs, sameHost: h.sameHost ? say('tsa.clock-same-host') : '', highWater: when(h.tsa.highWater) });
        print(!!opts.json, h, text);
        if (h.tsa.refusing) process.exitCode = 4;
      });
    });
  tsa
    .command('reset-clock-guard')
    .description('after checking the time yourself: tokens stamped later than now (a clock that ran ahead) stop holding the guard up, on every node; audited / 重置时钟保护')
    .requiredOption('--reason <text>', 'why, for the audit log (what was wrong with the clock, how the time was checked)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { reason: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const r = await signet.tsa.resetClockGuard(`cli:${process.env.USER ?? 'operator'}`, opts.reason);
        print(
          !!opts.json,
          r,
          say('tsa.clock-guard-reset', { seq: r.seq, count: r.tokensDisregarded, resetAt: when(r.resetAt), first: when(r.firstDisregarded), last: when(r.lastDisregarded), previous: when(r.previousHighWater), highWater: when(r.highWater) }),
        );
      });
    });
}
