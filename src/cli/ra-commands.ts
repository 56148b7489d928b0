import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { formatShanghaiTime } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import { bootstrapPrincipal, ROLES, type Principal } from '../ra/roles.js';
import type { Signet } from '../signet.js';
import { openExistingSignet, say, print, printList } from './command-support.js';

/**
 * The named officer account, for the work only an RA officer does (review,
 * portal access): the CLI acts as them, within their RA, and the audit log
 * says it came from the command line (`cli:<username>`).
 */
async function officer(signet: Signet, username: string | undefined): Promise<Principal> {
  if (!username) throw new SignetError('cli.officer-needed', 400, {}, 'officer');
  const found = await signet.ra.operators.findByUsername(username);
  if (found.role !== 'ra-officer' || found.status !== 'active') {
    throw new SignetError('cli.not-an-officer', 403, { username: found.username, role: found.role, status: found.status }, 'officer');
  }
  return { operatorId: found.id, username: found.username, role: 'ra-officer', raId: found.raId, via: 'cli' };
}

async function withSignet<T>(work: (signet: Signet, by: Principal) => Promise<T>): Promise<T> {
  const signet = await openExistingSignet();
  try {
    // Whoever runs the CLI on the CA's machine holds its data folder: the bootstrap CA administrator.
    return await work(signet, bootstrapPrincipal('cli', process.env.USER ?? 'operator'));
  } finally {
    await signet.close();
  }
}

/** A password never comes as an argument (it would sit in the shell history and ps): from a variable or a file. */
function passwordFrom(opts: { passwordEnv?: string; passwordFile?: string }): string {
  if (opts.passwordEnv && process.env[opts.passwordEnv]) return process.env[opts.passwordEnv]!;
  if (opts.passwordFile) return readFileSync(opts.passwordFile === '-' ? 0 : opts.passwordFile, 'utf8').replace(/\r?\n$/, '');
  throw new SignetError('ra.cli-password-missing', 400, {}, 'password');
}

/** `signet ra …` and `signet agreement …`: thin over the RA domain. */
export function registerRaCommands(program: Command): void {
  const ra = program.command('ra').description('registration authorities, operators, subscribers, applications / 注册机构');

  const org = ra.command('org').description('RA organisations (R18) / 注册机构');
  org
    .command('create')
    .description('create an RA / 新建注册机构')
    .requiredOption('--name <name>', 'RA name')
    .option('--json', 'machine-readable output')
    .action(async (opts: { name: string; json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const created = await signet.ra.organisations.create(by, { name: opts.name });
        print(opts.json, created, say('ra.cli-org-created', { id: created.id, name: created.name }));
      });
    });
  org
    .command('list')
    .description('list RAs / 列出注册机构')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.ra.organisations.list();
        printList(opts.json, items, (o) => `${o.id}\t${o.status}${o.successorId ? ` → ${o.successorId}` : ''}\t${formatShanghaiTime(o.createdAt)}\t${o.name}`, 'cli.empty.ra-orgs');
      });
    });
  org
    .command('approval <raId>')
    .description('two-person approval (the registering officer cannot approve) or single-person (allowed, warned and audited) / 设置审核方式')
    .requiredOption('--policy <policy>', 'two-person | single-person')
    .option('--json', 'machine-readable output')
    .action(async (raId: string, opts: { policy: string; json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const changed = await signet.ra.organisations.setApprovalPolicy(by, raId, opts.policy);
        print(opts.json, changed, say(changed.approvalPolicy === 'two-person' ? 'ra.cli-approval-two-person' : 'ra.cli-approval-single-person', { ra: changed.id }));
      });
    });
  for (const how of ['merge', 'withdraw'] as const) {
    org
      .command(`${how} <raId>`)
      .description(how === 'merge' ? 'merge an RA into another / 合并注册机构' : 'withdraw an RA, naming its successor / 撤销注册机构')
      .requiredOption(how === 'merge' ? '--into <raId>' : '--successor <raId>', 'the successor RA')
      .option('--reason <text>', 'why, for the record')
      .option('--json', 'machine-readable output')
      .action(async (raId: string, opts: { into?: string; successor?: string; reason?: string; json?: boolean }) => {
        await withSignet(async (signet, by) => {
          const successor = (opts.into ?? opts.successor)!;
          const result =
            how === 'merge'
              ? await signet.ra.organisations.merge(by, raId, { into: successor, reason: opts.reason })
              : await signet.ra.organisations.withdraw(by, raId, { successor, reason: opts.reason });
          print(opts.json, result, say('ra.cli-succeeded', { ra: raId, successor, subscribers: result.subscribersMoved, applications: result.applicationsMoved }));
        });
      });
  }

  const operator = ra.command('operator').description('operators and roles / 操作员');
  operator
    .command('create')
    .description('create an operator (the first ca-admin is made here or with the admin token) / 新建操作员')
    .requiredOption('--username <name>', 'login name')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .option('--ra <raId>', 'the RA (ra-admin, ra-officer; optional for auditor)')
    .option('--display-name <name>', 'name shown in the UI')
    .option('--password-env <VAR>', 'read the password from this environment variable')
    .option('--password-file <file>', 'read the password from this file ("-" for stdin)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { username: string; role: string; ra?: string; displayName?: string; passwordEnv?: string; passwordFile?: string; json?: boolean }) => {
      const password = passwordFrom(opts);
      await withSignet(async (signet, by) => {
        const created = await signet.ra.operators.create(by, { username: opts.username, role: opts.role, raId: opts.ra ?? null, displayName: opts.displayName, password });
        print(opts.json, created, say('ra.cli-operator-created', { username: created.username, role: created.role, ra: created.raId ?? '-' }));
      });
    });
  operator
    .command('list')
    .description('list operators / 列出操作员')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const items = await signet.ra.operators.list(by);
        printList(opts.json, items, (o) => `${o.username}\t${o.role}\t${o.raId ?? '-'}\t${o.status}${o.locked ? ' (locked)' : ''}\t${o.displayName}`, 'cli.empty.operators');
      });
    });
  for (const [name, status, done] of [
    ['disable', 'disabled', 'ra.cli-operator-disabled'],
    ['enable', 'active', 'ra.cli-operator-enabled'],
  ] as const) {
    operator
      .command(`${name} <username>`)
      .description(name === 'disable' ? 'disable an account: its sessions and API tokens stop at once / 停用操作员' : 'enable a disabled account again / 重新启用操作员')
      .option('--reason <text>', 'why, for the audit log')
      .option('--json', 'machine-readable output')
      .action(async (username: string, opts: { reason?: string; json?: boolean }) => {
        await withSignet(async (signet, by) => {
          const found = await signet.ra.operators.findByUsername(username);
          const changed = await signet.ra.operators.setStatus(by, found.id, status, opts.reason);
          print(opts.json, changed, say(done, { username: changed.username }));
        });
      });
  }
  operator
    .command('set-role <username>')
    .description('give an operator another role (and RA) / 变更操作员角色')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .option('--ra <raId>', 'the RA (ra-admin, ra-officer; optional for auditor)')
    .option('--json', 'machine-readable output')
    .action(async (username: string, opts: { role: string; ra?: string; json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const found = await signet.ra.operators.findByUsername(username);
        const changed = await signet.ra.operators.changeRole(by, found.id, { role: opts.role, raId: opts.ra ?? null });
        print(opts.json, changed, say('ra.cli-operator-role', { username: changed.username, role: changed.role, ra: changed.raId ?? '-' }));
      });
    });
  operator
    .command('reset-password <username>')
    .description('set a new password for an operator and lift any lockout / 重设操作员口令')
    .option('--password-env <VAR>', 'read the password from this environment variable')
    .option('--password-file <file>', 'read the password from this file ("-" for stdin)')
    .option('--json', 'machine-readable output')
    .action(async (username: string, opts: { passwordEnv?: string; passwordFile?: string; json?: boolean }) => {
      const password = passwordFrom(opts);
      await withSignet(async (signet, by) => {
        const found = await signet.ra.operators.findByUsername(username);
        const changed = await signet.ra.operators.resetPassword(by, found.id, password);
        print(opts.json, changed, say('ra.cli-password-reset', { username: changed.username }));
      });
    });

  ra.command('role')
    .description('roles / 角色')
    .command('list')
    .description('the roles an operator can have, and what each may do / 列出角色及其权限')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      print(opts.json, ROLES, say('cli.role-list'));
    });
  operator
    .command('unlock <username>')
    .description('lift a login lockout / 解除锁定')
    .action(async (username: string) => {
      await withSignet(async (signet, by) => {
        const found = await signet.ra.operators.findByUsername(username);
        await signet.ra.operators.unlock(by, found.id);
        print(false, {}, say('ra.cli-unlocked', { username: found.username }));
      });
    });

  ra.command('token')
    .description('API tokens for automation / API 令牌')
    .command('create')
    .description('create an API token for an operator; printed once / 新建 API 令牌（仅显示一次）')
    .requiredOption('--username <name>', 'the operator the token acts as')
    .requiredOption('--label <text>', 'what it is for')
    .option('--days <n>', 'lifetime in days', (v) => Number(v))
    .option('--json', 'machine-readable output')
    .action(async (opts: { username: string; label: string; days?: number; json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const found = await signet.ra.operators.findByUsername(opts.username);
        const token = await signet.ra.operators.createApiToken(by, { label: opts.label, expiresInDays: opts.days, operatorId: found.id });
        print(opts.json, token, `${say('ra.cli-token-created', { username: found.username })}\n${token.token}`);
      });
    });

  const subscriber = ra.command('subscriber').description('subscribers / 订户');
  subscriber
    .command('list')
    .description('list subscribers, identifiers masked / 列出订户')
    .option('--ra <raId>', 'only this RA')
    .option('--json', 'machine-readable output')
    .action(async (opts: { ra?: string; json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const items = await signet.ra.subscribers.list(by, { raId: opts.ra });
        printList(opts.json, items, (s) => `${s.id}\t${s.type}\t${s.raId}\t${s.identifierMasked}\t${s.name}`, 'cli.empty.subscribers');
      });
    });
  subscriber
    .command('portal-access <subscriberId>')
    .description('a new portal sign-in (tracking number and code) for a subscriber registered at the counter or locked out; printed once / 签发门户登录凭证')
    .option('--officer <username>', 'the RA officer handing it over')
    .option('--json', 'machine-readable output')
    .action(async (subscriberId: string, opts: { officer?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const access = await signet.ra.selfService.issueAccess(await officer(signet, opts.officer), subscriberId);
        print(opts.json, access, say('ra.cli-portal-access', { id: subscriberId, ...access }));
      });
    });

  const application = ra.command('application').description('certificate applications / 证书申请');
  application
    .command('list')
    .description('list applications / 列出申请')
    .addOption(new Option('--status <status>', 'only applications in this state').choices(['submitted', 'in-review', 'approved', 'rejected', 'completed']))
    .option('--subscriber <id>', 'only this subscriber\'s')
    .option('--json', 'machine-readable output')
    .action(async (opts: { status?: string; subscriber?: string; json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const items = await signet.ra.applications.list(by, { status: opts.status, subscriberId: opts.subscriber });
        printList(opts.json, items, (a) => `${a.id}\t${a.status}\t${a.kind}\t${a.profileId}\t${a.subscriberId}\t${formatShanghaiTime(a.submittedAt)}`, 'cli.empty.applications');
      });
    });
  application
    .command('show <applicationId>')
    .description('one application and where it stands / 查看申请')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withSignet(async (signet, by) => {
        const a = await signet.ra.applications.get(by, id);
        const lines = [
          `${a.id}\t${a.status}\t${a.kind}\t${a.profileId}`,
          `${a.subscriberId}\t${a.raId}\t${formatShanghaiTime(a.submittedAt)}`,
          ...(a.decidedAt ? [`${a.decidedBy ?? '-'}\t${formatShanghaiTime(a.decidedAt)}\t${a.decisionReason ?? ''}`] : []),
          ...(a.certificateSerial ? [a.certificateSerial] : []),
        ];
        print(opts.json, a, lines.join('\n'));
      });
    });
  application
    .command('approve <applicationId>')
    .description('approve an application (taking it into review first) and print the download credential once (R4) / 批准申请')
    .option('--officer <username>', 'the RA officer deciding')
    .option('--note <text>', 'a note for the record')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { officer?: string; note?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const by = await officer(signet, opts.officer);
        if ((await signet.ra.applications.get(by, id)).status === 'submitted') await signet.ra.applications.startReview(by, id);
        const approved = await signet.ra.applications.approve(by, id, { note: opts.note });
        print(opts.json, approved, say('ra.cli-approved', { id, ...approved.credential, expiresAt: formatShanghaiTime(approved.credential.expiresAt) }));
      });
    });
  application
    .command('reject <applicationId>')
    .description('reject an application, with the reason the subscriber is told / 拒绝申请')
    .option('--officer <username>', 'the RA officer deciding')
    .requiredOption('--reason <text>', 'why (the subscriber sees it)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { officer?: string; reason: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const rejected = await signet.ra.applications.reject(await officer(signet, opts.officer), id, { reason: opts.reason });
        print(opts.json, rejected, say('ra.cli-rejected', { id }));
      });
    });

  const agreement = program.command('agreement').description('subscriber agreement versions (R0) / 订户协议');
  agreement
    .command('publish')
    .description('publish a new agreement version / 发布协议新版本')
    .requiredOption('--id <version>', 'version id, e.g. 2022-08')
    .requiredOption('--file <file>', 'the agreement text (UTF-8)')
    .option('--title <title>', 'title')
    .option('--published-at <iso>', 'when it takes effect (default: now)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { id: string; file: string; title?: string; publishedAt?: string; json?: boolean }) => {
      const text = readFileSync(opts.file, 'utf8');
      await withSignet(async (signet, by) => {
        const version = await signet.ra.agreements.publish({
          id: opts.id,
          title: opts.title ?? opts.id,
          text,
          publishedAt: opts.publishedAt ? new Date(opts.publishedAt) : undefined,
          actor: `cli:${by.username}`,
        });
        print(opts.json, version, say('ra.cli-agreement-published', { version: version.id, sha256: version.textSha256, at: formatShanghaiTime(version.publishedAt) }));
      });
    });
  agreement
    .command('show')
    .description('show the current (or a given) agreement version / 查看协议版本')
    .option('--version <id>', 'a version id instead of the current one')
    .option('--json', 'machine-readable output')
    .action(async (opts: { version?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const id = opts.version ?? (await signet.ra.agreements.requireCurrent()).id;
        const version = await signet.ra.agreements.version(id);
        print(opts.json, version, `${version.id}\t${formatShanghaiTime(version.publishedAt)}\t${version.textSha256}\n${version.title}`);
      });
    });
}
