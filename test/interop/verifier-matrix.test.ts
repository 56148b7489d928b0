/**
 * The verifier matrix (issue 23, "What to build"): every kind of artefact Signet
 * makes, each checked by at least three verifiers nobody here wrote, in one
 * table. A row is an artefact, a cell a verifier; a verifier with a known limit
 * for that artefact says so in `limits` and the row's other cells carry it.
 * Every verifier runs once per kind for the whole table (one Go, one Java, one
 * Python process; OpenSSL per artefact), so the table costs seconds.
 * docs/interoperability.md shows the same table.
 */
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { documentSigner, signDocument } from '../../src/evidence/cms-signing.js';
import { EvidenceService } from '../../src/evidence/evidence-report.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { goVerify, javaVerify, pythonVerify, type GoTask, type JavaTask, type PythonTask, type VerifierResult } from './verifiers.js';

afterAll(dropFreshStores);

type Verifier = 'openssl' | 'go' | 'gmsm' | 'java-pkix' | 'bouncycastle' | 'python';

interface Row {
  artefact: string;
  /** The verifiers that must accept it (≥ 3). */
  verifiers: Verifier[];
  /** Verifiers that cannot check this artefact, and why (the row uses the others). */
  limits?: Partial<Record<Verifier, string>>;
}

const SM2_LIMITS = {
  'java-pkix': 'the JDK knows no SM2 curve (BouncyCastle is used instead)',
  go: 'Go 1.19 crypto/x509 knows no SM2 (gmsm is used instead)',
  python: 'python-cryptography 38 knows no SM2',
};

interface Made {
  row: Row;
  openssl?: string[];
  /** Further OpenSSL commands the cell also needs to pass (SM2: one per hop). */
  opensslAlso?: string[][];
  go?: Omit<GoTask, 'id'>;
  gmsm?: Omit<GoTask, 'id'>;
  java?: Omit<JavaTask, 'id'>;
  bouncycastle?: Omit<JavaTask, 'id'>;
  python?: Omit<PythonTask, 'id'>;
}

const PROFILES = [
  ['individual-signing', 'CN=赵六'],
  ['individual-encryption', 'CN=赵六'],
  ['enterprise-signing', 'CN=王五,O=示例有限公司,C=CN'],
  ['enterprise-encryption', 'CN=王五,O=示例有限公司,C=CN'],
  ['tls-server', 'CN=www.example.cn'],
  ['tls-client', 'CN=client.example.cn'],
  ['code-signing', 'CN=示例软件,O=示例软件有限公司,C=CN'],
] as const;
// ECDSA last: the TSA and evidence signer of the newest hierarchy sign the tokens and packages.
const ALGORITHMS = ['sm2', 'rsa-2048', 'ed25519', 'ecdsa-p256'] as const;

describe.each(storeBackends)('the verifier matrix on %s (issue 23)', (backend) => {
  const made: Made[] = [];
  const answers = new Map<string, Partial<Record<Verifier, VerifierResult>>>();
  /** The SM2 verifiers on what they must refuse (a changed signature, the empty ID): a cell that cannot fail proves nothing. */
  const sm2Refusals = new Map<string, boolean>();
  let t: TestSignet;
  const opened: TestSignet[] = [];

  beforeAll(async () => {
    const now = new Date();
    const dir = mkdtempSync(join(tmpdir(), 'signet-matrix-'));
    const file = (name: string, der: Uint8Array): string => {
      writeFileSync(join(dir, name), der);
      return join(dir, name);
    };
    // One deployment per algorithm (a deployment has one hierarchy); the ECDSA one also makes the CRLs, OCSP, tokens and packages.
    const hierarchies = new Map<string, { t: TestSignet; h: Hierarchy; root: string; issuing: string; rootDer: string; issuingDer: string }>();
    for (const algorithm of ALGORITHMS) {
      const deployment = await openTestSignet(backend, { clock: () => now, env: { SIGNET_DELTA_CRLS: 'on' } });
      opened.push(deployment);
      const h = await createHierarchy(deployment.signet.ca, { algorithm, actor: 'test' });
      hierarchies.set(algorithm, {
        t: deployment,
        h,
        root: writePem(dir, `${algorithm}-root.pem`, h.root.der),
        issuing: writePem(dir, `${algorithm}-issuing.pem`, h.issuing.der),
        rootDer: file(`${algorithm}-root.der`, h.root.der),
        issuingDer: file(`${algorithm}-issuing.der`, h.issuing.der),
      });
    }

    // Certificates: every profile under ECDSA P-256, one profile under each other algorithm.
    const issue = async (algorithm: (typeof ALGORITHMS)[number], profileId: string, subject: string) => {
      // The subscriber's key is ECDSA (or RSA, to sign with): the row's algorithm is the CA's signature.
      const { csrPem, keyPath } = opensslRequest(dir, algorithm === 'rsa-2048' ? 'rsa-2048' : 'ecdsa-p256', `${algorithm}-${profileId}`);
      const leaf = await hierarchies.get(algorithm)!.t.signet.ca.issue({
        csr: csrPem,
        profileId,
        subject,
        subjectAltNames: profileId === 'tls-server' ? { dns: ['www.example.cn'] } : undefined,
        requestedBy: 'test',
        reason: 'verifier matrix',
      });
      return { leaf, keyPath, pem: writePem(dir, `${algorithm}-${profileId}.pem`, leaf.der), der: file(`${algorithm}-${profileId}.der`, leaf.der) };
    };
    const certificateRow = (algorithm: string, profileId: string, paths: { pem: string; der: string }) => {
      const hh = hierarchies.get(algorithm)!;
      if (algorithm === 'sm2') {
        // Three verifiers of the SM2 path, each with a limit of its own, all with GM/T 0009's default ID 1234567812345678:
        made.push({
          row: { artefact: `certificate ${profileId} (${algorithm})`, verifiers: ['openssl', 'bouncycastle', 'gmsm'], limits: SM2_LIMITS },
          // OpenSSL 3.0 applies the SM2 ID only next to the trust anchor (openssl#23471): one hop at a time, with -partial_chain.
          openssl: ['verify', '-partial_chain', '-CAfile', hh.issuing, '-vfyopt', 'distid:1234567812345678', paths.pem],
          opensslAlso: [['verify', '-partial_chain', '-CAfile', hh.root, '-vfyopt', 'distid:1234567812345678', hh.issuing]],
          // BouncyCastle 1.72's PKIX with its own certificate factory (the JDK's knows no SM2 curve): the whole path, RFC 5280 §6.1.
          bouncycastle: { op: 'bcpkix', roots: [hh.root], intermediates: [hh.issuing], leaf: paths.pem },
          // gmsm 1.3's Certificate.Verify checks SM2 with an empty ID: verify.go walks the path with gmsm's parser and Sm2Verify instead.
          gmsm: { op: 'sm2chain', leaf: paths.pem, intermediates: [hh.issuing], roots: [hh.root], distid: '1234567812345678' },
        });
        return;
      }
      made.push({
        row: { artefact: `certificate ${profileId} (${algorithm})`, verifiers: ['openssl', 'go', 'java-pkix', 'python'] },
        openssl: ['verify', '-x509_strict', '-CAfile', hh.root, '-untrusted', hh.issuing, paths.pem],
        go: { op: 'chain', roots: [hh.root], intermediates: [hh.issuing], leaf: paths.pem },
        java: { op: 'pkix', roots: [hh.root], intermediates: [hh.issuing], leaf: paths.pem },
        python: { op: 'cert', file: paths.der, issuer: hh.issuingDer },
      });
    };
    for (const [profileId, subject] of PROFILES) certificateRow('ecdsa-p256', profileId, await issue('ecdsa-p256', profileId, subject));
    const signers = new Map<string, Awaited<ReturnType<typeof issue>>>();
    for (const algorithm of ALGORITHMS.filter((a) => a !== 'ecdsa-p256')) {
      const issued = await issue(algorithm, 'enterprise-signing', 'CN=王五,O=示例有限公司,C=CN');
      signers.set(algorithm, issued);
      certificateRow(algorithm, 'enterprise-signing', issued);
    }

    // CRLs (full and delta), an OCSP response, for the ECDSA and SM2 hierarchies.
    const ec = hierarchies.get('ecdsa-p256')!;
    t = ec.t;
    const revoked = await issue('ecdsa-p256', 'individual-signing', 'CN=吊销');
    await t.signet.status.crls.publish(ec.h.issuing.caId, 'full', 'test');
    await t.signet.status.revokeCertificate({ serial: revoked.leaf.serial, reason: 'keyCompromise', channel: 'subscriber', requestedBy: 'subscriber:test' });
    for (const kind of ['full', 'delta'] as const) {
      const crl = await t.signet.status.crls.publish(ec.h.issuing.caId, kind, 'test');
      const path = file(`crl-${kind}.der`, crl.der);
      made.push({
        row: { artefact: `${kind} CRL (ecdsa-p256)`, verifiers: ['openssl', 'go', 'java-pkix', 'python'] },
        openssl: ['crl', '-inform', 'DER', '-in', path, '-CAfile', ec.issuing, '-noout'],
        go: { op: 'crl', file: path, issuer: ec.issuing },
        java: { op: 'crl', file: path, issuer: ec.issuing },
        python: { op: 'crl', file: path, issuer: ec.issuingDer },
      });
    }
    const request = runTool('openssl', ['ocsp', '-issuer', ec.issuing, '-cert', revoked.pem, '-no_nonce', '-reqout', join(dir, 'ocsp-request.der')]);
    expect(request.status, request.stderr).toBe(0);
    const reply = await t.signet.status.ocsp.respond(readFileSync(join(dir, 'ocsp-request.der')));
    const ocspPath = file('ocsp.der', reply.der);
    made.push({
      row: { artefact: 'OCSP response (revoked, ecdsa-p256)', verifiers: ['openssl', 'go', 'java-pkix', 'python'] },
      openssl: ['ocsp', '-respin', ocspPath, '-issuer', ec.issuing, '-cert', revoked.pem, '-CAfile', ec.root, '-verify_other', ec.issuing, '-no_nonce'],
      go: { op: 'ocsp', file: ocspPath, issuer: ec.issuing, leaf: revoked.pem },
      java: { op: 'ocsp', file: ocspPath, issuer: ec.issuing, leaf: revoked.pem },
      python: { op: 'ocsp', file: ocspPath, issuer: ec.issuingDer },
    });

    // The SM2 deployment's full CRL and an OCSP response (its delegated responder signs). OpenSSL 3.0 checks their
    // SM2 signatures only through pkeyutl over the signed bytes (`crl -CAfile` and `ocsp -verify_other` take no ID).
    const sm2Status = hierarchies.get('sm2')!;
    const sm2Leaf = signers.get('sm2')!;
    const sm2Crl = await sm2Status.t.signet.status.crls.publish(sm2Status.h.issuing.caId, 'full', 'test');
    const sm2CrlPath = file('sm2-crl.der', sm2Crl.der);
    const sm2Request = runTool('openssl', ['ocsp', '-issuer', sm2Status.issuing, '-cert', sm2Leaf.pem, '-no_nonce', '-reqout', join(dir, 'sm2-ocsp-request.der')]);
    expect(sm2Request.status, sm2Request.stderr).toBe(0);
    const sm2Reply = await sm2Status.t.signet.status.ocsp.respond(readFileSync(join(dir, 'sm2-ocsp-request.der')));
    const sm2OcspPath = file('sm2-ocsp.der', sm2Reply.der);
    const sm2Basic = AsnConvert.parse(AsnConvert.parse(sm2Reply.der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse);
    const sm2ResponderPem = writePem(dir, 'sm2-ocsp-signer.pem', sm2Status.h.ocspSigner.der);
    const pkeyutl = (name: string, signed: ArrayBuffer, signature: ArrayBuffer, signerDer: Uint8Array) => [
      'pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-keyform', 'DER',
      '-inkey', file(`${name}-signer.spki`, new Uint8Array(AsnConvert.serialize(AsnConvert.parse(signerDer, Certificate).tbsCertificate.subjectPublicKeyInfo))),
      '-pkeyopt', 'distid:1234567812345678', '-in', file(`${name}.tbs`, new Uint8Array(signed)), '-sigfile', file(`${name}.sig`, new Uint8Array(signature)),
    ];
    const sm2CrlParsed = AsnConvert.parse(sm2Crl.der, CertificateList);
    made.push({
      row: { artefact: 'full CRL (sm2)', verifiers: ['openssl', 'bouncycastle', 'gmsm'], limits: SM2_LIMITS },
      openssl: pkeyutl('sm2-crl', AsnConvert.serialize(sm2CrlParsed.tbsCertList), sm2CrlParsed.signature, sm2Status.h.issuing.der),
      bouncycastle: { op: 'crl', provider: 'BC', file: sm2CrlPath, issuer: sm2Status.issuing },
      gmsm: { op: 'sm2', file: sm2CrlPath, issuer: sm2Status.issuing, distid: '1234567812345678' },
    });
    made.push({
      row: { artefact: 'OCSP response (good, sm2)', verifiers: ['openssl', 'bouncycastle', 'gmsm'], limits: SM2_LIMITS },
      openssl: pkeyutl('sm2-ocsp', AsnConvert.serialize(sm2Basic.tbsResponseData), sm2Basic.signature, sm2Status.h.ocspSigner.der),
      bouncycastle: { op: 'ocsp', provider: 'BC', file: sm2OcspPath, issuer: sm2Status.issuing, leaf: sm2Leaf.pem },
      gmsm: { op: 'sm2', file: file('sm2-basic-ocsp.der', new Uint8Array(AsnConvert.serialize(sm2Basic))), issuer: sm2ResponderPem, distid: '1234567812345678' },
    });

    // A time-stamp token, a signed document (Signet's CMS toolkit) and an evidence package.
    const content = Buffer.from('采购合同：货款人民币 500,000.00 元\n');
    const contentPath = file('content.txt', content);
    const stamp = await t.signet.tsa.stampDigest({ hash: 'sha256', digest: createHash('sha256').update(content).digest() });
    const tokenPath = file('token.der', stamp.tokenDer);
    const tsaCertificate = file('tsa.der', (await t.signet.tsa.certificate()).der);
    const roots = join(dir, 'roots.pem');
    writeFileSync(roots, [...hierarchies.values()].map((x) => readFileSync(x.root, 'utf8')).join(''));
    made.push({
      row: { artefact: 'time-stamp token (RFC 3161, certReq)', verifiers: ['openssl', 'bouncycastle', 'python'], limits: { go: 'Go has no CMS', 'java-pkix': 'the JDK has no public TSP API (BouncyCastle is used)' } },
      openssl: ['ts', '-verify', '-in', tokenPath, '-token_in', '-data', contentPath, '-CAfile', roots],
      bouncycastle: { op: 'tsp', file: tokenPath, tsa: tsaCertificate },
      python: { op: 'cms', file: tokenPath },
    });
    const signer = signers.get('rsa-2048')!;
    const rsa = hierarchies.get('rsa-2048')!;
    const signature = await signDocument({ content, signer: documentSigner(readFileSync(signer.keyPath, 'utf8'), signer.leaf.der, [rsa.h.issuing.der]), detached: true, timeStamper: t.signet.tsa });
    const signaturePath = file('document.p7s', signature);
    made.push({
      row: { artefact: 'CMS SignedData, detached, time-stamped (rsa-2048)', verifiers: ['openssl', 'bouncycastle', 'python'], limits: { go: 'Go has no CMS' } },
      openssl: ['cms', '-verify', '-binary', '-inform', 'DER', '-in', signaturePath, '-content', contentPath, '-CAfile', rsa.root, '-purpose', 'any', '-out', join(dir, 'verified.txt')],
      bouncycastle: { op: 'cms', file: signaturePath, content: contentPath },
      python: { op: 'cms', file: signaturePath, content: contentPath, issuer: rsa.issuingDer },
    });
    const evidence = new EvidenceService(t.signet.ca, t.signet.status, t.signet.tsa);
    const produced = await evidence.produce({ serial: revoked.leaf.serial, at: now, requestedBy: 'operator:matrix' });
    const packagePath = file('evidence.p7m', produced.der);
    made.push({
      row: { artefact: 'evidence package (CAdES B-T SignedData)', verifiers: ['openssl', 'bouncycastle', 'python'], limits: { go: 'Go has no CMS' } },
      openssl: ['cms', '-verify', '-binary', '-inform', 'DER', '-in', packagePath, '-CAfile', roots, '-purpose', 'any', '-out', join(dir, 'manifest.json')],
      bouncycastle: { op: 'cms', file: packagePath },
      python: { op: 'cms', file: packagePath },
    });

    // One process per verifier for the whole table.
    const id = (i: number, who: Verifier) => `${i}:${who}`;
    const sm2 = hierarchies.get('sm2')!;
    const changedLeaf = readFileSync(signers.get('sm2')!.der);
    changedLeaf.writeUInt8(changedLeaf.readUInt8(changedLeaf.length - 1) ^ 0x01, changedLeaf.length - 1); // the last octet of the signature's s
    const tampered = writePem(dir, 'sm2-tampered.pem', changedLeaf);
    const goRefusals: GoTask[] = [
      { id: 'gmsm: changed signature', op: 'sm2chain', leaf: tampered, intermediates: [sm2.issuing], roots: [sm2.root], distid: '1234567812345678' },
      { id: 'gmsm: empty ID', op: 'sm2chain', leaf: signers.get('sm2')!.pem, intermediates: [sm2.issuing], roots: [sm2.root], distid: '' },
    ];
    const go = goVerify([...made.flatMap((m, i) => [...(m.go ? [{ id: id(i, 'go'), ...m.go }] : []), ...(m.gmsm ? [{ id: id(i, 'gmsm'), ...m.gmsm }] : [])]), ...goRefusals]);
    const java = javaVerify([
      ...made.flatMap((m, i) => [...(m.java ? [{ ...m.java, id: id(i, 'java-pkix') } as JavaTask] : []), ...(m.bouncycastle ? [{ ...m.bouncycastle, id: id(i, 'bouncycastle') } as JavaTask] : [])]),
      { id: 'bouncycastle: changed signature', op: 'bcpkix', roots: [sm2.root], intermediates: [sm2.issuing], leaf: tampered },
    ]);
    for (const task of goRefusals) sm2Refusals.set(task.id, go.get(task.id)?.ok === false);
    sm2Refusals.set('bouncycastle: changed signature', java.get('bouncycastle: changed signature')?.ok === false);
    sm2Refusals.set('openssl: changed signature', runTool('openssl', ['verify', '-partial_chain', '-CAfile', sm2.issuing, '-vfyopt', 'distid:1234567812345678', tampered]).status !== 0);
    sm2Refusals.set('openssl: empty ID', runTool('openssl', ['verify', '-partial_chain', '-CAfile', sm2.issuing, signers.get('sm2')!.pem]).status !== 0);
    const python = pythonVerify(made.flatMap((m, i) => (m.python ? [{ id: id(i, 'python'), ...m.python }] : [])));
    made.forEach((m, i) => {
      const cells: Partial<Record<Verifier, VerifierResult>> = {};
      for (const who of m.row.verifiers) {
        if (who === 'openssl') {
          const runs = [m.openssl!, ...(m.opensslAlso ?? [])].map((args) => runTool('openssl', args));
          cells.openssl = { id: id(i, 'openssl'), ok: runs.every((r) => r.status === 0), detail: runs.map((r) => `${r.stdout}${r.stderr}`.trim()).join(' | ').slice(0, 300) };
        } else {
          cells[who] = (who === 'go' || who === 'gmsm' ? go : who === 'python' ? python : java).get(id(i, who));
        }
      }
      answers.set(m.row.artefact, cells);
    });
  }, 240_000);
  afterAll(async () => {
    for (const deployment of opened) await deployment.signet.close();
  });

  it('has a row for every kind of artefact, each with at least three verifiers or a named limit for each one missing', () => {
    expect(made.length).toBe(PROFILES.length + (ALGORITHMS.length - 1) + 2 + 1 + 2 + 3);
    const ALL: Verifier[] = ['openssl', 'go', 'gmsm', 'java-pkix', 'bouncycastle', 'python'];
    for (const m of made) {
      const explained = ALL.filter((v) => m.row.limits?.[v]).length;
      expect(m.row.verifiers.length + Math.min(explained, 3), m.row.artefact).toBeGreaterThanOrEqual(3);
    }
    // Every row has three verifiers of its own now (SM2 certificates: OpenSSL, BouncyCastle, gmsm).
    expect(made.filter((m) => m.row.verifiers.length < 3).map((m) => m.row.artefact)).toEqual([]);
  });

  it('the SM2 verifiers refuse a changed signature and the empty ID (GM/T 0009 default ID 1234567812345678 is what makes them pass)', () => {
    expect(Object.fromEntries(sm2Refusals)).toEqual({
      'gmsm: changed signature': true,
      'gmsm: empty ID': true,
      'bouncycastle: changed signature': true,
      'openssl: changed signature': true,
      'openssl: empty ID': true,
    });
  });

  it('every verifier accepts every artefact of its row', () => {
    const refused = [...answers].flatMap(([artefact, cells]) =>
      Object.entries(cells)
        .filter(([, r]) => !r?.ok)
        .map(([who, r]) => `${artefact} / ${who}: ${r?.detail ?? 'no answer'}`),
    );
    expect(refused).toEqual([]);
  });
});
