import { createHash, createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { Attribute, id_data } from '@peculiar/asn1-cms';
import { inspectPublicKey } from '../crypto/public-key.js';
import type { Signer } from '../crypto/signer.js';
import { SoftwareSigner } from '../crypto/software-signer.js';
import { Sm2Signer } from '../crypto/sm2-signer.js';
import { SignetError } from '../i18n/signet-error.js';
import { cmsSignerIdentity, encodeSignedData, signCms } from '../tsa/cms-signed-data.js';
import { id_aa_signatureTimeStampToken } from '../tsa/ess-signing-certificate.js';
import type { ImprintRequest } from '../tsa/time-stamp-authority.js';

/** Whoever signs a document: a key, its certificate, and the chain to hand to relying parties. */
export interface DocumentSigner {
  signer: Signer;
  certificateDer: Buffer;
  /** Intermediate CA certificates carried in the signature, so a verifier needs only the root. */
  chain: Buffer[];
}

/** Anything that turns a digest into an RFC 3161 token: Signet's own TSA, or one reached over HTTP. */
export interface TimeStamper {
  stampDigest(request: ImprintRequest): Promise<{ tokenDer: Buffer }>;
}

/** Reads a subscriber's key and certificate (PEM or DER) and checks that they belong together. */
export function documentSigner(privateKey: string | Buffer | KeyObject, certificate: string | Buffer, chain: Array<string | Buffer> = []): DocumentSigner {
  const certificateDer = certificateToDer(certificate);
  let key: KeyObject;
  try {
    key = privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey);
  } catch (error) {
    throw new SignetError('cms.bad-private-key', 400, { detail: (error as Error).message }, 'key');
  }
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const certificateSpki = new X509Certificate(certificateDer).publicKey.export({ type: 'spki', format: 'der' });
  if (!spki.equals(certificateSpki)) throw new SignetError('cms.key-certificate-mismatch', 400, {}, 'key');
  const inspected = inspectPublicKey(spki);
  if (!inspected.ok) throw new SignetError('cms.bad-private-key', 400, { detail: inspected.detail }, 'key');
  // SM2 signs with the signer's ID (GM/T 0009; default 1234567812345678), which node:crypto cannot: the SM2 signer does.
  const signer = inspected.keyAlgorithm === 'sm2' ? Sm2Signer.fromPkcs8(key.export({ type: 'pkcs8', format: 'der' })) : new SoftwareSigner(inspected.keyAlgorithm, key);
  return { signer, certificateDer, chain: chain.map(certificateToDer) };
}

export function certificateToDer(input: string | Buffer): Buffer {
  try {
    return new X509Certificate(input).raw;
  } catch (error) {
    throw new SignetError('cms.bad-certificate', 400, { detail: (error as Error).message }, 'certificate');
  }
}

/** Splits a PEM bundle into DER certificates. */
export function certificatesFromPem(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => certificateToDer(m[0]));
}

export interface SignDocumentOptions {
  content: Uint8Array;
  signer: DocumentSigner;
  /** Detached: the signature travels without the content (the relying party has the document). */
  detached?: boolean;
  /** Adds a signature time-stamp (RFC 3161 Appendix A) from this TSA; without it, only the claimed signingTime. */
  timeStamper?: TimeStamper;
  signingTime?: Date;
}

/**
 * R13: CMS SignedData over a document with signingTime, signing-certificate-v2
 * and, as an unsigned attribute, a time-stamp token over the signature value:
 * proof that the signature existed at that time, whatever the signer's clock said.
 */
export async function signDocument(options: SignDocumentOptions): Promise<Buffer> {
  const { signer } = options;
  const signature = await signCms({
    identity: cmsSignerIdentity(signer.signer, signer.certificateDer),
    certificates: [signer.certificateDer, ...signer.chain],
    contentType: id_data,
    content: options.content,
    detached: options.detached ?? false,
    signingTime: options.signingTime ?? new Date(),
  });
  if (options.timeStamper) {
    // An SM2 signer's imprint is SM3 (GB/T 32905), as its own digest is; any other signer's SHA-256.
    const hash = signer.signer.hash === 'sm3' ? 'sm3' : 'sha256';
    const digest = createHash(hash).update(signature.signatureValue).digest();
    const { tokenDer } = await options.timeStamper.stampDigest({ hash, digest, certReq: true });
    signature.signerInfo.unsignedAttrs = [
      new Attribute({ attrType: id_aa_signatureTimeStampToken, attrValues: [new Uint8Array(tokenDer).buffer] }),
    ];
  }
  return encodeSignedData(signature.signedData);
}
