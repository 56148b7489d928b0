import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { formatShanghaiTime } from '../i18n/locale.js';
import { SignetError } from '../i18n/signet-error.js';
import { COMPLAINT_CHANNELS } from '../service/complaints.js';
import { formatYuan } from '../service/context.js';
import { locale, say, withSignet, print } from './command-support.js';

const actor = () => `cli:${process.env.USER ?? 'operator'}`;

function lines<T>(items: T[], line: (item: T) => string): string {
  return items.length ? items.map(line).join('\n') : say('service.cli-none');
}

function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new SignetError('service.cli-bad-json', 400, { file, detail: (error as Error).message }, 'file');
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readText(file));
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw new SignetError('service.cli-bad-json', 400, { file, detail: (error as Error).message }, 'file');
  }
}

function date(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new SignetError('service.bad-date', 400, { value }, field);
  return at;
}

const json = ['--json', 'machine-readable output'] as const;

/** `signet calendar|complaint|liability|fee|retention|notification|publication …` and `signet audit checkpoint(s)`: thin over the domains. */
export function registerServiceCommands(program: Command): void {
  registerAuditCheckpointCommands(program);

  const calendar = program.command('calendar').description('working-day calendar (R12) / 工作日历');
  calendar
    .command('list')
    .description('years the calendar knows / 已导入的年份')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const years = await signet.service.calendars.list();
        print(opts.json, years, lines(years, (y) => `${y.year}\t${y.holidays.map((h) => `${h.name} ${h.from}…${h.to}`).join('; ')}\t+${y.makeUpWorkdays.join(',')}`));
      });
    });
  calendar
    .command('load')
    .description('load or replace a year from JSON like src/service/calendars/2026.json / 导入某年日历')
    .requiredOption('--file <file>', 'JSON { year, holidays: [{ name, from, to }], makeUpWorkdays: [...], source } ("-" for stdin)')
    .option(...json)
    .action(async (opts: { file: string; json?: boolean }) => {
      const input = readJson(opts.file);
      await withSignet(async (signet) => {
        const year = await signet.service.calendars.load(actor(), input);
        print(opts.json, year, say('service.cli-calendar-loaded', { year: year.year, holidays: year.holidays.length, makeUp: year.makeUpWorkdays.length }));
      });
    });

  const complaint = program.command('complaint').description('complaints with a 7-working-day deadline (R12) / 投诉');
  complaint
    .command('file')
    .description('record a complaint; its deadline comes from the calendar / 受理投诉')
    .addOption(new Option('--channel <channel>', 'how it arrived').choices([...COMPLAINT_CHANNELS]).makeOptionMandatory())
    .requiredOption('--name <name>', 'complainant name')
    .requiredOption('--contact <contact>', 'phone or e-mail')
    .requiredOption('--category <category>', 'what it is about')
    .requiredOption('--description <text>', 'the complaint')
    .option('--subscriber <id>', 'subscriber id')
    .option('--serial <hex>', 'certificate serial')
    .option('--received-at <time>', 'ISO-8601, default now')
    .option(...json)
    .action(async (opts: { channel: string; name: string; contact: string; category: string; description: string; subscriber?: string; serial?: string; receivedAt?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const filed = await signet.service.complaints.file(actor(), {
          channel: opts.channel,
          complainant: { name: opts.name, contact: opts.contact },
          category: opts.category,
          description: opts.description,
          subscriberId: opts.subscriber,
          certificateSerial: opts.serial,
          receivedAt: opts.receivedAt,
        });
        print(opts.json, filed, say('service.cli-complaint-filed', { id: filed.id, due: filed.dueShown }));
      });
    });
  complaint
    .command('list')
    .description('complaints, personal data masked; overdue ones flagged / 投诉列表')
    .option('--overdue', 'only open complaints past their deadline')
    .addOption(new Option('--status <status>', 'open or responded').choices(['open', 'responded']))
    .option(...json)
    .action(async (opts: { overdue?: boolean; status?: 'open' | 'responded'; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.service.complaints.list({ overdue: opts.overdue, status: opts.status });
        print(opts.json, items, lines(items, (c) => `${c.id}\t${c.status}${c.overdue ? ` ${say('service.cli-overdue')}` : ''}\t${c.dueShown}\t${c.category}\t${c.complainant?.name ?? '-'}`));
      });
    });
  complaint
    .command('show <id>')
    .description('one complaint in full (the read is audited) / 查看投诉')
    .option(...json)
    .action(async (id: string, opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.complaints.get(actor(), id);
        print(opts.json, c, [`${c.id} ${c.status}${c.overdue ? ` ${say('service.cli-overdue')}` : ''}`, `${formatShanghaiTime(c.receivedAt)} → ${c.dueShown}`, `${c.complainant?.name ?? '-'} ${c.complainant?.contact ?? ''}`, c.description ?? '-', c.response ?? ''].join('\n'));
      });
    });
  complaint
    .command('respond <id>')
    .description('record the response / 答复投诉')
    .requiredOption('--response <text>', 'the response given')
    .option(...json)
    .action(async (id: string, opts: { response: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.complaints.respond(actor(), id, { response: opts.response });
        print(opts.json, c, `${c.id}\t${c.status}`);
      });
    });

  const liability = program.command('liability').description('liability caps and claims (R17) / 赔偿责任');
  liability
    .command('caps')
    .description('caps per policy and subscriber type / 赔偿上限')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const caps = await signet.service.liability.caps();
        print(opts.json, caps, lines(caps, (c) => `${c.policyId}\t${c.subscriberType}\t${formatYuan(c.capFen)}`));
      });
    });
  liability
    .command('set-cap')
    .description('set the cap for a policy (profile id or "default") / 设置赔偿上限')
    .requiredOption('--policy <id>', 'profile id or default')
    .addOption(new Option('--type <type>', 'subscriber type').choices(['individual', 'enterprise']).makeOptionMandatory())
    .requiredOption('--cap-fen <fen>', 'the cap in fen (integer)')
    .option(...json)
    .action(async (opts: { policy: string; type: string; capFen: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const cap = await signet.service.liability.setCap(actor(), { policyId: opts.policy, subscriberType: opts.type, capFen: opts.capFen });
        print(opts.json, cap, `${cap.policyId}\t${cap.subscriberType}\t${formatYuan(cap.capFen)}`);
      });
    });
  liability
    .command('show <serial>')
    .description("a certificate's cap and what was paid / 证书赔付情况")
    .option(...json)
    .action(async (serial: string, opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const l = await signet.service.liability.certificate(serial);
        print(opts.json, l, `${l.certificateSerial}\t${l.subscriberType}\t${formatYuan(l.paidFen)} / ${formatYuan(l.capFen)}`);
      });
    });
  const claim = liability.command('claim').description('the claims register / 赔偿申请');
  claim
    .command('register')
    .description('register a claim against a certificate / 登记赔偿申请')
    .requiredOption('--serial <hex>', 'certificate serial')
    .requiredOption('--amount-fen <fen>', 'amount claimed in fen (integer)')
    .requiredOption('--claimant-name <name>', 'who claims')
    .requiredOption('--claimant-contact <contact>', 'phone or e-mail')
    .requiredOption('--description <text>', 'what happened')
    .addOption(new Option('--type <type>', 'subscriber type when the profile has none').choices(['individual', 'enterprise']))
    .option(...json)
    .action(async (opts: { serial: string; amountFen: string; claimantName: string; claimantContact: string; description: string; type?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.liability.register(actor(), { certificateSerial: opts.serial, amountFen: opts.amountFen, claimant: { name: opts.claimantName, contact: opts.claimantContact }, description: opts.description, subscriberType: opts.type });
        print(opts.json, c, `${c.id}\t${c.status}\t${formatYuan(c.amountClaimedFen)}`);
      });
    });
  claim
    .command('pay <claimId>')
    .description('pay a claim (refused past the certificate cap) / 赔付')
    .option('--amount-fen <fen>', 'pay less than claimed')
    .option('--note <text>', 'decision note')
    .option(...json)
    .action(async (claimId: string, opts: { amountFen?: string; note?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.liability.pay(actor(), claimId, { amountFen: opts.amountFen, note: opts.note });
        print(opts.json, c, `${c.id}\t${c.status}\t${formatYuan(c.paidFen)}`);
      });
    });
  claim
    .command('reject <claimId>')
    .description('reject a claim / 驳回')
    .requiredOption('--note <text>', 'why')
    .option(...json)
    .action(async (claimId: string, opts: { note: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.liability.reject(actor(), claimId, { note: opts.note });
        print(opts.json, c, `${c.id}\t${c.status}`);
      });
    });
  claim
    .command('list')
    .description('claims, claimants masked / 赔偿申请列表')
    .option('--serial <hex>', 'only this certificate')
    .option(...json)
    .action(async (opts: { serial?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.service.liability.claims({ certificateSerial: opts.serial });
        print(opts.json, items, lines(items, (c) => `${c.id}\t${c.certificateSerial}\t${c.status}\t${formatYuan(c.amountClaimedFen)}\t${formatYuan(c.paidFen)}\t${c.claimant?.name ?? '-'}`));
      });
    });

  const fee = program.command('fee').description('fee standards, charges, payments (R9) / 收费');
  const schedule = fee.command('schedule').description('fee standard per RA and product / 收费标准');
  schedule
    .command('set')
    .description('add a fee for a product (profile × validity) at an RA / 设置收费标准')
    .requiredOption('--ra <raId>', 'RA id')
    .requiredOption('--profile <id>', 'certificate profile')
    .requiredOption('--validity-days <n>', 'validity in days')
    .requiredOption('--amount-fen <fen>', 'price in fen (integer)')
    .option('--effective-from <time>', 'ISO-8601, default now')
    .option(...json)
    .action(async (opts: { ra: string; profile: string; validityDays: string; amountFen: string; effectiveFrom?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const s = await signet.service.fees.setSchedule(actor(), { raId: opts.ra, profileId: opts.profile, validityDays: opts.validityDays, amountFen: opts.amountFen, effectiveFrom: opts.effectiveFrom });
        print(opts.json, s, `${s.id}\t${s.raId}\t${s.profileId}\t${s.validityDays}d\t${s.amountShown}\t${formatShanghaiTime(s.effectiveFrom)}`);
      });
    });
  schedule
    .command('list')
    .description('the fee standard in force / 查询收费标准')
    .option('--ra <raId>', 'only this RA')
    .option('--at <time>', 'in force at this time')
    .option('--all', 'every version, not just those in force')
    .option(...json)
    .action(async (opts: { ra?: string; at?: string; all?: boolean; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.service.fees.schedules({ raId: opts.ra, at: date(opts.at, 'at'), all: opts.all });
        print(opts.json, items, lines(items, (s) => `${s.raId}\t${s.profileId}\t${s.validityDays}d\t${s.amountShown}\t${formatShanghaiTime(s.effectiveFrom)}`));
      });
    });
  fee
    .command('settings <raId>')
    .description("show or change an RA's payment gate and reminder window / 收费设置")
    .addOption(new Option('--require-payment <yes|no>', 'issuance and renewal wait for payment').choices(['yes', 'no']))
    .option('--reminder-days <n>', 'renewal reminder this many days before expiry')
    .option(...json)
    .action(async (raId: string, opts: { requirePayment?: string; reminderDays?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const s =
          opts.requirePayment === undefined && opts.reminderDays === undefined
            ? await signet.service.fees.settings(raId)
            : await signet.service.fees.configure(actor(), raId, { paymentRequired: opts.requirePayment === undefined ? undefined : opts.requirePayment === 'yes', reminderDays: opts.reminderDays });
        print(opts.json, s, `${s.raId}\tpaymentRequired=${s.paymentRequired}\treminderDays=${s.reminderDays}`);
      });
    });
  fee
    .command('charge')
    .description('charge a certificate period / 生成费用')
    .requiredOption('--ra <raId>', 'RA id')
    .requiredOption('--subscriber <id>', 'subscriber id')
    .addOption(new Option('--purpose <purpose>', 'issuance or renewal').choices(['issuance', 'renewal']).makeOptionMandatory())
    .requiredOption('--reference <ref>', 'application id (issuance) or certificate serial (renewal)')
    .requiredOption('--profile <id>', 'certificate profile')
    .requiredOption('--validity-days <n>', 'validity in days')
    .option(...json)
    .action(async (opts: { ra: string; subscriber: string; purpose: string; reference: string; profile: string; validityDays: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.fees.charge(actor(), { raId: opts.ra, subscriberId: opts.subscriber, purpose: opts.purpose, reference: opts.reference, profileId: opts.profile, validityDays: opts.validityDays });
        print(opts.json, c, `${c.id}\t${c.periodRef}\t${c.status}\t${formatYuan(c.amountFen)}`);
      });
    });
  fee
    .command('pay <chargeId>')
    .description('record a payment / 登记付款')
    .requiredOption('--amount-fen <fen>', 'amount in fen (integer)')
    .requiredOption('--method <method>', 'bank-transfer, cash, …')
    .option('--reference <ref>', 'payment reference')
    .option(...json)
    .action(async (chargeId: string, opts: { amountFen: string; method: string; reference?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.service.fees.recordPayment(actor(), chargeId, { amountFen: opts.amountFen, method: opts.method, reference: opts.reference });
        print(opts.json, c, `${c.id}\t${c.status}\t${formatYuan(c.paidFen)} / ${formatYuan(c.amountFen)}`);
      });
    });
  fee
    .command('charges')
    .description('charges / 费用列表')
    .option('--ra <raId>', 'only this RA')
    .option('--subscriber <id>', 'only this subscriber')
    .addOption(new Option('--status <status>', 'due, paid or waived').choices(['due', 'paid', 'waived']))
    .option(...json)
    .action(async (opts: { ra?: string; subscriber?: string; status?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.service.fees.charges({ raId: opts.ra, subscriberId: opts.subscriber, status: opts.status });
        print(opts.json, items, lines(items, (c) => `${c.id}\t${c.periodRef}\t${c.status}\t${formatYuan(c.paidFen)} / ${formatYuan(c.amountFen)}`));
      });
    });
  fee
    .command('remind')
    .description('queue renewal reminders for certificates about to expire / 生成更新提醒')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const count = await signet.service.fees.queueRenewalReminders();
        print(opts.json, { queued: count }, say('service.cli-reminders', { count }));
      });
    });

  const retention = program.command('retention').description('retention of personal data (R2) / 个人信息保存期限');
  retention
    .command('run')
    .description('purge personal data past the retention period, unless held / 执行清除任务')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const report = await signet.service.retention.run(actor());
        print(opts.json, report, say('service.cli-retention-ran', { purged: report.purged.length, held: report.held.length, retained: report.retained }));
      });
    });
  retention
    .command('reseal')
    .description('after a SIGNET_PII_KEY rotation: seal personal data again under the current key / 轮换密钥后重新加密')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const counts = { ...(await signet.service.resealPersonalData(actor())), ...(await signet.ra.personalDataHolder.reseal(actor())), ...(await signet.disputes.reseal()), ...(await signet.acme.bindings.reseal(actor())) };
        print(opts.json, counts, Object.entries(counts).map(([k, v]) => `${k}=${v}`).join('\t'));
      });
    });
  retention
    .command('hold <subscriberId>')
    .description('place a legal hold or dispute hold / 法律保全')
    .requiredOption('--reason <text>', 'case number, why')
    .addOption(new Option('--kind <kind>', 'legal-hold or dispute').choices(['legal-hold', 'dispute']).default('legal-hold'))
    .option(...json)
    .action(async (subscriberId: string, opts: { reason: string; kind: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const h = await signet.service.retention.placeHold(actor(), { subscriberId, kind: opts.kind, reason: opts.reason });
        print(opts.json, h, `${h.id}\t${h.subscriberId}\t${h.kind}`);
      });
    });
  retention
    .command('release <holdId>')
    .description('release a hold / 解除保全')
    .option(...json)
    .action(async (holdId: string, opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const h = await signet.service.retention.releaseHold(actor(), holdId);
        print(opts.json, h, `${h.id}\t${h.subscriberId}\t${formatShanghaiTime(h.releasedAt!)}`);
      });
    });
  retention
    .command('holds')
    .description('holds / 保全列表')
    .option('--subscriber <id>', 'only this subscriber')
    .option('--active', 'only holds not released')
    .option(...json)
    .action(async (opts: { subscriber?: string; active?: boolean; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.service.retention.holds({ subscriberId: opts.subscriber, active: opts.active });
        print(opts.json, items, lines(items, (h) => `${h.id}\t${h.subscriberId}\t${h.kind}\t${h.releasedAt ? 'released' : 'active'}\t${h.reason}`));
      });
    });

  const notification = program.command('notification').description('the notification outbox / 通知');
  notification
    .command('list')
    .description('queued notifications / 通知列表')
    .option('--pending', 'only those not sent yet')
    .option(...json)
    .action(async (opts: { pending?: boolean; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.service.outbox.summaries({ pending: opts.pending });
        print(opts.json, items, lines(items, (n) => `${n.id}\t${n.kind}\t${n.recipient}\t${n.state}\t${n.attempts}\t${n.subject[locale]}`));
      });
    });
  notification
    .command('send')
    .description('one delivery round now over SIGNET_SMTP_URL (what `serve` does every minute) / 立即发送到期的通知')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const round = await signet.mail.deliverDue();
        print(opts.json, round, round ? say('service.cli-delivered', { ...round }) : say('service.cli-no-smtp'));
      });
    });

  const publication = program.command('publication').description('agreement versions, CPS, notices (R11, R19) / 发布');
  publication
    .command('agreement')
    .description('publish an agreement version in zh-CN and en and notify subscribers / 发布协议版本')
    .requiredOption('--id <version>', 'version id, e.g. 2026-11')
    .requiredOption('--title-zh <title>', 'Chinese title')
    .requiredOption('--title-en <title>', 'English title')
    .requiredOption('--text-zh-file <file>', 'Chinese text (UTF-8)')
    .requiredOption('--text-en-file <file>', 'English text (UTF-8)')
    .option('--effective-at <time>', 'ISO-8601, default at publication')
    .option(...json)
    .action(async (opts: { id: string; titleZh: string; titleEn: string; textZhFile: string; textEnFile: string; effectiveAt?: string; json?: boolean }) => {
      const text = { 'zh-CN': readText(opts.textZhFile), en: readText(opts.textEnFile) };
      await withSignet(async (signet) => {
        const result = await signet.publication.publishAgreement(actor(), { id: opts.id, title: { 'zh-CN': opts.titleZh, en: opts.titleEn }, text, effectiveAt: date(opts.effectiveAt, 'effectiveAt') });
        print(opts.json, result, say('agreement.cli-published', { kind: 'agreement', version: result.version.id, notified: result.notified }));
      });
    });
  publication
    .command('document')
    .description('publish the CPS or a notice / 发布 CPS 或公告')
    .addOption(new Option('--kind <kind>', 'cps or notice').choices(['cps', 'notice']).makeOptionMandatory())
    .requiredOption('--version <version>', 'version id')
    .requiredOption('--title-zh <title>', 'Chinese title')
    .requiredOption('--title-en <title>', 'English title')
    .requiredOption('--text-zh-file <file>', 'Chinese text (UTF-8)')
    .requiredOption('--text-en-file <file>', 'English text (UTF-8)')
    .option('--effective-at <time>', 'ISO-8601, default now')
    .option(...json)
    .action(async (opts: { kind: string; version: string; titleZh: string; titleEn: string; textZhFile: string; textEnFile: string; effectiveAt?: string; json?: boolean }) => {
      const text = { 'zh-CN': readText(opts.textZhFile), en: readText(opts.textEnFile) };
      await withSignet(async (signet) => {
        const result = await signet.publication.publishDocument(actor(), { kind: opts.kind, version: opts.version, title: { 'zh-CN': opts.titleZh, en: opts.titleEn }, text, effectiveAt: date(opts.effectiveAt, 'effectiveAt') });
        print(opts.json, result, say('agreement.cli-published', { kind: opts.kind, version: opts.version, notified: result.notified }));
      });
    });
  publication
    .command('deemed-acceptance')
    .description('record deemed acceptance one month after publication (the scheduled job) / 记录视为接受')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const recorded = await signet.publication.recordDeemedAcceptances();
        print(opts.json, recorded, say('agreement.cli-deemed', { count: recorded.length }));
      });
    });
  publication
    .command('object')
    .description("record a subscriber's written objection; revokes their certificates / 登记书面异议")
    .requiredOption('--version <version>', 'agreement version objected to')
    .requiredOption('--subscriber <id>', 'subscriber id')
    .requiredOption('--reference <ref>', "the letter's reference")
    .requiredOption('--statement <text>', 'what the subscriber wrote')
    .option('--received-at <time>', 'ISO-8601, default now')
    .option(...json)
    .action(async (opts: { version: string; subscriber: string; reference: string; statement: string; receivedAt?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const o = await signet.publication.object(actor(), { versionId: opts.version, subscriberId: opts.subscriber, writtenReference: opts.reference, statement: opts.statement, receivedAt: date(opts.receivedAt, 'receivedAt') });
        print(opts.json, o, say('agreement.cli-objection', { id: o.id, count: o.revokedSerials.length }));
      });
    });
  publication
    .command('objections')
    .description('objections kept / 异议列表')
    .option('--version <version>', 'only this version')
    .option(...json)
    .action(async (opts: { version?: string; json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.publication.objections({ versionId: opts.version });
        print(opts.json, items, lines(items, (o) => `${o.id}\t${o.versionId}\t${o.subscriberId}\t${formatShanghaiTime(o.receivedAt)}\t${o.revokedSerials.join(',')}`));
      });
    });
}

/** `signet audit checkpoint` and `signet audit checkpoints`, beside the existing `signet audit verify`. */
function registerAuditCheckpointCommands(program: Command): void {
  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description('tamper-evident audit log / 防篡改审计日志');
  audit
    .command('checkpoint')
    .description('sign the chain head with the audit key, time-stamped by our TSA (R20) / 签名检查点')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const c = await signet.auditCheckpoints.checkpoint(actor());
        const stamped = c.timeStamped ? (locale === 'en' ? ', time-stamped' : '，已加盖时间戳') : '';
        print(opts.json, c, say('audit.checkpoint-created', { id: c.id, seq: c.upToSeq, head: c.headHash, stamped }));
      });
    });
  audit
    .command('checkpoints')
    .description('signed checkpoints / 检查点列表')
    .option(...json)
    .action(async (opts: { json?: boolean }) => {
      await withSignet(async (signet) => {
        const items = await signet.auditCheckpoints.list();
        print(opts.json, items, lines(items, (c) => `${c.id}\t${c.upToSeq}\t${c.headHash}\t${formatShanghaiTime(c.at)}\t${c.timeStamped ? 'TSA' : '-'}`));
      });
    });
}
