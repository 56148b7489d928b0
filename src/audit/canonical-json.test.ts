import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CanonicalText, canonicalJson } from './canonical-json.js';
import { entryHash } from './audit-log.js';

describe('canonical JSON of audit entries (RFC 8785 manner, R20)', () => {
  it('sorts keys by code unit, drops undefined members and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, é: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"é":{"y":2,"z":1}}');
  });

  it('places text already canonical as it is, exactly as if the value itself had been written there', () => {
    const details = { subject: 'CN=张三', spkiSha256: 'ab'.repeat(32), subscriber: null, notes: ['a', { y: 1, x: 2 }] };
    expect(canonicalJson({ details: new CanonicalText(canonicalJson(details)), at: 't' })).toBe(canonicalJson({ details, at: 't' }));
  });

  it('gives an entry the same hash whether its details come as an object or as their canonical text', () => {
    const entry = { seq: 7, at: '2026-12-01T02:00:00.000Z', actor: 'operator:admin-token', action: 'certificate.issued', target: 'certificate:5c01', details: { profile: 'tls-client', reason: '签发' }, prevHash: '0'.repeat(64) };
    expect(entryHash(entry, new CanonicalText(canonicalJson(entry.details)))).toBe(entryHash(entry));
    expect(entryHash(entry, new CanonicalText(canonicalJson({ ...entry.details, reason: 'other' })))).not.toBe(entryHash(entry));
  });

  it('hashes an entry as SHA-256 over the UTF-8 of its canonical JSON, so chains written earlier still verify', () => {
    const entry = { seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'system:first-start', action: 'ca.created', target: 'ca:根', details: { name: '中国测试根 CA' }, prevHash: '0'.repeat(64) };
    const body = '{"action":"ca.created","actor":"system:first-start","at":"2026-01-01T00:00:00.000Z","details":{"name":"中国测试根 CA"},"prevHash":"' + '0'.repeat(64) + '","seq":1,"target":"ca:根"}';
    expect(entryHash(entry)).toBe(createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex'));
  });
});
