/**
 * Certificate policies every relying party reads (issue 23, items 1 and 2):
 * the default arc has small arcs (Go's encoding/asn1, gmsm and python-cryptography 38
 * refuse arcs above 2^31 - 1), and the RFC 5280 §6.1 policy tree under the issuing CA
 * is not empty, so explicit-policy relying parties accept every subscriber.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHierarchy, type Hierarchy } from '../../src/ca/hierarchy.js';
import { openTestSignet, opensslRequest, runTool, writePem, type TestSignet } from '../../src/ca/test-support/ca-fixture.js';
import { DEFAULT_POLICY_OID, isExamplePolicyArc, loadConfig, policyArcProblem } from '../../src/config/settings.js';
import { dropFreshStores, storeBackends } from '../../src/store/test-support/store-backends.js';
import { goVerify, javaVerify, pythonVerify } from './verifiers.js';

afterAll(dropFreshStores);

describe('the default policy arc (issue 23 item 1)', () => {
  it('is under RFC 5612\'s documentation enterprise number 32473, with arcs every parser (and NSS\'s OID strings) reads', () => {
    expect(DEFAULT_POLICY_OID).toBe('1.3.6.1.4.1.32473.1');
    expect(isExamplePolicyArc(DEFAULT_POLICY_OID)).toBe(true);
    expect(isExamplePolicyArc('2.999.7')).toBe(true);
    expect(isExamplePolicyArc('1.3.6.1.4.1.99999.1')).toBe(false);
    expect(isExamplePolicyArc('1.3.6.1.4.1.324731')).toBe(false);
    expect(policyArcProblem(DEFAULT_POLICY_OID)).toBeNull();
  });

  it('refuses an operator arc that Go, gmsm or python-cryptography 38 cannot parse, and malformed ones, naming the variable', () => {
    const oldDefault = '2.25.65074770238675666515895725593245998664';
    expect(policyArcProblem(oldDefault)?.message).toMatch(/exceeds 2\^31-1/);
    expect(() => loadConfig({ SIGNET_DATA: mkdtempSync(join(tmpdir(), 'signet-policy-')), SIGNET_POLICY_OID: oldDefault })).toThrow(/SIGNET_POLICY_OID: .*2\^31-1/);
    expect(policyArcProblem('1.3.6.1.4.1.2147483648')?.message).toMatch(/2\^31-1/);
    expect(policyArcProblem('1.3.6.1.4.1.2147483647')).toBeNull();
    for (const bad of ['1', '3.1', '1.40', '1.3.06', 'x.1', '1.3.', '']) expect(policyArcProblem(bad)).not.toBeNull();
    expect(loadConfig({ SIGNET_DATA: mkdtempSync(join(tmpdir(), 'signet-policy-')), SIGNET_POLICY_OID: '1.3.6.1.4.1.99999.1' }).policyOid).toBe('1.3.6.1.4.1.99999.1');
  });
});

const SUBSCRIBERS = [
  ['individual-signing', 'CN=赵六', 4],
  ['individual-encryption', 'CN=赵六', 5],
  ['enterprise-signing', 'CN=王五,O=示例有限公司,C=CN', 4],
  ['enterprise-encryption', 'CN=王五,O=示例有限公司,C=CN', 5],
  ['tls-server', 'CN=www.example.cn', 1],
  ['tls-client', 'CN=client.example.cn', 0],
  // NSS certUsageObjectSigner.
  ['code-signing', 'CN=示例软件,O=示例软件有限公司,C=CN', 6],
] as const;

describe.each(storeBackends)('the policy tree under the issuing CA (RFC 5280 §6.1; issue 23 item 2) on %s', (backend) => {
  let t: TestSignet;
  let h: Hierarchy;
  let dir: string;
  let root: string;
  let issuing: string;
  const leaves: { profileId: string; path: string; policy: string; usage: number }[] = [];

  beforeAll(async () => {
    t = await openTestSignet(backend);
    dir = mkdtempSync(join(tmpdir(), 'signet-policies-'));
    h = await createHierarchy(t.signet.ca, { algorithm: 'ecdsa-p256', actor: 'test' });
    root = writePem(dir, 'root.pem', h.root.der);
    issuing = writePem(dir, 'issuing.pem', h.issuing.der);
    writeFileSync(join(dir, 'root.der'), h.root.der);
    writeFileSync(join(dir, 'issuing.der'), h.issuing.der);
    for (const [profileId, subject, usage] of SUBSCRIBERS) {
      const { csrPem } = opensslRequest(dir, 'ecdsa-p256', profileId);
      const leaf = await t.signet.ca.issue({
        csr: csrPem,
        profileId,
        subject,
        subjectAltNames: profileId === 'tls-server' ? { dns: ['www.example.cn'] } : undefined,
        requestedBy: 'test',
        reason: 'policy tree',
      });
      const policy = `${t.config.policyOid}.${t.signet.ca.profiles.get(profileId).policySuffix}`;
      writeFileSync(join(dir, `${profileId}.der`), leaf.der);
      leaves.push({ profileId, path: writePem(dir, `${profileId}.pem`, leaf.der), policy, usage });
    }
    for (const [name, issued] of [['ocsp-signer', h.ocspSigner], ['tsa', h.tsa]] as const) {
      writeFileSync(join(dir, `${name}.der`), issued.der);
      leaves.push({ profileId: name, path: writePem(dir, `${name}.pem`, issued.der), policy: `${t.config.policyOid}.0`, usage: name === 'ocsp-signer' ? 10 : 4 });
    }
  });
  afterAll(() => t.signet.close());

  it('the issuing CA asserts its own policy and every policy its subscribers and services assert, and no anyPolicy', () => {
    const text = runTool('openssl', ['x509', '-noout', '-ext', 'certificatePolicies', '-in', issuing]).stdout;
    const asserted = [...text.matchAll(/Policy: ([\d.]+)/g)].map((m) => m[1]);
    const expected = new Set(leaves.map((l) => l.policy));
    expect(new Set(asserted)).toEqual(expected);
    expect(asserted).not.toContain('2.5.29.32.0');
    expect(text.match(/CPS:/g)).toHaveLength(1);
  });

  it('openssl verify -x509_strict -explicit_policy -policy <the leaf\'s policy> accepts every leaf; a policy nobody asserts is refused', () => {
    for (const leaf of leaves) {
      const result = runTool('openssl', ['verify', '-x509_strict', '-explicit_policy', '-policy', leaf.policy, '-CAfile', root, '-untrusted', issuing, leaf.path]);
      expect(result.status, `${leaf.profileId}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    const control = runTool('openssl', ['verify', '-explicit_policy', '-policy', `${t.config.policyOid}.7.7`, '-CAfile', root, '-untrusted', issuing, leaves[0]!.path]);
    expect(control.status).not.toBe(0);
    expect(control.stdout + control.stderr).toContain('no explicit policy');
  });

  it('Java PKIX (setExplicitPolicyRequired, initial policy) and BouncyCastle\'s PKIX accept every leaf; an unasserted policy is refused', () => {
    const tasks = leaves.flatMap((leaf) =>
      (['pkix', 'bcpkix'] as const).map((op) => ({ id: `${op}:${leaf.profileId}`, op, roots: [root], intermediates: [issuing], leaf: leaf.path, policy: leaf.policy })),
    );
    tasks.push({ id: 'control', op: 'pkix', roots: [root], intermediates: [issuing], leaf: leaves[0]!.path, policy: `${t.config.policyOid}.7.7` });
    const results = javaVerify(tasks);
    for (const task of tasks.slice(0, -1)) expect(results.get(task.id), task.id).toMatchObject({ ok: true });
    expect(results.get('pkix:individual-signing')!.detail).toContain(`${t.config.policyOid}.1.1`);
    expect(results.get('control')).toMatchObject({ ok: false });
  });

  it('NSS vfychain -pp -o OID.<policy> accepts every leaf for its usage; an unasserted policy is refused', () => {
    // NSS has no time-stamping usage (vfychain -u knows none; -8101 for every usage on a
    // critical timeStamping EKU): the TSA certificate's policy is checked by the others above.
    // Nor does vfychain -u 6 (object signer) pass a codeSigning leaf under a CA trusted with -t
    // (-8101, also without -o): that certificate is checked by the others above, and by jarsigner
    // and osslsigncode in test/interop/code-signing.test.ts.
    for (const leaf of leaves.filter((l) => l.profileId !== 'tsa' && l.profileId !== 'code-signing')) {
      const result = runTool('vfychain', ['-pp', '-u', String(leaf.usage), '-o', `OID.${leaf.policy}`, join(dir, `${leaf.profileId}.der`), join(dir, 'issuing.der'), '-t', join(dir, 'root.der')]);
      expect(result.status, `${leaf.profileId}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    const control = runTool('vfychain', ['-pp', '-u', '4', '-o', `OID.${t.config.policyOid}.7.7`, join(dir, 'individual-signing.der'), join(dir, 'issuing.der'), '-t', join(dir, 'root.der')]);
    expect(control.status).not.toBe(0);
  });

  it('Go crypto/x509 and python-cryptography 38 parse the policies of every certificate (both refused the 128-bit 2.25 arc)', () => {
    const go = goVerify(leaves.map((leaf) => ({ id: leaf.profileId, op: 'chain', roots: [root], intermediates: [issuing], leaf: leaf.path })));
    const python = pythonVerify([
      ...leaves.map((leaf) => ({ id: leaf.profileId, op: 'cert' as const, file: leaf.path, issuer: issuing })),
      { id: 'issuing', op: 'cert', file: issuing, issuer: root },
    ]);
    for (const leaf of leaves) {
      expect(go.get(leaf.profileId), `go ${leaf.profileId}`).toMatchObject({ ok: true });
      expect(go.get(leaf.profileId)!.detail).toContain(leaf.policy);
      expect(python.get(leaf.profileId), `python ${leaf.profileId}`).toMatchObject({ ok: true });
    }
    expect(python.get('issuing')).toMatchObject({ ok: true });
  });
});
