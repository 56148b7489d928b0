import { randomUUID } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Accuracy,
  PKIFreeText,
  PKIStatus,
  PKIStatusInfo,
  TimeStampResp,
} from '@peculiar/asn1-tsp';
import type { CertificateAuthority } from '../ca/authority.js';
import { DelegatedSigners } from '../ca/delegated-signers.js';
import { normaliseSerial } from '../ca/serial-number.js';
import { hashOutputLength, type HashName } from '../crypto/algorithms.js';
import { translate } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import { cmsSignerIdentity, type CmsSignerIdentity } from './cms-signed-data.js';
import { integerContents, TokenTemplate } from './token-encoder.js';
import { lintTimeStampToken } from './token-lint.js';
import type { TimestampTokenTable } from './migrations.js';
import { ACCEPTED_HASHES, failureInfo, parseTimeStampQuery, TimeStampRefusal, type TimeStampQuery, type TsaFailure } from './time-stamp-query.js';
import { SerialSource } from '../ca/serial-source.js';
import { DuplicateSerial, TokenLedger, tsaDatabase } from './token-ledger.js';
import { ClockGuard, DEFAULT_CLOCK_LIMIT_MS, type ClockGuardReset } from './clock-guard.js';
import { DatabaseClock } from '../store/database-clock.js';

/**
 * The TSA policy: the deployment's policy arc + `.9.1` (profiles use `.0`–`.3.x`
 * for certificates; `.9` is the time-stamping branch, `.9.1` its first policy:
 * "time from the host clock, NTP-disciplined, accuracy as stated in every token").
 */
export const TSA_POLICY_SUFFIX = '9.1';

export function tsaPolicyOid(policyArc: string): string {
  return `${policyArc}.${TSA_POLICY_SUFFIX}`;
}

export interface TimeStampAuthorityOptions {
  ca: CertificateAuthority;
  /** The deployment's policy arc (config.policyOid). */
  policyArc: string;
  /** First serial octet, as for certificates. */
  serialPrefix: number;
  clock?: () => Date;
  /**
   * The accuracy stated in every token, in milliseconds. It is also how far the
   * clock may step back before the TSA stops: within it, the last time is reused.
   */
  accuracyMs?: number;
  /** The composition root's delegated signers: which TSA identity is in force is read from the store. */
  signers?: DelegatedSigners;
  /** The forward bound and its recovery (src/tsa/clock-guard.ts); the composition root's, else one of its own. */
  guard?: ClockGuard;
}

export interface IssuedTimeStamp {
  serial: string;
  genTime: Date;
  policy: string;
  /** The TimeStampToken: ContentInfo { id-signedData, SignedData { TSTInfo } }. */
  tokenDer: Buffer;
}

export interface TimeStampReply {
  /** TimeStampResp DER, for application/timestamp-reply. */
  der: Buffer;
  granted: boolean;
  failure?: TsaFailure;
  serial?: string;
}

/** A digest to be time-stamped, from inside Signet (the signing toolkit). */
export interface ImprintRequest {
  hash: HashName;
  digest: Uint8Array;
  nonce?: bigint;
  certReq?: boolean;
}

interface TsaIdentity extends CmsSignerIdentity {
  signerId: string;
  template: TokenTemplate;
  /** The signer's AlgorithmIdentifier as DER, for the token lint (encoded once per identity, not per token). */
  signatureAlgorithmDer: Uint8Array;
  notBefore: number;
  notAfter: number;
}

const DEFAULT_ACCURACY_MS = 1000;

/**
 * RFC 3161 time-stamping authority. It signs with the TSA certificate the CA
 * issued (critical EKU timeStamping), records every token before returning it,
 * and never states a time earlier than one it already stated.
 */
export class TimeStampAuthority {
  readonly policy: string;
  readonly accuracyMs: number;
  private readonly clock: () => Date;
  private readonly ledger: TokenLedger;
  private readonly serials: SerialSource;
  /** One token template per TSA identity (a handful over a deployment's life), not per process. */
  private readonly identities = new Map<string, TsaIdentity>();
  private readonly signers: DelegatedSigners;
  readonly guard: ClockGuard;
  private lastGenTime = -Infinity;
  /** The operator reset this process last took its high-water mark from. */
  private resetSeq = -1;
  private readonly accuracy: Accuracy;

  constructor(private readonly options: TimeStampAuthorityOptions) {
    this.policy = tsaPolicyOid(options.policyArc);
    this.clock = options.clock ?? (() => new Date());
    this.accuracyMs = options.accuracyMs ?? DEFAULT_ACCURACY_MS;
    if (!Number.isInteger(this.accuracyMs) || this.accuracyMs < 1) throw new Error('TSA accuracy must be a positive number of milliseconds');
    const seconds = Math.floor(this.accuracyMs / 1000);
    const millis = this.accuracyMs % 1000;
    this.accuracy = new Accuracy({ ...(seconds ? { seconds } : {}), ...(millis ? { millis } : {}) });
    this.ledger = new TokenLedger(options.ca.store);
    this.serials = new SerialSource(options.serialPrefix);
    this.signers = options.signers ?? new DelegatedSigners(options.ca);
    this.guard = options.guard ?? new ClockGuard({ store: options.ca.store, databaseClock: new DatabaseClock(options.ca.store), limitMs: DEFAULT_CLOCK_LIMIT_MS });
  }

  /**
   * Whether the TSA would stamp now, for /healthz and `signet tsa clock`: the
   * database skew, the high-water mark, and the refusal if there is one.
   */
  async clockStatus(): Promise<{ refusing: { code: string; params: Record<string, unknown> } | null; highWater: string | null; lastReset: number; limitMs: number; skewMs: number; roundTripMs: number; sameHost: boolean; databaseTime: string }> {
    const status = await this.guard.status();
    let refusing: { code: string; params: Record<string, unknown> } | null = null;
    try {
      await this.nextGenTime(false);
    } catch (error) {
      if (!(error instanceof TimeStampRefusal)) throw error;
      refusing = { code: error.code, params: error.params };
    }
    const highWater = Math.max(this.lastGenTime, status.highWater ? Date.parse(status.highWater) : -Infinity);
    return {
      refusing,
      highWater: Number.isFinite(highWater) ? new Date(highWater).toISOString() : null,
      lastReset: status.lastReset,
      limitMs: status.limitMs,
      skewMs: status.reading.skewMs,
      roundTripMs: status.reading.roundTripMs,
      sameHost: status.reading.sameHost,
      databaseTime: status.reading.databaseTime,
    };
  }

  /** `signet tsa reset-clock-guard`: the operator vouches for the clock as it is now (docs/operations.md, clocks). */
  async resetClockGuard(actor: string, reason: string): Promise<ClockGuardReset> {
    const made = await this.guard.reset({ now: this.clock(), actor, reason });
    this.resetSeq = -1;
    return made;
  }

  /** The HTTP/RFC 3161 face: any bytes in, a TimeStampResp out, a rejection rather than an exception for bad input. */
  async reply(queryDer: Uint8Array): Promise<TimeStampReply> {
    try {
      const issued = await this.issue(parseTimeStampQuery(queryDer));
      return { der: issued.reply, granted: true, serial: issued.serial };
    } catch (error) {
      const refusal = error instanceof TimeStampRefusal ? error : this.systemFailure(error);
      const statusString = new PKIFreeText([
        translate(refusal.code, 'en', refusal.params),
        translate(refusal.code, 'zh-CN', refusal.params),
      ]);
      const status = new PKIStatusInfo({ status: PKIStatus.rejection, statusString, failInfo: failureInfo(refusal.failure) });
      return { der: encodeReply(status), granted: false, failure: refusal.failure };
    }
  }

  /** The library face, for the signing toolkit: throws a SignetError when it cannot stamp. */
  async stampDigest(request: ImprintRequest): Promise<IssuedTimeStamp> {
    if (!ACCEPTED_HASHES.includes(request.hash) || request.digest.length !== hashOutputLength(request.hash)) {
      throw new SignetError('tsa.bad-alg', 400, { algorithm: request.hash }, 'hash');
    }
    try {
      const { reply: _reply, ...issued } = await this.issue({
        hash: request.hash,
        // RFC 5754 §2: the SHA-2 identifiers' parameters are absent.
        nullParameters: false,
        hashedMessage: Buffer.from(request.digest),
        nonce: request.nonce,
        certReq: request.certReq ?? true,
      });
      return issued;
    } catch (error) {
      if (error instanceof TimeStampRefusal) {
        const status = error.failure === 'systemFailure' || error.failure === 'timeNotAvailable' ? 503 : 400;
        throw new SignetError('tsa.refused', status, { failure: error.failure, detail: translate(error.code, 'en', error.params) });
      }
      throw error;
    }
  }

  /** The TSA certificate and its id: for clients that verify tokens (`-untrusted tsa.pem`). */
  async certificate(): Promise<{ signerId: string; der: Buffer }> {
    const identity = await this.loadIdentity();
    return { signerId: identity.signerId, der: identity.certificateDer };
  }

  async token(serialInput: string): Promise<TimestampTokenTable> {
    const serial = normaliseSerial(serialInput);
    const row = await tsaDatabase(this.options.ca.store)
      .selectFrom('timestamp_tokens')
      .selectAll()
      .where('serial', '=', serial)
      .executeTakeFirst();
    if (!row) throw new SignetError('tsa.token-not-found', 404, { serial }, 'serial');
    return row;
  }

  private async issue(query: TimeStampQuery): Promise<IssuedTimeStamp & { reply: Buffer }> {
    if (query.reqPolicy !== undefined && query.reqPolicy !== this.policy) {
      throw new TimeStampRefusal('unacceptedPolicy', 'tsa.unaccepted-policy', { policy: query.reqPolicy, ours: this.policy });
    }
    const identity = await this.loadIdentity();
    const genTime = await this.nextGenTime();
    if (genTime.getTime() < identity.notBefore || genTime.getTime() > identity.notAfter) {
      throw new TimeStampRefusal('systemFailure', 'tsa.certificate-not-valid', {
        at: genTime.toISOString(),
        notBefore: new Date(identity.notBefore).toISOString(),
        notAfter: new Date(identity.notAfter).toISOString(),
      });
    }

    for (let attempt = 0; ; attempt++) {
      const serialBytes = orderedByTime(this.serials.serial(), genTime);
      // RFC 3161 §2.4.1: the TSA's certificate (with its issuing CA's) only when certReq asks for it.
      const { reply, token: tokenDer } = await identity.template.encode({
        hash: query.hash,
        nullParameters: query.nullParameters,
        hashedMessage: query.hashedMessage,
        serial: serialBytes,
        genTime,
        nonce: query.nonce,
        includeCertificate: query.certReq,
      });
      // Lint before release (issue 15): a token that breaks RFC 3161 is never recorded nor handed out.
      const findings = lintTimeStampToken(reply, tokenDer, {
        policy: this.policy,
        hash: query.hash,
        nullParameters: query.nullParameters,
        hashedMessage: query.hashedMessage,
        nonce: query.nonce,
        serial: serialBytes,
        genTime,
        includeCertificate: query.certReq,
        certificateDer: identity.certificateDer,
        signer: identity.signer,
        digest: identity.hash,
        signatureAlgorithmDer: identity.signatureAlgorithmDer,
        publicKeys: this.options.ca.publicKeys,
      });
      if (findings.length > 0) throw new TimeStampRefusal('systemFailure', 'tsa.lint-failed', { detail: findings.join('; ') });
      const serial = serialBytes.toString('hex');
      try {
        await this.ledger.record({
          serial,
          tsa_signer_id: identity.signerId,
          gen_time: genTime.toISOString(),
          hash_algorithm: query.hash,
          message_imprint: query.hashedMessage.toString('hex'),
          policy: this.policy,
          nonce: query.nonce !== undefined ? Buffer.from(integerContents(query.nonce)).toString('hex') : null,
          token_der: tokenDer,
        });
      } catch (error) {
        // A colliding serial is never used: the token that carried it is dropped unseen and re-made.
        if (error instanceof DuplicateSerial && attempt < 3) continue;
        throw error;
      }
      return { serial, genTime, policy: this.policy, tokenDer, reply };
    }
  }

  /**
   * The clock guard. Time never runs backwards in the tokens: the high-water
   * mark is the latest genTime on record (so it survives restarts) and every
   * token raises it. A step back within the stated accuracy reuses the last
   * time (still true within the accuracy); a larger one stops the TSA. The
   * guard (src/tsa/clock-guard.ts) also stops it when the clock ran ahead of
   * its witnesses, and lowers the mark after an operator's reset.
   */
  private async nextGenTime(advance = true): Promise<Date> {
    const vetted = await this.guard.vet();
    if (vetted.resetSeq !== this.resetSeq) {
      // A reset disregarded tokens stamped ahead of the true time: this process's own mark falls back with the store's.
      this.lastGenTime = vetted.highWater;
      this.resetSeq = vetted.resetSeq;
    } else if (vetted.highWater > this.lastGenTime) {
      this.lastGenTime = vetted.highWater;
    }
    if (vetted.refusal) throw new TimeStampRefusal('timeNotAvailable', vetted.refusal.code, vetted.refusal.params);
    const now = this.clock().getTime();
    if (!Number.isFinite(now)) throw new TimeStampRefusal('timeNotAvailable', 'tsa.time-not-available', { behindMs: '?', accuracyMs: this.accuracyMs, highWater: '?' });
    if (now < this.lastGenTime) {
      const behindMs = this.lastGenTime - now;
      if (behindMs > this.accuracyMs) {
        throw new TimeStampRefusal('timeNotAvailable', 'tsa.time-not-available', { behindMs, accuracyMs: this.accuracyMs, highWater: new Date(this.lastGenTime).toISOString() });
      }
      return new Date(this.lastGenTime);
    }
    if (advance) this.lastGenTime = now;
    return new Date(now);
  }

  /** The TSA identity in force now under the newest issuing CA (a rollover or a new issuing CA takes effect on every node). */
  private async loadIdentity(): Promise<TsaIdentity> {
    const ca = this.options.ca;
    const issuing = await ca.defaultIssuingCa();
    const delegated = await this.signers.current('tsa', issuing.id);
    if (!delegated) throw new SignetError('ca.no-delegated-signer', 503, { purpose: 'tsa', caId: issuing.id });
    let identity = this.identities.get(delegated.id);
    if (!identity) {
      const base = cmsSignerIdentity(delegated.signer, delegated.certificateDer);
      identity = {
        ...base,
        signerId: delegated.id,
        // With certReq the token carries the issuing CA too: a verifier then needs only the root.
        template: new TokenTemplate(base, this.policy, this.accuracy, [issuing.certificateDer]),
        signatureAlgorithmDer: new Uint8Array(AsnConvert.serialize(delegated.signer.signatureAlgorithm)),
        notBefore: delegated.notBefore.getTime(),
        notAfter: delegated.notAfter.getTime(),
      };
      this.identities.set(delegated.id, identity);
    }
    return identity;
  }


  private systemFailure(error: unknown): TimeStampRefusal {
    if (error instanceof SignetError) {
      return new TimeStampRefusal('systemFailure', 'tsa.refused', { failure: 'systemFailure', detail: error.messageIn('en') });
    }
    const reference = randomUUID();
    console.error(`TSA system failure ${reference}:`, error);
    return new TimeStampRefusal('systemFailure', 'tsa.system-failure', { reference });
  }
}

/**
 * A token serial that sorts by genTime: the prefix octet, genTime in
 * milliseconds (48 bits), then 80 of the serial's CSPRNG bits. RFC 3161
 * §2.4.2 asks for a unique integer of up to 160 bits, nothing of its order;
 * the primary key still guarantees uniqueness (a collision re-makes the
 * token). Random serials put every row's key on a random page of the
 * ledger's primary-key index, whose pages each group commit then wrote again:
 * about half of each row's cost on SQLite (issue 15, docs/performance.md).
 * The time in the serial is the time the token states anyway.
 */
export function orderedByTime(serial: Buffer, genTime: Date): Buffer {
  serial.writeUIntBE(genTime.getTime(), 1, 6);
  return serial;
}

function encodeReply(status: PKIStatusInfo): Buffer {
  return Buffer.from(AsnConvert.serialize(new TimeStampResp({ status })));
}

