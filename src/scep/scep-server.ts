import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Kysely } from 'kysely';
import type { CertificateAuthority } from '../ca/authority.js';
import { parseCertificationRequest, provePublicKey } from '../ca/certification-request.js';
import { certsOnly } from '../est/certs-only.js';
import { SignetError } from '../i18n/signet-error.js';
import type { RegistrationAuthority } from '../ra/registration-authority.js';
import type { SignetDatabase } from '../store/database.js';
import type { ScepTables, ScepTransactionTable } from './migrations.js';
import {
  certRep,
  MESSAGE_TYPE,
  openEnvelope,
  readIssuerAndSerial,
  readIssuerAndSubject,
  readPkiMessage,
  ScepFailure,
  sealEnvelope,
  strictContent,
  type FailInfo,
  type ScepRequest,
} from './pki-message.js';
import type { ScepRaIdentities, ScepRaIdentity } from './ra-identity.js';

export interface ScepServerOptions {
  ca: CertificateAuthority;
  ra: RegistrationAuthority;
  store: SignetDatabase;
  identities: ScepRaIdentities;
  clock?: () => Date;
  /** How far a request's signingTime may be from our clock before badTime (RFC 8894 §3.2.1.4); default an hour. */
  clockSkewSeconds?: number;
}

/**
 * RFC 8894 §3.5.2. SCEPStandard implies AES, POSTPKIOperation and SHA-256;
 * they are listed too for clients that predate it. DES3 and SHA-1 are not
 * offered. SHA-384 (which we take) also keeps Debian 12's strongSwan 5.9.8
 * working: its pki tests capability bits by enum value (strongSwan issue
 * #1607), and SHA-384's bit is the one it reads for SHA-256, AES and Renewal.
 */
const CAPABILITIES = ['AES', 'POSTPKIOperation', 'Renewal', 'SHA-256', 'SHA-384', 'SHA-512', 'SCEPStandard'];

const CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';

/**
 * SCEP (RFC 8894) as a door into the RA and CA, with no rules of its own:
 *
 * - GetCACaps, GetCACert (the RA identity, the issuing CA, the root).
 * - PKCSReq: the challengePassword is the RA's download credential,
 *   `reference number:authorization code`, claimed like every other door
 *   (attempts counted before the code is evaluated, one use); the request
 *   may name only what was reviewed; the certificate comes from the RA's
 *   download path (profile, lint, record before signing, audit).
 * - RenewalReq: signed with the certificate being renewed; files an R16
 *   renewal (or re-key) application and answers PENDING until an officer
 *   approves; CertPoll then gets the certificate, downloaded with the old
 *   certificate's signature in place of the code.
 * - Every refusal is CertRep FAILURE with a failInfo, and changes nothing
 *   but the credential's attempt count where a code was tried.
 */
export class ScepServer {
  private readonly db: Kysely<ScepTables>;
  private readonly clock: () => Date;
  private readonly skewMs: number;

  constructor(private readonly options: ScepServerOptions) {
    this.db = options.store.db as unknown as Kysely<ScepTables>;
    this.clock = options.clock ?? (() => options.ca.now());
    this.skewMs = (options.clockSkewSeconds ?? 3600) * 1000;
  }

  capabilities(): string {
    return `${CAPABILITIES.join('\n')}\n`;
  }

  /** RFC 8894 §4.2.1.2 (with an RA): certs-only SignedData holding the RA certificate and the CA chain. */
  async caCertificates(): Promise<Buffer> {
    const issuing = await this.options.ca.defaultIssuingCa();
    const ra = await this.options.identities.inForce(issuing.id);
    const chain: Buffer[] = [ra.certificateDer];
    let caId: string | null = issuing.id;
    while (caId) {
      const authority = await this.options.ca.authority(caId);
      chain.push(authority.certificateDer);
      caId = authority.parentId;
    }
    return certsOnly(chain);
  }

  /** One pkiMessage in, one CertRep out. Throws ScepUnreadable (HTTP 400) only when there is no transaction to answer. */
  async pkiOperation(der: Uint8Array, clientAddress: string | null): Promise<Buffer> {
    const request = await readPkiMessage(der);
    const issuing = await this.options.ca.defaultIssuingCa();
    const ra = await this.options.identities.inForce(issuing.id);
    const now = this.clock();
    const answer = (status: 'SUCCESS' | 'FAILURE' | 'PENDING', extra: { failInfo?: FailInfo; envelope?: Uint8Array } = {}) =>
      certRep({ signer: ra.signer, signerCertificateDer: ra.certificateDer, transactionId: request.transactionId, recipientNonce: request.senderNonce, status, now, ...extra });
    try {
      if (!request.signatureValid) throw new ScepFailure('badMessageCheck', new SignetError('scep.bad-signature', 400));
      if (request.signingTime && Math.abs(request.signingTime.getTime() - now.getTime()) > this.skewMs) {
        throw new ScepFailure('badTime', new SignetError('scep.bad-time', 400, { signingTime: request.signingTime.toISOString(), seconds: this.skewMs / 1000 }));
      }
      const outcome = await this.dispatch(request, issuing.id, clientAddress);
      return answer(outcome.status, outcome.envelope ? { envelope: outcome.envelope } : {});
    } catch (error) {
      const failure = toFailure(error);
      if (!failure) throw error;
      return answer('FAILURE', { failInfo: failure.failInfo });
    }
  }

  private async dispatch(request: ScepRequest, caId: string, clientAddress: string | null): Promise<{ status: 'SUCCESS' | 'PENDING'; envelope?: Uint8Array }> {
    const known = [MESSAGE_TYPE.PKCSReq, MESSAGE_TYPE.RenewalReq, MESSAGE_TYPE.CertPoll, MESSAGE_TYPE.GetCert] as number[];
    if (!known.includes(request.messageType)) throw new ScepFailure('badRequest', new SignetError('scep.unsupported-message', 400, { type: request.messageType }));
    const identities = await this.options.identities.valid(caId);
    const { content, cipherOid } = openEnvelope(
      request.envelope,
      identities.map((identity: ScepRaIdentity) => ({ certificateDer: identity.certificateDer, key: () => this.options.identities.decryptionKey(identity) })),
    );
    const deliver = async (serial: string) => ({ status: 'SUCCESS' as const, envelope: sealEnvelope(certsOnly([(await this.options.ca.certificate(serial)).der]), request.signer, cipherOid) });
    switch (request.messageType) {
      case MESSAGE_TYPE.PKCSReq:
        // §2.3: a client renewing may sign a PKCSReq with the certificate it holds (certmonger does, and strongSwan with
        // scep.renewal_via_pkcs_req): a certificate this CA holds on record makes it a renewal, through the RA's review.
        if (await this.isOurs(request)) return this.renew(request, content, clientAddress, deliver);
        return this.enrol(request, content, clientAddress, deliver);
      case MESSAGE_TYPE.RenewalReq:
        return this.renew(request, content, clientAddress, deliver);
      case MESSAGE_TYPE.CertPoll:
        return this.poll(request, content, clientAddress, deliver);
      default:
        return this.getCert(content, deliver);
    }
  }

  /** PKCSReq (RFC 8894 §3.3.1) with the RA's credential as challengePassword. */
  private async enrol(request: ScepRequest, csr: Buffer, clientAddress: string | null, deliver: (serial: string) => Promise<{ status: 'SUCCESS'; envelope: Uint8Array }>) {
    strictContent(csr, 'the PKCS#10 request');
    const parsed = parseCertificationRequest(csr);
    const key = provePublicKey(parsed);
    // §2.3: a new client signs with a self-signed certificate of the key it asks to have certified.
    if (spkiSha256(request.signer) !== key.spkiSha256) throw new ScepFailure('badRequest', new SignetError('scep.signer-not-request-key', 400));
    assertRsa(request);
    const signer = signerSha256(request);
    const previous = await this.transaction(request.transactionId, signer);
    if (previous) {
      // A retransmission (§3.3.1: the client lost our answer) gets the same certificate; anything else is refused.
      if (previous.state === 'issued' && previous.certificate_serial && Buffer.from(previous.request_der).equals(csr)) return deliver(previous.certificate_serial);
      throw new ScepFailure('badRequest', new SignetError('scep.transaction-in-use', 409));
    }
    const { referenceNumber, authorizationCode } = challengeOf(csr);
    let downloaded;
    try {
      downloaded = await this.options.ra.downloads.withRequest({ referenceNumber, authorizationCode, csr, onlyReviewedNames: true }, clientAddress);
    } catch (error) {
      if (error instanceof SignetError && error.code === 'ra.credential-refused') throw new ScepFailure('badRequest', new SignetError('scep.challenge-refused', 401, error.params));
      throw error;
    }
    await this.record(request, signer, 'PKCSReq', 'issued', csr, null, downloaded.serial);
    return deliver(downloaded.serial);
  }

  /** RenewalReq (RFC 8894 §3.3.1.2): signed with the certificate being renewed; R16 through the RA's review. */
  private async renew(request: ScepRequest, csr: Buffer, clientAddress: string | null, deliver: (serial: string) => Promise<{ status: 'SUCCESS'; envelope: Uint8Array }>) {
    strictContent(csr, 'the PKCS#10 request');
    const key = provePublicKey(parseCertificationRequest(csr));
    const old = await this.ownCertificate(request);
    assertRsa(request);
    const signer = signerSha256(request);
    const previous = await this.transaction(request.transactionId, signer);
    if (previous) {
      // The same transaction again (a client re-sending instead of polling): the request it carries must be for the same key.
      if (provePublicKey(parseCertificationRequest(previous.request_der)).spkiSha256 !== key.spkiSha256) throw new ScepFailure('badRequest', new SignetError('scep.transaction-in-use', 409));
      return this.settle(previous, clientAddress, deliver);
    }
    const renewals = this.options.ra.renewals;
    const latest = await renewals.latestReplacement(old.serial);
    if (latest?.status === 'rejected') throw new ScepFailure('badRequest', new SignetError('est.renewal-rejected', 403, { application: latest.id, reason: latest.decisionReason ?? '-' }));
    if (latest?.status !== 'approved' && latest?.status !== 'submitted' && latest?.status !== 'in-review') {
      await renewals.requestFor(`scep:certificate:${old.serial}`, old.serial, { rekey: key.spkiSha256 !== old.spki_sha256 }, () => undefined);
    }
    const row = await this.record(request, signer, 'RenewalReq', 'pending', csr, old.serial, null);
    return this.settle(row, clientAddress, deliver);
  }

  /** CertPoll (RFC 8894 §3.3.3): the transaction is found by its ID and the certificate that signed it. */
  private async poll(request: ScepRequest, content: Buffer, clientAddress: string | null, deliver: (serial: string) => Promise<{ status: 'SUCCESS'; envelope: Uint8Array }>) {
    readIssuerAndSubject(content);
    const row = await this.transaction(request.transactionId, signerSha256(request));
    if (!row) throw new ScepFailure('badCertId', new SignetError('scep.unknown-transaction', 404, { transaction: request.transactionId }));
    assertRsa(request);
    return this.settle(row, clientAddress, deliver);
  }

  /** GetCert (RFC 8894 §3.3.4): a certificate this CA issued, by serial number. */
  private async getCert(content: Buffer, deliver: (serial: string) => Promise<{ status: 'SUCCESS'; envelope: Uint8Array }>) {
    const { serial } = readIssuerAndSerial(content);
    const known = await this.options.ca.certificate(serial).catch(() => null);
    if (!known) throw new ScepFailure('badCertId', new SignetError('scep.unknown-certificate', 404, { serial }));
    return deliver(known.serial);
  }

  /** Where a renewal stands: issued (the certificate again), approved (issue now), waiting (PENDING) or rejected. */
  private async settle(row: ScepTransactionTable, clientAddress: string | null, deliver: (serial: string) => Promise<{ status: 'SUCCESS'; envelope: Uint8Array }>) {
    if (row.state === 'issued' && row.certificate_serial) return deliver(row.certificate_serial);
    const replaced = row.replaced_serial!;
    const latest = await this.options.ra.renewals.latestReplacement(replaced);
    if (latest?.status === 'rejected') throw new ScepFailure('badRequest', new SignetError('est.renewal-rejected', 403, { application: latest.id, reason: latest.decisionReason ?? '-' }));
    if (latest?.status !== 'approved') return { status: 'PENDING' as const };
    const downloaded = await this.options.ra.downloads.withCertificateProof({ replacedSerial: replaced, csr: new Uint8Array(row.request_der), proof: `scep-renewal-signature:${replaced}` }, clientAddress);
    await this.db
      .updateTable('scep_transactions')
      .set({ state: 'issued', certificate_serial: downloaded.serial, updated_at: this.clock().toISOString() })
      .where('transaction_id', '=', row.transaction_id)
      .where('signer_sha256', '=', row.signer_sha256)
      .execute();
    return deliver(downloaded.serial);
  }

  /** The signer of a RenewalReq: byte-equal to a certificate this CA holds on record (the RA checks expiry and revocation). */
  private async ownCertificate(request: ScepRequest): Promise<{ serial: string; spki_sha256: string }> {
    const serial = Buffer.from(request.signer.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=[0-9a-f])/, '');
    const known = await this.options.ca.certificate(serial).catch(() => null);
    if (!known || !Buffer.from(known.der).equals(Buffer.from(request.signerDer))) throw new ScepFailure('badCertId', new SignetError('scep.unknown-certificate', 404, { serial }));
    return known;
  }

  private async isOurs(request: ScepRequest): Promise<boolean> {
    return this.ownCertificate(request).then(
      () => true,
      () => false,
    );
  }

  private transaction(transactionId: string, signer: string): Promise<ScepTransactionTable | undefined> {
    return this.db.selectFrom('scep_transactions').selectAll().where('transaction_id', '=', transactionId).where('signer_sha256', '=', signer).executeTakeFirst();
  }

  private async record(request: ScepRequest, signer: string, type: ScepTransactionTable['message_type'], state: ScepTransactionTable['state'], csr: Buffer, replaced: string | null, serial: string | null): Promise<ScepTransactionTable> {
    const now = this.clock().toISOString();
    const row: ScepTransactionTable = { transaction_id: request.transactionId, signer_sha256: signer, message_type: type, state, replaced_serial: replaced, request_der: csr, certificate_serial: serial, created_at: now, updated_at: now };
    await this.db.insertInto('scep_transactions').values(row).onConflict((oc) => oc.columns(['transaction_id', 'signer_sha256']).doNothing()).execute();
    return row;
  }
}

function spkiSha256(certificate: ScepRequest['signer']): string {
  return createHash('sha256').update(Buffer.from(certificate.subjectPublicKeyInfo.toSchema().toBER())).digest('hex');
}

function signerSha256(request: ScepRequest): string {
  return createHash('sha256').update(request.signerDer).digest('hex');
}

/** The answer is encrypted to the requester's key by RSA key transport (§3.3.2): checked before anything is claimed or filed. */
function assertRsa(request: ScepRequest): void {
  if (request.signer.subjectPublicKeyInfo.algorithm.algorithmId !== '1.2.840.113549.1.1.1') throw new ScepFailure('badAlg', new SignetError('scep.requester-not-rsa', 400));
}

/** The challengePassword attribute (RFC 2985 §5.4.1): "reference number:authorization code". */
function challengeOf(csr: Uint8Array): { referenceNumber: string; authorizationCode: string } {
  const request = AsnConvert.parse(csr, CertificationRequest);
  const attributes = request.certificationRequestInfo.attributes.filter((a) => a.type === CHALLENGE_PASSWORD);
  if (attributes.length !== 1 || attributes[0]!.values.length !== 1) throw new ScepFailure('badRequest', new SignetError('scep.challenge-required', 401));
  const value = asn1js.fromBER(attributes[0]!.values[0]!).result;
  const text = value instanceof asn1js.PrintableString || value instanceof asn1js.Utf8String || value instanceof asn1js.IA5String ? value.valueBlock.value : null;
  const colon = text?.indexOf(':') ?? -1;
  if (!text || colon <= 0) throw new ScepFailure('badRequest', new SignetError('scep.challenge-required', 401));
  return { referenceNumber: text.slice(0, colon).trim(), authorizationCode: text.slice(colon + 1).trim() };
}

/** Refusals from the RA and CA, in SCEP's terms; a server fault (5xx) stays a fault. */
function toFailure(error: unknown): ScepFailure | null {
  if (error instanceof ScepFailure) return error;
  if (!(error instanceof SignetError) || error.status >= 500) return null;
  const code = error.code as string;
  const failInfo: FailInfo = code === 'request.bad-signature' ? 'badMessageCheck' : code === 'ra.no-approved-replacement' ? 'badCertId' : 'badRequest';
  return new ScepFailure(failInfo, error);
}
