/**
 * A deliberately small ACME client for the protocol tests: it can sign what a
 * real client would and also what no real client sends (wrong URL, a used
 * nonce, a forged signature), to check each refusal. The interoperability
 * proof is the real clients' tests (certbot, lego).
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { jwkThumbprint } from '../jws.js';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, string>;
  alg: 'ES256' | 'RS256' | 'EdDSA';
}

export function testKey(kind: 'ec' | 'rsa' | 'ed25519' = 'ec'): TestKey {
  const pair =
    kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const jwk = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { ...pair, jwk, alg: kind === 'ec' ? 'ES256' : kind === 'rsa' ? 'RS256' : 'EdDSA' };
}

export const thumbprint = (key: TestKey) => jwkThumbprint(key.jwk);

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function signJws(key: TestKey, header: Record<string, unknown>, payload: unknown): { protected: string; payload: string; signature: string } {
  const protectedB64 = b64({ alg: key.alg, ...header });
  const payloadB64 = payload === '' ? '' : b64(payload);
  const input = Buffer.from(`${protectedB64}.${payloadB64}`);
  const signature =
    key.alg === 'ES256' ? sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }) : key.alg === 'RS256' ? sign('sha256', input, key.privateKey) : sign(null, input, key.privateKey);
  return { protected: protectedB64, payload: payloadB64, signature: signature.toString('base64url') };
}

export function eab(keyId: string, macKey: string, accountJwk: Record<string, string>, url: string) {
  const protectedB64 = b64({ alg: 'HS256', kid: keyId, url });
  const payloadB64 = b64(accountJwk);
  const signature = createHmac('sha256', Buffer.from(macKey, 'base64url')).update(`${protectedB64}.${payloadB64}`).digest('base64url');
  return { protected: protectedB64, payload: payloadB64, signature };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { type?: string; detail?: string };
  text: string;
}

export class TestClient {
  kid?: string;
  constructor(
    readonly base: string,
    public key: TestKey,
  ) {}

  async nonce(): Promise<string> {
    const response = await fetch(`${this.base}/acme/new-nonce`, { method: 'HEAD' });
    return response.headers.get('replay-nonce')!;
  }

  /** POSTs a JWS; `header` overrides what a correct client would put in the protected header. */
  async post(path: string, payload: unknown, options: { header?: Record<string, unknown>; useJwk?: boolean; key?: TestKey; body?: unknown; contentType?: string } = {}): Promise<Answer> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const key = options.key ?? this.key;
    const identity = options.useJwk || !this.kid ? { jwk: key.jwk } : { kid: this.kid };
    const body = options.body ?? signJws(key, { nonce: await this.nonce(), url, ...identity, ...options.header }, payload);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': options.contentType ?? 'application/jose+json' }, body: JSON.stringify(body) });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // PEM or empty
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  async register(binding: { keyId: string; macKey: string }): Promise<Answer> {
    const url = `${this.base}/acme/new-account`;
    const answer = await this.post('/acme/new-account', { termsOfServiceAgreed: true, contact: ['mailto:ops@example.com'], externalAccountBinding: eab(binding.keyId, binding.macKey, this.key.jwk, url) }, { useJwk: true });
    if (answer.status === 201 || answer.status === 200) this.kid = answer.headers.get('location')!;
    return answer;
  }
}
