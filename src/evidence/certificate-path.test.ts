/**
 * What src/evidence/certificate-path.ts adds to PKI.js's RFC 5280 §6.1 engine,
 * on small chains made here (@peculiar/x509, ECDSA P-256): pathLenConstraint
 * (§6.1.4 (l), (m)), name constraints and keyUsage through PKI.js, and
 * revocation *at a time* from a CRL and from an OCSP response made by
 * `openssl ocsp` (RFC 6960): a certificate revoked after the signing time was
 * good when it signed. PKITS (test/interop/pkits.test.ts) covers the rest.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../ca/test-support/ca-fixture.js';
import { validatePath } from './certificate-path.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const FROM = new Date('2025-01-01T00:00:00Z');
const TO = new Date('2035-01-01T00:00:00Z');
const SIGNED_AT = new Date('2026-03-01T00:00:00Z');
const REVOKED_AT = new Date('2026-06-01T00:00:00Z');

interface Made {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

let serial = 1;
async function make(subject: string, issuer: Made | null, extensions: x509.Extension[]): Promise<Made> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: (serial++).toString(16).padStart(2, '0'),
      subject,
      issuer: issuer ? issuer.cert.subject : subject,
      notBefore: FROM,
      notAfter: TO,
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
      extensions,
    },
    webcrypto as unknown as typeof globalThis.crypto,
  );
  return { cert, keys };
}

const ca = (pathLength?: number): x509.Extension[] => [
  new x509.BasicConstraintsExtension(true, pathLength, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];
const leafExtensions = (dns: string): x509.Extension[] => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dns }]),
];
const der = (m: Made): Uint8Array => new Uint8Array(m.cert.rawData);

describe('certificate-path: what Signet checks beyond PKI.js (RFC 5280 §6.1, §6.3; RFC 6960)', () => {
  let root: Made;
  let issuing: Made;
  let leaf: Made;
  let dir: string;

  beforeAll(async () => {
    root = await make('CN=Path Test Root', null, ca(1));
    issuing = await make('CN=Path Test Issuing CA', root, ca(0));
    leaf = await make('CN=signer', issuing, leafExtensions('signer.example.cn'));
    dir = mkdtempSync(join(tmpdir(), 'signet-path-'));
  });

  it('accepts a good path and refuses one longer than a pathLenConstraint allows (§6.1.4 (l), (m))', async () => {
    const good = await validatePath(der(leaf), [der(issuing)], [der(root)], SIGNED_AT);
    expect(good.problems).toEqual([]);
    expect(good.path.map((c) => c.subject)).toEqual(['CN=signer', 'CN=Path Test Issuing CA', 'CN=Path Test Root']);
    // The issuing CA (pathLen 0) certifies another CA: that CA may certify nothing.
    const sub = await make('CN=Path Test Sub CA', issuing, ca());
    const below = await make('CN=below', sub, leafExtensions('below.example.cn'));
    const long = await validatePath(der(below), [der(sub), der(issuing)], [der(root)], SIGNED_AT);
    expect(long.ok).toBe(false);
    expect(long.problems.join()).toMatch(/pathLenConstraint/);
  });

  it('refuses a name outside the issuer\'s permitted subtree (§6.1.3 (b), through PKI.js)', async () => {
    const constrained = await make('CN=Constrained CA', root, [...ca(0), new x509.Extension('2.5.29.30', true, nameConstraintsDns('example.cn'))]);
    const inside = await make('CN=inside', constrained, leafExtensions('a.example.cn'));
    const outside = await make('CN=outside', constrained, leafExtensions('a.example.com'));
    expect((await validatePath(der(inside), [der(constrained)], [der(root)], SIGNED_AT)).problems).toEqual([]);
    expect((await validatePath(der(outside), [der(constrained)], [der(root)], SIGNED_AT)).problems.join()).toMatch(/permitted sub-trees/);
  });

  it('refuses an issuer whose keyUsage lacks keyCertSign (§6.1.4 (n))', async () => {
    const noSign = await make('CN=No keyCertSign CA', root, [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.cRLSign, true)]);
    const under = await make('CN=under', noSign, leafExtensions('u.example.cn'));
    expect((await validatePath(der(under), [der(noSign)], [der(root)], SIGNED_AT)).ok).toBe(false);
  });

  it('takes revocation from a CRL at the signing time: revoked later is good then, revoked before is not', async () => {
    const crl = await x509.X509CrlGenerator.create(
      {
        issuer: issuing.cert.subject,
        thisUpdate: new Date('2026-06-02T00:00:00Z'),
        nextUpdate: new Date('2026-06-09T00:00:00Z'),
        signingAlgorithm: ALG,
        signingKey: issuing.keys.privateKey,
        entries: [{ serialNumber: leaf.cert.serialNumber, revocationDate: REVOKED_AT }],
      },
      webcrypto as unknown as typeof globalThis.crypto,
    );
    const crls = [new Uint8Array(crl.rawData)];
    const before = await validatePath(der(leaf), [der(issuing)], [der(root)], SIGNED_AT, { crls, requireRevocation: false });
    expect(before.problems).toEqual([]);
    expect(before.revocation?.[0]).toMatchObject({ status: 'good', source: 'crl' });
    const after = await validatePath(der(leaf), [der(issuing)], [der(root)], new Date('2026-06-05T00:00:00Z'), { crls });
    expect(after.ok).toBe(false);
    expect(after.problems.join()).toMatch(/was revoked at 2026-06-01/);
    // A CRL the issuer did not sign covers nothing: with revocation required, the path is undetermined.
    const forged = Buffer.from(crl.rawData);
    forged.writeUInt8(forged.readUInt8(forged.length - 5) ^ 0x01, forged.length - 5);
    const undetermined = await validatePath(der(leaf), [der(issuing)], [der(root)], SIGNED_AT, { crls: [forged], requireRevocation: true });
    expect(undetermined.problems.join()).toMatch(/no usable CRL or OCSP response/);
  });

  it('takes revocation from an OCSP response openssl made (RFC 6960 §4.2.2.2: signed by the issuer)', async () => {
    const pem = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const issuingPem = pem('issuing.pem', issuing.cert.toString('pem'));
    const leafPem = pem('leaf.pem', leaf.cert.toString('pem'));
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', issuing.keys.privateKey)).toString('base64');
    const keyPem = pem('issuing.key', `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`);
    // index.txt: status, expiry, revocation time (YYMMDDHHMMSSZ), serial, file, subject.
    pem('index.txt', `R\t350101000000Z\t260601000000Z\t${leaf.cert.serialNumber.toUpperCase()}\tunknown\t/CN=signer\n`);
    const made = runTool('openssl', ['ocsp', '-index', join(dir, 'index.txt'), '-CA', issuingPem, '-rsigner', issuingPem, '-rkey', keyPem, '-issuer', issuingPem, '-cert', leafPem, '-respout', join(dir, 'response.der'), '-ndays', '3650']);
    expect(made.status, made.stderr).toBe(0);
    const ocsps = [new Uint8Array(readFileSync(join(dir, 'response.der')))];
    const then = await validatePath(der(leaf), [der(issuing)], [der(root)], SIGNED_AT, { ocsps });
    expect(then.problems).toEqual([]);
    expect(then.revocation?.[0]).toMatchObject({ status: 'good', source: 'ocsp' });
    const later = await validatePath(der(leaf), [der(issuing)], [der(root)], new Date('2026-07-01T00:00:00Z'), { ocsps });
    expect(later.problems.join()).toMatch(/was revoked at 2026-06-01.*OCSP response/);
    // Signed by someone else (the root, not certified as responder): not used.
    const rootPkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', root.keys.privateKey)).toString('base64');
    const rootKey = pem('root.key', `-----BEGIN PRIVATE KEY-----\n${rootPkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`);
    const rootPem = pem('root.pem', root.cert.toString('pem'));
    const foreign = runTool('openssl', ['ocsp', '-index', join(dir, 'index.txt'), '-CA', issuingPem, '-rsigner', rootPem, '-rkey', rootKey, '-issuer', issuingPem, '-cert', leafPem, '-respout', join(dir, 'foreign.der'), '-ndays', '3650']);
    expect(foreign.status, foreign.stderr).toBe(0);
    const unsigned = await validatePath(der(leaf), [der(issuing)], [der(root)], new Date('2026-07-01T00:00:00Z'), { ocsps: [readFileSync(join(dir, 'foreign.der'))], requireRevocation: true });
    expect(unsigned.problems.join()).toMatch(/no usable CRL or OCSP response/);
  });
});

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees } with one dNSName. */
function nameConstraintsDns(domain: string): ArrayBuffer {
  const name = Buffer.concat([Buffer.from([0x82, domain.length]), Buffer.from(domain)]);
  const subtree = Buffer.concat([Buffer.from([0x30, name.length]), name]);
  const permitted = Buffer.concat([Buffer.from([0xa0, subtree.length]), subtree]);
  const value = Buffer.concat([Buffer.from([0x30, permitted.length]), permitted]);
  return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
}
