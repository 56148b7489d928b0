/**
 * `signet cms encrypt` to SM2 encryption certificates (issue 23 item 5; R13, R22):
 * GM/T 0010 §8 (GB/T 35275) EnvelopedData, SM2 key transport (sm2-3,
 * 1.2.156.10197.1.301.3; encryptedKey a DER SM2Cipher, GM/T 0009 §7.2) of an
 * SM4 key, the content in SM4-CBC (1.2.156.10197.1.104.2, the IV as parameter).
 *
 * Who else reads and writes it here, and their limits:
 * - gmsm 1.3 (Go, Debian): opens the GM/T 0010 form and makes one Signet opens
 *   (SM2 and SM4 are gmsm's; its own pkcs7 package has no SM2 decryption, so
 *   verify.go reads the structure with encoding/asn1).
 * - OpenSSL 3.0 `cms -decrypt`: opens the same key transport and SM4 under RFC
 *   5652's content types (`--form rfc5652`), but knows no GM/T 0010 content
 *   type (its `pkeyutl -decrypt` and `enc -d -sm4-cbc` open the GM/T 0010
 *   fields as written); it cannot make SM2 envelopes at all (`cms -encrypt` leaves the key
 *   encryption algorithm empty, "illegal zero content"; `smime -encrypt`:
 *   "encryption not supported for this key type").
 * - BouncyCastle 1.72's CMS maps no SM2 key transport (its SM2 cipher writes
 *   raw C1C2C3, not SM2Cipher), so it is not a reader here.
 * No tool on this machine reads GM/T 0010 EnvelopedData whole (GmSSL 3 would; it
 * is not packaged for Debian or npm): the structure is also checked octet by
 * octet against the standard with OpenSSL's asn1parse.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, id_envelopedData } from '@peculiar/asn1-cms';
import { createHierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { DEFAULT_SM2_ID } from '../../src/crypto/sm2-key.js';
import { decryptEnvelope, encryptToCertificates, ENVELOPE_OID, GmEnvelopedData } from '../../src/evidence/cms-envelope.js';
import { SignetError } from '../../src/i18n/signet-error.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { goVerify } from './verifiers.js';

afterAll(dropFreshStores);

const CLI_ENTRY = join(import.meta.dirname, '..', '..', 'src', 'cli', 'entry.ts');

interface Holder {
  keyPath: string;
  certPath: string;
  der: Buffer;
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof SignetError ? error.code : `not a SignetError: ${(error as Error).message}`;
  }
  return undefined;
};

describe.each(storeBackends)('SM2 recipients of EnvelopedData (GM/T 0010) on %s', (backend) => {
  let t: TestSignet;
  let dir: string;
  let alice: Holder;
  let bob: Holder;
  let aliceSigning: Holder;
  let ecRecipient: Holder;
  const content = Buffer.from('密件：2026 年第四季度采购底价，人民币 3,141,592.65 元\n');
  let contentPath: string;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    await createHierarchy(t.signet.ca, { algorithm: 'sm2', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-sm2-envelope-'));
    contentPath = join(dir, 'secret.txt');
    writeFileSync(contentPath, content);
    // The subscriber's SM2 key as OpenSSL makes it (PKCS#8), certified by an SM2 CA.
    const sm2Holder = async (name: string, profileId: string, keyPath = join(dir, `${name}.key`)): Promise<Holder> => {
      if (!keyPath.endsWith('-reused.key')) runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', keyPath]);
      const csr = runTool('openssl', ['req', '-new', '-key', keyPath, '-sm3', '-sigopt', `distid:${DEFAULT_SM2_ID}`, '-subj', '/CN=x']);
      expect(csr.status, csr.stderr).toBe(0);
      const issued = await t.signet.ca.issue({ csr: csr.stdout, profileId, subject: { commonName: name }, subscriberId: name, requestedBy: 'test', reason: 'SM2 envelope' });
      return { keyPath, certPath: writePem(dir, `${name}-${profileId}.pem`, issued.der), der: issued.der };
    };
    alice = await sm2Holder('张三', 'individual-encryption');
    bob = await sm2Holder('李四', 'individual-encryption');
    aliceSigning = await sm2Holder('张三签名', 'individual-signing');
    const { csrPem, keyPath } = opensslRequest(dir, 'ecdsa-p256', 'ec-recipient');
    const ec = await t.signet.ca.issue({ csr: csrPem, profileId: 'individual-encryption', subject: { commonName: '王五' }, subscriberId: 'ec', requestedBy: 'test', reason: 'SM2 envelope' });
    ecRecipient = { keyPath, certPath: writePem(dir, 'ec.pem', ec.der), der: ec.der };
  }, 180_000);
  afterAll(() => t.signet.close());

  it('writes GM/T 0010 §8 octet for octet: content types, versions 1, sm2-3 with an SM2Cipher, SM4-CBC with a 16-octet IV (OpenSSL asn1parse)', () => {
    const envelopePath = join(dir, 'gm.p7m');
    writeFileSync(envelopePath, encryptToCertificates({ content, recipients: [alice.der] }));
    const parsed = runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', envelopePath]);
    expect(parsed.status, parsed.stderr).toBe(0);
    // "d=depth ... type :value", without offsets and lengths: the shape the standard gives.
    const shape = parsed.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^\s*\d+:d=(\d+)\s+hl=\d+ l=\s*\d+\s+/, '$1 ').replace(/\s+/g, ' ').replace(/\[HEX DUMP\]:[0-9A-F]+/, 'HEX').trim());
    // The issuer Name (depths 6-9) sits between the issuerAndSerialNumber and the serial, the first INTEGER at depth 6.
    const serialAt = shape.findIndex((line, i) => i > 8 && line.startsWith('6 prim: INTEGER'));
    const issuerRdns = shape.slice(9, serialAt);
    const after = shape.slice(serialAt);
    expect(shape.slice(0, 7)).toEqual([
      '0 cons: SEQUENCE', // ContentInfo
      '1 prim: OBJECT :1.2.156.10197.6.1.4.2.3', // envelopedData (GM/T 0010 §5)
      '1 cons: cont [ 0 ]',
      '2 cons: SEQUENCE', // EnvelopedData
      '3 prim: INTEGER :01', // version 1
      '3 cons: SET', // recipientInfos
      '4 cons: SEQUENCE', // RecipientInfo
    ]);
    expect(shape[7]).toBe('5 prim: INTEGER :01'); // RecipientInfo version 1
    expect(shape[8]).toBe('5 cons: SEQUENCE'); // issuerAndSerialNumber
    expect(issuerRdns.length).toBeGreaterThan(0);
    expect(issuerRdns[0]).toBe('6 cons: SEQUENCE');
    expect(issuerRdns.every((line) => /^[6-9] /.test(line))).toBe(true);
    expect(after.slice(0, 10)).toEqual([
      expect.stringMatching(/^6 prim: INTEGER :[0-9A-F]+$/), // serialNumber
      '5 cons: SEQUENCE', // keyEncryptionAlgorithm, no parameters
      '6 prim: OBJECT :1.2.156.10197.1.301.3', // sm2-3
      '5 prim: OCTET STRING HEX', // encryptedKey
      '3 cons: SEQUENCE', // EncryptedContentInfo
      '4 prim: OBJECT :1.2.156.10197.6.1.4.2.1', // data (GM/T 0010 §5)
      '4 cons: SEQUENCE',
      '5 prim: OBJECT :sm4-cbc', // 1.2.156.10197.1.104.2, as OpenSSL names it
      '5 prim: OCTET STRING HEX', // IV
      '4 prim: cont [ 0 ]', // encryptedContent, [0] IMPLICIT OCTET STRING
    ]);
    expect(after).toHaveLength(10);

    const data = AsnConvert.parse(AsnConvert.parse(readFileSync(envelopePath), ContentInfo).content, GmEnvelopedData);
    const ivDer = Buffer.from(data.encryptedContentInfo.contentEncryptionAlgorithm.parameters!);
    expect(ivDer.subarray(0, 2).toString('hex')).toBe('0410'); // OCTET STRING of 16 octets
    expect(ivDer).toHaveLength(18);
    // The encryptedKey is an SM2Cipher of a 16-octet SM4 key: x, y, 32-octet C3, 16-octet C2.
    const keyPath = join(dir, 'encrypted-key.der');
    writeFileSync(keyPath, Buffer.from(data.recipientInfos[0]!.ktri!.encryptedKey.buffer));
    const cipher = runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', keyPath]);
    const cipherShape = cipher.stdout.trim().split('\n').map((line) => line.replace(/^\s*\d+:d=(\d+)\s+hl=\d+ l=\s*(\d+)\s+/, '$1 $2 ').replace(/\s+/g, ' ').replace(/:[0-9A-F]+$/, '').trim());
    expect(cipherShape).toEqual([
      expect.stringMatching(/^0 \d+ cons: SEQUENCE$/),
      expect.stringMatching(/^1 3[23] prim: INTEGER$/),
      expect.stringMatching(/^1 3[23] prim: INTEGER$/),
      '1 32 prim: OCTET STRING [HEX DUMP]',
      '1 16 prim: OCTET STRING [HEX DUMP]',
    ]);
    const encrypted = data.encryptedContentInfo.encryptedContent!.value!.byteLength;
    expect(encrypted % 16).toBe(0);
    expect(encrypted).toBeGreaterThan(Buffer.byteLength(content));
  });

  it('gmsm opens what Signet writes (both recipients of one envelope), and refuses it with the wrong key', () => {
    const envelopePath = join(dir, 'gm-two.p7m');
    writeFileSync(envelopePath, encryptToCertificates({ content, recipients: [alice.der, bob.der] }));
    for (const holder of [alice, bob]) {
      // gmenvelope-open expects one recipient: give it one envelope each, the two-recipient one is Signet's own round trip.
      const one = join(dir, `gm-${holder === alice ? 'alice' : 'bob'}.p7m`);
      writeFileSync(one, encryptToCertificates({ content, recipients: [holder.der] }));
    }
    const answers = goVerify([
      { id: 'alice', op: 'gmenvelope-open', file: join(dir, 'gm-alice.p7m'), key: alice.keyPath, content: contentPath },
      { id: 'bob', op: 'gmenvelope-open', file: join(dir, 'gm-bob.p7m'), key: bob.keyPath, content: contentPath },
      { id: 'wrong key', op: 'gmenvelope-open', file: join(dir, 'gm-alice.p7m'), key: bob.keyPath, content: contentPath },
    ]);
    expect(answers.get('alice'), answers.get('alice')?.detail).toMatchObject({ ok: true });
    expect(answers.get('bob'), answers.get('bob')?.detail).toMatchObject({ ok: true });
    expect(answers.get('wrong key')).toMatchObject({ ok: false });
    for (const holder of [alice, bob]) {
      const opened = decryptEnvelope({ envelope: readFileSync(envelopePath), certificateDer: holder.der, privateKey: readFileSync(holder.keyPath, 'utf8') });
      expect(opened).toMatchObject({ cipher: 'sm4-cbc', keyManagement: 'sm2', form: 'gmt0010' });
      expect(opened.content.equals(content)).toBe(true);
    }
  });

  it('Signet opens what gmsm writes (GM/T 0010, made with sm2.Encrypt and SM4-CBC)', () => {
    const made = join(dir, 'from-gmsm.p7m');
    const answers = goVerify([{ id: 'make', op: 'gmenvelope-make', leaf: alice.certPath, content: contentPath, out: made }]);
    expect(answers.get('make'), answers.get('make')?.detail).toMatchObject({ ok: true });
    const opened = decryptEnvelope({ envelope: readFileSync(made), certificateDer: alice.der, privateKey: readFileSync(alice.keyPath, 'utf8') });
    expect(opened).toMatchObject({ cipher: 'sm4-cbc', keyManagement: 'sm2', form: 'gmt0010' });
    expect(opened.content.equals(content)).toBe(true);
    expect(codeOf(() => decryptEnvelope({ envelope: readFileSync(made), certificateDer: bob.der, privateKey: readFileSync(bob.keyPath, 'utf8') }))).toBe('cms.not-a-recipient');
  });

  it('OpenSSL opens the RFC 5652 form with cms -decrypt (SM2 beside an ECDH recipient), and the GM/T 0010 form with its content types renamed, or field by field with pkeyutl and enc -sm4-cbc', () => {
    const rfcPath = join(dir, 'rfc.p7m');
    writeFileSync(rfcPath, encryptToCertificates({ content, recipients: [alice.der, ecRecipient.der], cipher: 'sm4-cbc', form: 'rfc5652' }));
    for (const holder of [alice, ecRecipient]) {
      const opened = runTool('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', rfcPath, '-recip', holder.certPath, '-inkey', holder.keyPath]);
      expect(opened.stderr).toBe('');
      expect(opened.stdout).toBe(content.toString('utf8'));
    }
    expect(decryptEnvelope({ envelope: readFileSync(rfcPath), certificateDer: alice.der, privateKey: readFileSync(alice.keyPath, 'utf8') })).toMatchObject({ form: 'rfc5652', keyManagement: 'sm2' });

    // OpenSSL 3.0 knows no GM/T 0010 content type (its limit)…
    const gmPath = join(dir, 'gm-for-openssl.p7m');
    const gm = encryptToCertificates({ content, recipients: [alice.der] });
    writeFileSync(gmPath, gm);
    expect(runTool('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', gmPath, '-recip', alice.certPath, '-inkey', alice.keyPath]).status).not.toBe(0);
    // …yet with only the two content types renamed to RFC 5652's, the same recipient info and ciphertext open.
    const info = AsnConvert.parse(gm, ContentInfo);
    const data = AsnConvert.parse(info.content, GmEnvelopedData);
    expect(data.encryptedContentInfo.contentType).toBe(ENVELOPE_OID.gmData);
    data.encryptedContentInfo.contentType = '1.2.840.113549.1.7.1';
    const renamed = join(dir, 'gm-renamed.p7m');
    writeFileSync(renamed, Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_envelopedData, content: AsnConvert.serialize(data) }))));
    const opened = runTool('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', renamed, '-recip', alice.certPath, '-inkey', alice.keyPath]);
    expect(opened.stdout).toBe(content.toString('utf8'));

    // And field by field, as written: OpenSSL's SM2 decryption of the encryptedKey (an SM2Cipher), then its SM4-CBC.
    const asWritten = AsnConvert.parse(AsnConvert.parse(gm, ContentInfo).content, GmEnvelopedData);
    const keyFile = join(dir, 'gm-key.der');
    writeFileSync(keyFile, Buffer.from(asWritten.recipientInfos[0]!.ktri!.encryptedKey.buffer));
    const sm4KeyFile = join(dir, 'gm-sm4.key');
    const unwrapped = runTool('openssl', ['pkeyutl', '-decrypt', '-inkey', alice.keyPath, '-in', keyFile, '-out', sm4KeyFile]);
    expect(unwrapped.status, unwrapped.stderr).toBe(0);
    const sm4Key = readFileSync(sm4KeyFile);
    expect(sm4Key).toHaveLength(16);
    const iv = Buffer.from(asWritten.encryptedContentInfo.contentEncryptionAlgorithm.parameters!).subarray(2);
    const ciphertext = join(dir, 'gm-content.bin');
    writeFileSync(ciphertext, Buffer.from(asWritten.encryptedContentInfo.encryptedContent!.value!.buffer));
    const plain = runTool('openssl', ['enc', '-d', '-sm4-cbc', '-K', sm4Key.toString('hex'), '-iv', iv.toString('hex'), '-in', ciphertext]);
    expect(plain.stdout).toBe(content.toString('utf8'));
  });

  it('refuses what no standard names, with a precise reason: AES to SM2, GM/T 0010 to a non-SM2 key, the signing certificate of a dual pair; altered envelopes fail', () => {
    expect(codeOf(() => encryptToCertificates({ content, recipients: [alice.der], cipher: 'aes-256-gcm' }))).toBe('cms.sm2-needs-sm4');
    expect(codeOf(() => encryptToCertificates({ content, recipients: [alice.der, ecRecipient.der] }))).toBe('cms.sm2-needs-sm4');
    expect(codeOf(() => encryptToCertificates({ content, recipients: [alice.der, ecRecipient.der], cipher: 'sm4-cbc', form: 'gmt0010' }))).toBe('cms.gm-form-needs-sm2');
    expect(codeOf(() => encryptToCertificates({ content, recipients: [aliceSigning.der] }))).toBe('cms.recipient-not-for-encryption');
    expect(codeOf(() => encryptToCertificates({ content, recipients: [] }))).toBe('cms.no-recipients');

    const gm = encryptToCertificates({ content, recipients: [alice.der] });
    const open = (envelope: Buffer) => () => decryptEnvelope({ envelope, certificateDer: alice.der, privateKey: readFileSync(alice.keyPath, 'utf8') });
    const lastBlock = Buffer.from(gm);
    lastBlock.writeUInt8(lastBlock.readUInt8(lastBlock.length - 1) ^ 0x5a, lastBlock.length - 1);
    expect(codeOf(open(lastBlock))).toBe('cms.decryption-failed');
    // A changed octet inside the SM2Cipher's C2 fails its C3 check.
    const data = AsnConvert.parse(AsnConvert.parse(gm, ContentInfo).content, GmEnvelopedData);
    const ktri = data.recipientInfos[0]!.ktri!;
    const key = Buffer.from(ktri.encryptedKey.buffer);
    key.writeUInt8(key.readUInt8(key.length - 3) ^ 0x01, key.length - 3);
    ktri.encryptedKey = new (ktri.encryptedKey.constructor as new (b: Buffer) => typeof ktri.encryptedKey)(key);
    expect(codeOf(open(Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: ENVELOPE_OID.gmEnvelopedData, content: AsnConvert.serialize(data) })))))).toBe('cms.decryption-failed');
    // An EC key given for an SM2 recipient: a key error, not a crash.
    expect(codeOf(() => decryptEnvelope({ envelope: gm, certificateDer: alice.der, privateKey: readFileSync(ecRecipient.keyPath, 'utf8') }))).toBe('cms.bad-private-key');
  });

  // The command line reads files only, whatever the store: run once (each spawn costs 10-40 s under load).
  it.runIf(backend === 'sqlite')('signet cms encrypt | decrypt on the command line: GM/T 0010 by default for an SM2 recipient, in both languages', () => {
    const cli = (args: string[], lang = 'en') =>
      spawnSync(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'cms', ...args], {
        env: { ...process.env, SIGNET_LANG: lang, SIGNET_DATA: dir, SIGNET_DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
    const envelope = join(dir, 'cli.p7m');
    const encrypted = cli(['encrypt', '--in', contentPath, '--to', alice.certPath, '--out', envelope, '--json']);
    expect(encrypted.status, encrypted.stderr).toBe(0);
    expect(JSON.parse(encrypted.stdout)).toMatchObject({ cipher: 'sm4-cbc', form: 'gmt0010', recipients: 1 });
    const out = join(dir, 'cli-opened.txt');
    const decrypted = cli(['decrypt', '--in', envelope, '--cert', alice.certPath, '--key', alice.keyPath, '--out', out], 'zh-CN');
    expect(decrypted.status, decrypted.stderr).toBe(0);
    expect(decrypted.stdout).toContain('已解密');
    expect(decrypted.stdout).toContain('gmt0010');
    expect(readFileSync(out).equals(content)).toBe(true);
    const refused = cli(['encrypt', '--in', contentPath, '--to', alice.certPath, '--cipher', 'aes-256-gcm', '--out', join(dir, 'no.p7m')], 'zh-CN');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('SM2 接收者按 GM/T 0010 使用 SM4 加密内容');
  }, 240_000);
});
