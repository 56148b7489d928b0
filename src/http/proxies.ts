import { isIP } from 'node:net';
import { configError } from '../config/config-error.js';

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `SIGNET_TRUSTED_PROXIES` (issue 16 §3): the reverse proxies whose
 * X-Forwarded-For is believed, as addresses, CIDR ranges or proxy-addr's
 * names (loopback, linklocal, uniquelocal), comma-separated. Unset: nobody's
 * is, and the client address is the connection's, so a client cannot choose
 * the address its rate limits, attempt counters and consent records are kept
 * under by writing a header. With a proxy named, the address is the first one
 * in the header that is not itself a trusted proxy (Fastify's trustProxy).
 * A malformed entry stops the start.
 */
export function trustedProxiesFrom(env: NodeJS.ProcessEnv): string[] | false {
  const text = env.SIGNET_TRUSTED_PROXIES?.trim();
  if (!text) return false;
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!isProxyEntry(entry)) throw configError('http.config.proxy-invalid', { variable: 'SIGNET_TRUSTED_PROXIES', value: entry, names: [...NAMED_RANGES].join(', ') });
  }
  return entries.length > 0 ? entries : false;
}

function isProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
