/**
 * Test support for the cross-door bad-input suite (issue 21 "bad input",
 * issue 15 "no row written"): a request sender for real listeners (plain
 * HTTP and TLS, with or without a client certificate), a per-table
 * fingerprint of the whole store, and the non-canonical re-encodings of a
 * valid DER message that strict DER (X.690 §10) refuses.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Kysely } from 'kysely';
import { PKI_FAILURE, PKIMessage, type PkiFailure } from '../../src/cmp/pki-message.js';
import { nodeBytes, type DerNode } from '../../src/crypto/strict-der.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** PEM of the server's TLS certificate (https only). */
  ca?: Buffer;
  /** PEM client certificate and key for TLS client authentication. */
  cert?: Buffer;
  key?: Buffer;
}

/** One request to a real listener, over node:http(s) (fetch cannot trust a test's own TLS certificate). */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  const target = new URL(url);
  const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const req = make(
      target,
      {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        ...(target.protocol === 'https:' ? { ca: options.ca, cert: options.cert, key: options.key, servername: 'localhost' } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Every table's rows, hashed one table at a time, so a refusal that wrote
 * something names the tables it touched. `skip`: tables whose change is the
 * protocol's own bookkeeping, said where it is skipped; `meaning`: tables
 * compared by what their rows mean rather than byte for byte.
 */
export async function fingerprint(
  db: Kysely<unknown>,
  skip: readonly string[] = [],
  /** Per table, the rows as they mean something: what two rows that mean the same state share. */
  meaning: Record<string, (rows: Record<string, unknown>[]) => unknown[]> = {},
): Promise<Map<string, string>> {
  const tables = (await db.introspection.getTables()).map((table) => table.name).filter((name) => !skip.includes(name)).sort();
  const out = new Map<string, string>();
  for (const table of tables) {
    const all = (await db.selectFrom(table as never).selectAll().execute()) as Record<string, unknown>[];
    const rows = meaning[table] ? meaning[table](all) : all;
    const hash = createHash('sha256');
    for (const row of rows.map((r) => JSON.stringify(r)).sort()) hash.update(row).update('\n');
    out.set(table, hash.digest('hex'));
  }
  return out;
}

/** The tables whose rows differ between two fingerprints. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}

/** X.690 length octets: minimal, or with `extra` leading zero octets (the non-minimal long form BER allows). */
function lengthOctets(length: number, extra = 0): Buffer {
  if (length < 0x80 && extra === 0) return Buffer.from([length]);
  const digits: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) digits.unshift(n % 256);
  const all = [...Array<number>(extra).fill(0), ...digits];
  if (all.length === 0) all.push(0);
  return Buffer.from([0x80 | all.length, ...all]);
}

/** Identifier and length of the value at `at` (single-octet tags: every PKIX structure here). */
function header(bytes: Buffer, at: number): { tag: number; headerLength: number; length: number } {
  const tag = bytes[at]!;
  const first = bytes[at + 1]!;
  if (first < 0x80) return { tag, headerLength: 2, length: first };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i]!;
  return { tag, headerLength: 2 + count, length };
}

/**
 * `der` with the value at the end of `path` (root first, as checkDer outlines
 * it) replaced, every enclosing length re-counted: a message that is still
 * DER, changed in one place.
 */
export function replaceNode(der: Uint8Array, path: DerNode[], replacement: Uint8Array): Buffer {
  const [node, next] = path;
  if (!node) throw new Error('empty path');
  if (!next) return Buffer.from(replacement);
  const parts = node.children.map((child) => (child === next ? replaceNode(der, path.slice(1), replacement) : Buffer.from(nodeBytes(der, child))));
  const contents = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([der[node.offset]!]), lengthOctets(contents.length), contents]);
}

/** The value with one more element at its end: what a SEQUENCE reader that skips unknown elements does not see. */
export function withExtraElement(der: Uint8Array, node: DerNode, element: Uint8Array): Buffer {
  const contents = Buffer.concat([Buffer.from(der.subarray(node.offset + node.header, node.offset + node.header + node.length)), Buffer.from(element)]);
  return Buffer.concat([Buffer.from([der[node.offset]!]), lengthOctets(contents.length), contents]);
}

export interface Variant {
  name: string;
  bytes: Buffer;
}

/**
 * What a strict DER reader must refuse though a lenient one reads the same
 * value (X.690 §8.1.3, §10.1): long-form or non-minimal lengths outside and
 * inside, the indefinite form, trailing and missing bytes, nothing at all,
 * and text that is not ASN.1.
 */
export function nonCanonical(der: Buffer): Variant[] {
  const outer = header(der, 0);
  const contents = der.subarray(outer.headerLength, outer.headerLength + outer.length);
  const child = header(contents, 0);
  const childContents = contents.subarray(child.headerLength);
  // The first child with one more length octet than it needs, the outer length re-counted.
  const paddedChild = Buffer.concat([Buffer.from([child.tag]), lengthOctets(child.length, 1), childContents]);
  return [
    { name: 'the outer length in a longer form than needed (BER)', bytes: Buffer.concat([Buffer.from([outer.tag]), lengthOctets(outer.length, 1), contents]) },
    { name: 'an inner length with a leading zero octet (BER)', bytes: Buffer.concat([Buffer.from([outer.tag]), lengthOctets(paddedChild.length), paddedChild]) },
    { name: 'the indefinite length form (BER)', bytes: Buffer.concat([Buffer.from([outer.tag, 0x80]), contents, Buffer.from([0, 0])]) },
    { name: 'trailing bytes after the message', bytes: Buffer.concat([der, Buffer.from([0x00, 0x00])]) },
    { name: 'a message cut short by one byte', bytes: der.subarray(0, der.length - 1) },
    { name: 'an empty body', bytes: Buffer.alloc(0) },
    { name: 'text that is not ASN.1', bytes: Buffer.from('hello, certificate authority') },
  ];
}

/** mulberry32: a small seeded generator, so every fuzz case can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The failure bit of an `error` PKIMessage (RFC 4210 §5.2.3), or null when the answer is not one. */
export function cmpFailure(der: Buffer): PkiFailure | null {
  let message: PKIMessage;
  try {
    message = AsnConvert.parse(der, PKIMessage);
  } catch {
    return null;
  }
  const bits = message.body.error?.pKIStatusInfo.failInfo;
  if (!bits) return null;
  const bytes = new Uint8Array(bits);
  for (const [name, bit] of Object.entries(PKI_FAILURE)) if (bytes[bit >> 3] !== undefined && bytes[bit >> 3]! & (0x80 >> (bit & 7))) return name as PkiFailure;
  return null;
}
