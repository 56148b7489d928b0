import type { Command } from 'commander';
import type { Binding } from '../acme/bindings.js';
import { formatShanghaiTime } from '../i18n/locale.js';
import { bootstrapPrincipal } from '../ra/roles.js';
import { print, printList, say, withSignet } from './command-support.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const integer = (value: string) => (/^\d{1,6}$/.test(value) ? Number(value) : Number.NaN);
const cli = () => bootstrapPrincipal('cli', process.env.USER ?? 'operator');

function stateOf(binding: Binding, now: Date): 'active' | 'revoked' | 'expired' {
  if (binding.revokedAt) return 'revoked';
  return binding.expiresAt <= now.toISOString() ? 'expired' : 'active';
}

/** `signet acme binding issue|list|revoke` (docs/acme.md): thin over src/acme/bindings.ts. */
export function registerAcmeCommands(program: Command): void {
  const acme = program.command('acme').description('ACME door (RFC 8555) / ACME 自动签发');
  const binding = acme.command('binding').description('external account bindings the RA issues to verified enterprises / 外部账户绑定（EAB）');
  binding
    .command('issue')
    .description('issue a binding (key id and HMAC key, shown once) for an enterprise subscriber the RA verified / 签发绑定')
    .requiredOption('--subscriber <id>', 'the enterprise subscriber')
    .requiredOption('--domain <name>', 'a domain the account may order: example.com, or *.example.com for every name under it (repeatable)', collect)
    .option('--profile <id>', 'certificate profile the account may use (repeatable; default tls-server)', collect)
    .option('--validity-days <n>', 'longest certificate validity in days (default: the profile\'s)', integer)
    .option('--lifetime-days <n>', 'how long the binding lets its account order (default 365)', integer)
    .option('--json', 'machine-readable output')
    .action(async (opts: { subscriber: string; domain: string[]; profile?: string[]; validityDays?: number; lifetimeDays?: number; json?: boolean }) => {
      await withSignet(async (signet) => {
        const issued = await signet.acme.bindings.issue(cli(), { subscriberId: opts.subscriber, identifiers: opts.domain, profiles: opts.profile, validityDays: opts.validityDays, lifetimeDays: opts.lifetimeDays });
        print(
          opts.json,
          issued,
          say('acme.binding-issued', { subscriber: issued.subscriberId, keyId: issued.keyId, macKey: issued.macKey, identifiers: issued.identifiers.join(', '), profiles: issued.profiles.join(', '), validityDays: issued.validityDays, expiresAt: formatShanghaiTime(issued.expiresAt) }),
        );
      });
    });
  binding
    .command('list')
    .description('list bindings, without their keys / 列出绑定')
    .option('--subscriber <id>', 'only this subscriber\'s')
    .option('--json', 'machine-readable output')
    .action(async (opts: { subscriber?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const now = signet.ca.now();
        const bindings = await signet.acme.bindings.list(cli(), { subscriberId: opts.subscriber });
        printList(opts.json, bindings, (b) =>
          say('acme.binding-line', { keyId: b.keyId, subscriber: b.subscriberId, identifiers: b.identifiers.join(','), profiles: b.profiles.join(','), expiresAt: formatShanghaiTime(b.expiresAt), account: b.accountId ?? '-', state: say(`acme.binding-state.${stateOf(b, now)}`) }),
        );
      });
    });
  binding
    .command('revoke')
    .description('revoke a binding: its account can order no more certificates; audited / 撤销绑定')
    .argument('<keyId>', 'the binding\'s key id')
    .option('--json', 'machine-readable output')
    .action(async (keyId: string, opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const revoked = await signet.acme.bindings.revoke(cli(), keyId);
        print(opts.json, revoked, say('acme.binding-revoked', { keyId }));
      });
    });
}
