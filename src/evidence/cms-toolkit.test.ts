import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { SignetError } from '../i18n/signet-error.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { documentSigner, signDocument } from './cms-signing.js';
import { verifySignedDocument } from './cms-verification.js';
import { decryptEnvelope, encryptToCertificates } from './cms-envelope.js';

afterAll(dropFreshStores);

interface Holder {
  keyPath: string;
  certPath: string;
  der: Buffer;
}

describe('the signing and encryption toolkit (R13, RFC 5652, RFC 3161 Appendix A, RFC 5753, RFC 5083)', () => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let rootPem: string;
  let document: string;
  let ecSigner: Holder;
  let rsaSigner: Holder;
  let rsaRecipient: Holder;
  let ecRecipient: Holder;

  async function holder(name: string, key: 'ecdsa-p256' | 'rsa-2048', profileId: string): Promise<Holder> {
    const { csrPem, keyPath } = opensslRequest(dir, key, name);
    const issued = await t.signet.ca.issue({
      csr: csrPem,
      profileId,
      subject: { commonName: `${name} 张三`, countryName: 'CN' },
      subscriberId: name,
      requestedBy: 'test',
      reason: 'toolkit test',
    });
    return { keyPath, certPath: writePem(dir, `${name}.pem`, issued.der), der: issued.der };
  }

  beforeAll(async () => {
    t = await openTestSignet('sqlite');
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'signet-cms-'));
    rootPem = writePem(dir, 'root.pem', h.root.der);
    document = join(dir, 'transaction.xml');
    writeFileSync(document, '<transfer amount="1000000.00" currency="CNY">付款指令 #2026-11-24</transfer>\n');
    ecSigner = await holder('ec-signer', 'ecdsa-p256', 'individual-signing');
    rsaSigner = await holder('rsa-signer', 'rsa-2048', 'individual-signing');
    rsaRecipient = await holder('rsa-recipient', 'rsa-2048', 'individual-encryption');
    ecRecipient = await holder('ec-recipient', 'ecdsa-p256', 'individual-encryption');
  });
  afterAll(() => t.signet.close());

  const signerOf = (holder: Holder) => documentSigner(readFileSync(holder.keyPath, 'utf8'), holder.der, [h.issuing.der]);

  describe('signing', () => {
    it.each(['ec', 'rsa'] as const)('makes a detached %s SignedData that openssl cms -verify accepts, and rejects a tampered file', async (kind) => {
      const signature = await signDocument({
        content: readFileSync(document),
        signer: signerOf(kind === 'ec' ? ecSigner : rsaSigner),
        detached: true,
        timeStamper: t.signet.tsa,
      });
      const sigPath = join(dir, `${kind}-detached.p7s`);
      writeFileSync(sigPath, signature);
      const verified = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-content', document, '-CAfile', rootPem, '-out', '/dev/null']);
      expect(verified.stderr).toContain('Verification successful');
      expect(verified.status).toBe(0);

      const tampered = join(dir, `${kind}-tampered.xml`);
      writeFileSync(tampered, readFileSync(document, 'utf8').replace('1000000.00', '9000000.00'));
      const refused = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-content', tampered, '-CAfile', rootPem, '-out', '/dev/null']);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/verification failure/i);
    });

    it('makes an attached SignedData whose content openssl cms -verify gives back', async () => {
      const signature = await signDocument({ content: readFileSync(document), signer: signerOf(ecSigner), timeStamper: t.signet.tsa });
      const sigPath = join(dir, 'attached.p7s');
      const outPath = join(dir, 'attached.out');
      writeFileSync(sigPath, signature);
      const verified = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-CAfile', rootPem, '-out', outPath]);
      expect(verified.status, verified.stderr).toBe(0);
      expect(readFileSync(outPath)).toEqual(readFileSync(document));
    });

    it('verifies its own signature: content, signer, signing time and the TSA token over the signature value', async () => {
      const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);
      const signature = await signDocument({ content: readFileSync(document), signer: signerOf(ecSigner), detached: true, timeStamper: t.signet.tsa, signingTime });
      const result = await verifySignedDocument({ signature, content: readFileSync(document), trustAnchors: [h.root.der] });
      expect(result.problems).toEqual([]);
      expect(result.valid).toBe(true);
      expect(result.signer?.subject).toContain('ec-signer 张三');
      expect(result.signingTime?.toISOString()).toBe(signingTime.toISOString());
      expect(result.timeStamp?.valid).toBe(true);
      expect(result.timeStamp?.tsa).toContain('CN=Signet 开发测试时间戳服务');
      expect(result.checkedAt).toEqual(result.timeStamp?.genTime);
      expect(result.chain).toHaveLength(3);
      // The token is on record at the TSA.
      expect((await t.signet.tsa.token(result.timeStamp!.serial!)).serial).toBe(result.timeStamp!.serial);
    });

    it('names what is wrong with a tampered document, a foreign trust anchor and a damaged time-stamp', async () => {
      const content = readFileSync(document);
      const signature = await signDocument({ content, signer: signerOf(ecSigner), detached: true, timeStamper: t.signet.tsa });
      const tampered = await verifySignedDocument({ signature, content: Buffer.from(content.toString().replace('1000000', '9000000')), trustAnchors: [h.root.der] });
      expect(tampered.valid).toBe(false);
      expect(tampered.problems.join()).toMatch(/changed after signing/);

      const foreign = await verifySignedDocument({ signature, content, trustAnchors: [ecSigner.der] });
      expect(foreign.valid).toBe(false);
      expect(foreign.problems.join()).toMatch(/no trusted issuer/);

      // Flip one byte inside the token's signature (the last bytes of the SignedData).
      const damaged = Buffer.from(signature);
      damaged.writeUInt8(damaged.readUInt8(damaged.length - 3) ^ 0x01, damaged.length - 3);
      const broken = await verifySignedDocument({ signature: damaged, content, trustAnchors: [h.root.der] });
      expect(broken.valid).toBe(false);
      expect(broken.timeStamp?.valid).toBe(false);
    });

    it('accepts what openssl cms -sign -cades makes (signing-certificate-v2 from OpenSSL)', async () => {
      const sigPath = join(dir, 'openssl.p7s');
      const made = runTool('openssl', ['cms', '-sign', '-binary', '-cades', '-md', 'sha256', '-in', document, '-signer', rsaSigner.certPath, '-inkey', rsaSigner.keyPath, '-outform', 'DER', '-out', sigPath, '-nodetach']);
      expect(made.status, made.stderr).toBe(0);
      const result = await verifySignedDocument({ signature: readFileSync(sigPath), trustAnchors: [h.root.der], intermediates: [h.issuing.der] });
      expect(result.problems).toEqual([]);
      expect(result.content).toEqual(readFileSync(document));
    });

    it('accepts an attached BER SignedData from openssl cms -sign -stream (indefinite lengths, constructed eContent) as a plain RFC 5652 signature, CAdES level none (issue 23 item 4)', async () => {
      const sigPath = join(dir, 'stream.p7s');
      const made = runTool('openssl', ['cms', '-sign', '-stream', '-binary', '-nodetach', '-md', 'sha256', '-in', document, '-signer', ecSigner.certPath, '-inkey', ecSigner.keyPath, '-certfile', writePem(dir, 'issuing.pem', h.issuing.der), '-outform', 'DER', '-out', sigPath]);
      expect(made.status, made.stderr).toBe(0);
      const der = readFileSync(sigPath);
      // The shape that was taken for a detached signature: indefinite length (0x80) down to a constructed OCTET STRING (0x24).
      expect(der.subarray(0, 2)).toEqual(Buffer.from([0x30, 0x80]));
      expect(der.includes(Buffer.from([0xa0, 0x80, 0x24, 0x80]))).toBe(true);
      const result = await verifySignedDocument({ signature: der, trustAnchors: [h.root.der] });
      expect(result.problems).toEqual([]);
      expect(result.valid).toBe(true);
      expect(result.detached).toBe(false);
      expect(result.content).toEqual(readFileSync(document));
      expect(result.cades).toEqual({ level: 'none', missing: ['signing-certificate-v2', 'signature-time-stamp'] });
      // The content travels in BER pieces: changing one of its bytes is still noticed.
      const at = der.indexOf(Buffer.from('1000000.00'));
      const tampered = Buffer.from(der);
      tampered.writeUInt8(0x39, at);
      expect((await verifySignedDocument({ signature: tampered, trustAnchors: [h.root.der] })).problems.join()).toMatch(/changed after signing/);
    });

    it('reports the CAdES level apart from validity: B-B for openssl cms -sign -cades, B-T for its own time-stamped signature', async () => {
      const sigPath = join(dir, 'cades.p7s');
      const made = runTool('openssl', ['cms', '-sign', '-binary', '-cades', '-md', 'sha256', '-in', document, '-signer', ecSigner.certPath, '-inkey', ecSigner.keyPath, '-outform', 'DER', '-out', sigPath, '-nodetach']);
      expect(made.status, made.stderr).toBe(0);
      const bb = await verifySignedDocument({ signature: readFileSync(sigPath), trustAnchors: [h.root.der], intermediates: [h.issuing.der] });
      expect([bb.valid, bb.cades]).toEqual([true, { level: 'B-B', missing: ['signature-time-stamp'] }]);
      const own = await signDocument({ content: readFileSync(document), signer: signerOf(ecSigner), timeStamper: t.signet.tsa });
      expect((await verifySignedDocument({ signature: own, trustAnchors: [h.root.der] })).cades).toEqual({ level: 'B-T', missing: [] });
    });

    it('gpgsm (GnuPG S/MIME) and Signet accept each other\'s signatures: gpgsm\'s attached BER SignedData, Signet\'s detached one', async () => {
      const home = mkdtempSync(join(tmpdir(), 'signet-gpgsm-'));
      writeFileSync(join(home, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
      // No CRL fetching here; the root is trusted for S/MIME ("S") in gpgsm's trust list, by fingerprint.
      writeFileSync(join(home, 'gpgsm.conf'), 'disable-crl-checks\n');
      const fingerprint = (der: Buffer) => createHash('sha1').update(der).digest('hex').toUpperCase();
      writeFileSync(join(home, 'trustlist.txt'), `${fingerprint(h.root.der).match(/../g)!.join(':')} S relax\n`);
      // gpgsm 2.2 reads only PKCS#12 with 3DES (not AES).
      const p12 = join(dir, 'rsa-signer.p12');
      const exported = runTool('openssl', ['pkcs12', '-export', '-in', rsaSigner.certPath, '-inkey', rsaSigner.keyPath, '-certfile', writePem(dir, 'chain.pem', h.issuing.der, h.root.der), '-out', p12, '-passout', 'pass:gpgsm-test', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']);
      expect(exported.status, exported.stderr).toBe(0);
      const gpgsm = (args: string[]) => runTool('gpgsm', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', ...args], Buffer.from('gpgsm-test\n'));
      try {
        const imported = gpgsm(['--import', p12]);
        expect(imported.stderr).toMatch(/secret keys imported: 1/);
        const gpgsmSig = join(dir, 'gpgsm.p7s');
        const signed = gpgsm(['--include-certs', '-1', '--sign', '-u', `0x${fingerprint(rsaSigner.der)}`, '-o', gpgsmSig, document]);
        expect(signed.status, signed.stderr).toBe(0);
        const theirs = await verifySignedDocument({ signature: readFileSync(gpgsmSig), trustAnchors: [h.root.der] });
        expect(theirs.problems).toEqual([]);
        expect([theirs.valid, theirs.detached, theirs.cades.level]).toEqual([true, false, 'none']);
        expect(theirs.content).toEqual(readFileSync(document));

        const ours = join(dir, 'for-gpgsm.p7s');
        writeFileSync(ours, await signDocument({ content: readFileSync(document), signer: signerOf(rsaSigner), detached: true, timeStamper: t.signet.tsa }));
        const verified = gpgsm(['--verify', ours, document]);
        expect(verified.stderr).toMatch(/Good signature/);
        expect(verified.status).toBe(0);
      } finally {
        // Every daemon gpgsm started for this home (gpg-agent and dirmngr), then the home itself.
        runTool('gpgconf', ['--homedir', home, '--kill', 'all']);
        rmSync(home, { recursive: true, force: true });
      }
    });

    it('refuses a key that does not belong to the certificate', async () => {
      expect(() => documentSigner(readFileSync(ecSigner.keyPath, 'utf8'), rsaSigner.der)).toThrow(SignetError);
    });
  });

  describe('encryption', () => {
    const message = Buffer.from('机密：账户 6222 0000 1111 2222 的交易明细 / confidential statement\n');

    it.each([
      { recipient: 'rsa', cipher: 'aes-256-cbc' },
      { recipient: 'ec', cipher: 'aes-256-cbc' },
      { recipient: 'rsa', cipher: 'aes-256-gcm' },
      { recipient: 'ec', cipher: 'aes-256-gcm' },
    ] as const)('encrypts to an $recipient certificate with $cipher that openssl cms -decrypt opens, and so do we', ({ recipient, cipher }) => {
      const holder = recipient === 'rsa' ? rsaRecipient : ecRecipient;
      const envelope = encryptToCertificates({ content: message, recipients: [holder.der], cipher });
      const path = join(dir, `${recipient}-${cipher}.p7m`);
      const out = join(dir, `${recipient}-${cipher}.out`);
      writeFileSync(path, envelope);
      const opened = runTool('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', path, '-recip', holder.certPath, '-inkey', holder.keyPath, '-out', out]);
      expect(opened.status, opened.stderr).toBe(0);
      expect(readFileSync(out)).toEqual(message);

      const ours = decryptEnvelope({ envelope, certificateDer: holder.der, privateKey: readFileSync(holder.keyPath, 'utf8') });
      expect(ours.content).toEqual(message);
      expect(ours.cipher).toBe(cipher);
      expect(ours.keyManagement).toBe(recipient === 'rsa' ? 'rsa-oaep' : 'ecdh');
    });

    it('encrypts to several recipients at once', async () => {
      const envelope = encryptToCertificates({ content: message, recipients: [rsaRecipient.der, ecRecipient.der] });
      for (const holder of [rsaRecipient, ecRecipient]) {
        expect(decryptEnvelope({ envelope, certificateDer: holder.der, privateKey: readFileSync(holder.keyPath, 'utf8') }).content).toEqual(message);
      }
    });

    it.each([
      { recipient: 'rsa', args: ['-aes-256-cbc', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'] },
      { recipient: 'rsa', args: ['-aes-256-gcm', '-keyopt', 'rsa_padding_mode:oaep'] },
      { recipient: 'ec', args: ['-aes-256-cbc'] },
      { recipient: 'ec', args: ['-aes-256-gcm', '-keyopt', 'ecdh_kdf_md:sha256'] },
    ] as const)('opens what openssl cms -encrypt makes for an $recipient recipient ($args)', ({ recipient, args }) => {
      const holder = recipient === 'rsa' ? rsaRecipient : ecRecipient;
      const input = join(dir, 'plain.txt');
      const path = join(dir, `openssl-${recipient}.p7m`);
      writeFileSync(input, message);
      // -keyopt applies to the -recip before it.
      const made = runTool('openssl', ['cms', '-encrypt', '-binary', '-in', input, '-outform', 'DER', '-out', path, '-recip', holder.certPath, ...args]);
      expect(made.status, made.stderr).toBe(0);
      const opened = decryptEnvelope({ envelope: readFileSync(path), certificateDer: holder.der, privateKey: readFileSync(holder.keyPath, 'utf8') });
      expect(opened.content).toEqual(message);
    });

    it('refuses a certificate that is not a recipient, and an altered ciphertext', async () => {
      const envelope = encryptToCertificates({ content: message, recipients: [ecRecipient.der], cipher: 'aes-256-gcm' });
      expect(() => decryptEnvelope({ envelope, certificateDer: rsaRecipient.der, privateKey: readFileSync(rsaRecipient.keyPath, 'utf8') })).toThrow(
        expect.objectContaining({ code: 'cms.not-a-recipient' }),
      );
      const altered = Buffer.from(envelope);
      altered.writeUInt8(altered.readUInt8(altered.length - 20) ^ 0x01, altered.length - 20);
      expect(() => decryptEnvelope({ envelope: altered, certificateDer: ecRecipient.der, privateKey: readFileSync(ecRecipient.keyPath, 'utf8') })).toThrow(
        expect.objectContaining({ code: 'cms.decryption-failed' }),
      );
    });
  });
});
