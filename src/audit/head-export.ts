import { closeSync, createReadStream, existsSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { verifySignature } from '../crypto/signature-verification.js';
import { verifyTimeStampToken, type TrustContext } from '../evidence/cms-verification.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import type { AuditAnchor } from './audit-log.js';

/**
 * R20: a signed checkpoint as it leaves the database. One JSON line carries
 * everything needed to check it without the database: the exact signed
 * bytes, the signature, the audit public key and the TSA's token. Whoever can
 * rewrite the database cannot take back a line already written to a place
 * it cannot write (another host, an append-only mount, WORM storage), so
 * truncation and tail rewrites show against the last line.
 */
export interface ExportedHead {
  type: 'signet-audit-head';
  v: 1;
  /** The checkpoint payload (canonical JSON: id, upToSeq, headHash, at, keyId), exactly as signed. */
  payload: string;
  /** DER AlgorithmIdentifier, base64. */
  signatureAlgorithm: string;
  signature: string;
  /** DER SubjectPublicKeyInfo of the audit key, base64. */
  publicKeyInfo: string;
  /** RFC 3161 token over the payload bytes, base64; null when the TSA could not stamp. */
  timeStampToken: string | null;
}

/** Where heads go: the composition root gives the checkpointer one (a file today; any append-only sink fits). */
export interface AuditHeadSink {
  /** Where, for messages: a path or URL. */
  readonly location: string;
  append(head: ExportedHead): Promise<void>;
}

/**
 * Appends one line per head to a file and syncs it before returning, so a
 * checkpoint reported done is on disk. Opened with O_APPEND for each write:
 * the file may live on a mount where only appending is allowed (chattr +a).
 */
export class FileHeadSink implements AuditHeadSink {
  constructor(readonly location: string) {}

  async append(head: ExportedHead): Promise<void> {
    const fd = openSync(this.location, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(head)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** SHA-256 of an SPKI, lower-case hex: how audit keys are pinned. */
export function spkiFingerprint(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * A pin as an operator gives it: a SHA-256 fingerprint (hex, colons allowed)
 * or a file holding the public key (PEM or DER SPKI, or a certificate's key).
 */
export function trustedKeyFingerprint(value: string): string {
  const hex = value.replace(/:/g, '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) return hex;
  if (!existsSync(value)) throw new HeadExportError('audit.trusted-key-unreadable', { value });
  try {
    const bytes = readFileSync(value);
    const text = bytes.toString('utf8');
    const key = text.includes('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    return spkiFingerprint(key.export({ type: 'spki', format: 'der' }));
  } catch {
    throw new HeadExportError('audit.trusted-key-unreadable', { value });
  }
}

export class HeadExportError extends Error {
  constructor(
    readonly code: MessageCode,
    readonly params: Record<string, unknown>,
  ) {
    super(translate(code, 'en', params));
  }
}

export type HeadExportVerification =
  | { ok: true; heads: number; anchors: AuditAnchor[]; keys: string[]; pinned: boolean }
  | { ok: false; heads: number; line: number; code: MessageCode; params: Record<string, unknown>; problem: string };

export interface HeadExportVerificationOptions {
  /** Pinned audit key fingerprints; when given, a head signed by any other key fails. */
  trustedKeys?: readonly string[];
  /** Our CA certificates, to check the time-stamp tokens. */
  trust?: TrustContext;
}

interface SignedPayload {
  type?: unknown;
  id?: unknown;
  upToSeq?: unknown;
  headHash?: unknown;
  at?: unknown;
  keyId?: unknown;
}

/**
 * Reads an exported-head file line by line (bounded memory) and checks each
 * line on its own: its signature under the key it names, that key among the
 * pinned ones, its time-stamp token, and positions strictly growing. The
 * result's anchors then go to verifyAuditEntries.
 */
export async function verifyExportedHeads(location: string, options: HeadExportVerificationOptions = {}): Promise<HeadExportVerification> {
  const anchors: AuditAnchor[] = [];
  const keys = new Set<string>();
  let lineNo = 0;
  const fail = (code: MessageCode, params: Record<string, unknown> = {}): HeadExportVerification => ({
    ok: false,
    heads: anchors.length,
    line: lineNo,
    code,
    params: { line: lineNo, file: location, ...params },
    problem: translate(code, 'en', { line: lineNo, file: location, ...params }),
  });
  if (!existsSync(location)) return fail('audit.head-export.missing');
  const lines = createInterface({ input: createReadStream(location, 'utf8'), crlfDelay: Infinity });
  for await (const text of lines) {
    lineNo += 1;
    if (text.trim() === '') continue;
    let head: ExportedHead;
    let payload: SignedPayload;
    try {
      head = JSON.parse(text) as ExportedHead;
      payload = JSON.parse(head.payload) as SignedPayload;
    } catch {
      return fail('audit.head-export.unreadable');
    }
    if (head.type !== 'signet-audit-head' || head.v !== 1 || payload.type !== 'signet-audit-checkpoint') return fail('audit.head-export.unreadable');
    const { id, upToSeq, headHash, at } = payload;
    if (typeof id !== 'string' || typeof headHash !== 'string' || typeof at !== 'string' || typeof upToSeq !== 'number' || !Number.isSafeInteger(upToSeq) || upToSeq < 1) {
      return fail('audit.head-export.unreadable');
    }
    const spki = Buffer.from(head.publicKeyInfo ?? '', 'base64');
    const fingerprint = spkiFingerprint(spki);
    if (options.trustedKeys && options.trustedKeys.length > 0 && !options.trustedKeys.includes(fingerprint)) {
      return fail('audit.head-export.untrusted-key', { fingerprint });
    }
    let algorithm: AlgorithmIdentifier;
    try {
      algorithm = AsnConvert.parse(Buffer.from(head.signatureAlgorithm ?? '', 'base64'), AlgorithmIdentifier);
    } catch {
      return fail('audit.head-export.unreadable');
    }
    const bytes = Buffer.from(head.payload, 'utf8');
    const check = verifySignature(spki, algorithm, bytes, Buffer.from(head.signature ?? '', 'base64'), { sm2Keys: options.trust?.sm2Keys });
    if (!check.ok) return fail('audit.head-export.bad-signature', { reason: check.reason });
    if (head.timeStampToken && options.trust) {
      const stamp = await verifyTimeStampToken(Buffer.from(head.timeStampToken, 'base64'), bytes, options.trust);
      if (!stamp.valid) return fail('audit.head-export.bad-time-stamp', { reason: stamp.problems.join('; ') });
    }
    const previous = anchors.at(-1);
    if (previous && upToSeq <= previous.upToSeq) return fail('audit.head-export.out-of-order', { seq: upToSeq, previous: previous.upToSeq });
    anchors.push({ upToSeq, headHash, at, checkpointId: id });
    keys.add(fingerprint);
  }
  return { ok: true, heads: anchors.length, anchors, keys: [...keys], pinned: (options.trustedKeys?.length ?? 0) > 0 };
}
