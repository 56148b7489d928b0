import { AsnConvert } from '@peculiar/asn1-schema';
import { MessageImprint, PKIFailureInfo, TimeStampReq } from '@peculiar/asn1-tsp';
import * as asn1js from 'asn1js';
import { HASH_OID, hashOutputLength, type HashName } from '../crypto/algorithms.js';
import type { MessageCode } from '../i18n/messages.js';

/**
 * RFC 3161 §2.4.2 PKIFailureInfo, by bit position. (@peculiar/asn1-tsp's
 * PKIFailureInfoFlags numbers some of them wrongly — badRequest as bit 1,
 * badDataFormat as bit 4 — so the positions are spelled out here.)
 */
export const FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TsaFailure = keyof typeof FAILURE_BITS;

export function failureInfo(failure: TsaFailure): PKIFailureInfo {
  const info = new PKIFailureInfo();
  info.fromNumber(2 ** FAILURE_BITS[failure]);
  return info;
}

/** Which failures a PKIFailureInfo names, read by bit position. */
export function failuresIn(info: PKIFailureInfo): TsaFailure[] {
  const bytes = new Uint8Array(info.value);
  const isSet = (bit: number) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
  return (Object.keys(FAILURE_BITS) as TsaFailure[]).filter((f) => isSet(FAILURE_BITS[f]));
}

/** Why the TSA will not stamp: the PKIFailureInfo for the reply and a text for people. */
export class TimeStampRefusal extends Error {
  constructor(
    readonly failure: TsaFailure,
    readonly code: MessageCode,
    readonly params: Record<string, unknown> = {},
  ) {
    super(`${failure}: ${code}`);
    this.name = 'TimeStampRefusal';
  }
}

/** A request the TSA can honour, checked. */
export interface TimeStampQuery {
  hash: HashName;
  /** Copied into TSTInfo as received: it "MUST have the same value" (RFC 3161 §2.4.2). */
  messageImprint: MessageImprint;
  reqPolicy?: string;
  /** The INTEGER's content octets, echoed unchanged. */
  nonce?: ArrayBuffer;
  certReq: boolean;
}

export const ACCEPTED_HASHES: readonly HashName[] = ['sha256', 'sha384', 'sha512'];
/** 160 bits is what clients are told to expect (RFC 3161 §2.4.2); a much larger nonce is not a nonce. */
export const MAX_NONCE_BYTES = 32;

/**
 * asn1js prints an OID arc too large for a JS number as `{hex}` of its base-128
 * digits (7 bits each); Signet's policy arc lives under 2.25 (a 128-bit arc), so
 * OIDs read from the wire are turned back into plain dotted decimal here.
 */
export function normaliseOid(oid: string): string {
  return oid.replace(/\{([0-9a-f]+)\}/gi, (_, hex: string) => {
    let value = 0n;
    for (const digit of Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')) value = value * 128n + BigInt(digit & 0x7f);
    return value.toString();
  });
}

/** Parses and checks a DER TimeStampReq; refuses with the PKIFailureInfo RFC 3161 names for each fault. */
export function parseTimeStampQuery(der: Uint8Array): TimeStampQuery {
  if (der.length === 0) throw new TimeStampRefusal('badDataFormat', 'tsa.bad-data-format', { detail: 'empty body' });
  const ber = asn1js.fromBER(Uint8Array.from(der));
  if (ber.offset === -1) throw new TimeStampRefusal('badDataFormat', 'tsa.bad-data-format', { detail: ber.result.error || 'not DER' });
  if (ber.offset !== der.length) {
    throw new TimeStampRefusal('badDataFormat', 'tsa.bad-data-format', { detail: `${der.length - ber.offset} bytes after the request` });
  }
  let request: TimeStampReq;
  try {
    request = AsnConvert.parse(der, TimeStampReq);
  } catch (error) {
    throw new TimeStampRefusal('badDataFormat', 'tsa.bad-data-format', { detail: (error as Error).message.slice(0, 200) });
  }
  if (request.version !== 1) throw new TimeStampRefusal('badDataFormat', 'tsa.bad-version', { version: request.version });

  const oid = request.messageImprint.hashAlgorithm.algorithm;
  const hash = ACCEPTED_HASHES.find((h) => HASH_OID[h] === oid);
  if (!hash) throw new TimeStampRefusal('badAlg', 'tsa.bad-alg', { algorithm: oid });
  const params = request.messageImprint.hashAlgorithm.parameters;
  // RFC 5754 §2: absent or NULL, nothing else.
  if (params && !(params.byteLength === 2 && new Uint8Array(params)[0] === 0x05 && new Uint8Array(params)[1] === 0x00)) {
    throw new TimeStampRefusal('badAlg', 'tsa.bad-alg', { algorithm: `${oid} with parameters` });
  }
  const length = request.messageImprint.hashedMessage.byteLength;
  if (length !== hashOutputLength(hash)) {
    throw new TimeStampRefusal('badDataFormat', 'tsa.bad-imprint-length', { length, hash, expected: hashOutputLength(hash) });
  }
  if (request.nonce && request.nonce.byteLength > MAX_NONCE_BYTES) {
    throw new TimeStampRefusal('badDataFormat', 'tsa.bad-nonce', { length: request.nonce.byteLength, max: MAX_NONCE_BYTES });
  }
  // RFC 3161 §2.4.1: an extension the TSA does not recognise means no token. It recognises none.
  const extension = request.extensions?.[0];
  if (extension) throw new TimeStampRefusal('unacceptedExtension', 'tsa.unaccepted-extension', { extension: extension.extnID });

  return {
    hash,
    messageImprint: request.messageImprint,
    reqPolicy: request.reqPolicy === undefined ? undefined : normaliseOid(request.reqPolicy),
    nonce: request.nonce,
    certReq: request.certReq,
  };
}
