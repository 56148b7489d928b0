import { createHash, type Hash } from 'node:crypto';
import { likelySignatureLengths, signingStream, type Signer, type SigningStream } from '../crypto/signer.js';
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
  /**
   * The SHA-256 of the whole CertificateList, begun before the entries for each CertificateList header the
   * signature's likely lengths give (the header announces the length of all that follows, signature included):
   * the one that matches the signature is finished, so the CRL's hash never needs its octets read back.
   */
  private readonly wholeHashes: Array<{ header: Buffer; hash: Hash }> = [];
  /** SHA-256 (hex) of each piece of entries as signed, in order (the archive must hold exactly these). */
  private readonly entryPieceHashes: string[] = [];
  private finished: { pieces: string[]; whole: string | null } | null = null;
  private written = 0;
  private signed = false;

  constructor(
    fields: TbsCertListFields,
    /** The DER length the entries must have, from the tally. */
    readonly entriesLength: number,
    private readonly signer: Signer,
    verification: SignatureVerificationOptions,
    lintContext: CrlLintContext,
    /** The signature lengths to begin the whole CRL's SHA-256 for (likelySignatureLengths); a test may name others. */
    signatureLengths: number[] = likelySignatureLengths(signer.keyAlgorithm),
  ) {
    ({ head: this.tbsHead, tail: this.tbsTail } = tbsCertListAround(fields, entriesLength));
    const tbsLength = this.tbsHead.length + entriesLength + this.tbsTail.length;
    for (const length of signatureLengths) {
      const { header } = certificateListParts(tbsLength, signer.signatureAlgorithm, new Uint8Array(length));
      if (this.wholeHashes.some((whole) => whole.header.equals(header))) continue;
      this.wholeHashes.push({ header, hash: createHash('sha256').update(header).update(this.tbsHead) });
    }
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
    for (const whole of this.wholeHashes) whole.hash.update(piece);
    this.entryPieceHashes.push(createHash('sha256').update(piece).digest('hex'));
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
    const head = Buffer.concat([header, this.tbsHead]);
    const whole = this.wholeHashes.find((candidate) => candidate.header.equals(header));
    const sha256 = (octets: Buffer) => createHash('sha256').update(octets).digest('hex');
    this.finished = { pieces: [sha256(head), ...this.entryPieceHashes, sha256(tail)], whole: whole ? whole.hash.update(tail).digest('hex') : null };
    this.wholeHashes.length = 0;
    return { head, tail, signature };
  }

  /** lintCrl's findings, the frame and fields read from `crl`'s head and tail (entryPieces only for an unordered list). */
  lintFindings(crl: CrlInParts): Promise<string[]> {
    return this.lint.finish(crl);
  }

  /** The signature checked against the signer's public key over every octet signed. */
  verify(signature: Uint8Array) {
    return this.verifying.verify(signature);
  }

  /**
   * After sign(): the SHA-256 (hex) of each piece as signed, in archive order (head, the pieces of entries, tail),
   * and of the whole CertificateList (null when the signature had none of the lengths prepared for).
   */
  signedSha256(): { pieces: string[]; whole: string | null } {
    if (!this.finished) throw new Error('signedSha256() before sign()');
    return this.finished;
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
