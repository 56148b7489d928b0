import type { Command, Help, Option } from 'commander';
import type { Locale } from '../i18n/locale.js';
import { HELP_ZH } from './help-zh.js';

/** Requirement numbers are for the code and docs/requirements.md, not for the person reading help. */
const REQUIREMENT = /\s*[(（]R\d+(?:[,，、\s]+(?:R|§)?\d+)*[)）]/g;

const TITLES_ZH: Record<string, string> = { 'Usage:': '用法：', 'Options:': '选项：', 'Commands:': '命令：', 'Arguments:': '参数：', 'Global Options:': '全局选项：' };

/** A command's "english / 中文" description: the reader's half. */
function pick(description: string, locale: Locale): string {
  // The last " / " separates the halves (an English half may itself contain one).
  const at = description.lastIndexOf(' / ');
  if (at > 0 && /\p{Script=Han}/u.test(description.slice(at))) return (locale === 'en' ? description.slice(0, at) : description.slice(at + 3)).replace(REQUIREMENT, '');
  return translate(description, locale);
}

/** An option's or argument's English text in the reader's language (English if no translation is known). */
function translate(text: string, locale: Locale): string {
  const plain = text.replace(REQUIREMENT, '');
  return locale === 'en' ? plain : (HELP_ZH[plain] ?? HELP_ZH[text] ?? plain);
}

/** Every text `--help` would show for a command, before localisation (for the catalogue's test). */
export function helpTexts(program: Command): string[] {
  const texts: string[] = [];
  const walk = (command: Command) => {
    const description = command.description();
    const at = description.lastIndexOf(' / ');
    if (description && !(at > 0 && /\p{Script=Han}/u.test(description.slice(at)))) texts.push(description);
    for (const option of command.options as Option[]) if (option.description) texts.push(option.description);
    for (const argument of command.registeredArguments) if (argument.description) texts.push(argument.description);
    command.commands.forEach(walk);
  };
  walk(program);
  return texts;
}

/**
 * Help in the reader's language (SIGNET_LANG, else LANG), without
 * requirement numbers: command descriptions are written "english / 中文",
 * option texts in English with their Chinese in help-zh.ts.
 */
export function localiseHelp(program: Command, locale: Locale): void {
  const zh = locale !== 'en';
  const walk = (command: Command) => {
    command.description(pick(command.description(), locale));
    for (const option of command.options as Option[]) option.description = translate(option.description, locale);
    for (const argument of command.registeredArguments) argument.description = translate(argument.description, locale);
    command.helpOption('-h, --help', zh ? '显示帮助' : 'display help');
    if (command.commands.length > 0) command.helpCommand('help [command]', zh ? '显示某个命令的帮助' : 'display help for a command');
    if (zh) {
      command.configureHelp({
        styleTitle: (title: string) => TITLES_ZH[title] ?? title,
        optionDescription(option: Option): string {
          const base = Object.getPrototypeOf(this as Help) as Help;
          return base.optionDescription.call(this, option).replace(' (choices: ', '（可选值：').replace(' (default: ', '（默认：').replace(/\)$/, '）');
        },
      });
    }
    command.commands.forEach(walk);
  };
  walk(program);
}
