import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, GeneralName, Name } from '@peculiar/asn1-x509';
import type { Kysely } from 'kysely';
import type { CertificateAuthority } from '../ca/authority.js';
import { parseCertificationRequest, proveTemplateKey, provePublicKey, type ProvenPublicKey } from '../ca/certification-request.js';
import { checkDer, DerError, nodeBytes, type DerNode } from '../crypto/strict-der.js';
import { SignetError } from '../i18n/signet-error.js';
import type { RegistrationAuthority } from '../ra/registration-authority.js';
import { namesInRequest, type RequestedNames } from '../ra/requested-identity.js';
import type { SignetDatabase } from '../store/database.js';
import type { StatusService } from '../status/status-service.js';
import type { CmpTables } from './migrations.js';
import {
  CertConfirmContent,
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertReqMessages,
  CertResponse,
  CMPCertificates,
  ErrorMsgContent,
  id_PasswordBasedMac,
  PBMParameter,
  PKI_FAILURE,
  PKI_STATUS,
  PKIBody,
  PKIFreeText,
  PKIHeader,
  PKIMessage,
  PKIStatusInfo,
  PollRep,
  PollRepContent,
  ProtectedPart,
  RawProtectedPart,
  RevRepContent,
  type PkiFailure,
} from './pki-message.js';

export interface CmpServerOptions {
  ca: CertificateAuthority;
  ra: RegistrationAuthority;
  status: StatusService;
  store: SignetDatabase;
  clock?: () => Date;
  /** Seconds a client waits between pollReqs while the RA reviews a key update (pollRep checkAfter); default 600. */
  checkAfterSeconds?: number;
}

/** A refusal in CMP's own terms (RFC 4210 §5.2.3): the failure bit and why, in both languages. */
export class CmpFailure extends Error {
  constructor(
    readonly failure: PkiFailure,
    readonly error: SignetError,
  ) {
    super(error.message);
  }
}

const OWF = new Map<string, string>([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);
const HMAC = new Map<string, string>([
  ['1.3.6.1.5.5.8.1.2', 'sha1'],
  ['1.2.840.113549.2.7', 'sha1'],
  ['1.2.840.113549.2.9', 'sha256'],
  ['1.2.840.113549.2.10', 'sha384'],
  ['1.2.840.113549.2.11', 'sha512'],
]);
/** RFC 4210 §5.1.3.1 leaves the count to the sender; a bound keeps one message from costing the server minutes. */
const MAX_PBM_ITERATIONS = 100_000;
const MIN_PBM_ITERATIONS = 100;
const SHA256 = '2.16.840.1.101.3.4.2.1';

/** RFC 4210 §5.1.3.1: K = OWF^iterationCount(secret ‖ salt), protection = MAC_K(ProtectedPart). */
function passwordBasedMac(secret: string, parameters: PBMParameter, protectedPart: Uint8Array): Buffer {
  const owf = OWF.get(parameters.owf.algorithm);
  const mac = HMAC.get(parameters.mac.algorithm);
  if (!owf || !mac) throw new CmpFailure('badAlg', new SignetError('cmp.unsupported-mac', 400, { owf: parameters.owf.algorithm, mac: parameters.mac.algorithm }));
  let key: Buffer = Buffer.concat([Buffer.from(secret, 'utf8'), Buffer.from(parameters.salt)]);
  for (let i = 0; i < parameters.iterationCount; i++) key = createHash(owf).update(key).digest();
  return createHmac(mac, key).update(protectedPart).digest();
}

/** What the protection covers: SEQUENCE { header, body } as the client encoded them (RFC 4210 §5.1.3; the message was checked to be DER, which re-encodes to itself). */
function protectedPartOf(headerDer: Uint8Array, bodyDer: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new RawProtectedPart({ header: copy(headerDer), body: copy(bodyDer) })));
}

/** An ArrayBuffer of exactly these bytes (a Buffer's .buffer is its whole pool). */
function copy(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

function hex(bytes: ArrayBuffer | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}

/** A request as read: the message, its raw parts, and what its protection is. */
interface Incoming {
  message: PKIMessage;
  protectedPart: Uint8Array;
  /** The body's DER, to reach what a POPO signature covers. */
  bodyDer: Uint8Array;
  bodyNode: DerNode;
  /** The first extraCerts certificate exactly as sent (RFC 4210 §5.1: [1] SEQUENCE OF CMPCertificate), when there is one. */
  firstExtraCertDer: Uint8Array | null;
  der: Uint8Array;
}

/**
 * CMP (RFC 4210, lightweight profile RFC 9483) over HTTP (RFC 6712), as a
 * door into the RA and CA:
 * - ir / cr / p10cr with MAC-based protection: senderKID is the RA's
 *   reference number, the shared secret its authorization code (the RA's
 *   download credential, claimed with the same attempt count as every other
 *   way in). The certificate comes from the RA's download path: reviewed
 *   subject, profile, lint, record before signing, audit. The answer (ip/cp)
 *   is MAC-protected with the same secret; certConf is then answered with
 *   pkiconf, and a rejected certificate is revoked.
 * - kur with signature-based protection by the certificate to update: an
 *   R16 renewal/re-key application the RA reviews; until an officer decides,
 *   the kup says `waiting` and pollReq is answered with pollRep (RFC 4210
 *   §5.3.22); once approved, the kup carries the certificate, downloaded with
 *   the old certificate's signature in place of the code.
 * - rr with signature-based protection by the certificate to revoke (its
 *   holder proves its key, as ACME allows): revoked through the status
 *   domain; the rp is signed with the issuing CA's key (RFC 9483 §3.1).
 * Every refusal is an `error` message with the RFC's failure bit; a replayed
 * transactionID is refused with transactionIdInUse, and nothing changes.
 */
export class CmpServer {
  private readonly db: Kysely<CmpTables>;
  private readonly clock: () => Date;
  private readonly checkAfterSeconds: number;

  constructor(private readonly options: CmpServerOptions) {
    this.db = options.store.db as unknown as Kysely<CmpTables>;
    this.clock = options.clock ?? (() => options.ca.now());
    this.checkAfterSeconds = options.checkAfterSeconds ?? 600;
  }

  /** One request in, one answer out (DER PKIMessage); `malformed` when the request could not even be read. */
  async handle(der: Uint8Array, clientAddress: string | null): Promise<{ der: Buffer; malformed: boolean }> {
    let incoming: Incoming;
    try {
      incoming = this.read(der);
    } catch (error) {
      const failure = error instanceof CmpFailure ? error : new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: (error as Error).message.slice(0, 200) }));
      return { der: await this.errorMessage(null, failure, null), malformed: true };
    }
    const secret: { code: string | null } = { code: null };
    try {
      return { der: await this.dispatch(incoming, secret, clientAddress), malformed: false };
    } catch (error) {
      const failure = toFailure(error);
      if (!failure) throw error;
      return { der: await this.errorMessage(incoming.message.header, failure, secret.code), malformed: false };
    }
  }

  private read(der: Uint8Array): Incoming {
    if (der.byteLength === 0 || der.byteLength > 256 * 1024) throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: 'empty or larger than 256 KiB' }));
    let outline: DerNode;
    try {
      outline = checkDer(der, 'the PKIMessage');
    } catch (error) {
      throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: error instanceof DerError ? error.reason : String(error) }));
    }
    const [headerNode, bodyNode] = outline.children;
    if (!headerNode || !bodyNode) throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: 'no header or body' }));
    let message: PKIMessage;
    try {
      message = AsnConvert.parse(der, PKIMessage);
    } catch (error) {
      throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: (error as Error).message.slice(0, 200) }));
    }
    const bodyDer = nodeBytes(der, bodyNode);
    const extraCerts = outline.children.find((node) => node.tagClass === 2 && node.tagNumber === 1);
    const firstExtra = extraCerts?.children[0]?.children[0];
    return { message, protectedPart: protectedPartOf(nodeBytes(der, headerNode), bodyDer), bodyDer, bodyNode, firstExtraCertDer: firstExtra ? nodeBytes(der, firstExtra) : null, der };
  }

  private async dispatch(incoming: Incoming, secret: { code: string | null }, clientAddress: string | null): Promise<Buffer> {
    const { header, body } = incoming.message;
    if (header.pvno !== 2 && header.pvno !== 3) throw new CmpFailure('unsupportedVersion', new SignetError('cmp.unsupported-version', 400, { pvno: header.pvno }));
    if (!header.transactionID || header.transactionID.byteLength < 16) throw new CmpFailure('badRequest', new SignetError('cmp.no-transaction-id', 400));
    if (!header.senderNonce || header.senderNonce.byteLength < 16) throw new CmpFailure('badSenderNonce', new SignetError('cmp.no-sender-nonce', 400));
    if (body.ir || body.cr) return this.enrol(incoming, body.ir ? 'ir' : 'cr', secret, clientAddress);
    if (body.p10cr) return this.enrol(incoming, 'p10cr', secret, clientAddress);
    if (body.certConf) return this.confirm(incoming, secret);
    if (body.rr) return this.revoke(incoming);
    if (body.kur) return this.keyUpdate(incoming, clientAddress);
    if (body.pollReq) return this.poll(incoming, clientAddress);
    throw new CmpFailure('badRequest', new SignetError('cmp.unsupported-body', 400));
  }

  /** ir / cr / p10cr under MAC protection (RFC 9483 §4.1.1, §4.1.4). */
  private async enrol(incoming: Incoming, type: 'ir' | 'cr' | 'p10cr', secret: { code: string | null }, clientAddress: string | null): Promise<Buffer> {
    const { header } = incoming.message;
    const parameters = this.macParameters(header);
    const reference = Buffer.from(header.senderKID ?? new ArrayBuffer(0)).toString('latin1');
    const { key, names, certReqId, csr } = type === 'p10cr' ? this.pkcs10Request(incoming) : this.templateRequest(incoming, type);
    const transactionId = hex(header.transactionID);
    const now = this.clock().toISOString();
    const serverNonce = randomBytes(16);
    // The transaction is taken before anything is decided: a replay (or a concurrent twin) is refused here.
    await this.openTransaction(transactionId, type, serverNonce, now);
    let downloaded;
    try {
      downloaded = await this.options.ra.downloads.withMacProof(
        {
          referenceNumber: reference,
          proves: (code) => {
            const expected = passwordBasedMac(code, parameters, incoming.protectedPart);
            const given = Buffer.from(incoming.message.protection ?? new ArrayBuffer(0));
            const ok = given.length === expected.length && timingSafeEqual(given, expected);
            if (ok) secret.code = code;
            return ok;
          },
          key,
          csr,
          names,
          proof: `cmp-${type}-mac`,
        },
        clientAddress,
      );
    } catch (error) {
      // Refused: the transaction never happened, so the client may try again with a new one.
      await this.db.deleteFrom('cmp_transactions').where('transaction_id', '=', transactionId).where('state', '=', 'open').execute();
      throw error;
    }
    await this.db
      .updateTable('cmp_transactions')
      .set({ state: 'issued', credential_id: downloaded.credentialId, certificate_serial: downloaded.serial, cert_req_id: certReqId, updated_at: now })
      .where('transaction_id', '=', transactionId)
      .execute();
    const certificate = AsnConvert.parse((await this.options.ca.certificate(downloaded.serial)).der, Certificate);
    const chain = await this.chain();
    const response = new CertRepMessage({
      ...(type === 'ir' ? { caPubs: new CMPCertificates([chain[chain.length - 1]!]) } : {}),
      response: [
        new CertResponse({
          certReqId,
          status: new PKIStatusInfo({ status: PKI_STATUS.accepted }),
          certifiedKeyPair: new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate }) }),
        }),
      ],
    });
    const answer = new PKIBody(type === 'ir' ? { ip: response } : { cp: response });
    return this.macProtected(header, answer, secret.code!, parameters, serverNonce, chain);
  }

  /** certConf (RFC 4210 §5.3.18): the certificate's hash, accepted or rejected; pkiconf either way. */
  private async confirm(incoming: Incoming, secret: { code: string | null }): Promise<Buffer> {
    const { header, body } = incoming.message;
    const transactionId = hex(header.transactionID);
    const transaction = await this.db.selectFrom('cmp_transactions').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
    if (!transaction || transaction.state !== 'issued' || !transaction.certificate_serial || (transaction.request_type !== 'kur' && !transaction.credential_id)) {
      throw new CmpFailure('badRequest', new SignetError('cmp.no-open-transaction', 400));
    }
    const signedByHolder = transaction.request_type === 'kur';
    let code: string | null = null;
    let parameters: PBMParameter | null = null;
    if (signedByHolder) {
      // A key update is confirmed the way it was asked: signed with the replaced certificate's key.
      const signer = await this.protectingCertificate(incoming, true);
      if (signer.serial !== transaction.replaced_serial) throw new CmpFailure('notAuthorized', new SignetError('cmp.unknown-signer', 401));
    } else {
      parameters = this.macParameters(header);
      const credential = await this.options.ra.credentials.byId(transaction.credential_id ?? '');
      code = credential ? this.options.ra.credentials.sealedCode(credential) : null;
      const given = Buffer.from(incoming.message.protection ?? new ArrayBuffer(0));
      const expected = code === null ? Buffer.alloc(0) : passwordBasedMac(code, parameters, incoming.protectedPart);
      if (code === null || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new CmpFailure('badMessageCheck', new SignetError('cmp.bad-protection', 401));
      }
      secret.code = code;
    }
    if (hex(header.recipNonce) !== transaction.server_nonce) throw new CmpFailure('badRecipientNonce', new SignetError('cmp.bad-recipient-nonce', 400));
    const statuses = body.certConf as CertConfirmContent;
    const status = statuses[0];
    if (statuses.length !== 1 || !status || status.certReqId !== transaction.cert_req_id) throw new CmpFailure('badCertId', new SignetError('cmp.bad-cert-id', 400));
    const certificate = await this.options.ca.certificate(transaction.certificate_serial);
    const hashName = status.hashAlg ? OWF.get(status.hashAlg.algorithm) : certificateHash(certificate.der);
    if (!hashName || !Buffer.from(status.certHash).equals(createHash(hashName).update(certificate.der).digest())) {
      throw new CmpFailure('badCertId', new SignetError('cmp.bad-cert-hash', 400));
    }
    const rejected = status.statusInfo !== undefined && status.statusInfo.status === PKI_STATUS.rejection;
    const now = this.clock().toISOString();
    const serverNonce = randomBytes(16);
    const closed = await this.db
      .updateTable('cmp_transactions')
      .set({ state: rejected ? 'rejected' : 'confirmed', server_nonce: serverNonce.toString('hex'), updated_at: now })
      .where('transaction_id', '=', transactionId)
      .where('state', '=', 'issued')
      .executeTakeFirst();
    if (Number(closed.numUpdatedRows) !== 1) throw new CmpFailure('badRequest', new SignetError('cmp.no-open-transaction', 400));
    if (rejected) {
      // RFC 9483 §4.1.1: a certificate its holder refused is revoked, not left valid.
      await this.options.status.revokeCertificate({
        serial: certificate.serial,
        reason: 'cessationOfOperation',
        channel: 'subscriber',
        requestedBy: `cmp:transaction:${transactionId}`,
        justification: 'the holder rejected the certificate in CMP certConf',
      });
    }
    const pkiconf = new PKIBody({ pkiconf: null });
    return code !== null && parameters ? this.macProtected(header, pkiconf, code, parameters, serverNonce, await this.chain()) : this.signed(header, pkiconf, serverNonce);
  }

  /** kur (RFC 9483 §4.1.3): signed with the certificate to update; through the RA's review (R16). */
  private async keyUpdate(incoming: Incoming, clientAddress: string | null): Promise<Buffer> {
    const { header } = incoming.message;
    const old = await this.protectingCertificate(incoming, false);
    const request = this.templateRequest(incoming, 'kur');
    const transactionId = hex(header.transactionID);
    const now = this.clock().toISOString();
    const serverNonce = randomBytes(16);
    await this.openTransaction(transactionId, 'kur', serverNonce, now);
    try {
      await this.db.updateTable('cmp_transactions').set({ replaced_serial: old.serial, request_der: Buffer.from(incoming.der), cert_req_id: request.certReqId }).where('transaction_id', '=', transactionId).execute();
      return await this.updateOrWait(incoming, transactionId, old, request, serverNonce, clientAddress, 'kup');
    } catch (error) {
      await this.db.deleteFrom('cmp_transactions').where('transaction_id', '=', transactionId).where('state', '=', 'open').execute();
      throw error;
    }
  }

  /** pollReq (RFC 4210 §5.3.22) for a key update under review: pollRep, or the kup once the RA approved. */
  private async poll(incoming: Incoming, clientAddress: string | null): Promise<Buffer> {
    const { header } = incoming.message;
    const transactionId = hex(header.transactionID);
    const transaction = await this.db.selectFrom('cmp_transactions').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
    if (!transaction || transaction.state !== 'waiting' || !transaction.request_der || !transaction.replaced_serial) throw new CmpFailure('badRequest', new SignetError('cmp.nothing-to-poll', 400));
    const signer = await this.protectingCertificate(incoming, false);
    if (signer.serial !== transaction.replaced_serial) throw new CmpFailure('notAuthorized', new SignetError('cmp.unknown-signer', 401));
    if (hex(header.recipNonce) !== transaction.server_nonce) throw new CmpFailure('badRecipientNonce', new SignetError('cmp.bad-recipient-nonce', 400));
    const original = this.read(new Uint8Array(transaction.request_der));
    const request = this.templateRequest(original, 'kur');
    const serverNonce = randomBytes(16);
    await this.db.updateTable('cmp_transactions').set({ server_nonce: serverNonce.toString('hex'), updated_at: this.clock().toISOString() }).where('transaction_id', '=', transactionId).execute();
    return this.updateOrWait(incoming, transactionId, signer, request, serverNonce, clientAddress, 'pollRep');
  }

  /** The RA's state of the replacement decides: issue (kup with the certificate), or wait (kup waiting / pollRep). */
  private async updateOrWait(
    incoming: Incoming,
    transactionId: string,
    old: { serial: string; spki_sha256: string },
    request: { key: ProvenPublicKey; names: RequestedNames; certReqId: number },
    serverNonce: Buffer,
    clientAddress: string | null,
    waitingAs: 'kup' | 'pollRep',
  ): Promise<Buffer> {
    const { header } = incoming.message;
    const renewals = this.options.ra.renewals;
    const latest = await renewals.latestReplacement(old.serial);
    const now = this.clock().toISOString();
    if (latest?.status === 'approved') {
      const downloaded = await this.options.ra.downloads.withCertificateProof({ replacedSerial: old.serial, key: request.key, names: request.names, proof: `cmp-kur-signature:${old.serial}` }, clientAddress);
      await this.db.updateTable('cmp_transactions').set({ state: 'issued', certificate_serial: downloaded.serial, updated_at: now }).where('transaction_id', '=', transactionId).execute();
      const certificate = AsnConvert.parse((await this.options.ca.certificate(downloaded.serial)).der, Certificate);
      const kup = new CertRepMessage({
        response: [new CertResponse({ certReqId: request.certReqId, status: new PKIStatusInfo({ status: PKI_STATUS.accepted }), certifiedKeyPair: new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate }) }) })],
      });
      return this.signed(header, new PKIBody({ kup }), serverNonce);
    }
    if (latest?.status === 'rejected') throw new CmpFailure('notAuthorized', new SignetError('est.renewal-rejected', 403, { application: latest.id, reason: latest.decisionReason ?? '-' }));
    if (latest?.status !== 'submitted' && latest?.status !== 'in-review') {
      await renewals.requestFor(`cmp:certificate:${old.serial}`, old.serial, { rekey: request.key.spkiSha256 !== old.spki_sha256 }, () => undefined);
    }
    await this.db.updateTable('cmp_transactions').set({ state: 'waiting', updated_at: now }).where('transaction_id', '=', transactionId).execute();
    if (waitingAs === 'pollRep') {
      return this.signed(header, new PKIBody({ pollRep: new PollRepContent([new PollRep({ certReqId: request.certReqId, checkAfter: this.checkAfterSeconds })]) }), serverNonce);
    }
    const waiting = new CertRepMessage({ response: [new CertResponse({ certReqId: request.certReqId, status: new PKIStatusInfo({ status: PKI_STATUS.waiting }) })] });
    return this.signed(header, new PKIBody({ kup: waiting }), serverNonce);
  }

  /**
   * RFC 9483 §3.2: the certificate whose key signed the message, first in
   * extraCerts, byte-equal to one this CA issued and holds; its signature over
   * the protected part checked. `evenRevoked`: a certConf may follow the
   * revocation its own key update caused (R16 supersedes the old one).
   */
  private async protectingCertificate(incoming: Incoming, evenRevoked: boolean): Promise<{ serial: string; spki_sha256: string; der: Buffer }> {
    const { header, extraCerts, protection } = incoming.message;
    const protecting = extraCerts?.[0];
    if (!protecting || !header.protectionAlg || !protection) throw new CmpFailure('notAuthorized', new SignetError('cmp.signature-required', 401));
    // The bytes as sent, not a re-encoding of what the lenient schema read from them: extraCerts is outside the
    // protection, and a certificate with elements the schema skips must not pass for the one on record
    // (found by test/doors/bad-input.test.ts: an rr whose certificate repeated bytes in an extension revoked).
    const protectingDer = incoming.firstExtraCertDer ?? new Uint8Array(0);
    const serial = Buffer.from(protecting.tbsCertificate.serialNumber).toString('hex');
    const known = await this.options.ca.certificate(serial).catch(() => null);
    if (!known || !Buffer.from(known.der).equals(Buffer.from(protectingDer))) throw new CmpFailure('signerNotTrusted', new SignetError('cmp.unknown-signer', 401));
    const spki = new Uint8Array(AsnConvert.serialize(protecting.tbsCertificate.subjectPublicKeyInfo));
    try {
      proveTemplateKey(spki, header.protectionAlg, incoming.protectedPart, new Uint8Array(protection));
    } catch {
      throw new CmpFailure('badMessageCheck', new SignetError('cmp.bad-protection', 401));
    }
    if (!evenRevoked && (await this.options.status.revocation(known.serial))) throw new CmpFailure('certRevoked', new SignetError('ra.certificate-revoked', 409, { serial: known.serial }));
    return known;
  }

  /** rr (RFC 9483 §4.2) signed with the key of the certificate it revokes. */
  private async revoke(incoming: Incoming): Promise<Buffer> {
    const { header, body } = incoming.message;
    // Already revoked: the status domain answers 409, sent as certRevoked below.
    const known = await this.protectingCertificate(incoming, true);
    const details = body.rr!;
    const target = details[0]?.certDetails;
    if (details.length !== 1 || !target?.serialNumber) throw new CmpFailure('badRequest', new SignetError('cmp.bad-revocation-request', 400));
    const targetSerial = Buffer.from(target.serialNumber).toString('hex').replace(/^(00)+(?=[0-9a-f])/, '');
    if (targetSerial !== known.serial.replace(/^(00)+(?=[0-9a-f])/, '')) throw new CmpFailure('notAuthorized', new SignetError('cmp.revoke-own-only', 403));
    const transactionId = hex(header.transactionID);
    const now = this.clock().toISOString();
    const serverNonce = randomBytes(16);
    await this.openTransaction(transactionId, 'rr', serverNonce, now);
    const reason = revocationReasonOf(details[0]!.crlEntryDetails);
    try {
      await this.options.status.revokeCertificate({ serial: known.serial, reason, channel: 'subscriber', requestedBy: `cmp:certificate:${known.serial}`, justification: 'revocation request signed with the certificate\'s key (CMP rr)' });
    } catch (error) {
      await this.db.deleteFrom('cmp_transactions').where('transaction_id', '=', transactionId).where('state', '=', 'open').execute();
      if (error instanceof SignetError && error.status === 409) throw new CmpFailure('certRevoked', error);
      throw error;
    }
    await this.db.updateTable('cmp_transactions').set({ state: 'revoked', certificate_serial: known.serial, updated_at: now }).where('transaction_id', '=', transactionId).execute();
    return this.signed(header, new PKIBody({ rp: new RevRepContent({ status: [new PKIStatusInfo({ status: PKI_STATUS.accepted })] }) }), serverNonce);
  }

  private async openTransaction(transactionId: string, type: 'ir' | 'cr' | 'p10cr' | 'kur' | 'rr', serverNonce: Buffer, now: string): Promise<void> {
    const inserted = await this.db
      .insertInto('cmp_transactions')
      .values({ transaction_id: transactionId, request_type: type, state: 'open', credential_id: null, certificate_serial: null, cert_req_id: null, server_nonce: serverNonce.toString('hex'), created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('transaction_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new CmpFailure('transactionIdInUse', new SignetError('cmp.transaction-id-in-use', 409));
  }

  private macParameters(header: PKIHeader): PBMParameter {
    if (header.protectionAlg?.algorithm !== id_PasswordBasedMac || !header.protectionAlg.parameters || !header.senderKID) {
      throw new CmpFailure('wrongIntegrity', new SignetError('cmp.mac-required', 401));
    }
    let parameters: PBMParameter;
    try {
      parameters = AsnConvert.parse(header.protectionAlg.parameters, PBMParameter);
    } catch {
      throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: 'PBMParameter' }));
    }
    if (parameters.iterationCount < MIN_PBM_ITERATIONS || parameters.iterationCount > MAX_PBM_ITERATIONS || parameters.salt.byteLength < 8) {
      throw new CmpFailure('badAlg', new SignetError('cmp.pbm-parameters', 400, { min: MIN_PBM_ITERATIONS, max: MAX_PBM_ITERATIONS }));
    }
    return parameters;
  }

  /** ir / cr: one CertReqMsg (RFC 9483 §4.1.1), its key proven by a signature POPO over the certReq as sent (RFC 4211 §4.1). */
  private templateRequest(incoming: Incoming, type: 'ir' | 'cr' | 'kur'): { key: ProvenPublicKey; names: RequestedNames; certReqId: number; csr?: undefined } {
    const messages = incoming.message.body[type] as CertReqMessages;
    const message = messages[0];
    if (messages.length !== 1 || !message) throw new CmpFailure('badRequest', new SignetError('cmp.one-request', 400));
    const template = message.certReq.certTemplate;
    const signature = message.popo?.signature;
    if (!template.publicKey) throw new CmpFailure('badCertTemplate', new SignetError('cmp.no-public-key', 400));
    if (!signature || signature.poposkInput) throw new CmpFailure('badPOP', new SignetError('cmp.pop-required', 400));
    // body [n] → CertReqMessages → CertReqMsg → certReq: the bytes the POPO signature covers.
    const certReqNode = incoming.bodyNode.children[0]?.children[0]?.children[0];
    if (!certReqNode) throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: 'certReq' }));
    const signed = nodeBytes(incoming.der, certReqNode);
    let key: ProvenPublicKey;
    try {
      key = proveTemplateKey(new Uint8Array(AsnConvert.serialize(template.publicKey)), signature.algorithmIdentifier, signed, new Uint8Array(signature.signature));
    } catch (error) {
      if (error instanceof SignetError && error.code === 'request.bad-signature') throw new CmpFailure('badPOP', error);
      throw error;
    }
    return { key, names: { subject: template.subject ?? new Name(), extensions: template.extensions ?? [] }, certReqId: message.certReq.certReqId };
  }

  /** p10cr: a PKCS#10 request (RFC 4210 §5.3.4); certReqId -1 in the answer (RFC 9483 §4.1.4). */
  private pkcs10Request(incoming: Incoming): { key: ProvenPublicKey; names: RequestedNames; certReqId: number; csr: Uint8Array } {
    const node = incoming.bodyNode.children[0];
    if (!node) throw new CmpFailure('badDataFormat', new SignetError('cmp.malformed', 400, { detail: 'p10cr' }));
    const csr = nodeBytes(incoming.der, node);
    const parsed = parseCertificationRequest(csr);
    return { key: provePublicKey(parsed), names: namesInRequest(parsed), certReqId: -1, csr };
  }

  /** Issuing CA first, then up to the root. */
  private async chain(): Promise<Certificate[]> {
    let authority = await this.options.ca.defaultIssuingCa();
    const chain = [AsnConvert.parse(authority.certificateDer, Certificate)];
    while (authority.parentId) {
      authority = await this.options.ca.authority(authority.parentId);
      chain.push(AsnConvert.parse(authority.certificateDer, Certificate));
    }
    return chain;
  }

  private async responseHeader(request: PKIHeader | null, protectionAlg: AlgorithmIdentifier | undefined, serverNonce: Buffer, senderKID?: ArrayBuffer): Promise<PKIHeader> {
    const issuing = AsnConvert.parse((await this.options.ca.defaultIssuingCa()).certificateDer, Certificate);
    return new PKIHeader({
      pvno: request?.pvno === 3 ? 3 : 2,
      sender: new GeneralName({ directoryName: issuing.tbsCertificate.subject }),
      recipient: request?.sender ?? new GeneralName({ directoryName: new Name() }),
      messageTime: new Date(Math.floor(this.clock().getTime() / 1000) * 1000),
      ...(protectionAlg ? { protectionAlg } : {}),
      ...(senderKID ? { senderKID } : {}),
      ...(request?.transactionID ? { transactionID: request.transactionID } : {}),
      senderNonce: new Uint8Array(serverNonce).buffer,
      ...(request?.senderNonce ? { recipNonce: request.senderNonce } : {}),
    });
  }

  /** The answer MAC-protected with the client's secret, fresh salt, the client's OWF, MAC and count (RFC 9483 §4.1.1). */
  private async macProtected(request: PKIHeader, body: PKIBody, code: string, clientParameters: PBMParameter, serverNonce: Buffer, chain: Certificate[]): Promise<Buffer> {
    const parameters = new PBMParameter({ salt: new Uint8Array(randomBytes(16)).buffer, owf: clientParameters.owf, iterationCount: clientParameters.iterationCount, mac: clientParameters.mac });
    const protectionAlg = new AlgorithmIdentifier({ algorithm: id_PasswordBasedMac, parameters: AsnConvert.serialize(parameters) });
    const header = await this.responseHeader(request, protectionAlg, serverNonce, request.senderKID);
    const part = new Uint8Array(AsnConvert.serialize(new ProtectedPart({ header, body })));
    const protection = passwordBasedMac(code, parameters, part);
    return Buffer.from(AsnConvert.serialize(new PKIMessage({ header, body, protection: new Uint8Array(protection).buffer, extraCerts: new CMPCertificates(chain) })));
  }

  /** The answer signed with the issuing CA's key, its certificate first in extraCerts (RFC 9483 §3.1). */
  private async signed(request: PKIHeader | null, body: PKIBody, serverNonce: Buffer): Promise<Buffer> {
    const issuing = await this.options.ca.defaultIssuingCa();
    const context = await this.options.ca.issuerContext(issuing.id);
    const header = await this.responseHeader(request, context.signer.signatureAlgorithm, serverNonce, context.keyIdentifier ? new Uint8Array(context.keyIdentifier).buffer : undefined);
    const part = new Uint8Array(AsnConvert.serialize(new ProtectedPart({ header, body })));
    const signature = await context.signer.sign(part);
    return Buffer.from(AsnConvert.serialize(new PKIMessage({ header, body, protection: new Uint8Array(signature).buffer, extraCerts: new CMPCertificates(await this.chain()) })));
  }

  /** An error message (RFC 4210 §5.3.21): MAC-protected when the client's secret was proven, else signed by the CA. */
  private async errorMessage(request: PKIHeader | null, failure: CmpFailure, code: string | null): Promise<Buffer> {
    const bits = new Uint8Array(4);
    const bit = PKI_FAILURE[failure.failure];
    bits[bit >> 3]! |= 0x80 >> (bit & 7);
    const used = Math.floor(bit / 8) + 1;
    const info = new PKIStatusInfo({
      status: PKI_STATUS.rejection,
      statusString: new PKIFreeText([`${failure.error.code}: ${failure.error.messageIn('en')}`, failure.error.messageIn('zh-CN')]),
      failInfo: bits.slice(0, used).buffer,
    });
    const body = new PKIBody({ error: new ErrorMsgContent({ pKIStatusInfo: info }) });
    const serverNonce = randomBytes(16);
    if (code !== null && request?.protectionAlg?.parameters) {
      const parameters = AsnConvert.parse(request.protectionAlg.parameters, PBMParameter);
      return this.macProtected(request, body, code, parameters, serverNonce, await this.chain());
    }
    return this.signed(request, body, serverNonce);
  }
}


function certificateHash(der: Uint8Array): string {
  // RFC 4210 §5.3.18 (pvno 2): the hash of the certificate's own signature algorithm; Signet signs with SHA-256 or stronger.
  const algorithm = AsnConvert.parse(der, Certificate).signatureAlgorithm.algorithm;
  if (algorithm.endsWith('.3.3') || algorithm === '1.2.840.113549.1.1.12') return 'sha384';
  if (algorithm.endsWith('.3.4') || algorithm === '1.2.840.113549.1.1.13') return 'sha512';
  return OWF.get(SHA256)!;
}

function revocationReasonOf(extensions: { extnID: string; extnValue: { buffer: ArrayBuffer } }[] | undefined): string {
  const names = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', '', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];
  for (const extension of extensions ?? []) {
    if (extension.extnID !== '2.5.29.21') continue;
    const value = asn1js.fromBER(extension.extnValue.buffer).result as asn1js.Enumerated;
    const name = names[value.valueBlock.valueDec];
    if (name && name !== 'unspecified' && name !== 'removeFromCRL') return name;
  }
  return 'unspecified';
}

function toFailure(error: unknown): CmpFailure | null {
  if (error instanceof CmpFailure) return error;
  if (!(error instanceof SignetError) || error.status >= 500) return null;
  const code = error.code as string;
  const failure: PkiFailure =
    code === 'ra.credential-refused'
      ? 'badMessageCheck'
      : code === 'ra.unreviewed-identity'
        ? 'badCertTemplate'
        : code.startsWith('request.bad-signature')
          ? 'badPOP'
          : code.startsWith('request.')
            ? 'badDataFormat'
            : error.status === 403
              ? 'notAuthorized'
              : 'badRequest';
  return new CmpFailure(failure, error);
}
