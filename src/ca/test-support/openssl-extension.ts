/** Test support: what OpenSSL's command line says about one extension of a certificate (the oracle, R22). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './ca-fixture.js';

/** `openssl x509 -text`, and the identity extension's value as `openssl asn1parse -strparse` decodes it. */
export function opensslView(dir: string, der: Uint8Array, oid: string): { text: string; value: string | null; critical: boolean } {
  const file = join(dir, `cert-${Math.random().toString(16).slice(2)}.der`);
  writeFileSync(file, der);
  const text = runTool('openssl', ['x509', '-inform', 'DER', '-in', file, '-noout', '-text']);
  if (text.status !== 0) throw new Error(text.stderr);
  const parsed = runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', file]);
  if (parsed.status !== 0) throw new Error(parsed.stderr);
  const lines = parsed.stdout.split('\n');
  const at = lines.findIndex((l) => l.includes(`OBJECT            :${oid}`));
  if (at < 0) return { text: text.stdout, value: null, critical: false };
  // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
  const critical = /BOOLEAN/.test(lines[at + 1]!);
  const octets = lines.slice(at + 1, at + 3).find((l) => l.includes('OCTET STRING'))!;
  const offset = octets.trim().split(':')[0]!;
  const value = runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', file, '-strparse', offset]);
  if (value.status !== 0) throw new Error(value.stderr);
  return { text: text.stdout, value: value.stdout, critical };
}

