import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KeyAlgorithm, SignatureScheme } from './algorithms.js';
import { startVerifying, verifySignature } from './signature-verification.js';
import { likelySignatureLengths, signingStream, type Signer } from './signer.js';
import { DEFAULT_SM2_ID } from './sm2-key.js';
import { generateSoftwareKey } from './software-signer.js';

/**
 * Signing and verifying a message handed over in parts (issue 22: a CRL of a million entries is signed as its
 * archived pieces are read back, never whole). The signature must be the one sign() would accept for the whole
 * message, whatever the parts: checked by the one-shot verifier, by the verifier in parts, and for SM2 by OpenSSL.
 */

/** A message of a few KB cut into parts of uneven sizes, one of them empty. */
const message = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131 + 7) & 0xff));
const cuts = [0, 1, 1, 700, 2048, 4999, 5000];
const parts = cuts.slice(1).map((end, i) => message.subarray(cuts[i]!, end));

const cases: Array<[KeyAlgorithm, SignatureScheme | undefined]> = [
  ['ecdsa-p256', undefined],
  ['ecdsa-p384', undefined],
  ['rsa-2048', 'pkcs1'],
  ['rsa-2048', 'pss'],
  ['ed25519', undefined],
  ['ml-dsa-44', undefined],
  ['sm2', undefined],
];

async function signInParts(signer: Signer, pieces: Uint8Array[]): Promise<Uint8Array> {
  const stream = signingStream(signer);
  for (const piece of pieces) stream.update(piece);
  return stream.sign();
}

describe('signing and verifying a message in parts', () => {
  it.each(cases)('%s (%s): a signature over the parts is a signature over the whole message, and only over it', async (algorithm, scheme) => {
    const signer = generateSoftwareKey(algorithm, scheme ? { scheme } : {});
    const signature = await signInParts(signer, parts);
    const options = { distinguishingId: signer.distinguishingId };
    expect(verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, message, signature, options)).toEqual({ ok: true });

    const verifying = startVerifying(signer.publicKeyInfo, signer.signatureAlgorithm, options);
    for (const part of parts) verifying.update(part);
    expect(verifying.verify(signature)).toEqual({ ok: true });

    // The whole message signed at once verifies in parts too.
    const whole = await signer.sign(message);
    const again = startVerifying(signer.publicKeyInfo, signer.signatureAlgorithm, options);
    for (const part of parts) again.update(part);
    expect(again.verify(whole)).toEqual({ ok: true });

    // One octet changed in one part, or a part left out: refused, with a reason.
    const altered = parts.map((part, i) => (i === 3 ? Buffer.from(part).fill(part[0]! ^ 1, 0, 1) : part));
    const tampered = startVerifying(signer.publicKeyInfo, signer.signatureAlgorithm, options);
    for (const part of altered) tampered.update(part);
    expect(tampered.verify(signature).ok).toBe(false);
    const short = startVerifying(signer.publicKeyInfo, signer.signatureAlgorithm, options);
    for (const part of parts.slice(0, -1)) short.update(part);
    expect(short.verify(signature)).toMatchObject({ ok: false, reason: expect.any(String) });
    expect(verifySignature(signer.publicKeyInfo, signer.signatureAlgorithm, Buffer.concat(altered), await signInParts(signer, parts), options).ok).toBe(false);
  });

  it('SM2 in parts hashes Z || M with the signer\'s ID: OpenSSL verifies it with -pkeyopt distid and refuses it without (GM/T 0009)', async () => {
    const signer = generateSoftwareKey('sm2');
    const dir = mkdtempSync(join(tmpdir(), 'signet-signing-stream-'));
    writeFileSync(join(dir, 'msg'), message);
    writeFileSync(join(dir, 'sig'), await signInParts(signer, parts));
    writeFileSync(join(dir, 'pub.der'), signer.publicKeyInfo);
    const verify = (id: string[]) =>
      spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'pub.der'), ...id, '-in', join(dir, 'msg'), '-sigfile', join(dir, 'sig')], {
        encoding: 'utf8',
      });
    const good = verify(['-pkeyopt', `distid:${DEFAULT_SM2_ID}`]);
    expect(good.error).toBeUndefined();
    expect(good.status, good.stderr).toBe(0);
    expect(verify([]).status).not.toBe(0);
    // A signature made with another ID is refused in parts, as it is whole.
    const other = generateSoftwareKey('sm2', { distinguishingId: 'another-id@example' });
    const signature = await signInParts(other, parts);
    const verifying = startVerifying(other.publicKeyInfo, other.signatureAlgorithm, { distinguishingId: DEFAULT_SM2_ID });
    for (const part of parts) verifying.update(part);
    expect(verifying.verify(signature)).toMatchObject({ ok: false, reason: expect.stringContaining('SM2 ID') });
  });
});

describe('likelySignatureLengths', () => {
  // What a CRL's whole SHA-256 is begun for before the signature exists (src/status/crl-tbs-stream.ts): a length
  // left out only costs a hash of the archive, so the list must hold what a key gives nearly always.
  it.each(cases)('%s (%s): the lengths a key of this algorithm gives, longest first', async (algorithm, scheme) => {
    const signer = generateSoftwareKey(algorithm, scheme ? { scheme } : {});
    const lengths = likelySignatureLengths(algorithm);
    expect([...lengths].sort((a, b) => b - a)).toEqual(lengths);
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) seen.add((await signer.sign(Buffer.from(`message ${i}`))).length);
    // ECDSA and SM2: an r or s with a shorter integer (about 1 signature in 128 for P-256) gives a length under the list's.
    for (const length of seen) expect(lengths.includes(length) || (lengths.length > 1 && length < lengths.at(-1)!)).toBe(true);
    if (lengths.length === 1) expect([...seen]).toEqual(lengths);
    else expect(seen.has(lengths[0]!) || seen.has(lengths[1]!)).toBe(true);
  });
});
