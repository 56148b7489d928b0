import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { AcmeProblem } from './problems.js';

/**
 * RFC 8555 §8.4: a TXT record at _acme-challenge.<domain> holding
 * base64url(SHA-256(key authorization)). Asked of the configured resolver
 * (SIGNET_ACME_DNS_RESOLVER, host:port) or the system's.
 */
export async function validateDns01(domain: string, keyAuthorization: string, resolverAddress: string | null, timeoutMs: number): Promise<void> {
  const expected = createHash('sha256').update(keyAuthorization).digest('base64url');
  const resolver = new Resolver({ timeout: Math.min(timeoutMs, 10_000), tries: 2 });
  if (resolverAddress) resolver.setServers([resolverAddress]);
  const name = `_acme-challenge.${domain}`;
  let records: string[][];
  try {
    records = await resolver.resolveTxt(name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') throw new AcmeProblem('unauthorized', `dns-01: no TXT record at ${name}`);
    throw new AcmeProblem('dns', `dns-01: looking up ${name} failed: ${code ?? (error as Error).message}`);
  }
  if (!records.some((chunks) => chunks.join('') === expected)) throw new AcmeProblem('incorrectResponse', `dns-01: no TXT record at ${name} holds this challenge's digest`);
}
