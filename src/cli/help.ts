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

/** One side of commander's "… cannot be used with …". */
const conflicting = (side: string) => side.replace(/^option (.*)$/, '选项 $1 ').replace(/^environment variable (.*)$/, '环境变量 $1 ');

/** commander's own parse errors, which it writes in English, in Chinese. */
const ERRORS_ZH: Array<[RegExp, (...groups: string[]) => string]> = [
  [/^error: unknown option '([^']*)'/, (flag) => `错误：未知选项 '${flag}'`],
  [/^error: unknown command '([^']*)'/, (name) => `错误：未知命令 '${name}'`],
  [/^error: missing required argument '([^']*)'/, (name) => `错误：缺少必需的参数 '${name}'`],
  [/^error: option '([^']*)' argument missing/, (flags) => `错误：选项 '${flags}' 缺少取值`],
  [/^error: required option '([^']*)' not specified/, (flags) => `错误：未给出必需的选项 '${flags}'`],
  [/^error: too many arguments(?: for '([^']*)')?\. Expected (\d+) arguments? but got (\d+)\./, (name, expected, got) => `错误：${name ? `命令 '${name}' 的` : ''}参数过多：应为 ${expected} 个，实际 ${got} 个。`],
  [/^error: option '([^']*)' argument '([^']*)' is invalid\./, (flags, value) => `错误：选项 '${flags}' 的取值 '${value}' 无效。`],
  [/^error: option '([^']*)' value '([^']*)' from env '([^']*)' is invalid\./, (flags, value, env) => `错误：环境变量 ${env} 为选项 '${flags}' 提供的取值 '${value}' 无效。`],
  [/^error: command-argument value '([^']*)' is invalid for argument '([^']*)'\./, (value, name) => `错误：参数 '${name}' 的取值 '${value}' 无效。`],
  [/^error: (.*) cannot be used with (.*)$/m, (a, b) => `错误：${conflicting(a)}不能与${conflicting(b)}同时使用`],
  [/Allowed choices are ([^\n]*)\./, (choices) => `可选值：${choices}。`],
  [/\(Did you mean one of ([^?]*)\?\)/, (names) => `（您是否想输入以下之一：${names}？）`],
  [/\(Did you mean ([^?]*)\?\)/, (name) => `（您是否想输入 ${name}？）`],
];

/** A commander error message in the reader's language (its English otherwise). */
export function localiseError(text: string, locale: Locale): string {
  if (locale === 'en') return text;
  let message = text;
  for (const [pattern, zh] of ERRORS_ZH) {
    const found = pattern.exec(message);
    if (found) message = message.slice(0, found.index) + zh(...found.slice(1).map((g) => g ?? '')) + message.slice(found.index + found[0].length);
  }
  return message;
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
    command.configureOutput({ outputError: (text, write) => write(localiseError(text, locale)) });
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
