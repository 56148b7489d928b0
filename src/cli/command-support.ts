import { existsSync } from 'node:fs';
import { loadConfig, type SignetConfig } from '../config/settings.js';
import { SignetError } from '../i18n/signet-error.js';
import { cliLocale } from '../i18n/locale.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import { openSignet, type Signet } from '../signet.js';

/** What every command file shares: the reader's language, the deployment, and output. */
export const locale = cliLocale();

export const say = (code: MessageCode, params: Record<string, unknown> = {}): string => translate(code, locale, params);

/**
 * The deployment named by the environment, which must exist already: only
 * `init` and `serve` create a store. A command run in the wrong folder would
 * otherwise quietly create an empty ./data/signet.db and report an empty CA.
 */
export async function openExistingSignet(config: SignetConfig = loadConfig()): Promise<Signet> {
  const sqlite = !/^postgres(ql)?:\/\//.test(config.databaseUrl);
  const path = config.databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  if (sqlite && !existsSync(path)) throw new SignetError('cli.no-store', 404, { dataDir: config.dataDir, database: path });
  return openSignet(config);
}

/** Opens the existing deployment named by the environment (`create` only for init), runs `work`, always closes. */
export async function withSignet<T>(work: (signet: Signet) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const signet = options.create ? await openSignet(loadConfig()) : await openExistingSignet();
  try {
    return await work(signet);
  } finally {
    await signet.close();
  }
}

/** JSON for --json, else the human text. */
export function print(json: boolean | undefined, data: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

/** A list: JSON for --json (an empty array stays []), else one line per item, or a sentence saying it is empty. */
export function printList<T>(json: boolean | undefined, items: readonly T[], line: (item: T) => string, empty: MessageCode = 'cli.empty.list'): void {
  if (json) return print(true, items, '');
  print(false, items, items.length === 0 ? say(empty) : items.map(line).join('\n'));
}
