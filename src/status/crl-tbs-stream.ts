import { createHash, type Hash } from 'node:crypto';
import { signingStream, type Signer, type SigningStream } from '../crypto/signer.js';
import { startVerifying, type SignatureVerificationOptions, type VerifyingStream } from '../crypto/signature-verification.js';
import { certificateListParts, tbsCertListAround, type TbsCertListFields } from './crl-encoding.js';
import { startCrlLintInParts, type CrlInParts, type CrlLintContext } from './crl-lint.js';

/**
 * A TBSCertList whose entries are signed, verified and linted as they are written, in pieces, so that a CRL of a
 * million entries is never held whole and never read back (issue 22 item 3). The length of the list is known
 * before the first entry (entriesLengthOf over the database's tally), so the headers in front of it are too; the
 * entries must then add up to exactly that length, or nothing is signed.
 */
export class TbsCertListStream {
  /** The TBSCertList's octets before the entries (its header, the fields, the revokedCertificates header). */
  private readonly tbsHead: Buffer;
  /** Its octets after them (the [0] crlExtensions). */
  private readonly tbsTail: Buffer;
  private readonly signing: SigningStream;
  private readonly verifying: VerifyingStream;
  private readonly lint: ReturnType<typeof startCrlLintInParts>;
  /** SHA-256 of every octet after the head, as signed: the entries, then the tail once signed (archive check). */
  private readonly rest: Hash = createHash('sha256');
  private written = 0;
  private signed = false;

  constructor(
    fields: TbsCertListFields,
    /** The DER length the entries must have, from the tally. */
    readonly entriesLength: number,
    private readonly signer: Signer,
    verification: SignatureVerificationOptions,
    lintContext: CrlLintContext,
  ) {
    ({ head: this.tbsHead, tail: this.tbsTail } = tbsCertListAround(fields, entriesLength));
    this.signing = signingStream(signer);
    this.verifying = startVerifying(signer.publicKeyInfo, signer.signatureAlgorithm, verification);
    this.lint = startCrlLintInParts(lintContext, fields.thisUpdate);
    this.signing.update(this.tbsHead);
    this.verifying.update(this.tbsHead);
  }

  /** The octets of entries taken so far. */
  get entriesWritten(): number {
    return this.written;
  }

  /**
   * One piece of whole entries, in order, exactly as it will be archived: the signer, the signature check and the
   * lint's entry checks take these very octets. A piece past the announced length is refused at once.
   */
  entries(piece: Buffer): void {
    if (this.signed) throw new Error('entries after the CRL was signed');
    this.written += piece.length;
    if (this.written > this.entriesLength) throw new CrlLengthMismatch(this.entriesLength, this.written);
    this.signing.update(piece);
    this.verifying.update(piece);
    this.lint.piece(piece);
    this.rest.update(piece);
  }

  /**
   * Signs the TBS once the entries add up to the length its headers announce (otherwise CrlLengthMismatch, and
   * the signer is never asked); returns the CRL's head (CertificateList header ‖ TBS head) and tail (TBS tail ‖
   * signatureAlgorithm ‖ signature): head ‖ entries ‖ tail is the DER CertificateList.
   */
  async sign(): Promise<{ head: Buffer; tail: Buffer; signature: Uint8Array }> {
    if (this.written !== this.entriesLength) throw new CrlLengthMismatch(this.entriesLength, this.written);
    this.signed = true;
    this.signing.update(this.tbsTail);
    this.verifying.update(this.tbsTail);
    const signature = await this.signing.sign();
    const tbsLength = this.tbsHead.length + this.entriesLength + this.tbsTail.length;
    const { algorithm, bitString, header } = certificateListParts(tbsLength, this.signer.signatureAlgorithm, signature);
    const tail = Buffer.concat([this.tbsTail, algorithm, bitString]);
    this.rest.update(tail);
    return { head: Buffer.concat([header, this.tbsHead]), tail, signature };
  }

  /** lintCrl's findings, the frame and fields read from `crl`'s head and tail (entryPieces only for an unordered list). */
  lintFindings(crl: CrlInParts): Promise<string[]> {
    return this.lint.finish(crl);
  }

  /** The signature checked against the signer's public key over every octet signed. */
  verify(signature: Uint8Array) {
    return this.verifying.verify(signature);
  }

  /** SHA-256 (hex) of the octets after the head, as signed; after sign(). */
  restSha256(): string {
    if (!this.signed) throw new Error('restSha256() before sign()');
    return this.rest.digest('hex');
  }
}

/** The entries written are not the length the TBS headers announced (and the signer was given): nothing is signed. */
export class CrlLengthMismatch extends Error {
  constructor(
    readonly announced: number,
    readonly written: number,
  ) {
    super(`the CRL's entries take ${written}${written > announced ? ' or more' : ''} octets, not the ${announced} its headers announce: nothing signed`);
  }
}
