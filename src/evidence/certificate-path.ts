import { X509Certificate } from 'node:crypto';
import { verifyCertificateSignature } from '../crypto/sm2-certification-path.js';
import type { Sm2KeyDirectory } from '../crypto/sm2-verifier.js';

export interface PathResult {
  ok: boolean;
  /** Leaf first, trust anchor last, as far as it could be built. */
  path: X509Certificate[];
  problems: string[];
}

/**
 * Builds and checks the path from a certificate to one of the trust anchors
 * at a given time: names chain, each signature verifies with its issuer's key,
 * issuers are CAs, everything is within its validity at `at`. Revocation is
 * the evidence report's business (it uses the CRL in force at that time).
 * `sm2Keys` knows the SM2 distinguishing IDs of our own CAs.
 */
export function validatePath(leafDer: Uint8Array, pool: Uint8Array[], anchors: Uint8Array[], at: Date, sm2Keys?: Sm2KeyDirectory): PathResult {
  const leaf = new X509Certificate(Buffer.from(leafDer));
  const anchorCerts = anchors.map((d) => new X509Certificate(Buffer.from(d)));
  const poolCerts = [...pool.map((d) => new X509Certificate(Buffer.from(d))), ...anchorCerts];
  const problems: string[] = [];
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    checkValidity(current, at, problems);
    if (anchorCerts.some((a) => a.raw.equals(current.raw))) return { ok: problems.length === 0, path, problems };
    // Our verifier, not X509Certificate.verify: node checks SM2 signatures with an empty ID (GM/T 0009 wants the signer's).
    const issuer = poolCerts.find(
      (c) => !c.raw.equals(current.raw) && current.checkIssued(c) && verifyCertificateSignature(current.raw, c.publicKey.export({ type: 'spki', format: 'der' }), { sm2Keys }).ok,
    );
    if (!issuer) {
      problems.push(`no trusted issuer found for "${current.subject.replace(/\n/g, ', ')}"`);
      return { ok: false, path, problems };
    }
    if (!issuer.ca) problems.push(`"${issuer.subject.replace(/\n/g, ', ')}" is not a CA certificate`);
    path.push(issuer);
    current = issuer;
  }
  problems.push('the certificate path is longer than 8');
  return { ok: false, path, problems };
}

function checkValidity(certificate: X509Certificate, at: Date, problems: string[]): void {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  if (at < from || at > to) {
    problems.push(
      `"${certificate.subject.replace(/\n/g, ', ')}" is not valid at ${at.toISOString()} (valid ${from.toISOString()} to ${to.toISOString()})`,
    );
  }
}
