import { createHash, randomBytes } from 'node:crypto';
import { Accuracy } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelegatedSigners, type DelegatedSigner } from '../ca/delegated-signers.js';
import { createHierarchy, type Hierarchy } from '../ca/hierarchy.js';
import { openTestSignet, type TestSignet } from '../ca/test-support/ca-fixture.js';
import { dropFreshStores, storeBackends } from '../store/test-support/store-backends.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attribute } from '@peculiar/asn1-cms';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { HASH_OID } from '../crypto/algorithms.js';
import { cmsSignerIdentity } from './cms-signed-data.js';
import { ESSCertIDv2, ESSCertIDv2s, id_aa_signingCertificateV2, SigningCertificateV2 } from './ess-signing-certificate.js';
import { TimeStampAuthority } from './time-stamp-authority.js';
import { TokenTemplate, type TokenFields } from './token-encoder.js';
import { lintTimeStampToken, lintTstInfo, type TokenLintContext } from './token-lint.js';
import { tsaDatabase } from './token-ledger.js';

afterAll(dropFreshStores);

describe.each(storeBackends)('time-stamp token lint before release (RFC 3161 §2.4.2, issue 15) on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let tsa: DelegatedSigner;
  let template: TokenTemplate;
  const policy = () => t.signet.tsa.policy;

  beforeAll(async () => {
    t = await openTestSignet(backend);
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    tsa = (await new DelegatedSigners(t.signet.ca).current('tsa', h.issuing.caId))!;
    template = new TokenTemplate(cmsSignerIdentity(tsa.signer, tsa.certificateDer), policy(), new Accuracy({ seconds: 1 }), [h.issuing.der]);
  });
  afterAll(async () => {
    await t.signet.close();
  });

  const fields = (): TokenFields => ({
    hash: 'sha256',
    nullParameters: false,
    hashedMessage: createHash('sha256').update(randomBytes(8)).digest(),
    serial: Buffer.from('1a2b3c4d5e6f7081', 'hex'),
    genTime: new Date('2026-06-01T00:00:00.125Z'),
    nonce: 0x1234n,
    includeCertificate: true,
  });
  const context = (f: TokenFields): TokenLintContext => ({ ...f, policy: policy(), certificateDer: tsa.certificateDer, signer: tsa.signer, digest: 'sha256' });
  const findings = async (f: TokenFields, change: Partial<TokenLintContext> = {}, tamper?: (token: Buffer) => void) => {
    const { reply, token } = await template.encode(f);
    if (tamper) {
      tamper(token);
      tamper(reply);
    }
    return lintTimeStampToken(reply, token, { ...context(f), ...change }).join('\n');
  };

  it('passes the tokens the TSA issues, and every refusal leaves no row', async () => {
    const issued = await t.signet.tsa.stampDigest({ hash: 'sha256', digest: createHash('sha256').update('x').digest(), nonce: 77n, certReq: true });
    expect(issued.tokenDer.length).toBeGreaterThan(0);
    const f = fields();
    expect(await findings(f)).toBe('');
    expect(await findings({ ...f, nonce: undefined, includeCertificate: false, nullParameters: true })).toBe('');
  });

  it('reads a policy under 2.999 (its first sub-identifier past 127, X.690 §8.19.4) as the TSA wrote it', async () => {
    const identity = cmsSignerIdentity(tsa.signer, tsa.certificateDer);
    const under2999 = new TokenTemplate(identity, '2.999.7.9.1', new Accuracy({ seconds: 1 }), [h.issuing.der]);
    const f = fields();
    const { reply, token } = await under2999.encode(f);
    expect(lintTimeStampToken(reply, token, { ...context(f), policy: '2.999.7.9.1' })).toEqual([]);
    expect(lintTimeStampToken(reply, token, { ...context(f), policy: '2.999.7.9.2' }).join()).toMatch(/policy is not the TSA's/);
  });

  it('refuses tokens that do not answer the query: imprint, hash, parameters, nonce, serial, time, policy, certReq', async () => {
    const f = fields();
    expect(await findings(f, { hashedMessage: randomBytes(32) })).toMatch(/not the query's hashedMessage/);
    expect(await findings(f, { hash: 'sha384', hashedMessage: randomBytes(48) })).toMatch(/hash algorithm is not sha384/);
    expect(await findings(f, { nullParameters: true })).toMatch(/parameters differ from the query's/);
    expect(await findings(f, { nonce: 0x1235n })).toMatch(/nonce is not the query's value/);
    expect(await findings(f, { nonce: undefined })).toMatch(/a nonce the query did not carry/);
    expect(await findings({ ...f, nonce: undefined }, { nonce: 5n })).toMatch(/nonce is missing/);
    expect(await findings(f, { serial: Buffer.from('1a2b3c4d5e6f7082', 'hex') })).toMatch(/serialNumber is not the one drawn/);
    expect(await findings(f, { genTime: new Date('2026-06-01T00:00:00.000Z') })).toMatch(/genTime 20260601000000\.125Z is not the time stamped/);
    expect(await findings(f, { policy: `${policy()}.2` })).toMatch(/policy is not the TSA's/);
    expect(await findings(f, { includeCertificate: false })).toMatch(/present though certReq was false/);
  });

  it("refuses a token whose signature or ESSCertIDv2 does not hold: a flipped signature bit, another certificate", async () => {
    const f = fields();
    // The signature's last octet (an ECDSA INTEGER's, inside the OCTET STRING that ends the token).
    expect(await findings(f, {}, (bytes) => (bytes[bytes.length - 1]! ^= 0x01))).toMatch(/signature does not verify/);
    const other = (await new DelegatedSigners(t.signet.ca).current('ocsp', h.issuing.caId))!;
    const list = await findings(f, { certificateDer: other.certificateDer });
    expect(list).toMatch(/ESSCertIDv2 is not the TSA certificate's hash/);
    expect(list).toMatch(/certificates lack the TSA's own/);
  });

  it('reads the ESSCertIDv2 by value: another hash algorithm named is checked with it, SHA-256 written out is not DER (RFC 5035 §3, X.690 §11.5)', async () => {
    const withCertId = (certId: ESSCertIDv2) => {
      const identity = cmsSignerIdentity(tsa.signer, tsa.certificateDer);
      const value = new SigningCertificateV2({ certs: new ESSCertIDv2s([certId]) });
      identity.signingCertificate = new Attribute({ attrType: id_aa_signingCertificateV2, attrValues: [AsnConvert.serialize(value)] });
      return new TokenTemplate(identity, policy(), new Accuracy({ seconds: 1 }), [h.issuing.der]);
    };
    const lint = async (made: TokenTemplate, certificateDer = tsa.certificateDer) => {
      const f = fields();
      const { reply, token } = await made.encode(f);
      return lintTimeStampToken(reply, token, { ...context(f), certificateDer }).join('\n');
    };
    const sha512 = withCertId(new ESSCertIDv2({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID.sha512 }), certHash: new OctetString(createHash('sha512').update(tsa.certificateDer).digest()) }));
    expect(await lint(sha512)).toBe('');
    const sha512OfAnother = withCertId(new ESSCertIDv2({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID.sha512 }), certHash: new OctetString(createHash('sha512').update(h.issuing.der).digest()) }));
    expect(await lint(sha512OfAnother)).toMatch(/ESSCertIDv2 is not the TSA certificate's hash/);
    const defaultWritten = withCertId(new ESSCertIDv2({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID.sha256 }), certHash: new OctetString(createHash('sha256').update(tsa.certificateDer).digest()) }));
    expect(await lint(defaultWritten)).toMatch(/writes out its DEFAULT hashAlgorithm sha256/);
  });

  it('lints the token on its own when the reply does not carry it', async () => {
    const f = fields();
    const { reply, token } = await template.encode(f);
    const spoilt = Buffer.from(token);
    spoilt[spoilt.length - 1]! ^= 0x01;
    const list = lintTimeStampToken(reply, spoilt, context(f)).join('\n');
    expect(list).toMatch(/the reply is not \{ granted, the token \}/);
    expect(list).toMatch(/signature does not verify/);
  });

  it('refuses TSTInfo bytes a TSA that copied request bytes would write (RFC 3161 §2.4.2)', () => {
    const f = { ...fields(), policy: '1.2.3.4', genTime: new Date('2026-06-01T00:00:00Z') };
    const tst = (...parts: asn1js.AsnType[]) => new Uint8Array(new asn1js.Sequence({ value: parts }).toBER(false));
    const imprint = (digest: Uint8Array) =>
      new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '2.16.840.1.101.3.4.2.1' })] }), new asn1js.OctetString({ valueHex: digest })] });
    const base = (nonce: asn1js.AsnType, version = 1, digest: Uint8Array = f.hashedMessage) => [
      new asn1js.Integer({ value: version }),
      new asn1js.ObjectIdentifier({ value: '1.2.3.4' }),
      imprint(digest),
      new asn1js.Integer({ valueHex: f.serial }),
      new asn1js.GeneralizedTime({ valueDate: f.genTime }),
      nonce,
    ];
    const good = tst(...base(new asn1js.Integer({ value: 0x1234 })));
    expect(lintTstInfo(good, f)).toEqual([]);
    // 02 03 00 12 34: the nonce with a spare leading zero, as a copied request nonce would be.
    const padded = tst(...base(new asn1js.Integer({ valueHex: new Uint8Array([0x00, 0x12, 0x34]) })));
    expect(lintTstInfo(padded, f).join('\n')).toMatch(/not DER: INTEGER .* not minimal/);
    expect(lintTstInfo(tst(...base(new asn1js.Integer({ value: 0x1234 }), 2)), f).join('\n')).toMatch(/version is not 1/);
    expect(lintTstInfo(tst(...base(new asn1js.Integer({ value: 0x1234 }), 1, f.hashedMessage.subarray(0, 20))), { ...f, hashedMessage: f.hashedMessage.subarray(0, 20) }).join('\n')).toMatch(/imprint is 20 octets, not sha256's 32/);
    expect(lintTstInfo(tst(...base(new asn1js.Boolean({ value: false })), new asn1js.Integer({ value: 0x1234 })), f).join('\n')).toMatch(/ordering FALSE written out/);
  });

  it('the TSA withholds a token its signer spoilt (a faulty HSM): systemFailure, nothing recorded', async () => {
    /** The store's TSA identity with a signer that flips one bit of every signature it makes. */
    class FaultySigners extends DelegatedSigners {
      override async current(...args: Parameters<DelegatedSigners['current']>) {
        const signer = await super.current(...args);
        if (!signer) return signer;
        const real = signer.signer;
        const sign = async (data: Uint8Array) => {
          const signature = Buffer.from(await real.sign(data));
          signature[signature.length - 1]! ^= 0x01;
          return signature;
        };
        return { ...signer, signer: Object.assign(Object.create(Object.getPrototypeOf(real) as object) as typeof real, real, { sign }) };
      }
    }
    const faulty = new TimeStampAuthority({ ca: t.signet.ca, policyArc: t.signet.config.policyOid, serialPrefix: 0x7e, signers: new FaultySigners(t.signet.ca), guard: t.signet.tsa.guard });
    const count = async () => Number((await tsaDatabase(t.signet.ca.store).selectFrom('timestamp_tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    await expect(faulty.stampDigest({ hash: 'sha256', digest: createHash('sha256').update('y').digest() })).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/signature does not verify/) });
    expect(await count()).toBe(before);
  });
});
