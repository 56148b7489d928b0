import { loadConfig } from '../config/settings.js';
import { cliLocale } from '../i18n/locale.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import { openSignet, type Signet } from '../signet.js';

/** What every command file shares: the reader's language, the deployment, and output. */
export const locale = cliLocale();

export const say = (code: MessageCode, params: Record<string, unknown> = {}): string => translate(code, locale, params);

/** Opens the deployment named by the environment, runs `work`, always closes. */
export async function withSignet<T>(work: (signet: Signet) => Promise<T>): Promise<T> {
  const signet = await openSignet(loadConfig());
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
