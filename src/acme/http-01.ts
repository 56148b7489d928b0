import { request } from 'node:http';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { AcmeProblem } from './problems.js';
import { configError } from '../config/config-error.js';

/**
 * Where the validator looks names up: a fixed map first (tests point names at
 * 127.0.0.1; an operator may pin internal names), the system resolver otherwise.
 */
export interface ValidationNetwork {
  /** The port http-01 connects to; 80 by the RFC, another for tests and for validators behind NAT. */
  http01Port: number;
  /** The port tls-alpn-01 connects to; 443 by RFC 8737. */
  tlsAlpnPort: number;
  hosts: Record<string, string>;
  /** host:port of the resolver dns-01 asks; null for the system's. */
  dnsResolver: string | null;
  timeoutMs: number;
}

export const DEFAULT_NETWORK: ValidationNetwork = { http01Port: 80, tlsAlpnPort: 443, hosts: {}, dnsResolver: null, timeoutMs: 10_000 };

/** SIGNET_ACME_HTTP01_PORT, SIGNET_ACME_TLS_ALPN_PORT, SIGNET_ACME_DNS_RESOLVER and SIGNET_ACME_HOSTS (`name=address,name=address`). */
export function validationNetworkFrom(env: NodeJS.ProcessEnv): ValidationNetwork {
  const portOf = (variable: string, fallback: number) => {
    const text = env[variable]?.trim();
    const port = text ? Number(text) : fallback;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw configError('config.whole-number-range', { variable, value: text, min: 1, max: 65535 });
    return port;
  };
  const hosts: Record<string, string> = {};
  for (const part of (env.SIGNET_ACME_HOSTS ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, address] = part.split('=').map((s) => s.trim());
    if (!name || !address || !isIP(address)) throw configError('acme.config.hosts-invalid', { variable: 'SIGNET_ACME_HOSTS', value: part });
    hosts[name.toLowerCase()] = address;
  }
  return { ...DEFAULT_NETWORK, http01Port: portOf('SIGNET_ACME_HTTP01_PORT', 80), tlsAlpnPort: portOf('SIGNET_ACME_TLS_ALPN_PORT', 443), hosts, dnsResolver: env.SIGNET_ACME_DNS_RESOLVER?.trim() || null };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function lookupThrough(network: ValidationNetwork) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    const pinned = network.hosts[hostname.toLowerCase()];
    if (pinned) {
      const family = isIP(pinned);
      if (options.all) callback(null, [{ address: pinned, family }]);
      else callback(null, pinned, family);
      return;
    }
    dnsLookup(hostname, options as never, callback as never);
  };
}

const MAX_BODY = 8192;

/**
 * RFC 8555 §8.3: GET http://<domain>:<port>/.well-known/acme-challenge/<token>
 * must answer 200 with the key authorization (surrounding whitespace allowed).
 * No redirects are followed. Throws the problem the client will read.
 */
export function validateHttp01(domain: string, token: string, keyAuthorization: string, network: ValidationNetwork): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: domain, port: network.http01Port, path: `/.well-known/acme-challenge/${token}`, method: 'GET', lookup: lookupThrough(network) as never, timeout: network.timeoutMs, headers: { 'user-agent': 'Signet ACME validator' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) {
            req.destroy();
            reject(new AcmeProblem('unauthorized', `http-01: the answer from ${domain} is larger than ${MAX_BODY} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new AcmeProblem('unauthorized', `http-01: ${domain} answered HTTP ${res.statusCode} for the challenge token`));
            return;
          }
          const body = Buffer.concat(chunks).toString('utf8').trim();
          if (body !== keyAuthorization) reject(new AcmeProblem('incorrectResponse', `http-01: ${domain} answered with another key authorization than this challenge's`));
          else resolve();
        });
        res.on('error', (error) => reject(new AcmeProblem('connection', `http-01: reading from ${domain} failed: ${error.message}`)));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const kind = error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' ? 'dns' : 'connection';
      reject(new AcmeProblem(kind, `http-01: could not reach ${domain}:${network.http01Port}: ${error.message}`));
    });
    req.end();
  });
}
